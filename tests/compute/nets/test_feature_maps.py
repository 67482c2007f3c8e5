"""The feature hierarchy against independent references: numpy rankings, gradients for receptive fields,
layers called by hand for activations, published receptive fields, and the LeNet-5 fallback."""

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from app.compute import samples
from app.compute.nets import digits, feature_maps, lenet, maps as activation_maps, registry
from app.compute.nets.architectures import architecture_table
from app.compute.errors import InputError


# Ranking channels

@settings(max_examples=60, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 12), st.integers(1, 6), st.integers(1, 6)),
              elements=st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.25])), st.integers(1, 10))
def test_top_channels_match_a_numpy_ranking(volume, count):
    means = volume.astype(np.float64).mean(axis=(1, 2))
    expected = np.argsort(-means, kind="stable")[:count]  # ties: lower channel first
    ranked = activation_maps.top_channels(volume, count)
    assert [c for c, _ in ranked] == expected.tolist()
    assert np.allclose([m for _, m in ranked], means[expected])


def test_top_channels_wants_a_volume():
    with pytest.raises(ValueError):
        activation_maps.top_channels(np.zeros((3, 3)))


# Pictures of maps

def test_map_pixels_scale_from_zero_and_average_down():
    plane = np.arange(16, dtype=np.float32).reshape(4, 4)
    assert activation_maps.map_pixels(plane, 15.0).tolist() == np.rint(plane / 15 * 255).astype(np.uint8).tolist()
    small = activation_maps.map_pixels(plane, 15.0, side=2)  # 2×2 blocks averaged, as a plain loop would
    blocks = np.array([[plane[i:i + 2, j:j + 2].mean() for j in (0, 2)] for i in (0, 2)])
    assert small.tolist() == np.rint(blocks / 15 * 255).astype(np.uint8).tolist()
    assert activation_maps.map_pixels(np.zeros((3, 3)), 0.0).max() == 0  # a silent layer is black, not NaN


def test_layer_summary_shares_one_scale():
    volume = np.zeros((3, 2, 2), dtype=np.float32)
    volume[0] = 4.0
    volume[1, 0, 0] = 2.0
    summary = activation_maps.layer_summary({"name": "x"}, volume, count=3)
    assert [m["channel"] for m in summary["maps"]] == [0, 1, 2]
    assert summary["scale"] == 4.0
    assert summary["maps"][0]["pixels"].max() == 255 and summary["maps"][1]["pixels"].max() == 128
    assert summary["zero_fraction"] == pytest.approx(7 / 12)


# Receptive fields

def _gradient_field(net: nn.Module, side: int) -> int:
    """Input rows that reach the centre value of net's output, found by backpropagation (ones in, positive weights)."""
    x = torch.ones(1, net[0].in_channels if hasattr(net[0], "in_channels") else 3, side, side, requires_grad=True)
    out = net(x)
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    rows = torch.nonzero((x.grad[0].abs().sum(0) > 0).any(1)).flatten()
    return int(rows.max() - rows.min() + 1)


def _positive(net: nn.Module) -> nn.Module:
    """Every conv's weights set to a small positive constant and every max pool swapped for an average pool of the
    same window (a max sends its gradient to one input only), so every path to the output carries gradient."""
    for name, module in list(net.named_children()):
        if isinstance(module, nn.MaxPool2d):
            setattr(net, name, nn.AvgPool2d(module.kernel_size, module.stride, module.padding))
        else:
            _positive(module)
        if isinstance(module, nn.Conv2d):
            nn.init.constant_(module.weight, 0.01)
    return net.eval()


@pytest.mark.parametrize("layers", [
    [("conv", 3, 1), ("conv", 3, 1)],
    [("conv", 3, 1), ("pool", 2, 2), ("conv", 3, 1)],
    [("conv", 5, 2), ("pool", 3, 2), ("conv", 3, 1), ("conv", 3, 1)],
    [("conv", 7, 2), ("pool", 2, 2), ("conv", 5, 1), ("pool", 2, 2), ("conv", 3, 1)],
])
def test_receptive_fields_match_backpropagation(layers):
    modules = [nn.Conv2d(1, 1, k, s) if kind == "conv" else nn.MaxPool2d(k, s) for kind, k, s in layers]
    net = nn.Sequential(*modules)
    fields = feature_maps.receptive_fields(net)
    last = str(len(layers) - 1)
    assert fields[last][0] == _gradient_field(_positive(net), 96)


def test_resnet_receptive_fields_match_backpropagation():
    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None)
    expected = {layer["name"]: layer["receptive_field"] for layer in feature_maps.feature_layers("resnet18")}
    _positive(model)
    stem = [model.conv1, model.bn1, model.relu, model.maxpool]
    for name, upto in (("layer2.1", [model.layer1, model.layer2]), ("layer3.1", [model.layer1, model.layer2, model.layer3])):
        net = nn.Sequential(*stem, *upto)
        with torch.enable_grad():
            assert _gradient_field(net, 288) == expected[name], name


def test_receptive_fields_of_the_real_networks_match_published_values():
    # Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural Networks", Distill 2019,
    # table of networks: vgg_16 pool5 212, alexnet_v2 pool5 195 (the same geometry as torchvision's AlexNet).
    vgg = feature_maps.receptive_fields(torchvision.models.vgg16(weights=None).features)
    assert vgg["30"] == (212, 32)  # pool5: the field and the 32-px jump of its outputs
    alexnet = feature_maps.receptive_fields(torchvision.models.alexnet(weights=None).features)
    assert alexnet["12"][0] == 195


# Layers and shapes

@pytest.mark.parametrize("model", list(feature_maps.FEATURE_NETWORKS))
def test_feature_layers_are_the_conv_rows_of_the_architecture_table(model):
    table = architecture_table(feature_maps.FEATURE_NETWORKS[model])["layers"]
    rows = [r for r in table if r["kind"] in ("conv", "block")]
    layers = feature_maps.feature_layers(model)
    assert [l["name"] for l in layers] == [r["name"] for r in rows]
    assert [l["shape"] for l in layers] == [r["output_shape"] for r in rows]
    fields = [l["receptive_field"] for l in layers]
    assert fields == sorted(fields)
    grows = [field for field, layer in zip(fields, layers) if layer["kernel"] > 1]
    assert len(set(grows)) == len(grows)  # every layer but a 1×1 conv (EfficientNet's head) sees more than the one before
    stages = feature_maps.stages(layers)
    sides = [layers[i]["shape"][1] for i in stages]
    assert sides == sorted(set(sides), reverse=True) and stages[-1] == len(layers) - 1


def test_lenet_layers():
    layers = feature_maps.lenet_layers()
    assert [(l["name"], l["shape"], l["receptive_field"]) for l in layers] == [
        ("c1", [6, 28, 28], 5), ("c3", [16, 10, 10], 5 + 1 + 4 * 2), ("c5", [120, 1, 1], 14 + 1 * 2 + 4 * 4)]


@pytest.mark.parametrize("configuration", ["A", "D", "E"])
@pytest.mark.parametrize("side", [224, 128])
def test_vgg_shapes_halve_at_every_pool(configuration, side):
    rows = feature_maps.vgg_shapes(configuration, side)
    pools, channels = 0, 3
    for row in rows:
        if row["kind"] == "pool":
            pools += 1
        else:
            channels = int(row["label"].split("-")[1])
        assert row["shape"] == [side // 2**pools, side // 2**pools, channels]
    if configuration == "D" and side == 224:
        table = [r for r in architecture_table("vgg16")["layers"] if r["kind"] in ("conv", "pool")]
        assert [row["shape"] for row in rows] == [[r["output_shape"][1], r["output_shape"][2], r["output_shape"][0]]
                                                  for r in table]


def test_unknown_model_is_refused():
    with pytest.raises(InputError) as caught:
        feature_maps.feature_layers("lenet5")
    assert caught.value.status == 404 and "resnet18" in caught.value.message("en")


# The hierarchy of a network

@pytest.fixture(scope="module")
def weights_dir(tmp_path_factory):
    """ResNet-18 with seeded random weights saved as if fetched: for shapes and bookkeeping, never shown to students."""
    folder = tmp_path_factory.mktemp("weights")
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18(weights=None).state_dict(),
               registry.weights_path(registry.MODELS["resnet18"], folder))
    yield folder
    registry.clear_loaded()


def test_image_hierarchy_matches_the_layers_called_by_hand(weights_dir):
    photo = samples.load_sample("coffee")
    result = feature_maps.image_hierarchy("resnet18", photo, weights_dir)
    model = registry.load_model("resnet18", weights_dir)
    x, crop = activation_maps.prepare_photo("resnet18", photo)
    assert crop.shape == (224, 224, 3) and result["input"].shape == (224, 224, 3)
    with torch.inference_mode():
        stem = model.relu(model.bn1(model.conv1(x)))
        outputs = {"conv1": stem}
        h = model.maxpool(stem)
        for stage in (1, 2, 3, 4):
            for index, block in enumerate(getattr(model, f"layer{stage}")):
                h = block(h)
                outputs[f"layer{stage}.{index}"] = h
    assert [l["name"] for l in result["layers"]] == list(outputs)
    for layer in result["layers"]:
        reference = outputs[layer["name"]][0].numpy().astype(np.float64)
        means = reference.mean(axis=(1, 2))
        order = np.argsort(-means, kind="stable")[:feature_maps.CHANNELS_SHOWN]
        assert [m["channel"] for m in layer["maps"]] == order.tolist()
        assert np.allclose([m["mean"] for m in layer["maps"]], means[order], rtol=1e-5)
        assert np.allclose([m["max"] for m in layer["maps"]], reference[order].max(axis=(1, 2)), rtol=1e-5)
        assert layer["shape"] == list(reference.shape)
        assert layer["scale"] == pytest.approx(reference[order].max())
        side = min(reference.shape[1], activation_maps.MAX_MAP_SIDE)
        assert all(m["pixels"].shape == (side, side) and m["pixels"].dtype == np.uint8 for m in layer["maps"])


def test_sample_hierarchy_is_the_same_every_time(weights_dir):
    # Computed once per photo by the server's ModelService (tests/web/test_service.py); here, the same twice.
    first = feature_maps.sample_hierarchy("resnet18", "chelsea", weights_dir)
    again = feature_maps.sample_hierarchy("resnet18", "chelsea", weights_dir)
    assert [[m["channel"] for m in layer["maps"]] for layer in again["layers"]] == \
        [[m["channel"] for m in layer["maps"]] for layer in first["layers"]]
    assert first["sample"] == "chelsea"
    with pytest.raises(InputError):
        feature_maps.sample_hierarchy("resnet18", "nope", weights_dir)
    with pytest.raises(InputError):
        feature_maps.sample_hierarchy("lenet5", "chelsea", weights_dir)


def test_missing_weights_name_the_command(tmp_path):
    with pytest.raises(registry.WeightsMissing) as caught:
        feature_maps.sample_hierarchy("vgg16", "chelsea", tmp_path)
    assert caught.value.command == "stride weights fetch vgg16"
    with pytest.raises(registry.WeightsMissing):
        feature_maps.image_hierarchy("alexnet", samples.load_sample("rocket"), tmp_path)


# The LeNet-5 fallback

def test_digit_hierarchy_is_the_trained_lenet_on_a_sample_digit():
    result = feature_maps.digit_hierarchy(7)
    pixels = lenet.preprocess_digit(digits.sample_digit(7))["padded"]
    reference = lenet.predict(pixels)
    assert result["prediction"] == reference["prediction"] == 7  # the course's trained weights read its own 7
    assert result["input"].shape == (32, 32)
    assert [l["name"] for l in result["layers"]] == ["c1", "c3", "c5"]
    for layer in result["layers"]:
        values = reference["activations"][layer["name"]].astype(np.float64)
        means = values.mean(axis=(1, 2))
        order = np.argsort(-means, kind="stable")[:feature_maps.CHANNELS_SHOWN]
        assert [m["channel"] for m in layer["maps"]] == order.tolist()
    assert len(result["layers"][0]["maps"]) == 6  # C1 has only 6 channels: all of them


def test_digit_hierarchy_refuses_other_digits():
    with pytest.raises(InputError):
        feature_maps.digit_hierarchy(10)
