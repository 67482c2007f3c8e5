"""Exercises of the widgets in app.web.widgets.upsampling: the size of a transposed convolution's output."""

import random

from app.compute.ops import transposed_conv
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


@exercise("tc-output-size")
def tc_output_size(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        height, kernel = rng.randint(2, 32), rng.choice([2, 3, 4, 5, 16])
        stride, padding = rng.choice([1, 2, 4, 8]), rng.choice([0, 1, 2, 4])
        output_padding = rng.choice([0, 0, 1]) if stride > 1 else 0
        answer = transposed_conv.output_size(height, kernel, stride, padding, output_padding)
        if answer >= 1:
            break
    text = translate(lang, "ex_tc_output_size_text", kernel=kernel, stride=stride, padding=padding,
        output_padding=output_padding, height=height)
    hint = translate(lang, "ex_tc_output_size_hint")
    solution = f"({height} − 1)·{stride} − 2·{padding} + {kernel} + {output_padding} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)
