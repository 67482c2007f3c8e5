"""EfficientNet-Lite0's class score maps against the network's own forward pass (read with a hook)."""

import numpy as np
import pytest
import torch

from app.compute.nets import class_maps, efficientnet
from app.compute.nets.registry import load_model
from app.compute.samples import load_sample
from PIL import Image


def _crop(sample, dy, dx):
    side = class_maps.SIDE + class_maps.STRIDE
    photo = load_sample(sample).convert("RGB").resize((side, side), Image.BICUBIC)
    x = torch.from_numpy(np.asarray(photo, np.float32)).permute(2, 0, 1)[:, dy:dy + class_maps.SIDE,
                                                                         dx:dx + class_maps.SIDE]
    return ((x - efficientnet.PIXEL_MEAN) / efficientnet.PIXEL_SCALE)[None]


@pytest.mark.parametrize("factor", [2])
def test_score_maps_against_the_forward_pass(factor):
    result = class_maps.score_maps("chelsea", factor, "")
    network = load_model("efficientnet_lite0", "")
    seen = {}
    hook = network._relu1.register_forward_hook(lambda m, i, o: seen.__setitem__("head", o))
    try:
        step, centre = 32 // factor, 16 - 16 // factor
        with torch.inference_mode():
            logits = network(_crop("chelsea", centre, centre))[0]
            top = int(logits.argmax())
            assert result["class"] == top and result["score"] == pytest.approx(float(logits[top]), rel=1e-4)
            w, b = network._fc.weight[top].double(), float(network._fc.bias[top])
            # The global average of the class activation map is the class's logit (the fc layer is linear).
            assert result["coarse"].mean() == pytest.approx(float(logits[top]), rel=1e-4)
            coarse = np.einsum("chw,c->hw", seen["head"][0].double().numpy(), w.numpy()) + b
            assert np.allclose(result["coarse"], coarse, atol=1e-3)
            for a in range(factor):
                for c in range(factor):
                    network(_crop("chelsea", a * step, c * step))
                    shifted = np.einsum("chw,c->hw", seen["head"][0].double().numpy(), w.numpy()) + b
                    assert np.allclose(result["dense"][a::factor, c::factor], shifted, atol=1e-3)
    finally:
        hook.remove()
    assert result["dense"].shape == (8 * factor, 8 * factor) and result["coarse"].shape == (8, 8)
