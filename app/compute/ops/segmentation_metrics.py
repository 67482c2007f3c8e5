"""Scores of a segmentation: per-class IoU, mean IoU and pixel accuracy of two label maps.

A label map is an (H, W) array of class indices 0 … C − 1, one per pixel; class 0 is the background.
The ground truth and the prediction are compared pixel by pixel through their confusion matrix
(rows: true class, columns: predicted class). For class c:

    intersection = pixels labelled c in both maps          (the diagonal entry)
    union        = pixels labelled c in either map         (row sum + column sum − diagonal)
    IoU          = intersection / union

Classes that appear in neither map have an empty union and no IoU; they stay out of the mean, as in
the PASCAL VOC evaluation. The toy scenes below give the lesson label maps that need no trained model.
"""

from typing import Any

import numpy as np

from app.compute.errors import InputError

MAX_SIDE = 64
MAX_CLASSES = 32


def check_label_map(labels: Any, num_classes: int, what: str = "label map") -> np.ndarray:
    """An (H, W) array of whole class indices in [0, num_classes); InputError for anything else."""
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or not 1 <= num_classes <= MAX_CLASSES:
        raise InputError(
            en=f"The number of classes must be a whole number from 1 to {MAX_CLASSES}.",
            ru=f"Число классов должно быть целым, от 1 до {MAX_CLASSES}.",
        )
    try:
        array = np.asarray(labels)
    except (ValueError, TypeError):
        array = np.zeros(0)
    if array.dtype == object or array.ndim != 2 or array.size == 0 or max(array.shape) > MAX_SIDE:
        raise InputError(
            en=f"The {what} must be a rectangular grid of class numbers, at most {MAX_SIDE}×{MAX_SIDE}.",
            ru=f"Карта классов ({what}) должна быть прямоугольной таблицей номеров классов, "
               f"не больше {MAX_SIDE}×{MAX_SIDE}.",
        )
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or not np.all(array == np.round(array)):
            raise InputError(en=f"The {what} must hold whole class numbers.",
                             ru=f"В карте классов ({what}) должны быть целые номера классов.")
    elif array.dtype.kind not in "iu":
        raise InputError(en=f"The {what} must hold class numbers.", ru=f"В карте классов ({what}) должны быть номера классов.")
    array = array.astype(np.int64)
    if array.min() < 0 or array.max() >= num_classes:
        raise InputError(
            en=f"The {what} has a class outside 0 … {num_classes - 1}.",
            ru=f"В карте классов ({what}) есть класс вне диапазона 0 … {num_classes - 1}.",
        )
    return array


def _pair(truth, pred, num_classes: int) -> tuple[np.ndarray, np.ndarray]:
    truth = check_label_map(truth, num_classes, "ground truth")
    pred = check_label_map(pred, num_classes, "prediction")
    if truth.shape != pred.shape:
        raise InputError(
            en=f"The ground truth is {truth.shape[0]}×{truth.shape[1]} but the prediction is "
               f"{pred.shape[0]}×{pred.shape[1]}; they must be the same size.",
            ru=f"Разметка размером {truth.shape[0]}×{truth.shape[1]}, а предсказание — "
               f"{pred.shape[0]}×{pred.shape[1]}; размеры должны совпадать.",
        )
    return truth, pred


def confusion_matrix(truth, pred, num_classes: int) -> np.ndarray:
    """(C, C) pixel counts: entry [t, p] is how many pixels of true class t were predicted as p."""
    truth, pred = _pair(truth, pred, num_classes)
    counts = np.bincount(truth.ravel() * num_classes + pred.ravel(), minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def segmentation_scores(truth, pred, num_classes: int, include_background: bool = True) -> dict[str, Any]:
    """Per-class intersection, union and IoU, their mean over the classes present, and pixel accuracy.

    "classes": one dict per class index: "intersection", "union", "truth" and "predicted" pixel
    counts, "iou" (None when the union is empty). "mean_iou" averages the IoUs that exist (without
    class 0 when include_background is False; None when there are none). "pixel_accuracy" is the
    share of pixels whose predicted class is the true one, background included.
    """
    matrix = confusion_matrix(truth, pred, num_classes)
    intersection = np.diag(matrix)  # (C,)
    truth_pixels = matrix.sum(axis=1)
    predicted_pixels = matrix.sum(axis=0)
    union = truth_pixels + predicted_pixels - intersection
    classes = []
    for c in range(num_classes):
        iou = float(intersection[c] / union[c]) if union[c] else None
        classes.append({"index": c, "intersection": int(intersection[c]), "union": int(union[c]),
                        "truth": int(truth_pixels[c]), "predicted": int(predicted_pixels[c]), "iou": iou})
    counted = [c for c in classes if c["iou"] is not None and (include_background or c["index"] != 0)]
    total = int(matrix.sum())
    return {
        "classes": classes,
        "counted": [c["index"] for c in counted],
        "mean_iou": float(np.mean([c["iou"] for c in counted])) if counted else None,
        "correct": int(intersection.sum()),
        "total": total,
        "pixel_accuracy": float(intersection.sum() / total),
        "confusion": matrix.tolist(),
        "include_background": bool(include_background),
    }


# ---------------------------------------------------------------------------------------------
# Toy label maps: a seeded scene and a prediction made from it by a known mistake.

CHANGES = ("none", "shift", "erode", "dilate", "noise")
TOY_CLASSES = 4  # background, and three objects


def toy_scene(seed: int, size: int = 10) -> np.ndarray:
    """A (size, size) label map: a wide box (class 1), an ellipse (class 2), a tall box (class 3).

    Drawn again from the same generator until every class keeps some pixels, so it stays seeded.
    """
    if not 6 <= size <= MAX_SIDE:
        raise InputError(en=f"The grid side must be from 6 to {MAX_SIDE}.", ru=f"Сторона сетки должна быть от 6 до {MAX_SIDE}.")
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:size, 0:size]
    while True:
        labels = np.zeros((size, size), dtype=np.int64)
        # class 1: a wide box in the lower half
        h, w = max(2, size // 4), max(3, size // 2)
        top, left = int(rng.integers(size // 2, size - h + 1)), int(rng.integers(0, size - w + 1))
        labels[top:top + h, left:left + w] = 1
        # class 2: an ellipse anywhere
        radius_y, radius_x = size / 5 + rng.random() * size / 10, size / 4 + rng.random() * size / 10
        cy, cx = rng.uniform(radius_y, size - radius_y), rng.uniform(radius_x, size - radius_x)
        labels[((rows + 0.5 - cy) / radius_y) ** 2 + ((cols + 0.5 - cx) / radius_x) ** 2 <= 1] = 2
        # class 3: a tall box, drawn last so it stands in front
        h, w = max(3, size // 2), max(1, size // 6)
        top, left = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
        labels[top:top + h, left:left + w] = 3
        if len(np.unique(labels)) == TOY_CLASSES:
            return labels


def shift(labels: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """The map moved dy rows down and dx columns right; uncovered pixels become background."""
    out = np.zeros_like(labels)
    h, w = labels.shape
    src = labels[max(0, -dy):h - max(0, dy), max(0, -dx):w - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def _neighbour_any(mask: np.ndarray) -> np.ndarray:
    """Pixels that are in the mask or have a 4-neighbour in it."""
    grown = mask.copy()
    grown[1:, :] |= mask[:-1, :]
    grown[:-1, :] |= mask[1:, :]
    grown[:, 1:] |= mask[:, :-1]
    grown[:, :-1] |= mask[:, 1:]
    return grown


def erode(labels: np.ndarray, steps: int) -> np.ndarray:
    """Every object loses its border pixels (4-neighbourhood) `steps` times; they become background."""
    out = labels.copy()
    for _ in range(steps):
        boundary = np.zeros(out.shape, dtype=bool)
        for c in np.unique(out):
            if c == 0:
                continue
            outside = out != c
            # image edges count as inside, so an object touching the border keeps that side
            boundary |= (out == c) & _neighbour_any(outside)
        out[boundary] = 0
    return out


def dilate(labels: np.ndarray, steps: int) -> np.ndarray:
    """Every object grows by one pixel (4-neighbourhood) into the background, `steps` times."""
    out = labels.copy()
    for _ in range(steps):
        grown = out.copy()
        for c in np.unique(out):
            if c == 0:
                continue
            grown[(out == 0) & _neighbour_any(out == c)] = c
        out = grown
    return out


def corrupt(truth: np.ndarray, change: str, amount: int, seed: int) -> np.ndarray:
    """A toy prediction: the truth shifted, eroded, dilated or with `amount`·5 % of pixels relabelled."""
    if change not in CHANGES:
        raise InputError(en=f"Unknown change '{change}'; use one of: {', '.join(CHANGES)}.",
                         ru=f"Неизвестное изменение «{change}»; допустимы: {', '.join(CHANGES)}.")
    if change == "none":
        return truth.copy()
    if change == "shift":
        return shift(truth, amount, amount)
    if change == "erode":
        return erode(truth, amount)
    if change == "dilate":
        return dilate(truth, amount)
    rng = np.random.default_rng(seed + 1)
    out = truth.copy()
    flip = rng.random(truth.shape) < 0.05 * amount
    out[flip] = rng.integers(0, TOY_CLASSES, size=int(flip.sum()))
    return out


def parse_label_map(text: str, num_classes: int, what: str = "label map") -> np.ndarray:
    """Rows of digits separated by '/' (e.g. "0012/0112") -> an (H, W) label map."""
    rows = [row for row in str(text).strip().split("/") if row]
    if not rows or any(len(row) != len(rows[0]) for row in rows) or not all(row.isdigit() for row in rows):
        raise InputError(
            en=f"The {what} must be rows of digits of equal length separated by “/”.",
            ru=f"Карта классов ({what}) — это строки цифр одинаковой длины через «/».",
        )
    return check_label_map([[int(ch) for ch in row] for row in rows], num_classes, what)


def format_label_map(labels: np.ndarray) -> str:
    """The inverse of parse_label_map (classes below 10)."""
    return "/".join("".join(str(int(v)) for v in row) for row in labels)
