"""Exercises of the lessons whose widgets are in app.web.widgets.localization_detection: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

from markupsafe import Markup, escape

from app.compute.lessons import detection_eval, localization, rcnn_history
from app.compute.ops import metrics
from app.web.format import decimal
from app.web.widgets.registry import Question, exercise
from app.web.i18n import translate


# ---- exercises ----------------------------------------------------------------------------------


def _nice_box(rng: random.Random, low: int = 0, high: int = 12) -> list[int]:
    x1, y1 = rng.randint(low, high - 4), rng.randint(low, high - 4)
    return [x1, y1, x1 + rng.randint(2, 6), y1 + rng.randint(2, 6)]


@exercise("loc-iou-boxes")
def loc_iou_boxes(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        a, b = _nice_box(rng), _nice_box(rng)
        result = metrics.iou(a, b)
        if 0.05 < result["iou"] < 0.95:
            break
    ia, ib = result["intersection"], result["union"]
    text = translate(lang, "ex_loc_iou_boxes_text", a=a, b=b)
    hint = translate(lang, "ex_loc_iou_boxes_hint")
    area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
    ox, oy = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
    solution = (f"I = {max(ox, 0)}·{max(oy, 0)} = {ia:g}; U = {area_a} + {area_b} − {ia:g} = {ib:g}; "
                f"IoU = {ia:g}/{ib:g} = {decimal(result['iou'], lang, 3)}")
    return Question(prompt=text, answer=round(result["iou"], 3), kind="number", hint=hint, solution=solution,
                    tolerance=0.002)


@exercise("loc-imagenet-rule")
def loc_imagenet_rule(rng: random.Random, lang: str, params: dict) -> Question:
    truth = [20, 20, 60, 60]
    classes = ["espresso", "cup", "coffee mug", "eggnog", "soup bowl"]
    # Decide first which guess (if any) should be the correct one, then build boxes and labels around it.
    target = rng.choice([None, 0, 1, 2, 3, 4])
    while True:
        guesses = []
        for n in range(5):
            box = [truth[0] + rng.choice([-12, -6, 0, 6, 12]), truth[1] + rng.choice([-12, -6, 0, 6, 12]),
                   truth[2] + rng.choice([-12, -6, 0, 6, 12, 20]), truth[3] + rng.choice([-12, -6, 0, 6, 12, 20])]
            label = rng.choice(classes)
            guesses.append({"label": label, "box": box})
        judged = localization.imagenet_rule("espresso", truth, guesses)
        correct = [g["correct"] for g in judged["guesses"]]
        if (target is None and not any(correct)) or (target is not None and correct.count(True) == 1 and correct[target]):
            near_misses = sum(g["label_ok"] != g["box_ok"] for g in judged["guesses"])
            if near_misses >= 2:
                break
    keys = "abcdef"
    choices = tuple((keys[n], translate(lang, "ex_loc_imagenet_rule_text_3", n_1=n + 1)) for n in range(5)) + \
        ((keys[5], translate(lang, "ex_loc_imagenet_rule_text_2")),)
    answer = keys[5] if target is None else keys[target]
    head = (translate(lang, "ex_loc_imagenet_rule_head_1"), translate(lang, "field_label"), translate(lang, "ex_loc_imagenet_rule_head_3"))
    table = "".join(f"<tr><td>{n + 1}</td><td>{escape(g['label'])}</td><td>{g['box']}</td></tr>"
                    for n, g in enumerate(guesses))
    text = translate(lang, "ex_loc_imagenet_rule_text", truth=truth)
    prompt, figure = text, Markup(f"<table class=\"ld-small-table\"><thead><tr><th>{head[0]}</th><th>{head[1]}</th>"
                    f"<th>{head[2]}</th></tr></thead><tbody>{table}</tbody></table>")
    hint = translate(lang, "ex_loc_imagenet_rule_hint")
    lines = []
    for n, g in enumerate(judged["guesses"], start=1):
        mark = "✓" if g["correct"] else "✗"
        lines.append(f"{n}: {g['label']}, IoU = {decimal(g['iou'], lang, 3)} {mark}")
    return Question(prompt=prompt, figure=figure, answer=answer, kind="choice", choices=choices, hint=hint,
                    solution="; ".join(lines))


@exercise("loc-head-size")
def loc_head_size(rng: random.Random, lang: str, params: dict) -> Question:
    features = rng.choice([512, 1024, 2048, 4096])
    classes = rng.choice([10, 20, 80, 100, 200, 1000])
    ask = rng.choice(["outputs", "params", "agnostic"])
    sizes = localization.head_sizes(features, classes)
    if ask == "outputs":
        answer = sizes["specific"]["outputs"]
        q = translate(lang, "ex_loc_head_size_q", classes=classes)
        solution = f"4·C = 4·{classes} = {answer}"
    elif ask == "params":
        answer = sizes["specific"]["params"]
        q = translate(lang, "ex_loc_head_size_q_2", features=features, classes=classes)
        solution = f"{features}·4·{classes} + 4·{classes} = {answer}"
    else:
        answer = sizes["agnostic"]["params"]
        q = translate(lang, "ex_loc_head_size_q_3", features=features, classes=classes)
        solution = f"{features}·4 + 4 = {answer}"
    hint = translate(lang, "ex_loc_head_size_hint")
    return Question(prompt=q, answer=answer, kind="integer", hint=hint, solution=solution)


@exercise("loc-l2-loss")
def loc_l2_loss(rng: random.Random, lang: str, params: dict) -> Question:
    truth = [rng.randint(0, 10), rng.randint(0, 10), rng.randint(4, 9), rng.randint(4, 9)]  # x, y, w, h
    pred = [v + rng.randint(-3, 3) for v in truth]
    pred[2], pred[3] = max(pred[2], 1), max(pred[3], 1)
    as_xyxy = lambda b: [b[0], b[1], b[0] + b[2], b[1] + b[3]]  # noqa: E731
    loss = localization.l2_loss(as_xyxy(pred), as_xyxy(truth), "xywh")
    text = translate(lang, "ex_loc_l2_loss_text", tuple_pred=tuple(pred), tuple_truth=tuple(truth))
    hint = translate(lang, "ex_loc_l2_loss_hint")
    parts = " + ".join(f"({p} − {t})²" for p, t in zip(pred, truth))
    solution = f"{parts} = {' + '.join(f'{s:g}' for s in loss['squares'])} = {loss['loss']:g}"
    return Question(prompt=text, answer=loss["loss"], kind="number", hint=hint, solution=solution)


def _ranked_list(rng: random.Random, length: int) -> tuple[list[int], int]:
    """TP/FP flags of a ranked list (1 = TP) and the number of ground-truth objects (at least the TPs)."""
    while True:
        flags = [rng.random() < 0.55 for _ in range(length)]
        if any(flags) and not all(flags):
            break
    return [int(f) for f in flags], sum(flags) + rng.choice([0, 0, 1, 2])


def _flags_to_boxes(flags: list[int], npos: int) -> tuple[list[dict], list[dict]]:
    """A detection set that produces exactly these TP/FP flags, for metrics.average_precision."""
    truth = [{"image": "x", "label": "obj", "box": [10 * j, 0, 10 * j + 5, 5]} for j in range(npos)]
    found, next_truth = [], 0
    for rank, tp in enumerate(flags):
        if tp:
            box = truth[next_truth]["box"]
            next_truth += 1
        else:
            box = [1000 + 10 * rank, 0, 1005 + 10 * rank, 5]
        found.append({"image": "x", "label": "obj", "box": box, "score": 1 - rank / 100})
    return truth, found


def _flags_text(flags: list[int]) -> str:
    return ", ".join("TP" if f else "FP" for f in flags)


@exercise("det-precision-recall")
def det_precision_recall(rng: random.Random, lang: str, params: dict) -> Question:
    flags, npos = _ranked_list(rng, rng.randint(5, 8))
    k = rng.randint(2, len(flags))
    ask = rng.choice(["precision", "recall"])
    truth, found = _flags_to_boxes(flags, npos)
    result = metrics.average_precision(truth, found)["per_class"]["obj"]
    value = result[ask][k - 1]
    hits = sum(flags[:k])
    name = translate(lang, f"ex_det_name_{ask}")
    text = translate(lang, "ex_det_precision_recall_text", npos=npos, flags_text_flags=_flags_text(flags), name=name,
        k=k)
    hint = translate(lang, "ex_det_precision_recall_hint")
    solution = f"TP = {hits}; " + (f"{hits}/{k}" if ask == "precision" else f"{hits}/{npos}") + f" = {decimal(value, lang, 3)}"
    return Question(prompt=text, answer=round(value, 3), kind="number", hint=hint, solution=solution,
                    tolerance=0.002)


@exercise("det-average-precision")
def det_average_precision(rng: random.Random, lang: str, params: dict) -> Question:
    flags, npos = _ranked_list(rng, rng.randint(4, 6))
    truth, found = _flags_to_boxes(flags, npos)
    result = metrics.average_precision(truth, found, method="all-points")["per_class"]["obj"]
    text = translate(lang, "ex_det_average_precision_text", npos=npos, flags_text_flags=_flags_text(flags))
    hint = translate(lang, "ex_det_average_precision_hint")
    steps = []
    envelope = detection_eval.envelope(result["precision"])
    for i, tp in enumerate(flags):
        if tp:
            steps.append(f"1/{npos}·{decimal(envelope[i], lang, 3)}")
    solution = " + ".join(steps) + f" = {decimal(result['ap'], lang, 3)}"
    return Question(prompt=text, answer=round(result["ap"], 3), kind="number", hint=hint, solution=solution,
                    tolerance=0.002)


QUIZ = ("spp-net", "faster-rcnn", "fast-rcnn", "rcnn", "selective-search")  # method ids; each question is ex_rcnn_quiz_<id>


@exercise("det-rcnn-family")
def det_rcnn_family(rng: random.Random, lang: str, params: dict) -> Question:
    key = rng.choice(QUIZ)
    methods = list(rcnn_history.METHODS)
    rng.shuffle(methods)
    keys = "abcde"
    choices = tuple((keys[n], f"{m.name} ({m.year})") for n, m in enumerate(methods))
    answer = keys[[m.key for m in methods].index(key)]
    right = rcnn_history.by_key()[key]
    hint = translate(lang, "ex_det_rcnn_family_hint")
    return Question(prompt=translate(lang, f"ex_rcnn_quiz_{key.replace('-', '_')}"), answer=answer, kind="choice", choices=choices, hint=hint,
                    solution=f"{right.name} ({right.authors}, {right.venue}): {right.changed[lang]}")
