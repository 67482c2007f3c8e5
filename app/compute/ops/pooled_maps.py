"""Pooling a real activation map: a kernel's response to a photo, an optional ReLU, then max and average
pooling applied one or more times, with pixels on one shared scale so the pooled maps compare fairly."""

import numpy as np

from app.compute.ops import kernels, pool
from app.compute.arrays import to_int
from app.compute.ops.conv import output_size
from app.compute.errors import InputError, brief

ACTIVATIONS = ("relu", "none")
WHITE_PERCENTILE = 99.5  # of |map|: the display's white point, so a few extreme pixels do not darken the rest


def pooled_activation(image, kernel, activation="relu", size=2, stride=2, times=1, device: str = "cpu") -> dict:
    """image (H, W) in [0, 1] -> {"activation": (H, W) map, "max": [(h, w) after each pooling], "avg": same,
    "shapes": [[H, W], then one per pooling], "peak": max |activation|, "white": the WHITE_PERCENTILE-th
    percentile of |activation|, the shared display scale (or the peak when that percentile is 0)}.

    The map is the kernel's 'same'-padded response (kernels.apply_kernel), passed through ReLU when
    activation is "relu" (as a CONV → RELU → POOL network does). Max and average pooling follow torch's
    defaults with no padding (pool.pool2d); each further pooling acts on the previous one's output.
    """
    if activation not in ACTIVATIONS:
        raise InputError(
            en=f"activation must be one of {', '.join(ACTIVATIONS)}, got {brief(activation)}.",
            ru=f"activation должна быть одной из: {', '.join(ACTIVATIONS)}, а получено {brief(activation)}.",
        )
    size = to_int(size, "size", 1, 8)
    stride = to_int(stride, "stride", 1, 8)
    times = to_int(times, "times", 1, 4)
    response = kernels.apply_kernel(image, kernel, device=device)  # (H, W)
    act = np.maximum(response, 0.0) if activation == "relu" else response
    shapes = [list(act.shape)]
    h, w = act.shape
    for _ in range(times):
        h, w = output_size(h, size, stride), output_size(w, size, stride)
        if min(h, w) < 1:
            raise InputError(
                en=f"After {len(shapes) - 1} pooling steps the map is {shapes[-1][0]}×{shapes[-1][1]}, smaller than "
                f"the {size}×{size} window: pool fewer times.",
                ru=f"После {len(shapes) - 1} шагов пулинга карта имеет размер {shapes[-1][0]}×{shapes[-1][1]} — "
                f"меньше окна {size}×{size}. Уменьшите число повторений.",
            )
        shapes.append([h, w])
    maxed, averaged = [act], [act]
    for _ in range(times):
        maxed.append(pool.pool2d(maxed[-1][None], "max", size, stride, device=device)[0][0])  # (h, w)
        averaged.append(pool.pool2d(averaged[-1][None], "avg", size, stride, device=device)[0][0])
    peak = float(np.abs(act).max())
    white = float(np.percentile(np.abs(act), WHITE_PERCENTILE)) or peak
    return {"activation": act, "max": maxed[1:], "avg": averaged[1:], "shapes": shapes, "peak": peak, "white": white}


def to_pixels(values: np.ndarray, peak: float, signed: bool) -> np.ndarray:
    """A map -> uint8 on a scale fixed by `peak`: 0…peak onto 0…255, or (signed) −peak…peak onto 0…255
    with 0 at mid-grey; values beyond ±peak are clipped. Several maps drawn with one peak compare by brightness."""
    values = np.asarray(values, dtype=np.float64)
    unit = values / peak if peak > 0 else np.zeros_like(values)
    scaled = (unit + 1.0) * 127.5 if signed else unit * 255.0
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)
