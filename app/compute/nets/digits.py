"""Everything around the LeNet-5 demo that is not the network: sample digits drawn from strokes,
activations turned into pictures, large uploads shrunk before preprocessing, and the training report.

Sample digits are pen strokes in a unit square (x to the right, y down), smoothed with Catmull–Rom
splines and rasterised like the page's canvas: dark ink on white, round caps, antialiased. They let
keyboard users (and tests) send the network a digit without drawing one.
"""

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.compute.errors import InputError, brief
from torch import nn

from app.compute.nets.lenet import DEFAULT_WEIGHTS, LeNet5

CANVAS_SIDE = 56  # px: the page's canvas is exported at this size (a fifth of its 280-px drawing area)
STROKE_WIDTH = 0.075  # of the canvas side, as on the page
SUPERSAMPLE = 4  # draw 4× larger, then shrink: antialiased edges like a browser canvas
MAX_DIGIT_SIDE = 1024  # px: photos are shrunk to this before preprocessing (the digit ends up 20 px anyway)

Stroke = list[tuple[float, float]]


def _ellipse(cx: float, cy: float, rx: float, ry: float, start: float = -90.0, sweep: float = 360.0,
             points: int = 24) -> Stroke:
    """Points along an ellipse, angles in degrees from the +x axis, clockwise on screen (y down)."""
    return [
        (cx + rx * math.cos(math.radians(start + sweep * k / points)),
         cy + ry * math.sin(math.radians(start + sweep * k / points)))
        for k in range(points + 1)
    ]


# One list of strokes per digit, shaped roughly as people write them.
SAMPLE_STROKES: dict[int, list[Stroke]] = {
    0: [_ellipse(0.5, 0.5, 0.2, 0.33, start=-100, sweep=370)],
    1: [[(0.4, 0.27), (0.53, 0.15), (0.53, 0.86)]],
    2: [[(0.29, 0.3), (0.36, 0.18), (0.5, 0.14), (0.64, 0.18), (0.7, 0.3), (0.65, 0.45), (0.47, 0.64),
         (0.3, 0.85), (0.5, 0.84), (0.74, 0.85)]],
    3: [[(0.3, 0.2), (0.45, 0.14), (0.61, 0.17), (0.67, 0.29), (0.6, 0.42), (0.45, 0.48)],
        [(0.45, 0.48), (0.62, 0.52), (0.7, 0.66), (0.62, 0.81), (0.45, 0.86), (0.3, 0.8)]],
    4: [[(0.5, 0.15), (0.28, 0.6), (0.76, 0.6)], [(0.62, 0.35), (0.62, 0.87)]],
    5: [[(0.68, 0.15), (0.38, 0.15), (0.34, 0.45), (0.52, 0.41), (0.66, 0.5), (0.7, 0.66), (0.62, 0.81),
         (0.46, 0.86), (0.3, 0.8)]],
    6: [[(0.63, 0.14), (0.46, 0.28), (0.36, 0.48), (0.33, 0.67), (0.4, 0.82), (0.52, 0.86), (0.65, 0.8),
         (0.68, 0.65), (0.6, 0.53), (0.47, 0.52), (0.36, 0.6)]],
    7: [[(0.27, 0.18), (0.73, 0.18), (0.5, 0.52), (0.44, 0.86)]],
    8: [[(0.62, 0.24), (0.5, 0.15), (0.37, 0.22), (0.38, 0.36), (0.5, 0.47), (0.64, 0.58), (0.66, 0.74),
         (0.52, 0.86), (0.36, 0.77), (0.37, 0.6), (0.5, 0.47), (0.62, 0.37), (0.62, 0.24)]],
    9: [[(0.65, 0.3), (0.58, 0.17), (0.46, 0.15), (0.35, 0.22), (0.34, 0.36), (0.43, 0.45), (0.57, 0.44),
         (0.65, 0.3), (0.64, 0.55), (0.58, 0.86)]],
}


def _catmull_rom(points: Stroke, steps: int = 8) -> Stroke:
    """A smooth curve through the points (uniform Catmull–Rom, ends repeated)."""
    if len(points) < 3:
        return list(points)
    p = [points[0], *points, points[-1]]
    curve = []
    for k in range(1, len(p) - 2):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3) = p[k - 1], p[k], p[k + 1], p[k + 2]
        for s in range(steps):
            t = s / steps
            t2, t3 = t * t, t * t * t
            curve.append((
                0.5 * (2 * x1 + (x2 - x0) * t + (2 * x0 - 5 * x1 + 4 * x2 - x3) * t2 + (3 * x1 - x0 - 3 * x2 + x3) * t3),
                0.5 * (2 * y1 + (y2 - y0) * t + (2 * y0 - 5 * y1 + 4 * y2 - y3) * t2 + (3 * y1 - y0 - 3 * y2 + y3) * t3),
            ))
    curve.append(points[-1])
    return curve


def rasterize(strokes: list[Stroke], side: int = CANVAS_SIDE, width: float = STROKE_WIDTH) -> np.ndarray:
    """Strokes in the unit square -> (side, side) uint8, dark ink (0) on white (255), round caps and joins."""
    big = side * SUPERSAMPLE
    image = Image.new("L", (big, big), 255)
    draw = ImageDraw.Draw(image)
    pen = max(1.0, width * big)
    radius = pen / 2
    for stroke in strokes:
        points = [(x * big, y * big) for x, y in _catmull_rom(stroke)]
        if len(points) > 1:
            draw.line(points, fill=0, width=round(pen))
        for x, y in points:  # round caps and joins
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=0)
    return np.asarray(image.resize((side, side), Image.Resampling.BOX), dtype=np.uint8)


def sample_digit(digit: int, side: int = CANVAS_SIDE) -> np.ndarray:
    """The course's drawing of `digit` (0–9) as the page's canvas would export it."""
    if isinstance(digit, bool) or not isinstance(digit, int) or digit not in SAMPLE_STROKES:
        raise InputError(
            en=f"Sample digits are 0 to 9, got {brief(digit)}.",
            ru=f"Образцы цифр — от 0 до 9, а получено {brief(digit)}.",
        )
    return _sample(digit, side).copy()


@lru_cache(maxsize=32)
def _sample(digit: int, side: int) -> np.ndarray:
    return rasterize(SAMPLE_STROKES[digit], side)


def shrink_for_digit(image: Image.Image, max_side: int = MAX_DIGIT_SIDE) -> Image.Image:
    """A copy no larger than max_side on its longer side (a photo's digit only needs a few hundred pixels)."""
    if max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.BOX)


def to_gray(values, high: float) -> np.ndarray:
    """Non-negative values as uint8: 0 is black, `high` (and above) white. high <= 0 gives all black."""
    array = np.asarray(values, dtype=np.float64)
    if high <= 0:
        return np.zeros(array.shape, dtype=np.uint8)
    return np.round(np.clip(array / high, 0.0, 1.0) * 255).astype(np.uint8)


def to_signed_gray(values, limit: float) -> np.ndarray:
    """Signed values as uint8: 0 is mid grey (128), +limit white, −limit black."""
    array = np.asarray(values, dtype=np.float64)
    if limit <= 0:
        return np.full(array.shape, 128, dtype=np.uint8)
    return np.round(128 + 127 * np.clip(array / limit, -1.0, 1.0)).astype(np.uint8)


def vector_grid(length: int) -> tuple[int, int]:
    """(rows, columns) of the grid a vector of `length` neurons is drawn in: at most 12 columns."""
    columns = min(length, 12)
    return math.ceil(length / columns), columns


def layer_pictures(activations: dict) -> list[dict]:
    """Every LeNet layer's output as pictures: one per channel for maps, one grid for vectors.

    Returns [{"name", "shape", "kind": "maps"|"vector", "images": [uint8 arrays], "low", "high",
    "signed", "grid": [rows, cols] for vectors}], in forward order. ReLU layers share one scale per
    layer (0 … the layer's maximum), so maps of a layer can be compared; the output layer's class
    scores can be negative and are drawn around mid grey.
    """
    pictures = []
    for name, values in activations.items():
        array = np.asarray(values, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        signed = low < 0
        limit = max(abs(low), abs(high))

        def draw(a):
            return to_signed_gray(a, limit) if signed else to_gray(a, high)

        item = {"name": name, "shape": list(array.shape), "low": low, "high": high, "signed": signed}
        if array.ndim == 3 and array.shape[1:] != (1, 1):
            item.update(kind="maps", images=[draw(channel) for channel in array])
        else:
            flat = array.reshape(-1)
            rows, columns = vector_grid(flat.size)
            padded = np.full(rows * columns, np.nan)
            padded[:flat.size] = flat
            grid = draw(np.nan_to_num(padded.reshape(rows, columns), nan=0.0))
            grid = grid.copy()
            if rows * columns > flat.size:  # unused cells of the last row: a light hatch-free grey
                grid.reshape(-1)[flat.size:] = 235
            item.update(kind="vector", images=[grid], grid=[rows, columns])
        pictures.append(item)
    return pictures


def top_contributions(products, count: int = 8) -> dict:
    """The `count` products with the largest magnitude (index, value), and the sum of all the others."""
    flat = np.asarray(products, dtype=np.float64).reshape(-1)
    order = np.argsort(-np.abs(flat), kind="stable")[:count]
    rest = np.ones(flat.size, dtype=bool)
    rest[order] = False
    return {"top": [(int(i), float(flat[i])) for i in order], "rest_sum": float(flat[rest].sum()),
            "rest_count": int(rest.sum()), "total": float(flat.sum())}


@lru_cache(maxsize=1)
def _report(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def training_report(path: str | Path = DEFAULT_WEIGHTS.with_suffix(".json")) -> dict:
    """What scripts/train_lenet.py wrote beside the weights: data, split, accuracy, schedule."""
    report = dict(_report(str(path)))
    report["held_out_correct"] = round(report["held_out_accuracy"] * report["test_size"])
    report["held_out_errors"] = report["test_size"] - report["held_out_correct"]
    report["total_size"] = report["train_size"] + report["test_size"]
    return report


# The lecture's LeNet-5 slide, quoted ("Case Study: LeNet-5 [LeCun et al., 1998]").
LECTURE_LENET = {
    "conv": "Conv filters were 5x5, applied at stride 1",
    "pool": "Subsampling (Pooling) layers were 2x2 applied at stride 2",
    "pattern": "[CONV-POOL-CONV-POOL-CONV-FC]",
    "conv_size": 5, "conv_stride": 1, "pool_size": 2, "pool_stride": 2,
}
# From the 1998 paper (LeCun, Bottou, Bengio, Haffner. Gradient-Based Learning Applied to Document
# Recognition. Proc. IEEE 86(11)): MNIST's full training set, which the course's network does not use.
PAPER_LENET = {"mnist_train": 60_000, "mnist_test": 10_000}


def lenet_vs_lecture(model: nn.Module | None = None) -> dict:
    """The course's LeNet-5 checked against the lecture's slide: filter sizes, strides and the layer pattern."""
    model = LeNet5() if model is None else model
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    sequence = [
        "CONV" if isinstance(m, nn.Conv2d) else "POOL" if isinstance(m, nn.MaxPool2d) else "FC"
        for m in model.children() if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.Linear))
    ]
    computed = "[" + "-".join(sequence) + "]"
    return {
        "lecture": dict(LECTURE_LENET),
        "pattern": computed,
        # The lecture's bracket stops at the hidden FC layer (F6); the 10 class scores come from one more layer.
        "pattern_without_output": "[" + "-".join(sequence[:-1]) + "]",
        "pattern_matches": "[" + "-".join(sequence[:-1]) + "]" == LECTURE_LENET["pattern"],
        "conv_settings": sorted({(m.kernel_size[0], m.stride[0]) for m in convs}),
        "pool_settings": sorted({(m.kernel_size, m.stride) for m in pools}),
        "convs_match": all(m.kernel_size == (LECTURE_LENET["conv_size"],) * 2
                           and m.stride == (LECTURE_LENET["conv_stride"],) * 2 for m in convs),
        "pools_match": all(m.kernel_size == LECTURE_LENET["pool_size"] and m.stride == LECTURE_LENET["pool_stride"]
                           for m in pools),
    }
