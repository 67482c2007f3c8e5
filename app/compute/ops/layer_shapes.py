"""Spatial arithmetic of conv and pool layers, drawn and tabulated.

window_strip: the windows of a conv or pool along one axis, which input cells they read and which they
never read. pool_coverage: how many pooling windows read each input cell (overlap, as in AlexNet's
3×3 stride-2 pooling). shrink_table: an input's size after a stack of unpadded and of "same"-padded
convolutions. conv_settings: the lecture's common settings and "same" padding, computed for one input.
stack_shapes: the output shape and parameter count of each layer of a small CONV/POOL stack, found by
running the torch modules (on the "meta" device: shapes only, no arithmetic on values).

Figures that the lecture states are kept below as data, with the place in the lecture they come from,
so the pages can show them beside the computed values.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn

from app.compute.ops.arithmetic import conv_arithmetic, paddings_that_fit, same_padding
from app.compute.arrays import to_int
from app.compute.ops.conv import output_size, windows
from app.compute.errors import InputError, brief

LECTURE = "cnn-lecture.txt"

# "Нулевое заполнение границы": e.g. input 7×7, 3×3 filter, stride 1, pad with 1 pixel border -> "7×7 output!"
SEVEN_BY_SEVEN = {"input": 7, "kernel": 3, "stride": 1, "padding": 1, "output": 7,
                  "source": f"{LECTURE}, «Нулевое заполнение границы»"}

# Same section: "F = 3 ⇒ zero pad with 1, F = 5 ⇒ zero pad with 2, F = 7 ⇒ zero pad with 3" (stride 1).
SAME_PADDING_LECTURE = {3: 1, 5: 2, 7: 3}
# Sources as each course language cites them: the lecture's headings are Russian, so English names them in English.
SAME_PADDING_SOURCE = {
    "en": f"{LECTURE}, section “Zero padding at the border”: zero-padding with (F − 1)/2",
    "ru": f"{LECTURE}, раздел «Нулевое заполнение границы»: дополнение нулями на (F − 1)/2",
}

# "Гиперпараметры сверточного слоя", Common settings: (F, S, P); None is the lecture's "P = ? (whatever fits)".
COMMON_SETTINGS_LECTURE = ((3, 1, 1), (5, 1, 2), (5, 2, None), (1, 1, 0))
COMMON_FILTERS_LECTURE = (32, 64, 128, 512)  # "K = (powers of 2, e.g. 32, 64, 128, 512)"
COMMON_SETTINGS_SOURCE = {
    "en": f"{LECTURE}, section “Hyperparameters of a convolutional layer”, Common settings",
    "ru": f"{LECTURE}, раздел «Гиперпараметры сверточного слоя», Common settings",
}


@dataclass(frozen=True)
class StackLayer:
    """One layer of a small network: kind "conv" (filters, kernel, stride, padding; ReLU after it) or
    "pool" (mode "max"/"avg", kernel = window side, stride, padding)."""

    kind: str
    kernel: int
    stride: int
    padding: int = 0
    filters: int = 0
    mode: str = "max"
    name: str = ""


# "Case Study: AlexNet": INPUT [227x227x3], CONV1 96 11x11 at stride 4, pad 0, MAX POOL1 3x3 at stride 2,
# CONV2 256 5x5 at stride 1, pad 2, MAX POOL2 3x3 at stride 2 (the NORM layers between keep the shape).
ALEXNET_INPUT = (3, 227, 227)
ALEXNET_LAYERS = (
    StackLayer("conv", 11, 4, 0, filters=96, name="CONV1"),
    StackLayer("pool", 3, 2, name="MAX POOL1"),
    StackLayer("conv", 5, 1, 2, filters=256, name="CONV2"),
    StackLayer("pool", 3, 2, name="MAX POOL2"),
)
# The lecture's figures for the same rows, written as it writes them: [W x H x D].
ALEXNET_LECTURE_SHAPES = {"CONV1": (55, 55, 96), "MAX POOL1": (27, 27, 96), "CONV2": (27, 27, 256),
                          "MAX POOL2": (13, 13, 256)}
ALEXNET_SOURCE = f"{LECTURE}, «Case Study: AlexNet», Full (simplified) AlexNet architecture"


@dataclass(frozen=True)
class StripLimits:
    """A strip is drawn cell by cell, so it stays short."""

    max_cells: int = 64  # W + 2P
    max_kernel: int = 32
    max_stride: int = 32
    max_dilation: int = 8


def window_strip(width, kernel, stride=1, padding=0, dilation=1, limits: StripLimits = StripLimits()) -> dict:
    """The windows of a 1-D conv (or one axis of a 2-D one) over W cells with P zeros on each side.

    Returns {"cells": W + 2P of {"index": unpadded index (negative or ≥ W on the padding), "is_padding",
    "reads": how many windows read it, "status": "padding" | "seen" | "unseen"}, "windows": one per output
    (as torch floors), left to right, {"start", "end": padded indices of the first and last tap, "taps":
    padded indices read, "lane": a row to draw it in so that windows in one lane never overlap}, "lanes",
    "unseen": unpadded indices no window reads, "unseen_right": those beyond the furthest tap of the
    last window (as conv_arithmetic's "unseen"), "unseen_between": the others (skipped between windows
    or between dilated taps), "effective_kernel"}.
    """
    width = to_int(width, "width", 1, limits.max_cells)
    kernel = to_int(kernel, "kernel", 1, limits.max_kernel)
    stride = to_int(stride, "stride", 1, limits.max_stride)
    padding = to_int(padding, "padding", 0, limits.max_cells)
    dilation = to_int(dilation, "dilation", 1, limits.max_dilation)
    total = width + 2 * padding
    if total > limits.max_cells:
        raise InputError(
            en=f"The strip would have {width} + 2·{padding} = {total} cells; at most {limits.max_cells} are drawn.",
            ru=f"В полосе было бы {width} + 2·{padding} = {total} клеток, а рисуется не больше {limits.max_cells}.",
            status=413,
        )
    k_eff = dilation * (kernel - 1) + 1
    reads = [0] * total
    drawn = []
    lanes = max(1, math.ceil(k_eff / stride))
    # One row of height 1: windows() gives the taps of each output cell in unpadded coordinates.
    for _, out_j, taps in windows(1, width, 1, kernel, (1, stride), (0, padding), (1, dilation)):
        cols = [in_j + padding for _, _, _, in_j in taps]
        for col in cols:
            reads[col] += 1
        drawn.append({"start": cols[0], "end": cols[-1], "taps": cols, "lane": out_j % lanes})
    cells = []
    for col, count in enumerate(reads):
        index = col - padding
        is_padding = not 0 <= index < width
        status = "padding" if is_padding else ("seen" if count else "unseen")
        cells.append({"index": index, "is_padding": is_padding, "reads": count, "status": status})
    unseen = [c["index"] for c in cells if c["status"] == "unseen"]
    reach = drawn[-1]["end"] - padding if drawn else -1  # unpadded index of the furthest tap
    right = sum(1 for index in unseen if index > reach)
    return {
        "width": width, "kernel": kernel, "stride": stride, "padding": padding, "dilation": dilation,
        "effective_kernel": k_eff, "cells": cells, "windows": drawn, "lanes": min(lanes, max(1, len(drawn))),
        "unseen": unseen, "unseen_right": right, "unseen_between": len(unseen) - right,
    }


def pool_coverage(height, width, size, stride=None, padding=0, max_side: int = 64) -> list[list[int]]:
    """H×W counts: how many pooling windows (size×size, stride, padding, output floored) read each input cell."""
    height = to_int(height, "height", 1, max_side)
    width = to_int(width, "width", 1, max_side)
    size = to_int(size, "size", 1, max_side)
    stride = size if stride is None else to_int(stride, "stride", 1, max_side)
    padding = to_int(padding, "padding", 0, size // 2)
    counts = [[0] * width for _ in range(height)]
    for _, _, taps in windows(height, width, size, size, stride, padding):
        for _, _, in_i, in_j in taps:
            if 0 <= in_i < height and 0 <= in_j < width:
                counts[in_i][in_j] += 1
    return counts


def shrink_table(width, kernel, layers, max_layers: int = 16) -> list[dict]:
    """Size after each of `layers` stride-1 convolutions with an F×F kernel: unpadded (None once it no
    longer fits) and with "same" padding (F − 1)/2 (None for an even F, which has no such padding)."""
    width = to_int(width, "width", 1, 4096)
    kernel = to_int(kernel, "kernel", 1, 64)
    layers = to_int(layers, "layers", 1, max_layers)
    pad = same_padding(kernel)
    rows, plain, same = [], width, width
    for layer in range(1, layers + 1):
        plain = output_size(plain, kernel) if plain is not None else None
        if plain is not None and plain < 1:
            plain = None
        same = conv_arithmetic(same, kernel, 1, pad)["output_size"] if pad is not None else None
        rows.append({"layer": layer, "unpadded": plain, "same": same})
    return rows


def conv_settings(width, in_channels=3, filters=64, max_padding=4) -> dict:
    """The lecture's common settings and its "same" paddings, computed for a W×W×D1 input and K filters.

    Returns {"common": one row per lecture setting {"kernel", "stride", "lecture_padding" (None for "?"),
    "paddings": the paddings used (the lecture's one, or every padding 0…max_padding that fits),
    "candidates": conv_arithmetic for each padding tried, "keeps_size", "weights", "biases", "params"},
    "same": one row per F in 1, 2, 3, 4, 5, 7 {"kernel", "padding" (computed, None when (F − 1)/2 is not whole),
    "lecture" (None when the lecture gives none), "output"}, "sources": {"common", "same"}, each {"en", "ru"}}.
    """
    common = []
    for kernel, stride, padding in COMMON_SETTINGS_LECTURE:
        tried = range(max_padding + 1) if padding is None else [padding]
        candidates = [conv_arithmetic(width, kernel, stride, p, 1, in_channels, filters) for p in tried]
        fits = [c["padding"] for c in candidates if c["valid"]]
        if padding is None:
            assert fits == paddings_that_fit(width, kernel, stride, max_padding)
        first = candidates[0]
        common.append({
            "kernel": kernel, "stride": stride, "lecture_padding": padding, "paddings": fits,
            "candidates": candidates,
            "keeps_size": [c["padding"] for c in candidates if c["output_size"] == width],
            "weights": first["weights"], "biases": first["biases"], "params": first["params"],
        })
    same = []
    for kernel in (1, 2, 3, 4, 5, 7):
        padding = same_padding(kernel)
        output = conv_arithmetic(width, kernel, 1, padding)["output_size"] if padding is not None else None
        same.append({"kernel": kernel, "padding": padding, "lecture": SAME_PADDING_LECTURE.get(kernel),
                     "output": output})
    return {"width": width, "in_channels": in_channels, "filters": filters, "common": common, "same": same,
            "sources": {"common": COMMON_SETTINGS_SOURCE, "same": SAME_PADDING_SOURCE}}


@dataclass(frozen=True)
class StackLimits:
    max_side: int = 4096
    max_channels: int = 4096
    max_layers: int = 8
    max_kernel: int = 64
    max_stride: int = 64


def _module(layer: StackLayer, c_in: int) -> nn.Module:
    if layer.kind == "conv":
        return nn.Conv2d(c_in, layer.filters, layer.kernel, stride=layer.stride, padding=layer.padding, device="meta")
    if layer.mode == "max":
        return nn.MaxPool2d(layer.kernel, stride=layer.stride, padding=layer.padding)
    return nn.AvgPool2d(layer.kernel, stride=layer.stride, padding=layer.padding)


def _check_layer(index: int, layer: StackLayer, c: int, h: int, w: int, limits: StackLimits) -> None:
    if layer.kind not in ("conv", "pool") or (layer.kind == "pool" and layer.mode not in ("max", "avg")):
        raise InputError(en=f"Layer {index}: unknown kind {brief(layer.kind)}/{brief(layer.mode)}.",
                         ru=f"Слой {index}: неизвестный тип {brief(layer.kind)}/{brief(layer.mode)}.")
    to_int(layer.kernel, "kernel", 1, limits.max_kernel)
    to_int(layer.stride, "stride", 1, limits.max_stride)
    to_int(layer.padding, "padding", 0, limits.max_kernel)
    if layer.kind == "conv":
        to_int(layer.filters, "filters", 1, limits.max_channels)
    elif 2 * layer.padding > layer.kernel:
        raise InputError(
            en=f"Layer {index}: pooling padding {layer.padding} is more than half the window {layer.kernel}.",
            ru=f"Слой {index}: заполнение пула {layer.padding} больше половины окна {layer.kernel}.",
        )
    out_h = output_size(h, layer.kernel, layer.stride, layer.padding)
    out_w = output_size(w, layer.kernel, layer.stride, layer.padding)
    if min(out_h, out_w) < 1:
        raise InputError(
            en=f"Layer {index} gets a {h}×{w}×{c} input, smaller than its {layer.kernel}×{layer.kernel} window "
            f"(with padding {layer.padding}): there is no output. Use a larger input or fewer layers.",
            ru=f"На слой {index} приходит вход {h}×{w}×{c}, меньше его окна {layer.kernel}×{layer.kernel} "
            f"(с заполнением {layer.padding}): выхода нет. Возьмите вход побольше или слоёв поменьше.",
        )


def stack_shapes(input_shape, layers, limits: StackLimits = StackLimits()) -> dict:
    """Each layer's output shape and parameters, by running the torch modules on a (1, C, H, W) input.

    input_shape is (C, H, W). A conv is followed by a ReLU (in place, not a row of its own). Returns
    {"input": [C, H, W], "rows": [{"name", "kind", "type": the module's class name, "mode", "module": its
    repr, "input": [C, H, W], "output": [C, H, W], "weights", "biases", "params", "kernel", "stride", "padding", "filters"}],
    "total_params", "code": the nn.Sequential that was run}.
    """
    if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 3:
        raise InputError(en="input_shape must be [C, H, W].", ru="input_shape должен иметь вид [C, H, W].")
    c, h, w = (to_int(v, n, 1, m) for v, n, m in zip(
        input_shape, ("channels", "height", "width"), (limits.max_channels, limits.max_side, limits.max_side)))
    layers = list(layers)
    if not 1 <= len(layers) <= limits.max_layers:
        raise InputError(en=f"A stack has 1 to {limits.max_layers} layers, got {len(layers)}.",
                         ru=f"В стеке от 1 до {limits.max_layers} слоёв, а получено {len(layers)}.")
    modules, shape = [], (c, h, w)
    for index, layer in enumerate(layers, 1):
        _check_layer(index, layer, *shape, limits)
        module = _module(layer, shape[0])
        modules.append((layer, module))
        out_c = layer.filters if layer.kind == "conv" else shape[0]
        shape = (out_c, output_size(shape[1], layer.kernel, layer.stride, layer.padding),
                 output_size(shape[2], layer.kernel, layer.stride, layer.padding))

    rows = []
    x = torch.empty(1, c, h, w, device="meta")  # (1, C, H, W): shapes only
    with torch.inference_mode():
        for index, (layer, module) in enumerate(modules, 1):
            before = list(x.shape[1:])
            x = module(x)  # (1, C', H', W')
            if layer.kind == "conv":
                x = torch.relu(x)
            weights = sum(p.numel() for n, p in module.named_parameters() if not n.endswith("bias"))
            biases = sum(p.numel() for n, p in module.named_parameters() if n.endswith("bias"))
            rows.append({
                "name": layer.name or f"{layer.kind.upper()}{index}", "kind": layer.kind, "type": type(module).__name__,
                "mode": layer.mode if layer.kind == "pool" else None, "module": repr(module),
                "input": before, "output": list(x.shape[1:]), "weights": weights, "biases": biases,
                "params": weights + biases, "kernel": layer.kernel, "stride": layer.stride,
                "padding": layer.padding, "filters": layer.filters if layer.kind == "conv" else None,
            })
    lines = []
    for layer, module in modules:
        text = repr(module).replace(", device='meta'", "")
        lines.append(f"    nn.{text},")
        if layer.kind == "conv":
            lines.append("    nn.ReLU(),")
    code = "\n".join([
        "import torch", "from torch import nn", "",
        "net = nn.Sequential(", *lines, ")",
        f"x = torch.zeros(1, {c}, {h}, {w})  # (N, C, H, W)",
        "for layer in net:", "    x = layer(x)", "    print(type(layer).__name__, tuple(x.shape))",
    ])
    return {"input": [c, h, w], "rows": rows, "total_params": sum(r["params"] for r in rows), "code": code}


def small_stack(kernel=3, same=True, filters1=16, filters2=32, pool_size=2, pool_stride=2,
                pool_mode="max") -> list[StackLayer]:
    """CONV-POOL-CONV-POOL, the lecture's LeNet pattern: F×F convs at stride 1 ("same" padding or none; LeNet-5
    itself: 1 channel, 5×5, none, so 32 → 28 → 14 → 10 → 5)."""
    padding = (same_padding(kernel) or 0) if same else 0
    return [
        StackLayer("conv", kernel, 1, padding, filters=filters1, name="CONV1"),
        StackLayer("pool", pool_size, pool_stride, mode=pool_mode, name="POOL1"),
        StackLayer("conv", kernel, 1, padding, filters=filters2, name="CONV2"),
        StackLayer("pool", pool_size, pool_stride, mode=pool_mode, name="POOL2"),
    ]


def pool_parameters(mode="max", size=2, stride=2) -> int:
    """Trainable parameters of a torch pooling layer, counted from the module itself (there are none)."""
    layer = _module(StackLayer("pool", to_int(size, "size", 1, 64), to_int(stride, "stride", 1, 64),
                               mode=mode if mode in ("max", "avg") else "max"), 1)
    return sum(p.numel() for p in layer.parameters() if p.requires_grad)
