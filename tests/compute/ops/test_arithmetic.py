"""Conv arithmetic against plain integer arithmetic and torch's real output shape."""

import re

import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.compute.ops.arithmetic import ArithmeticLimits, conv_arithmetic, paddings_that_fit, same_padding
from app.compute.errors import InputError

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def torch_width(width, kernel, stride, padding, dilation):
    """The output width torch really produces, or None when it refuses."""
    try:
        y = F.conv1d(torch.zeros(1, 1, width), torch.zeros(1, 1, kernel), stride=stride, padding=padding,
                     dilation=dilation)
    except RuntimeError:
        return None
    return y.shape[-1]


def reach(width, kernel, stride, padding, dilation):
    """Walk every window; the input column of the furthest tap (it may lie in the right padding)."""
    furthest = None
    start = -padding
    while start + dilation * (kernel - 1) <= width - 1 + padding:
        furthest = start + dilation * (kernel - 1)
        start += stride
    return furthest


@FAST
@given(
    st.integers(1, 40), st.integers(1, 9), st.integers(1, 6), st.integers(0, 5), st.integers(1, 4),
    st.integers(1, 8), st.integers(1, 8),
)
def test_against_integer_arithmetic_and_torch(width, kernel, stride, padding, dilation, d1, k):
    result = conv_arithmetic(width, kernel, stride, padding, dilation, in_channels=d1, filters=k)
    span = width + 2 * padding - (dilation * (kernel - 1) + 1)
    quotient, remainder = divmod(span, stride)
    valid = span >= 0 and remainder == 0
    assert result["valid"] is valid
    assert result["output_size"] == (quotient + 1 if valid else None)
    assert result["floor_output"] == torch_width(width, kernel, stride, padding, dilation)
    assert result["effective_kernel"] == dilation * (kernel - 1) + 1
    assert result["weights"] == kernel * kernel * d1 * k
    assert result["biases"] == k
    assert result["params"] == kernel * kernel * d1 * k + k
    assert bool(result["reason"]["en"]) is not valid and bool(result["reason"]["ru"]) is not valid
    if span >= 0:
        assert result["unseen"] == min(width, max(0, width - 1 - reach(width, kernel, stride, padding, dilation)))
    else:
        assert result["unseen"] == 0
    if not valid and span >= 0:
        assert str(result["floor_output"]) in result["reason"]["en"]


def test_lecture_examples():
    seven = conv_arithmetic(7, 3, 1, 1)
    assert seven["formula"] == "(7 − 3 + 2·1)/1 + 1 = 7"
    assert seven["output_size"] == 7 and seven["valid"] and seven["reason"] == {"en": "", "ru": ""}
    # 32×32×3 input, 5×5×3 filters, stride 1, no padding -> 28×28 per filter.
    layer = conv_arithmetic(32, 5, 1, 0, in_channels=3, filters=6)
    assert layer["output_size"] == 28 and layer["weights"] == 5 * 5 * 3 * 6 and layer["params"] == 456
    # AlexNet CONV1: 227×227×3, 96 11×11 filters at stride 4, pad 0 -> 55.
    alexnet = conv_arithmetic(227, 11, 4, 0, in_channels=3, filters=96)
    assert alexnet["output_size"] == 55 and alexnet["params"] == 34_944


def test_formula_text():
    assert conv_arithmetic(10, 3, 2)["formula"] == "(10 − 3 + 2·0)/2 + 1 = 4.5"
    assert conv_arithmetic(11, 3, 3)["formula"] == "(11 − 3 + 2·0)/3 + 1 ≈ 3.67"
    assert conv_arithmetic(2, 5)["formula"] == "(2 − 5 + 2·0)/1 + 1 = −2"
    assert conv_arithmetic(7, 3, 2, 0, 2)["formula"] == "(7 − (2·(3 − 1) + 1) + 2·0)/2 + 1 = 2"


def test_invalid_reasons():
    floored = conv_arithmetic(10, 3, 2)
    assert not floored["valid"] and floored["floor_output"] == 4 and floored["unseen"] == 1
    assert "4" in floored["reason"]["en"] and "never seen" in floored["reason"]["en"]
    assert CYRILLIC.search(floored["reason"]["ru"]) and "4" in floored["reason"]["ru"]
    padded = conv_arithmetic(11, 3, 3, 1)
    assert padded["unseen"] == 0 and "only padding" in padded["reason"]["en"]
    too_big = conv_arithmetic(2, 5)
    assert too_big["floor_output"] is None and too_big["output_size"] is None
    assert "fits nowhere" in too_big["reason"]["en"] and CYRILLIC.search(too_big["reason"]["ru"])


def test_same_padding():
    assert [same_padding(f) for f in (1, 3, 5, 7)] == [0, 1, 2, 3]  # the lecture's (F − 1)/2
    assert same_padding(4) is None
    assert same_padding(4, dilation=2) == 3
    assert same_padding(3, dilation=3) == 3


@FAST
@given(st.integers(1, 64), st.integers(1, 9), st.integers(1, 4), st.integers(0, 6))
def test_paddings_that_fit(width, kernel, stride, max_padding):
    spans = {p: width - kernel + 2 * p for p in range(max_padding + 1)}
    expected = [p for p, span in spans.items() if span >= 0 and span % stride == 0]
    assert paddings_that_fit(width, kernel, stride, max_padding) == expected


def test_lecture_f5_s2():
    assert paddings_that_fit(32, 5, 2, 4) == []  # 32 − 5 is odd: no padding fits
    assert paddings_that_fit(31, 5, 2, 3) == [0, 1, 2, 3]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"width": 0}, {"width": -3}, {"kernel": 0}, {"stride": 0}, {"padding": -1}, {"dilation": 0},
        {"in_channels": 0}, {"filters": 0}, {"width": True}, {"stride": 1.5}, {"kernel": "3"},
        {"width": None}, {"width": 5000}, {"kernel": 2000}, {"filters": 10**6}, {"padding": float("inf")},
    ],
)
def test_rejects(kwargs):
    args = {"width": 7, "kernel": 3} | kwargs
    with pytest.raises(InputError) as caught:
        conv_arithmetic(**args)
    assert caught.value.status == 422
    assert next(iter(kwargs)) in caught.value.messages["en"]
    assert CYRILLIC.search(caught.value.messages["ru"])


def test_helpers_reject_bad_values():
    for call in (lambda: same_padding(0), lambda: same_padding(3, dilation=0),
                 lambda: paddings_that_fit(7, 3, 1, -1), lambda: paddings_that_fit(7, 3, 0, 2)):
        with pytest.raises(InputError):
            call()
    assert conv_arithmetic(100, 3, limits=ArithmeticLimits(max_width=100))["output_size"] == 98
    with pytest.raises(InputError):
        conv_arithmetic(101, 3, limits=ArithmeticLimits(max_width=100))
