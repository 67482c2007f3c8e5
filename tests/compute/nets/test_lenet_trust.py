"""When LeNet-5's answer deserves no trust (issue 14, item 6): a dot, a tiny scribble, a blob; the course's
sample digits are trusted. Thresholds from app.compute.nets.lenet, measured on drawings made here."""

import pytest

from app.compute.nets import digits, lenet


@pytest.fixture(scope="module")
def model():
    return lenet.load_lenet()


def _read(model, image):
    steps = lenet.preprocess_digit(image)
    result = lenet.predict(steps["padded"], model=model)
    return result, lenet.trust(steps, result["probabilities"])


def test_a_single_dot_is_not_trusted_though_the_network_answers(model):
    result, trust = _read(model, digits.rasterize([[(0.5, 0.5), (0.501, 0.5)]]))
    assert 0 <= result["prediction"] <= 9 and abs(sum(result["probabilities"]) - 1) < 1e-5
    assert not trust["trusted"] and trust["reasons"][0] == "too_small"
    assert trust["ink_side"] < lenet.MIN_INK_SIDE


def test_a_filled_blob_is_not_a_digit(model):
    blob = digits.rasterize([[(0.3 + 0.02 * i, 0.3), (0.3 + 0.02 * i, 0.7)] for i in range(21)])
    _, trust = _read(model, blob)
    assert "blob" in trust["reasons"] and trust["fill"] > lenet.MAX_BLOB_FILL


@pytest.mark.parametrize("digit", range(10))
def test_sample_digits_are_trusted(model, digit):
    result, trust = _read(model, digits.sample_digit(digit))
    assert trust["trusted"], trust
    assert trust["confidence"] == pytest.approx(max(result["probabilities"]))


def test_reasons_follow_the_numbers():
    steps = lenet.preprocess_digit(digits.sample_digit(3))
    assert lenet.trust(steps, [0.5, 0.5] + [0.0] * 8)["reasons"] == ["unsure"]
