"""A real class score map: EfficientNet-Lite0's class activation map (CAM) for the photo's top class.

The network ends in a 1×1 conv to 1280 channels, a global average and an fc layer, so the score of class c is the
average over positions of (features · fc.weight[c]) + fc.bias[c]: that dot product at every position is a score
map at stride 32, the coarse map a segmentation network has to upsample. `score_maps` also computes the same map at
stride 32 / f by shift-and-stitch (the network run on the photo shifted by multiples of 32 / f pixels, the outputs
interleaved; Long et al. 2015, §3.2): the network's own finer answer, against which upsampling is measured."""

import numpy as np
import torch
from PIL import Image

from app.compute.nets import efficientnet
from app.compute.nets.registry import IMAGENET_CATEGORIES, load_model
from app.compute.samples import load_sample

MODEL = "efficientnet_lite0"
STRIDE = 32
SIDE = 256  # px of the photo's crop: an 8×8 score map


def _features(network, x: torch.Tensor) -> torch.Tensor:
    """The head's features before the global average: (B, 1280, H / 32, W / 32)."""
    x = network._relu0(network._bn0(network._conv_stem(x)))
    for block in network._blocks:
        x = block(x)
    return network._relu1(network._bn1(network._conv_head(x)))


def score_maps(sample: str, factor: int, weights_dir, device: str = "cpu") -> dict:
    """{"coarse": (8, 8) class score map at stride 32, "dense": (8f, 8f) the same class's map at stride 32 / f,
    "class": index, "label": name}. The coarse map is the network run on the photo shifted by 16 − 16 / f pixels,
    so each of its cells sits at the centre of an f × f block of the dense map (as bilinear upsampling assumes).
    Raises registry.WeightsMissing without the weights."""
    if STRIDE % factor or factor < 1:
        raise ValueError(f"factor must divide {STRIDE}")
    network = load_model(MODEL, weights_dir, device)
    photo = load_sample(sample).convert("RGB").resize((SIDE + STRIDE, SIDE + STRIDE), Image.BICUBIC)
    pixels = (torch.from_numpy(np.asarray(photo, np.float32)).permute(2, 0, 1) - efficientnet.PIXEL_MEAN) \
        / efficientnet.PIXEL_SCALE  # (3, SIDE + 32, SIDE + 32)
    step, centre = STRIDE // factor, STRIDE // 2 - STRIDE // (2 * factor)
    shifts = [(a * step, b * step) for a in range(factor) for b in range(factor)] + [(centre, centre)]
    crops = torch.stack([pixels[:, dy:dy + SIDE, dx:dx + SIDE] for dy, dx in shifts]).to(device)  # (f² + 1, 3, S, S)
    with torch.inference_mode():
        features = torch.cat([_features(network, part) for part in crops.split(16)])  # (f² + 1, 1280, 8, 8)
        coarse_features = features[-1]
        logits = network._fc(coarse_features.mean(dim=(1, 2)))
        top = int(logits.argmax())
        weight, bias = network._fc.weight[top], network._fc.bias[top]
        maps = torch.einsum("bchw,c->bhw", features, weight) + bias  # (f² + 1, 8, 8) class scores per position
    maps = maps.double().cpu().numpy()
    n = SIDE // STRIDE
    dense = np.zeros((n * factor, n * factor))
    for (dy, dx), values in zip(shifts[:-1], maps[:-1]):
        dense[dy // step::factor, dx // step::factor] = values
    return {"coarse": maps[-1], "dense": dense, "class": top, "label": IMAGENET_CATEGORIES[top],
            "score": float(logits[top])}
