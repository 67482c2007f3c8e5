"""Exercise of the depth-budget widget: the parameters of a stack of 3×3 convolutions."""

import random

from app.compute.nets import depth_budget
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


@exercise("depth-params")
def depth_params(rng: random.Random, lang: str, params: dict) -> Question:
    depth, width = rng.choice([2, 3, 4, 5, 6]), rng.choice([16, 32, 64, 100, 128])
    answer = depth_budget.params(depth_budget.stack(depth, width))
    text = translate(lang, "ex_depth_params_text", depth=depth, width=width)
    hint = translate(lang, "ex_depth_params_hint")
    first, other = 28 * width, (9 * width + 1) * width
    solution = f"(27 + 1)·{width} + {depth - 1}·(9·{width} + 1)·{width} = {first} + {depth - 1}·{other} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)
