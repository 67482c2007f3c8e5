"""Exercises of the lessons whose widgets are in app.web.widgets.vgg_resnet: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

from app.compute.lessons import history
from app.compute.nets import activations
from app.compute.nets.architectures import architecture_table
from app.compute.ops.arithmetic import conv_arithmetic
from app.web.format import decimal, grouped
from app.web.exercises.shared import conv_params_solution
from app.web.widgets.registry import Question, exercise
from app.web.widgets.vgg_resnet import _hwc
from app.web.i18n import translate


@exercise("vgg-layer-memory")
def vgg_layer_memory(rng: random.Random, lang: str, params: dict) -> Question:
    rows = [r for r in architecture_table("vgg16")["layers"] if r["kind"] in ("conv", "pool")]
    row = rng.choice(rows)
    h, w, c = _hwc(row["output_shape"])
    in_bytes = rng.random() < 0.5
    answer = row["activation_bytes"] if in_bytes else row["activations"]
    what = (translate(lang, "ex_vgg_layer_memory_text_1"), translate(lang, "ex_vgg_layer_memory_text_2"))[0 if in_bytes else 1]
    kind = {"conv": "CONV", "pool": "POOL"}[row["kind"]]
    text = translate(lang, "ex_vgg_layer_memory_text", kind=kind, h=h, w=w, c=c, what=what)
    hint = translate(lang, "ex_vgg_layer_memory_hint_a") + (translate(lang, "ex_vgg_layer_memory_hint_b_yes") if in_bytes else '.')
    solution = f"{h}·{w}·{c} = {grouped(row['activations'], lang)}"
    if in_bytes:
        solution += f"; ·4 = {grouped(row['activation_bytes'], lang)}"
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution,
                    tolerance=0)


@exercise("vgg-conv-params")
def vgg_conv_params(rng: random.Random, lang: str, params: dict) -> Question:
    c_in = rng.choice([3, 64, 128, 256, 512])
    filters = rng.choice([64, 128, 256, 512])
    kernel = rng.choice([3, 3, 3, 1])
    with_biases = rng.random() < 0.5
    counted = conv_arithmetic(56, kernel, 1, kernel // 2, 1, c_in, filters)
    answer = counted["params"] if with_biases else counted["weights"]
    label = f"conv{kernel}-{filters}"
    which = (translate(lang, "ex_vgg_conv_params_text_1"), translate(lang, "ex_vgg_conv_params_text_2"))[0 if with_biases else 1]
    text = translate(lang, "ex_vgg_conv_params_text", label=label, filters=filters, kernel=kernel, c_in=c_in,
        which=which)
    hint = translate(lang, "ex_vgg_conv_params_hint")
    solution = conv_params_solution(kernel, c_in, filters, counted, with_biases, lang)
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution,
                    tolerance=0)


@exercise("vgg-stack-3x3")
def vgg_stack_3x3(rng: random.Random, lang: str, params: dict) -> Question:
    layers = rng.choice([2, 3, 4, 5])
    channels = rng.choice([64, 128, 256, 512])
    comparison = activations.stack_comparison(layers, channels)
    field = comparison["receptive_field"]
    ask = rng.choice(["field", "stack", "single"])
    answer = {"field": field, "stack": comparison["stack_weights"], "single": comparison["single_weights"]}[ask]
    question = {'field': translate(lang, "ex_vgg_stack_3x3_text_field"), 'stack': translate(lang, "ex_vgg_stack_3x3_text_stack"), 'single': translate(lang, "ex_vgg_stack_3x3_text_single")}[ask]
    text = translate(lang, "ex_vgg_stack_3x3_text", layers=layers, channels=channels, question=question)
    hint = translate(lang, "ex_vgg_stack_3x3_hint")
    solution = (f"1 + {layers}·2 = {field}; {layers}·(3·3·{channels}·{channels}) = "
                f"{grouped(comparison['stack_weights'], lang)}; {field}·{field}·{channels}·{channels} = "
                f"{grouped(comparison['single_weights'], lang)}")
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution,
                    tolerance=0)


@exercise("resnet-block-shape")
def resnet_block_shape(rng: random.Random, lang: str, params: dict) -> Question:
    c_in = rng.choice([64, 128, 256])
    size = rng.choice([56, 28, 14, 15, 29])
    stride = rng.choice([1, 2])
    c_out = c_in * stride
    shapes = activations.residual_output_shape(c_in, size, c_out, stride)
    c, h, w = shapes["output"]
    answer = (h, w, c)
    text = translate(lang, "ex_resnet_block_shape_text", size=size, c_in=c_in, stride=stride, c_out=c_out)
    hint = translate(lang, "ex_resnet_block_shape_hint")
    shortcut = (translate(lang, "ex_resnet_block_shortcut_projection", stride=stride) if shapes["projection"]
                else translate(lang, "ex_resnet_block_shortcut_identity"))
    solution = f"⌊({size} + 2 − 3) / {stride}⌋ + 1 = {h} → {h}×{w}×{c}. {shortcut}"
    return Question(prompt=text, answer=answer, kind="shape", hint=hint, solution=solution)


@exercise("resnet-block-params")
def resnet_block_params(rng: random.Random, lang: str, params: dict) -> Question:
    channels = rng.choice([16, 32, 64, 128, 256])
    convs = [conv_arithmetic(56, 3, 1, 1, 1, channels, channels) for _ in range(2)]
    answer = sum(c["weights"] for c in convs)
    text = translate(lang, "ex_resnet_block_params_text", channels=channels)
    hint = translate(lang, "ex_resnet_block_params_hint")
    solution = f"2·(3·3·{channels}·{channels}) = {grouped(answer, lang)}"
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution,
                    tolerance=0)


@exercise("resnet-depth-error")
def resnet_depth_error(rng: random.Random, lang: str, params: dict) -> Question:
    cnns = [e for e in history.entries() if e["layers"]]
    first, second = sorted(rng.sample(cnns, 2), key=lambda e: (e["year"], -e["top5_error"]))
    answer = round(first["top5_error"] / second["top5_error"], 2)
    text = translate(lang, "ex_resnet_depth_error_text", first_year=first['year'], first_name=first['name'],
        first_layers=first['layers'], first_top5_error=first['top5_error'], second_year=second['year'],
        second_name=second['name'], second_layers=second['layers'], second_top5_error=second['top5_error'],
        v8=decimal(first['top5_error'], lang, 2).rstrip('0').rstrip(','), v9=decimal(second['top5_error'], lang,
        2).rstrip('0').rstrip(','))
    hint = translate(lang, "ex_resnet_depth_error_hint")
    solution = f"{first['top5_error']} / {second['top5_error']} ≈ {answer}"
    return Question(prompt=text, answer=answer, kind="number", hint=hint, solution=solution,
                    tolerance=0.006)
