"""Widgets and exercises of the `lenet` and `alexnet` lessons: architecture tables computed from the
models, a drawing canvas that runs the course's LeNet-5, and AlexNet's training details."""

import base64
import binascii

import numpy as np
import plotly.graph_objects as go

from app.compute.nets import alexnet, digits, lenet, registry

from app.compute.ops import arithmetic
from app.compute.nets.architectures import architecture_table
from app.compute.errors import InputError
from app.compute.images import decode_upload
from app.web.charts import figure_json
from app.web.pictures import data_url
from app.web.format import grouped, hwc, hwc_order, percent
from app.web.widgets.params import Choice, Int, Num, Text
from app.web.widgets.registry import WidgetContext, widget
from app.web.i18n import translate

LENET_LAYERS = tuple(lenet.layer_names())
KIND_LABELS = {"input": "INPUT", "conv": "CONV", "pool": "POOL", "norm": "NORM", "fc": "FC"}
# A drawing travels in the query string as a base64 PNG of the 56×56 canvas (about 1–2 KB).
MAX_DRAWING_CHARS = 48_000
MAX_DRAWING_BYTES = 36_000
MAX_DRAWING_PIXELS = 512 * 512
# Screen px per image px for the preprocessing steps: the canvas-sized steps at 2×, the MNIST-sized ones at 4×.
STEP_SCALES = {"grayscale": 2, "light_on_dark": 2, "cropped": 2, "scaled": 4, "centered": 4, "padded": 4}


def _arithmetic_rows(table: dict, lang: str) -> list[dict]:
    """Each row of an architecture table with its size and parameter formulas written out."""
    rows = []
    previous = None
    for row in table["layers"]:
        item = {**row, "shape": hwc_order(row["output_shape"]), "label": KIND_LABELS[row["kind"]],
                "size_formula": "", "params_formula": ""}
        if row["kind"] in ("conv", "pool") and previous is not None:
            module = row["module"]
            result = arithmetic.conv_arithmetic(
                previous["output_shape"][-1], module["kernel"], module["stride"], module["padding"],
                in_channels=previous["output_shape"][0], filters=row["output_shape"][0])
            item["size_formula"] = result["formula"] if result["valid"] else (
                f"{result['formula']} → ⌊⌋ = {result['floor_output']}")
            if row["kind"] == "conv":
                k, d1, filters = module["kernel"], previous["output_shape"][0], row["output_shape"][0]
                item["params_formula"] = (f"({k}·{k}·{d1})·{filters} + {filters} = "
                                          f"{grouped(result['params'], lang)}")
        elif row["kind"] == "fc" and previous is not None:
            n_in, n_out = int(np.prod(previous["output_shape"])), row["output_shape"][0]
            item["size_formula"] = f"{n_in} → {n_out}"
            item["params_formula"] = f"{n_in}·{n_out} + {n_out} = {grouped(row['params'], lang)}"
        rows.append(item)
        previous = row
    return rows


def _lenet_modules() -> dict:
    model = lenet.LeNet5()
    settings = {}
    for name, module in model.named_children():
        if hasattr(module, "kernel_size"):
            kernel = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
            stride = module.stride if isinstance(module.stride, int) else module.stride[0]
            padding = module.padding if isinstance(module.padding, int) else module.padding[0]
            settings[name] = {"kernel": kernel, "stride": stride, "padding": padding}
    return settings


def lenet_table(lang: str) -> dict:
    """LeNet-5's computed table with each row's arithmetic, and the lecture's pattern beside the computed one."""
    table = architecture_table("lenet5")
    modules = _lenet_modules()
    for row in table["layers"]:
        row["module"] = modules.get(row["name"])
    return {"rows": _arithmetic_rows(table, lang), "totals": table["totals"], "title": table["title"][lang],
            "check": digits.lenet_vs_lecture()}


@widget("lenet-architecture")
def build_lenet_architecture(ctx: WidgetContext) -> dict:
    data = lenet_table(ctx.lang)
    data["params_total"] = grouped(data["totals"]["params"], ctx.lang)
    data["macs_total"] = grouped(data["totals"]["macs"], ctx.lang)
    for row in data["rows"]:
        row["params_text"] = grouped(row["params"], ctx.lang)
        row["macs_text"] = grouped(row["macs"], ctx.lang)
    return data


@widget("lenet-training")
def build_lenet_training(ctx: WidgetContext) -> dict:
    report = digits.training_report()
    return {
        "report": report, "accuracy_percent": f"{100 * report['held_out_accuracy']:.1f}",
        "paper": {key: grouped(value, ctx.lang) for key, value in digits.PAPER_LENET.items()},
        "total": grouped(report["total_size"], ctx.lang), "train": grouped(report["train_size"], ctx.lang),
        "test": grouped(report["test_size"], ctx.lang),
        "c3": {key: grouped(value, ctx.lang) if isinstance(value, int) else value
               for key, value in lenet.c3_connections().items()},
    }


# The drawing canvas -----------------------------------------------------------------------------

def _decode_drawing(raw: str):
    text = raw.strip()
    if text.startswith("data:"):
        text = text.partition(",")[2]
    if len(text) > MAX_DRAWING_CHARS:
        raise InputError(
            en=f"The drawing is too large ({len(text)} characters; at most {MAX_DRAWING_CHARS}).",
            ru=f"Рисунок слишком большой ({len(text)} символов, а можно не больше {MAX_DRAWING_CHARS}).",
            status=413,
        )
    try:
        data = base64.b64decode(text.replace("-", "+").replace("_", "/").replace(" ", "+") + "=" * (-len(text) % 4),
                                validate=True)
    except (binascii.Error, ValueError):
        raise InputError(
            en="The drawing must be a PNG image encoded in base64.",
            ru="Рисунок должен быть изображением PNG в кодировке base64.",
        ) from None
    image = decode_upload(data, max_bytes=MAX_DRAWING_BYTES, max_pixels=MAX_DRAWING_PIXELS)
    return digits.shrink_for_digit(image)


def _picture(array: np.ndarray) -> dict:
    return {"url": data_url(array), "rows": int(array.shape[0]), "cols": int(array.shape[1])}


def _steps(steps: dict, lang: str) -> list[dict]:
    """The preprocessing steps as pictures with what each one did."""
    top, left, bottom, right = steps["bbox"]
    com = steps["center_of_mass"]
    items = []
    for number, name in enumerate(steps["step_names"], start=1):
        array = steps[name]
        rows, cols = array.shape
        values = {"rows": rows, "cols": cols, "box": lenet.DIGIT_BOX, "field": lenet.FIELD,
                  "side": lenet.LENET_SIDE, "margin": (lenet.LENET_SIDE - lenet.FIELD) // 2,
                  "top": top, "left": left, "bottom": bottom - 1, "right": right - 1,
                  "com_row": f"{com[0]:.1f}", "com_col": f"{com[1]:.1f}"}
        key = f"lenet_step_{name}" + ("_kept" if name == "light_on_dark" and not steps["inverted"] else "")
        scale = STEP_SCALES[name]
        items.append({"number": number, "name": name, "key": key, "fill": values, "scale": scale,
                      "url": data_url(digits.to_gray(array, 1.0)), "width": cols * scale, "height": rows * scale})
    return items


def _maps(result: dict) -> list[dict]:
    layers = []
    for item in digits.layer_pictures(result["activations"]):
        if item["name"] == "input":
            continue
        item["pictures"] = [_picture(image) for image in item.pop("images")]
        item["shape_text"] = hwc(item["shape"])
        layers.append(item)
    return layers


def _marker(i: int, j: int, rows: int, cols: int, size: int = 1) -> dict:
    """A box over an image in percent of its size: (i, j) top-left, `size` cells wide."""
    return {"left": 100 * j / cols, "top": 100 * i / rows, "width": 100 * size / cols, "height": 100 * size / rows}


def _detail(layer: str, channel: int | None, i: int | None, j: int | None, result: dict, model) -> dict:
    """filter_and_pixel for the chosen output value (the map's strongest pixel when none is chosen)."""
    acts = result["activations"][layer]
    if acts.ndim == 1 or acts.shape[1:] == (1, 1):
        flat = acts.reshape(-1)
        neuron = int(flat.argmax()) if channel is None else channel
        if neuron >= flat.size:
            raise _outside(layer, flat.size)
        chosen = (neuron, 0, 0)
    else:
        c = 0 if channel is None else channel
        if c >= acts.shape[0]:
            raise _outside(layer, acts.shape[0])
        if i is None or j is None:
            i, j = (int(v) for v in np.unravel_index(acts[c].argmax(), acts[c].shape))
        if i >= acts.shape[1] or j >= acts.shape[2]:
            raise InputError(
                en=f"Row and column of {layer} go from 0 to {acts.shape[1] - 1}.",
                ru=f"Строка и столбец слоя {layer} — от 0 до {acts.shape[1] - 1}.",
            )
        chosen = (c, i, j)
    detail = lenet.filter_and_pixel(layer, *chosen, result["activations"], model=model)
    detail["shape"] = list(acts.shape)
    return detail


def _outside(layer: str, count: int) -> InputError:
    return InputError(
        en=f"{layer} has {count} maps or neurons, numbered 0 to {count - 1}.",
        ru=f"В слое {layer} {count} карт или нейронов, их номера — от 0 до {count - 1}.",
    )


def _detail_view(detail: dict, result: dict) -> dict:
    """What the template shows for one value: numbers rounded, pictures, markers."""
    kind = detail["kind"]
    view = {"kind": kind, "layer": detail["layer"], "source": detail["source"], "channel": detail["channel"],
            "i": detail["i"], "j": detail["j"], "output": detail["output"], "relu": detail["relu"],
            "shape": detail["shape"], "pre_activation": detail["pre_activation"]}
    source = result["activations"][detail["source"]]
    if kind == "pool":
        window = detail["window"]
        view["window"] = window.round(3).tolist()
        view["argmax"] = detail["argmax"]
        view["source_picture"] = _picture(digits.to_gray(source[detail["channel"]], float(source.max())))
        size = window.shape[0]
        view["source_marker"] = _marker(detail["i"] * size, detail["j"] * size, *source.shape[1:], size)
        return view
    view.update(sum=detail["sum"], bias=detail["bias"])
    if kind == "conv":
        window, weights, products = detail["window"], detail["weights"], detail["products"]
        view["channels"] = []
        limit = float(np.abs(weights).max())
        high = float(source.max()) if source.max() > 0 else 1.0
        for c in range(window.shape[0]):
            view["channels"].append({
                "index": c, "partial": float(products[c].sum()),
                "window": _picture(digits.to_gray(window[c], high)),
                "weights": _picture(digits.to_signed_gray(weights[c], limit)),
            })
        if window.shape[0] == 1:  # one input channel (C1): every number fits on the screen
            view["window_numbers"] = window[0].round(3).tolist()
            view["weight_numbers"] = weights[0].round(3).tolist()
            view["product_numbers"] = products[0].round(3).tolist()
        if detail["layer"] == "c1":
            k = window.shape[1]
            view["source_picture"] = _picture(digits.to_gray(source[0], 1.0))
            view["source_marker"] = _marker(detail["i"], detail["j"], *source.shape[1:], k)
        return view
    contributions = digits.top_contributions(detail["products"])
    view["top"] = [{"index": index, "input": float(detail["window"][index]), "weight": float(detail["weights"][index]),
                    "product": product} for index, product in contributions["top"]]
    view["rest_sum"], view["rest_count"] = contributions["rest_sum"], contributions["rest_count"]
    view["inputs"] = int(detail["window"].size)
    return view


# A blank (None) sample digit or unit means none is picked; a unit's limits are the chosen layer's shape.
@widget("lenet-draw", params={
    "drawing": Text(""), "sample": Int("", 0, 9), "layer": Choice("c1", LENET_LAYERS),
    "channel": Int("", 1, None), "row": Int("", 1, None), "col": Int("", 1, None),  # counted from 1
})
def build_lenet_draw(ctx: WidgetContext) -> dict:
    layer = ctx.value("layer")
    drawing, sample = ctx.value("drawing").strip(), ctx.raw("sample").strip()
    base = {"layer": layer, "layers": LENET_LAYERS, "drawing": drawing, "sample": sample,
            "digits": list(range(10)), "canvas_side": digits.CANVAS_SIDE, "stroke": digits.STROKE_WIDTH,
            "channel": ctx.raw("channel"), "row": ctx.raw("row"), "col": ctx.raw("col")}
    if drawing:
        image = _decode_drawing(drawing)
        source = np.asarray(image.convert("L"))
        base["sample"] = ""
    elif sample:
        source = digits.sample_digit(ctx.value("sample"))
    else:
        return {**base, "empty": True}

    steps = lenet.preprocess_digit(source)

    def run(device: str):
        # Through the registry, so /healthz lists LeNet-5 among the loaded models (its file ships with the code).
        model = registry.load_model("lenet5", registry.LENET_WEIGHTS.parent, device)
        return model, lenet.predict(steps["padded"], model=model)

    model, result = ctx.compute(run)
    shapes = {entry["name"]: entry["shape"] for entry in result["layers"]}
    layer_shape = shapes[layer]
    maps_layer = len(layer_shape) == 3 and layer_shape[1:] != [1, 1]
    channel = ctx.value("channel", high=layer_shape[0])
    row = ctx.value("row", high=layer_shape[1]) if maps_layer else None
    col = ctx.value("col", high=layer_shape[2]) if maps_layer else None
    # The page counts maps, neurons, rows and columns from 1; the arrays' index is one less (None: none picked).
    channel, row, col = (None if v is None else v - 1 for v in (channel, row, col))
    detail = _detail(layer, channel, row, col, result, model)

    probabilities = result["probabilities"]
    trust = lenet.trust(steps, probabilities)
    trust_text = {"trusted": trust["trusted"], "reasons": trust["reasons"],
                  "side": percent(trust["ink_side"], ctx.lang, 0), "fill": percent(trust["fill"], ctx.lang, 0),
                  "confidence": percent(trust["confidence"], ctx.lang, 1),
                  "min_side": percent(lenet.MIN_INK_SIDE, ctx.lang, 0),
                  "min_confidence": percent(lenet.MIN_CONFIDENCE, ctx.lang, 0)}
    bars = [{"digit": d, "p": p, "percent": f"{100 * p:.1f}", "width": f"{100 * p:.2f}",
             "best": d == result["prediction"]} for d, p in enumerate(probabilities)]
    maps = _maps(result)
    chosen = next(m for m in maps if m["name"] == layer)
    if chosen["kind"] == "maps":
        picture = chosen["pictures"][detail["channel"]]
        marker = _marker(detail["i"], detail["j"], picture["rows"], picture["cols"])
    else:
        picture = chosen["pictures"][0]
        rows, cols = chosen["grid"]
        marker = _marker(detail["channel"] // cols, detail["channel"] % cols, rows, cols)
    return {
        **base, "empty": False, "canvas_url": data_url(source), "steps": _steps(steps, ctx.lang),
        "inverted": steps["inverted"], "prediction": result["prediction"],
        "confidence": f"{100 * probabilities[result['prediction']]:.1f}", "bars": bars, "trust": trust_text,
        "maps": maps, "chosen": chosen, "picture": picture, "marker": marker,
        "detail": _detail_view(detail, result), "channel": detail["channel"] + 1,  # the fields count from 1
        "row": detail["i"] + 1 if maps_layer else "", "col": detail["j"] + 1 if maps_layer else "",
        "maps_layer": maps_layer, "layer_shape": layer_shape,
    }


# AlexNet -----------------------------------------------------------------------------------------

@widget("alexnet-architecture")
def build_alexnet_architecture(ctx: WidgetContext) -> dict:
    data = alexnet.compare_with_lecture()
    for row in data["rows"]:
        row["params_text"] = grouped(row["params"], ctx.lang)
        row["macs_text"] = grouped(row["macs"], ctx.lang)
        row["share_text"] = f"{100 * row['params_share']:.1f}"
    totals = data["totals"]
    return {**data, "title": data["title"][ctx.lang], "source": data["source"][ctx.lang],
            "params_total": grouped(totals["params"], ctx.lang), "macs_total": grouped(totals["macs"], ctx.lang),
            "fc_share_text": f"{100 * data['fc_share']:.1f}", "conv_macs_share_text": f"{100 * data['conv_macs_share']:.1f}"}


@widget("alexnet-training")
def build_alexnet_training(ctx: WidgetContext) -> dict:
    return {"facts": alexnet.training_details(), "source": alexnet.LECTURE_SOURCE[ctx.lang], "paper": alexnet.PAPER}


@widget("alexnet-torchvision")
def build_alexnet_torchvision(ctx: WidgetContext) -> dict:
    data = alexnet.compare_with_torchvision()
    for row in data["rows"]:
        for side in ("original", "torchvision"):
            if row[side]:
                row[side]["params_text"] = grouped(row[side]["params"], ctx.lang)
                row[side]["macs_text"] = grouped(row[side]["macs"], ctx.lang)
        row["params_diff_text"] = _signed(row["params_diff"], ctx.lang)
        row["macs_diff_text"] = _signed(row["macs_diff"], ctx.lang)
    totals = {}
    for key, value in data["totals"].items():
        totals[key] = {"original": grouped(value["original"], ctx.lang), "torchvision": grouped(value["torchvision"], ctx.lang),
                       "diff": _signed(value["diff"], ctx.lang), "percent": f"{100 * (value['ratio'] - 1):+.1f}".replace("-", "−")}
    return {"rows": data["rows"], "totals": totals,
            "titles": {side: title[ctx.lang] for side, title in data["titles"].items()}}


def _signed(n: int, lang: str) -> str:
    if n == 0:
        return "0"
    return ("+" if n > 0 else "−") + grouped(abs(n), lang)


@widget("alexnet-conv1", params={"width": Int(224, 11, 512), "padding": Int(0, 0, 5)})
def build_alexnet_conv1(ctx: WidgetContext) -> dict:
    width, padding = ctx.values("width", "padding")
    result = alexnet.input_size_puzzle((width,), padding=padding)[0]
    lecture = alexnet.input_size_puzzle((227,), padding=0)[0]
    return {
        "width": width, "padding": padding, "result": result, "reason": result["reason"][ctx.lang],
        "lecture": lecture, "kernel": result["kernel"], "stride": result["stride"],
        "valid_widths": alexnet.valid_widths(max(11, width - 8), width + 8, padding=padding),
        "torchvision": alexnet.input_size_puzzle((224,), padding=2)[0],
        "unread": alexnet.unread_columns(width, padding=padding),
    }


@widget("alexnet-relu", params={"x": Num(2, -4, 4)}, charts=True)
def build_alexnet_relu(ctx: WidgetContext) -> dict:
    x = ctx.value("x")
    curves = alexnet.activation_curves(-4.0, 4.0, 161)
    point = alexnet.activations_at(x)
    names = ("ReLU", "tanh", translate(ctx.lang, "alexnet_relu_slope"), translate(ctx.lang, "alexnet_tanh_slope"))
    figure = go.Figure()
    for key, name, dash, color in (("relu", names[0], "solid", "#0072B2"), ("tanh", names[1], "dash", "#E69F00"),
                                   ("relu_slope", names[2], "dot", "#009E73"), ("tanh_slope", names[3], "dashdot", "#D55E00")):
        figure.add_trace(go.Scatter(x=curves["x"], y=curves[key], name=name, mode="lines",
                                    line={"dash": dash, "color": color, "width": 3}))
    figure.add_trace(go.Scatter(x=[x, x], y=[point["relu"], point["tanh"]], mode="markers", name=f"x = {x:g}",
                                marker={"size": 12, "symbol": ["circle", "square"], "color": ["#0072B2", "#E69F00"]},
                                showlegend=False))
    figure.update_layout(xaxis_title="x", yaxis={"range": [-1.2, 4.1]}, legend={"orientation": "h", "y": -0.2},
                         margin={"t": 20})
    return {"x": x, "point": point, "figure": figure_json(figure)}


@widget("alexnet-dropout", params={"p": Num(0.5, 0, 0.9), "seed": Int(1, 0, 10**6), "vector": Int(7, 0, 10**6)})
def build_alexnet_dropout(ctx: WidgetContext) -> dict:
    p, seed, vector_seed = ctx.values("p", "seed", "vector")
    values = alexnet.dropout_vector(vector_seed)
    demo = alexnet.dropout_demo(values, p, seed)
    columns = [{"x": x, "keep": k, "train_pytorch": tp, "test_pytorch": te, "train_paper": pa, "test_paper": tpa, "mean": m}
               for x, k, tp, te, pa, tpa, m in zip(demo["x"], demo["keep"], demo["train_pytorch"], demo["test_pytorch"],
                                                   demo["train_paper"], demo["test_paper"], demo["mean_over_masks"])]
    return {"p": p, "seed": seed, "next_seed": (seed + 1) % (10**6 + 1), "vector": vector_seed, "demo": demo,
            "columns": columns,
            "scale": 1 / (1 - p), "keep_p": 1 - p}
