"""1-D convolution as the lecture writes it: y[n] = Σ_k x[k]·h[n − k] (full), the deep-learning kind
(cross-correlation, valid) and a step-by-step trace of either for the widget."""

from collections.abc import Iterator

import numpy as np

from app.compute.arrays import to_array
from app.compute.errors import InputError, brief
from app.compute.ops.conv import ConvLimits, finite_or_error
from app.compute.ops.display import DISPLAY_DECIMALS, display_decimals, shown

def _pairs_1d(len_x: int, len_h: int, mode: str) -> Iterator[tuple[int, list[tuple[int, int]]]]:
    """Yield (n, [(k, j)]): output n multiplies x[k] by h[j].

    convolution ('full'): j = n − k, n = 0 … len_x + len_h − 2;
    correlation ('valid'): k = n + j, n = 0 … len_x − len_h.
    """
    if mode == "convolution":
        for n in range(len_x + len_h - 1):
            yield n, [(k, n - k) for k in range(len_x) if 0 <= n - k < len_h]
    else:
        for n in range(len_x - len_h + 1):
            yield n, [(n + j, j) for j in range(len_h)]


def _signals_1d(x, h, mode: str, limits: ConvLimits) -> tuple[np.ndarray, np.ndarray]:
    xs = to_array(x, "x", (1,), limits.max_1d_length)
    hs = to_array(h, "h", (1,), limits.max_1d_length)
    if mode == "correlation" and len(hs) > len(xs):
        raise InputError(
            en=f"The kernel h ({len(hs)} numbers) is longer than the signal x ({len(xs)}); "
            "a 'valid' correlation has no position for it.",
            ru=f"Ядро h ({len(hs)} чисел) длиннее сигнала x ({len(xs)}): в режиме 'valid' ему негде поместиться.",
        )
    return xs, hs


def _run_1d(xs: np.ndarray, hs: np.ndarray, mode: str) -> list[float]:
    y = []
    for _, pairs in _pairs_1d(len(xs), len(hs), mode):
        total = 0.0
        for k, j in pairs:
            total += xs[k] * hs[j]
        y.append(total)
    return finite_or_error(np.asarray(y)).tolist()


def conv1d_full(x, h, limits: ConvLimits = ConvLimits()) -> list[float]:
    """True convolution y[n] = Σ_k x[k]·h[n − k], 'full' length len(x) + len(h) − 1 (as numpy.convolve)."""
    xs, hs = _signals_1d(x, h, "convolution", limits)
    return _run_1d(xs, hs, "convolution")


def correlate1d_valid(x, h, limits: ConvLimits = ConvLimits()) -> list[float]:
    """What deep-learning libraries call conv: y[n] = Σ_j x[n + j]·h[j], length len(x) − len(h) + 1."""
    xs, hs = _signals_1d(x, h, "correlation", limits)
    return _run_1d(xs, hs, "correlation")


def conv1d_trace(x, h, mode: str = "convolution", limits: ConvLimits = ConvLimits()) -> dict:
    """Each output n with its pairs (k, x[k], h index, h value, product) and their sum.

    mode "convolution" is conv1d_full (the kernel is flipped: "flipped" is h reversed), "correlation"
    is correlate1d_valid ("flipped" is None). "offset" of a step is the x index under the first cell
    of the kernel as drawn (flipped for convolution; it can be negative or run past the end in 'full'
    mode, where the missing x are zeros). Rounding as in conv2d_trace.

    Returns {"mode", "x", "h", "flipped", "output", "output_exact", "decimals", "exact",
    "steps": [{"n", "offset", "pairs": [{"k", "x", "h_index", "h", "product"}], "sum"}]}.
    """
    if mode not in ("convolution", "correlation"):
        raise InputError(
            en=f"mode must be 'convolution' or 'correlation', got {brief(mode)}.",
            ru=f"mode должен быть 'convolution' или 'correlation', а получено {brief(mode)}.",
        )
    xs, hs = _signals_1d(x, h, mode, limits)
    dx, x_exact = display_decimals(xs)
    dh, h_exact = display_decimals(hs)
    dp = min(dx + dh, DISPLAY_DECIMALS)
    exact = x_exact and h_exact and dx + dh <= DISPLAY_DECIMALS
    steps = []
    for n, pairs in _pairs_1d(len(xs), len(hs), mode):
        shown_pairs = [
            {"k": k, "x": shown(xs[k], dx), "h_index": j, "h": shown(hs[j], dh), "product": shown(xs[k] * hs[j], dp)}
            for k, j in pairs
        ]
        offset = n - (len(hs) - 1) if mode == "convolution" else n
        total = shown(sum(p["product"] for p in shown_pairs), dp)
        steps.append({"n": n, "offset": offset, "pairs": shown_pairs, "sum": total})
    return {
        "mode": mode,
        "x": [shown(v, dx) for v in xs],
        "h": [shown(v, dh) for v in hs],
        "flipped": [shown(v, dh) for v in hs[::-1]] if mode == "convolution" else None,
        "output": [step["sum"] for step in steps],
        "output_exact": _run_1d(xs, hs, mode),
        "decimals": {"x": dx, "h": dh, "product": dp},
        "exact": exact,
        "steps": steps,
    }
