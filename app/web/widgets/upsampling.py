"""Widgets of the segmentation lesson's upsampling: a transposed convolution stamping the kernel into the
output one input cell at a time (the mirror of padding-stride's strided convolution), and learned against
bilinear upsampling of a real coarse map. Numbers from app.compute.ops.transposed_conv."""

import numpy as np

from app.compute import samples
from app.compute.errors import InputError
from app.compute.nets import class_maps
from app.compute.nets.registry import WeightsMissing
from app.compute.ops import transposed_conv
from app.web.format import decimal, grouped, percent
from app.web.pictures import data_url
from app.web.widgets.forgiving import Inputs
from app.web.widgets.params import Choice, Int, Matrix
from app.web.widgets.registry import WidgetContext, weights_note, widget

MAX_GRID = 5  # input and kernel sides: the output stays small enough to read number by number


def _num(value: float, lang: str) -> str:
    return decimal(value, lang, 2, trim=True)


@widget("transposed-conv", params={
    "input": Matrix("1 2; 3 4", MAX_GRID), "kernel": Matrix("1 1 1; 1 1 1; 1 1 1", MAX_GRID),
    "stride": Int(2, 1, 4), "padding": Int(0, 0, 4), "output_padding": Int(0, 0, 3),
})
def build_transposed_conv(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    x = np.array(inputs.value("input"))
    k = np.array(inputs.value("kernel"))
    stride, padding, output_padding = inputs.values("stride", "padding", "output_padding")
    try:
        checked = transposed_conv.check(x.tolist(), k.tolist(), stride, padding, output_padding)
    except InputError as error:  # the settings do not fit together: say so, and show the defaults' result
        inputs.refuse("output_padding" if "output_padding" in str(error) else "padding", error)
        stride, padding, output_padding = (ctx.default(n) for n in ("stride", "padding", "output_padding"))
        checked = transposed_conv.check(x.tolist(), k.tolist(), stride, padding, output_padding)
    trace = transposed_conv.stamp_trace(checked["x"], checked["k"], stride, padding, output_padding)
    final = transposed_conv.conv_transpose2d(x.tolist(), k.tolist(), stride, padding, output_padding)
    out_h, out_w = trace["out_shape"]
    steps = [{"cell": s["cell"], "value": _num(s["value"], lang), "touched": s["touched"],
              "output": [[_num(v, lang) for v in row] for row in s["output"]]} for s in trace["steps"]]
    return {
        "x": [[_num(v, lang) for v in row] for row in x], "k": [[_num(v, lang) for v in row] for row in k],
        "stride": stride, "padding": padding, "output_padding": output_padding,
        "out_h": out_h, "out_w": out_w, "formula": final["formula"],
        "final": [[_num(v, lang) for v in row] for row in final["output"]],
        "trace": {"steps": steps}, "steps": len(steps), "errors": inputs.errors, "raw": inputs.raw,
        "mirror": f"({out_h} − {k.shape[0]} + 2·{padding})/{stride} + 1",
        "mirror_value": (out_h - k.shape[0] + 2 * padding) // stride + 1,
    }


def _picture(values: np.ndarray, low: float, high: float) -> str:
    return data_url(np.clip((values - low) / ((high - low) or 1.0) * 255, 0, 255).astype(np.uint8))


def _score_maps(ctx: WidgetContext, sample: str, factor: int) -> tuple:
    """(EfficientNet-Lite0's class score maps of the photo, None), or (None, the weights note)."""
    weights = ctx.weights(class_maps.MODEL)
    if not weights["present"]:
        return None, weights
    try:
        return ctx.compute(lambda device: class_maps.score_maps(sample, factor, ctx.weights_dir, device),
                           key=("up-scores", sample, factor, weights["stamp"])), None
    except WeightsMissing as exc:  # a damaged file: found only when it is loaded
        return None, weights_note(exc)


@widget("upsampling-compare", params={
    "sample": Choice("chelsea", tuple(samples.SAMPLES)), "factor": Choice("4", ("2", "4")),
}, deferred=True)
def build_upsampling_compare(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    sample = inputs.value("sample")
    factor = int(inputs.value("factor"))
    page = {"sample": sample, "factor": factor, "errors": inputs.errors, "raw": inputs.raw,
            "samples": [(key, s.captions[lang]) for key, s in samples.SAMPLES.items()],
            "credit": samples.SAMPLES[sample].credit}
    scores, missing = _score_maps(ctx, sample, factor)
    if scores is None:
        return {**page, "missing": missing}
    result = transposed_conv.upsample_compare(scores["coarse"], scores["dense"], factor)
    low, high = float(result["fine"].min()), float(result["fine"].max())
    coarse = np.kron(result["coarse"], np.ones((factor, factor)))  # each coarse value as a block, for display
    mse = result["mse"]
    return {
        **page, "missing": None, "label": scores["label"], "score": decimal(scores["score"], lang, 2),
        "stride": class_maps.STRIDE, "fine_stride": class_maps.STRIDE // factor, "side": class_maps.SIDE,
        "images": [{"key": key, "url": _picture(values, low, high)} for key, values in
                   (("fine", result["fine"]), ("coarse", coarse), ("bilinear", result["bilinear"]),
                    ("learned", result["learned"]))],
        "coarse_shape": "×".join(map(str, result["coarse"].shape)), "fine_shape": "×".join(map(str, result["fine"].shape)),
        "mse": {key: decimal(value, lang, 4) for key, value in mse.items()},
        "gain": percent(1 - mse["learned"] / mse["bilinear"], lang, 1),
        "kernel_size": 2 * factor,
        "kernel_url": data_url(np.clip((result["kernel"] - result["kernel"].min())
                                       / (np.ptp(result["kernel"]) or 1) * 255, 0, 255).astype(np.uint8)),
        "bilinear_kernel_url": data_url((result["bilinear_kernel"] / result["bilinear_kernel"].max() * 255).astype(np.uint8)),
        "params": grouped((2 * factor) ** 2, lang),
    }
