"""Exercises of the widgets in app.web.widgets.upsampling: the size of a transposed convolution's output."""

import random

from app.compute.ops import transposed_conv
from app.web.widgets.registry import Question, exercise


@exercise("tc-output-size")
def tc_output_size(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        height, kernel = rng.randint(2, 32), rng.choice([2, 3, 4, 5, 16])
        stride, padding = rng.choice([1, 2, 4, 8]), rng.choice([0, 1, 2, 4])
        output_padding = rng.choice([0, 0, 1]) if stride > 1 else 0
        answer = transposed_conv.output_size(height, kernel, stride, padding, output_padding)
        if answer >= 1:
            break
    text = {"en": f"A transposed convolution with a {kernel}×{kernel} kernel, stride {stride}, padding {padding} and "
                  f"output padding {output_padding} gets a {height}×{height} map. How tall is its output?",
            "ru": f"Транспонированная свёртка с ядром {kernel}×{kernel}, шагом {stride}, дополнением {padding} и "
                  f"дополнением выхода {output_padding} получает карту {height}×{height}. Какой высоты её выход?"}[lang]
    hint = {"en": "The stamps start S apart, the last one adds a whole kernel, padding crops P on each side: "
                  "(H − 1)·S − 2P + k + output padding.",
            "ru": "Отпечатки начинаются через S клеток, последний добавляет целое ядро, дополнение срезает P с каждой "
                  "стороны: (H − 1)·S − 2P + k + дополнение выхода."}[lang]
    solution = f"({height} − 1)·{stride} − 2·{padding} + {kernel} + {output_padding} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)
