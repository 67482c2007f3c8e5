"""The conv-layer computations against references written here: plain loops, numpy and autograd."""

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from app.compute.ops import arithmetic, conv_layer, conv_stack, receptive_field
from app.compute.errors import InputError

LECTURE = Path(__file__).resolve().parents[3].parent / "shared" / "lecture" / "cnn-lecture.txt"


def loops_conv(x, w, b=None, stride=1, padding=0):
    """Cross-correlation of x (C, H, W) with w (K, C, F, F), as the lecture describes it, in plain loops."""
    c_in, height, width = x.shape
    k_out, _, f, _ = w.shape
    padded = np.zeros((c_in, height + 2 * padding, width + 2 * padding))
    padded[:, padding:padding + height, padding:padding + width] = x
    out_h = (height + 2 * padding - f) // stride + 1
    out_w = (width + 2 * padding - f) // stride + 1
    y = np.zeros((k_out, out_h, out_w))
    for k in range(k_out):
        for i in range(out_h):
            for j in range(out_w):
                total = 0.0 if b is None else float(b[k])
                for c in range(c_in):
                    for u in range(f):
                        for v in range(f):
                            total += padded[c, i * stride + u, j * stride + v] * w[k, c, u, v]
                y[k, i, j] = total
    return y


def test_photo_volume_is_a_real_rgb_crop_with_two_decimals():
    x = conv_layer.photo_volume("chelsea", 32)
    assert x.shape == (3, 32, 32)
    assert 0 <= x.min() and x.max() <= 1
    assert np.allclose(x, np.round(x, 2))
    # A colour photo: the channels differ (the cat is brown, not grey).
    assert np.abs(x[0] - x[2]).mean() > 0.05
    with pytest.raises(InputError):
        conv_layer.photo_volume("no-such-photo", 32)
    with pytest.raises(InputError):
        conv_layer.photo_volume("chelsea", 10_000)


def test_bank_filters_are_5x5x3_with_short_decimals_and_the_sums_they_claim():
    assert 6 <= len(conv_layer.FILTER_BANK) <= 8
    for key, spec in conv_layer.FILTER_BANK.items():
        w = spec.weights
        assert w.shape == (3, 5, 5), key
        assert np.allclose(w, np.round(w, 3)), key
        expected_sum = 1.0 if key == "blur" else 0.0
        assert w.sum() == pytest.approx(expected_sum, abs=1e-12), key


def test_edge_and_colour_filters_respond_to_what_they_are_named_after():
    step = np.zeros((3, 9, 9))
    step[:, :, 5:] = 1.0  # dark on the left, bright on the right
    red = np.zeros((3, 9, 9))
    red[0] = 1.0
    maps = conv_layer.bank_maps(step)["maps"]
    keys = conv_layer.bank_maps(step)["keys"]
    assert maps[keys.index("vertical_edge")].max() > 0
    assert np.allclose(maps[keys.index("horizontal_edge")], 0)
    assert (conv_layer.bank_maps(red, ["red_green"])["maps"] > 0).all()
    with pytest.raises(InputError):
        conv_layer.bank_maps(step, ["nope"])


def test_the_lecture_example_dot_product_matches_loops_and_torch():
    x = conv_layer.photo_volume("chelsea", 32)
    w = conv_layer.FILTER_BANK["vertical_edge"].weights
    result = conv_layer.dot_product_at(x, w, 0.1, 10, 12)
    reference = loops_conv(x, w[None], [0.1])[0]
    assert result["map"].shape == (28, 28)
    assert result["count"] == conv_layer.LECTURE_EXAMPLE["vector_length"] == 75
    assert result["torch_value"] == pytest.approx(reference[10, 12], abs=1e-12)
    assert result["result"] == pytest.approx(reference[10, 12], abs=1e-9)
    assert result["agrees"]
    # The shown products are exact and add up to the shown channel sums, then to wᵀx.
    products = np.array(result["products"])
    assert np.allclose(products, x[:, 10:15, 12:17] * w, atol=1e-12)
    assert np.allclose(products.sum(axis=(1, 2)), result["channel_sums"], atol=1e-12)
    assert sum(result["channel_sums"]) == pytest.approx(result["dot"], abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 9999),
    side=st.integers(5, 12),
    f=st.integers(1, 5),
    depth=st.integers(1, 4),
    data=st.data(),
)
def test_dot_product_at_any_position_agrees_with_loops(seed, side, f, depth, data):
    rng = np.random.default_rng(seed)
    x = np.round(rng.random((depth, side, side)), 2)
    w = conv_layer.random_filter(seed, depth=depth, side=f)
    bias = data.draw(st.sampled_from([-1.5, 0.0, 0.3]))
    row = data.draw(st.integers(0, side - f))
    col = data.draw(st.integers(0, side - f))
    result = conv_layer.dot_product_at(x, w, bias, row, col)
    assert result["agrees"]
    assert result["result"] == pytest.approx(loops_conv(x, w[None], [bias])[0, row, col], abs=1e-9)


def test_dot_product_refuses_bad_shapes_and_positions():
    x = np.zeros((3, 32, 32))
    with pytest.raises(InputError):
        conv_layer.dot_product_at(x, np.zeros((1, 5, 5)), 0, 0, 0)  # depth 1 against depth 3
    with pytest.raises(InputError):
        conv_layer.dot_product_at(x, np.zeros((3, 5, 5)), 0, 28, 0)  # the map is 28×28
    with pytest.raises(InputError):
        conv_layer.dot_product_at(x, np.zeros((3, 40, 40)), 0, 0, 0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 999), k=st.integers(1, 6), f=st.sampled_from([1, 3, 5]), stride=st.integers(1, 3),
       padding=st.integers(0, 2))
def test_layer_maps_match_loops(seed, k, f, stride, padding):
    rng = np.random.default_rng(seed)
    x = rng.random((3, 9, 9))
    weights, biases = conv_layer.random_filters(seed, k, side=f)
    maps = conv_layer.layer_maps(x, weights, biases, stride, padding)
    assert np.allclose(maps, loops_conv(x, weights, biases, stride, padding), atol=1e-12)


def test_lecture_figures_follow_from_the_computation():
    example = conv_layer.LECTURE_EXAMPLE
    h, w_, d = example["input"]
    f, _, fd = example["filter"]
    assert f * f * fd == example["vector_length"]
    x = np.random.default_rng(0).random((d, h, w_))
    one, _ = conv_layer.random_filters(1, 1)
    six, _ = conv_layer.random_filters(1, 6)
    assert conv_layer.hwc(conv_layer.layer_maps(x, one).shape) == list(example["one_filter"])
    assert conv_layer.hwc(conv_layer.layer_maps(x, six).shape) == list(example["six_filters"])
    # INPUT → CONV → RELU → POOL → FC: the lecture's shapes, from real torch modules, with size-keeping padding.
    pipeline = conv_stack.lecture_pipeline(x, conv_layer.LECTURE_LAYERS["filters"], 5, True)
    assert all(row["matches"] for row in pipeline["rows"])
    assert [row["shape"] for row in pipeline["rows"]] == [list(s) for s in conv_layer.LECTURE_LAYERS["shapes"].values()]


@pytest.mark.skipif(not LECTURE.exists(), reason="the lecture text is not beside the repository")
def test_quoted_figures_are_in_the_lecture():
    text = LECTURE.read_text(encoding="utf-8")
    for shape in conv_layer.LECTURE_LAYERS["shapes"].values():
        assert "[" + "x".join(str(v) for v in shape) + "]" in text or "x".join(str(v) for v in shape) in text
    assert "75-мерный вектор" in text
    assert "$28 \\times 28 \\times 1$" in text and "$28 \\times 28 \\times 6$" in text
    assert conv_layer.LECTURE_EXAMPLE["section"] in text and conv_layer.LECTURE_LAYERS["section"] in text


def test_pipeline_without_padding_shows_the_difference():
    x = conv_layer.photo_volume("chelsea", 32)
    rows = {r["layer"]: r for r in conv_stack.lecture_pipeline(x, 6, 5, False)["rows"]}
    assert rows["conv"]["shape"] == [28, 28, 6] and not rows["conv"]["matches"]
    assert rows["pool"]["shape"] == [14, 14, 6]
    assert rows["fc"]["shape"] == [1, 1, 10] and rows["fc"]["matches"]
    with pytest.raises(InputError):
        conv_stack.lecture_pipeline(x, 6, 4, True)  # an even filter has no size-keeping padding


def test_relu_view_matches_numpy():
    values = np.array([[-1.5, 0.0, 2.25], [-0.0004, 3.0, -2.0]])
    view = conv_layer.relu_view(values)
    assert np.allclose(view["after"], np.maximum(values, 0))
    assert view["negative"] == (values < 0).tolist()
    assert view["negatives"] == 3 and view["total"] == 6
    assert view["before"][1][0] == 0.0 and view["negative"][1][0]  # rounds to 0 but is still marked


def _autograd_field(layers, side, i, j):
    """Rows and columns of the input that output pixel (i, j) depends on, found by backpropagation."""
    modules = [torch.nn.Conv2d(1, 1, l["kernel"], l["stride"], l["padding"], bias=False) for l in layers]
    for m in modules:
        torch.nn.init.ones_(m.weight)
    x = torch.ones(1, 1, side, side, requires_grad=True)
    y = x
    for m in modules:
        y = m(y)
    y[0, 0, i, j].backward()
    rows, cols = np.nonzero(x.grad[0, 0].numpy())
    if rows.size == 0:
        return None  # the pixel sees only zero padding
    return (rows.min(), rows.max()), (cols.min(), cols.max())


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_receptive_fields_match_autograd(data):
    layers = []
    for _ in range(data.draw(st.integers(1, 3))):
        stride = data.draw(st.integers(1, 2))
        kernel = data.draw(st.integers(stride, 4))  # no gaps between windows
        layers.append({"kernel": kernel, "stride": stride, "padding": data.draw(st.integers(0, 2))})
    side = 24
    size = side
    for layer in layers:
        size = (size + 2 * layer["padding"] - layer["kernel"]) // layer["stride"] + 1
    if size < 1:
        return
    field = receptive_field.receptive_fields(layers)[-1]
    i, j = data.draw(st.integers(0, size - 1)), data.draw(st.integers(0, size - 1))
    start_r, start_c = field["start"] + i * field["jump"], field["start"] + j * field["jump"]
    rows = (max(start_r, 0), min(start_r + field["size"] - 1, side - 1))
    cols = (max(start_c, 0), min(start_c + field["size"] - 1, side - 1))
    seen = _autograd_field(layers, side, i, j)
    inside = start_r >= 0 and start_c >= 0 and start_r + field["size"] <= side and start_c + field["size"] <= side
    if inside:
        assert seen == (rows, cols)
    elif seen is not None:
        # Near the border a field hangs over the padding; what the pixel really reads lies within its clipped part
        # (padding of an inner layer is zeros, not input, so it may read less).
        (r0, r1), (c0, c1) = seen
        assert rows[0] <= r0 <= r1 <= rows[1] and cols[0] <= c0 <= c1 <= cols[1]


def test_two_5x5_layers_see_9x9():
    fields = receptive_field.receptive_fields([{"kernel": 5, "stride": 1, "padding": 0}] * 2)
    assert [f["size"] for f in fields] == [5, 9]


def test_stack_shapes_follow_the_formula_and_relu_is_elementwise():
    x = conv_layer.photo_volume("chelsea", 32)
    specs = [{"filters": 6, "kernel": 5}, {"filters": 10, "kernel": 5}]
    stack = conv_stack.run_stack(x, specs, seed=3)
    assert [s["name"] for s in stack["steps"]] == ["conv1", "relu1", "conv2"]
    assert [s["shape"] for s in stack["steps"]] == [[28, 28, 6], [28, 28, 6], [24, 24, 10]]
    conv1, relu1, conv2 = (s["maps"] for s in stack["steps"])
    assert np.array_equal(relu1, np.maximum(conv1, 0))
    assert stack["steps"][2]["field"]["size"] == 9
    assert stack["steps"][2]["arithmetic"]["params"] == (5 * 5 * 6) * 10 + 10


@settings(max_examples=25, deadline=None)
@given(k1=st.integers(1, 8), f1=st.integers(1, 7), s1=st.integers(1, 3), p1=st.integers(0, 3),
       k2=st.integers(1, 8), f2=st.integers(1, 5), s2=st.integers(1, 3), p2=st.integers(0, 3))
def test_stack_shapes_for_any_settings(k1, f1, s1, p1, k2, f2, s2, p2):
    x = np.random.default_rng(0).random((3, 16, 16))
    h1 = (16 + 2 * p1 - f1) // s1 + 1
    h2 = (h1 + 2 * p2 - f2) // s2 + 1
    specs = [{"filters": k1, "kernel": f1, "stride": s1, "padding": p1},
             {"filters": k2, "kernel": f2, "stride": s2, "padding": p2}]
    if h2 < 1:
        with pytest.raises(InputError, match="CONV2"):
            conv_stack.run_stack(x, specs)
        return
    stack = conv_stack.run_stack(x, specs)
    assert stack["steps"][-1]["shape"] == [h2, h2, k2]
    assert stack["steps"][0]["arithmetic"] == arithmetic.conv_arithmetic(16, f1, s1, p1, in_channels=3, filters=k1)


def test_pixels_helpers():
    assert conv_layer.signed_pixels(np.array([[0.0, 2.0, -2.0]])).tolist() == [[128, 255, 1]]
    assert conv_layer.signed_pixels(np.zeros((2, 2))).tolist() == [[128, 128], [128, 128]]
    assert conv_layer.filter_pixels(conv_layer.FILTER_BANK["red_green"].weights).shape == (5, 5, 3)
    assert conv_layer.volume_pixels(np.ones((3, 2, 2))).tolist() == [[[255] * 3] * 2] * 2
    assert conv_layer.hwc((6, 28, 28)) == [28, 28, 6]


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU here")
def test_cuda_gives_the_cpu_numbers():
    x = conv_layer.photo_volume("astronaut", 32)
    w = conv_layer.FILTER_BANK["diagonal_edge"].weights
    cpu, gpu = (conv_layer.dot_product_at(x, w, 0.2, 5, 7, device=d) for d in ("cpu", "cuda"))
    assert gpu["agrees"] and np.allclose(cpu["map"], gpu["map"], atol=1e-12)
    specs = [{"filters": 6, "kernel": 5, "stride": 2, "padding": 1}, {"filters": 10, "kernel": 3}]
    cpu, gpu = (conv_stack.run_stack(x, specs, seed=1, device=d) for d in ("cpu", "cuda"))
    for a, b in zip(cpu["steps"], gpu["steps"]):
        assert a["shape"] == b["shape"] and np.allclose(a["maps"], b["maps"], atol=1e-9)
    cpu, gpu = (conv_stack.lecture_pipeline(x, 12, 5, True, device=d) for d in ("cpu", "cuda"))
    assert cpu["rows"] == gpu["rows"]
    assert np.allclose(conv_layer.bank_maps(x, device="cuda")["maps"], conv_layer.bank_maps(x)["maps"], atol=1e-12)
