"""Mean average best overlap (MABO), the lecture's measure of region proposals: for every true box the best IoU
any proposal reaches, averaged over the true boxes. Proposals are also grown here the way a sliding-window
detector would make them: windows of several sizes stepped over the image."""

from typing import Any

import numpy as np

from app.compute.errors import InputError, brief
from app.compute.ops.metrics import _iou_one_to_many
from app.compute.ops.nms import check_boxes

MAX_TRUE_BOXES = 1000
MAX_PROPOSALS = 20_000
MAX_PAIRS = 2_000_000  # true boxes × proposals: the IoUs one request may ask for


def mabo(ground_truth: Any, proposals: Any) -> dict:
    """{"mabo", "best_iou": one per true box, "best_proposal": the index of the proposal reaching it (None when no
    proposal overlaps)}, with IoU exactly as /api/metrics/iou computes it."""
    truth = check_boxes(ground_truth, "ground_truth", MAX_TRUE_BOXES)
    if len(truth) == 0:
        raise InputError(en="ground_truth needs at least one true box: MABO averages over the true boxes.",
                         ru="В ground_truth нужна хотя бы одна истинная рамка: MABO — среднее по истинным рамкам.")
    found = check_boxes(proposals, "proposals", MAX_PROPOSALS)
    if len(truth) * len(found) > MAX_PAIRS:
        raise InputError(
            en=f"{len(truth)} true boxes × {len(found)} proposals is {len(truth) * len(found)} IoUs (at most {MAX_PAIRS}).",
            ru=f"{len(truth)} истинных рамок × {len(found)} предложений — это {len(truth) * len(found)} IoU "
               f"(не больше {MAX_PAIRS}).", status=413)
    best, which = [], []
    for box in truth:
        ious = _iou_one_to_many(box, found) if len(found) else np.zeros(0)
        index = int(np.argmax(ious)) if len(ious) else None
        best.append(float(ious[index]) if index is not None else 0.0)
        which.append(index if index is not None and best[-1] > 0 else None)
    return {"mabo": float(np.mean(best)), "best_iou": best, "best_proposal": which}


def sliding_windows(width: int, height: int, sizes: Any, step_fraction: float = 0.5,
                    aspect_ratios: tuple[float, ...] = (1.0,)) -> list[list[float]]:
    """Square-ish windows of each size (in px, the side of a square of the same area) at each aspect ratio
    (width / height), stepped by step_fraction of the window over a width × height image; windows stay inside."""
    if not isinstance(sizes, (list, tuple)) or not sizes or not all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and 1 <= s for s in sizes):
        raise InputError(en=f"sizes must be a list of window sizes of at least 1 px, got {brief(sizes)}.",
                         ru=f"sizes: нужен список размеров окна не меньше 1 пикселя, а получено {brief(sizes)}.")
    windows = []
    for size in sizes:
        for ratio in aspect_ratios:
            w, h = min(width, size * ratio ** 0.5), min(height, size / ratio ** 0.5)
            step_x, step_y = max(1.0, w * step_fraction), max(1.0, h * step_fraction)
            xs = np.arange(0.0, width - w + 1e-9, step_x)
            ys = np.arange(0.0, height - h + 1e-9, step_y)
            windows.extend([float(x), float(y), float(x + w), float(y + h)] for y in ys for x in xs)
            if len(windows) > MAX_PROPOSALS:
                raise InputError(en=f"Those windows make more than {MAX_PROPOSALS} proposals; use larger windows.",
                                 ru=f"Таких окон больше {MAX_PROPOSALS}; возьмите окна крупнее.", status=413)
    return windows
