"""Per-class IoU, mean IoU and pixel accuracy against plain loops written here; the toy label maps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import ndimage

from app.compute.ops import segmentation_metrics as sm
from app.compute.errors import InputError

CROSS = ndimage.generate_binary_structure(2, 1)


def ref_scores(truth, pred, num_classes, include_background=True):
    """Pixel by pixel, one class at a time: the definitions, with no matrix."""
    h, w = len(truth), len(truth[0])
    per_class = []
    for c in range(num_classes):
        inter = union = 0
        for i in range(h):
            for j in range(w):
                a, b = truth[i][j] == c, pred[i][j] == c
                inter += a and b
                union += a or b
        per_class.append((inter, union, inter / union if union else None))
    correct = sum(truth[i][j] == pred[i][j] for i in range(h) for j in range(w))
    ious = [iou for c, (_, _, iou) in enumerate(per_class) if iou is not None and (include_background or c != 0)]
    return per_class, (sum(ious) / len(ious) if ious else None), correct / (h * w)


label_maps = st.integers(1, 6).flatmap(
    lambda c: st.tuples(
        st.just(c),
        st.tuples(st.integers(1, 9), st.integers(1, 9)).flatmap(
            lambda shape: st.tuples(arrays(np.int64, shape, elements=st.integers(0, c - 1)),
                                    arrays(np.int64, shape, elements=st.integers(0, c - 1))))))


@settings(max_examples=150, deadline=None)
@given(label_maps, st.booleans())
def test_scores_match_the_plain_loop(case, include_background):
    num_classes, (truth, pred) = case
    result = sm.segmentation_scores(truth, pred, num_classes, include_background)
    per_class, mean_iou, accuracy = ref_scores(truth.tolist(), pred.tolist(), num_classes, include_background)
    for row, (inter, union, iou) in zip(result["classes"], per_class):
        assert (row["intersection"], row["union"]) == (inter, union)
        assert row["iou"] == (None if iou is None else pytest.approx(iou))
        assert 0 <= row["intersection"] <= min(row["truth"], row["predicted"])
    assert result["mean_iou"] == (None if mean_iou is None else pytest.approx(mean_iou))
    assert result["pixel_accuracy"] == pytest.approx(accuracy)


@settings(max_examples=60, deadline=None)
@given(label_maps)
def test_iou_is_symmetric_and_perfect_on_itself(case):
    num_classes, (truth, pred) = case
    forward = sm.segmentation_scores(truth, pred, num_classes)
    backward = sm.segmentation_scores(pred, truth, num_classes)
    assert [c["iou"] for c in forward["classes"]] == [c["iou"] for c in backward["classes"]]
    same = sm.segmentation_scores(truth, truth, num_classes)
    assert same["pixel_accuracy"] == 1.0 and same["mean_iou"] == 1.0
    assert np.array(sm.confusion_matrix(truth, pred, num_classes)).sum() == truth.size


def test_a_worked_example():
    truth = [[0, 1, 1], [0, 1, 1], [2, 2, 0]]
    pred = [[0, 0, 1], [1, 1, 1], [2, 0, 0]]
    result = sm.segmentation_scores(truth, pred, 3)
    # class 1: truth has 4 pixels, prediction 4, both 3 -> 3 / 5
    assert result["classes"][1]["iou"] == pytest.approx(3 / 5)
    assert result["classes"][2]["iou"] == pytest.approx(1 / 2)
    assert result["classes"][0]["iou"] == pytest.approx(2 / 5)
    assert result["mean_iou"] == pytest.approx((3 / 5 + 1 / 2 + 2 / 5) / 3)
    assert result["pixel_accuracy"] == pytest.approx(6 / 9)
    assert result["confusion"] == [[2, 1, 0], [1, 3, 0], [1, 0, 1]]
    without = sm.segmentation_scores(truth, pred, 3, include_background=False)
    assert without["counted"] == [1, 2] and without["mean_iou"] == pytest.approx((3 / 5 + 1 / 2) / 2)


def test_absent_classes_have_no_iou_and_stay_out_of_the_mean():
    result = sm.segmentation_scores([[0, 1]], [[0, 1]], 4)
    assert [c["iou"] for c in result["classes"]] == [1.0, 1.0, None, None]
    assert result["counted"] == [0, 1] and result["mean_iou"] == 1.0
    assert sm.segmentation_scores([[0, 0]], [[0, 0]], 2, include_background=False)["mean_iou"] is None


@pytest.mark.parametrize("truth, pred, classes", [
    ([[0, 1]], [[0, 1, 1]], 2),            # sizes differ
    ([[0, 2]], [[0, 1]], 2),               # class out of range
    ([[0, -1]], [[0, 1]], 2),              # negative class
    ([[0, 1], [1]], [[0, 1], [1, 1]], 2),  # ragged
    ([[0.5, 1]], [[0, 1]], 2),             # not a whole class
    ([[float("nan"), 1]], [[0, 1]], 2),
    ([["a", "b"]], [[0, 1]], 2),
    ([], [], 2),
    (np.zeros((65, 2), int), np.zeros((65, 2), int), 2),  # too large
    ([[0, 1]], [[0, 1]], 0),               # no classes
    ([[True, False]], [[0, 1]], 2),
])
def test_bad_maps_are_input_errors(truth, pred, classes):
    with pytest.raises(InputError):
        sm.segmentation_scores(truth, pred, classes)


def test_toy_scene_is_seeded_and_has_every_class():
    a, b = sm.toy_scene(3, 10), sm.toy_scene(3, 10)
    assert a.shape == (10, 10) and (a == b).all()
    assert not (sm.toy_scene(4, 10) == a).all()
    for seed in range(40):
        assert set(np.unique(sm.toy_scene(seed, 10))) == {0, 1, 2, 3}, seed
    with pytest.raises(InputError):
        sm.toy_scene(0, 3)


@pytest.mark.parametrize("dy, dx", [(1, 1), (2, 0), (0, -2), (-1, 3)])
def test_shift_is_a_roll_with_the_wrapped_part_cleared(dy, dx):
    labels = sm.toy_scene(5, 10)
    expected = np.roll(labels, (dy, dx), axis=(0, 1))
    if dy > 0:
        expected[:dy, :] = 0
    elif dy < 0:
        expected[dy:, :] = 0
    if dx > 0:
        expected[:, :dx] = 0
    elif dx < 0:
        expected[:, dx:] = 0
    assert (sm.shift(labels, dy, dx) == expected).all()


@pytest.mark.parametrize("steps", [1, 2])
def test_erode_and_dilate_one_object_match_scipy(steps):
    labels = np.zeros((12, 12), dtype=np.int64)
    labels[2:9, 3:10] = 2
    labels[5, 1:4] = 2
    mask = labels == 2
    # Pixels outside the grid count as part of the object (border_value=1), as erode documents.
    eroded = ndimage.binary_erosion(mask, CROSS, iterations=steps, border_value=1)
    dilated = ndimage.binary_dilation(mask, CROSS, iterations=steps)
    assert ((sm.erode(labels, steps) == 2) == eroded).all()
    assert ((sm.dilate(labels, steps) == 2) == dilated).all()


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3))
def test_erode_only_clears_and_dilate_only_fills(seed, steps):
    labels = sm.toy_scene(seed, 10)
    eroded, dilated = sm.erode(labels, steps), sm.dilate(labels, steps)
    changed = eroded != labels
    assert (eroded[changed] == 0).all()
    grown = dilated != labels
    assert (labels[grown] == 0).all()


def test_corrupt_and_the_map_text():
    truth = sm.toy_scene(1, 10)
    assert (sm.corrupt(truth, "none", 1, 1) == truth).all()
    assert (sm.corrupt(truth, "shift", 2, 1) == sm.shift(truth, 2, 2)).all()
    noisy = sm.corrupt(truth, "noise", 3, 1)
    assert (noisy == sm.corrupt(truth, "noise", 3, 1)).all() and noisy.max() < sm.TOY_CLASSES
    with pytest.raises(InputError):
        sm.corrupt(truth, "melt", 1, 1)
    text = sm.format_label_map(truth)
    assert text.count("/") == 9 and (sm.parse_label_map(text, 4) == truth).all()
    for bad in ("", "01/0", "0a/01", "05/00"):
        with pytest.raises(InputError):
            sm.parse_label_map(bad, 4)
