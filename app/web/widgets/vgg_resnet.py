"""Widgets and exercises of the `vgg` and `resnet` lessons: VGG-16 layer by layer with its memory and
parameters (beside the lecture's figures), the B/C/D configurations, stacks of 3×3 convs, the
revolution of depth, a residual block on a real activation map, ResNet-18's table and live
classification with pretrained weights (or a plain note saying how to fetch them)."""

import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.compute import samples
from app.compute.lessons import history
from app.compute.nets import activations, maps as activation_maps
from app.compute.ops import kernels, receptive_field
from app.compute.nets.architectures import (
    BYTES_PER_VALUE,
    NETWORKS,
    VGG_CONFIGURATIONS,
    architecture_table,
    compare_vgg16_with_lecture,
    lecture_vgg16_figures,
    vgg_configurations,
)
from app.compute.nets.registry import WeightsMissing
from app.web.charts import PALETTE, add_human_reference, cached_figure, human_reference
from app.web.pictures import data_url
from app.web.widgets.pickers import IMAGENET_CLASSIFIERS, missing_note, pick_model
from app.web.format import decimal, grouped, hwc_order, percent, times
from app.web.widgets.params import Choice, Int, Num
from app.web.widgets.registry import WidgetContext, weights_note, widget
from app.web.i18n import layer_detail, translate

MAX_BATCH = 512
MAX_STACK_SHOWN = 6  # a 13×13 grid of the receptive field still fits a slide


# Sizes and counts as each language writes them (app.web.format does the digits).

def _mib(n_bytes: float, lang: str) -> str:
    return decimal(n_bytes / 2**20, lang, 1) + (" MiB" if lang == "en" else " МиБ")


def _mb(n_bytes: float, lang: str) -> str:
    return decimal(n_bytes / 1e6, lang, 1) + (" MB" if lang == "en" else " МБ")


def _millions(value: float, lang: str, digits: int = 1) -> str:
    return decimal(value / 1e6, lang, digits) + ("M" if lang == "en" else "\u00a0млн")


def _hwc(shape: list[int]) -> list[int]:
    """A table shape [C, H, W] in the lecture's order H×W×C; a vector [N] as the lecture writes an FC: 1×1×N."""
    return hwc_order(shape) if len(shape) == 3 else [1, 1, shape[0]]


SAMPLE = Choice("chelsea", tuple(samples.SAMPLES))  # the photo a widget runs its network on


def _sample_options(lang: str) -> list[tuple[str, str]]:
    return [(key, s.captions[lang]) for key, s in samples.SAMPLES.items()]


def _vgg_maps(result: dict) -> dict:
    rows = {}
    for row in result["rows"]:
        rows[row["index"]] = [
            {"url": data_url(m["pixels"]), "channel": m["channel"], "low": m["low"], "high": m["high"],
             "side": list(m["pixels"].shape)}
            for m in row["maps"]
        ]
    return {"crop": data_url(result["crop"], "JPEG"), "rows": rows,
            "ranges": {row["index"]: (row["low"], row["high"], row["zero_fraction"]) for row in result["rows"]}}


def _params_formula(row: dict, layer: dict, previous_hwc: list[int], lang: str) -> str:
    """The lecture's way of writing a row's weights: (3×3×64)×128 = 73,728, or 7×7×512×4096 for an FC."""
    if "kernel" in layer:
        kh, kw = layer["kernel"]
        text = f"({kh}×{kw}×{layer['c_in'] // layer['groups']})×{layer['c_out']}"
    elif "in_features" in layer:
        factors = [f for f in previous_hwc if f != 1] or [1]
        if math.prod(factors) != layer["in_features"]:
            factors = [layer["in_features"]]
        text = f"{times(factors)}×{layer['out_features']}"
    else:
        return "0"
    return f"{text} = {grouped(row['weights'], lang)}"


def _vgg_table_maps(ctx: WidgetContext, sample: str) -> tuple[dict | None, dict | None]:
    """(maps, None) of VGG-16 on a sample photo, PNG-encoded once per photo and weights file; (None, note) without weights."""
    weights = ctx.weights("vgg16")
    if not weights["present"]:
        return None, weights

    def work(device: str) -> dict:
        return _vgg_maps(activations.sample_activations("vgg16", sample, Path(ctx.weights_dir), device))

    try:
        return ctx.compute(work, key=("vgg-table", sample, weights["stamp"])), None
    except WeightsMissing as exc:  # a damaged file: found only when it is loaded
        return None, weights_note(exc)


@widget("vgg-table", params={"sample": SAMPLE, "speed": Num(1, 0.25, 4), "step": Int(None, 0, None)}, deferred=True)
def build_vgg_table(ctx: WidgetContext) -> dict:
    sample, speed = ctx.values("sample", "speed")
    table = architecture_table("vgg16")
    last = len(table["layers"]) - 1
    step = ctx.value("step", default=last, high=last)  # the whole table by default; Play starts from the input
    lang = ctx.lang
    quoted = lecture_vgg16_figures()["rows"]
    layers = [{}] + activations.row_layers("vgg16")  # the input row has no module
    totals = table["totals"]
    maps, missing = _vgg_table_maps(ctx, sample)

    rows, trace = [], []
    values_so_far = params_so_far = 0
    previous_hwc: list[int] = []
    for index, (row, lecture, layer) in enumerate(zip(table["layers"], quoted, layers, strict=True)):
        values_so_far += row["activations"]
        params_so_far += row["params"]
        hwc = _hwc(row["output_shape"])
        rows.append({
            "index": index, "name": row["name"], "label": lecture["label"], "kind": row["kind"],
            "detail": layer_detail(lang, row["parts"]), "shape": times(hwc),
            "memory": f"{times(hwc)} = {grouped(row['activations'], lang)}",
            "params": _params_formula(row, layer, previous_hwc, lang),
            "biases": grouped(row["biases"], lang) if row["biases"] else "",
            "lecture_memory": lecture["memory"].rsplit("=", 1)[-1].strip(),
            "lecture_params": lecture["params"].rsplit("=", 1)[-1].strip(),
            "weights_match": lecture["params_value"] == row["weights"],
            "maps": maps["rows"].get(index, []) if maps else [],
            "range": [decimal(v, lang, 2) for v in maps["ranges"][index][:2]] if maps else None,
            "zeros": percent(maps["ranges"][index][2] / 1, lang, 0) if maps else None,
        })
        trace.append({
            "values": grouped(values_so_far, lang), "bytes": _mib(values_so_far * BYTES_PER_VALUE, lang),
            "params": grouped(params_so_far, lang),
            # Numbers for the bars' widths, text for people to read.
            "memory_share": round(100 * values_so_far / totals["activations"], 2),
            "params_share": round(100 * params_so_far / totals["params"], 2),
            "memory_share_text": percent(values_so_far / totals["activations"], lang, 2),
            "params_share_text": percent(params_so_far / totals["params"], lang, 2),
            "row_memory_text": percent(row["activations"] / totals["activations"], lang, 2),
            "row_params_text": percent(row["params"] / totals["params"], lang, 2),
        })
        previous_hwc = hwc
    return {
        "sample": sample, "samples": _sample_options(lang), "speed": speed, "step": step,
        "rows": rows, "trace": trace, "missing": missing, "crop": maps["crop"] if maps else None,
        "total_values": grouped(totals["activations"], lang), "total_bytes": _mib(totals["activation_bytes"], lang),
        "total_params": grouped(totals["params"], lang), "credit": samples.SAMPLES[sample].credit,
        "caption": samples.SAMPLES[sample].captions[lang],
    }


def _vgg_figure(scale: str, lang: str) -> go.Figure:
    rows = architecture_table("vgg16")["layers"]
    names = [r["name"] for r in rows]
    text = [translate(lang, key) for key in ("vgg_figure_memory", "vgg_figure_params", "vgg_values", "ld_params_word")]
    figure = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.14, subplot_titles=text[:2])
    figure.add_trace(go.Bar(
        x=names, y=[r["activations"] for r in rows], name=text[0], marker_color=PALETTE[1],
        marker_pattern_shape="/", hovertemplate="%{x}: %{y:,} " + text[2] + "<extra></extra>",
    ), row=1, col=1)
    figure.add_trace(go.Bar(
        x=names, y=[r["params"] for r in rows], name=text[1], marker_color=PALETTE[0],
        hovertemplate="%{x}: %{y:,} " + text[3] + "<extra></extra>",
    ), row=2, col=1)
    figure.update_yaxes(type=scale, row=1, col=1)
    figure.update_yaxes(type=scale, row=2, col=1)
    figure.update_layout(showlegend=False, margin={"t": 40, "b": 60}, bargap=0.15)
    figure.update_xaxes(tickangle=-60)
    return figure


@widget("vgg-chart", params={"scale": Choice("linear", ("linear", "log"))}, charts=True)
def build_vgg_chart(ctx: WidgetContext) -> dict:
    scale = ctx.value("scale")
    lang = ctx.lang
    figure = cached_figure(("vgg-chart", scale, lang), lambda: _vgg_figure(scale, lang))
    table = architecture_table("vgg16")
    rows = table["layers"]
    total_values, total_params = table["totals"]["activations"], table["totals"]["params"]
    full_size = rows[0]["output_shape"][1:]
    at_full = [r for r in rows if len(r["output_shape"]) == 3 and r["output_shape"][1:] == full_size]
    fc = [r for r in rows if r["kind"] == "fc"]
    biggest = max(fc, key=lambda r: r["params"])
    return {
        "figure": figure, "scale": scale,
        "full_side": times(full_size), "full_rows": ", ".join(r["name"] for r in at_full),
        "full_memory": percent(sum(r["activations"] for r in at_full) / total_values, lang),
        "full_params": percent(sum(r["params"] for r in at_full) / total_params, lang, 2),
        "fc_params": percent(sum(r["params"] for r in fc) / total_params, lang),
        "fc_memory": percent(sum(r["activations"] for r in fc) / total_values, lang, 2),
        "fc_count": len(fc), "biggest": biggest["name"], "biggest_params": grouped(biggest["params"], lang),
        "biggest_share": percent(biggest["params"] / total_params, lang),
        "rows": [(r["name"], grouped(r["activations"], lang), grouped(r["params"], lang)) for r in rows],
    }


@widget("vgg-lecture", params={"batch": Int(1, 1, MAX_BATCH)})
def build_vgg_lecture(ctx: WidgetContext) -> dict:
    batch = ctx.value("batch")
    lang = ctx.lang
    c = compare_vgg16_with_lecture()
    lecture = lecture_vgg16_figures()
    factor = c["backward_factor"]
    rounding = c["activations"] - c["lecture_rows_memory_sum"]
    return {
        "batch": batch, "factor": factor,
        "lecture_params_text": lecture["total_params"], "lecture_memory_text": lecture["total_memory"],
        "lecture_weights_sum": grouped(c["lecture_weights_sum"], lang),
        "weights": grouped(c["weights"], lang), "biases": grouped(c["biases"], lang), "params": grouped(c["params"], lang),
        "params_diff": grouped(c["params"] - c["lecture_weights_sum"], lang),
        "params_rounded": _millions(c["params"], lang, 0),
        "lecture_values": _millions(c["lecture_memory_values"], lang, 0),
        "lecture_rows_sum": grouped(c["lecture_rows_memory_sum"], lang),
        "lecture_rows_sum_m": _millions(c["lecture_rows_memory_sum"], lang),
        "values": grouped(c["activations"], lang), "values_m": _millions(c["activations"], lang),
        "rounding": grouped(rounding, lang),
        "unexplained": _millions(c["lecture_memory_values"] - c["lecture_rows_memory_sum"], lang),
        "lecture_bytes": grouped(c["lecture_memory_bytes"], lang), "lecture_mb": _mb(c["lecture_memory_bytes"], lang),
        "lecture_mib": _mib(c["lecture_memory_bytes"], lang), "lecture_stated_mb": c["lecture_memory_stated_mb"],
        "forward_bytes": grouped(c["forward_bytes"], lang), "forward_mb": _mb(c["forward_bytes"], lang),
        "forward_mib": _mib(c["forward_bytes"], lang),
        "memory_ratio": decimal(c["lecture_memory_bytes"] / c["forward_bytes"], lang, 2),
        "both_mib": _mib(c["forward_backward_bytes"], lang),
        "batch_forward": _mib(c["forward_bytes"] * batch, lang),
        "batch_both": _mib(c["forward_backward_bytes"] * batch, lang),
        "batch_lecture": _mib(c["lecture_memory_bytes"] * factor * batch, lang),
        "weights_bytes": _mib(c["params"] * BYTES_PER_VALUE, lang),
    }


def _aligned_configurations(names: tuple[str, ...]) -> list[dict]:
    """The configurations side by side, block by block (between max pools), as the paper's Table 1 sets them."""
    configs = vgg_configurations(names)
    split = {}
    for name, config in configs.items():
        blocks, current = [], []
        for label in config["labels"]:
            current.append(label)
            if label == "maxpool" or label == "soft-max":
                blocks.append(current)
                current = []
        split[name] = blocks
    rows = []
    for b in range(max(len(blocks) for blocks in split.values())):
        parts = {name: split[name][b] for name in names}
        longest = max(len(p) for p in parts.values())
        for i in range(longest):
            cells = {}
            for name, part in parts.items():
                # Layers line up from the top of a block; the pool (or soft-max) closes every block.
                closing = part[-1] if part[-1] in ("maxpool", "soft-max") and i == longest - 1 else None
                body = part[:-1] if part[-1] in ("maxpool", "soft-max") else part
                cells[name] = closing or (body[i] if i < len(body) else "")
            values = set(cells.values())
            span = values.pop() if len(values) == 1 and cells[names[0]] in ("maxpool", "soft-max") else None
            rows.append({"cells": cells, "span": span})
    return rows


@widget("vgg-configs", params={"columns": Choice("lecture", ("lecture", "all"))})
def build_vgg_configs(ctx: WidgetContext) -> dict:
    columns = ctx.value("columns")
    names = ("B", "C", "D") if columns == "lecture" else tuple(VGG_CONFIGURATIONS)
    configs = vgg_configurations(names)
    rows = _aligned_configurations(names)
    reference = "D"
    for row in rows:
        cells = row["cells"]
        row["marks"] = {n: bool(cells[n]) and cells[n] != cells.get(reference, cells[n]) for n in names}
    _, input_shape, *_ = NETWORKS["vgg16"]
    return {
        "columns": columns, "names": names, "rows": rows, "reference": reference,
        "layers": {n: configs[n]["weight_layers"] for n in names},
        "params": {n: _millions(configs[n]["params"], ctx.lang) for n in names},
        "params_exact": {n: grouped(configs[n]["params"], ctx.lang) for n in names},
        "input": f"{input_shape[1]}×{input_shape[2]}",
    }


@widget("vgg-stack", params={"layers": Int(3, 1, MAX_STACK_SHOWN), "channels": Int(256, 1, activations.MAX_CHANNELS)})
def build_vgg_stack(ctx: WidgetContext) -> dict:
    layers, channels = ctx.values("layers", "channels")
    comparison = activations.stack_comparison(layers, channels)
    field = comparison["receptive_field"]
    lang = ctx.lang
    return {
        "layers": layers, "channels": channels, "field": field, "rings": receptive_field.receptive_field_rings(layers),
        "stack_weights": grouped(comparison["stack_weights"], lang),
        "single_weights": grouped(comparison["single_weights"], lang),
        "stack_formula": comparison["stack_formula"], "single_formula": comparison["single_formula"],
        "ratio": decimal(comparison["ratio"], lang, 2), "saving": percent(comparison["saving"] / 1, lang, 0),
        "relus_stack": comparison["relus_stack"], "relus_single": comparison["relus_single"],
    }


# ResNet lesson

@widget("resnet-depth", params={"scale": Choice("log", ("linear", "log"))}, charts=True)
def build_resnet_depth(ctx: WidgetContext) -> dict:
    scale = ctx.value("scale")
    lang = ctx.lang
    entries = history.entries()
    words = [translate(lang, key) for key in ("resnet_depth_error_axis", "resnet_depth_layers", "resnet_depth_no_cnn",
                                              "resnet_depth_layers", "resnet_depth_error_trace", "resnet_depth_layers_trace")]
    labels = [f"{e['year']}<br>{e['name']}<br>{e['layers']} {words[1]}" if e["layers"] else
              f"{e['year']}<br>{e['name']}<br>{words[2]}" for e in entries]

    def draw() -> go.Figure:
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        figure.add_trace(go.Bar(
            x=labels, y=[e["top5_error"] for e in entries], name=words[4], marker_color=PALETTE[0],
            text=[f"{decimal(e['top5_error'], lang, 2 if e['top5_error'] < 4 else 1)}%" for e in entries],
            textposition="outside", cliponaxis=False, hovertemplate="%{x}: %{y}%<extra></extra>",
        ), secondary_y=False)
        figure.add_trace(go.Scatter(
            x=labels, y=[e["layers"] for e in entries], name=words[5], mode="lines+markers",
            marker={"symbol": "diamond", "size": 12, "color": PALETTE[3]}, line={"dash": "dash", "color": PALETTE[3]},
            hovertemplate="%{x}: %{y} " + words[1] + "<extra></extra>",
        ), secondary_y=True)
        figure.update_yaxes(title_text=words[0], secondary_y=False, rangemode="tozero")
        if scale == "log":
            ticks = [5, 10, 20, 50, 100, 200]
            figure.update_yaxes(title_text=words[3], secondary_y=True, type="log", showgrid=False, tickvals=ticks,
                                ticktext=[str(t) for t in ticks], range=[math.log10(4), math.log10(250)])
        else:
            figure.update_yaxes(title_text=words[3], secondary_y=True, showgrid=False, rangemode="tozero")
        add_human_reference(figure, lang)
        figure.update_layout(legend={"orientation": "h", "y": 1.12, "x": 0}, margin={"t": 40, "r": 60, "b": 80})
        return figure

    figure = cached_figure(("resnet-depth", scale, lang), draw)
    summary = history.depth_summary()
    quote = history.lecture_quote_comparison()
    return {
        "figure": figure, "scale": scale,
        "entries": [{**e, "error": decimal(e["top5_error"], lang, 2 if e["top5_error"] < 4 else 1),
                     "depth": e["layers"] if e["layers"] else words[2]} for e in entries],
        "summary": {**summary, "depth_factor": decimal(summary["depth_factor"], lang, 0),
                    "error_factor": decimal(summary["error_factor"], lang, 1),
                    "first_error": decimal(summary["first_error"], lang, 1),
                    "last_error": decimal(summary["last_error"], lang, 2),
                    "shallow_best_error": decimal(summary["shallow_best_error"], lang, 1),
                    "first_cnn_drop_points": decimal(summary["first_cnn_drop_points"], lang, 1)},
        "quote": {key: decimal(value, lang, 3 if key.startswith(("alexnet_", "best_")) else (2 if key == "slide_resnet" else 1))
                  if isinstance(value, float) else value for key, value in quote.items()},
        "slide_source": history.DEPTH_SLIDE,
        "human": human_reference(lang),
    }


def _range(low: float, high: float, lang: str) -> str:
    return f"{decimal(low, lang, 3)} … {decimal(high, lang, 3)}"


@widget("resnet-block", params={"sample": SAMPLE, "channel": Int(None, 1, None)}, deferred=True)  # channel from 1
def build_resnet_block(ctx: WidgetContext) -> dict:
    sample = ctx.value("sample")
    weights = ctx.weights("resnet18")
    weights_dir = Path(ctx.weights_dir)
    demo = ctx.compute(lambda device: activations.residual_demo(sample, weights_dir, device),
                       key=("resnet-block", sample, weights["stamp"]))
    channels = demo["x"].shape[0]
    default = int(np.argmax(demo["x"].mean(axis=(1, 2))))  # the most active channel of x
    channel = ctx.value("channel", default=default + 1, high=channels)  # counted from 1, as the page counts
    lang = ctx.lang

    def plane(key):
        return demo[key][channel - 1]

    x, fx, total, out = plane("x"), plane("fx"), plane("sum"), plane("out")
    # x and ReLU(F(x) + x) share one scale (0 black, the larger maximum white), so they compare fairly;
    # F(x) is signed: 0 is mid-gray.
    top = float(max(x.max(), out.max()))
    fx_pixels, reach = activation_maps.signed_pixels(fx)
    shape = times(demo["x"].shape)
    return {
        "sample": sample, "samples": _sample_options(lang), "channel": channel, "channels": channels,
        "trained": demo["trained"], "block": demo["block"], "shape": shape,
        "out_shape": times(demo["out"].shape), "fx_shape": times(demo["fx"].shape),
        "x_url": data_url(activation_maps.plane_pixels(x, 0, top)),
        "fx_url": data_url(fx_pixels),
        "out_url": data_url(activation_maps.plane_pixels(out, 0, top)),
        "side": list(x.shape),
        "x_range": _range(float(x.min()), float(x.max()), lang),
        "fx_range": _range(float(fx.min()), float(fx.max()), lang),
        "sum_range": _range(float(total.min()), float(total.max()), lang),
        "out_range": _range(float(out.min()), float(out.max()), lang),
        "scale_top": decimal(top, lang, 3), "fx_reach": decimal(reach, lang, 3),
        "changed": percent(float((np.abs(out - x) > 1e-6).mean()) / 1, lang, 0),
        "fx_size": decimal(float(np.abs(fx).mean()), lang, 3), "x_size": decimal(float(np.abs(x).mean()), lang, 3),
        "handmade": ", ".join(kernels.PRESETS[k].names[lang] for k in activations.HANDMADE_KERNELS), "seed": activations.HANDMADE_SEED,
        "credit": samples.SAMPLES[sample].credit,
    }


@widget("resnet-table", params={"compare": Choice("vgg16", ("none", "vgg16"))})
def build_resnet_table(ctx: WidgetContext) -> dict:
    compare = ctx.value("compare")
    lang = ctx.lang
    table = architecture_table("resnet18")
    rows = [{
        "name": r["name"], "kind": r["kind"], "detail": layer_detail(lang, r["parts"]), "shape": times(_hwc(r["output_shape"])),
        "values": grouped(r["activations"], lang), "params": grouped(r["params"], lang), "macs": grouped(r["macs"], lang),
    } for r in table["layers"]]
    totals = table["totals"]
    result = {
        "compare": compare, "rows": rows, "weight_layers": activations.weight_layers("resnet18"), "vgg": None,
        "totals": {"activations": grouped(totals["activations"], lang), "bytes": _mib(totals["activation_bytes"], lang),
                   "params": grouped(totals["params"], lang), "macs": grouped(totals["macs"], lang),
                   "gmacs": decimal(totals["macs"] / 1e9, lang, 2)},
    }
    if compare == "vgg16":
        vgg = architecture_table("vgg16")["totals"]
        result["vgg"] = {
            "params": grouped(vgg["params"], lang), "bytes": _mib(vgg["activation_bytes"], lang),
            "gmacs": decimal(vgg["macs"] / 1e9, lang, 2),
            "params_ratio": decimal(vgg["params"] / totals["params"], lang, 1),
            "macs_ratio": decimal(vgg["macs"] / totals["macs"], lang, 1),
            "memory_ratio": decimal(vgg["activation_bytes"] / totals["activation_bytes"], lang, 1),
        }
    return result


@widget("resnet-classify", params={"sample": SAMPLE, "model": Choice("resnet18", IMAGENET_CLASSIFIERS)})
def build_resnet_classify(ctx: WidgetContext) -> dict:
    """The photo input posts to /api/models/{model}/predict (the server's queue); this only picks the network:
    ResNet-18 when its weights are installed, else EfficientNet-Lite0, whose weights come with the installation."""
    sample = ctx.value("sample")
    pick = pick_model(ctx)
    first = [(sample, samples.SAMPLES[sample].captions[ctx.lang])]
    return {"model": pick["model"], "title": pick["title"], "models": pick["options"], "sample": sample,
            "missing": missing_note(pick),
            "photo_samples": first + [option for option in _sample_options(ctx.lang) if option[0] != sample]}
