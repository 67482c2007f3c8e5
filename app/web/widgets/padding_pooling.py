"""Widgets and exercises of the `padding-stride` and `pooling` lessons: the output-size explorer with its
window strip, the lecture's common settings, shrinking through layers, animated max/average pooling,
pooling a real activation map, and shapes through a small CONV-POOL network."""

import random

import numpy as np
from markupsafe import Markup, escape

from app.compute import samples
from app.compute.ops import arithmetic, kernels, layer_shapes, pool, pooled_maps
from app.compute.errors import InputError
from app.web.pictures import data_url
from app.web.widgets.params import Choice, Int, Matrix, Num
from app.web.widgets.registry import Question, WidgetContext, exercise, widget

STRIP_MAX_CELLS = 40  # W + 2P drawn cell by cell; longer strips only get the numbers
MAX_GRID = 9
PHOTO_SIDE = 256
PHOTO_PRESETS = ("sobel_x", "sobel_y", "edge", "laplacian")


def _grid_text(grid) -> str:
    return "; ".join(" ".join(f"{v:g}" for v in row) for row in grid)


def _rows_literal(grid) -> str:
    """[[1., 2.], [3., 4.]] as Python source, every value a float."""
    return ", ".join("[" + ", ".join(f"{float(v):g}." if float(v).is_integer() else f"{v:g}" for v in row) + "]"
                     for row in grid)


def _percent(value, whole) -> float:
    return round(100.0 * value / whole, 1) if value else 0.0


# Lesson 5: padding and stride.

@widget("shrink-layers", params={"width": Int(32, 1, 512), "kernel": Int(3, 1, 11), "layers": Int(6, 1, 16)})
def build_shrink_layers(ctx: WidgetContext) -> dict:
    width, kernel, layers = ctx.values("width", "kernel", "layers")
    rows = layer_shapes.shrink_table(width, kernel, layers)
    for row in rows:
        row["unpadded_percent"] = _percent(row["unpadded"], width)
        row["same_percent"] = _percent(row["same"], width)
    return {"width": width, "kernel": kernel, "layers": layers, "rows": rows,
            "same_padding": arithmetic.same_padding(kernel)}


def _torch_code(result: dict) -> str:
    w, f, s, p, d = (result[k] for k in ("width", "kernel", "stride", "padding", "dilation"))
    d1, k = result["in_channels"], result["filters"]
    shape = (f"torch.Size([1, {k}, {result['floor_output']}, {result['floor_output']}])"
             if result["floor_output"] is not None else "RuntimeError: the kernel is larger than the padded input")
    return (
        "import torch\nfrom torch import nn\n\n"
        f"conv = nn.Conv2d({d1}, {k}, kernel_size={f}, stride={s}, padding={p}, dilation={d})\n"
        f"y = conv(torch.zeros(1, {d1}, {w}, {w}))  # (N, D1, H1, W1)\n"
        f"print(y.shape)  # {shape}\n"
        f"print(sum(p.numel() for p in conv.parameters()))  # {result['params']}"
    )


@widget("size-explorer", params={
    "width": Int(7, 1, 512), "kernel": Int(3, 1, 15), "stride": Int(1, 1, 8), "padding": Int(0, 0, 8),
    "dilation": Int(1, 1, 4), "in_channels": Int(3, 1, 4096), "filters": Int(1, 1, 4096),
})
def build_size_explorer(ctx: WidgetContext) -> dict:
    width, kernel, stride, padding, dilation = ctx.values("width", "kernel", "stride", "padding", "dilation")
    in_channels, filters = ctx.values("in_channels", "filters")
    result = arithmetic.conv_arithmetic(width, kernel, stride, padding, dilation, in_channels, filters)
    strip = None
    if width + 2 * padding <= STRIP_MAX_CELLS:
        strip = layer_shapes.window_strip(width, kernel, stride, padding, dilation)
    return {
        "result": result, "reason": result["reason"][ctx.lang], "strip": strip, "strip_max": STRIP_MAX_CELLS,
        "same_padding": arithmetic.same_padding(kernel, dilation), "code": _torch_code(result),
    }


@widget("conv-settings", params={
    "width": Int(32, 1, 4096), "in_channels": Int(3, 1, 4096), "filters": Int(64, 1, 4096),
    "table": Choice("common", ("common", "same")),
})
def build_conv_settings(ctx: WidgetContext) -> dict:
    width, in_channels, filters, table = ctx.values("width", "in_channels", "filters", "table")
    settings = layer_shapes.conv_settings(width, in_channels, filters)
    settings["sources"] = {key: source[ctx.lang] for key, source in settings["sources"].items()}
    return {"settings": settings, "table": table, "filter_counts": layer_shapes.COMMON_FILTERS_LECTURE}


# Lesson 6: pooling.

@widget("pool-steps", params={
    "input": Matrix("1 1 2 4; 5 6 7 8; 3 2 1 0; 1 2 3 4", MAX_GRID), "mode": Choice("max", pool.MODES),
    "size": Int(2, 1, 4), "stride": Int(None, 1, 4),  # stride: the window's size unless set
    "padding": Int(0, 0, 2), "speed": Num(1, 0.25, 4),
})
def build_pool_steps(ctx: WidgetContext) -> dict:
    grid, mode, size = ctx.values("input", "mode", "size")
    stride = ctx.value("stride", default=size)
    padding, speed = ctx.values("padding", "speed")
    trace = pool.pool2d_trace(grid, mode, size, stride, padding)
    height, width = trace["shape"]["input"]
    coverage = layer_shapes.pool_coverage(height, width, size, stride, padding, MAX_GRID)
    call = "max_pool2d" if mode == "max" else "avg_pool2d"
    out_h, out_w = trace["shape"]["output"]
    return {
        "trace": trace, "mode": mode, "size": size, "stride": stride, "padding": padding, "speed": speed,
        "input_text": _grid_text(grid), "coverage": coverage, "max_coverage": max(max(row) for row in coverage),
        "params": layer_shapes.pool_parameters(mode, size, stride),
        "code": (
            "import torch\nimport torch.nn.functional as F\n\n"
            f"x = torch.tensor([[{_rows_literal(grid)}]])  # (N=1, C=1, H={height}, W={width})\n"
            f"y = F.{call}(x, kernel_size={size}, stride={stride}, padding={padding})  # (1, 1, {out_h}, {out_w})\n"
            "print(y[0, 0])"
        ),
    }


@widget("pool-photo", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "preset": Choice("sobel_x", PHOTO_PRESETS),
    "activation": Choice("relu", pooled_maps.ACTIVATIONS), "size": Int(2, 1, 4), "stride": Int(2, 1, 4),
    "times": Int(1, 1, 3),
})
def build_pool_photo(ctx: WidgetContext) -> dict:
    sample, preset, activation, size, stride = ctx.values("sample", "preset", "activation", "size", "stride")
    times = ctx.value("times")
    image = samples.load_sample_gray(sample, PHOTO_SIDE)
    result = pooled_maps.pooled_activation(image, preset, activation, size, stride, times, device=ctx.device)
    signed = activation == "none"

    def url(values):
        return data_url(pooled_maps.to_pixels(values, result["white"], signed))

    shapes = [[w, h] for h, w in result["shapes"]]  # width × height, as the lecture writes volumes
    final = shapes[-1]
    return {
        "sample": sample, "preset": preset, "activation": activation, "size": size, "stride": stride,
        "times": times, "signed": signed,
        "samples": [(key, s.captions[ctx.lang]) for key, s in samples.SAMPLES.items()],
        "presets": [(key, kernels.PRESETS[key].names[ctx.lang]) for key in PHOTO_PRESETS],
        "photo_url": data_url((image * 255).round().astype(np.uint8), "JPEG"), "map_url": url(result["activation"]),
        "max_url": url(result["max"][-1]), "avg_url": url(result["avg"][-1]),
        "shapes": shapes, "final": final, "display_width": shapes[0][0], "display_height": shapes[0][1],
        "white": round(result["white"], 3), "clipped_percent": round(100 - pooled_maps.WHITE_PERCENTILE, 1),
        "kept": _percent(final[0] * final[1], shapes[0][0] * shapes[0][1]),
        "ranges": {
            "map": [round(float(result["activation"].min()), 3), round(float(result["activation"].max()), 3)],
            "max": [round(float(result["max"][-1].min()), 3), round(float(result["max"][-1].max()), 3)],
            "avg": [round(float(result["avg"][-1].min()), 3), round(float(result["avg"][-1].max()), 3)],
        },
        "credit": samples.SAMPLES[sample].credit,
    }


@widget("pool-stack", params={
    "preset": Choice("small", ("small", "alexnet")), "side": Int(32, 1, 1024), "channels": Int(3, 1, 512),
    "kernel": Int(5, 1, 11), "padding": Choice("same", ("same", "none")), "filters1": Int(6, 1, 1024),
    "filters2": Int(16, 1, 1024), "pool": Choice("2", ("2", "3")), "mode": Choice("max", pool.MODES),
})
def build_pool_stack(ctx: WidgetContext) -> dict:
    preset, side, channels, kernel, padding = ctx.values("preset", "side", "channels", "kernel", "padding")
    filters1, filters2, pool_choice, mode = ctx.values("filters1", "filters2", "pool", "mode")
    if preset == "small" and padding == "same" and arithmetic.same_padding(kernel) is None:
        raise InputError(
            en=f"A {kernel}×{kernel} filter has no “same” padding: (F − 1)/2 = ({kernel} − 1)/2 is not a whole number. "
            "Choose an odd F or no padding.",
            ru=f"У фильтра {kernel}×{kernel} нет заполнения «same»: (F − 1)/2 = ({kernel} − 1)/2 — не целое число. "
            "Возьмите нечётное F или уберите заполнение.",
        )
    if preset == "alexnet":
        table = layer_shapes.stack_shapes(layer_shapes.ALEXNET_INPUT, layer_shapes.ALEXNET_LAYERS)
        lecture = {name: list(shape) for name, shape in layer_shapes.ALEXNET_LECTURE_SHAPES.items()}
    else:
        size, stride = (2, 2) if pool_choice == "2" else (3, 2)
        layers = layer_shapes.small_stack(kernel, padding == "same", filters1, filters2, size, stride, mode)
        table = layer_shapes.stack_shapes((channels, side, side), layers)
        lecture = {}
    for row in table["rows"]:
        row["lecture"] = lecture.get(row["name"])
        c, h, w = row["output"]
        row["matches"] = row["lecture"] == [w, h, c] if row["lecture"] else None
    return {
        "preset": preset, "side": side, "channels": channels, "kernel": kernel, "padding": padding,
        "filters1": filters1, "filters2": filters2, "pool": pool_choice, "mode": mode, "table": table,
        "same_padding": arithmetic.same_padding(kernel), "source": layer_shapes.ALEXNET_SOURCE,
    }


# Exercises. Numbers come from the seeded `rng`; answers and worked solutions from app.compute.


def _pick(lang: str, en: str, ru: str) -> str:
    return en if lang == "en" else ru


@exercise("ps-output-size")
def ps_output_size(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        width = rng.choice([5, 6, 7, 8, 9, 10, 11, 13, 15, 28, 32, 64, 227])
        kernel = rng.choice([1, 3, 5, 7, 11])
        stride, padding = rng.choice([1, 1, 2, 2, 3, 4]), rng.choice([0, 0, 1, 2, 3])
        result = arithmetic.conv_arithmetic(width, kernel, stride, padding)
        if result["valid"] and result["output_size"] > 1:
            break
    text = _pick(
        lang,
        f"A conv layer gets a {width}×{width} input. Its filters are {kernel}×{kernel}, the stride is {stride} and the "
        f"zero padding is {padding}. What is the output width W2?",
        f"На вход свёрточного слоя подаётся изображение {width}×{width}. Фильтры {kernel}×{kernel}, шаг {stride}, "
        f"дополнение нулями {padding}. Какова ширина выхода W2?",
    )
    hint = _pick(lang, "W2 = (W1 − F + 2P)/S + 1.", "W2 = (W1 − F + 2P)/S + 1.")
    return Question(prompt=text, answer=result["output_size"], kind="integer", tolerance=0, hint=hint,
                    solution=Markup(f"<p><code>W2 = {escape(result['formula'])}</code></p>"))


VALIDITY = ("valid", "fraction", "too_big")


@exercise("ps-valid-setting")
def ps_valid_setting(rng: random.Random, lang: str, params: dict) -> Question:
    target = rng.choice(VALIDITY)
    while True:
        width = rng.randint(2, 16)
        kernel = rng.choice([1, 2, 3, 4, 5, 7])
        stride, padding = rng.randint(1, 4), rng.randint(0, 2)
        result = arithmetic.conv_arithmetic(width, kernel, stride, padding)
        kind = "valid" if result["valid"] else ("too_big" if result["floor_output"] is None else "fraction")
        if kind == target:
            break
    labels = {
        "valid": _pick(lang, "Valid: the output size is a whole number", "Допустимо: размер выхода — целое число"),
        "fraction": _pick(lang, "Not valid: (W − F + 2P)/S + 1 is not a whole number",
                          "Недопустимо: (W − F + 2P)/S + 1 — не целое число"),
        "too_big": _pick(lang, "Not valid: the filter is larger than the padded input",
                         "Недопустимо: фильтр больше входа с заполнением"),
    }
    keys = "abc"
    choices = tuple((keys[n], labels[kind_]) for n, kind_ in enumerate(VALIDITY))
    text = _pick(lang, f"W = {width}, F = {kernel}, S = {stride}, P = {padding}. Is this setting valid?",
                 f"W = {width}, F = {kernel}, S = {stride}, P = {padding}. Допустима ли такая настройка?")
    hint = _pick(lang, "Substitute into (W − F + 2P)/S + 1: is it a whole number of at least 1?",
                 "Подставьте числа в (W − F + 2P)/S + 1: получается ли целое число, не меньшее 1?")
    solution = f"{result['formula']}. {result['reason'][lang]}".strip()
    return Question(prompt=text, answer=keys[VALIDITY.index(target)], kind="choice", choices=choices,
                    hint=hint, solution=solution)


@exercise("ps-padding-fits")
def ps_padding_fits(rng: random.Random, lang: str, params: dict) -> Question:
    stride = 3
    while True:
        width, kernel = rng.randint(6, 40), rng.choice([3, 5, 7])
        fits = arithmetic.paddings_that_fit(width, kernel, stride, 2)
        if width >= kernel and len(fits) == 1:
            break
    text = _pick(
        lang,
        f"W = {width}, F = {kernel}, S = {stride}. Which zero padding P, from 0, 1 or 2, makes the setting valid?",
        f"W = {width}, F = {kernel}, S = {stride}. При каком дополнении P из 0, 1 и 2 настройка допустима?",
    )
    hint = _pick(lang, f"W − F + 2P must be divisible by {stride}. Try each P.",
                 f"W − F + 2P должно делиться на {stride}. Проверьте каждое P.")
    lines = [arithmetic.conv_arithmetic(width, kernel, stride, p)["formula"] for p in range(3)]
    solution = Markup("<ul>" + "".join(f"<li><code>P = {p}: {escape(line)}</code></li>" for p, line in enumerate(lines))
                      + "</ul>")
    return Question(prompt=text, answer=fits[0], kind="integer", tolerance=0, hint=hint, solution=solution)


@exercise("ps-layer-params")
def ps_layer_params(rng: random.Random, lang: str, params: dict) -> Question:
    width = rng.choice([32, 64, 128, 224, 227])
    depth = rng.choice([1, 3, 16, 32, 64, 96])
    kernel = rng.choice([1, 3, 5, 7, 11])
    filters = rng.choice([6, 16, 32, 64, 128, 256])
    result = arithmetic.conv_arithmetic(width, kernel, 1, 0, 1, depth, filters)
    text = _pick(
        lang,
        f"A conv layer takes a {width}×{width}×{depth} volume and has {filters} filters of size {kernel}×{kernel} "
        f"(stride 1). How many trainable parameters does it have, weights and biases together?",
        f"Свёрточный слой получает объём {width}×{width}×{depth} и содержит {filters} фильтров {kernel}×{kernel} "
        f"(шаг 1). Сколько у него обучаемых параметров, веса и смещения вместе?",
    )
    hint = _pick(lang,
                 "Each filter has F·F·D1 weights and one bias; there are K filters. The input width does not matter.",
                 "У каждого фильтра F·F·D1 весов и одно смещение, фильтров K. Ширина входа роли не играет.")
    solution = (f"({kernel}·{kernel}·{depth})·{filters} + {filters} = {result['weights']} + {result['biases']} "
                f"= {result['params']}")
    return Question(prompt=text, answer=result["params"], kind="integer", tolerance=0, hint=hint,
                    solution=Markup(f"<p><code>{escape(solution)}</code></p>"))


def _grid_html(grid) -> Markup:
    rows = "".join("<tr>" + "".join(f"<td>{escape(f'{v:g}')}</td>" for v in row) + "</tr>" for row in grid)
    return Markup(f'<table class="num-grid">{rows}</table>')


def _pool_cell_question(rng: random.Random, lang: str, mode: str) -> Question:
    side, size, stride = rng.choice([(4, 2, 2), (6, 2, 2)] if mode == "avg" else [(4, 2, 2), (6, 2, 2), (5, 3, 2),
                                                                                  (7, 3, 2)])
    grid = [[rng.randint(0, 9) for _ in range(side)] for _ in range(side)]
    trace = pool.pool2d_trace(grid, mode, size, stride)
    out_h, out_w = trace["shape"]["output"]
    i, j = rng.randrange(out_h), rng.randrange(out_w)
    step = trace["steps"][i * out_w + j]
    values = [c["value"] for c in step["cells"]]
    name = _pick(lang, "max" if mode == "max" else "average", "максимальный" if mode == "max" else "средний")
    text = _pick(
        lang,
        f"{name.capitalize()} pooling with a {size}×{size} window at stride {stride}. "
        f"What is the output in row {i + 1}, column {j + 1} (counting from 1)?",
        f"{name.capitalize()} пулинг, окно {size}×{size}, шаг {stride}. Чему равен выход в строке {i + 1}, "
        f"столбце {j + 1} (считая с 1)?",
    )
    prompt, figure = text, Markup(f'<div class="pp-exercise-grid">{_grid_html(grid)}</div>')
    top, left = i * stride + 1, j * stride + 1
    hint = _pick(lang, f"The window starts at row {top}, column {left} of the input and is {size}×{size}.",
                 f"Окно начинается в строке {top}, столбце {left} входа и имеет размер {size}×{size}.")
    listed = ", ".join(f"{v:g}" for v in values)
    if mode == "max":
        row, col = step["argmax"]
        solution = _pick(lang, f"max({listed}) = {step['result']:g}, at input row {row + 1}, column {col + 1}.",
                         f"max({listed}) = {step['result']:g}, в строке {row + 1}, столбце {col + 1} входа.")
    else:
        solution = f"({' + '.join(f'{v:g}' for v in values)}) / {step['divisor']} = {step['result']:g}"
    return Question(prompt=prompt, figure=figure, answer=step["result"], kind="number", hint=hint, solution=solution)


@exercise("pooling-max-cell")
def pooling_max_cell(rng: random.Random, lang: str, params: dict) -> Question:
    return _pool_cell_question(rng, lang, "max")


@exercise("pooling-avg-cell")
def pooling_avg_cell(rng: random.Random, lang: str, params: dict) -> Question:
    return _pool_cell_question(rng, lang, "avg")


@exercise("pooling-output-shape")
def pooling_output_shape(rng: random.Random, lang: str, params: dict) -> Question:
    side, depth = rng.choice([(224, 64), (55, 96), (27, 256), (13, 256), (28, 6), (32, 16), (112, 128), (56, 256),
                              (14, 512), (10, 16), (24, 32)])
    size, stride = rng.choice([(2, 2), (3, 2), (2, 1), (3, 3)])
    table = layer_shapes.stack_shapes((depth, side, side), [layer_shapes.StackLayer("pool", size, stride)])
    c, h, w = table["rows"][0]["output"]
    text = _pick(
        lang,
        f"A {side}×{side}×{depth} volume (width × height × depth) goes through max pooling with {size}×{size} windows "
        f"at stride {stride}, no padding. What is the output volume? Answer as width × height × depth.",
        f"Объём {side}×{side}×{depth} (ширина × высота × глубина) проходит через максимальный пулинг с окном "
        f"{size}×{size} и шагом {stride}, без дополнения. Каков объём на выходе? Ответ: ширина × высота × глубина.",
    )
    hint = _pick(lang, "Width and height: ⌊(W − F)/S⌋ + 1. Pooling acts on each depth slice on its own.",
                 "Ширина и высота: ⌊(W − F)/S⌋ + 1. Пулинг обрабатывает каждый срез по глубине отдельно.")
    formula = arithmetic.conv_arithmetic(side, size, stride)["formula"]
    solution = _pick(
        lang,
        f"{formula}, rounded down: {w}. The depth stays {c}: {w}×{h}×{c}.",
        f"{formula}, с округлением вниз: {w}. Глубина остаётся {c}: {w}×{h}×{c}.",
    )
    return Question(prompt=text, answer=(w, h, c), kind="shape", hint=hint, solution=solution)


@exercise("pooling-stack-params")
def pooling_stack_params(rng: random.Random, lang: str, params: dict) -> Question:
    side, channels = rng.choice([(32, 3), (28, 1), (32, 1), (64, 3)])
    kernel = rng.choice([3, 5])
    filters1, filters2 = rng.choice([(6, 16), (8, 16), (16, 32), (32, 64)])
    table = layer_shapes.stack_shapes((channels, side, side), layer_shapes.small_stack(kernel, True, filters1, filters2))
    text = _pick(
        lang,
        f"CONV-POOL-CONV-POOL on a {side}×{side}×{channels} input: CONV1 has {filters1} filters {kernel}×{kernel}, "
        f"CONV2 has {filters2} filters {kernel}×{kernel} (stride 1, same padding), each POOL is 2×2 max pooling at "
        f"stride 2. How many trainable parameters does the whole stack have?",
        f"CONV-POOL-CONV-POOL на входе {side}×{side}×{channels}: в CONV1 {filters1} фильтров {kernel}×{kernel}, "
        f"в CONV2 {filters2} фильтров {kernel}×{kernel} (шаг 1, заполнение «same»), каждый POOL — максимальный "
        f"пулинг 2×2 с шагом 2. Сколько обучаемых параметров во всём стеке?",
    )
    hint = _pick(lang, "Only the conv layers learn: (F·F·D1)·K + K each. CONV2's D1 is CONV1's number of filters.",
                 "Учатся только свёрточные слои: по (F·F·D1)·K + K. D1 у CONV2 — число фильтров CONV1.")
    parts = []
    for row in table["rows"]:
        if row["kind"] == "conv":
            d1 = row["input"][0]
            k = row["filters"]
            parts.append(f"{row['name']}: ({kernel}·{kernel}·{d1})·{k} + {k} = {row['params']}")
        else:
            parts.append(f"{row['name']}: 0")
    solution = Markup("<ul>" + "".join(f"<li><code>{escape(p)}</code></li>" for p in parts) + "</ul>"
                      + f"<p>= <strong>{table['total_params']}</strong></p>")
    return Question(prompt=text, answer=table["total_params"], kind="integer", tolerance=0, hint=hint,
                    solution=solution)
