"""Widgets and exercises of the `convolution` lesson: 1-D and 2-D sliding kernels, the symbolic
example, kernels on photos, and the PyTorch call that does the same."""

import random

import numpy as np
from markupsafe import Markup, escape

from app.compute import samples
from app.compute.ops import conv, conv1d, conv_trace, kernels
from app.compute.errors import InputError
from app.web.format import decimal
from app.web.pictures import data_url
from app.web.widgets.forgiving import Inputs
from app.web.widgets.params import Choice, Int, Matrix, Num, Numbers
from app.web.widgets.registry import Question, WidgetContext, exercise, widget
from app.web.i18n import translate

# A widget on a page stays small enough to read and to animate.
MAX_GRID = 9
MAX_KERNEL = 5
PHOTO_SIDE = 256


def _grid_text(grid) -> str:
    return "; ".join(" ".join(f"{v:g}" for v in row) for row in grid)


def pytorch_call(input_grid, kernel_grid, stride, padding, dilation) -> str:
    """The torch.nn.functional.conv2d call that computes what the widget shows, ready to paste."""
    def tensor(grid):
        rows = ", ".join("[" + ", ".join(f"{float(v):g}." if float(v).is_integer() else f"{v:g}" for v in row) + "]"
                         for row in grid)
        return f"torch.tensor([[[{rows}]]])"

    def pair(value):
        return str(value[0]) if value[0] == value[1] else f"({value[0]}, {value[1]})"

    return (
        "import torch\n"
        "import torch.nn.functional as F\n\n"
        f"x = {tensor(input_grid)}  # (N=1, C=1, H, W)\n"
        f"w = {tensor(kernel_grid)}  # (K=1, C=1, kh, kw)\n"
        f"y = F.conv2d(x, w, stride={pair(stride)}, padding={pair(padding)}, dilation={pair(dilation)})\n"
        "print(y[0, 0])"
    )


@widget("conv1d", params={
    "x": Numbers("1 2 3 4 5", 16), "h": Numbers("1 0 -1", 7),
    "mode": Choice("convolution", ("convolution", "correlation")),
})
def build_conv1d(ctx: WidgetContext) -> dict:
    inputs = Inputs(ctx)
    x, h, mode = inputs.values("x", "h", "mode")
    trace = conv1d.conv1d_trace(x, h, mode)
    return {"trace": trace, "x_text": " ".join(f"{v:g}" for v in x), "h_text": " ".join(f"{v:g}" for v in h),
            "mode": mode, "errors": inputs.errors, "raw": inputs.raw}


@widget("conv2d", params={
    "input": Matrix("3 3 2 1 0; 0 0 1 3 1; 3 1 2 2 3; 2 0 0 2 2; 2 0 0 0 1", MAX_GRID),
    "kernel": Matrix("0 1 2; 2 2 0; 0 1 2", MAX_KERNEL),
    "stride": Int(1, 1, 4), "padding": Int(0, 0, 3), "dilation": Int(1, 1, 3), "speed": Num(1, 0.25, 4),
})
def build_conv2d(ctx: WidgetContext) -> dict:
    inputs = Inputs(ctx)
    grid, kernel, stride, padding, dilation = inputs.values("input", "kernel", "stride", "padding", "dilation")
    speed = inputs.value("speed")
    typed = {"input": _grid_text(grid), "kernel": _grid_text(kernel)}
    controls = {"stride": stride, "padding": padding, "dilation": dilation}  # as the student set them
    try:
        trace = conv_trace.conv2d_trace(grid, kernel, stride, padding, dilation)
    except InputError as error:  # they don't fit together: keep what was typed, say why, animate the defaults
        if "kernel" not in inputs.errors:
            inputs.refuse("kernel", error)
        typed = {"input": inputs.raw["input"], "kernel": inputs.raw["kernel"]}
        grid, kernel, stride, padding, dilation = (ctx.default(n) for n in ("input", "kernel", "stride", "padding",
                                                                            "dilation"))
        trace = conv_trace.conv2d_trace(grid, kernel, stride, padding, dilation)
    return {
        "trace": trace, "speed": speed, **controls, "errors": inputs.errors, "raw": inputs.raw,
        "input_text": inputs.text("input", typed["input"]), "kernel_text": inputs.text("kernel", typed["kernel"]),
        "code": pytorch_call(grid, kernel, trace["stride"], trace["padding"], trace["dilation"]),
    }


LECTURE_INPUT = [list("abcd"), list("efgh"), list("ijkl")]
LECTURE_KERNEL = [list("wx"), list("yz")]


@widget("conv-symbolic", params={"stride": Int(1, 1, 3), "padding": Int(0, 0, 1)})
def build_conv_symbolic(ctx: WidgetContext) -> dict:
    stride, padding = ctx.values("stride", "padding")
    output = conv_trace.symbolic_conv(LECTURE_INPUT, LECTURE_KERNEL, stride, padding)
    return {"input": LECTURE_INPUT, "kernel": LECTURE_KERNEL, "output": output, "stride": stride, "padding": padding}


@widget("kernel-photo", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "preset": Choice("sobel_x", (*kernels.PRESETS, "custom")),
    "kernel": Matrix("0 -1 0; -1 5 -1; 0 -1 0", 7),
})
def build_kernel_photo(ctx: WidgetContext) -> dict:
    sample, preset = ctx.values("sample", "preset")
    inputs = Inputs(ctx)
    if preset == "custom":
        kernel = np.asarray(inputs.value("kernel"))
        try:
            kernel = kernels.validate_kernel(kernel.tolist())
        except InputError as error:  # e.g. an even side: say so beside the field and show the default kernel
            inputs.refuse("kernel", error)
            kernel = kernels.validate_kernel(ctx.default("kernel"))
    else:
        kernel = kernels.validate_kernel(kernels.PRESETS[preset].array.tolist())
    image = samples.load_sample_gray(sample, PHOTO_SIDE)
    response = kernels.apply_kernel(image, kernel, device=ctx.device)
    effect = kernels.brightness_effect(kernel)
    total = effect["sum"]
    shown = kernels.to_display(response, total)
    return {
        "sample": sample, "preset": preset, "kernel": kernel.round(4).tolist(), "errors": inputs.errors,
        "raw": inputs.raw, "kernel_text": _grid_text(kernel.round(4)),
        "samples": [(key, s.captions[ctx.lang]) for key, s in samples.SAMPLES.items()],
        "presets": [(key, p.names[ctx.lang]) for key, p in kernels.PRESETS.items()],
        "description": kernels.PRESETS[preset].descriptions[ctx.lang] if preset != "custom" else "",
        "kernel_sum": round(total, 4), "display": "clip" if total >= 0.5 else "signed",
        "effect": {"key": "kernel_effect_" + effect["effect"], "sum": decimal(total, ctx.lang, 3, trim=True),
                   "factor": decimal(effect["factor"], ctx.lang, 3, trim=True)},
        "input_url": data_url((image * 255).round().astype(np.uint8)), "output_url": data_url(shown),
        "shape": list(image.shape), "response_range": [round(float(response.min()), 3), round(float(response.max()), 3)],
        "credit": samples.SAMPLES[sample].credit,
        "code": (
            "import torch.nn.functional as F\n"
            f"# x: (1, 1, {image.shape[0]}, {image.shape[1]}) grayscale photo in [0, 1]\n"
            f"w = torch.tensor([[{kernel.round(4).tolist()}]], dtype=torch.float32)  # (1, 1, {kernel.shape[0]}, {kernel.shape[1]})\n"
            f"y = F.conv2d(x, w, padding={(kernel.shape[0] - 1) // 2})  # 'same' size"
        ),
    }


# Exercises. Each builds its numbers from the seeded `rng`, computes the answer with app.compute,
# and writes its prompt, hint and worked solution in the student's language.

def _grid_html(grid) -> Markup:
    rows = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in grid)
    return Markup(f'<table class="num-grid">{rows}</table>')


def _fmt(value: float) -> str:
    return f"{value:g}"


def _factor(value: float) -> str:
    """A number as a factor in a product: 3·(−1), not 3·-1."""
    return f"({value:g})" if value < 0 else f"{value:g}"


@exercise("conv-cell")
def conv_cell(rng: random.Random, lang: str, params: dict) -> Question:
    size, k = rng.choice([(4, 2), (4, 3), (5, 3)])
    x = [[rng.randint(0, 4) for _ in range(size)] for _ in range(size)]
    w = [[rng.randint(-2, 2) for _ in range(k)] for _ in range(k)]
    out = size - k + 1
    i, j = rng.randrange(out), rng.randrange(out)
    trace = conv_trace.conv2d_trace(x, w)
    step = trace["steps"][i * out + j]
    products = " + ".join(f"{_factor(t['x'])}·{_factor(t['w'])}" for t in step["taps"])
    answer = step["sum"]
    text = translate(lang, "convolution_conv_cell_text", i_1=i + 1, j_1=j + 1)
    prompt, figure = text, Markup(f"<div class=\"grids\"><div class=\"grid-box\"><h4>{'Input' if lang == 'en' else 'Вход'}</h4>"
                    f"{_grid_html(x)}</div><div class=\"grid-box\"><h4>{'Kernel' if lang == 'en' else 'Ядро'}</h4>{_grid_html(w)}</div></div>")
    hint = translate(lang, "convolution_conv_cell_hint", i_1=i + 1, j_1=j + 1, k_k=k * k)
    solution = Markup(f"<p>{escape(products)} = <strong>{escape(_fmt(answer))}</strong></p>")
    return Question(prompt=prompt, figure=figure, answer=answer, kind="number", hint=hint, solution=solution)


@exercise("conv-output-shape")
def conv_output_shape(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        height, width = rng.choice([5, 6, 7, 8, 9, 10, 12]), rng.choice([5, 6, 7, 8, 9, 10, 12])
        k = rng.choice([1, 2, 3, 5])
        stride, padding = rng.choice([1, 1, 2]), rng.choice([0, 0, 1, 2])
        if k <= min(height, width) + 2 * padding:
            break
    out_h = conv.output_size(height, k, stride, padding)
    out_w = conv.output_size(width, k, stride, padding)
    text = translate(lang, "convolution_conv_output_shape_text", height=height, width=width, k=k, stride=stride,
        padding=padding)
    hint = translate(lang, "convolution_conv_output_shape_hint")
    solution = (f"⌊({height} − {k} + 2·{padding}) / {stride}⌋ + 1 = {out_h}; "
                f"⌊({width} − {k} + 2·{padding}) / {stride}⌋ + 1 = {out_w} → {out_h}×{out_w}")
    return Question(prompt=text, answer=(out_h, out_w), kind="shape",
                    hint=hint, solution=solution)


@exercise("conv1d-flip")
def conv1d_flip(rng: random.Random, lang: str, params: dict) -> Question:
    x = [rng.randint(-2, 4) for _ in range(rng.choice([4, 5]))]
    h = [rng.randint(-2, 3) for _ in range(3)]
    trace = conv1d.conv1d_trace(x, h, "convolution")
    n = rng.randrange(1, len(trace["steps"]) - 1)
    step = trace["steps"][n]
    text = translate(lang, "convolution_conv1d_flip_text", x=x, h=h, n=n, n_1=n + 1)
    hint = translate(lang, "convolution_conv1d_flip_hint", len_h_1=len(h) - 1, n=n)
    terms = " + ".join(f"x[{p['k']}]·h[{p['h_index']}]" for p in step["pairs"])
    values = " + ".join(f"{_factor(p['x'])}·{_factor(p['h'])}" for p in step["pairs"])
    solution = f"y[{n}] = {terms} = {values} = {_fmt(step['sum'])}"
    return Question(prompt=text, answer=step["sum"], kind="number",
                    hint=hint, solution=Markup(f"<p><code>{escape(solution)}</code></p>"))


@exercise("conv-symbolic-term")
def conv_symbolic_term(rng: random.Random, lang: str, params: dict) -> Question:
    output = conv_trace.symbolic_conv(LECTURE_INPUT, LECTURE_KERNEL)
    i, j = rng.randrange(len(output)), rng.randrange(len(output[0]))
    right = output[i][j]
    # Wrong options: other cells' expressions, and the right window with a flipped kernel (true convolution).
    others = [cell for row in output for cell in row if cell != right]
    flipped = conv_trace.symbolic_conv(LECTURE_INPUT, [row[::-1] for row in LECTURE_KERNEL[::-1]])[i][j]
    options = [right, flipped, *rng.sample(others, 2)]
    options = list(dict.fromkeys(options))
    rng.shuffle(options)
    keys = "abcd"
    choices = tuple((keys[n], text) for n, text in enumerate(options))
    answer = keys[options.index(right)]
    text = translate(lang, "convolution_conv_symbolic_term_text", i_1=i + 1, j_1=j + 1)
    hint = translate(lang, "convolution_conv_symbolic_term_hint")
    solution = translate(lang, "convolution_conv_symbolic_term_solution", i_1=i + 1, j_1=j + 1, right=right,
        flipped=flipped)
    return Question(prompt=text, answer=answer, kind="choice", choices=choices,
                    hint=hint, solution=solution)
