"""A convolutional layer as the lecture builds it: volumes in, volumes out.

The lecture's example: a 32×32×3 image, a 5×5×3 filter, one number wᵀx + b per position (a 75-long
vector and a bias), a 28×28×1 activation map per filter, 28×28×6 for six filters. Then ReLU applied
elementwise and a bank of filters on a photo (conv layers stacked on each other: conv_stack.py).

Shapes on pages are written the way the lecture writes them, height × width × depth; torch keeps
(C, H, W), so `hwc` turns one into the other. Photos are quantised to two decimals in [0, 1] and the
filters here have a few decimals, so every product on a page is exact and the page's sum is exactly
what torch adds up.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from app.compute import samples
from app.compute.ops import arithmetic
from app.compute.arrays import to_int
from app.compute.ops.conv import conv2d, finite_or_error
from app.compute.ops.display import display_decimals, shown
from app.compute.errors import InputError, brief

# Figures quoted from the lecture (shared/lecture/cnn-lecture.txt), as height, width, depth.
LECTURE_SOURCE = "cnn-lecture.txt"
LECTURE_EXAMPLE = {
    # Section "Карты активации": 32×32×3 image, 5×5×3 filter, wTx + b, "75-мерный вектор",
    # stride 1, no padding, 28×28×1 for one filter, 28×28×6 for six.
    "section": "Карты активации",
    "input": (32, 32, 3),
    "filter": (5, 5, 3),
    "vector_length": 75,
    "stride": 1,
    "padding": 0,
    "one_filter": (28, 28, 1),
    "six_filters": (28, 28, 6),
}
LECTURE_LAYERS = {
    # Section "Convolutional Neural Networks: Layers" (CS231n): INPUT [32x32x3], CONV with 12 filters
    # [32x32x12], RELU [32x32x12], POOL [16x16x12], FC [1x1x10] (CIFAR-10 class scores).
    "section": "Convolutional Neural Networks: Layers",
    "filters": 12,
    "classes": 10,
    "shapes": {"input": (32, 32, 3), "conv": (32, 32, 12), "relu": (32, 32, 12), "pool": (16, 16, 12),
               "fc": (1, 1, 10)},
}

PHOTO_DECIMALS = 2
MAX_PHOTO_SIDE = 256
FILTER_SIDE = 5
MAX_FILTERS = 16
PRODUCT_DECIMALS = 5  # x has 2 decimals and the hand-made filters at most 3


def hwc(chw) -> list[int]:
    """A torch shape (C, H, W) written as the lecture writes volumes: [H, W, C]."""
    c, h, w = (int(v) for v in chw)
    return [h, w, c]


def photo_volume(sample: str, side: int = 32) -> np.ndarray:
    """A sample photo as a (3, side, side) float64 volume in [0, 1], two decimals.

    The largest centred square is cut out and shrunk with a Lanczos filter; rounding to two decimals
    (100 grey levels instead of 256, invisible to the eye) keeps every product on a page exact.
    """
    side = to_int(side, "side", 4, MAX_PHOTO_SIDE)
    image = samples.load_sample(sample)
    edge = min(image.size)
    left, top = (image.width - edge) // 2, (image.height - edge) // 2
    square = image.crop((left, top, left + edge, top + edge)).resize((side, side), Image.Resampling.LANCZOS)
    pixels = np.asarray(square, dtype=np.float64) / 255.0  # (side, side, 3)
    return np.round(pixels.transpose(2, 0, 1), PHOTO_DECIMALS)  # (3, side, side)


def volume_pixels(x: np.ndarray) -> np.ndarray:
    """A (3, H, W) volume in [0, 1] as uint8 RGB pixels (H, W, 3)."""
    return (np.clip(np.asarray(x).transpose(1, 2, 0), 0.0, 1.0) * 255).round().astype(np.uint8)


def signed_pixels(values: np.ndarray, peak: float | None = None) -> np.ndarray:
    """Values (H, W) as grey uint8: 0 is mid-grey 128, +peak white, −peak black (peak: max |value|)."""
    values = np.asarray(values, dtype=np.float64)
    peak = float(np.abs(values).max()) if peak is None else float(peak)
    unit = values / peak if peak > 0 else np.zeros_like(values)
    return np.clip(128 + 127 * unit, 0, 255).round().astype(np.uint8)


def filter_pixels(w: np.ndarray) -> np.ndarray:
    """A (3, F, F) filter as an RGB picture (F, F, 3): 0 is grey, the largest |weight| is 0 or 255."""
    w = np.asarray(w, dtype=np.float64)
    peak = float(np.abs(w).max())
    unit = w / peak if peak > 0 else np.zeros_like(w)
    return np.clip(128 + 127 * unit, 0, 255).round().astype(np.uint8).transpose(1, 2, 0)


@dataclass(frozen=True)
class BankFilter:
    """A hand-made 5×5×3 filter: a spatial pattern (5×5) times a colour vector (R, G, B), times scale."""

    key: str
    pattern: tuple[tuple[int, ...], ...]
    colour: tuple[float, float, float]
    scale: float
    names: dict[str, str]
    descriptions: dict[str, str]

    @property
    def weights(self) -> np.ndarray:
        """(3, 5, 5) float64, rounded so that every weight has at most three decimals."""
        pattern = np.asarray(self.pattern, dtype=np.float64)
        colour = np.asarray(self.colour, dtype=np.float64)
        return np.round(colour[:, None, None] * pattern[None] * self.scale, 6)


def _rows(*rows: str) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(v) for v in row.split()) for row in rows)


_LEFT_RIGHT = _rows("-1 -1 0 1 1", "-1 -1 0 1 1", "-1 -1 0 1 1", "-1 -1 0 1 1", "-1 -1 0 1 1")
_TOP_BOTTOM = tuple(zip(*_LEFT_RIGHT))
_DIAGONAL = tuple(tuple(int(np.sign(j - i)) for j in range(5)) for i in range(5))  # + above the ↘ diagonal
_ANTI_DIAGONAL = tuple(tuple(int(np.sign(4 - i - j)) for j in range(5)) for i in range(5))  # + above ↙
_ALL = _rows(*["1 1 1 1 1"] * 5)
_SPOT = _rows("-1 -1 -1 -1 -1", "-1 -1 -1 -1 -1", "-1 -1 24 -1 -1", "-1 -1 -1 -1 -1", "-1 -1 -1 -1 -1")
LUMA = (0.3, 0.6, 0.1)  # ITU-R 601 weights (0.299, 0.587, 0.114), rounded

FILTER_BANK: dict[str, BankFilter] = {
    f.key: f
    for f in (
        BankFilter(
            "vertical_edge", _LEFT_RIGHT, (1, 1, 1), 0.1,
            {"en": "Vertical edge", "ru": "Вертикальный край"},
            {"en": "Right columns minus left columns, in all three channels: bright where the photo gets "
                   "lighter from left to right.",
             "ru": "Правые столбцы минус левые во всех трёх каналах: светлеет там, где снимок становится "
                   "ярче слева направо."},
        ),
        BankFilter(
            "horizontal_edge", _TOP_BOTTOM, (1, 1, 1), 0.1,
            {"en": "Horizontal edge", "ru": "Горизонтальный край"},
            {"en": "Lower rows minus upper rows: bright where the photo gets lighter downwards.",
             "ru": "Нижние строки минус верхние: светлеет там, где снимок становится ярче книзу."},
        ),
        BankFilter(
            "diagonal_edge", _DIAGONAL, (1, 1, 1), 0.1,
            {"en": "Diagonal edge ↘", "ru": "Диагональный край ↘"},
            {"en": "Above the ↘ diagonal minus below it: edges running from top left to bottom right.",
             "ru": "Над диагональю ↘ минус под ней: края, идущие из левого верхнего угла в правый нижний."},
        ),
        BankFilter(
            "anti_diagonal_edge", _ANTI_DIAGONAL, (1, 1, 1), 0.1,
            {"en": "Diagonal edge ↙", "ru": "Диагональный край ↙"},
            {"en": "Above the ↙ diagonal minus below it: edges running from top right to bottom left.",
             "ru": "Над диагональю ↙ минус под ней: края, идущие из правого верхнего угла в левый нижний."},
        ),
        BankFilter(
            "blur", _ALL, LUMA, 0.04,
            {"en": "Brightness blur", "ru": "Размытая яркость"},
            {"en": "The average brightness of the 5×5 patch (0.3 R + 0.6 G + 0.1 B): weights sum to 1.",
             "ru": "Средняя яркость участка 5×5 (0,3 R + 0,6 G + 0,1 B): сумма весов равна 1."},
        ),
        BankFilter(
            "red_green", _ALL, (1, -1, 0), 0.04,
            {"en": "Red vs green", "ru": "Красный против зелёного"},
            {"en": "Colour-opponent: red minus green over the patch. Bright on red, dark on green, grey on grey.",
             "ru": "Цветовая оппонентность: красный минус зелёный по всему участку. Светлое на красном, "
                   "тёмное на зелёном, серое на сером."},
        ),
        BankFilter(
            "blue_yellow", _ALL, (-0.5, -0.5, 1), 0.04,
            {"en": "Blue vs yellow", "ru": "Синий против жёлтого"},
            {"en": "Colour-opponent: blue minus yellow (the mean of red and green). Bright on blue, dark on "
                   "yellow and orange.",
             "ru": "Цветовая оппонентность: синий минус жёлтый (среднее красного и зелёного). Светлое на "
                   "синем, тёмное на жёлтом и оранжевом."},
        ),
        BankFilter(
            "spot", _SPOT, LUMA, 0.01,
            {"en": "Bright spot", "ru": "Светлая точка"},
            {"en": "Centre pixel against its 24 neighbours (brightness): bright on small light dots, "
                   "dark on small dark ones.",
             "ru": "Центральный пиксель против 24 соседей (по яркости): светлеет на маленьких светлых точках, "
                   "темнеет на тёмных."},
        ),
    )
}


def random_filter(seed, depth: int = 3, side: int = FILTER_SIDE) -> np.ndarray:
    """A seeded (depth, side, side) filter of one-decimal weights in −0.5 … 0.5."""
    seed = to_int(seed, "seed", 0, 2**31 - 1)
    rng = np.random.default_rng(seed)
    return rng.integers(-5, 6, size=(depth, side, side)) / 10.0


def random_filters(seed, count: int, depth: int = 3, side: int = FILTER_SIDE) -> tuple[np.ndarray, np.ndarray]:
    """(count, depth, side, side) one-decimal weights and (count,) one-decimal biases in −0.2 … 0.2, seeded."""
    seed = to_int(seed, "seed", 0, 2**31 - 1)
    count = to_int(count, "count", 1, MAX_FILTERS)
    rng = np.random.default_rng(seed)
    weights = rng.integers(-5, 6, size=(count, depth, side, side)) / 10.0
    biases = rng.integers(-2, 3, size=count) / 10.0
    return weights, biases


def _check_position(row, col, out_h: int, out_w: int) -> tuple[int, int]:
    row = to_int(row, "row", 0, out_h - 1)
    col = to_int(col, "col", 0, out_w - 1)
    return row, col


def dot_product_at(x, w, bias, row, col, device: str = "cpu") -> dict:
    """One activation: the filter on the patch at (row, col), stride 1, no padding, as wᵀx + b.

    x (C, H, W) and w (C, F, F). The map comes from torch (conv2d in float64); the products, the
    per-channel sums and wᵀx + b come from numpy on the patch, and "agrees" says that the two match.
    Returns {"patch", "weights", "products": (C, F, F) nested lists as shown (exact decimals),
    "channel_sums": C numbers, "dot": Σ products, "bias", "result": dot + bias, "torch_value": the
    map's value at (row, col), "difference": |result − torch_value|, "agrees": bool, "count": C·F·F,
    "row", "col", "map": (out_h, out_w) float64 array, "decimals": {"x", "w", "product", "result"}}.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 3 or w.ndim != 3 or x.shape[0] != w.shape[0]:
        raise InputError(
            en=f"The input must be C×H×W and the filter C×F×F with the same depth C; got {list(x.shape)} "
            f"and {list(w.shape)}.",
            ru=f"Вход должен иметь форму C×H×W, а фильтр — C×F×F с той же глубиной C; получены {list(x.shape)} "
            f"и {list(w.shape)}.",
        )
    depth, height, width = x.shape
    side = w.shape[1]
    if w.shape[2] != side or side > min(height, width):
        raise InputError(
            en=f"The filter must be square and fit inside the {height}×{width} input; got {w.shape[1]}×{w.shape[2]}.",
            ru=f"Фильтр должен быть квадратным и помещаться во вход {height}×{width}; получен "
            f"{w.shape[1]}×{w.shape[2]}.",
        )
    bias = float(bias)
    activation = finite_or_error(conv2d(x, w[None], np.array([bias]), device=device))[0]  # (out_h, out_w)
    row, col = _check_position(row, col, *activation.shape)
    patch = x[:, row : row + side, col : col + side]  # (C, F, F)
    products = patch * w
    channel_sums = products.sum(axis=(1, 2))
    dot = float(products.sum())
    result = dot + bias
    torch_value = float(activation[row, col])
    dx, _ = display_decimals(patch, PRODUCT_DECIMALS)
    dw, _ = display_decimals(w, PRODUCT_DECIMALS)
    dp, _ = display_decimals(products, PRODUCT_DECIMALS)
    dr = max(dp, display_decimals(np.array([bias]), PRODUCT_DECIMALS)[0])  # wᵀx + b needs the bias's decimals too

    def grid(values, decimals):
        return [[[shown(v, decimals) for v in r] for r in channel] for channel in values]

    return {
        "patch": grid(patch, dx),
        "weights": grid(w, dw),
        "products": grid(products, dp),
        "channel_sums": [shown(v, dp) for v in channel_sums],
        "dot": shown(dot, dp),
        "bias": shown(bias, dr),
        "result": shown(result, dr),
        "torch_value": torch_value,
        "difference": abs(result - torch_value),
        "agrees": bool(abs(result - torch_value) <= 1e-9 * max(1.0, abs(result))),
        "count": int(w.size),
        "row": row,
        "col": col,
        "map": activation,
        "decimals": {"x": dx, "w": dw, "product": dp, "result": dr},
    }


def layer_maps(x, weights, biases=None, stride: int = 1, padding: int = 0, device: str = "cpu") -> np.ndarray:
    """A conv layer's output volume: x (C, H, W), weights (K, C, F, F), biases (K,) -> (K, out_h, out_w)."""
    weights = np.asarray(weights, dtype=np.float64)
    check = arithmetic.conv_arithmetic(min(np.asarray(x).shape[1:]), weights.shape[-1], stride, padding,
                                       in_channels=weights.shape[1], filters=weights.shape[0])
    if check["floor_output"] is None:
        raise InputError(en=check["reason"]["en"], ru=check["reason"]["ru"])
    return finite_or_error(conv2d(x, weights, biases, stride, padding, device=device))


def bank_maps(x, keys=None, device: str = "cpu") -> dict:
    """Every filter of FILTER_BANK (or those named) on x (3, H, W), stride 1, no padding.

    Returns {"keys", "weights": (K, 3, 5, 5), "maps": (K, out_h, out_w), "sums": each filter's weight sum}.
    """
    keys = list(FILTER_BANK) if keys is None else list(keys)
    unknown = [k for k in keys if k not in FILTER_BANK]
    if unknown:
        raise InputError(
            en=f"Unknown filter {brief(unknown[0])}; the bank has {', '.join(FILTER_BANK)}.",
            ru=f"В наборе нет фильтра {brief(unknown[0])}; есть такие: {', '.join(FILTER_BANK)}.",
        )
    weights = np.stack([FILTER_BANK[k].weights for k in keys])  # (K, 3, 5, 5)
    maps = layer_maps(x, weights, device=device)
    return {"keys": keys, "weights": weights, "maps": maps, "sums": [round(float(s), 6) + 0.0 for s in weights.sum(axis=(1, 2, 3))]}


def relu_view(values, decimals: int = 3) -> dict:
    """ReLU elementwise: max(0, v) with torch, and which cells were negative.

    Returns {"before", "after": nested lists rounded to `decimals` (−0 shown as 0), "negative": bools,
    "negatives": how many, "total": how many values}.
    """
    values = np.asarray(values, dtype=np.float64)
    with torch.inference_mode():
        after = F.relu(torch.as_tensor(values)).numpy()
    negative = values < 0

    def rounded(a):
        return (np.round(a, decimals) + 0.0).tolist()

    return {
        "before": rounded(values),
        "after": rounded(after),
        "negative": negative.tolist(),
        "negatives": int(negative.sum()),
        "total": int(values.size),
    }
