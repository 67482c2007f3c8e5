"""Exercises of the lessons whose widgets are in app.web.widgets.tasks_segmentation: each builds a Question from a seeded
random generator and the same computations the widgets use."""

import random

from markupsafe import Markup, escape

from app.compute.lessons import cv_tasks, datasets
from app.compute.nets import fcn
from app.compute.ops import segmentation_metrics as sm
from app.web.format import decimal, grouped
from app.web.widgets.registry import Question, exercise
from app.web.widgets.tasks_segmentation import TOY_SYMBOLS, _quantity, _t, _toy_names
from app.web.i18n import translate


def _choice_question(rng: random.Random, right: str, wrong: list[str]) -> tuple[tuple, str]:
    options = [right, *wrong]
    rng.shuffle(options)
    keys = "abcdefgh"
    return tuple((keys[n], text) for n, text in enumerate(options)), keys[options.index(right)]


LECTURE_TASKS = [t for t in cv_tasks.TASKS if t.in_lecture_table]


@exercise("cvt-task-from-output")
def cvt_task_from_output(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(LECTURE_TASKS)
    others = [t.names[lang] for t in LECTURE_TASKS if t is not task]
    choices, answer = _choice_question(rng, task.names[lang], others)
    text = translate(lang, "ex_cvt_task_from_output_text", task_descriptions_en=task.descriptions['en'],
        task_descriptions_ru=task.descriptions['ru'])
    hint = translate(lang, "ex_cvt_task_from_output_hint")
    solution = translate(lang, "ex_cvt_task_from_output_solution", task_names_en=task.names['en'],
        task_lecture_output_en=task.lecture_output['en'], task_names_ru=task.names['ru'],
        task_lecture_output_ru=task.lecture_output['ru'])
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)




def _metric_short(lang: str, task: str) -> str:
    """The short name of a task's metric, used as a choice."""
    return translate(lang, f"ex_metric_short_{task.replace('-', '_')}")


@exercise("cvt-metric")
def cvt_metric(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(LECTURE_TASKS)
    others = [_metric_short(lang, t.key) for t in LECTURE_TASKS if t is not task]
    choices, answer = _choice_question(rng, _metric_short(lang, task.key), rng.sample(others, 3))
    text = translate(lang, "ex_cvt_metric_text", task_names_en_lower=task.names['en'].lower(),
        task_names_ru=task.names['ru'])
    hint = translate(lang, "ex_cvt_metric_hint")
    blank = task.lecture_metric is None
    solution = translate(lang, "ex_cvt_metric_solution_a", task_metric_en=task.metric['en'], task_metric_ru=task.metric['ru']) + (translate(lang, "ex_cvt_metric_solution_b_yes") if blank else '')
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)


@exercise("cvt-answer-size")
def cvt_answer_size(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(["localization", "detection", "semantic-segmentation", "instance-segmentation", "keypoints"])
    height, width = rng.choice([(4, 6), (6, 8), (8, 8), (10, 12), (24, 32), (48, 64)])
    objects = rng.randint(2, 6)
    keypoints = rng.choice([14, 17])  # DeepPose's FLIC/LSP joints, COCO's 17
    size = cv_tasks.answer_size(task, height, width, objects, keypoints)
    name = cv_tasks.BY_KEY[task].names[lang]
    rule = translate(lang, "ex_cvt_answer_size_rule")
    if task in ("localization", "semantic-segmentation"):
        scene = translate(lang, "ex_cvt_answer_size_scene", height=height, width=width)
    elif task == "keypoints":
        scene = translate(lang, "ex_cvt_answer_size_scene_2", height=height, width=width, objects=objects,
            keypoints=keypoints)
    else:
        scene = translate(lang, "ex_cvt_answer_size_scene_3", height=height, width=width, objects=objects)
    text = translate(lang, "ex_cvt_answer_size_text", name_lower=name.lower(), scene=scene, rule=rule)
    hint = translate(lang, "ex_cvt_answer_size_hint")
    formula = " × ".join(str(v) for v in size["terms"])
    return Question(prompt=text, answer=size["numbers"], kind="integer", hint=hint, tolerance=0,
                    solution=f"{formula} = {size['numbers']}")


def _symbol_grid(labels) -> Markup:
    rows = "".join("<tr>" + "".join(f'<td class="ts-c{v}">{TOY_SYMBOLS[v]}</td>' for v in row) + "</tr>" for row in labels)
    return Markup(f'<table class="num-grid ts-toy">{rows}</table>')


def _legend(lang: str) -> str:
    return ", ".join(f"{s} {n}" for s, n in zip(TOY_SYMBOLS, _toy_names(lang)))


@exercise("seg-class-iou")
def seg_class_iou(rng: random.Random, lang: str, params: dict) -> Question:
    seed = rng.randrange(10_000)
    truth = sm.toy_scene(seed, 6)
    change = rng.choice(["shift", "erode", "dilate", "noise"])
    pred = sm.corrupt(truth, change, 1, seed)
    scores = sm.segmentation_scores(truth, pred, sm.TOY_CLASSES)
    candidates = [c for c in scores["classes"] if c["index"] != 0 and c["truth"] > 0]
    target = rng.choice(candidates)
    name = f"{TOY_SYMBOLS[target['index']]} {_toy_names(lang)[target['index']]}"
    text = translate(lang, "ex_seg_class_iou_text", legend_en=_legend('en'), name=name, legend_ru=_legend('ru'))
    heads = (translate(lang, "seg_truth"), translate(lang, "seg_prediction"))
    prompt, figure = text, Markup(f"<div class=\"grids\"><div class=\"grid-box\"><h4>{heads[0]}</h4>{_symbol_grid(truth)}</div>"
                    f"<div class=\"grid-box\"><h4>{heads[1]}</h4>{_symbol_grid(pred)}</div></div>")
    hint = translate(lang, "ex_seg_class_iou_hint")
    solution = translate(lang, "ex_seg_class_iou_solution", target_truth=target['truth'],
        target_predicted=target['predicted'], target_intersection=target['intersection'], target_union=target['union'],
        target_iou=target['iou'], decimal_target_iou_ru_3=decimal(target['iou'], 'ru', 3))
    return Question(prompt=prompt, figure=figure, answer=target["iou"], kind="number", hint=hint, solution=solution,
                    tolerance=0.006)


@exercise("seg-mean-iou")
def seg_mean_iou(rng: random.Random, lang: str, params: dict) -> Question:
    names = _toy_names(lang)
    seed, size = rng.randrange(10_000), rng.choice([12, 14, 16])
    truth = sm.toy_scene(seed, size)
    pred = sm.corrupt(truth, rng.choice(["shift", "erode", "dilate", "noise"]), rng.choice([1, 2]), seed)
    with_background = rng.random() < 0.5
    scores = sm.segmentation_scores(truth, pred, sm.TOY_CLASSES, include_background=with_background)
    rows = [(c["index"], c["truth"], c["predicted"], c["intersection"]) for c in scores["classes"]]
    answer = scores["mean_iou"]
    table = "".join(f"<tr><th scope=\"row\">{TOY_SYMBOLS[k]} {escape(names[k])}</th><td>{t}</td><td>{p}</td><td>{i}</td></tr>"
                    for k, t, p, i in rows)
    heads = [translate(lang, key) for key in ("field_label", "ex_seg_mean_iou_heads_2", "ex_seg_mean_iou_heads_3",
                                              "ex_seg_mean_iou_heads_4")]
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in heads)
    objects = sm.TOY_CLASSES - 1
    which = (translate(lang, "ex_seg_mean_iou_which_yes") if with_background else translate(lang, "ex_seg_mean_iou_which_no", objects=objects))
    text = translate(lang, "ex_seg_mean_iou_text", which=which)
    prompt, figure = text, Markup(f"<div class=\"ts-scroll\"><table class=\"ts-counts\"><thead><tr>{head}</tr></thead>"
                    f"<tbody>{table}</tbody></table></div>")
    hint = translate(lang, "ex_seg_mean_iou_hint")
    parts = [f"{i}/({t}+{p}−{i}) = {i / (t + p - i):.3f}" for k, t, p, i in rows if k in scores["counted"]]
    solution = "; ".join(parts) + f"; {'mean' if lang == 'en' else 'среднее'} = {answer:.3f}"
    return Question(prompt=prompt, figure=figure, answer=answer, kind="number", hint=hint, solution=solution, tolerance=0.006)


@exercise("seg-fcn-shape")
def seg_fcn_shape(rng: random.Random, lang: str, params: dict) -> Question:
    height = rng.choice([224, 256, 320, 384, 448, 480, 500, 512, 600, 640])
    width = rng.choice([224, 256, 320, 375, 384, 448, 500, 512, 640, 800])
    map_h, map_w = fcn.vgg_score_map(height, width)
    text = translate(lang, "ex_seg_fcn_shape_text", height=height, width=width)
    hint = translate(lang, "ex_seg_fcn_shape_hint")

    def steps(side):
        out = [side]
        for _ in range(5):
            out.append(out[-1] // 2)
        return " → ".join(str(v) for v in out) + f" → {out[-1]} − 7 + 1 = {out[-1] - 6}"

    solution = f"{steps(height)}; {steps(width)} → {map_h}×{map_w}"
    return Question(prompt=text, answer=(map_h, map_w), kind="shape", hint=hint, solution=solution)


def _dataset_pick(rng: random.Random) -> datasets.Dataset:
    return rng.choice(list(datasets.DATASETS.values()))


@exercise("ds-total-objects")
def ds_total_objects(rng: random.Random, lang: str, params: dict) -> Question:
    if rng.random() < 0.5:
        d = _dataset_pick(rng)
        name = translate(lang, "ex_ds_total_objects_name", d_name=d.name)
        images, mean = d.images, d.mean_objects
    else:
        name = translate(lang, "ex_ds_total_objects_name_2")
        images, mean = rng.choice([5_000, 12_000, 30_000, 64_000, 250_000]), rng.choice([1.5, 2.5, 3.2, 4.8, 6.5])
    answer = round(images * mean)
    text = translate(lang, "ex_ds_total_objects_text", name=name, images=images, mean=mean,
        grouped_images_ru=grouped(images, 'ru'), decimal_mean_ru_1=decimal(mean, 'ru', 1))
    hint = translate(lang, "ex_ds_total_objects_hint")
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, tolerance=0,
                    solution=f"{grouped(images, lang)} × {decimal(mean, lang, 1)} = {grouped(answer, lang)}")


@exercise("ds-per-class")
def ds_per_class(rng: random.Random, lang: str, params: dict) -> Question:
    d = _dataset_pick(rng)
    derived = datasets.derived(d.key)
    objects = rng.random() < 0.5
    answer = derived["objects_per_class"] if objects else derived["images_per_class"]
    text = translate(lang, "ex_ds_per_class_text_" + ("objects" if objects else "images"), d_name=d.name,
                     d_classes=d.classes, d_images_text=d.images_text, d_mean_objects=d.mean_objects,
                     v5=decimal(d.mean_objects, "ru", 1))
    hint = translate(lang, "ex_ds_per_class_hint")
    if objects:
        solution = f"{grouped(d.images, lang)} × {decimal(d.mean_objects, lang, 1)} / {d.classes} = {decimal(answer, lang, 0)}"
    else:
        solution = f"{grouped(d.images, lang)} / {d.classes} = {decimal(answer, lang, 0)}"
    return Question(prompt=text, answer=answer, kind="number", hint=hint, solution=solution)


@exercise("ds-eval-detections")
def ds_eval_detections(rng: random.Random, lang: str, params: dict) -> Question:
    images = rng.choice([datasets.COCO_2014["val_images"], 5_000, 10_000, 20_000])
    per_image = rng.choice([10, 50, 100])
    answer = images * per_image
    text = translate(lang, "ex_ds_eval_detections_text", images=images, per_image=per_image,
        grouped_images_ru=grouped(images, 'ru'))
    hint = translate(lang, "ex_ds_eval_detections_hint")
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, tolerance=0,
                    solution=f"{grouped(images, lang)} × {per_image} = {grouped(answer, lang)}")


@exercise("ds-which")
def ds_which(rng: random.Random, lang: str, params: dict) -> Question:
    quantity = rng.choice(["mean_objects", "images_per_class", "objects_per_class", "objects"])
    most = rng.random() < 0.5
    rows = [datasets.derived(key) for key in datasets.DATASETS]
    pick = (max if most else min)(rows, key=lambda d: d[quantity])
    choices, answer = _choice_question(rng, pick["name"], [d["name"] for d in rows if d is not pick])
    label = _t(lang, f"ds_q_{quantity}").lower()
    text = translate(lang, "ex_ds_which_text", most_if_most_else_fewest='most' if most else 'fewest', label=label,
        if_most_else='больше всего' if most else 'меньше всего')
    hint = translate(lang, "ex_ds_which_hint")
    solution = "; ".join(f"{d['name']}: {_quantity(quantity, d[quantity], lang)}" for d in rows)
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)

