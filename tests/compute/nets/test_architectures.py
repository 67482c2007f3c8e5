"""Architecture tables against arithmetic written here: W2 = (W − F + 2P)/S + 1, F·F·D1·K + K, in·out + out."""

import re

import pytest
import torchvision

from app.compute.nets.architectures import (
    architecture_table,
    compare_vgg16_with_lecture,
    lecture_vgg16_figures,
    vgg_configurations,
)
from app.compute.errors import InputError
from app.compute.nets import architectures, layer_text


def out_size(w: int, f: int, p: int, s: int) -> int:
    return (w - f + 2 * p) // s + 1


def expected_rows(input_shape, spec):
    """Walk a spec of ('conv', K, F, S, P) / ('pool', F, S, P) / ('norm',) / ('fc', N) rows by hand."""
    c, h, w = input_shape
    flat = None
    rows = []
    for layer in spec:
        kind = layer[0]
        if kind == "conv":
            _, k, f, s, p = layer
            params = f * f * c * k + k
            h, w = out_size(h, f, p, s), out_size(w, f, p, s)
            macs = h * w * k * f * f * c
            c = k
            rows.append((kind, [c, h, w], params, macs))
        elif kind == "pool":
            _, f, s, p = layer
            h, w = out_size(h, f, p, s), out_size(w, f, p, s)
            rows.append((kind, [c, h, w], 0, 0))
        elif kind == "norm":
            rows.append((kind, [c, h, w], 0, 0))
        else:
            _, n = layer
            n_in = flat if flat is not None else c * h * w
            rows.append((kind, [n], n_in * n + n, n_in * n))
            flat = n
    return rows


def check_against(table, spec):
    expected = expected_rows(table["input_shape"], spec)
    layers = table["layers"][1:]
    assert [(r["kind"], r["output_shape"], r["params"], r["macs"]) for r in layers] == expected
    return layers


def check_totals(table):
    rows = table["layers"]
    for key in ("activations", "activation_bytes", "params", "macs"):
        assert table["totals"][key] == sum(r[key] for r in rows)
    for r in rows:
        n = 1
        for d in r["output_shape"]:
            n *= d
        assert r["activations"] == n
        assert r["activation_bytes"] == 4 * n
        assert r["params"] == r["weights"] + r["biases"]


SCHEMA_ROW_KEYS = {"name", "kind", "output_shape", "activations", "activation_bytes", "params", "weights",
                   "biases", "macs", "detail", "parts"}

VGG16_SPEC = (
    [("conv", 64, 3, 1, 1)] * 2 + [("pool", 2, 2, 0)]
    + [("conv", 128, 3, 1, 1)] * 2 + [("pool", 2, 2, 0)]
    + [("conv", 256, 3, 1, 1)] * 3 + [("pool", 2, 2, 0)]
    + [("conv", 512, 3, 1, 1)] * 3 + [("pool", 2, 2, 0)]
    + [("conv", 512, 3, 1, 1)] * 3 + [("pool", 2, 2, 0)]
    + [("fc", 4096), ("fc", 4096), ("fc", 1000)]
)

ALEXNET_SPEC = [
    ("conv", 96, 11, 4, 0), ("pool", 3, 2, 0), ("norm",),
    ("conv", 256, 5, 1, 2), ("pool", 3, 2, 0), ("norm",),
    ("conv", 384, 3, 1, 1), ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2, 0),
    ("fc", 4096), ("fc", 4096), ("fc", 1000),
]

# The lecture's listing, as written there: [H x W x C] and the layer's name.
ALEXNET_LECTURE = [
    ("INPUT", [227, 227, 3]), ("CONV1", [55, 55, 96]), ("MAX POOL1", [27, 27, 96]), ("NORM1", [27, 27, 96]),
    ("CONV2", [27, 27, 256]), ("MAX POOL2", [13, 13, 256]), ("NORM2", [13, 13, 256]),
    ("CONV3", [13, 13, 384]), ("CONV4", [13, 13, 384]), ("CONV5", [13, 13, 256]), ("MAX POOL3", [6, 6, 256]),
    ("FC6", [4096]), ("FC7", [4096]), ("FC8", [1000]),
]

VGG16_LECTURE_WEIGHTS = [
    0, 1_728, 36_864, 0, 73_728, 147_456, 0, 294_912, 589_824, 589_824, 0,
    1_179_648, 2_359_296, 2_359_296, 0, 2_359_296, 2_359_296, 2_359_296, 0,
    102_760_448, 16_777_216, 4_096_000,
]


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "alexnet-torchvision", "vgg16", "resnet18"])
def test_schema_and_totals(name):
    table = architecture_table(name)
    assert set(table) == {"name", "title", "input_shape", "layers", "totals"}
    assert table["name"] == name
    assert set(table["title"]) == {"en", "ru"} and all(table["title"].values())
    assert set(table["totals"]) == {"activations", "activation_bytes", "params", "macs"}
    assert table["layers"][0]["kind"] == "input"
    assert table["layers"][0]["output_shape"] == table["input_shape"]
    for row in table["layers"]:
        assert set(row) == SCHEMA_ROW_KEYS
        assert row["kind"] in {"input", "conv", "pool", "norm", "fc", "block"}
        assert isinstance(row["detail"], str) and row["detail"]
    assert len({r["name"] for r in table["layers"]}) == len(table["layers"])
    check_totals(table)


def test_vgg16_against_arithmetic_and_lecture():
    table = architecture_table("vgg16")
    layers = check_against(table, VGG16_SPEC)
    assert table["totals"]["params"] == 138_357_544
    assert [r["weights"] for r in table["layers"]] == VGG16_LECTURE_WEIGHTS
    assert sum(r["biases"] for r in layers) == 2 * 64 + 2 * 128 + 3 * 256 + 6 * 512 + 4096 + 4096 + 1000
    assert layers[0]["detail"] == "3×3 conv, 64 filters, stride 1, pad 1"


def test_vgg16_params_equal_torchvision_model():
    model = torchvision.models.vgg16(weights=None)
    assert architecture_table("vgg16")["totals"]["params"] == sum(p.numel() for p in model.parameters())


def test_original_alexnet_matches_lecture_listing():
    table = architecture_table("alexnet")
    check_against(table, ALEXNET_SPEC)
    assert table["input_shape"] == [3, 227, 227]
    listed = []
    for row in table["layers"]:
        shape = row["output_shape"]
        listed.append(shape[1:] + shape[:1] if len(shape) == 3 else shape)  # [C, H, W] -> [H, W, C]
    assert listed == [shape for _, shape in ALEXNET_LECTURE]
    kinds = [r["kind"] for r in table["layers"]]
    assert kinds == ["input", "conv", "pool", "norm", "conv", "pool", "norm", "conv", "conv", "conv", "pool",
                     "fc", "fc", "fc"]
    conv1 = table["layers"][1]
    assert conv1["detail"] == "11×11 conv, 96 filters, stride 4, pad 0"
    assert conv1["params"] == 11 * 11 * 3 * 96 + 96 == 34_944
    assert "max pool" in table["layers"][2]["detail"]


def test_torchvision_alexnet():
    table = architecture_table("alexnet-torchvision")
    check_against(table, [
        ("conv", 64, 11, 4, 2), ("pool", 3, 2, 0), ("conv", 192, 5, 1, 2), ("pool", 3, 2, 0),
        ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2, 0),
        ("fc", 4096), ("fc", 4096), ("fc", 1000),
    ])
    model = torchvision.models.alexnet(weights=None)
    assert table["totals"]["params"] == sum(p.numel() for p in model.parameters())


def test_lenet5_table():
    table = architecture_table("lenet5")
    layers = check_against(table, [
        ("conv", 6, 5, 1, 0), ("pool", 2, 2, 0), ("conv", 16, 5, 1, 0), ("pool", 2, 2, 0),
        ("conv", 120, 5, 1, 0), ("fc", 84), ("fc", 10),
    ])
    assert [r["name"] for r in layers] == ["c1", "s2", "c3", "s4", "c5", "f6", "output"]
    assert layers[4]["output_shape"] == [120, 1, 1]
    assert table["totals"]["params"] == 156 + 2_416 + 48_120 + 10_164 + 850


def test_resnet18_blocks():
    table = architecture_table("resnet18")
    model = torchvision.models.resnet18(weights=None)
    assert table["totals"]["params"] == sum(p.numel() for p in model.parameters())
    names = [r["name"] for r in table["layers"]]
    blocks = [f"layer{i}.{j}" for i in range(1, 5) for j in range(2)]
    assert names == ["input", "conv1", "maxpool", *blocks, "avgpool", "fc"]
    shapes = {r["name"]: r["output_shape"] for r in table["layers"]}
    stem = out_size(224, 7, 3, 2)
    assert shapes["conv1"] == [64, stem, stem]
    pooled = out_size(stem, 3, 1, 2)
    assert shapes["maxpool"] == [64, pooled, pooled]
    side = pooled
    for i, channels in enumerate([64, 128, 256, 512], start=1):
        side = side if i == 1 else out_size(side, 3, 1, 2)
        assert shapes[f"layer{i}.0"] == shapes[f"layer{i}.1"] == [channels, side, side]
    assert shapes["avgpool"] == [512, 1, 1] and shapes["fc"] == [1000]
    for row in table["layers"]:
        if row["kind"] == "block":
            block = model.get_submodule(row["name"])
            assert row["params"] == sum(p.numel() for p in block.parameters())
    # A plain block: two 3×3 convs over 56×56×64, no bias (batch norm follows).
    assert table["layers"][3]["macs"] == 2 * 56 * 56 * 64 * 3 * 3 * 64
    # A downsampling block adds a 1×1 stride-2 projection.
    assert table["layers"][5]["macs"] == 28 * 28 * 128 * (3 * 3 * 64 + 3 * 3 * 128 + 64)
    assert table["layers"][1]["params"] == 7 * 7 * 3 * 64 + 2 * 64  # conv without bias + batch norm γ, β


def test_unknown_network_is_404():
    with pytest.raises(InputError) as error:
        architecture_table("googlenet")
    assert error.value.status == 404
    assert error.value.message("ru") != error.value.message("en")


def test_tables_are_copies():
    table = architecture_table("lenet5")
    table["layers"].clear()
    assert architecture_table("lenet5")["layers"]


def _params_from_labels(labels):
    """Parameters of a VGG configuration from its labels alone: 224×224 input, five 2×2 pools."""
    total, c_in, flat = 0, 3, None
    for label in labels:
        if match := re.fullmatch(r"conv(\d)-(\d+)", label):
            f, k = int(match[1]), int(match[2])
            total += f * f * c_in * k + k
            c_in = k
        elif match := re.fullmatch(r"FC-(\d+)", label):
            n = int(match[1])
            n_in = flat if flat is not None else c_in * 7 * 7
            total += n_in * n + n
            flat = n
    return total


def test_vgg_configurations():
    configs = vgg_configurations()
    assert list(configs) == ["B", "C", "D"]
    assert [configs[c]["weight_layers"] for c in "BCD"] == [13, 16, 16]
    for config in configs.values():
        labels = config["labels"]
        weight_layers = sum(label.startswith(("conv", "FC")) for label in labels)
        assert config["weight_layers"] == weight_layers
        assert config["params"] == _params_from_labels(labels)
        assert labels.count("maxpool") == 5 and labels[-4:] == ["FC-4096", "FC-4096", "FC-1000", "soft-max"]
    blocks_c = " ".join(configs["C"]["labels"]).split(" maxpool")
    assert [block.split()[-1] for block in blocks_c[2:5]] == ["conv1-256", "conv1-512", "conv1-512"]
    assert sum(label.startswith("conv1") for label in configs["C"]["labels"]) == 3
    assert not any(label.startswith("conv1") for label in configs["B"]["labels"] + configs["D"]["labels"])
    assert configs["D"]["params"] == 138_357_544
    assert configs["D"]["labels"][:3] == ["conv3-64", "conv3-64", "maxpool"]


def test_vgg_configuration_unknown():
    with pytest.raises(InputError) as error:
        vgg_configurations(("Z",))
    assert error.value.status == 404


def test_lecture_figures_and_comparison():
    lecture = lecture_vgg16_figures()
    assert len(lecture["rows"]) == 22
    assert [r["params_value"] for r in lecture["rows"]] == VGG16_LECTURE_WEIGHTS
    assert lecture["rows"][1]["memory"].endswith("3.2M")

    compared = compare_vgg16_with_lecture()
    assert all(r["weights_match"] for r in compared["rows"])
    assert compared["lecture_weights_sum"] == compared["weights"] == sum(VGG16_LECTURE_WEIGHTS)
    assert compared["weights"] + compared["biases"] == compared["params"] == 138_357_544

    shapes = [[3, 224, 224]] + [r[1] for r in expected_rows([3, 224, 224], VGG16_SPEC)]
    values = 0
    for shape in shapes:
        n = 1
        for d in shape:
            n *= d
        values += n
    assert compared["activations"] == values
    assert compared["forward_bytes"] == 4 * values
    assert compared["forward_backward_bytes"] == 8 * values
    assert compared["lecture_memory_bytes"] == 24_000_000 * 4
    assert compared["lecture_memory_mib"] == pytest.approx(96e6 / 2**20)
    # Every rounded figure in the lecture's rows is within 7 % of the exact count.
    for quoted, computed in zip(lecture["rows"], compared["rows"]):
        assert quoted["memory_value"] == pytest.approx(computed["activations"], rel=0.07)


def test_detail_is_the_parts_in_english():
    table = architectures.architecture_table("resnet18")
    for row in table["layers"]:
        assert row["detail"] == layer_text.english(row["parts"])
    conv1 = table["layers"][1]
    assert conv1["parts"][:3] == [("conv", {"kernel": "7×7", "filters": 64}), ("stride", {"stride": 2}), ("pad", {"pad": 3})]
    assert conv1["detail"] == "7×7 conv, 64 filters, stride 2, pad 3 + batch norm"
    blocks = [row["detail"] for row in table["layers"] if row["kind"] == "block"]
    assert blocks[0] == "residual block: 3×3 conv 64 → 3×3 conv 64, + identity shortcut"
    assert blocks[2] == "residual block: 3×3 conv 128 stride 2 → 3×3 conv 128, + 1×1 conv 128 stride 2 shortcut"
