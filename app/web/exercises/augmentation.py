"""Exercise of the AlexNet augmentation widget: how many different inputs crops and flips make from one image."""

import random

from app.compute.ops import augment
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


@exercise("augment-count")
def augment_count(rng: random.Random, lang: str, params: dict) -> Question:
    image = rng.choice([256, 240, 288, 320])
    crop = rng.choice([224, 227, 200, 192])
    counts = augment.distinct_inputs(image, crop)
    text = translate(lang, "ex_augment_count_text", image=image, crop=crop)
    hint = translate(lang, "ex_augment_count_hint")
    side = counts["positions"]
    solution = f"({image} − {crop} + 1)² · 2 = {side}² · 2 = {counts['with_flips']}"
    return Question(prompt=text, answer=counts["with_flips"], kind="integer", tolerance=0, hint=hint,
                    solution=solution)
