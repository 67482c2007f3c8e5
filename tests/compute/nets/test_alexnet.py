"""AlexNet facts, tables, activation curves and dropout, each against an independent reference."""

import math

import numpy as np
import pytest
import torch
import torchvision
from hypothesis import given, settings
from hypothesis import strategies as st

from app.compute.nets import alexnet
from app.compute.nets.architectures import architecture_table
from app.compute.errors import InputError


def test_lecture_listing_parses_every_line():
    rows = alexnet.lecture_listing()
    assert len(rows) == len(alexnet.LECTURE_LISTING) == 14
    assert [r["label"] for r in rows][:4] == ["INPUT", "CONV1", "MAX POOL1", "NORM1"]
    assert rows[1]["settings"] == {"filters": 96, "size": 11, "stride": 4, "pad": 0}
    assert rows[2]["settings"] == {"size": 3, "stride": 2}
    assert rows[-1]["shape"] == [1000] and rows[0]["shape"] == [227, 227, 3]


def test_computed_alexnet_matches_the_lecture_line_by_line():
    comparison = alexnet.compare_with_lecture()
    assert comparison["all_match"]
    for row in comparison["rows"]:
        assert row["shape"] == row["lecture_shape"], row["lecture"]


def test_lecture_shapes_follow_from_the_formula():
    """Independent of PyTorch: every conv and pool line's output from W2 = (W − F + 2P)/S + 1."""
    rows = alexnet.lecture_listing()
    for previous, row in zip(rows, rows[1:]):
        if "settings" not in row:
            continue
        s = row["settings"]
        w = previous["shape"][0]
        w2 = (w - s["size"] + 2 * s.get("pad", 0)) / s["stride"] + 1
        assert w2 == row["shape"][0], row["text"]
        assert row["shape"][2] == s.get("filters", previous["shape"][2])


def test_parameter_shares_and_totals():
    comparison = alexnet.compare_with_lecture()
    table = architecture_table("alexnet")
    assert sum(r["params"] for r in comparison["rows"]) == table["totals"]["params"]
    assert sum(r["params_share"] for r in comparison["rows"]) == pytest.approx(1.0)
    # FC6: 6·6·256 inputs to 4096 neurons, plus biases.
    fc6 = next(r for r in comparison["rows"] if r["name"] == "fc6")
    assert fc6["params"] == 6 * 6 * 256 * 4096 + 4096
    assert comparison["fc_params"] == sum(a * b + b for a, b in [(9216, 4096), (4096, 4096), (4096, 1000)])
    assert comparison["fc_share"] > 0.9 and comparison["conv_macs_share"] > 0.9


def test_training_details_quote_the_lecture():
    details = {d["key"]: d for d in alexnet.training_details()}
    assert list(details) == ["relu", "norm", "augmentation", "dropout", "batch", "momentum", "learning_rate",
                             "weight_decay", "ensemble"]
    # Every value the lecture states appears in its quoted words.
    assert "0.5" in details["dropout"]["quote"] and details["dropout"]["values"]["p"] == 0.5
    assert "128" in details["batch"]["quote"] and details["batch"]["values"]["batch"] == 128
    assert "0.9" in details["momentum"]["quote"]
    assert "1e-2" in details["learning_rate"]["quote"] and details["learning_rate"]["values"]["lr"] == 1e-2
    assert "5e-4" in details["weight_decay"]["quote"] and details["weight_decay"]["values"]["decay"] == 5e-4
    assert "18.2%" in details["ensemble"]["quote"] and "15.4%" in details["ensemble"]["quote"]
    assert details["ensemble"]["values"]["models"] == 7


def test_training_details_derived_numbers():
    details = {d["key"]: d for d in alexnet.training_details()}
    assert details["ensemble"]["values"]["gain"] == pytest.approx(18.2 - 15.4)
    assert details["learning_rate"]["values"]["rates"] == pytest.approx([1e-2, 1e-3, 1e-4, 1e-5])
    assert "0.01 → 0.001 → 0.0001 → 0.00001" in details["learning_rate"]["note"]["en"]
    assert "0,01 → 0,001" in details["learning_rate"]["note"]["ru"]
    assert details["norm"]["values"] == {"size": 5, "k": 2.0, "alpha": 1e-4, "beta": 0.75}
    for detail in details.values():
        assert "{" not in detail["text"]["en"] + detail["text"]["ru"] + detail["note"]["en"] + detail["note"]["ru"]


@pytest.mark.parametrize("value, en, ru", [(0.5, "0.5", "0,5"), (1e-2, "0.01", "0,01"), (5e-4, "0.0005", "0,0005"),
                                           (128, "128", "128"), (2.8, "2.8", "2,8")])
def test_number_text(value, en, ru):
    assert alexnet.number_text(value, "en") == en and alexnet.number_text(value, "ru") == ru


def test_torchvision_comparison_against_torchvision_itself():
    comparison = alexnet.compare_with_torchvision()
    model = torchvision.models.alexnet(weights=None)
    convs = [m for m in model.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [64, 192, 384, 256, 256]
    rows = [r for r in comparison["rows"] if r["kind"] == "conv"]
    assert [r["torchvision"]["params"] for r in rows] == [c.weight.numel() + c.bias.numel() for c in convs]
    params = sum(p.numel() for p in model.parameters())
    assert comparison["totals"]["params"]["torchvision"] == params
    original = architecture_table("alexnet")["totals"]
    assert comparison["totals"]["params"]["diff"] == params - original["params"]
    assert sum(r["params_diff"] for r in comparison["rows"]) == params - original["params"]
    # No LRN in torchvision: the norm rows have no partner.
    assert [r["torchvision"] for r in comparison["rows"] if r["kind"] == "norm"] == [None, None]
    # Same shapes everywhere except the conv depths.
    assert all(r["same_shape"] for r in comparison["rows"] if r["kind"] in ("fc",))


def test_torchvision_macs_by_hand():
    comparison = alexnet.compare_with_torchvision()
    # conv1: 64 filters 11×11×3 over 55×55 outputs.
    conv1 = comparison["rows"][1]["torchvision"]
    assert conv1["macs"] == 55 * 55 * 64 * 11 * 11 * 3
    assert comparison["totals"]["macs"]["diff"] < 0


def test_227_puzzle():
    at224, at227 = alexnet.input_size_puzzle((224, 227))
    assert not at224["valid"] and at224["formula"].endswith("54.25") and at224["floor_output"] == 54
    assert at227["valid"] and at227["output_size"] == 55
    torchvision_style = alexnet.input_size_puzzle((224,), padding=2)[0]
    assert not torchvision_style["valid"] and torchvision_style["floor_output"] == 55
    # Valid widths are spaced by the stride.
    widths = alexnet.valid_widths(200, 240)
    assert all((w - 11) % 4 == 0 for w in widths) and 227 in widths and 224 not in widths
    assert np.diff(widths).tolist() == [4] * (len(widths) - 1)


def test_activation_curves_against_numpy():
    curves = alexnet.activation_curves(-4, 4, 81)
    x = np.array(curves["x"])
    assert np.allclose(curves["relu"], np.maximum(x, 0))
    assert np.allclose(curves["tanh"], np.tanh(x))
    assert np.allclose(curves["tanh_slope"], 1 - np.tanh(x) ** 2)
    assert np.allclose(curves["relu_slope"], (x > 0).astype(float))


@given(st.floats(-50, 50, allow_nan=False))
def test_activations_at(x):
    point = alexnet.activations_at(x)
    assert point["relu"] == max(x, 0.0)
    assert point["tanh"] == pytest.approx(math.tanh(x))
    assert point["tanh_slope"] == pytest.approx(1 - math.tanh(x) ** 2, abs=1e-12)


@pytest.mark.parametrize("args", [(1, 1, 10), (2, 1, 10), (-1, 1, 1), (0, 1, 10**6), (float("nan"), 1, 10)])
def test_activation_curves_reject(args):
    with pytest.raises(InputError):
        alexnet.activation_curves(*args)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 5, allow_nan=False), min_size=1, max_size=20), st.floats(0, 0.9),
       st.integers(0, 10**6))
def test_dropout_demo_properties(values, p, seed):
    demo = alexnet.dropout_demo(values, p, seed, repeats=50)
    x = np.array(values)
    keep = np.array(demo["keep"])
    assert np.allclose(demo["train_pytorch"], np.where(keep, x / (1 - p), 0.0))
    assert np.allclose(demo["train_paper"], np.where(keep, x, 0.0))
    assert np.allclose(demo["test_paper"], x * (1 - p))
    assert demo["test_pytorch"] == demo["functional"] == list(x)  # eval-mode dropout is the identity
    assert demo["kept"] == keep.sum()
    # Same seed, same mask.
    assert alexnet.dropout_demo(values, p, seed, repeats=50)["keep"] == demo["keep"]


def test_dropout_expectation_and_rate():
    values = [1.0] * 64
    demo = alexnet.dropout_demo(values, 0.5, 3, repeats=4000)
    # Each mean over 4000 masks: standard error sqrt(p/(1 − p)/4000) ≈ 0.016.
    assert np.allclose(demo["mean_over_masks"], values, atol=0.08)
    kept = [alexnet.dropout_demo(values, 0.5, seed, repeats=1)["kept"] for seed in range(50)]
    assert abs(np.mean(kept) / 64 - 0.5) < 0.05


def test_dropout_matches_torch_bernoulli_with_the_same_generator():
    x = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)
    demo = alexnet.dropout_demo(x.tolist(), 0.3, 11, repeats=1)
    mask = torch.bernoulli(torch.full_like(x, 0.7), generator=torch.Generator().manual_seed(11))
    assert demo["keep"] == [bool(m) for m in mask.tolist()]


@pytest.mark.parametrize("values, p", [([], 0.5), ([1.0] * 65, 0.5), ([float("nan")], 0.5), ([1.0], 1.0), ([1.0], -0.1),
                                       ([[1.0]], 0.5)])
def test_dropout_rejects(values, p):
    with pytest.raises(InputError):
        alexnet.dropout_demo(values, p, 0)


def test_dropout_vector_is_seeded_and_relu_like():
    a, b = alexnet.dropout_vector(5), alexnet.dropout_vector(5)
    assert a == b and len(a) == 10 and min(a) >= 0
    assert alexnet.dropout_vector(6) != a
