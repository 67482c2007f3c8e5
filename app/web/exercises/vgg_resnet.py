"""Exercises of the lessons whose widgets are in app.web.widgets.vgg_resnet: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

from app.compute.lessons import history
from app.compute.nets import activations
from app.compute.nets.architectures import architecture_table
from app.compute.ops.arithmetic import conv_arithmetic
from app.web.format import decimal, grouped
from app.web.widgets.registry import Question, exercise
from app.web.widgets.vgg_resnet import _hwc


@exercise("vgg-layer-memory")
def vgg_layer_memory(rng: random.Random, lang: str, params: dict) -> Question:
    rows = [r for r in architecture_table("vgg16")["layers"] if r["kind"] in ("conv", "pool")]
    row = rng.choice(rows)
    h, w, c = _hwc(row["output_shape"])
    in_bytes = rng.random() < 0.5
    answer = row["activation_bytes"] if in_bytes else row["activations"]
    what = {"en": ("bytes (float32, one image)", "values (numbers)"),
            "ru": ("байтов (float32, одно изображение)", "значений (чисел)")}[lang][0 if in_bytes else 1]
    kind = {"conv": "CONV", "pool": "POOL"}[row["kind"]]
    text = {
        "en": f"A {kind} layer of VGG-16 outputs an activation volume of {h}×{w}×{c}. "
              f"How many {what} does this output hold?",
        "ru": f"Слой {kind} сети VGG-16 выдаёт объём активаций {h}×{w}×{c}. "
              f"Сколько {what} занимает этот выход?",
    }[lang]
    hint = {
        "en": "Multiply height × width × depth" + (", then by 4 bytes per float32 value." if in_bytes else "."),
        "ru": "Перемножьте высоту, ширину и глубину" + (", затем умножьте на 4 байта на значение float32." if in_bytes else "."),
    }[lang]
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
    which = {"en": ("weights and biases", "weights only, not counting biases, as the lecture does"),
             "ru": ("веса и смещения", "только веса, без смещений, как в лекции")}[lang][0 if with_biases else 1]
    text = {
        "en": f"A VGG layer {label} ({filters} filters of {kernel}×{kernel}) takes an input of depth {c_in}. "
              f"How many parameters does it have? Count {which}.",
        "ru": f"Слой VGG {label} ({filters} фильтров {kernel}×{kernel}) получает вход глубины {c_in}. "
              f"Сколько у него параметров? Считайте {which}.",
    }[lang]
    hint = {
        "en": "Each filter spans the whole input depth: kernel × kernel × input depth weights, times the number of "
              "filters; each filter has one bias.",
        "ru": "Каждый фильтр охватывает всю глубину входа: ядро × ядро × глубина входа весов, умноженное на число "
              "фильтров; у каждого фильтра одно смещение.",
    }[lang]
    solution = f"({kernel}·{kernel}·{c_in})·{filters} = {grouped(counted['weights'], lang)}"
    if with_biases:
        solution += f"; + {filters} = {grouped(counted['params'], lang)}"
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
    question = {
        "en": {"field": "How many input pixels wide is the receptive field of one output of the stack?",
               "stack": "How many weights does the stack have in total (no biases)?",
               "single": "One conv layer with the same receptive field as the stack would need a kernel as wide as "
                         "that field. How many weights would it have (no biases)?"},
        "ru": {"field": "Какой ширины (в пикселях входа) рецептивное поле одного выхода этой стопки?",
               "stack": "Сколько всего весов у стопки (без смещений)?",
               "single": "Одному свёрточному слою с тем же рецептивным полем нужно ядро шириной во всё поле. "
                         "Сколько весов было бы у него (без смещений)?"},
    }[lang][ask]
    text = {
        "en": f"{layers} conv layers of 3×3 are stacked, stride 1, each with {channels} input and {channels} output "
              f"channels. {question}",
        "ru": f"{layers} свёрточных слоя 3×3 идут друг за другом с шагом 1, у каждого {channels} входных и "
              f"{channels} выходных каналов. {question}",
    }[lang]
    hint = {
        "en": "Each 3×3 layer widens the field by 2 pixels: n layers see 2n + 1. A k×k conv with C → C channels "
              "has k·k·C·C weights.",
        "ru": "Каждый слой 3×3 расширяет поле на 2 пикселя: n слоёв видят 2n + 1. У свёртки k×k с C → C каналами "
              "k·k·C·C весов.",
    }[lang]
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
    text = {
        "en": f"A residual block gets an input of {size}×{size}×{c_in} (height × width × depth). F(x) is two 3×3 "
              f"convs with padding 1: the first has stride {stride} and both have {c_out} filters. What is the "
              f"shape of the block's output F(x) + x, as height × width × depth?",
        "ru": f"На вход остаточного блока подаётся {size}×{size}×{c_in} (высота × ширина × глубина). F(x) — две "
              f"свёртки 3×3 с дополнением 1: у первой шаг {stride}, у обеих {c_out} фильтров. Какой размер у выхода "
              f"блока F(x) + x, высота × ширина × глубина?",
    }[lang]
    hint = {
        "en": "The sum needs F(x) and the shortcut to have the same shape, so the output has F(x)'s shape: "
              "(size + 2·1 − 3) / stride + 1, rounded down, and the filters as depth.",
        "ru": "Сложить можно только тензоры одной формы, поэтому выход имеет форму F(x): (размер + 2·1 − 3) / шаг + 1 "
              "с округлением вниз, а глубина — число фильтров.",
    }[lang]
    shortcut = {
        "en": ("The shapes differ, so the shortcut is a 1×1 conv with stride " + str(stride) + " (a projection)."
               if shapes["projection"] else "The shapes match, so the shortcut is x itself."),
        "ru": ("Формы различаются, поэтому обходной путь — свёртка 1×1 с шагом " + str(stride) + " (проекция)."
               if shapes["projection"] else "Формы совпадают, поэтому обходной путь — сам x."),
    }[lang]
    solution = f"⌊({size} + 2 − 3) / {stride}⌋ + 1 = {h} → {h}×{w}×{c}. {shortcut}"
    return Question(prompt=text, answer=answer, kind="shape", hint=hint, solution=solution)


@exercise("resnet-block-params")
def resnet_block_params(rng: random.Random, lang: str, params: dict) -> Question:
    channels = rng.choice([16, 32, 64, 128, 256])
    convs = [conv_arithmetic(56, 3, 1, 1, 1, channels, channels) for _ in range(2)]
    answer = sum(c["weights"] for c in convs)
    text = {
        "en": f"A basic residual block keeps {channels} channels: two 3×3 convs, {channels} → {channels}, without "
              f"biases (batch norm follows each), and an identity shortcut. How many conv weights does it have?",
        "ru": f"Базовый остаточный блок сохраняет {channels} каналов: две свёртки 3×3, {channels} → {channels}, без "
              f"смещений (после каждой идёт батч-нормализация), и тождественный обходной путь. Сколько весов у его "
              f"свёрток?",
    }[lang]
    hint = {
        "en": "The shortcut x has no weights at all. Each conv has 3·3·C·C weights.",
        "ru": "У обходного пути x весов нет вовсе. У каждой свёртки 3·3·C·C весов.",
    }[lang]
    solution = f"2·(3·3·{channels}·{channels}) = {grouped(answer, lang)}"
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution=solution,
                    tolerance=0)


@exercise("resnet-depth-error")
def resnet_depth_error(rng: random.Random, lang: str, params: dict) -> Question:
    cnns = [e for e in history.entries() if e["layers"]]
    first, second = sorted(rng.sample(cnns, 2), key=lambda e: (e["year"], -e["top5_error"]))
    answer = round(first["top5_error"] / second["top5_error"], 2)
    text = {
        "en": f"In ILSVRC {first['year']}, {first['name']} ({first['layers']} layers) had a top-5 error of "
              f"{first['top5_error']}%; in {second['year']}, {second['name']} ({second['layers']} layers) had "
              f"{second['top5_error']}%. How many times fewer top-5 mistakes did {second['name']} make? "
              f"(Two decimals are enough.)",
        "ru": f"На ILSVRC {first['year']} у {first['name']} ({first['layers']} слоёв) ошибка top-5 была "
              f"{decimal(first['top5_error'], lang, 2).rstrip('0').rstrip(',')}%; в {second['year']} у {second['name']} "
              f"({second['layers']} слоёв) — {decimal(second['top5_error'], lang, 2).rstrip('0').rstrip(',')}%. "
              f"Во сколько раз меньше ошибок top-5 у {second['name']}? (Достаточно двух знаков после запятой.)",
    }[lang]
    hint = {"en": "Divide the earlier error by the later one.", "ru": "Разделите прежнюю ошибку на более позднюю."}[lang]
    solution = f"{first['top5_error']} / {second['top5_error']} ≈ {answer}"
    return Question(prompt=text, answer=answer, kind="number", hint=hint, solution=solution,
                    tolerance=0.006)
