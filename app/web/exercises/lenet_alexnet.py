"""Exercises of the lessons whose widgets are in app.web.widgets.lenet_alexnet: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

import numpy as np
from markupsafe import Markup, escape

from app.compute.nets import alexnet, lenet
from app.compute.ops import arithmetic, conv
from app.compute.nets.architectures import architecture_table
from app.web.format import hwc, times
from app.web.i18n import plural
from app.web.widgets.lenet_alexnet import LENET_LAYERS
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
    text = {
        "en": f"A LeNet-style network takes a {side}×{side}×1 image: {layers_en}. What is the shape of {last}'s "
              f"output (height × width × depth)?",
        "ru": f"Сеть в духе LeNet получает изображение {side}×{side}×1: {layers_ru}. Какова форма выхода {last} "
              f"(высота × ширина × глубина)?",
    }[lang]
    hint = {
        "en": "A 5×5 conv at stride 1 without padding takes 4 off each side length: (W − 5)/1 + 1. A 2×2 pool at "
              "stride 2 halves it. The depth is the number of filters; pooling keeps it.",
        "ru": "Свёртка 5×5 с шагом 1 без дополнения уменьшает сторону на 4: (W − 5)/1 + 1. Пулинг 2×2 с шагом 2 "
              "делит её пополам. Глубина равна числу фильтров, пулинг её не меняет.",
    }[lang]
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
        what = {"en": f"{layer.upper()}: {filters} filters of 5×5 on an input of depth {d1} "
                      f"({hwc(previous['output_shape'])})",
                "ru": f"{layer.upper()}: {filters} фильтров 5×5 на входе глубины {d1} "
                      f"({hwc(previous['output_shape'])})"}[lang]
        solution = f"(5·5·{d1})·{filters} + {filters} = {result['weights']} + {filters} = {answer}"
        if layer == "c3":
            c3 = lenet.c3_connections()
            solution += {"en": f". The paper's sparse C3 had {c3['sparse_links']}·25 + {filters} = {c3['sparse_params']}.",
                         "ru": f". У разреженной C3 из статьи было {c3['sparse_links']}·25 + {filters} = "
                               f"{c3['sparse_params']}."}[lang]
    else:
        n_in, n_out = int(np.prod(previous["output_shape"])), row["output_shape"][0]
        answer = n_in * n_out + n_out
        what = {"en": f"{layer.upper()}: a fully connected layer from {n_in} inputs to {n_out} neurons",
                "ru": f"{layer.upper()}: полносвязный слой из {n_in} {plural(lang, n_in, one='входа', many='входов')} "
                      f"в {n_out} {plural(lang, n_out, one='нейрон', few='нейрона', many='нейронов')}"}[lang]
        solution = f"{n_in}·{n_out} + {n_out} = {n_in * n_out} + {n_out} = {answer}"
    text = {"en": f"How many trainable parameters (weights and biases) does this layer of the course's LeNet-5 "
                  f"have? {what}.",
            "ru": f"Сколько обучаемых параметров (весов и смещений) у этого слоя LeNet-5 из нашего курса? {what}."}[lang]
    hint = {"en": "A conv layer: (F·F·D1)·K weights plus K biases. A fully connected layer: one weight per input "
                  "per neuron, plus one bias per neuron.",
            "ru": "Свёрточный слой: (F·F·D1)·K весов и K смещений. Полносвязный слой: по весу на каждый вход "
                  "у каждого нейрона и по смещению на нейрон."}[lang]
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)


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
    text = {"en": f"{layer.upper()} turns a {hwc(previous['output_shape'])} input into "
                  f"{hwc(row['output_shape'])} with 5×5 filters. How many multiply-adds does it make "
                  f"for one image (biases not counted)?",
            "ru": f"{layer.upper()} превращает вход {hwc(previous['output_shape'])} в "
                  f"{hwc(row['output_shape'])} фильтрами 5×5. Сколько умножений со сложением он "
                  f"выполняет на одно изображение (смещения не считаем)?"}[lang]
    hint = {"en": "Every output value is one dot product of a 5×5×D1 window with a filter: count output values, "
                  "multiply by the window's size.",
            "ru": "Каждое выходное значение — одно скалярное произведение окна 5×5×D1 на фильтр: посчитайте "
                  "выходные значения и умножьте на размер окна."}[lang]
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
    text = {"en": f"The first layer of an AlexNet-like network has 96 filters of {kernel}×{kernel}, stride {stride}, "
                  f"zero padding {padding}, on a {width}×{width}×3 image. What is the side W2 of its output?",
            "ru": f"Первый слой сети в духе AlexNet: 96 фильтров {kernel}×{kernel}, шаг {stride}, дополнение нулями "
                  f"{padding}, вход {width}×{width}×3. Чему равна сторона выхода W2?"}[lang]
    hint = {"en": "W2 = (W − F + 2P)/S + 1.", "ru": "W2 = (W − F + 2P)/S + 1."}[lang]
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
        what = {"en": f"{row['label']}: {filters} filters of {k}×{k} on a {times(previous['shape'])} input",
                "ru": f"{row['label']}: {filters} фильтров {k}×{k} на входе {times(previous['shape'])}"}[lang]
        solution = f"({k}·{k}·{d1})·{filters} + {filters} = {answer}"
    else:
        n_in, n_out = int(np.prod(previous["shape"])), row["shape"][0]
        answer = n_in * n_out + n_out
        what = {"en": f"{row['label']}: fully connected, {times(previous['shape'])} → {n_out}",
                "ru": f"{row['label']}: полносвязный, {times(previous['shape'])} → {n_out}"}[lang]
        flat = f"{times(previous['shape'])} = {n_in}; " if len(previous["shape"]) > 1 else ""
        solution = f"{flat}{n_in}·{n_out} + {n_out} = {answer}"
    text = {"en": f"How many parameters (weights and biases) does this layer of the original AlexNet have? {what}.",
            "ru": f"Сколько параметров (весов и смещений) у этого слоя исходной AlexNet? {what}."}[lang]
    hint = {"en": "Conv: (F·F·D1)·K + K, where D1 is the input's depth. FC: inputs × neurons + neurons.",
            "ru": "Свёртка: (F·F·D1)·K + K, где D1 — глубина входа. Полносвязный: входы × нейроны + нейроны."}[lang]
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)


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
    text = {"en": f"AlexNet pools with overlapping 3×3 windows at stride 2. What shape does a {side}×{side}×{before[2]} "
                  f"volume have after such a max pool?",
            "ru": f"AlexNet использует перекрывающийся пулинг: окна 3×3 с шагом 2. Какую форму получит объём "
                  f"{side}×{side}×{before[2]} после такого max-пулинга?"}[lang]
    hint = {"en": "The same formula as a conv: (W − F)/S + 1 with F = 3, S = 2; the depth does not change.",
            "ru": "Та же формула, что для свёртки: (W − F)/S + 1 при F = 3, S = 2; глубина не меняется."}[lang]
    solution = f"({side} − 3)/2 + 1 = {size} → {size}×{size}×{before[2]}"
    return Question(prompt=text, answer=answer, kind="shape", hint=hint, solution=solution)
