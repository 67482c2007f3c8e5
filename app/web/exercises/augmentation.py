"""Exercise of the AlexNet augmentation widget: how many different inputs crops and flips make from one image."""

import random

from app.compute.ops import augment
from app.web.widgets.registry import Question, exercise


@exercise("augment-count")
def augment_count(rng: random.Random, lang: str, params: dict) -> Question:
    image = rng.choice([256, 240, 288, 320])
    crop = rng.choice([224, 227, 200, 192])
    counts = augment.distinct_inputs(image, crop)
    text = {"en": f"Training images are {image}×{image}; each time, the network gets a random {crop}×{crop} crop "
                  f"(at a whole-pixel offset), mirrored half of the time. How many different inputs can one image give?",
            "ru": f"Обучающие изображения — {image}×{image}; каждый раз сеть получает случайный фрагмент {crop}×{crop} "
                  f"(со сдвигом на целое число пикселей), в половине случаев отражённый. Сколько разных входов может "
                  f"дать одно изображение?"}[lang]
    hint = {"en": "Along one side the crop can start at 0, 1, …, image − crop. Square it, then double for the flips.",
            "ru": "Вдоль одной стороны фрагмент может начинаться в 0, 1, …, изображение − фрагмент. Возведите в "
                  "квадрат и удвойте за отражения."}[lang]
    side = counts["positions"]
    solution = f"({image} − {crop} + 1)² · 2 = {side}² · 2 = {counts['with_flips']}"
    return Question(prompt=text, answer=counts["with_flips"], kind="integer", tolerance=0, hint=hint,
                    solution=solution)
