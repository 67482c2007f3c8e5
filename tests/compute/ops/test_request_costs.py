"""Working memory and time of one request are bounded before anything is computed (a hostile student's inputs)."""

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.compute.arrays import to_array
from app.compute.ops.conv import ConvLimits, conv2d_request, conv_working_bytes, output_size
from app.compute.errors import MAX_ECHO, InputError, brief
from app.compute.ops.pool import PoolLimits, pool2d_request, pool_working_bytes
from app.compute.ops.transposed_conv import conv_transpose2d, transposed_working_bytes

FAST_S = 0.5  # a refusal comes from the arithmetic on the shapes, not from computing


def refused(fn, *args, **kwargs) -> InputError:
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        fn(*args, **kwargs)
    assert time.perf_counter() - start < FAST_S
    assert err.value.messages["en"] and err.value.messages["ru"]
    return err.value


def test_conv_with_wide_padding_is_refused_for_its_working_memory():
    # The hostile request: a 64×8×8 input, one 64×31×31 kernel, padding 30 (a 202 KB body, +677 MiB on main).
    x = np.ones((64, 8, 8)).tolist()
    w = np.ones((1, 64, 31, 31)).tolist()
    error = refused(conv2d_request, x, w, padding=30)
    assert error.status == 413
    assert "680 MiB of working memory" in error.messages["en"] and "64 MiB" in error.messages["en"]
    assert "680 МиБ рабочей памяти" in error.messages["ru"]


@pytest.mark.parametrize(("c", "h", "w", "k", "kh", "kw", "stride", "padding", "dilation"), [
    (3, 10, 12, 4, 3, 5, 1, (1, 2), 1), (64, 8, 8, 1, 31, 31, 1, (30, 30), 1), (2, 9, 7, 3, 2, 3, 2, (0, 1), 2),
])
def test_conv_working_bytes_counts_what_torch_unfolds(c, h, w, k, kh, kw, stride, padding, dilation):
    x = torch.zeros(1, c, h, w, dtype=torch.float64)
    padded = F.pad(x, (padding[1], padding[1], padding[0], padding[0]))
    columns = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)  # (1, C·kh·kw, L)
    out_h = output_size(h, kh, stride, padding[0], dilation)
    out_w = output_size(w, kw, stride, padding[1], dilation)
    assert columns.shape[2] == out_h * out_w
    expected = padded.element_size() * (padded.numel() + columns.numel() + k * out_h * out_w) + 56 * k * out_h * out_w
    assert conv_working_bytes(c, h, w, k, kh, kw, out_h, out_w, padding) == expected


def test_conv_under_the_budget_still_runs():
    limits = ConvLimits()
    x = np.ones((16, 64, 64)).tolist()
    w = np.ones((8, 16, 3, 3)).tolist()
    assert conv2d_request(x, w, padding=1, limits=limits)["shape"] == [8, 64, 64]
    refused(conv2d_request, x, w, padding=1, limits=ConvLimits(max_working_bytes=1_000_000))


def test_pool_with_a_large_window_at_stride_one_is_refused_for_its_work():
    x = np.ones((1, 512, 512)).tolist()
    error = refused(pool2d_request, x, "max", 32, 1, 16)  # 269,485,056 window cells, 1.3 s on main
    assert error.status == 413 and "269485056 window cells" in error.messages["en"]
    assert pool2d_request(np.ones((4, 4)).tolist(), "max", 2)["shape"] == [2, 2]


def test_pool_working_bytes_counts_padding_outputs_and_argmax():
    assert pool_working_bytes(2, 4, 6, "max", (1, 0), (3, 2)) == 8 * (2 * 6 * 6 + 2 * 2 * 3 * 2) + 56 * 24
    assert pool_working_bytes(2, 4, 6, "avg", (1, 0), (3, 2)) == 8 * (2 * 6 * 6 + 2 * 3 * 2) + 56 * 12
    error = refused(pool2d_request, np.ones((4, 64, 64)).tolist(), "max", 2, 1, 1,
                    limits=PoolLimits(max_working_bytes=100_000))
    assert "working memory" in error.messages["en"]


def test_errors_echo_only_the_start_of_a_huge_value():
    error = refused(pool2d_request, [[1.0]], "m" * 9_000_000)
    assert len(error.messages["en"]) < 200 and len(error.messages["ru"]) < 200
    assert "mmm" in error.messages["en"]
    assert len(brief("x" * 10**6)) <= MAX_ECHO + 1 and len(brief(list(range(10**6)))) <= MAX_ECHO + 1
    assert brief("max") == "'max'"
    assert len(InputError(en="e" * 10**6, ru="р" * 10**6).messages["ru"]) <= 1000


def test_to_array_still_names_the_first_bad_value():
    with pytest.raises(InputError, match=r"input\[1\]\[0\] is not a finite number"):
        to_array([[1, 2], [float("nan"), 3]], "input", (2,), 100)
    with pytest.raises(InputError, match=r"input\[0\]\[1\] is not a finite number"):
        to_array([[1, 10**400]], "input", (2,), 100)
    with pytest.raises(InputError, match=r"input\[0\]\[1\] is a true/false value"):
        to_array([[1, True]], "input", (2,), 100)
    with pytest.raises(InputError, match="ragged"):
        to_array([[1, [2]]], "input", (2,), 100)
    assert to_array([[1, 2.5]], "input", (2,), 100).tolist() == [[1.0, 2.5]]


def test_transposed_conv_with_a_64_by_64_kernel_is_refused_for_its_working_memory():
    # 64×64 input and kernel: torch's column matrix is 64·64·64·64 floats (128 MiB, +140 MiB and 0.7 s measured).
    ones = np.ones((64, 64)).tolist()
    error = refused(conv_transpose2d, ones, ones)
    assert error.status == 413 and "MiB of working memory" in error.messages["en"]
    assert transposed_working_bytes((64, 64), (64, 64), (127, 127)) == 8 * (64**4 + 127**2) + 56 * 127**2
    assert conv_transpose2d([[1, 2], [3, 4]], [[1, 1], [1, 1]], 2)["output_shape"] == [4, 4]
