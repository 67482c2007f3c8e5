"""Exercises of the widgets in app.web.widgets.detection_steps: NMS by hand, MABO of a few proposals, anchor counts."""

import random

from app.compute.ops import mabo, nms, roi
from app.web.format import decimal
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


def _box(rng: random.Random) -> list[int]:
    x, y = rng.randint(0, 12), rng.randint(0, 12)
    return [x, y, x + rng.randint(3, 8), y + rng.randint(3, 8)]


def _near(rng: random.Random, box: list[int]) -> list[int]:
    return [max(0, v + rng.randint(-1, 1)) for v in box[:2]] + [v + rng.randint(-1, 1) for v in box[2:]]


@exercise("nms-count")
def nms_count(rng: random.Random, lang: str, params: dict) -> Question:
    first, second = _box(rng), _box(rng)
    boxes = [first, _near(rng, first), second, _near(rng, second), _near(rng, first)]
    boxes = [[min(b[0], b[2] - 1), min(b[1], b[3] - 1), b[2], b[3]] for b in boxes]
    scores = [round(s, 2) for s in rng.sample([x / 100 for x in range(40, 100)], len(boxes))]
    threshold = rng.choice([0.3, 0.5, 0.7])
    result = nms.nms(boxes, scores, threshold)
    listing = "; ".join(f"#{i + 1} {b} ({decimal(s, lang, 2)})" for i, (b, s) in enumerate(zip(boxes, scores)))
    text = translate(lang, "ex_nms_count_text", listing=listing, threshold=threshold,
        decimal_threshold_lang_1=decimal(threshold, lang, 1))
    hint = translate(lang, "ex_nms_count_hint")
    steps = [f"#{d['box'] + 1} → #{d['by'] + 1} (IoU {decimal(d['iou'], lang, 2)})" for d in result["suppressed"]]
    kept = ", ".join(f"#{i + 1}" for i in result["keep"])
    solution = translate(lang, "ex_nms_count_solution_a", kept=kept) + (translate(lang, "ex_nms_count_solution_b_yes", join_steps='; '.join(steps)) if steps else '')
    return Question(prompt=text, answer=len(result["keep"]), kind="integer", tolerance=0, hint=hint, solution=solution)


@exercise("mabo-value")
def mabo_value(rng: random.Random, lang: str, params: dict) -> Question:
    truth = [_box(rng), _box(rng)]
    proposals = [_near(rng, truth[0]), _box(rng), _near(rng, truth[1])]
    proposals = [[b[0], b[1], max(b[2], b[0] + 1), max(b[3], b[1] + 1)] for b in proposals]
    result = mabo.mabo(truth, proposals)
    text = translate(lang, "ex_mabo_value_text", truth_0=truth[0], truth_1=truth[1], proposals_0=proposals[0],
        proposals_1=proposals[1], proposals_2=proposals[2])
    hint = translate(lang, "ex_mabo_value_hint")
    best = [f"T{i + 1}: P{j + 1}, IoU {decimal(v, lang, 3)}" if j is not None else f"T{i + 1}: 0"
            for i, (v, j) in enumerate(zip(result["best_iou"], result["best_proposal"]))]
    solution = f"{'; '.join(best)}. MABO = ({' + '.join(decimal(v, lang, 3) for v in result['best_iou'])}) / 2 = " \
               f"{decimal(result['mabo'], lang, 3)}"
    return Question(prompt=text, answer=round(result["mabo"], 3), kind="number", tolerance=0.002, hint=hint,
                    solution=solution)


@exercise("anchor-count")
def anchor_count(rng: random.Random, lang: str, params: dict) -> Question:
    width, height = rng.choice([(800, 600), (1000, 600), (640, 480), (1024, 768), (512, 512)])
    stride = rng.choice([16, 32])
    sizes, ratios = rng.choice([(3, 3), (5, 3), (3, 1), (4, 3)])
    map_w, map_h = width // stride, height // stride
    answer = roi.anchor_count(map_w, map_h, sizes * ratios)
    text = translate(lang, "ex_anchor_count_text", width=width, height=height, stride=stride, map_w=map_w, map_h=map_h,
        sizes=sizes, ratios=ratios)
    hint = translate(lang, "ex_anchor_count_hint")
    solution = f"{map_w}·{map_h}·({sizes}·{ratios}) = {map_w * map_h}·{sizes * ratios} = {answer}"
    return Question(prompt=text, answer=answer, kind="integer", tolerance=0, hint=hint, solution=solution)
