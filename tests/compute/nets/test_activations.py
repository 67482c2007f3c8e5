"""Activation maps, the residual block and receptive fields, against independent references:
hand-run torchvision modules, torch.nn.functional, autograd and plain numpy."""

import math
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torchvision.models.resnet import BasicBlock

from app.compute.nets import activations, maps as activation_maps
from app.compute.ops import receptive_field
from app.compute.nets.architectures import architecture_table
from app.compute.errors import InputError
from app.compute.nets.registry import MODELS, WeightsMissing, clear_loaded, weights_path


@pytest.fixture(scope="module")
def resnet():
    torch.manual_seed(0)
    return torchvision.models.resnet18(weights=None).eval()


@pytest.fixture(scope="module")
def vgg():
    torch.manual_seed(0)
    return torchvision.models.vgg16(weights=None).eval()


@pytest.mark.parametrize("network", ["vgg16", "resnet18", "alexnet", "lenet5"])
def test_one_recorded_output_per_table_row(network):
    table = architecture_table(network)
    layers = activations.row_layers(network)
    assert len(layers) == len(table["layers"]) - 1
    for row, layer in zip(table["layers"][1:], layers):
        if row["kind"] == "conv":
            assert "kernel" in layer
        if row["kind"] == "fc":
            assert layer["out_features"] == row["output_shape"][0]


def test_vgg_rows_are_read_after_their_relu(vgg):
    targets = activations.row_targets("vgg16")
    modules = dict(vgg.named_modules())
    conv_rows = [r for r in architecture_table("vgg16")["layers"][1:] if r["kind"] == "conv"]
    assert len(conv_rows) == 13
    for name, row in zip(targets, architecture_table("vgg16")["layers"][1:]):
        expected = {"conv": nn.ReLU, "pool": nn.MaxPool2d}.get(row["kind"])
        if expected:
            assert isinstance(modules[name], expected), name
    assert targets[-1] == "classifier.6"  # the last fc has no ReLU: its logits are the row


def _vgg_by_hand(model, x):
    """The reference: VGG-16 run module by module, keeping what the lecture's table lists."""
    outputs = [x]
    h = x
    for module in model.features:
        h = module(h)
        if isinstance(module, (nn.ReLU, nn.MaxPool2d)):
            outputs.append(h.clone())
    h = torch.flatten(model.avgpool(h), 1)
    for module in model.classifier:
        h = module(h)
        if isinstance(module, nn.ReLU) or module is model.classifier[-1]:
            outputs.append(h.clone())
    return outputs


def test_vgg_layer_outputs_match_a_hand_run_forward(vgg):
    torch.manual_seed(1)
    x = torch.randn(1, 3, 64, 64)  # small: VGG's adaptive pool makes any size ≥ 32 work
    with torch.no_grad():
        expected = _vgg_by_hand(vgg, x)
    got = activations.layer_outputs(vgg, x, "vgg16")
    assert len(got) == len(expected) == 22
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b)


def test_resnet_layer_outputs_match_a_hand_run_forward(resnet):
    torch.manual_seed(2)
    x = torch.randn(1, 3, 64, 64)
    got = activations.layer_outputs(resnet, x, "resnet18")
    with torch.no_grad():
        stem = resnet.relu(resnet.bn1(resnet.conv1(x)))
        h = resnet.maxpool(stem)
        expected = [x, stem, h]
        for stage in (resnet.layer1, resnet.layer2, resnet.layer3, resnet.layer4):
            for block in stage:
                h = block(h)
                expected.append(h)
        pooled = resnet.avgpool(h)
        expected += [pooled, resnet.fc(torch.flatten(pooled, 1))]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b)


def test_hooks_are_removed_even_when_the_forward_fails(resnet):
    with pytest.raises(RuntimeError):
        activations.layer_outputs(resnet, torch.zeros(1, 5, 32, 32), "resnet18")  # 5 channels: conv1 refuses
    assert all(not m._forward_hooks for m in resnet.modules())


def test_network_activations_shapes_and_ranges(resnet):
    x = torch.rand(1, 3, 96, 96)
    rows = activations.network_activations(resnet, x, "resnet18", count=4, side=16)
    assert rows[0]["maps"] == [] and rows[0]["shape"] == [3, 96, 96]
    assert rows[-1]["maps"] == [] and rows[-1]["shape"] == [1000]
    for row in rows[1:-1]:
        assert len(row["maps"]) == 4
        for m in row["maps"]:
            assert m["pixels"].dtype == np.uint8 and max(m["pixels"].shape) <= 16
            assert row["low"] <= m["low"] <= m["high"] <= row["high"]
        assert 0 <= row["zero_fraction"] <= 1


def test_channel_maps_pick_the_most_active_channels_and_scale_each_one():
    activation = torch.zeros(5, 4, 4)
    activation[2] = torch.arange(16.0).reshape(4, 4)  # mean 7.5
    activation[4] = 1.0  # mean 1, flat
    activation[0, 0, 0] = -8.0  # mean −0.5
    maps = activation_maps.channel_maps(activation, count=3, side=8)
    assert [m["channel"] for m in maps] == [2, 4, 1]  # ties (channels 1 and 3 at 0) keep channel order
    ramp = maps[0]
    expected = np.rint(np.arange(16.0).reshape(4, 4) / 15 * 255).astype(np.uint8)
    np.testing.assert_array_equal(ramp["pixels"], expected)
    assert (ramp["low"], ramp["high"]) == (0.0, 15.0)
    assert not maps[1]["pixels"].any()  # a flat map has no range: black, not a division by zero


def test_channel_maps_shrink_large_maps_by_averaging():
    activation = torch.rand(2, 64, 32)
    maps = activation_maps.channel_maps(activation, count=1, side=16)
    assert maps[0]["pixels"].shape == (16, 8)


@given(st.lists(st.floats(-1e3, 1e3), min_size=1, max_size=30), st.floats(-10, 10), st.floats(0.1, 10))
def test_plane_pixels_is_a_clipped_linear_map(values, low, width):
    plane = np.array(values)
    high = low + width
    pixels = activation_maps.plane_pixels(plane, low, high)
    reference = [min(255, max(0, round((v - low) / (high - low) * 255))) for v in values]
    assert np.all(np.abs(pixels.astype(int) - np.array(reference)) <= 1)


def test_signed_pixels_put_zero_at_mid_grey():
    pixels, reach = activation_maps.signed_pixels(np.array([[-2.0, 0.0, 2.0, 1.0]]))
    assert reach == 2.0
    assert pixels.tolist() == [[0, 128, 255, 191]]


def _basic_block_by_hand(block: BasicBlock, x):
    """F(x) with torch.nn.functional and the block's tensors: conv, batch norm (eval), ReLU, conv, batch norm."""
    def bn(layer, h):
        return F.batch_norm(h, layer.running_mean, layer.running_var, layer.weight, layer.bias, False, 0.0, layer.eps)
    h = F.relu(bn(block.bn1, F.conv2d(x, block.conv1.weight, stride=block.conv1.stride, padding=1)))
    return bn(block.bn2, F.conv2d(h, block.conv2.weight, padding=1))


@pytest.mark.parametrize("downsample", [False, True])
def test_residual_parts_match_functional_reference_and_torchvision(downsample):
    torch.manual_seed(3)
    if downsample:
        projection = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False), nn.BatchNorm2d(16))
        block = BasicBlock(8, 16, stride=2, downsample=projection)
    else:
        block = BasicBlock(8, 8)
    for bn in (m for m in block.modules() if isinstance(m, nn.BatchNorm2d)):
        # Non-trivial running statistics, so eval-mode batch norm is not an identity.
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.2, 0.2)
    block.eval()
    x = torch.relu(torch.randn(2, 8, 10, 10))
    parts = activations.residual_parts(block, x)
    with torch.no_grad():
        fx = _basic_block_by_hand(block, x)
        shortcut = block.downsample(x) if downsample else x
        torch.testing.assert_close(parts["fx"], fx)
        torch.testing.assert_close(parts["shortcut"], shortcut)
        torch.testing.assert_close(parts["sum"], fx + shortcut)
        torch.testing.assert_close(parts["out"], block(x))  # torchvision's own forward
    assert parts["out"].shape == parts["fx"].shape == parts["shortcut"].shape
    assert (parts["out"] >= 0).all()


def test_residual_demo_without_weights_is_labelled_and_deterministic(tmp_path):
    demo = activations.residual_demo("chelsea", tmp_path)
    assert demo["trained"] is False and demo["block"] == "seeded"
    c, h, w = demo["x"].shape
    assert c == len(activations.HANDMADE_KERNELS) and (h, w) == (112, 112)
    assert (demo["x"] >= 0).all()  # after the hand-made layer's ReLU
    np.testing.assert_allclose(demo["out"], np.maximum(demo["fx"] + demo["x"], 0), atol=1e-5)
    again = activations.residual_demo("chelsea", tmp_path)
    np.testing.assert_allclose(again["fx"], demo["fx"])  # the seeded block is the same every time


def test_handmade_layer_is_a_strided_conv_with_the_preset_kernels():
    gray = torch.rand(1, 1, 20, 20)
    out = activations.handmade_layer(gray)
    sobel = torch.tensor([[-1.0, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    padded = F.pad(gray[0, 0], (1, 1, 1, 1))
    value = (padded[4:7, 6:9] * sobel).sum()  # output (2, 3) at stride 2 sees rows 4…6, columns 6…8
    torch.testing.assert_close(out[0, 0, 2, 3], torch.relu(value))


def test_seeded_block_leaves_the_global_random_state_alone():
    torch.manual_seed(5)
    before = torch.rand(3)
    torch.manual_seed(5)
    activations.seeded_block(4)
    assert torch.equal(torch.rand(3), before)


def _save_random_weights(name, weights_dir):
    torch.manual_seed(0)
    model = MODELS[name].build()
    torch.save(model.state_dict(), weights_path(MODELS[name], weights_dir))


def test_sample_activations_need_weights(tmp_path):
    with pytest.raises(WeightsMissing) as missing:
        activations.sample_activations("resnet18", "chelsea", tmp_path)
    assert missing.value.command == "stride weights fetch resnet18"


def test_sample_activations_with_weights_present(tmp_path):
    # Computed once per photo by the server's ModelService (tests/web/test_vgg_resnet.py); here, the same twice.
    _save_random_weights("resnet18", tmp_path)
    try:
        first = activations.sample_activations("resnet18", "coffee", tmp_path)
        second = activations.sample_activations("resnet18", "coffee", tmp_path)
        assert [r["low"] for r in first["rows"]] == [r["low"] for r in second["rows"]]
        assert first["crop"].shape == (224, 224, 3) and first["crop"].dtype == np.uint8
        assert [r["shape"] for r in first["rows"]][:3] == [[3, 224, 224], [64, 112, 112], [64, 56, 56]]
        demo = activations.residual_demo("coffee", tmp_path)
        assert demo["trained"] is True and demo["block"] == "layer1.0" and demo["x"].shape == (64, 56, 56)
    finally:
        clear_loaded()


def test_unknown_sample_and_network_are_input_errors(tmp_path):
    with pytest.raises(InputError):
        activations.sample_activations("resnet18", "no-such-photo", tmp_path)
    with pytest.raises(InputError):
        activations.row_layers("no-such-network")


def _receptive_field_by_autograd(layers, kernel, size=31):
    """Which input pixels move the centre output of `layers` stacked convs: autograd, not a formula."""
    torch.manual_seed(0)
    stack = nn.Sequential(*[nn.Conv2d(1, 1, kernel, padding=kernel // 2, bias=False) for _ in range(layers)])
    for conv in stack:
        nn.init.constant_(conv.weight, 1.0)  # positive weights: no accidental cancellation
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    stack(x)[0, 0, size // 2, size // 2].backward()
    return (x.grad[0, 0] != 0).numpy()


@settings(deadline=None, max_examples=15)
@given(st.integers(1, 6), st.sampled_from([1, 3, 5]))
def test_stacked_receptive_field_matches_autograd(layers, kernel):
    seen = _receptive_field_by_autograd(layers, kernel)
    rows = np.nonzero(seen.any(axis=1))[0]
    assert rows[-1] - rows[0] + 1 == receptive_field.stacked_receptive_field(layers, kernel)
    assert seen.sum() == receptive_field.stacked_receptive_field(layers, kernel) ** 2


@pytest.mark.parametrize("layers", [1, 2, 3, 5])
def test_receptive_field_rings_say_when_each_pixel_joins(layers):
    rings = np.array(receptive_field.receptive_field_rings(layers))
    for n in range(1, layers + 1):
        field = _receptive_field_by_autograd(n, 3)
        centre = field.shape[0] // 2
        half = rings.shape[0] // 2
        window = field[centre - half:centre + half + 1, centre - half:centre + half + 1]
        np.testing.assert_array_equal(window, rings <= n)


@given(st.integers(1, 8), st.integers(1, 512))
def test_stack_comparison_counts_match_real_layers(layers, channels):
    comparison = activations.stack_comparison(layers, channels)
    with torch.device("meta"):
        stack = [nn.Conv2d(channels, channels, 3, bias=False) for _ in range(layers)]
        field = comparison["receptive_field"]
        single = nn.Conv2d(channels, channels, field, bias=False)
    assert comparison["stack_weights"] == sum(p.numel() for conv in stack for p in conv.parameters())
    assert comparison["single_weights"] == sum(p.numel() for p in single.parameters())
    assert math.isclose(comparison["ratio"], comparison["single_weights"] / comparison["stack_weights"])


def test_stack_comparison_rejects_bad_sizes():
    for bad in (0, 65, 2.5, "3"):
        with pytest.raises(InputError):
            activations.stack_comparison(bad, 64)
    with pytest.raises(InputError):
        receptive_field.stacked_receptive_field(3, kernel=4)


@pytest.mark.parametrize(("c_in", "size", "c_out", "stride"), [(64, 56, 64, 1), (64, 56, 128, 2), (128, 15, 256, 2),
                                                                (32, 7, 64, 1)])
def test_residual_output_shape_matches_a_real_block(c_in, size, c_out, stride):
    shapes = activations.residual_output_shape(c_in, size, c_out, stride)
    downsample = None
    if shapes["projection"]:
        downsample = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))
    block = BasicBlock(c_in, c_out, stride=stride, downsample=downsample).eval()
    with torch.no_grad():
        out = block(torch.zeros(1, c_in, size, size))
    assert list(out.shape[1:]) == shapes["output"]
    assert shapes["projection"] == (stride != 1 or c_in != c_out)


def test_weight_layers_count_depth_as_the_papers_do():
    assert activations.weight_layers("vgg16") == 16
    assert activations.weight_layers("resnet18") == 18


@pytest.mark.parametrize(("shape", "side"), [((3, 64, 32), 16), ((2, 224, 224), 56), ((2, 50, 30), 16), ((1, 7, 7), 16)])
def test_shrink_is_area_interpolation(shape, side):
    planes = np.random.default_rng(0).random(shape, dtype=np.float32)
    got = activation_maps.shrink(planes, side)
    if max(shape[1:]) <= side:
        assert got is planes
        return
    scale = side / max(shape[1:])
    size = (max(1, round(shape[1] * scale)), max(1, round(shape[2] * scale)))
    expected = F.interpolate(torch.from_numpy(planes)[None], size=size, mode="area")[0].numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_summary_matches_torch():
    activation = torch.relu(torch.randn(8, 20, 20))
    low, high, zeros = activations._summary(activation)
    assert (low, high) == (float(activation.min()), float(activation.max()))
    assert math.isclose(zeros, float((activation == 0).float().mean()), rel_tol=1e-6)


def test_concurrent_recordings_on_one_shared_model_keep_their_own_outputs(resnet):
    # The registry hands every request the same model: each thread must get the maps of its own image.
    from concurrent.futures import ThreadPoolExecutor

    inputs = [torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(seed)) for seed in range(6)]
    expected = [activations.layer_outputs(resnet, x, "resnet18") for x in inputs]

    def run(x):
        plain = threading.Thread(target=lambda: [resnet(torch.rand(1, 3, 64, 64)) for _ in range(3)])
        plain.start()  # another request's bare forward through the same modules, at the same time
        got = activations.layer_outputs(resnet, x, "resnet18")
        plain.join()
        return got

    with torch.no_grad(), ThreadPoolExecutor(3) as pool:
        results = list(pool.map(run, inputs))
    for got, want in zip(results, expected):
        for a, b in zip(got, want):
            torch.testing.assert_close(a, b)


@pytest.mark.parametrize("side", [16, 200])
def test_rows_on_device_give_the_cpu_rows(resnet, side):
    """The GPU path, run on the CPU: the same channels, ranges and pixels (±1 level from float32 rounding)."""
    x = torch.rand(1, 3, 96, 96, generator=torch.Generator().manual_seed(3))
    outputs = activations.layer_outputs(resnet, x, "resnet18")
    ours = activations.rows_on_device(outputs, count=4, side=side)
    theirs = activations.network_activations(resnet, x, "resnet18", count=4, side=side)  # numpy, row by row
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a["shape"] == b["shape"] and a["index"] == b["index"]
        assert a["low"] == pytest.approx(b["low"], rel=1e-5, abs=1e-6)
        assert a["high"] == pytest.approx(b["high"], rel=1e-5, abs=1e-6)
        assert a["zero_fraction"] == pytest.approx(b["zero_fraction"], abs=1e-6)
        assert [m["channel"] for m in a["maps"]] == [m["channel"] for m in b["maps"]]
        for m, n in zip(a["maps"], b["maps"]):
            assert m["pixels"].dtype == np.uint8 and m["pixels"].shape == n["pixels"].shape
            assert np.abs(m["pixels"].astype(int) - n["pixels"].astype(int)).max() <= 1
            assert (m["low"], m["high"], m["mean"]) == pytest.approx((n["low"], n["high"], n["mean"]), rel=1e-5, abs=1e-6)
