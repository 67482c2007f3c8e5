"""2-D convolution: readable loops, the torch version and the API contract (traces: conv_trace.py, 1-D: conv1d.py).

Deep-learning "convolution" is cross-correlation (the kernel is not flipped) with zero padding; that is
what conv2d, conv2d_request and conv_trace.conv2d_trace compute. conv1d_full is the lecture's true
convolution y[n] = Σ_k x[k]·h[n − k]; correlate1d_valid is the deep-learning kind in 1-D.

windows() is the single place that decides which input cells an output cell sees; the traces and the
symbolic example (conv_trace.py) and the pooling trace take their taps from it.
"""

import numbers
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from app.compute.arrays import to_array, to_pair
from app.compute.errors import InputError

Pair = tuple[int, int]
Tap = tuple[int, int, int, int]  # (k_i, k_j, in_i, in_j)


def _as_pair(value: int | Pair) -> Pair:
    return (int(value), int(value)) if isinstance(value, numbers.Integral) else (int(value[0]), int(value[1]))


def output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: ⌊(n + 2p − d·(k − 1) − 1)/s⌋ + 1, as torch computes it (may be < 1)."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def windows(
    h: int,
    w: int,
    kh: int,
    kw: int,
    stride: int | Pair = (1, 1),
    padding: int | Pair = (0, 0),
    dilation: int | Pair = (1, 1),
) -> Iterator[tuple[int, int, list[Tap]]]:
    """Yield (out_i, out_j, taps) row-major; a tap (k_i, k_j, in_i, in_j) is in unpadded input coordinates.

    An in_i or in_j outside [0, h) or [0, w) falls on the zero padding.
    """
    (sh, sw), (ph, pw), (dh, dw) = _as_pair(stride), _as_pair(padding), _as_pair(dilation)
    out_h = output_size(h, kh, sh, ph, dh)
    out_w = output_size(w, kw, sw, pw, dw)
    for out_i in range(out_h):
        for out_j in range(out_w):
            taps = [
                (k_i, k_j, out_i * sh - ph + k_i * dh, out_j * sw - pw + k_j * dw)
                for k_i in range(kh)
                for k_j in range(kw)
            ]
            yield out_i, out_j, taps


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | None = None,
    stride: int | Pair = 1,
    padding: int | Pair = 0,
    dilation: int | Pair = 1,
    device: str = "cpu",
) -> np.ndarray:
    """torch.nn.functional.conv2d in float64: x (C, H, W), w (K, C, kh, kw) -> (K, out_h, out_w)."""
    with torch.inference_mode():
        xt = torch.as_tensor(np.asarray(x), dtype=torch.float64, device=device)[None]  # (1, C, H, W)
        wt = torch.as_tensor(np.asarray(w), dtype=torch.float64, device=device)  # (K, C, kh, kw)
        bt = None if bias is None else torch.as_tensor(np.asarray(bias), dtype=torch.float64, device=device)
        y = F.conv2d(
            xt, wt, bt, stride=_as_pair(stride), padding=_as_pair(padding), dilation=_as_pair(dilation)
        )  # (1, K, out_h, out_w)
        return y[0].cpu().numpy()


@dataclass(frozen=True)
class InputLimits:
    """The input tensor a conv or pooling request may send, so both take the same inputs: max_side (H and W),
    max_channels (C), max_input_elements (C·H·W), max_stride (per axis), max_working_bytes (see each operation)."""

    max_side: int = 512
    max_channels: int = 64
    max_stride: int = 32
    max_input_elements: int = 262_144
    max_working_bytes: int = 64 * 2**20


@dataclass(frozen=True)
class ConvLimits(InputLimits):
    """What one request may ask for; bigger requests get status 413, out-of-range settings 422.

    max_side: input height and width (pixels); max_channels: input channels C; max_filters: filters K;
    max_kernel_side: kernel height and width; max_stride, max_padding, max_dilation: per axis;
    max_input_elements: C·H·W; max_kernel_elements: K·C·kh·kw; max_output_elements: K·out_h·out_w;
    max_work: multiply-adds K·C·kh·kw·out_h·out_w; max_working_bytes: the memory the computation needs
    (see conv_working_bytes: the zero-padded input, the unfolded windows C·kh·kw·out_h·out_w that the
    matrix product reads, and the output as floats and as JSON); max_trace_taps: out_h·out_w·kh·kw in a
    trace; max_symbol_side: rows and columns of a symbolic grid; max_1d_length: length of a 1-D signal or kernel.
    """

    max_filters: int = 64
    max_kernel_side: int = 31
    max_padding: int = 32
    max_dilation: int = 32
    max_kernel_elements: int = 65_536
    max_output_elements: int = 262_144
    max_work: int = 100_000_000
    max_trace_taps: int = 20_000
    max_symbol_side: int = 12
    max_1d_length: int = 256


def too_large(en: str, ru: str) -> InputError:
    return InputError(en=en, ru=ru, status=413)


# Bytes a request's output costs beyond its float64 array: a Python float and a list slot, then its JSON text.
OUTPUT_OVERHEAD_BYTES = 56


def conv_working_bytes(c_in: int, height: int, width: int, k_out: int, kh: int, kw: int,
                       out_h: int, out_w: int, padding: Pair) -> int:
    """Memory one float64 convolution needs, in bytes: the zero-padded input, the unfolded windows (torch's CPU
    convolution builds a C·kh·kw × out_h·out_w matrix for its matrix product) and the output (array and JSON)."""
    padded = c_in * (height + 2 * padding[0]) * (width + 2 * padding[1])
    unfolded = c_in * kh * kw * out_h * out_w
    output = k_out * out_h * out_w
    return 8 * (padded + unfolded + output) + OUTPUT_OVERHEAD_BYTES * output


def working_memory_error(needed: int, limit: int) -> InputError:
    """413 for a request whose working memory (in bytes) is over the limit, in MiB as people read it."""
    need, most = f"{needed / 2**20:,.0f}", f"{limit / 2**20:,.0f}"
    need_ru, most_ru = need.replace(",", "\u00a0"), most.replace(",", "\u00a0")  # Russian groups digits with spaces
    return too_large(
        en=f"This request would need about {need} MiB of working memory; at most {most} MiB is allowed "
        "per request. Use less padding, a smaller kernel or input, or a larger stride.",
        ru=f"Для этого запроса нужно около {need_ru} МиБ рабочей памяти, а на один запрос допускается не больше "
        f"{most_ru} МиБ. Возьмите меньше заполнения, ядро или вход поменьше либо шаг побольше.",
    )


def check_sides(name: str, h: int, w: int, limit: int, what_en: str, what_ru: str) -> None:
    if max(h, w) > limit:
        raise too_large(
            en=f"{name} is {h}×{w}; the {what_en} may be at most {limit} on each side.",
            ru=f"{name} имеет размер {h}×{w}, а {what_ru} может быть не больше {limit} по каждой стороне.",
        )


def checked_settings(stride, padding, dilation, limits: ConvLimits) -> tuple[Pair, Pair, Pair]:
    return (
        to_pair(stride, "stride", 1, limits.max_stride),
        to_pair(padding, "padding", 0, limits.max_padding),
        to_pair(dilation, "dilation", 1, limits.max_dilation),
    )


def fitted_output(h: int, w: int, kh: int, kw: int, stride: Pair, padding: Pair, dilation: Pair) -> Pair:
    """(out_h, out_w), or InputError when the (dilated) kernel is larger than the padded input."""
    for axis_en, axis_ru, n, k, p, d in (
        ("height", "высоте", h, kh, padding[0], dilation[0]),
        ("width", "ширине", w, kw, padding[1], dilation[1]),
    ):
        k_eff = d * (k - 1) + 1
        if k_eff > n + 2 * p:
            dilated_en = f" (dilated: {d}·({k} − 1) + 1 = {k_eff})" if d > 1 else ""
            dilated_ru = f", с разрежением {d}·({k} − 1) + 1 = {k_eff}" if d > 1 else ""
            raise InputError(
                en=f"The kernel {axis_en} {k}{dilated_en} is larger than the padded input {axis_en} "
                f"{n} + 2·{p} = {n + 2 * p}: the kernel fits nowhere, so there is no output.",
                ru=f"Ядро по {axis_ru} ({k}{dilated_ru}) больше входа с заполнением по {axis_ru} "
                f"({n} + 2·{p} = {n + 2 * p}). Ядру негде поместиться, выхода нет.",
            )
    return (
        output_size(h, kh, stride[0], padding[0], dilation[0]),
        output_size(w, kw, stride[1], padding[1], dilation[1]),
    )


def finite_or_error(y: np.ndarray) -> np.ndarray:
    """y unchanged, or InputError when a result overflowed to ±inf or NaN."""
    if not np.isfinite(y).all():
        raise InputError(
            en="The result is too large for a 64-bit float (it overflows to infinity); use smaller numbers.",
            ru="Результат не помещается в 64-битный float (переполнение до бесконечности); возьмите числа поменьше.",
        )
    return y


@dataclass(frozen=True)
class ConvJob:
    """A checked /api convolution, ready to run: arrays, settings and what running it costs."""

    x: np.ndarray  # (C, H, W)
    w: np.ndarray  # (K, C, kh, kw)
    bias: np.ndarray | None  # (K,)
    stride: Pair
    padding: Pair
    dilation: Pair
    squeeze: bool  # input and kernel were both 2-D: answer out_h×out_w
    work: int  # multiply-adds
    working_bytes: int  # conv_working_bytes

    def run(self, device: str = "cpu") -> dict:
        y = finite_or_error(conv2d(self.x, self.w, self.bias, self.stride, self.padding, self.dilation,
                                   device=device))  # (K, out_h, out_w)
        output = y[0] if self.squeeze else y
        return {"output": output.tolist(), "shape": list(output.shape)}


def conv2d_request(input, kernel, bias=None, stride=1, padding=0, dilation=1, limits: ConvLimits = ConvLimits(),
                   device: str = "cpu") -> dict:
    """The /api convolution contract (see conv2d_prepare), run on `device`."""
    return conv2d_prepare(input, kernel, bias, stride, padding, dilation, limits).run(device)


def conv2d_prepare(
    input,
    kernel,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    limits: ConvLimits = ConvLimits(),
) -> ConvJob:
    """The /api convolution contract: validate JSON-ish arrays and settings into a ConvJob (InputError if not).

    input is H×W or C×H×W; kernel is kh×kw (one filter with one channel) or K×C×kh×kw; bias is a list
    of K numbers. A 2-D input is one channel. A 2-D kernel has one channel, so it fits a 2-D input or a
    1×H×W input; a C×H×W input with C > 1 needs a K×C×kh×kw kernel (channels are never broadcast).
    stride and dilation are >= 1 and padding >= 0, each one int or [height, width].
    Its run(device) returns {"output": out_h×out_w when input and kernel were both 2-D, else K×out_h×out_w,
    "shape": the output's shape}.
    """
    x = to_array(input, "input", (2, 3), limits.max_input_elements)
    w = to_array(kernel, "kernel", (2, 4), limits.max_kernel_elements)
    x_2d, w_2d = x.ndim == 2, w.ndim == 2
    x = x[None] if x.ndim == 2 else x  # (C, H, W)
    w = w[None, None] if w.ndim == 2 else w  # (K, C, kh, kw)
    c_in, height, width = x.shape
    k_out, c_k, kh, kw = w.shape

    check_sides("input", height, width, limits.max_side, "input", "вход")
    if c_in > limits.max_channels:
        raise too_large(
            en=f"input has {c_in} channels; at most {limits.max_channels} are allowed.",
            ru=f"У input {c_in} каналов, а допускается не больше {limits.max_channels}.",
        )
    if k_out > limits.max_filters:
        raise too_large(
            en=f"kernel has {k_out} filters; at most {limits.max_filters} are allowed.",
            ru=f"В kernel {k_out} фильтров, а допускается не больше {limits.max_filters}.",
        )
    check_sides("kernel", kh, kw, limits.max_kernel_side, "kernel", "ядро")
    if c_k != c_in:
        if w_2d:
            en = (
                f"A 2-D kernel has one channel, but input has {c_in} channels. "
                f"Give a K×C×kh×kw kernel, for example of shape [1, {c_in}, {kh}, {kw}]."
            )
            ru = (
                f"У двумерного ядра один канал, а у input их {c_in}. "
                f"Задайте ядро формы K×C×kh×kw, например [1, {c_in}, {kh}, {kw}]."
            )
        else:
            en = f"Each filter of kernel has {c_k} channels, but input has {c_in}; they must be equal."
            ru = f"Каналов у каждого фильтра kernel: {c_k}, а у input: {c_in}; их число должно совпадать."
        raise InputError(en=en, ru=ru)

    stride, padding, dilation = checked_settings(stride, padding, dilation, limits)
    b = None
    if bias is not None:
        b = to_array(bias, "bias", (1,), limits.max_filters)
        if b.shape[0] != k_out:
            raise InputError(
                en=f"bias has {b.shape[0]} numbers but there are {k_out} filters; give one bias per filter.",
                ru=f"В bias {b.shape[0]} чисел, а фильтров {k_out}; нужно по одному смещению на фильтр.",
            )
    out_h, out_w = fitted_output(height, width, kh, kw, stride, padding, dilation)
    out_count = k_out * out_h * out_w
    if out_count > limits.max_output_elements:
        raise too_large(
            en=f"The output would have {out_count} numbers; at most {limits.max_output_elements} are allowed.",
            ru=f"На выходе получилось бы {out_count} чисел, а допускается не больше {limits.max_output_elements}.",
        )
    working = conv_working_bytes(c_in, height, width, k_out, kh, kw, out_h, out_w, padding)
    if working > limits.max_working_bytes:
        raise working_memory_error(working, limits.max_working_bytes)
    work = k_out * c_in * kh * kw * out_h * out_w
    if work > limits.max_work:
        raise too_large(
            en=f"This convolution needs {work} multiplications; at most {limits.max_work} are allowed per request.",
            ru=f"Для этой свёртки нужно {work} умножений, а на один запрос допускается не больше {limits.max_work}.",
        )

    return ConvJob(x, w, b, stride, padding, dilation, x_2d and w_2d, work, working)
