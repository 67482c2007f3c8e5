"""AP built step by step: the TP/FP table, per-step AP and the synthetic detections, against plain loops written here."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.compute.lessons import detection_eval as de
from app.compute.ops import metrics
from app.compute import samples
from app.compute.errors import InputError


def ref_iou(a, b):
    inter = max(0, min(a[2], b[2]) - max(a[0], b[0])) * max(0, min(a[3], b[3]) - max(a[1], b[1]))
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0


def ref_match(truth, detections, threshold):
    """VOC matching with plain loops: detections by score (ties in input order), each takes its best free box."""
    order = sorted(range(len(detections)), key=lambda i: -detections[i]["score"])
    taken = set()
    out = []
    for i in order:
        d = detections[i]
        best, best_j = 0.0, None
        for j, t in enumerate(truth):
            if t["label"] == d["label"]:
                o = ref_iou(d["box"], t["box"])
                if o > best:
                    best, best_j = o, j
        tp = best_j is not None and best >= threshold and best_j not in taken
        if tp:
            taken.add(best_j)
        out.append((i, tp))
    return out


def ref_ap(tps, npos):
    """All-points AP of one class from its TP flags in rank order."""
    if not npos:
        return None
    precision, recall, hits = [], [], 0
    for n, tp in enumerate(tps, start=1):
        hits += tp
        precision.append(hits / n)
        recall.append(hits / npos)
    ap, previous = 0.0, 0.0
    for i, r in enumerate(recall):
        if r > previous:
            ap += (r - previous) * max(precision[i:])
            previous = r
    return ap


coordinate = st.integers(min_value=0, max_value=60)


@st.composite
def box(draw):
    x1, y1 = draw(coordinate), draw(coordinate)
    return [x1, y1, x1 + draw(st.integers(1, 40)), y1 + draw(st.integers(1, 40))]


labelled = st.sampled_from(["cup", "spoon"])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.fixed_dictionaries({"label": labelled, "box": box()}), min_size=1, max_size=4),
       st.lists(st.fixed_dictionaries({"label": labelled, "box": box(), "score": st.sampled_from([0.1, 0.5, 0.7, 0.9])}),
                min_size=1, max_size=8),
       st.integers(0, 8))
def test_steps_match_plain_loops(truth, detections, k):
    result = de.ap_steps(truth, detections, k)
    matched = ref_match(truth, detections, 0.5)
    assert [r["index"] for r in result["rows"]] == [i for i, _ in matched]
    assert [r["tp"] for r in result["rows"]] == [tp for _, tp in matched]
    k = min(k, len(detections))
    counted = matched[:k]
    aps = []
    for c in result["classes"]:
        flags = [tp for i, tp in counted if detections[i]["label"] == c["label"]]
        npos = sum(t["label"] == c["label"] for t in truth)
        assert c["ap"] == pytest.approx(ref_ap(flags, npos))
        assert c["precision"] == pytest.approx([sum(flags[:n + 1]) / (n + 1) for n in range(len(flags))])
        aps.append(ref_ap(flags, npos))
    assert result["map"] == pytest.approx(sum(aps) / len(aps))
    assert result["ap_by_step"][-1] == pytest.approx(result["map_final"])


def test_table_by_hand():
    truth = [{"label": "cup", "box": [0, 0, 10, 10]}, {"label": "cup", "box": [20, 0, 30, 10]}]
    detections = [
        {"label": "cup", "score": 0.9, "box": [0, 0, 10, 10]},  # TP
        {"label": "cup", "score": 0.8, "box": [1, 0, 10, 10]},  # duplicate of the first box
        {"label": "cup", "score": 0.7, "box": [40, 40, 50, 50]},  # nowhere near
        {"label": "dog", "score": 0.6, "box": [20, 0, 30, 10]},  # no dog in the truth
        {"label": "cup", "score": 0.5, "box": [20, 0, 30, 10]},  # TP
    ]
    result = de.ap_steps(truth, detections, 5)
    assert [r["reason"] for r in result["rows"]] == [None, "duplicate", "low-iou", "no-truth", None]
    cup = result["rows"][4]
    assert (cup["cum_tp"], cup["cum_fp"], cup["precision"], cup["recall"]) == (2, 2, 0.5, 1.0)
    assert result["rows"][3]["recall"] is None  # a class without truth has no recall
    # AP (all points) = 1 · 0.5 + 0.5 · 0.5 (the envelope at recall 1 is 2/4)
    assert result["classes"][0]["ap"] == pytest.approx(0.75)
    assert result["no_truth_labels"] == ["dog"]
    two = de.ap_steps(truth, detections, 2)
    assert two["classes"][0]["ap"] == pytest.approx(0.5) and two["rows"][2]["counted"] is False
    assert "precision" not in two["rows"][2]
    assert de.ap_steps(truth, detections, 0)["map"] == 0.0


def test_envelope():
    assert de.envelope([1.0, 0.5, 0.67, 0.5]) == pytest.approx([1.0, 0.67, 0.67, 0.5])
    assert de.envelope([]) == []


@pytest.mark.parametrize("sample", sorted(de.REFERENCE_OBJECTS))
def test_synthetic_detections(sample):
    first = de.synthetic_detections(sample, 1)
    assert first == de.synthetic_detections(sample, 1) and first != de.synthetic_detections(sample, 2)
    width, height = samples.load_sample(sample, 800).size
    labels = {label for label, _ in de.REFERENCE_OBJECTS[sample]}
    assert [d["score"] for d in first] == sorted((d["score"] for d in first), reverse=True)
    for d in first:
        x1, y1, x2, y2 = d["box"]
        assert 0 <= x1 < x2 <= width and 0 <= y1 < y2 <= height and 0 < d["score"] < 1 and d["label"] in labels
    for label, ref in de.REFERENCE_OBJECTS[sample]:
        assert 0 <= ref[0] < ref[2] <= width and 0 <= ref[1] < ref[3] <= height
    # Every object is found by some close box, so the AP is above zero for every seed.
    for seed in range(10):
        result = de.ap_steps(de.reference_truth(sample), de.synthetic_detections(sample, seed), 30)
        assert all(c["ap_final"] > 0 for c in result["classes"])


def test_limits():
    with pytest.raises(InputError):
        de.synthetic_detections("rocket", 1)
    many = [{"label": "cup", "score": 0.5, "box": [0, 0, 1, 1]}] * (de.MAX_DETECTIONS + 1)
    with pytest.raises(InputError):
        de.ap_steps([], many, 1)
    with pytest.raises(InputError):
        de.ap_steps([{"label": "cup", "box": [5, 5, 1, 1]}], [], 1)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=10), st.integers(0, 3))
def test_staircase_area_and_samples_give_the_ap(flags, missed):
    npos = sum(flags) + missed
    if not npos:
        return
    hits, precision, recall = 0, [], []
    for n, tp in enumerate(flags, start=1):
        hits += tp
        precision.append(hits / n)
        recall.append(hits / npos)
    steps = de.envelope_steps(recall, de.envelope(precision))
    xs, ys = steps["recall"], steps["precision"]
    area = sum((xs[i + 1] - xs[i]) * ys[i] for i in range(len(xs) - 1))
    assert area == pytest.approx(ref_ap(flags, npos))
    # The same flags through metrics: the sampled points average to its 11- and 101-point AP.
    truth = [{"image": 0, "label": 0, "box": [10 * j, 0, 10 * j + 5, 5]} for j in range(npos)]
    found, next_truth = [], 0
    for rank, tp in enumerate(flags):
        box = truth[next_truth]["box"] if tp else [500 + 10 * rank, 0, 505 + 10 * rank, 5]
        next_truth += tp
        found.append({"image": 0, "label": 0, "box": box, "score": 1 - rank / 100})
    for method, count in (("voc11", 11), ("coco101", 101)):
        sampled = de.sampled_precision(precision, recall, method)
        assert len(sampled["recall"]) == count
        expected = metrics.average_precision(truth, found, method=method)["per_class"][0]["ap"]
        assert sum(sampled["precision"]) / count == pytest.approx(expected)
