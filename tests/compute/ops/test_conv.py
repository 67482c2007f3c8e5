"""Convolution: loops, torch, the request contract, traces, the symbolic example, 1-D and kernels."""

import math
import re

import numpy as np
import pytest
import scipy.ndimage
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.compute.arrays import to_array, to_pair
from app.compute.ops.conv import (
    ConvLimits,
    conv2d,
    conv2d_request,
    output_size,
    windows,
)
from app.compute.ops.conv_trace import conv2d_trace, symbolic_conv
from app.compute.ops.conv1d import conv1d_full, conv1d_trace, correlate1d_valid
from app.compute.errors import InputError
from app.compute.ops.kernels import PRESETS, apply_kernel, to_display, validate_kernel
from tests.references import conv2d_loops

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_conv2d(x, w, b, stride, padding, dilation):
    bt = None if b is None else torch.tensor(b)
    y = F.conv2d(torch.tensor(x)[None], torch.tensor(w), bt, stride=stride, padding=padding, dilation=dilation)
    return y[0].numpy()


@st.composite
def conv_cases(draw):
    c_in = draw(st.integers(1, 3))
    k_out = draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    # Only shapes where the dilated kernel fits the padded input.
    min_h = max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0])
    min_w = max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1])
    h, w = draw(st.integers(min_h, min_h + 6)), draw(st.integers(min_w, min_w + 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c_in, h, w))
    weight = rng.normal(size=(k_out, c_in, kh, kw))
    bias = rng.normal(size=k_out) if draw(st.booleans()) else None
    return x, weight, bias, stride, padding, dilation


@FAST
@given(conv_cases())
def test_reference_and_loops_match_torch(case):
    x, w, b, stride, padding, dilation = case
    expected = torch_conv2d(x, w, b, stride, padding, dilation)
    np.testing.assert_allclose(conv2d_loops(x, w, b, stride, padding, dilation), expected, atol=1e-10)
    np.testing.assert_allclose(conv2d(x, w, b, stride, padding, dilation), expected, atol=1e-10)


@FAST
@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(0, 4), st.integers(1, 4))
def test_output_size_is_torch_shape(n, k, stride, padding, dilation):
    if dilation * (k - 1) + 1 > n + 2 * padding:
        assert output_size(n, k, stride, padding, dilation) < 1
        return
    y = F.conv1d(torch.zeros(1, 1, n), torch.zeros(1, 1, k), stride=stride, padding=padding, dilation=dilation)
    assert output_size(n, k, stride, padding, dilation) == y.shape[-1]


def test_windows_taps_in_unpadded_coordinates():
    cells = list(windows(3, 3, 2, 2, stride=(1, 1), padding=(1, 1)))
    assert [(i, j) for i, j, _ in cells] == [(i, j) for i in range(4) for j in range(4)]
    assert cells[0][2] == [(0, 0, -1, -1), (0, 1, -1, 0), (1, 0, 0, -1), (1, 1, 0, 0)]
    _, _, taps = next(windows(5, 5, 2, 2, stride=2, padding=0, dilation=2))
    assert taps == [(0, 0, 0, 0), (0, 1, 0, 2), (1, 0, 2, 0), (1, 1, 2, 2)]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_conv2d_on_cuda_matches_cpu():
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(3, 9, 9)), rng.normal(size=(4, 3, 3, 3))
    np.testing.assert_allclose(conv2d(x, w, device="cuda"), conv2d(x, w), atol=1e-9)


# The lecture's symbolic example


LECTURE_INPUT = [list("abcd"), list("efgh"), list("ijkl")]
LECTURE_KERNEL = [["w", "x"], ["y", "z"]]


def test_symbolic_lecture_example():
    assert symbolic_conv(LECTURE_INPUT, LECTURE_KERNEL) == [
        ["aw + bx + ey + fz", "bw + cx + fy + gz", "cw + dx + gy + hz"],
        ["ew + fx + iy + jz", "fw + gx + jy + kz", "gw + hx + ky + lz"],
    ]


def test_symbolic_padding_stride_and_long_symbols():
    padded = symbolic_conv(LECTURE_INPUT, LECTURE_KERNEL, padding=1, stride=2)
    assert padded == [["az", "by + cz", "dy"], ["ex + iz", "fw + gx + jy + kz", "hw + ly"]]
    assert symbolic_conv([["x1"]], [["w1"]]) == [["x1·w1"]]
    assert symbolic_conv([["a"]], [["w"]], padding=1) == [["0", "0", "0"], ["0", "aw", "0"], ["0", "0", "0"]]
    # Stride 2 over one pixel of padding lands only on padding: the pixel is never seen.
    assert symbolic_conv([["a"]], [["w"]], padding=1, stride=2) == [["0", "0"], ["0", "0"]]


def test_symbolic_matches_numbers():
    """Substituting numbers into the expressions gives conv2d's output."""
    rng = np.random.default_rng(3)
    values = {s: float(rng.integers(-5, 6)) for s in "abcdefghijklwxyz"}
    x = np.array([[values[s] for s in row] for row in LECTURE_INPUT])
    k = np.array([[values[s] for s in row] for row in LECTURE_KERNEL])
    for kwargs in ({}, {"padding": 1}, {"stride": 2, "padding": (1, 0)}, {"dilation": (1, 2)}):
        exprs = symbolic_conv(LECTURE_INPUT, LECTURE_KERNEL, **kwargs)
        got = [[sum(values[t[0]] * values[t[1]] for t in e.split(" + ")) for e in row] for row in exprs]
        np.testing.assert_allclose(got, conv2d(x[None], k[None, None], **kwargs)[0])


@pytest.mark.parametrize(
    "grid",
    [[], [["a", "b"], ["c"]], [["a", 1]], [["a", ""]], "abc", [["toolongsymbol"]], [["a"] * 13]],
)
def test_symbolic_rejects_bad_grids(grid):
    with pytest.raises(InputError):
        symbolic_conv(grid, LECTURE_KERNEL)


# The request contract


def test_request_2d_input_2d_kernel_gives_2d_output():
    result = conv2d_request([[1, 2, 3], [4, 5, 6], [7, 8, 9]], [[1, 0], [0, -1]])
    assert result == {"output": [[-4.0, -4.0], [-4.0, -4.0]], "shape": [2, 2]}


def test_request_shapes_and_bias():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 6, 5)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    result = conv2d_request(x.tolist(), w.tolist(), b.tolist(), stride=[2, 1], padding=1, dilation=[1, 2])
    expected = torch_conv2d(x, w, b, (2, 1), (1, 1), (1, 2))
    assert result["shape"] == list(expected.shape)
    np.testing.assert_allclose(result["output"], expected, atol=1e-12)
    # A 2-D input with a K×1×kh×kw kernel: K maps.
    result = conv2d_request(x[0].tolist(), w[:, :1].tolist())
    assert result["shape"] == [3, 4, 3]
    # A 1×H×W input with a 2-D kernel: one map, kept 3-D.
    result = conv2d_request(x[:1].tolist(), w[0, 0].tolist())
    assert result["shape"] == [1, 4, 3]


def test_request_accepts_integral_floats_and_pairs():
    result = conv2d_request([[1, 2], [3, 4]], [[1]], stride=2.0, padding=[0, 1.0])
    assert result["shape"] == [1, 2]


SMALL = ConvLimits(max_side=8, max_channels=2, max_filters=2, max_kernel_side=3, max_input_elements=50,
                   max_kernel_elements=20, max_output_elements=30, max_work=200)
GRID = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


@pytest.mark.parametrize(
    ("kwargs", "status", "mention"),
    [
        ({"input": [[1, 2], [3]]}, 422, "ragged"),
        ({"input": [[1, 2], [3, [4]]]}, 422, "ragged"),
        ({"input": [[1, "2"], [3, 4]]}, 422, "input[0][1]"),
        ({"input": [[1, True], [3, 4]]}, 422, "true/false"),
        ({"input": [[1, float("nan")], [3, 4]]}, 422, "finite"),
        ({"input": [[1, float("inf")], [3, 4]]}, 422, "finite"),
        ({"input": [[1, 10**400], [3, 4]]}, 422, "finite"),
        ({"input": [[1, None], [3, 4]]}, 422, "number"),
        ({"input": []}, 422, "empty"),
        ({"input": [[]]}, 422, "empty"),
        ({"input": [1, 2, 3]}, 422, "dimensions"),
        ({"input": [[[[1]]]]}, 422, "dimensions"),
        ({"input": "1 2 3"}, 422, "nested lists"),
        ({"input": 5}, 422, "nested lists"),
        ({"kernel": [1, 2]}, 422, "dimensions"),
        ({"kernel": [[[1]]]}, 422, "dimensions"),
        ({"kernel": [["a"]]}, 422, "kernel[0][0]"),
        ({"input": [GRID, GRID]}, 422, "2-D kernel has one channel"),
        ({"kernel": [[[[1]], [[1]]]]}, 422, "channels"),
        ({"kernel": [[1, 1, 1, 1]] * 4}, 422, "larger than the padded input"),
        ({"kernel": [[1, 1]] * 2, "dilation": 3}, 422, "dilated"),
        ({"stride": 0}, 422, "stride"),
        ({"stride": -1}, 422, "stride"),
        ({"stride": True}, 422, "stride"),
        ({"stride": 1.5}, 422, "stride"),
        ({"stride": "2"}, 422, "stride"),
        ({"stride": [1, 2, 3]}, 422, "pair"),
        ({"padding": -1}, 422, "padding"),
        ({"dilation": 0}, 422, "dilation"),
        ({"stride": 33}, 422, "stride"),
        ({"padding": 33}, 422, "padding"),
        ({"bias": [1, 2]}, 422, "bias"),
        ({"bias": [[1]]}, 422, "1 dimension,"),
        ({"bias": ["x"]}, 422, "bias[0]"),
        ({"input": [[1e200, 1e200], [1e200, 1e200]], "kernel": [[1e200]]}, 422, "overflow"),
    ],
)
def test_request_rejects(kwargs, status, mention):
    args = {"input": GRID, "kernel": [[1, 0], [0, 1]]} | kwargs
    with pytest.raises(InputError) as caught:
        conv2d_request(**args)
    error = caught.value
    assert error.status == status
    assert mention.lower() in error.messages["en"].lower()
    assert CYRILLIC.search(error.messages["ru"])


@pytest.mark.parametrize(
    ("kwargs", "mention"),
    [
        ({"input": [[1] * 9] * 2}, "at most 8"),
        ({"input": [[[1] * 3] * 3] * 3, "kernel": [[[[1]] * 3]]}, "channels"),
        ({"input": [[1] * 8] * 7}, "at most 50"),
        ({"kernel": [[[[1]]]] * 3}, "filters"),
        ({"kernel": [[1] * 4] * 4, "input": [[1] * 5] * 5}, "kernel"),
        ({"kernel": np.ones((2, 2, 3, 3)).tolist(), "input": [GRID, GRID]}, "kernel has 36 numbers"),
        ({"input": [[1] * 6] * 6, "kernel": [[1]]}, "output would have"),
        ({"input": [[1] * 7] * 7, "kernel": [[1] * 3] * 3}, "multiplications"),
    ],
)
def test_request_over_limits_is_413(kwargs, mention):
    args = {"input": GRID, "kernel": [[1]], "limits": SMALL} | kwargs
    with pytest.raises(InputError) as caught:
        conv2d_request(**args)
    assert caught.value.status == 413
    assert mention in caught.value.messages["en"]


def test_default_limits_allow_a_full_photo_plane():
    x = np.zeros((512, 512))
    assert conv2d_request(x.tolist(), np.ones((3, 3)).tolist(), padding=1)["shape"] == [512, 512]


def test_to_array_and_to_pair_directly():
    assert to_array(np.arange(6).reshape(2, 3), "a", (2,), 10).dtype == np.float64
    with pytest.raises(InputError):
        to_array(np.array([[True]]), "a", (2,), 10)
    with pytest.raises(InputError):
        to_array([[1, 2], (3, 4, 5)], "a", (2,), 10)
    assert to_pair(3, "s", 1, 5) == (3, 3)
    assert to_pair([2, 4], "s", 1, 5) == (2, 4)
    for bad in ([2], [1, 6], [False, 1], None, 2.2, float("nan")):
        with pytest.raises(InputError):
            to_pair(bad, "s", 1, 5)


# The 2-D trace


def test_trace_steps_and_sums():
    x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    k = [[0.5, 0], [0, -1]]
    trace = conv2d_trace(x, k, stride=1, padding=1)
    assert trace["shape"] == {"input": [3, 3], "padded": [5, 5], "kernel": [2, 2], "output": [4, 4]}
    assert trace["exact"] is True
    assert trace["padded"][0] == [0, 0, 0, 0, 0] and trace["padded"][1] == [0, 1, 2, 3, 0]
    assert trace["is_padding"][1] == [True, False, False, False, True]
    expected = torch_conv2d(np.array([x], float), np.array([[k]], float), None, 1, 1, 1)[0]
    np.testing.assert_allclose(trace["output"], expected)
    np.testing.assert_allclose(trace["output_exact"], expected)
    assert len(trace["steps"]) == 16
    first = trace["steps"][0]
    assert first["out"] == [0, 0]
    assert [t["padded"] for t in first["taps"]] == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert [t["is_padding"] for t in first["taps"]] == [True, True, True, False]
    assert first["taps"][3] == {"kernel": [1, 1], "input": [0, 0], "padded": [1, 1], "is_padding": False,
                                "x": 1, "w": -1.0, "product": -1.0}
    for step in trace["steps"]:
        assert step["sum"] == pytest.approx(sum(t["product"] for t in step["taps"]), abs=1e-12)
        for tap in step["taps"]:
            assert tap["product"] == pytest.approx(tap["x"] * tap["w"])


@FAST
@given(conv_cases())
def test_trace_matches_torch(case):
    x, w, _, stride, padding, dilation = case
    x2d = np.round(x[0] * 10)  # integers: the trace is then exact
    k2d = np.round(w[0, 0] * 4) / 4
    trace = conv2d_trace(x2d.tolist(), k2d.tolist(), stride, padding, dilation)
    expected = torch_conv2d(x2d[None], k2d[None, None], None, stride, padding, dilation)[0]
    assert trace["exact"] is True
    np.testing.assert_allclose(trace["output"], expected, atol=1e-9)
    assert len(trace["steps"]) == expected.size
    for step in trace["steps"]:
        i, j = step["out"]
        assert trace["output"][i][j] == step["sum"]
        for tap in step["taps"]:
            pi, pj = tap["padded"]
            assert tap["x"] == trace["padded"][pi][pj]
            assert tap["is_padding"] == trace["is_padding"][pi][pj]


def test_trace_rounding_keeps_sum_of_shown_products():
    x = [[1 / 3, 2 / 3, 1.0], [0.1234567, 0.5, 0.25], [0, 0, 1]]
    k = [[1 / 9] * 3] * 3
    trace = conv2d_trace(x, k, padding=1)
    assert trace["exact"] is False
    assert trace["decimals"] == {"input": 4, "kernel": 4, "product": 4}
    assert trace["kernel"][0][0] == 0.1111
    for step in trace["steps"]:
        shown_sum = sum(t["product"] for t in step["taps"])
        assert step["sum"] == round(shown_sum, 4)
    expected = torch_conv2d(np.array([x]), np.array([[k]]), None, 1, 1, 1)[0]
    np.testing.assert_allclose(trace["output_exact"], expected, atol=1e-12)
    np.testing.assert_allclose(trace["output"], expected, atol=9 * 0.5e-4)


def test_trace_rejects_bad_input_and_huge_animations():
    with pytest.raises(InputError):
        conv2d_trace([[[1]]], [[1]])
    with pytest.raises(InputError):
        conv2d_trace([[1, 2]], [[1, 1, 1]])
    with pytest.raises(InputError) as caught:
        conv2d_trace(np.zeros((100, 100)).tolist(), np.ones((3, 3)).tolist())
    assert caught.value.status == 413


# 1-D

signals = st.lists(st.integers(-9, 9).map(float) | st.floats(-10, 10, allow_nan=False), min_size=1, max_size=12)


@FAST
@given(signals, signals)
def test_conv1d_full_is_numpy_convolve(x, h):
    np.testing.assert_allclose(conv1d_full(x, h), np.convolve(x, h), atol=1e-9)
    trace = conv1d_trace(x, h, "convolution")
    assert trace["flipped"] == trace["h"][::-1]
    np.testing.assert_allclose(trace["output_exact"], np.convolve(x, h), atol=1e-9)
    for step in trace["steps"]:
        assert step["offset"] == step["n"] - (len(h) - 1)
        assert all(p["k"] + p["h_index"] == step["n"] for p in step["pairs"])


@FAST
@given(signals, signals)
def test_correlate1d_valid_is_numpy_correlate(x, h):
    if len(h) > len(x):
        with pytest.raises(InputError):
            correlate1d_valid(x, h)
        return
    np.testing.assert_allclose(correlate1d_valid(x, h), np.correlate(x, h, "valid"), atol=1e-9)
    trace = conv1d_trace(x, h, "correlation")
    assert trace["flipped"] is None
    assert len(trace["steps"]) == len(x) - len(h) + 1


def test_conv1d_trace_numbers():
    trace = conv1d_trace([1, 2, 3], [1, 0, -1], "convolution")
    assert trace["output"] == [1, 2, 2, -2, -3]
    assert trace["steps"][2] == {
        "n": 2,
        "offset": 0,
        "pairs": [
            {"k": 0, "x": 1, "h_index": 2, "h": -1, "product": -1},
            {"k": 1, "x": 2, "h_index": 1, "h": 0, "product": 0},
            {"k": 2, "x": 3, "h_index": 0, "h": 1, "product": 3},
        ],
        "sum": 2,
    }
    correlation = conv1d_trace([1, 2, 3], [1, 0, -1], "correlation")
    assert correlation["output"] == [-2]


@pytest.mark.parametrize(
    ("x", "h", "mode"),
    [([], [1], "convolution"), ([1, "a"], [1], "convolution"), ([[1]], [1], "convolution"),
     ([1], [float("nan")], "convolution"), ([1] * 300, [1], "convolution"), ([1], [1], "full")],
)
def test_conv1d_trace_rejects(x, h, mode):
    with pytest.raises(InputError):
        conv1d_trace(x, h, mode)


# Kernels on photos


def test_presets_are_complete():
    assert set(PRESETS) == {"identity", "box_blur", "gaussian_3x3", "gaussian_5x5", "sharpen", "sobel_x",
                            "sobel_y", "laplacian", "emboss", "edge"}
    for preset in PRESETS.values():
        for lang in ("en", "ru"):
            assert preset.names[lang] and preset.descriptions[lang]
        assert CYRILLIC.search(preset.descriptions["ru"])
        validate_kernel(preset.array)
    assert PRESETS["gaussian_5x5"].total == pytest.approx(1.0)
    assert PRESETS["sobel_x"].total == 0


@pytest.mark.parametrize("name", list(PRESETS))
def test_apply_kernel_matches_scipy(name):
    image = np.random.default_rng(2).random((20, 17))
    expected = scipy.ndimage.correlate(image, PRESETS[name].array, mode="constant", cval=0.0)
    np.testing.assert_allclose(apply_kernel(image, name), expected, atol=1e-12)


def test_apply_kernel_user_kernel_and_errors():
    image = np.random.default_rng(4).random((9, 9))
    np.testing.assert_allclose(apply_kernel(image, [[2]]), 2 * image)
    for bad in ([[1, 1], [1, 1]], [[1, 2, 3]], np.ones((9, 9)).tolist(), [[float("inf")]], [["a"]], "nope"):
        with pytest.raises(InputError):
            apply_kernel(image, bad)
    for bad_image in (np.zeros((2, 2, 3)), np.full((3, 3), np.nan), np.zeros((3000, 2))):
        with pytest.raises(InputError):
            apply_kernel(bad_image, "identity")


def test_to_display_rules():
    response = np.array([[-1.0, 0.0], [0.5, 2.0]])
    assert to_display(response, 1.0).tolist() == [[0, 0], [128, 255]]
    assert to_display(response, 0.0).tolist() == [[64, 128], [159, 255]]
    assert to_display(response, 0.0, "abs").tolist() == [[128, 0], [64, 255]]
    assert to_display(np.zeros((2, 2)), 0.0).tolist() == [[128, 128], [128, 128]]
    assert to_display(response).dtype == np.uint8
    with pytest.raises(InputError):
        to_display(response, 1.0, "rainbow")


def test_identity_roundtrip_on_display():
    image = np.linspace(0, 1, 64).reshape(8, 8)
    shown = to_display(apply_kernel(image, "identity"), PRESETS["identity"].total)
    np.testing.assert_array_equal(shown, np.round(image * 255).astype(np.uint8))
    assert math.isclose(PRESETS["identity"].total, 1.0)
