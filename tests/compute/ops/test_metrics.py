"""IoU and AP/mAP checked by hand and against a plain-loop reference written here."""

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.compute.errors import InputError
from app.compute.ops.metrics import COCO_RECALL_THRESHOLDS, average_precision, iou

# pycocotools' own definition (cocoeval.Params.setDetParams)
PYCOCOTOOLS_REC_THRS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


# ---- the reference: plain loops, written independently of app.compute.ops.metrics ----


def ref_iou(a, b):
    ix = min(a[2], b[2]) - max(a[0], b[0])
    iy = min(a[3], b[3]) - max(a[1], b[1])
    inter = ix * iy if ix > 0 and iy > 0 else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def ref_ap_all_points(prec, rec):
    mrec = [0.0] + list(rec) + [1.0]
    mpre = [0.0] + list(prec) + [0.0]
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    ap = 0.0
    for i in range(1, len(mrec)):
        if mrec[i] != mrec[i - 1]:
            ap += (mrec[i] - mrec[i - 1]) * mpre[i]
    return ap


def ref_ap_voc11(prec, rec):
    ap = 0.0
    for k in range(11):
        t = k / 10
        best = 0.0
        for p, r in zip(prec, rec):
            if r >= t:
                best = max(best, p)
        ap += best / 11
    return ap


def ref_ap_coco101(prec, rec):
    pr = list(prec)
    for i in range(len(pr) - 1, 0, -1):
        if pr[i] > pr[i - 1]:
            pr[i - 1] = pr[i]
    total = 0.0
    for t in PYCOCOTOOLS_REC_THRS:
        # first index with recall >= t, as searchsorted(side='left')
        idx = next((i for i, r in enumerate(rec) if r >= t), None)
        total += pr[idx] if idx is not None else 0.0
    return total / len(PYCOCOTOOLS_REC_THRS)


def ref_average_precision(gts, dets, thr, method):
    labels = {g["label"] for g in gts} | {d["label"] for d in dets}
    out = {}
    for label in labels:
        npos = sum(1 for g in gts if g["label"] == label)
        mine = [(i, d) for i, d in enumerate(dets) if d["label"] == label]
        # insertion sort by descending score keeps ties in input order
        ranked = []
        for item in mine:
            pos = len(ranked)
            while pos > 0 and ranked[pos - 1][1]["score"] < item[1]["score"]:
                pos -= 1
            ranked.insert(pos, item)
        used = set()
        tps, fps = [], []
        for _, d in ranked:
            best, best_j = -1.0, None
            for j, g in enumerate(gts):
                if g["label"] != label or g["image"] != d["image"]:
                    continue
                o = ref_iou(d["box"], g["box"])
                if o > best:
                    best, best_j = o, j
            if best_j is not None and best >= thr and best_j not in used:
                used.add(best_j)
                tps.append(1)
                fps.append(0)
            else:
                tps.append(0)
                fps.append(1)
        prec, rec, ctp, cfp = [], [], 0, 0
        for t, f in zip(tps, fps):
            ctp += t
            cfp += f
            prec.append(ctp / (ctp + cfp))
            rec.append(ctp / npos if npos else 0.0)
        ap = None
        if npos:
            ap = {"all-points": ref_ap_all_points, "voc11": ref_ap_voc11, "coco101": ref_ap_coco101}[method](
                prec, rec
            )
        out[label] = {"ap": ap, "tp": tps, "fp": fps, "precision": prec, "recall": rec}
    aps = [v["ap"] for v in out.values() if v["ap"] is not None]
    return out, (sum(aps) / len(aps) if aps else None)


# ---- IoU ----


def test_coco_thresholds_are_pycocotools_ones():
    assert np.array_equal(COCO_RECALL_THRESHOLDS, PYCOCOTOOLS_REC_THRS)


def test_iou_by_hand():
    r = iou([0, 0, 2, 2], [1, 1, 3, 3])
    assert r["intersection"] == 1
    assert r["union"] == 7
    assert r["iou"] == pytest.approx(1 / 7)
    assert iou([0, 0, 1, 1], [0, 0, 1, 1])["iou"] == 1
    assert iou([0, 0, 1, 1], [2, 2, 3, 3])["iou"] == 0
    assert iou([0, 0, 1, 1], [1, 0, 2, 1])["iou"] == 0  # touching edges share no area


def test_iou_zero_area_union_is_zero():
    assert iou([1, 1, 1, 1], [1, 1, 1, 1]) == {"iou": 0.0, "intersection": 0.0, "union": 0.0}


@pytest.mark.parametrize(
    "box",
    [[2, 0, 1, 1], [0, 2, 1, 1], [0, 0, 1], [0, 0, 1, 1, 1], [0, 0, float("nan"), 1], [0, 0, float("inf"), 1],
     [0, 0, "1", 1], "0,0,1,1", None, [True, 0, 1, 1]],
)
def test_iou_rejects_bad_boxes(box):
    with pytest.raises(InputError) as err:
        iou(box, [0, 0, 1, 1])
    assert err.value.status == 422
    assert err.value.messages["ru"]


coords = st.integers(0, 12)


@st.composite
def boxes(draw):
    x1, y1 = draw(coords), draw(coords)
    return [x1, y1, x1 + draw(st.integers(0, 8)), y1 + draw(st.integers(0, 8))]


@given(boxes(), boxes())
@settings(max_examples=200, deadline=None)
def test_iou_matches_reference(a, b):
    assert iou(a, b)["iou"] == pytest.approx(ref_iou(a, b), abs=1e-12)
    assert iou(a, b)["iou"] == pytest.approx(iou(b, a)["iou"], abs=1e-12)


# ---- AP by hand ----


def gt(image, label, box):
    return {"image": image, "label": label, "box": box}


def det(image, label, box, score):
    return {"image": image, "label": label, "box": box, "score": score}


def test_tp_fp_tp_by_hand():
    truths = [gt(0, "cat", [0, 0, 10, 10]), gt(1, "cat", [0, 0, 10, 10])]
    dets = [
        det(0, "cat", [0, 0, 10, 10], 0.9),  # TP
        det(0, "cat", [50, 50, 60, 60], 0.8),  # FP: no overlap
        det(1, "cat", [1, 0, 10, 10], 0.7),  # TP: IoU 0.9
    ]
    cat = average_precision(truths, dets)["per_class"]["cat"]
    assert cat["tp"] == [1, 0, 1]
    assert cat["fp"] == [0, 1, 0]
    assert cat["precision"] == pytest.approx([1, 0.5, 2 / 3])
    assert cat["recall"] == pytest.approx([0.5, 0.5, 1])
    assert cat["iou"] == pytest.approx([1, 0, 0.9])
    # envelope 1 up to recall 0.5, then 2/3
    assert cat["ap"] == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
    # recall points 0 … 0.5 (six) see precision 1, 0.6 … 1 (five) see 2/3
    assert average_precision(truths, dets, method="voc11")["per_class"]["cat"]["ap"] == pytest.approx(
        (6 + 5 * 2 / 3) / 11
    )
    # 51 thresholds ≤ 0.5 take precision 1, the other 50 take 2/3
    assert average_precision(truths, dets, method="coco101")["map"] == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_duplicate_detection_is_a_false_positive():
    truths = [gt("a", 1, [0, 0, 4, 4])]
    dets = [det("a", 1, [0, 0, 4, 4], 0.9), det("a", 1, [0, 0, 4, 4], 0.8)]
    r = average_precision(truths, dets)
    assert r["per_class"][1]["tp"] == [1, 0]
    assert r["map"] == pytest.approx(1.0)


def test_iou_exactly_at_threshold_counts():
    truths = [gt(0, "dog", [0, 0, 2, 1])]
    dets = [det(0, "dog", [0, 0, 1, 1], 0.5)]  # IoU exactly 0.5
    assert average_precision(truths, dets, iou_threshold=0.5)["per_class"]["dog"]["tp"] == [1]
    assert average_precision(truths, dets, iou_threshold=0.51)["per_class"]["dog"]["tp"] == [0]


def test_best_box_already_taken_means_false_positive():
    # As in PASCAL VOC: the detection goes to its highest-IoU box; it does not fall back to another
    truths = [gt(0, "c", [0, 0, 10, 10]), gt(0, "c", [2, 0, 12, 10])]
    dets = [det(0, "c", [0, 0, 10, 10], 0.9), det(0, "c", [0.5, 0, 10.5, 10], 0.8)]
    # second detection: IoU 95/105 with the first box (taken), 85/115 ≥ 0.5 with the free one
    r = average_precision(truths, dets)["per_class"]["c"]
    assert r["tp"] == [1, 0]


def test_ties_keep_input_order():
    truths = [gt(0, "c", [0, 0, 10, 10])]
    dets = [det(0, "c", [20, 20, 30, 30], 0.5), det(0, "c", [0, 0, 10, 10], 0.5)]
    r = average_precision(truths, dets)["per_class"]["c"]
    assert r["detections"] == [0, 1]
    assert r["tp"] == [0, 1]
    assert r["ap"] == pytest.approx(0.5)


def test_class_without_ground_truth_is_left_out_of_the_mean():
    truths = [gt(0, "cat", [0, 0, 10, 10])]
    dets = [det(0, "cat", [0, 0, 10, 10], 0.9), det(0, "dog", [0, 0, 10, 10], 0.9)]
    r = average_precision(truths, dets)
    assert r["per_class"]["dog"]["ap"] is None
    assert r["per_class"]["dog"]["fp"] == [1]
    assert r["map"] == pytest.approx(1.0)


def test_class_never_detected_scores_zero():
    truths = [gt(0, "cat", [0, 0, 10, 10]), gt(0, "dog", [0, 0, 10, 10])]
    dets = [det(0, "cat", [0, 0, 10, 10], 0.9)]
    for method in ("all-points", "voc11", "coco101"):
        r = average_precision(truths, dets, method=method)
        assert r["per_class"]["dog"]["ap"] == 0
        assert r["map"] == pytest.approx(0.5)


def test_no_ground_truth_at_all_gives_no_map():
    assert average_precision([], [])["map"] is None
    assert average_precision([], [det(0, "c", [0, 0, 1, 1], 0.3)])["map"] is None


# ---- validation ----


@pytest.mark.parametrize(
    "kwargs",
    [
        {"method": "voc12"},
        {"iou_threshold": 0},
        {"iou_threshold": 1.5},
        {"iou_threshold": float("nan")},
        {"iou_threshold": "0.5"},
        {"ground_truth": [gt(0, "c", [3, 0, 1, 1])]},
        {"ground_truth": [{"image": 0, "box": [0, 0, 1, 1]}]},
        {"ground_truth": ["nope"]},
        {"ground_truth": "nope"},
        {"detections": [det(0, "c", [0, 0, 1, 1], float("nan"))]},
        {"detections": [det(0, "c", [0, 0, 1, 1], None)]},
        {"detections": [det([0], "c", [0, 0, 1, 1], 0.5)]},
        {"detections": [det(0, 1.5, [0, 0, 1, 1], 0.5)]},
    ],
)
def test_bad_input_is_an_input_error(kwargs):
    args = {"ground_truth": [gt(0, "c", [0, 0, 1, 1])], "detections": [det(0, "c", [0, 0, 1, 1], 0.5)]}
    args.update(kwargs)
    with pytest.raises(InputError) as err:
        average_precision(**args)
    assert err.value.status == 422
    assert err.value.messages["en"] and err.value.messages["ru"]


def test_too_many_items_is_413():
    many = [det(0, "c", [0, 0, 1, 1], 0.5)] * 10_001
    with pytest.raises(InputError) as err:
        average_precision([], many)
    assert err.value.status == 413


def test_the_item_limit_is_fast_enough():
    truths = [gt(i % 50, i % 7, [i % 13, i % 11, i % 13 + 5, i % 11 + 5]) for i in range(10_000)]
    dets = [det(i % 50, i % 7, [i % 17, i % 5, i % 17 + 5, i % 5 + 6], (i * 7919 % 1000) / 1000) for i in range(10_000)]
    start = time.perf_counter()
    average_precision(truths, dets, method="coco101")
    assert time.perf_counter() - start < 5


# ---- against the reference ----

images = st.sampled_from([0, 1, "x"])
labels = st.sampled_from(["cat", "dog", 3])
scores = st.integers(0, 5).map(lambda k: k / 5)  # few values, so ties happen


@given(
    truths=st.lists(st.builds(gt, images, labels, boxes()), max_size=12),
    dets=st.lists(st.builds(det, images, labels, boxes(), scores), max_size=20),
    thr=st.sampled_from([0.1, 0.3, 0.5, 0.75, 1.0]),
    method=st.sampled_from(["all-points", "voc11", "coco101"]),
)
@settings(max_examples=300, deadline=None)
def test_average_precision_matches_reference(truths, dets, thr, method):
    result = average_precision(truths, dets, iou_threshold=thr, method=method)
    expected, expected_map = ref_average_precision(truths, dets, thr, method)
    assert set(result["per_class"]) == set(expected)
    for label, want in expected.items():
        got = result["per_class"][label]
        assert got["tp"] == want["tp"]
        assert got["fp"] == want["fp"]
        assert got["precision"] == pytest.approx(want["precision"])
        assert got["recall"] == pytest.approx(want["recall"])
        if want["ap"] is None:
            assert got["ap"] is None
        else:
            assert got["ap"] == pytest.approx(want["ap"], abs=1e-9)
            assert 0 <= got["ap"] <= 1
    if expected_map is None:
        assert result["map"] is None
    else:
        assert result["map"] == pytest.approx(expected_map, abs=1e-9)
        assert not math.isnan(result["map"])
