"""Non-maximum suppression: keep the best-scoring box, drop every box that overlaps it by more than a threshold,
repeat with the next box still standing. The kept list is torchvision.ops.nms's own; the trace says, for every
dropped box, which kept box dropped it and by how much they overlapped."""

import math
from typing import Any

import numpy as np
import torch
import torchvision

from app.compute.errors import InputError, brief
from app.compute.ops.metrics import _box, _iou_one_to_many

MAX_BOXES = 1000  # the trace compares every box with every kept box: at most a million IoUs


def _scores(scores: Any, count: int) -> np.ndarray:
    if not isinstance(scores, (list, tuple)) or len(scores) != count:
        raise InputError(
            en=f"scores must be a list of {count} numbers, one per box.",
            ru=f"scores: нужен список из {count} чисел, по одному на рамку.",
        )
    for index, score in enumerate(scores):
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
            raise InputError(
                en=f"scores[{index}] must be a finite number, got {brief(score)}.",
                ru=f"scores[{index}] должно быть конечным числом, а получено {brief(score)}.",
            )
    return np.array(scores, dtype=np.float64)


def _threshold(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise InputError(
            en=f"iou_threshold must be a number from 0 to 1, got {brief(value)}.",
            ru=f"iou_threshold должен быть числом от 0 до 1, а получено {brief(value)}.",
        )
    return float(value)


def check_boxes(boxes: Any, name: str = "boxes", limit: int = MAX_BOXES) -> np.ndarray:
    """A list of [x1, y1, x2, y2] boxes -> (N, 4) float64; 413 over `limit`."""
    if not isinstance(boxes, (list, tuple)):
        raise InputError(en=f"{name} must be a list of [x1, y1, x2, y2] boxes.",
                         ru=f"{name}: нужен список рамок [x1, y1, x2, y2].")
    if len(boxes) > limit:
        raise InputError(en=f"Too many boxes in {name}: {len(boxes)} (at most {limit}).",
                         ru=f"Слишком много рамок в {name}: {len(boxes)} (не больше {limit}).", status=413)
    return np.array([_box(box, f"{name}[{i}]") for i, box in enumerate(boxes)], dtype=np.float64).reshape(-1, 4)


def nms(boxes: Any, scores: Any, iou_threshold: Any) -> dict:
    """{"keep": indices of the kept boxes, highest score first, as torchvision.ops.nms returns them,
    "suppressed": [{"box", "by", "iou"}] for every dropped box: the first kept box (in keep order) whose IoU with
    it is > iou_threshold}."""
    b = check_boxes(boxes)
    s = _scores(scores, len(b))
    t = _threshold(iou_threshold)
    keep = torchvision.ops.nms(torch.from_numpy(b), torch.from_numpy(s), t).tolist()
    suppressed = []
    kept = set(keep)
    dropped = np.array([i for i in range(len(b)) if i not in kept], dtype=int)
    if len(dropped):
        # (kept, dropped) IoUs; a dropped box was dropped by the first kept box above the threshold.
        ious = np.stack([_iou_one_to_many(b[k], b[dropped]) for k in keep]) if keep else np.zeros((0, len(dropped)))
        for column, index in enumerate(dropped):
            row = next((r for r in range(len(keep)) if ious[r, column] > t and s[keep[r]] >= s[index]), None)
            if row is not None:
                suppressed.append({"box": int(index), "by": keep[row], "iou": float(ious[row, column])})
    return {"keep": keep, "suppressed": sorted(suppressed, key=lambda d: d["box"])}


def candidates(objects: list[tuple[float, float, float, float]], size: tuple[int, int], seed: int,
               per_object: int = 5, spread: float = 0.12) -> dict:
    """Boxes and scores as a detector leaves them before NMS: for each true box, `per_object` seeded near-copies,
    the closer the copy the higher its score (score = IoU with the true box × the object's confidence)."""
    rng = np.random.default_rng(seed)
    width, height = size
    boxes, scores, owner = [], [], []
    for index, (x1, y1, x2, y2) in enumerate(objects):
        confidence = 0.97 - 0.12 * index  # the first object is the easiest to see
        w, h = x2 - x1, y2 - y1
        for copy in range(per_object):
            shift = rng.uniform(-spread, spread, 4) * np.array([w, h, w, h]) * (copy > 0)
            box = [float(round(v)) for v in (max(0, x1 + shift[0]), max(0, y1 + shift[1]),
                                             min(width, x2 + shift[2]), min(height, y2 + shift[3]))]
            box[2], box[3] = max(box[2], box[0] + 2), max(box[3], box[1] + 2)
            overlap = float(_iou_one_to_many(np.array([x1, y1, x2, y2], dtype=float), np.array([box]))[0])
            boxes.append(box)
            scores.append(round(confidence * overlap * rng.uniform(0.85, 1.0), 3))
            owner.append(index)
    order = rng.permutation(len(boxes))  # a detector's output is in no particular order
    return {"boxes": [boxes[i] for i in order], "scores": [scores[i] for i in order],
            "object": [owner[i] for i in order]}
