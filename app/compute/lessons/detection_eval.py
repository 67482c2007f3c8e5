"""Lesson 14: precision, recall and AP built one detection at a time, on one photo.

The matching and the AP are app.compute.ops.metrics.average_precision (PASCAL VOC rules); this module
ranks every detection of the photo by score, runs that function on the first k of them for each
k, and lays out what a student needs to follow it: the TP/FP table in score order with why each
false positive is one, the precision–recall points and their interpolated envelope.

When the detector's weights are not installed, `synthetic_detections` makes a seeded set of
plausible detections around boxes drawn by hand on the sample photos, so the construction still
works; the page says that they are synthetic.
"""

import random

import numpy as np

from app.compute import samples
from app.compute.ops import metrics
from app.compute.errors import InputError

IMAGE = "photo"  # one photo: every box carries the same image id
MAX_DETECTIONS = 30
MAX_TRUTH = 20

# COCO objects on the sample photos, drawn by hand for this course in the photo's own pixels
# (the size GET /api/samples/{name}.jpg serves and the detector sees).
REFERENCE_OBJECTS: dict[str, tuple[tuple[str, tuple[int, int, int, int]], ...]] = {
    "coffee": (("cup", (175, 12, 412, 306)), ("spoon", (326, 66, 425, 326))),
    "astronaut": (("person", (20, 14, 372, 512)),),
    "camera": (("person", (0, 65, 330, 512)),),
    "chelsea": (("cat", (0, 0, 410, 300)),),
}


def _clip(box, width: float, height: float) -> list[float]:
    x1, y1, x2, y2 = box
    x1, x2 = sorted((min(max(x1, 0.0), width), min(max(x2, 0.0), width)))
    y1, y2 = sorted((min(max(y1, 0.0), height), min(max(y2, 0.0), height)))
    return [round(x1, 1), round(y1, 1), round(max(x2, x1 + 4), 1), round(max(y2, y1 + 4), 1)]


def _moved(box, rng: random.Random, spread: float, shift: float = 0.0) -> list[float]:
    """The box with its corners moved by up to `spread` of its size, then shifted by `shift` of it."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    dx = rng.choice((-1, 1)) * shift * w
    dy = rng.choice((-1, 1)) * shift * h * rng.uniform(0, 1)
    return [x1 + dx + rng.uniform(-spread, spread) * w, y1 + dy + rng.uniform(-spread, spread) * h,
            x2 + dx + rng.uniform(-spread, spread) * w, y2 + dy + rng.uniform(-spread, spread) * h]


def synthetic_detections(sample: str, seed: int) -> list[dict]:
    """A seeded, made-up detector output on a sample photo: {"label", "score", "box"} best first.

    Per object: a close box, sometimes a duplicate (a false positive once the object is taken) and
    sometimes a badly placed box; plus a few boxes on the background.
    """
    if sample not in REFERENCE_OBJECTS:
        raise InputError(
            en=f"There are no reference boxes for the photo “{sample}”; use one of: {', '.join(REFERENCE_OBJECTS)}.",
            ru=f"Для фото «{sample}» нет эталонных рамок; выберите одно из: {', '.join(REFERENCE_OBJECTS)}.",
        )
    width, height = samples.load_sample(sample, 800).size
    rng = random.Random(f"synthetic-detections:{sample}:{seed}")
    found = []
    labels = [label for label, _ in REFERENCE_OBJECTS[sample]]
    for label, box in REFERENCE_OBJECTS[sample]:
        found.append((label, rng.uniform(0.35, 0.99), _moved(box, rng, 0.06)))
        if rng.random() < 0.7:
            found.append((label, rng.uniform(0.3, 0.9), _moved(box, rng, 0.1)))  # a duplicate
        if rng.random() < 0.7:
            found.append((label, rng.uniform(0.3, 0.95), _moved(box, rng, 0.05, shift=0.55)))  # misplaced
    for _ in range(rng.randint(2, 3)):
        w, h = rng.uniform(0.12, 0.35) * width, rng.uniform(0.12, 0.35) * height
        x, y = rng.uniform(0, width - w), rng.uniform(0, height - h)
        found.append((rng.choice(labels), rng.uniform(0.05, 0.7), [x, y, x + w, y + h]))
    detections = [{"label": label, "score": round(score, 2), "box": _clip(box, width, height)}
                  for label, score, box in found]
    detections.sort(key=lambda d: -d["score"])
    return detections


def reference_truth(sample: str) -> list[dict]:
    """The hand-drawn boxes of a sample photo as ground truth: [{"label", "box"}]."""
    return [{"label": label, "box": list(box)} for label, box in REFERENCE_OBJECTS.get(sample, ())]


def envelope(precision: list[float]) -> list[float]:
    """Interpolated precision: at each point, the best precision at this recall or any larger one."""
    if not precision:
        return []
    return np.maximum.accumulate(np.asarray(precision, dtype=float)[::-1])[::-1].tolist()


def envelope_steps(recall: list[float], interpolated: list[float]) -> dict:
    """The staircase under the interpolated precision: its area is the all-points AP.

    On each stretch where recall rises (r_prev, r], the height is the interpolated precision at r;
    past the last recall it drops to 0.
    """
    xs, ys, previous = [], [], 0.0
    for r, p in zip(recall, interpolated):
        if r > previous:
            xs += [previous, r]
            ys += [p, p]
            previous = r
    xs.append(previous)
    ys.append(0.0)
    return {"recall": xs, "precision": ys}


def sampled_precision(precision: list[float], recall: list[float], method: str) -> dict:
    """The points an N-point AP averages: at recall t = 0, 1/(N−1), …, 1 the best precision at recall ≥ t."""
    thresholds = {"voc11": [k / 10 for k in range(11)], "coco101": metrics.COCO_RECALL_THRESHOLDS.tolist()}[method]
    values = []
    for t in thresholds:
        above = [p for p, r in zip(precision, recall) if r >= t]
        values.append(max(above) if above else 0.0)
    return {"recall": thresholds, "precision": values}


def _check(truth, detections) -> None:
    if not isinstance(truth, list) or len(truth) > MAX_TRUTH:
        raise InputError(en=f"Draw at most {MAX_TRUTH} ground-truth boxes.",
                         ru=f"Можно нарисовать не больше {MAX_TRUTH} эталонных рамок.")
    if not isinstance(detections, list) or len(detections) > MAX_DETECTIONS:
        raise InputError(en=f"At most {MAX_DETECTIONS} detections can be followed step by step.",
                         ru=f"Пошагово можно разобрать не больше {MAX_DETECTIONS} детекций.")


def ap_steps(truth: list[dict], detections: list[dict], k: int, iou_threshold: float = 0.5,
             method: str = "all-points") -> dict:
    """The first k detections (by score) matched against the truth, and the AP they give so far.

    truth: [{"label", "box"}]; detections: [{"label", "score", "box"}], one photo. Returns "rows"
    (every detection in score order: rank, label, score, box, iou, tp, reason for a false positive,
    and, for the first k, the class's cumulative tp/fp, precision and recall), "classes" (per class
    with ground truth: AP after k detections and the PR points with their envelope), "map" after k,
    and "ap_by_step" (mAP after 1, 2, … detections).
    """
    _check(truth, detections)
    gt = [{"image": IMAGE, "label": t["label"], "box": t["box"]} for t in truth]
    found = [{"image": IMAGE, "label": d["label"], "box": d["box"], "score": d["score"]} for d in detections]
    full = metrics.average_precision(gt, found, iou_threshold, method)  # checks every box and score
    n = len(found)
    k = min(max(int(k), 0), n)
    # Rank all detections the way metrics ranks each class: by score, ties in input order.
    order = [int(i) for i in np.argsort(-np.array([d["score"] for d in found], dtype=float), kind="stable")]
    outcome = {}  # detection index -> (tp, best iou)
    for per_class in full["per_class"].values():
        for i, tp, best in zip(per_class["detections"], per_class["tp"], per_class["iou"]):
            outcome[i] = (tp, best)
    labels_with_truth = {t["label"] for t in gt}
    counts: dict = {}  # label -> [tp, fp] so far
    rows = []
    for rank, i in enumerate(order, start=1):
        d = found[i]
        tp, best = outcome[i]
        if tp:
            reason = None
        elif d["label"] not in labels_with_truth:
            reason = "no-truth"
        elif best < iou_threshold:
            reason = "low-iou"
        else:
            reason = "duplicate"
        row = {"rank": rank, "index": i, "label": d["label"], "score": d["score"], "box": list(d["box"]),
               "iou": best, "tp": bool(tp), "reason": reason, "counted": rank <= k}
        if rank <= k:
            c = counts.setdefault(d["label"], [0, 0])
            c[0 if tp else 1] += 1
            npos = full["per_class"][d["label"]]["n_ground_truth"]
            row.update({"cum_tp": c[0], "cum_fp": c[1], "precision": c[0] / (c[0] + c[1]),
                        "recall": c[0] / npos if npos else None})
        rows.append(row)

    def summary(first: int) -> dict:
        return metrics.average_precision(gt, [found[i] for i in order[:first]], iou_threshold, method)

    now = summary(k)
    classes = []
    for label in sorted(labels_with_truth):
        points = [r for r in rows if r["counted"] and r["label"] == label]
        precision = [r["precision"] for r in points]
        classes.append({
            "label": label,
            "n_ground_truth": full["per_class"][label]["n_ground_truth"],
            "ap": now["per_class"][label]["ap"] if label in now["per_class"] else 0.0,
            "ap_final": full["per_class"][label]["ap"],
            "recall": [r["recall"] for r in points], "precision": precision, "envelope": envelope(precision),
            "tp": [r["tp"] for r in points],
        })
    return {
        "rows": rows, "k": k, "n": n, "classes": classes,
        "map": now["map"] if now["map"] is not None else (0.0 if labels_with_truth else None),
        "map_final": full["map"],
        "ap_by_step": [summary(first)["map"] for first in range(1, n + 1)] if labels_with_truth else [],
        "iou_threshold": full["iou_threshold"], "method": method,
        "no_truth_labels": sorted({d["label"] for d in found} - labels_with_truth),
    }
