"""Sample digits, activation pictures and the LeNet-5 training report, against plain references."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from app.compute.nets import digits, lenet
from app.compute.errors import InputError

finite = st.floats(-1e6, 1e6, allow_nan=False)


@pytest.mark.parametrize("digit", range(10))
def test_sample_digits_are_read_correctly(digit):
    """The whole pipeline on the course's own drawings: rasterise, preprocess as MNIST, predict."""
    image = digits.sample_digit(digit)
    assert image.shape == (digits.CANVAS_SIDE, digits.CANVAS_SIDE) and image.dtype == np.uint8
    # Dark ink on white, like the page's canvas: a white border, some black ink.
    assert image[0].min() == 255 and image.min() < 50
    result = lenet.predict(lenet.preprocess_digit(image)["padded"])
    assert result["prediction"] == digit
    assert result["probabilities"][digit] > 0.5


@pytest.mark.parametrize("bad", [-1, 10, "3", 2.0, True, None])
def test_sample_digit_rejects(bad):
    with pytest.raises(InputError):
        digits.sample_digit(bad)


def test_rasterize_a_horizontal_stroke():
    image = digits.rasterize([[(0.2, 0.5), (0.8, 0.5)]], side=40)
    ink = image < 128
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    # Round caps: the ink reaches half a pen width beyond both ends; the pen is 0.075 of the side.
    pen = digits.STROKE_WIDTH * 40
    assert abs(rows.mean() - 19.5) < 1
    assert rows.size == pytest.approx(pen, abs=2)
    assert cols[0] == pytest.approx(0.2 * 40 - pen / 2, abs=1.5)
    assert cols[-1] == pytest.approx(0.8 * 40 + pen / 2, abs=1.5)


def test_catmull_rom_passes_through_its_points():
    points = [(0.1, 0.2), (0.4, 0.9), (0.7, 0.1), (0.9, 0.5)]
    curve = digits._catmull_rom(points, steps=8)
    for p in points:
        assert min(np.hypot(x - p[0], y - p[1]) for x, y in curve) < 1e-12


@given(st.lists(finite, min_size=1, max_size=50), st.floats(0.001, 1e6))
def test_to_gray_matches_plain_formula(values, high):
    out = digits.to_gray(values, high)
    expected = [round(min(max(v / high, 0.0), 1.0) * 255) for v in values]
    assert out.dtype == np.uint8
    assert np.abs(out.astype(int) - np.array(expected)).max() <= 1  # numpy rounds halves to even


@given(st.lists(finite, min_size=1, max_size=50), st.floats(0.001, 1e6))
def test_to_signed_gray_matches_plain_formula(values, limit):
    out = digits.to_signed_gray(values, limit)
    expected = [round(128 + 127 * min(max(v / limit, -1.0), 1.0)) for v in values]
    assert np.abs(out.astype(int) - np.array(expected)).max() <= 1


def test_degenerate_scales():
    assert digits.to_gray([0, 0], 0.0).tolist() == [0, 0]
    assert digits.to_signed_gray([0, 1], 0.0).tolist() == [128, 128]


@pytest.mark.parametrize("length, grid", [(1, (1, 1)), (10, (1, 10)), (84, (7, 12)), (120, (10, 12)), (13, (2, 12))])
def test_vector_grid(length, grid):
    assert digits.vector_grid(length) == grid


@pytest.fixture(scope="module")
def result():
    return lenet.predict(lenet.preprocess_digit(digits.sample_digit(4))["padded"])


def test_layer_pictures(result):
    pictures = {p["name"]: p for p in digits.layer_pictures(result["activations"])}
    assert list(pictures) == ["input", *lenet.layer_names()]
    c1 = pictures["c1"]
    assert c1["kind"] == "maps" and len(c1["images"]) == 6 and c1["images"][0].shape == (28, 28)
    # One scale per layer: the brightest pixel of the layer is white, zeros are black.
    brightest = np.unravel_index(result["activations"]["c1"].argmax(), result["activations"]["c1"].shape)
    assert c1["images"][brightest[0]][brightest[1:]] == 255
    assert c1["high"] == pytest.approx(float(result["activations"]["c1"].max()))
    c5 = pictures["c5"]
    assert c5["kind"] == "vector" and c5["grid"] == [10, 12] and c5["images"][0].shape == (10, 12)
    output = pictures["output"]
    assert output["signed"] is (float(result["activations"]["output"].min()) < 0)
    assert output["images"][0].shape == (1, 10)


def test_top_contributions_against_sorting():
    rng = np.random.default_rng(0)
    products = rng.normal(size=120)
    top = digits.top_contributions(products, 8)
    expected = sorted(range(120), key=lambda i: -abs(products[i]))[:8]
    assert [i for i, _ in top["top"]] == expected
    assert top["rest_count"] == 112
    assert top["rest_sum"] + sum(v for _, v in top["top"]) == pytest.approx(products.sum())
    assert top["total"] == pytest.approx(products.sum())


def test_shrink_for_digit_keeps_small_images_and_aspect():
    small = Image.new("RGB", (300, 200))
    assert digits.shrink_for_digit(small) is small
    big = Image.new("RGB", (4000, 1000))
    shrunk = digits.shrink_for_digit(big, 1024)
    assert shrunk.size == (1024, 256)


def test_training_report_matches_the_file():
    raw = json.loads(lenet.DEFAULT_WEIGHTS.with_suffix(".json").read_text(encoding="utf-8"))
    report = digits.training_report()
    assert report["held_out_accuracy"] == raw["held_out_accuracy"]
    assert report["held_out_correct"] + report["held_out_errors"] == raw["test_size"]
    assert report["held_out_correct"] / raw["test_size"] == pytest.approx(raw["held_out_accuracy"], abs=5e-4)
    assert report["total_size"] == raw["train_size"] + raw["test_size"]


def test_lenet_matches_the_lecture_slide():
    check = digits.lenet_vs_lecture()
    assert check["convs_match"] and check["pools_match"] and check["pattern_matches"]
    assert check["conv_settings"] == [(5, 1)] and check["pool_settings"] == [(2, 2)]
    assert check["pattern"] == "[CONV-POOL-CONV-POOL-CONV-FC-FC]"
    # The quoted sentences say the same as the numbers kept beside them.
    assert "5x5" in check["lecture"]["conv"] and "stride 1" in check["lecture"]["conv"]
    assert "2x2" in check["lecture"]["pool"] and "stride 2" in check["lecture"]["pool"]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 9), st.integers(10, 120))
def test_samples_rasterise_at_any_size(digit, side):
    image = digits.sample_digit(digit, side)
    assert image.shape == (side, side)
    assert image.min() < 128 < image.max()
