"""Transposed convolution, one channel: every input cell stamps the kernel, scaled by its value, into the output
at stride steps; overlapping stamps add up; `padding` then crops that many cells from each side, and
`output_padding` adds rows and columns at the bottom and right. The mirror of a strided convolution."""

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from app.compute.arrays import to_array, to_int
from app.compute.ops.conv import finite_or_error
from app.compute.errors import InputError

MAX_SIDE = 64  # input and kernel sides
MAX_STRIDE = 8
MAX_OUTPUT_CELLS = 250_000  # (H − 1)·S + kh ≤ 63·8 + 64 = 568 per side at most: keep the answer small


def output_size(n: int, k: int, stride: int, padding: int, output_padding: int) -> int:
    """(n − 1)·S − 2P + k + output_padding."""
    return (n - 1) * stride - 2 * padding + k + output_padding


def conv_transpose2d_loops(x: np.ndarray, k: np.ndarray, stride: int = 1, padding: int = 0,
                           output_padding: int = 0) -> np.ndarray:
    """Plain loops: x (H, W), k (kh, kw) -> (out_h, out_w)."""
    height, width = x.shape
    kh, kw = k.shape
    full_h = (height - 1) * stride + kh + output_padding  # before cropping the padding
    full_w = (width - 1) * stride + kw + output_padding
    full = np.zeros((full_h, full_w))
    for i in range(height):
        for j in range(width):
            for a in range(kh):
                for b in range(kw):
                    full[i * stride + a, j * stride + b] += x[i, j] * k[a, b]
    return full[padding:full_h - padding, padding:full_w - padding]


def stamps(height: int, width: int, kh: int, kw: int, stride: int, padding: int) -> list[dict]:
    """Where each input cell's stamp lands in the output: {"i", "j", "top", "left"} (may start above or left of
    the output when padding crops it)."""
    return [{"i": i, "j": j, "top": i * stride - padding, "left": j * stride - padding}
            for i in range(height) for j in range(width)]


def check(input: Any, kernel: Any, stride: Any = 1, padding: Any = 0, output_padding: Any = 0) -> dict:
    """Validate a request; returns x, k and the settings, or raises InputError with a reason."""
    x = to_array(input, "input", (2,), MAX_SIDE * MAX_SIDE)
    k = to_array(kernel, "kernel", (2,), MAX_SIDE * MAX_SIDE)
    for name, array in (("input", x), ("kernel", k)):
        if max(array.shape) > MAX_SIDE or min(array.shape) < 1:
            raise InputError(en=f"{name} must be from 1×1 to {MAX_SIDE}×{MAX_SIDE}, got {array.shape[0]}×{array.shape[1]}.",
                             ru=f"{name}: размер от 1×1 до {MAX_SIDE}×{MAX_SIDE}, а получено {array.shape[0]}×{array.shape[1]}.")
    s = to_int(stride, "stride", 1, MAX_STRIDE)
    p = to_int(padding, "padding", 0, MAX_SIDE)
    op = to_int(output_padding, "output_padding", 0, MAX_STRIDE)
    if op >= s:
        raise InputError(
            en=f"output_padding must be smaller than the stride ({op} ≥ {s}); it only picks one of the {s} output "
               f"sizes that a stride-{s} convolution maps to the same input size.",
            ru=f"output_padding должен быть меньше шага ({op} ≥ {s}): он лишь выбирает один из {s} размеров выхода, "
               f"которые свёртка с шагом {s} переводит в один и тот же размер входа.",
        )
    out_h = output_size(x.shape[0], k.shape[0], s, p, op)
    out_w = output_size(x.shape[1], k.shape[1], s, p, op)
    if out_h < 1 or out_w < 1:
        raise InputError(
            en=f"padding {p} crops everything: the output would be {out_h}×{out_w}, from (H − 1)·S − 2P + k + "
               f"output_padding.",
            ru=f"Дополнение {p} обрезает всё: выход был бы {out_h}×{out_w} по формуле (H − 1)·S − 2P + k + "
               f"output_padding.",
        )
    if out_h * out_w > MAX_OUTPUT_CELLS:
        raise InputError(en=f"The output would have {out_h * out_w} cells (at most {MAX_OUTPUT_CELLS}).",
                         ru=f"В выходе было бы {out_h * out_w} клеток (не больше {MAX_OUTPUT_CELLS}).", status=413)
    return {"x": x, "k": k, "stride": s, "padding": p, "output_padding": op, "out_shape": [out_h, out_w]}


def conv_transpose2d(input: Any, kernel: Any, stride: Any = 1, padding: Any = 0, output_padding: Any = 0) -> dict:
    """The /api contract: {"output", "output_shape", "formula"}, computed by torch.nn.functional.conv_transpose2d."""
    c = check(input, kernel, stride, padding, output_padding)
    x = torch.from_numpy(c["x"])[None, None]  # (1, 1, H, W)
    k = torch.from_numpy(c["k"])[None, None]  # (in 1, out 1, kh, kw)
    y = F.conv_transpose2d(x, k, stride=c["stride"], padding=c["padding"], output_padding=c["output_padding"])
    output = finite_or_error(y[0, 0].numpy())
    h, kh = c["x"].shape[0], c["k"].shape[0]
    formula = (f"({h} − 1)·{c['stride']} − 2·{c['padding']} + {kh} + {c['output_padding']} = {c['out_shape'][0]}")
    return {"output": output.tolist(), "output_shape": c["out_shape"], "formula": formula}
