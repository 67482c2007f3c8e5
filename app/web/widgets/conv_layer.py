"""Widgets and exercises of the `conv-layer` lesson: the lecture's 32×32×3 image and 5×5×3 filter,
wᵀx + b at one position, K filters → K activation maps, a bank of filters on a photo, ReLU and
stacked conv layers. Every number comes from app.compute.ops.conv_layer (torch underneath)."""

import random

import numpy as np
from markupsafe import Markup, escape

from app.compute import samples
from app.compute.ops import arithmetic, conv_layer, conv_stack
from app.web.pictures import data_url
from app.web.widgets.params import Choice, Int, Num
from app.web.widgets.registry import Question, WidgetContext, exercise, widget
from app.web.i18n import translate

SIDE = conv_layer.LECTURE_EXAMPLE["input"][0]  # the lecture's 32×32×3 image
F = conv_layer.LECTURE_EXAMPLE["filter"][0]  # and its 5×5×3 filter
OUT = SIDE - F + 1
BANK_SIDE = 96  # px of the photo the bank runs on: big enough to see edges, small enough to hover
RELU_PATCH = 6  # a 6×6 window of numbers fits on a phone
CHANNELS = ("R", "G", "B")
SCRIPTS = ("conv-layer.js",)


def _names(ctx: WidgetContext) -> list[tuple[str, str]]:
    return [(key, s.captions[ctx.lang]) for key, s in samples.SAMPLES.items()]


def _bank_options(ctx: WidgetContext) -> list[tuple[str, str]]:
    return [(key, f.names[ctx.lang]) for key, f in conv_layer.FILTER_BANK.items()]


def _shape(values) -> str:
    return "×".join(str(v) for v in values)


def _box(top: float, left: float, size_h: float, size_w: float, side_h: int, side_w: int) -> dict:
    """A rectangle on a picture in percent of its size, clipped to the picture (padding lies outside)."""
    bottom, right = min(top + size_h, side_h), min(left + size_w, side_w)
    top, left = max(top, 0), max(left, 0)
    return {"top": 100 * top / side_h, "left": 100 * left / side_w,
            "height": 100 * (bottom - top) / side_h, "width": 100 * (right - left) / side_w}


def _geometry(input_shape, output_shape, field: dict) -> dict:
    """What the script needs to light up an output pixel's receptive field on the input."""
    return {"input": list(input_shape), "output": list(output_shape), **field}


def _tiny(value: float) -> str:
    """A float64 rounding gap as people read it: 0, or 1.4e-17."""
    return "0" if value == 0 else f"{value:.1e}"


@widget("conv-layer-dot", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)),
    "filter": Choice("vertical_edge", (*conv_layer.FILTER_BANK, "random")), "seed": Int(1, 0, 9999),
    "bias": Num(0.1, -2, 2), "row": Int(11, 1, OUT), "col": Int(13, 1, OUT),  # counted from 1, as students count
}, scripts=SCRIPTS)
def build_dot(ctx: WidgetContext) -> dict:
    sample, key, seed, bias, row_n, col_n = ctx.values("sample", "filter", "seed", "bias", "row", "col")
    row, col = row_n - 1, col_n - 1  # the arrays' (and PyTorch's) index
    x = conv_layer.photo_volume(sample, SIDE)  # (3, 32, 32)
    w = conv_layer.random_filter(seed) if key == "random" else conv_layer.FILTER_BANK[key].weights
    dot = conv_layer.dot_product_at(x, w, bias, row, col, device=ctx.device)
    channels = [
        {"name": CHANNELS[c], "patch": dot["patch"][c], "weights": dot["weights"][c],
         "products": dot["products"][c], "sum": dot["channel_sums"][c]}
        for c in range(3)
    ]
    return {
        "sample": sample, "filter": key, "seed": seed, "bias": bias, "row": row_n, "col": col_n,
        "samples": _names(ctx),
        "filters": [*_bank_options(ctx), ("random", "Random (seeded)" if ctx.lang == "en" else "Случайный (по зерну)")],
        "description": conv_layer.FILTER_BANK[key].descriptions[ctx.lang] if key != "random" else "",
        "input_url": data_url(conv_layer.volume_pixels(x)),
        "map_url": data_url(conv_layer.signed_pixels(dot["map"])),
        "filter_url": data_url(conv_layer.filter_pixels(w)),
        "channels": channels, "dot": dot,
        "difference": _tiny(dot["difference"]),
        "input_shape": _shape(conv_layer.hwc(x.shape)), "filter_shape": _shape(conv_layer.hwc(w.shape)),
        "map_shape": _shape([*dot["map"].shape, 1]),
        "lecture": {key: _shape(v) if isinstance(v, tuple) else v for key, v in conv_layer.LECTURE_EXAMPLE.items()},
        "window": _box(row, col, F, F, SIDE, SIDE),
        "marker": _box(row, col, 1, 1, OUT, OUT),
        "geometry": _geometry((SIDE, SIDE), dot["map"].shape, {"size": F, "jump": 1, "start": 0, "cursor": [row, col]}),
        "map_range": [round(float(dot["map"].min()), 3), round(float(dot["map"].max()), 3)],
        "credit": samples.SAMPLES[sample].credit,
        "code": (
            "import torch.nn.functional as F\n"
            f"# x: (1, 3, {SIDE}, {SIDE}) the photo above, w: (1, 3, {F}, {F}) the filter, b: ({bias:g},)\n"
            f"y = F.conv2d(x, w, b)  # (1, 1, {dot['map'].shape[0]}, {dot['map'].shape[1]}): stride 1, no padding\n"
            f"y[0, 0, {row}, {col}]  # row {row_n}, column {col_n} counted from 1; "
            f"= (w * x[0, :, {row}:{row + F}, {col}:{col + F}]).sum() + b"
        ),
    }


@widget("conv-layer-filters", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "filters": Int(6, 1, 12), "padding": Int(0, 0, 3),
    "seed": Int(7, 0, 9999),
}, scripts=SCRIPTS)
def build_filters(ctx: WidgetContext) -> dict:
    sample, count, padding, seed = ctx.values("sample", "filters", "padding", "seed")
    x = conv_layer.photo_volume(sample, SIDE)
    weights, biases = conv_layer.random_filters(seed, count)
    maps = conv_layer.layer_maps(x, weights, biases, padding=padding, device=ctx.device)  # (K, H, W)
    check = arithmetic.conv_arithmetic(SIDE, F, 1, padding, in_channels=3, filters=count)
    return {
        "sample": sample, "count": count, "padding": padding, "seed": seed, "samples": _names(ctx),
        "input_url": data_url(conv_layer.volume_pixels(x)), "input_shape": _shape(conv_layer.hwc(x.shape)),
        "maps": [
            {"url": data_url(conv_layer.signed_pixels(m)), "filter_url": data_url(conv_layer.filter_pixels(w)),
             "bias": float(b), "range": [round(float(m.min()), 2), round(float(m.max()), 2)]}
            for m, w, b in zip(maps, weights, biases)
        ],
        "shape": _shape(conv_layer.hwc(maps.shape)), "map_side": maps.shape[1],
        "check": check, "filter_shape": _shape([F, F, 3]),
        "lecture_one": _shape(conv_layer.LECTURE_EXAMPLE["one_filter"]),
        "lecture_six": _shape(conv_layer.LECTURE_EXAMPLE["six_filters"]),
        "matches_lecture": conv_layer.hwc(maps.shape) == list(conv_layer.LECTURE_EXAMPLE["six_filters"]),
        "code": (
            "import torch\n"
            f"layer = torch.nn.Conv2d(in_channels=3, out_channels={count}, kernel_size={F}, padding={padding})\n"
            f"x = torch.rand(1, 3, {SIDE}, {SIDE})\n"
            f"layer(x).shape  # torch.Size([1, {maps.shape[0]}, {maps.shape[1]}, {maps.shape[2]}]): "
            f"{_shape(conv_layer.hwc(maps.shape))} as H×W×K\n"
            f"sum(p.numel() for p in layer.parameters())  # {check['params']}"
        ),
    }




@widget("conv-layer-pipeline", params={
    "filters": Int(conv_layer.LECTURE_LAYERS["filters"], 1, 16),
    "kernel": Choice(5, (1, 3, 5, 7)),  # odd sizes: only they have a padding that keeps 32×32
    "padding": Choice("same", ("same", "none")),
})
def build_pipeline(ctx: WidgetContext) -> dict:
    count, kernel, padding_mode = ctx.values("filters", "kernel", "padding")
    x = conv_layer.photo_volume("chelsea", SIDE)
    result = conv_stack.lecture_pipeline(x, count, kernel, padding_mode == "same", device=ctx.device)
    rows = []
    conv_shape = next(r["shape"] for r in result["rows"] if r["layer"] == "conv")
    for row in result["rows"]:
        why = []
        if not row["matches"]:
            if row["layer"] == "conv":
                if row["shape"][0] != row["lecture"][0]:
                    why.append(translate(ctx.lang, "clayer_why_conv_size", f=kernel, side=SIDE, out=row["shape"][0],
                                                                 same=arithmetic.same_padding(kernel)))
                if row["shape"][2] != row["lecture"][2]:
                    why.append(translate(ctx.lang, "clayer_why_conv_depth", k=count))
            elif row["layer"] == "relu":
                why.append(translate(ctx.lang, "clayer_why_relu"))
            elif row["layer"] == "pool":
                why.append(translate(ctx.lang, "clayer_why_pool", h=conv_shape[0], out=row["shape"][0]))
        rows.append({**row, "shape_text": _shape(row["shape"]), "lecture_text": _shape(row["lecture"]),
                     "why": " ".join(why)})
    return {"count": count, "kernel": kernel, "kernels": [(str(k), f"{k}×{k}") for k in ctx.spec("kernel").options], "padding_mode": padding_mode, "padding": result["padding"],
            "rows": rows, "formula": result["arithmetic"]["formula"], "source": conv_layer.LECTURE_LAYERS["section"]}


@widget("conv-layer-bank", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "relu": Choice("off", ("off", "on")),
}, scripts=SCRIPTS)
def build_bank(ctx: WidgetContext) -> dict:
    sample, relu = ctx.values("sample", "relu")
    x = conv_layer.photo_volume(sample, BANK_SIDE)
    bank = conv_layer.bank_maps(x, device=ctx.device)
    maps = bank["maps"]  # (8, 92, 92)
    shown_maps = np.maximum(maps, 0) if relu == "on" else maps
    items = []
    for key, w, m, total in zip(bank["keys"], bank["weights"], shown_maps, bank["sums"]):
        spec = conv_layer.FILTER_BANK[key]
        # A brightness-keeping filter (weights sum to 1) is shown as is; the others around grey 0.
        pixels = (np.clip(m, 0, 1) * 255).round().astype(np.uint8) if total >= 0.5 else conv_layer.signed_pixels(m)
        items.append({"key": key, "name": spec.names[ctx.lang], "description": spec.descriptions[ctx.lang],
                      "filter_url": data_url(conv_layer.filter_pixels(w)), "map_url": data_url(pixels),
                      "sum": total, "signed": total < 0.5,
                      "range": [round(float(m.min()), 2), round(float(m.max()), 2)]})
    return {
        "sample": sample, "relu": relu, "samples": _names(ctx), "bank": items,
        "input_url": data_url(conv_layer.volume_pixels(x)), "input_side": BANK_SIDE,
        "input_shape": _shape(conv_layer.hwc(x.shape)), "map_shape": _shape(maps.shape[1:]),
        "volume_shape": _shape(conv_layer.hwc(maps.shape)), "count": len(items),
        "filter_shape": _shape(conv_layer.hwc(bank["weights"].shape[1:])),
        "geometry": _geometry(x.shape[1:], maps.shape[1:], {"size": F, "jump": 1, "start": 0}),
        "credit": samples.SAMPLES[sample].credit,
    }


@widget("conv-layer-relu", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)),
    "filter": Choice("vertical_edge", tuple(conv_layer.FILTER_BANK)), "bias": Num(0, -2, 2),
    "row": Int(9, 1, OUT - RELU_PATCH + 1), "col": Int(9, 1, OUT - RELU_PATCH + 1),  # counted from 1
}, scripts=SCRIPTS)
def build_relu(ctx: WidgetContext) -> dict:
    sample, key, bias, row_n, col_n = ctx.values("sample", "filter", "bias", "row", "col")
    row, col = row_n - 1, col_n - 1  # the array's index
    x = conv_layer.photo_volume(sample, SIDE)
    w = conv_layer.FILTER_BANK[key].weights
    activation = conv_layer.layer_maps(x, w[None], np.array([bias]), device=ctx.device)[0]  # (28, 28)
    whole = conv_layer.relu_view(activation)
    patch = conv_layer.relu_view(activation[row : row + RELU_PATCH, col : col + RELU_PATCH])
    peak = float(np.abs(activation).max())
    cells = [
        [{"before": b, "after": a, "negative": n} for b, a, n in zip(rb, ra, rn)]
        for rb, ra, rn in zip(patch["before"], patch["after"], patch["negative"])
    ]
    return {
        "sample": sample, "filter": key, "bias": bias, "row": row_n, "col": col_n, "samples": _names(ctx),
        "filters": _bank_options(ctx), "cells": cells, "patch": patch, "whole": whole, "size": RELU_PATCH,
        "before_url": data_url(conv_layer.signed_pixels(activation, peak)),
        "after_url": data_url(conv_layer.signed_pixels(np.maximum(activation, 0), peak)),
        "window": _box(row, col, RELU_PATCH, RELU_PATCH, OUT, OUT), "map_shape": _shape(activation.shape),
        "map_px": 6 * OUT, "rows_end": row_n + RELU_PATCH - 1, "cols_end": col_n + RELU_PATCH - 1,
    }


def _stack_layer(n: int, filters: int, kernel: int) -> dict:
    """Layer n of the stack: K filters of F×F, stride S, padding P (parameters kn, fn, sn, pn)."""
    return {f"k{n}": Int(filters, 1, conv_layer.MAX_FILTERS), f"f{n}": Int(kernel, 1, conv_stack.MAX_STACK_KERNEL),
            f"s{n}": Int(1, 1, conv_stack.MAX_STACK_STRIDE), f"p{n}": Int(0, 0, conv_stack.MAX_STACK_PADDING)}


# CS231n's stacking figure: 6 filters 5×5×3, then 10 filters 5×5×6.
@widget("conv-layer-stack", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), **_stack_layer(1, 6, 5), **_stack_layer(2, 10, 5),
    "seed": Int(0, 0, 9999),
}, scripts=SCRIPTS)
def build_stack(ctx: WidgetContext) -> dict:
    sample = ctx.value("sample")
    layers = [{"filters": ctx.value(f"k{n}"), "kernel": ctx.value(f"f{n}"), "stride": ctx.value(f"s{n}"),
               "padding": ctx.value(f"p{n}")} for n in (1, 2)]
    seed = ctx.value("seed")
    x = conv_layer.photo_volume(sample, SIDE)
    stack = conv_stack.run_stack(x, layers, seed, device=ctx.device)
    steps = []
    depth = 3
    conv_index = 0
    for step in stack["steps"]:
        maps = step["maps"]  # (K, H, W)
        item = {"name": step["name"].upper(), "kind": step["kind"], "module": step["module"],
                "shape": _shape(step["shape"]), "field": step["field"],
                "geometry": _geometry(x.shape[1:], maps.shape[1:], step["field"]),
                "maps": [data_url(conv_layer.signed_pixels(m)) for m in maps[:8]], "more": max(0, len(maps) - 8),
                "map_side": maps.shape[1], "scale": max(2, 96 // maps.shape[1])}  # about 96 px a map
        if step["kind"] == "conv":
            check = step["arithmetic"]
            layer = layers[conv_index]
            item.update({"formula": check["formula"], "valid": check["valid"], "reason": check["reason"][ctx.lang],
                         "floor": check["floor_output"], "params": check["params"], "weights": check["weights"],
                         "filters": layer["filters"], "kernel": layer["kernel"], "depth": depth,
                         "filter_shape": _shape([layer["kernel"], layer["kernel"], depth])})
            depth = layer["filters"]
            conv_index += 1
        steps.append(item)
    return {
        "sample": sample, "layers": layers, "seed": seed, "samples": _names(ctx), "steps": steps,
        "input_url": data_url(conv_layer.volume_pixels(x)), "input_shape": _shape(stack["input"]), "input_side": SIDE,
        "total_params": sum(s["params"] for s in steps if s["kind"] == "conv"),
        "final_field": stack["steps"][-1]["field"]["size"],
    }


# Exercises: numbers from the seeded `rng`, answers from app.compute, text in the student's language.


@exercise("conv-layer-output-volume")
def output_volume(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        width = rng.choice([7, 16, 27, 28, 32, 64, 224, 227])
        depth = rng.choice([1, 3, 3, 6, 16, 64])
        kernel = rng.choice([1, 3, 5, 7, 11])
        stride = rng.choice([1, 1, 2, 4])
        padding = rng.choice([0, 0, 1, 2, 3])
        filters = rng.choice([6, 10, 12, 16, 32, 96])
        check = arithmetic.conv_arithmetic(width, kernel, stride, padding, in_channels=depth, filters=filters)
        if check["valid"] and check["output_size"] >= 2:
            break
    out = check["output_size"]
    text = translate(lang, "conv_layer_output_volume_text", width=width, depth=depth, filters=filters, kernel=kernel,
        stride=stride, padding=padding)
    hint = translate(lang, "conv_layer_output_volume_hint")
    depth_text = translate(lang, "conv_layer_output_volume_depth_text", filters=filters)
    solution = f"{check['formula']}; {depth_text} → {out}×{out}×{filters}"
    return Question(prompt=text, answer=(out, out, filters), kind="shape", hint=hint, solution=solution)


@exercise("conv-layer-products")
def products(rng: random.Random, lang: str, params: dict) -> Question:
    kernel = rng.choice([1, 3, 5, 7])
    depth = rng.choice([1, 3, 6, 16, 32, 64])
    width = rng.choice([32, 28, 14, 56])
    filters = rng.choice([6, 12, 16, 64])
    answer = kernel * kernel * depth
    text = translate(lang, "conv_layer_products_text", width=width, depth=depth, filters=filters, kernel=kernel)
    hint = translate(lang, "conv_layer_products_hint")
    extra = translate(lang, "conv_layer_products_extra")
    solution = f"F·F·D = {kernel}·{kernel}·{depth} = {answer}. {extra}"
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution)


def _grid(values) -> Markup:
    rows = "".join("<tr>" + "".join(f"<td>{escape(f'{v:g}')}</td>" for v in row) + "</tr>" for row in values)
    return Markup(f'<table class="num-grid">{rows}</table>')


@exercise("conv-layer-relu-value")
def relu_value(rng: random.Random, lang: str, params: dict) -> Question:
    x = np.array([[[rng.randint(0, 3) for _ in range(2)] for _ in range(2)] for _ in range(2)], dtype=float)
    w = np.array([[[rng.randint(-2, 2) for _ in range(2)] for _ in range(2)] for _ in range(2)], dtype=float)
    bias = rng.randint(-3, 3)
    dot = conv_layer.dot_product_at(x, w, bias, 0, 0)
    answer = conv_layer.relu_view([dot["torch_value"]])["after"][0]
    names = [translate(lang, key) for key in ("field_channel", "clayer_ex_patch", "clayer_ex_filter")]
    blocks = "".join(
        f'<div class="grid-box"><h4>{escape(names[1])}, {escape(names[0])} {c + 1}</h4>{_grid(x[c])}</div>'
        f'<div class="grid-box"><h4>{escape(names[2])}, {escape(names[0])} {c + 1}</h4>{_grid(w[c])}</div>'
        for c in range(2)
    )
    text = translate(lang, "conv_layer_relu_value_text", bias=bias)
    hint = translate(lang, "conv_layer_relu_value_hint")
    terms = " + ".join(f"{a:g}·{b:g}" for a, b in zip(x.ravel(), w.ravel()))
    solution = f"wᵀx = {terms} = {dot['dot']:g}; wᵀx + b = {dot['dot']:g} + ({bias}) = {dot['result']:g}; " \
               f"max(0, {dot['result']:g}) = {answer:g}"
    prompt, figure = text, Markup(f'<div class="grids">{blocks}</div>')
    return Question(prompt=prompt, figure=figure, answer=answer, kind="number", hint=hint, solution=solution)


@exercise("conv-layer-maps")
def maps_count(rng: random.Random, lang: str, params: dict) -> Question:
    width = rng.choice([32, 64, 28])
    depth = rng.choice([1, 3])
    k1, k2 = rng.choice([4, 6, 8, 12, 16, 32]), rng.choice([10, 16, 20, 24, 64])
    f1, f2 = rng.choice([3, 5]), rng.choice([3, 5])
    first = arithmetic.conv_arithmetic(width, f1, 1, 0, in_channels=depth, filters=k1)
    second = arithmetic.conv_arithmetic(first["output_size"], f2, 1, 0, in_channels=k1, filters=k2)
    ask_depth = rng.random() < 0.5
    setup = translate(lang, "conv_layer_maps_count_setup", width=width, depth=depth, k1=k1, f1=f1, k2=k2, f2=f2)
    if ask_depth:
        question = translate(lang, "conv_layer_maps_count_question")
        answer = k1
        why = translate(lang, "conv_layer_maps_count_why", first_output_size=first['output_size'], k1=k1)
    else:
        question = translate(lang, "conv_layer_maps_count_question_2")
        answer = k2
        why = translate(lang, "conv_layer_maps_count_why_2", k2=k2, second_output_size=second['output_size'], k1=k1)
    hint = translate(lang, "conv_layer_maps_count_hint")
    return Question(prompt=setup + question, answer=answer, kind="integer", hint=hint, solution=why)
