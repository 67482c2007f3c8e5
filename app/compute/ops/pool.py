"""Max and average pooling: torch's version, the API contract and an animation trace.

Pooling acts on each channel independently and has no trainable parameters. Conventions are torch's
defaults: max pooling pads with −∞ (a padding cell never wins), average pooling counts padding cells
as zeros in the divisor (count_include_pad=True, so every window divides by size_h·size_w), and the
output size is floored (ceil_mode=False), so a window never hangs past the padded input.
"""

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from app.compute.arrays import to_array, to_pair
from app.compute.ops.conv import (
    OUTPUT_OVERHEAD_BYTES, InputLimits, Pair, finite_or_error, output_size, windows, working_memory_error,
)
from app.compute.ops.display import display_decimals, shown
from app.compute.errors import InputError, brief

MODES = ("max", "avg")


def pool2d(
    x: np.ndarray,
    mode: str,
    size: int | Pair,
    stride: int | Pair | None = None,
    padding: int | Pair = 0,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray | None]:
    """x (C, H, W) -> (output (C, out_h, out_w), argmax (C, out_h, out_w) flat index in each H×W plane, or None).

    stride None means stride = size. argmax is None for "avg".
    """
    stride = size if stride is None else stride
    with torch.inference_mode():
        xt = torch.as_tensor(np.asarray(x), dtype=torch.float64, device=device)[None]  # (1, C, H, W)
        if mode == "max":
            y, indices = F.max_pool2d(
                xt, size, stride=stride, padding=padding, return_indices=True
            )  # (1, C, out_h, out_w) each
            return y[0].cpu().numpy(), indices[0].cpu().numpy()
        y = F.avg_pool2d(xt, size, stride=stride, padding=padding, count_include_pad=True)
        return y[0].cpu().numpy(), None


@dataclass(frozen=True)
class PoolLimits(InputLimits):
    """What one pooling request may ask for; bigger inputs get status 413, out-of-range settings 422.

    max_side: input height and width; max_channels: input channels C; max_size: window side;
    max_stride: per axis; max_input_elements: C·H·W; max_work: window cells visited C·out_h·out_w·size_h·size_w;
    max_working_bytes: the memory the computation needs (the padded input, the output and, for max pooling,
    its int64 argmax, as arrays and as JSON); max_trace_cells: out_h·out_w·size_h·size_w in a trace. Padding is
    at most half the window on each axis (torch's rule).
    """

    max_size: int = 32
    max_work: int = 25_000_000
    max_trace_cells: int = 20_000


def _settings(
    mode, size, stride, padding, height: int, width: int, limits: PoolLimits
) -> tuple[Pair, Pair, Pair, Pair]:
    """Checked (size, stride, padding, (out_h, out_w)) for an H×W plane."""
    if mode not in MODES:
        raise InputError(
            en=f"mode must be 'max' or 'avg', got {brief(mode)}.",
            ru=f"mode должен быть 'max' или 'avg', а получено {brief(mode)}.",
        )
    size = to_pair(size, "size", 1, limits.max_size)
    stride = size if stride is None else to_pair(stride, "stride", 1, limits.max_stride)
    padding = to_pair(padding, "padding", 0, limits.max_size // 2)
    for axis_en, axis_ru, n, k, p in (
        ("height", "высоте", height, size[0], padding[0]),
        ("width", "ширине", width, size[1], padding[1]),
    ):
        if 2 * p > k:
            raise InputError(
                en=f"padding {p} is more than half the window {axis_en} {k}. PyTorch does not allow that: "
                f"windows at the border would be mostly padding. Use padding at most {k // 2}.",
                ru=f"Заполнение {p} больше половины окна по {axis_ru} ({k}). PyTorch так не разрешает: окна у "
                f"края состояли бы в основном из заполнения. Возьмите заполнение не больше {k // 2}.",
            )
        if k > n + 2 * p:
            raise InputError(
                en=f"The window {axis_en} {k} is larger than the padded input {axis_en} "
                f"{n} + 2·{p} = {n + 2 * p}: the window fits nowhere, so there is no output.",
                ru=f"Окно по {axis_ru} ({k}) больше входа с заполнением по {axis_ru} "
                f"({n} + 2·{p} = {n + 2 * p}). Окну негде поместиться, выхода нет.",
            )
    out = (
        output_size(height, size[0], stride[0], padding[0]),
        output_size(width, size[1], stride[1], padding[1]),
    )
    return size, stride, padding, out


def _input(data, ndims: tuple[int, ...], limits: PoolLimits) -> np.ndarray:
    x = to_array(data, "input", ndims, limits.max_input_elements)
    height, width = x.shape[-2:]
    if max(height, width) > limits.max_side:
        raise InputError(
            en=f"input is {height}×{width}; it may be at most {limits.max_side} on each side.",
            ru=f"input имеет размер {height}×{width}, а может быть не больше {limits.max_side} по каждой стороне.",
            status=413,
        )
    if x.ndim == 3 and x.shape[0] > limits.max_channels:
        raise InputError(
            en=f"input has {x.shape[0]} channels; at most {limits.max_channels} are allowed.",
            ru=f"У input {x.shape[0]} каналов, а допускается не больше {limits.max_channels}.",
            status=413,
        )
    return x


def pool_working_bytes(channels: int, height: int, width: int, mode: str, padding: Pair, out: Pair) -> int:
    """Memory one float64 pooling needs, in bytes: the padded input, the output and max pooling's int64 argmax
    (arrays, then Python numbers and JSON text)."""
    padded = channels * (height + 2 * padding[0]) * (width + 2 * padding[1])
    outputs = channels * out[0] * out[1] * (2 if mode == "max" else 1)
    return 8 * (padded + outputs) + OUTPUT_OVERHEAD_BYTES * outputs


def _check_cost(channels: int, height: int, width: int, mode: str, size: Pair, padding: Pair, out: Pair,
                limits: PoolLimits) -> None:
    working = pool_working_bytes(channels, height, width, mode, padding, out)
    if working > limits.max_working_bytes:
        raise working_memory_error(working, limits.max_working_bytes)
    work = channels * out[0] * out[1] * size[0] * size[1]
    if work > limits.max_work:
        raise InputError(
            en=f"This pooling visits {work} window cells; at most {limits.max_work} are allowed per request. "
            "Use a larger stride, a smaller window or a smaller input.",
            ru=f"Этот пулинг проходит {work} клеток окон, а на один запрос допускается не больше {limits.max_work}. "
            "Возьмите шаг побольше, окно или вход поменьше.",
            status=413,
        )


@dataclass(frozen=True)
class PoolJob:
    """A checked /api pooling, ready to run: the (C, H, W) input, settings and what running it costs."""

    x: np.ndarray  # (C, H, W)
    mode: str
    size: Pair
    stride: Pair
    padding: Pair
    squeeze: bool  # the input was 2-D: answer out_h×out_w
    work: int  # window cells visited, C·out_h·out_w·size_h·size_w

    def run(self, device: str = "cpu") -> dict:
        y, argmax = pool2d(self.x, self.mode, self.size, self.stride, self.padding, device=device)
        y = finite_or_error(y)  # (C, out_h, out_w)
        if self.squeeze:
            y = y[0]
            argmax = None if argmax is None else argmax[0]
        return {
            "output": y.tolist(),
            "shape": list(y.shape),
            "argmax": None if argmax is None else argmax.tolist(),
        }


def pool2d_prepare(input, mode="max", size=2, stride=None, padding=0, limits: PoolLimits = PoolLimits()) -> PoolJob:
    """The /api pooling contract: validate JSON-ish input and settings into a PoolJob (InputError if not).

    input is H×W or C×H×W (each channel pooled on its own); size, stride (default: size) and padding are one int
    or [height, width]. Its run(device) returns {"output": out_h×out_w for a 2-D input, else C×out_h×out_w;
    "shape"; "argmax": same shape, the flat index row·W + col of the winning cell in its input plane (on the CPU
    the first in reading order wins a tie), or None for "avg"}.
    """
    x = _input(input, (2, 3), limits)
    height, width = x.shape[-2:]
    size, stride, padding, out = _settings(mode, size, stride, padding, height, width, limits)
    channels = x.shape[0] if x.ndim == 3 else 1
    _check_cost(channels, height, width, mode, size, padding, out, limits)
    return PoolJob(x if x.ndim == 3 else x[None], mode, size, stride, padding, squeeze=x.ndim == 2,
                   work=channels * out[0] * out[1] * size[0] * size[1])


def pool2d_request(
    input, mode="max", size=2, stride=None, padding=0, limits: PoolLimits = PoolLimits(), device: str = "cpu"
) -> dict:
    """The /api pooling contract (see pool2d_prepare), run on `device`."""
    return pool2d_prepare(input, mode, size, stride, padding, limits).run(device)


def pool2d_trace(x2d, mode="max", size=2, stride=None, padding=0, limits: PoolLimits = PoolLimits()) -> dict:
    """Everything the browser needs to animate pooling on one H×W plane.

    Values are shown with the fewest decimals that show them exactly (at most 4); "output" uses its own
    decimals ("decimals": {"input", "output"}). A padding cell's "value" is None for max (−∞, never
    chosen) and 0 for avg (counted in the divisor).

    Returns {"mode", "input": H×W, "padded": (H+2ph)×(W+2pw) (padding shown as 0), "is_padding",
    "output": out_h×out_w, "output_exact", "argmax": out_h×out_w flat indices or None, "size", "stride",
    "padding": [h, w] each, "shape": {"input", "padded", "output"}, "decimals", "steps": one per output
    cell, row-major: {"out": [i, j], "cells": [{"input": [row, col] (unpadded, may be outside),
    "padded": [row, col], "is_padding", "value"}], "result", "argmax": [row, col] or None,
    "divisor": size_h·size_w for avg, else None}}.
    """
    x = _input(x2d, (2,), limits)
    height, width = x.shape
    size, stride, padding, (out_h, out_w) = _settings(mode, size, stride, padding, height, width, limits)
    if out_h * out_w * size[0] * size[1] > limits.max_trace_cells:
        raise InputError(
            en=f"An animation of this pooling would show {out_h * out_w * size[0] * size[1]} window cells; "
            f"at most {limits.max_trace_cells} are allowed. Use a smaller input or a larger stride.",
            ru=f"В анимации этого пулинга было бы {out_h * out_w * size[0] * size[1]} клеток окон, а допускается "
            f"не больше {limits.max_trace_cells}. Возьмите вход поменьше или шаг побольше.",
            status=413,
        )
    y, argmax = pool2d(x[None], mode, size, stride, padding)
    y = finite_or_error(y)[0]  # (out_h, out_w)
    argmax = None if argmax is None else argmax[0]
    dx, _ = display_decimals(x)
    dy, _ = display_decimals(y)
    ph, pw = padding
    padded = np.pad(x, ((ph, ph), (pw, pw)))  # (H + 2ph, W + 2pw)
    is_padding = np.ones(padded.shape, dtype=bool)
    is_padding[ph : ph + height, pw : pw + width] = False

    steps = []
    for out_i, out_j, taps in windows(height, width, size[0], size[1], stride, padding):
        cells = []
        for _, _, in_i, in_j in taps:
            inside = 0 <= in_i < height and 0 <= in_j < width
            if inside:
                value = shown(x[in_i, in_j], dx)
            else:
                value = None if mode == "max" else 0
            cells.append(
                {"input": [in_i, in_j], "padded": [in_i + ph, in_j + pw], "is_padding": not inside, "value": value}
            )
        winner = None
        if argmax is not None:
            flat = int(argmax[out_i, out_j])
            winner = [flat // width, flat % width]
        steps.append(
            {
                "out": [out_i, out_j],
                "cells": cells,
                "result": shown(y[out_i, out_j], dy),
                "argmax": winner,
                "divisor": size[0] * size[1] if mode == "avg" else None,
            }
        )
    return {
        "mode": mode,
        "input": [[shown(v, dx) for v in row] for row in x],
        "padded": [[shown(v, dx) for v in row] for row in padded],
        "is_padding": is_padding.tolist(),
        "output": [[shown(v, dy) for v in row] for row in y],
        "output_exact": y.tolist(),
        "argmax": None if argmax is None else argmax.tolist(),
        "size": list(size),
        "stride": list(stride),
        "padding": list(padding),
        "shape": {"input": [height, width], "padded": list(padded.shape), "output": [out_h, out_w]},
        "decimals": {"input": dx, "output": dy},
        "steps": steps,
    }
