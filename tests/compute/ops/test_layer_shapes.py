"""Window strips, pooling coverage, shrinking, the lecture's settings and stacks, against torch and plain loops."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.compute.ops.arithmetic import conv_arithmetic
from app.compute.errors import InputError
from app.compute.ops.layer_shapes import (
    ALEXNET_INPUT, ALEXNET_LAYERS, ALEXNET_LECTURE_SHAPES, COMMON_SETTINGS_LECTURE, SAME_PADDING_LECTURE,
    SEVEN_BY_SEVEN, StackLayer, conv_settings, pool_coverage, pool_parameters, stack_shapes, shrink_table, small_stack,
    window_strip,
)

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_reads(width, kernel, stride, padding, dilation):
    """How often each input cell is read: the gradient of sum(conv1d(x, ones)) with respect to x."""
    x = torch.zeros(1, 1, width, dtype=torch.float64, requires_grad=True)
    y = F.conv1d(x, torch.ones(1, 1, kernel, dtype=torch.float64), stride=stride, padding=padding, dilation=dilation)
    y.sum().backward()
    return [int(v) for v in x.grad[0, 0]], y.shape[-1]


@FAST
@given(st.integers(1, 30), st.integers(1, 7), st.integers(1, 6), st.integers(0, 4), st.integers(1, 3))
def test_strip_matches_torch(width, kernel, stride, padding, dilation):
    k_eff = dilation * (kernel - 1) + 1
    if width + 2 * padding < k_eff:
        strip = window_strip(width, kernel, stride, padding, dilation)
        assert strip["windows"] == [] and len(strip["unseen"]) == width
        return
    strip = window_strip(width, kernel, stride, padding, dilation)
    reads, out = torch_reads(width, kernel, stride, padding, dilation)
    assert len(strip["windows"]) == out == conv_arithmetic(width, kernel, stride, padding, dilation)["floor_output"]
    inside = [c for c in strip["cells"] if not c["is_padding"]]
    assert [c["reads"] for c in inside] == reads
    assert strip["unseen"] == [i for i, r in enumerate(reads) if r == 0]
    if strip["windows"][-1]["end"] >= padding:
        # conv_arithmetic counts past the last window's reach; when that reach lies in the left padding
        # (a window that only ever reads zeros) it overcounts, and the strip counts the real cells.
        assert strip["unseen_right"] == conv_arithmetic(width, kernel, stride, padding, dilation)["unseen"]
    else:
        assert strip["unseen_right"] == width
    assert strip["unseen_right"] + strip["unseen_between"] == len(strip["unseen"])
    assert len(strip["cells"]) == width + 2 * padding
    # Windows in the same lane never overlap, so each lane can be drawn as one row.
    for lane in range(strip["lanes"]):
        spans = [(w["start"], w["end"]) for w in strip["windows"] if w["lane"] == lane]
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:]))
    for n, window in enumerate(strip["windows"]):
        assert window["start"] == n * stride and window["taps"] == list(range(n * stride, n * stride + k_eff, dilation))


def test_strip_lecture_cases():
    seven = window_strip(7, 3, 3)  # (7 − 3)/3 + 1 is not whole: the last column is never seen
    assert seven["unseen"] == [6] and seven["unseen_right"] == 1
    assert [c["status"] for c in seven["cells"]] == ["seen"] * 6 + ["unseen"]
    padded = window_strip(7, 3, 1, 1)
    assert [c["status"] for c in padded["cells"]] == ["padding"] + ["seen"] * 7 + ["padding"]
    assert padded["cells"][0]["index"] == -1 and padded["cells"][-1]["index"] == 7
    gaps = window_strip(9, 1, 3)
    assert gaps["unseen"] == [1, 2, 4, 5, 7, 8] and gaps["unseen_right"] == 2 and gaps["unseen_between"] == 4


def test_strip_limits():
    with pytest.raises(InputError) as caught:
        window_strip(60, 3, 1, 3)
    assert caught.value.status == 413 and CYRILLIC.search(caught.value.messages["ru"])
    for bad in ({"width": 0}, {"kernel": 0}, {"stride": 0}, {"padding": -1}, {"dilation": 0}, {"width": "7"}):
        with pytest.raises(InputError):
            window_strip(**({"width": 7, "kernel": 3} | bad))


@FAST
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 4), st.integers(1, 4), st.data())
def test_coverage_matches_fold_of_unfold(h, w, size, stride, data):
    padding = data.draw(st.integers(0, size // 2))
    if size > min(h, w) + 2 * padding:
        return
    ones = torch.ones(1, 1, h + 2 * padding, w + 2 * padding, dtype=torch.float64)
    out_h = (h + 2 * padding - size) // stride + 1
    out_w = (w + 2 * padding - size) // stride + 1
    cols = F.unfold(ones, size, stride=stride)  # (1, size², out_h·out_w)
    counts = F.fold(cols, (h + 2 * padding, w + 2 * padding), size, stride=stride)[0, 0]
    expected = counts[padding : padding + h, padding : padding + w].int().tolist()
    assert cols.shape[-1] == out_h * out_w
    assert pool_coverage(h, w, size, stride, padding) == expected


def test_coverage_alexnet_overlap():
    counts = np.array(pool_coverage(7, 7, 3, 2))
    assert counts.max() == 4 and counts[2, 2] == 4 and counts[0, 0] == 1  # shared corners of four windows
    assert np.array(pool_coverage(4, 4, 2)).tolist() == [[1] * 4] * 4  # 2×2 at stride 2: no overlap


def test_shrink_table():
    rows = shrink_table(32, 3, 10)
    assert [r["unpadded"] for r in rows] == [32 - 2 * n for n in range(1, 11)]
    assert all(r["same"] == 32 for r in rows)
    short = shrink_table(7, 5, 3)
    assert [r["unpadded"] for r in short] == [3, None, None]
    assert all(r["same"] is None for r in shrink_table(8, 4, 2))  # an even kernel has no same padding


def test_conv_settings_against_arithmetic():
    table = conv_settings(32, 3, 64)
    assert [(r["kernel"], r["stride"], r["lecture_padding"]) for r in table["common"]] == list(COMMON_SETTINGS_LECTURE)
    f3, f5, f5s2, f1 = table["common"]
    assert f3["keeps_size"] == [1] and f5["keeps_size"] == [2] and f1["keeps_size"] == [0]
    assert f3["params"] == (3 * 3 * 3) * 64 + 64 and f1["weights"] == 3 * 64 and f5["biases"] == 64
    assert f5s2["paddings"] == []  # 32 − 5 + 2P is odd for every P: nothing fits at stride 2
    assert [c["padding"] for c in f5s2["candidates"]] == [0, 1, 2, 3, 4]
    assert conv_settings(31)["common"][2]["paddings"] == [0, 1, 2, 3, 4]
    for row in table["same"]:
        if row["lecture"] is not None:
            assert row["padding"] == row["lecture"] == SAME_PADDING_LECTURE[row["kernel"]]
            assert row["output"] == 32


def test_lecture_seven_by_seven():
    seven = SEVEN_BY_SEVEN
    result = conv_arithmetic(seven["input"], seven["kernel"], seven["stride"], seven["padding"])
    assert result["output_size"] == seven["output"]
    y = F.conv2d(torch.zeros(1, 1, 7, 7), torch.zeros(1, 1, 3, 3), padding=1)
    assert tuple(y.shape[-2:]) == (seven["output"], seven["output"])


def test_alexnet_stack_matches_lecture():
    table = stack_shapes(ALEXNET_INPUT, ALEXNET_LAYERS)
    for row in table["rows"]:
        c, h, w = row["output"]
        assert (w, h, c) == ALEXNET_LECTURE_SHAPES[row["name"]]
    conv1, pool1, conv2, pool2 = table["rows"]
    assert conv1["params"] == 11 * 11 * 3 * 96 + 96 and conv1["biases"] == 96
    assert pool1["params"] == pool2["params"] == 0
    assert conv2["weights"] == 5 * 5 * 96 * 256


def test_stack_against_real_forward_pass():
    layers = small_stack(5, True, 6, 16, 3, 2, "avg")
    table = stack_shapes((3, 33, 29), layers)
    torch.manual_seed(0)
    x = torch.randn(1, 3, 33, 29)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.AvgPool2d(3, 2),
        torch.nn.Conv2d(6, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.AvgPool2d(3, 2),
    )
    shapes = []
    for layer in net:
        x = layer(x)
        if not isinstance(layer, torch.nn.ReLU):
            shapes.append(list(x.shape[1:]))
    assert [r["output"] for r in table["rows"]] == shapes
    assert table["total_params"] == sum(p.numel() for p in net.parameters())
    assert "nn.AvgPool2d(kernel_size=3, stride=2, padding=0)" in table["code"] and "meta" not in table["code"]
    namespace = {}
    exec(table["code"].split("x = torch.zeros")[0], namespace)  # the code shown on the page builds
    assert sum(p.numel() for p in namespace["net"].parameters()) == table["total_params"]


def test_small_stack_padding():
    assert [layer.padding for layer in small_stack(3, True)] == [1, 0, 1, 0]
    assert [layer.padding for layer in small_stack(5, False)] == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("shape", "layers", "mention"),
    [
        ((3, 4, 4), small_stack(5, False), "no output"),
        ((3, 32, 32), [StackLayer("pool", 3, 2, 2)], "half the window"),
        ((3, 32, 32), [StackLayer("norm", 3, 1)], "unknown"),
        ((3, 32, 32), [StackLayer("pool", 3, 2, mode="min")], "unknown"),
        ((3, 32, 32), [StackLayer("conv", 3, 1, filters=0)], "filters"),
        ((3, 32, 32), [StackLayer("conv", 0, 1, filters=2)], "kernel"),
        ((3, 32, 32), [], "1 to 8"),
        ((3, 32, 32), [StackLayer("pool", 2, 2)] * 9, "1 to 8"),
        ((0, 32, 32), small_stack(), "channels"),
        ((3, 32), small_stack(), "[C, H, W]"),
        ((3, 5000, 32), small_stack(), "height"),
    ],
)
def test_stack_rejects(shape, layers, mention):
    with pytest.raises(InputError) as caught:
        stack_shapes(shape, layers)
    assert mention.lower() in caught.value.messages["en"].lower()
    assert CYRILLIC.search(caught.value.messages["ru"])


def test_pool_parameters():
    assert pool_parameters("max", 2, 2) == pool_parameters("avg", 3, 2) == 0
    conv = torch.nn.Conv2d(1, 1, 2)
    assert sum(p.numel() for p in conv.parameters()) == 5  # a conv with the same window does learn weights
