"""Exercise of the depth-budget widget: the parameters of a stack of 3×3 convolutions."""

import random

from app.compute.nets import depth_budget
from app.web.widgets.registry import Question, exercise


@exercise("depth-params")
def depth_params(rng: random.Random, lang: str, params: dict) -> Question:
    depth, width = rng.choice([2, 3, 4, 5, 6]), rng.choice([16, 32, 64, 100, 128])
    answer = depth_budget.params(depth_budget.stack(depth, width))
    text = {"en": f"A stack of {depth} convolutions, each 3×3 with {width} filters and biases, takes an RGB image "
                  f"(3 channels). How many parameters does it have?",
            "ru": f"Стопка из {depth} свёрток 3×3, в каждой {width} фильтров со смещениями, получает RGB-изображение "
                  f"(3 канала). Сколько у неё параметров?"}[lang]
    hint = {"en": "The first layer: (3·3·3 + 1)·C. Each further layer: (3·3·C + 1)·C.",
            "ru": "Первый слой: (3·3·3 + 1)·C. Каждый следующий: (3·3·C + 1)·C."}[lang]
    first, other = 28 * width, (9 * width + 1) * width
    solution = f"(27 + 1)·{width} + {depth - 1}·(9·{width} + 1)·{width} = {first} + {depth - 1}·{other} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)
