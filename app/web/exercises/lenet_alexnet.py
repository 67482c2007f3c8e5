"""Exercises of the lessons whose widgets are in app.web.widgets.lenet_alexnet: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

import numpy as np
from markupsafe import Markup, escape

from app.compute.nets import alexnet, lenet
from app.compute.ops import arithmetic, conv
from app.compute.nets.architectures import architecture_table
from app.web.format import hwc, times
from app.web.i18n import translate, plural
from app.web.widgets.lenet_alexnet import LENET_LAYERS
from app.web.exercises.shared import layer_params_question
from app.web.widgets.registry import Question, exercise


@exercise("lenet-layer-shape")
def lenet_layer_shape(rng: random.Random, lang: str, params: dict) -> Question:
    """A LeNet-style stack on a given input: the shape after conv → pool (→ conv)."""
    side = rng.choice([28, 32, 36, 40])
    k1, f1 = 5, rng.choice([6, 8, 10])
    f2 = rng.choice([12, 16, 20])
    depth = rng.choice([1, 2])  # 1: after S2; 2: after C3
    c1 = conv.output_size(side, k1, 1, 0)
    s2 = conv.output_size(c1, 2, 2, 0)
    c3 = conv.output_size(s2, 5, 1, 0)
    answer = (s2, s2, f1) if depth == 1 else (c3, c3, f2)
    layers_en = f"C1: {f1} filters 5×5, stride 1, no padding → S2: 2×2 max pooling, stride 2"
    layers_ru = f"C1: {f1} фильтров 5×5, шаг 1, без дополнения → S2: max-пулинг 2×2, шаг 2"
    if depth == 2:
        layers_en += f" → C3: {f2} filters 5×5, stride 1, no padding"
        layers_ru += f" → C3: {f2} фильтров 5×5, шаг 1, без дополнения"
    last = "S2" if depth == 1 else "C3"
    text = translate(lang, "ex_lenet_layer_shape_text", side=side, layers_en=layers_en, last=last, layers_ru=layers_ru)
    hint = translate(lang, "ex_lenet_layer_shape_hint")
    steps = [f"C1: ({side} − 5)/1 + 1 = {c1} → {c1}×{c1}×{f1}", f"S2: ({c1} − 2)/2 + 1 = {s2} → {s2}×{s2}×{f1}"]
    if depth == 2:
        steps.append(f"C3: ({s2} − 5)/1 + 1 = {c3} → {c3}×{c3}×{f2}")
    solution = Markup("<p>" + "<br>".join(escape(s) for s in steps) + "</p>")
    return Question(prompt=text, answer=answer, kind="shape", hint=hint, solution=solution)


@exercise("lenet-layer-params")
def lenet_layer_params(rng: random.Random, lang: str, params: dict) -> Question:
    """Parameters of one LeNet layer: (F·F·D1)·K + K for a conv, n_in·n_out + n_out for an fc."""
    table = {row["name"]: row for row in architecture_table("lenet5")["layers"]}
    layer = rng.choice(["c1", "c3", "c5", "f6"])
    names = ["input", *LENET_LAYERS]
    previous = table[names[names.index(layer) - 1]]
    row = table[layer]
    if row["kind"] == "conv":
        k = 5
        d1, filters = previous["output_shape"][0], row["output_shape"][0]
        result = arithmetic.conv_arithmetic(previous["output_shape"][-1], k, 1, 0, in_channels=d1, filters=filters)
        answer = result["params"]
        what = translate(lang, "ex_lenet_layer_params_what", layer_upper=layer.upper(), filters=filters, d1=d1,
            v3=hwc(previous['output_shape']))
        solution = f"(5·5·{d1})·{filters} + {filters} = {result['weights']} + {filters} = {answer}"
        if layer == "c3":
            c3 = lenet.c3_connections()
            solution += translate(lang, "ex_lenet_layer_params_text_2", c3_sparse_links=c3['sparse_links'],
                filters=filters, c3_sparse_params=c3['sparse_params'])
    else:
        n_in, n_out = int(np.prod(previous["output_shape"])), row["output_shape"][0]
        answer = n_in * n_out + n_out
        what = translate(lang, "ex_lenet_layer_params_what_2", layer_upper=layer.upper(), n_in=n_in, n_out=n_out,
            v3=plural(lang, n_in, one='входа', many='входов'), v4=plural(lang, n_out, one='нейрон', few='нейрона',
            many='нейронов'))
        solution = f"{n_in}·{n_out} + {n_out} = {n_in * n_out} + {n_out} = {answer}"
    return layer_params_question(lang, "lenet_layer_params", what, answer, solution)


@exercise("lenet-layer-macs")
def lenet_layer_macs(rng: random.Random, lang: str, params: dict) -> Question:
    """Multiply-adds of C1 or C3: output values × (F·F·D1)."""
    table = {row["name"]: row for row in architecture_table("lenet5")["layers"]}
    layer = rng.choice(["c1", "c3"])
    previous = table["input" if layer == "c1" else "s2"]
    row = table[layer]
    d1 = previous["output_shape"][0]
    k_out, h, w = row["output_shape"]
    answer = h * w * k_out * 5 * 5 * d1
    text = translate(lang, "ex_lenet_layer_macs_text", layer_upper=layer.upper(), v1=hwc(previous['output_shape']),
        hwc_row_output_shape=hwc(row['output_shape']))
    hint = translate(lang, "ex_lenet_layer_macs_hint")
    solution = f"{h}·{w}·{k_out} · (5·5·{d1}) = {h * w * k_out} · {25 * d1} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)


@exercise("alexnet-conv-size")
def alexnet_conv_size(rng: random.Random, lang: str, params: dict) -> Question:
    """Output size of an AlexNet-like first layer, W2 = (W − F + 2P)/S + 1 (always a whole number here)."""
    while True:
        width = rng.choice([227, 224, 231, 235, 219, 223])
        kernel, stride, padding = rng.choice([(11, 4, 0), (11, 4, 2), (7, 2, 3), (7, 2, 0), (5, 1, 2), (3, 2, 1)])
        result = arithmetic.conv_arithmetic(width, kernel, stride, padding, in_channels=3, filters=96)
        if result["valid"]:
            break
    text = translate(lang, "ex_alexnet_conv_size_text", kernel=kernel, stride=stride, padding=padding, width=width)
    hint = translate(lang, "ex_alexnet_conv_size_hint")
    return Question(prompt=text, answer=result["output_size"], kind="integer", tolerance=0, hint=hint,
                    solution=result["formula"])


@exercise("alexnet-layer-params")
def alexnet_layer_params(rng: random.Random, lang: str, params: dict) -> Question:
    """Parameters of one conv or fc layer of the original AlexNet, from the lecture's listing."""
    rows = alexnet.compare_with_lecture()["rows"]
    index = rng.choice([i for i, r in enumerate(rows) if r["kind"] in ("conv", "fc")])
    row, previous = rows[index], rows[index - 1]
    # The layer before a conv may be a pool or norm; its shape is the conv's input.
    if row["kind"] == "conv":
        settings = next(r for r in alexnet.lecture_listing() if r["name"] == row["name"])["settings"]
        k, d1, filters = settings["size"], previous["shape"][-1], settings["filters"]
        answer = (k * k * d1) * filters + filters
        what = translate(lang, "ex_alexnet_layer_params_what", row_label=row['label'], filters=filters, k=k,
            times_previous_shape=times(previous['shape']))
        solution = f"({k}·{k}·{d1})·{filters} + {filters} = {answer}"
    else:
        n_in, n_out = int(np.prod(previous["shape"])), row["shape"][0]
        answer = n_in * n_out + n_out
        what = translate(lang, "ex_alexnet_layer_params_what_2", row_label=row['label'],
            times_previous_shape=times(previous['shape']), n_out=n_out)
        flat = f"{times(previous['shape'])} = {n_in}; " if len(previous["shape"]) > 1 else ""
        solution = f"{flat}{n_in}·{n_out} + {n_out} = {answer}"
    return layer_params_question(lang, "alexnet_layer_params", what, answer, solution)


@exercise("alexnet-pool-shape")
def alexnet_pool_shape(rng: random.Random, lang: str, params: dict) -> Question:
    """Shape after an overlapping 3×3 stride-2 max pool, as in AlexNet."""
    rows = [r for r in alexnet.compare_with_lecture()["rows"]]
    pools = [i for i, r in enumerate(rows) if r["kind"] == "pool"]
    index = rng.choice(pools)
    before = rows[index - 1]["shape"]
    side = before[0] + rng.choice([0, 0, 2, 4, 8])  # sometimes a variant input size
    size = conv.output_size(side, 3, 2, 0)
    answer = (size, size, before[2])
    text = translate(lang, "ex_alexnet_pool_shape_text", side=side, before_2=before[2])
    hint = translate(lang, "ex_alexnet_pool_shape_hint")
    solution = f"({side} − 3)/2 + 1 = {size} → {size}×{size}×{before[2]}"
    return Question(prompt=text, answer=answer, kind="shape", hint=hint, solution=solution)
