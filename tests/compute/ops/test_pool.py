"""Pooling against a numpy loop, the request contract and the trace."""

import re

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.compute.errors import InputError
from app.compute.ops.pool import PoolLimits, pool2d, pool2d_prepare, pool2d_request, pool2d_trace

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_pool(x, mode, size, stride, padding):
    """Pooling by the definition: max over real cells (first in reading order wins), or sum / (kh·kw)."""
    c_in, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = size, stride, padding
    out_h = (h + 2 * ph - kh) // sh + 1
    out_w = (w + 2 * pw - kw) // sw + 1
    y = np.zeros((c_in, out_h, out_w))
    argmax = np.zeros((c_in, out_h, out_w), dtype=np.int64)
    for c in range(c_in):
        for i in range(out_h):
            for j in range(out_w):
                best, best_index, total = -np.inf, -1, 0.0
                for u in range(kh):
                    for v in range(kw):
                        r, q = i * sh - ph + u, j * sw - pw + v
                        if 0 <= r < h and 0 <= q < w:
                            total += x[c, r, q]
                            if x[c, r, q] > best:
                                best, best_index = x[c, r, q], r * w + q
                y[c, i, j] = best if mode == "max" else total / (kh * kw)
                argmax[c, i, j] = best_index
    return y, argmax


@st.composite
def pool_cases(draw):
    c_in = draw(st.integers(1, 3))
    size = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, size[0] // 2)), draw(st.integers(0, size[1] // 2)))
    min_h, min_w = max(1, size[0] - 2 * padding[0]), max(1, size[1] - 2 * padding[1])
    h, w = draw(st.integers(min_h, min_h + 7)), draw(st.integers(min_w, min_w + 7))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # Small integers make ties common, which checks the tie rule too.
    x = rng.integers(-3, 4, size=(c_in, h, w)).astype(float)
    return x, size, stride, padding


@FAST
@given(pool_cases(), st.sampled_from(["max", "avg"]))
def test_pool_matches_numpy_loop(case, mode):
    x, size, stride, padding = case
    y, argmax = pool2d(x, mode, size, stride, padding)
    expected, expected_argmax = reference_pool(x, mode, size, stride, padding)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    if mode == "max":
        np.testing.assert_array_equal(argmax, expected_argmax)
    else:
        assert argmax is None


@FAST
@given(pool_cases())
def test_trace_agrees_with_pool(case):
    x, size, stride, padding = case
    plane = x[0]
    for mode in ("max", "avg"):
        trace = pool2d_trace(plane.tolist(), mode, list(size), list(stride), list(padding))
        expected, expected_argmax = reference_pool(plane[None], mode, size, stride, padding)
        np.testing.assert_allclose(trace["output"], expected[0], atol=1e-4)
        assert len(trace["steps"]) == expected[0].size
        for step in trace["steps"]:
            i, j = step["out"]
            assert len(step["cells"]) == size[0] * size[1]
            real = [c["value"] for c in step["cells"] if not c["is_padding"]]
            if mode == "max":
                assert step["result"] == max(real)
                flat = expected_argmax[0, i, j]
                assert step["argmax"] == [flat // plane.shape[1], flat % plane.shape[1]]
                assert step["argmax"] in [c["input"] for c in step["cells"]]
                assert all(c["value"] is None for c in step["cells"] if c["is_padding"])
            else:
                assert step["divisor"] == size[0] * size[1]
                assert step["result"] == pytest.approx(sum(real) / step["divisor"], abs=1e-4)
                assert all(c["value"] == 0 for c in step["cells"] if c["is_padding"])


def test_request_2d_and_3d():
    x = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]]
    assert pool2d_request(x, "max", 2) == {"output": [[6.0, 8.0], [14.0, 16.0]], "shape": [2, 2],
                                           "argmax": [[5, 7], [13, 15]]}
    assert pool2d_request(x, "avg", 2) == {"output": [[3.5, 5.5], [11.5, 13.5]], "shape": [2, 2], "argmax": None}
    both = pool2d_request([x, np.negative(x).tolist()], "max", [2, 4], stride=[2, 1], padding=[1, 0])
    assert both["shape"] == [2, 3, 1]
    assert both["output"][0] == [[4.0], [12.0], [16.0]]
    assert both["argmax"][1] == [[0], [4], [12]]


def test_avg_counts_padding_like_torch():
    x = np.arange(9, dtype=float).reshape(1, 3, 3)
    y, _ = pool2d(x, "avg", 2, 2, 1)
    expected = torch.nn.functional.avg_pool2d(torch.tensor(x)[None], 2, 2, 1)[0].numpy()
    np.testing.assert_allclose(y, expected)
    assert y[0, 0, 0] == 0 / 4  # the corner window holds three padding zeros and x[0, 0] = 0


SMALL = PoolLimits(max_side=8, max_channels=2, max_size=4, max_stride=4, max_input_elements=50, max_trace_cells=40)
GRID = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]


@pytest.mark.parametrize(
    ("kwargs", "status", "mention"),
    [
        ({"input": [[1, 2], [3]]}, 422, "ragged"),
        ({"input": [[1, "x"], [3, 4]]}, 422, "input[0][1]"),
        ({"input": [[1, False], [3, 4]]}, 422, "true/false"),
        ({"input": [[float("nan"), 1], [3, 4]]}, 422, "finite"),
        ({"input": [[float("-inf"), 1], [3, 4]]}, 422, "finite"),
        ({"input": []}, 422, "empty"),
        ({"input": [1, 2, 3]}, 422, "dimensions"),
        ({"mode": "min"}, 422, "mode"),
        ({"mode": None}, 422, "mode"),
        ({"size": 0}, 422, "size"),
        ({"size": [2, 0]}, 422, "size[1]"),
        ({"size": 2.5}, 422, "size"),
        ({"stride": 0}, 422, "stride"),
        ({"stride": True}, 422, "stride"),
        ({"padding": -1}, 422, "padding"),
        ({"size": 3, "padding": 2}, 422, "half the window"),
        ({"size": [2, 3], "padding": [0, 2]}, 422, "half the window"),
        ({"size": 5}, 422, "larger than the padded input"),
        ({"size": 33}, 422, "size"),
        ({"stride": 33}, 422, "stride"),
        ({"input": [[1] * 513]}, 413, "at most 512"),
        ({"input": [[[1]]] * 65}, 413, "channels"),
        ({"input": [[1] * 512] * 513}, 413, "at most 262144"),
        ({"mode": "avg", "input": [[1e308, 1e308], [1e308, 1e308]]}, 422, "overflow"),
    ],
)
def test_request_rejects(kwargs, status, mention):
    args = {"input": GRID, "mode": "max", "size": 2} | kwargs
    with pytest.raises(InputError) as caught:
        pool2d_request(**args)
    error = caught.value
    assert error.status == status
    assert mention.lower() in error.messages["en"].lower()
    assert CYRILLIC.search(error.messages["ru"])


def test_custom_limits_and_trace_limit():
    with pytest.raises(InputError) as caught:
        pool2d_request([[1] * 9], "max", 1, limits=SMALL)
    assert caught.value.status == 413
    with pytest.raises(InputError) as caught:
        pool2d_trace(np.zeros((8, 8)).tolist(), "max", 1, limits=SMALL)
    assert caught.value.status == 413
    with pytest.raises(InputError):
        pool2d_trace([GRID], "max", 2)


def test_trace_layout():
    trace = pool2d_trace(GRID, "max", 2, stride=1, padding=1)
    assert trace["shape"] == {"input": [3, 3], "padded": [5, 5], "output": [4, 4]}
    assert trace["is_padding"][0] == [True] * 5
    assert trace["output"][0] == [1, 2, 3, 3]
    corner = trace["steps"][0]
    assert [c["value"] for c in corner["cells"]] == [None, None, None, 1]
    assert corner["argmax"] == [0, 0] and corner["divisor"] is None
    assert trace["argmax"][3][3] == 8


def test_prepare_counts_the_window_cells_and_runs_as_the_request():
    x = np.arange(3 * 7 * 9, dtype=float).reshape(3, 7, 9)
    job = pool2d_prepare(x.tolist(), "max", size=[3, 2], stride=[2, 1], padding=[1, 0])
    out_h, out_w = (7 + 2 - 3) // 2 + 1, (9 - 2) // 1 + 1
    assert job.work == 3 * out_h * out_w * 3 * 2 and not job.squeeze
    expected = torch.nn.functional.max_pool2d(torch.tensor(x)[None], (3, 2), (2, 1), (1, 0))[0]
    assert job.run()["output"] == expected.tolist()
    assert job.run() == pool2d_request(x.tolist(), "max", size=[3, 2], stride=[2, 1], padding=[1, 0])
    flat = pool2d_prepare(x[0].tolist(), "avg", size=2)
    assert flat.squeeze and flat.work == 1 * 3 * 4 * 2 * 2 and flat.run()["shape"] == [3, 4]
