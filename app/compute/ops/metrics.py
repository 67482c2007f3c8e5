"""Detection metrics: IoU, the precision–recall curve, AP and mAP."""

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from app.compute.errors import InputError

METHODS = ("all-points", "voc11", "coco101")
MAX_ITEMS = 10_000

# pycocotools builds its recall thresholds this way; the float values (0.07000000000000001 …)
# decide ties in searchsorted, so they must be the same numbers.
COCO_RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1, endpoint=True)


def _box(value: Any, what: str) -> tuple[float, float, float, float]:
    """Check one [x1, y1, x2, y2] box and return it as floats."""
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise InputError(
            en=f"{what} must be a list of four numbers [x1, y1, x2, y2].",
            ru=f"{what}: нужен список из четырёх чисел [x1, y1, x2, y2].",
        )
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value):
        raise InputError(
            en=f"{what} must contain only numbers.",
            ru=f"{what}: в рамке должны быть только числа.",
        )
    x1, y1, x2, y2 = (float(v) for v in value)
    if not all(math.isfinite(v) for v in (x1, y1, x2, y2)):
        raise InputError(
            en=f"{what} has a coordinate that is not a finite number.",
            ru=f"{what}: координата рамки — не конечное число.",
        )
    if x2 < x1 or y2 < y1:
        raise InputError(
            en=f"{what} needs x2 ≥ x1 and y2 ≥ y1 (corners are top-left, then bottom-right).",
            ru=f"{what}: нужно x2 ≥ x1 и y2 ≥ y1 (сначала левый верхний угол, потом правый нижний).",
        )
    return x1, y1, x2, y2


def iou(box_a: Sequence[float], box_b: Sequence[float]) -> dict[str, float]:
    """Intersection over union of two [x1, y1, x2, y2] boxes, with both areas it is made of."""
    ax1, ay1, ax2, ay2 = _box(box_a, "Box A")
    bx1, by1, bx2, by2 = _box(box_b, "Box B")
    inter_w = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    inter_h = max(0.0, min(ay2, by2) - max(ay1, by1))
    intersection = inter_w * inter_h
    union = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - intersection
    return {
        "iou": intersection / union if union > 0 else 0.0,
        "intersection": intersection,
        "union": union,
    }


def _iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of one box (4,) against boxes (M, 4); zero where the union is empty."""
    inter_w = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0.0, None)
    inter_h = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0.0, None)
    intersection = inter_w * inter_h  # (M,)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - intersection
    out = np.zeros(len(boxes))
    np.divide(intersection, union, out=out, where=union > 0)
    return out


def _key(value: Any, what: str, index: int) -> str | int:
    """An image id or a class label: a string or an integer."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(
            en=f"Item {index}: '{what}' must be a string or an integer.",
            ru=f"Элемент {index}: поле «{what}» должно быть строкой или целым числом.",
        )
    return value


def _items(items: Any, what_en: str, what_ru: str, with_score: bool) -> list[dict]:
    """Check a list of ground-truth boxes or detections and return clean copies."""
    if not isinstance(items, (list, tuple)):
        raise InputError(en=f"{what_en} must be a list.", ru=f"{what_ru}: нужен список.")
    if len(items) > MAX_ITEMS:
        raise InputError(
            en=f"Too many {what_en.lower()}: {len(items)} (at most {MAX_ITEMS}).",
            ru=f"{what_ru}: слишком много элементов — {len(items)} (не больше {MAX_ITEMS}).",
            status=413,
        )
    clean = []
    fields = ("image", "label", "box", "score") if with_score else ("image", "label", "box")
    for index, item in enumerate(items):
        if not isinstance(item, dict) or any(f not in item for f in fields):
            raise InputError(
                en=f"{what_en}, item {index}: needs the fields {', '.join(fields)}.",
                ru=f"{what_ru}, элемент {index}: нужны поля {', '.join(fields)}.",
            )
        entry = {
            "image": _key(item["image"], "image", index),
            "label": _key(item["label"], "label", index),
            "box": _box(item["box"], f"{what_en}, item {index}"),
        }
        if with_score:
            score = item["score"]
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
                raise InputError(
                    en=f"{what_en}, item {index}: the score must be a finite number.",
                    ru=f"{what_ru}, элемент {index}: оценка (score) должна быть конечным числом.",
                )
            entry["score"] = float(score)
        clean.append(entry)
    return clean


def _ap_all_points(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the precision envelope at every recall step (PASCAL VOC 2010 and later)."""
    mrec = np.concatenate(([0.0], recall, [1.0]))
    mpre = np.concatenate(([0.0], precision, [0.0]))
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    steps = np.nonzero(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[steps + 1] - mrec[steps]) * mpre[steps + 1]))


def _ap_voc11(precision: np.ndarray, recall: np.ndarray) -> float:
    """Mean of the best precision at recall ≥ 0, 0.1, …, 1 (PASCAL VOC 2007)."""
    total = 0.0
    # k / 10 rather than np.arange(0, 1.1, 0.1), whose 0.30000000000000004 would miss recall 0.3
    for t in (k / 10 for k in range(11)):
        above = precision[recall >= t]
        total += float(above.max()) if above.size else 0.0
    return total / 11.0


def _ap_coco101(precision: np.ndarray, recall: np.ndarray) -> float:
    """Mean interpolated precision at recall 0, 0.01, …, 1, sampled as pycocotools does."""
    envelope = np.maximum.accumulate(precision[::-1])[::-1] if precision.size else precision
    indices = np.searchsorted(recall, COCO_RECALL_THRESHOLDS, side="left")
    sampled = np.zeros(len(COCO_RECALL_THRESHOLDS))
    inside = indices < len(envelope)  # past the largest recall precision stays 0
    sampled[inside] = envelope[indices[inside]]
    return float(sampled.mean())


SUMMARIES = {"all-points": _ap_all_points, "voc11": _ap_voc11, "coco101": _ap_coco101}


def average_precision(
    ground_truth: list[dict],
    detections: list[dict],
    iou_threshold: float = 0.5,
    method: str = "all-points",
) -> dict[str, Any]:
    """AP per class and mAP, matching detections to boxes as PASCAL VOC does.

    Each class's detections are ranked by score (ties keep input order); each takes the
    same-image, same-class ground-truth box of highest IoU and is a true positive when that IoU
    reaches the threshold and the box is still free. Per class, lists run over ranked detections:
    "detections" (their indices in the input), "scores", "iou", "tp"/"fp" (0 or 1),
    "precision" and "recall" (cumulative). Classes with no ground truth get "ap": None and stay
    out of "map", which is None when no class has ground truth.
    """
    if method not in METHODS:
        raise InputError(
            en=f"Unknown AP method '{method}'; use one of: {', '.join(METHODS)}.",
            ru=f"Неизвестный способ подсчёта AP «{method}»; допустимы: {', '.join(METHODS)}.",
        )
    if (
        isinstance(iou_threshold, bool)
        or not isinstance(iou_threshold, (int, float))
        or not (0.0 < iou_threshold <= 1.0)
    ):
        raise InputError(
            en="The IoU threshold must be a number in (0, 1].",
            ru="Порог IoU должен быть числом из промежутка (0, 1].",
        )
    truths = _items(ground_truth, "Ground truth", "Разметка", with_score=False)
    found = _items(detections, "Detections", "Детекции", with_score=True)

    grouped: dict[str | int, dict[str | int, list]] = {}  # label -> image -> boxes
    for t in truths:
        grouped.setdefault(t["label"], {}).setdefault(t["image"], []).append(t["box"])
    by_label: dict[str | int, list[int]] = {}
    for i, d in enumerate(found):
        by_label.setdefault(d["label"], []).append(i)

    labels = sorted(grouped.keys() | by_label.keys(), key=lambda v: (type(v).__name__, v))
    per_class = {}
    for label in labels:
        truth_boxes = {image: np.array(boxes, dtype=np.float64) for image, boxes in grouped.get(label, {}).items()}
        taken = {image: np.zeros(len(boxes), dtype=bool) for image, boxes in truth_boxes.items()}
        indices = by_label.get(label, [])
        order = np.argsort(-np.array([found[i]["score"] for i in indices]), kind="stable")
        ranked = [indices[k] for k in order]
        tp = np.zeros(len(ranked))
        fp = np.zeros(len(ranked))
        best_ious = np.zeros(len(ranked))
        for rank, i in enumerate(ranked):
            image = found[i]["image"]
            if image not in truth_boxes:
                fp[rank] = 1
                continue
            overlaps = _iou_one_to_many(np.array(found[i]["box"]), truth_boxes[image])  # (M,)
            best = int(np.argmax(overlaps))
            best_ious[rank] = overlaps[best]
            if overlaps[best] >= iou_threshold and not taken[image][best]:
                taken[image][best] = True
                tp[rank] = 1
            else:
                fp[rank] = 1
        cum_tp = np.cumsum(tp)
        cum_fp = np.cumsum(fp)
        npos = sum(len(boxes) for boxes in truth_boxes.values())
        precision = cum_tp / (cum_tp + cum_fp)
        recall = cum_tp / npos if npos else np.zeros(len(ranked))
        per_class[label] = {
            "ap": SUMMARIES[method](precision, recall) if npos else None,
            "n_ground_truth": npos,
            "detections": ranked,
            "scores": [found[i]["score"] for i in ranked],
            "iou": best_ious.tolist(),
            "tp": tp.astype(int).tolist(),
            "fp": fp.astype(int).tolist(),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
        }
    aps = [c["ap"] for c in per_class.values() if c["ap"] is not None]
    return {
        "per_class": per_class,
        "map": float(np.mean(aps)) if aps else None,
        "method": method,
        "iou_threshold": float(iou_threshold),
    }
