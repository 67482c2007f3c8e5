"""Transposed convolution, one channel: every input cell stamps the kernel, scaled by its value, into the output
at stride steps; overlapping stamps add up; `padding` then crops that many cells from each side, and
`output_padding` adds rows and columns at the bottom and right. The mirror of a strided convolution."""

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from app.compute.arrays import to_array, to_int
from app.compute.ops.conv import OUTPUT_OVERHEAD_BYTES, ConvLimits, finite_or_error, working_memory_error
from app.compute.errors import InputError

MAX_SIDE = 64  # input and kernel sides
MAX_STRIDE = 8
MAX_OUTPUT_CELLS = 250_000  # (H − 1)·S + kh ≤ 63·8 + 64 = 568 per side at most: keep the answer small


def output_size(n: int, k: int, stride: int, padding: int, output_padding: int) -> int:
    """(n − 1)·S − 2P + k + output_padding."""
    return (n - 1) * stride - 2 * padding + k + output_padding


def stamps(height: int, width: int, kh: int, kw: int, stride: int, padding: int) -> list[dict]:
    """Where each input cell's stamp lands in the output: {"i", "j", "top", "left"} (may start above or left of
    the output when padding crops it)."""
    return [{"i": i, "j": j, "top": i * stride - padding, "left": j * stride - padding}
            for i in range(height) for j in range(width)]


def transposed_working_bytes(x_shape: tuple, k_shape: tuple, out_shape: tuple) -> int:
    """Memory torch's CPU transposed convolution needs, in bytes: its column matrix (every input cell's stamp,
    kh·kw × H·W, before col2im adds them up) and the output (array and JSON), as conv_working_bytes counts."""
    columns = x_shape[0] * x_shape[1] * k_shape[0] * k_shape[1]
    cells = out_shape[0] * out_shape[1]
    return 8 * (columns + cells) + OUTPUT_OVERHEAD_BYTES * cells


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
    working = transposed_working_bytes(x.shape, k.shape, (out_h, out_w))
    if working > ConvLimits().max_working_bytes:
        raise working_memory_error(working, ConvLimits().max_working_bytes)
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


def stamp_trace(x: np.ndarray, k: np.ndarray, stride: int, padding: int, output_padding: int = 0) -> dict:
    """The transposed convolution one input cell at a time, for an animation: after step n the output holds the
    stamps of the first n + 1 cells (row by row). steps: {"cell": [i, j], "value", "touched": [[r, c], …] output
    cells this stamp reaches (after cropping), "output": the running output}. The last output is torch's."""
    height, width = x.shape
    kh, kw = k.shape
    out_h, out_w = output_size(height, kh, stride, padding, output_padding), output_size(width, kw, stride, padding,
                                                                                          output_padding)
    running = np.zeros((out_h, out_w))
    steps = []
    for i in range(height):
        for j in range(width):
            touched = []
            for a in range(kh):
                for b in range(kw):
                    r, c = i * stride + a - padding, j * stride + b - padding
                    if 0 <= r < out_h and 0 <= c < out_w:
                        running[r, c] += x[i, j] * k[a, b]
                        touched.append([r, c])
            steps.append({"cell": [i, j], "value": float(x[i, j]), "touched": touched, "output": running.tolist()})
    return {"steps": steps, "out_shape": [out_h, out_w]}


def bilinear_kernel(factor: int) -> np.ndarray:
    """The (2f − f % 2)-wide kernel that makes a stride-f transposed convolution bilinear interpolation (FCN's
    initialisation of its learned upsampling layers)."""
    size = 2 * factor - factor % 2
    centre = factor - 1 if size % 2 == 1 else factor - 0.5
    og = np.arange(size)
    line = 1 - np.abs(og - centre) / factor
    return np.outer(line, line)


def _least_squares_kernel(coarse: np.ndarray, fine: np.ndarray, factor: int, pad: int) -> np.ndarray:
    """The 2f × 2f kernel minimising the squared error of conv_transpose2d(coarse, kernel, stride f, padding pad)
    against `fine`. Output pixel (r, c) only receives kernel rows ρ and ρ + f, where ρ = (r + pad) mod f (likewise
    columns), so the problem splits into f² independent least-squares problems of 4 unknowns each."""
    n_h, n_w = coarse.shape
    padded = np.pad(coarse, 1)  # index −1 and n read zeros
    kernel = np.zeros((2 * factor, 2 * factor))
    for rho in range(factor):
        rows = np.arange(fine.shape[0])[(np.arange(fine.shape[0]) + pad) % factor == rho]
        i0 = (rows + pad) // factor  # the input row whose stamp hits r with kernel row rho
        for sigma in range(factor):
            cols = np.arange(fine.shape[1])[(np.arange(fine.shape[1]) + pad) % factor == sigma]
            j0 = (cols + pad) // factor
            ii, jj = np.meshgrid(i0, j0, indexing="ij")
            design = np.stack([padded[ii + 1, jj + 1], padded[ii + 1, jj], padded[ii, jj + 1], padded[ii, jj]],
                              axis=-1).reshape(-1, 4)  # kernel (ρ, σ), (ρ, σ + f), (ρ + f, σ), (ρ + f, σ + f)
            weights = np.linalg.lstsq(design, fine[np.ix_(rows, cols)].reshape(-1), rcond=None)[0]
            kernel[rho, sigma], kernel[rho, sigma + factor] = weights[0], weights[1]
            kernel[rho + factor, sigma], kernel[rho + factor, sigma + factor] = weights[2], weights[3]
    return kernel


def learned_vs_bilinear(fine: np.ndarray, factor: int = 8) -> dict:
    """Upsample a coarse map (the fine map average-pooled by `factor`) back to full size two ways: F.interpolate
    (bilinear, fixed) and a stride-`factor` transposed convolution with a learned 2f × 2f kernel. The kernel is
    learned for this map by least squares, the optimum that gradient descent on the squared error converges to;
    FCN starts from the bilinear kernel (`initial`). Mean squared errors against the fine map for all three."""
    h, w = (fine.shape[0] // factor) * factor, (fine.shape[1] // factor) * factor  # whole coarse cells only
    target = np.ascontiguousarray(fine[:h, :w])
    coarse = F.avg_pool2d(torch.from_numpy(target)[None, None], factor)[0, 0].numpy()  # (H / f, W / f)
    return upsample_compare(coarse, target, factor)


def upsample_compare(coarse: np.ndarray, fine: np.ndarray, factor: int) -> dict:
    """`coarse` (n, m) upsampled ×`factor` to the (n·f, m·f) `fine` map it stands for (each coarse cell at the
    centre of an f × f block) by bilinear interpolation, by a transposed convolution with the bilinear kernel, and
    by one with the 2f × 2f kernel fitted to `fine` by least squares. Mean squared errors against `fine`."""
    target = torch.from_numpy(np.asarray(fine, np.float64))[None, None]  # (1, 1, H, W)
    small = torch.from_numpy(np.asarray(coarse, np.float64))[None, None]  # (1, 1, H / f, W / f)
    h, w = target.shape[-2:]
    if (small.shape[-2] * factor, small.shape[-1] * factor) != (h, w):
        raise ValueError("the fine map must be the coarse one's size times the factor")
    bilinear = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    pad = factor // 2  # (n − 1)·f − 2·(f / 2) + 2f = n·f: exactly H × W

    def upsample(weight: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose2d(small, weight[None, None], stride=factor, padding=pad)

    kernel = torch.from_numpy(_least_squares_kernel(small[0, 0].numpy(), target[0, 0].numpy(), factor, pad))
    start = torch.from_numpy(bilinear_kernel(factor))
    initial, learned = upsample(start), upsample(kernel)
    return {
        "coarse": small[0, 0].numpy(), "fine": target[0, 0].numpy(), "bilinear": bilinear[0, 0].numpy(),
        "initial": initial[0, 0].numpy(), "learned": learned[0, 0].numpy(), "kernel": kernel.numpy(),
        "bilinear_kernel": start.numpy(),
        "mse": {"bilinear": float(F.mse_loss(bilinear, target)), "initial": float(F.mse_loss(initial, target)),
                "learned": float(F.mse_loss(learned, target))},
        "factor": factor,
    }
