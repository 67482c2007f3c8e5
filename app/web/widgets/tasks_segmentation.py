"""Widgets and exercises of lessons 12, 15 and 16: the computer-vision tasks on one photo, semantic and
instance segmentation with per-class IoU and the FCN idea, and the detection datasets' numbers.

Live model output is never computed while a page renders: the page says which models have their
weights, and static/js/tasks-segmentation.js asks the JSON API (and so the server's queue) for
predictions. A model without weights gets a plain note with the command that fetches them.
"""

import math
import random

import plotly.graph_objects as go
from markupsafe import Markup, escape

from app.compute import cv_tasks, datasets, fcn, registry, samples
from app.compute import segmentation_metrics as sm
from app.compute.errors import InputError
from app.settings import get_settings
from app.web.charts import PALETTE, figure_json
from app.web.i18n import translate
from app.web.format import decimal, grouped
from app.web.widgets.registry import Question, WidgetContext, exercise, widget

CSS = "tasks-segmentation.css"
SCRIPTS = ("photo-input.js", "tasks-segmentation.js")
PHOTO_TASKS = ("classification", "detection", "semantic-segmentation", "instance-segmentation", "keypoints")
SEMANTIC_MODELS = ("lraspp_mobilenet_v3_large", "fcn_resnet50")
INSTANCE_MODEL = "maskrcnn_resnet50_fpn"


def _sci(value: float, lang: str) -> str:
    """A tiny difference such as 1.5e-08, written 1.5·10⁻⁸."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.1e}".split("e")
    superscript = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{mantissa.replace('.', ',') if lang == 'ru' else mantissa}·10{superscript}"


def _shape(shape) -> str:
    return "×".join(str(v) for v in shape)


def _t(lang: str, key: str, **values) -> str:
    return translate(lang, key, **values)


# ---------------------------------------------------------------------------------------------
# Shared: which models have weights, and lessons that exist.

def _panel(ctx: WidgetContext, task: cv_tasks.Task, model: str) -> dict:
    """One model's panel: whether its weights file is there (not loaded, not hashed) and how to fetch it."""
    spec = registry.MODELS[model]
    weights_dir = ctx.weights_dir or str(get_settings().weights_dir)
    return {"task": task.key, "name": task.names[ctx.lang], "model": model, "title": spec.title,
            "present": registry.weights_path(spec, weights_dir).is_file(),
            "fetch": registry.FETCH_COMMAND.format(name=model), "output": task.descriptions[ctx.lang]}


JS_TEXT = ("top5", "none", "classes", "objects", "people", "upload", "failed", "background", "joints")


def _real_labels(model: str) -> int:
    """Classes a model tells apart, without torchvision's placeholders ("__background__", "N/A")."""
    return sum(label not in ("__background__", "N/A") for label in registry.MODELS[model].labels)


def _photo_data(ctx: WidgetContext, panels: list[dict]) -> dict:
    sample = ctx.choice("sample", "astronaut", tuple(samples.SAMPLES))
    present = [p["model"] for p in panels if p["present"]]
    missing = [p["model"] for p in panels if not p["present"]]
    ordered = [sample, *(key for key in samples.SAMPLES if key != sample)]
    return {
        "sample": sample, "panels": panels,
        "photo_samples": [(key, samples.SAMPLES[key].captions[ctx.lang]) for key in ordered],
        "driver": present[0] if present else None,
        "models": [{"model": p["model"], "task": p["task"], "present": p["present"]} for p in panels],
        # One command for everything missing here: `stride weights fetch` takes several names.
        "fetch_all": registry.FETCH_COMMAND.format(name=" ".join(missing)) if missing else None,
        "missing_count": len(missing), "panel_count": len(panels),
        "credit": samples.SAMPLES[sample].credit,
        "credits": {key: _t(ctx.lang, "photo_credit", credit=s.credit) for key, s in samples.SAMPLES.items()},
        "js_text": {key: _t(ctx.lang, f"ts_js_{key}") for key in JS_TEXT},
    }


def _lesson_links(slugs, lang: str) -> list[dict]:
    """Links to the lessons that exist (number from their file name); others as plain text."""
    folder = get_settings().lessons_dir / lang
    links = []
    for slug in slugs:
        found = sorted(folder.glob(f"[0-9][0-9]-{slug}.md")) if folder.is_dir() else []
        number = int(found[0].name[:2]) if found else None
        links.append({"slug": slug, "number": number, "href": f"/{lang}/lessons/{slug}" if found else None})
    return links


# ---------------------------------------------------------------------------------------------
# Lesson 12: the table of tasks, and the five tasks on one photo.

@widget("cv-tasks-table", params=("height", "width", "objects"), styles=(CSS,))
def build_cv_tasks_table(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    height = ctx.integer("height", 480, 1, cv_tasks.MAX_SIDE)
    width = ctx.integer("width", 640, 1, cv_tasks.MAX_SIDE)
    objects = ctx.integer("objects", 3, 0, cv_tasks.MAX_OBJECTS)
    keypoints = len(registry.MODELS["keypointrcnn_resnet50_fpn"].weights.meta["keypoint_names"])
    rows = []
    for task in cv_tasks.TASKS:
        size = cv_tasks.answer_size(task.key, height, width, objects, keypoints)
        rows.append({
            "key": task.key, "name": task.names[lang], "description": task.descriptions[lang],
            "in_table": task.in_lecture_table,
            "lecture_output": task.lecture_output[lang] if task.lecture_output else None,
            "lecture_output_ru": task.lecture_output["ru"] if task.lecture_output else None,
            "lecture_metric": task.lecture_metric[lang] if task.lecture_metric else None,
            "lecture_metric_ru": task.lecture_metric["ru"] if task.lecture_metric else None,
            "metric": task.metric[lang], "lessons": _lesson_links(task.metric_lessons, lang),
            "numbers": grouped(size["numbers"], lang),
            "formula": " × ".join(grouped(v, lang) for v in size["terms"]),
        })
    return {"rows": rows, "height": height, "width": width, "objects": objects, "keypoints": keypoints,
            "source": cv_tasks.LECTURE, "pose_source": cv_tasks.POSE_SOURCE}


@widget("cv-tasks-photo", params=("sample",), scripts=SCRIPTS, styles=(CSS,))
def build_cv_tasks_photo(ctx: WidgetContext) -> dict:
    panels = [_panel(ctx, cv_tasks.BY_KEY[key], cv_tasks.BY_KEY[key].model) for key in PHOTO_TASKS]
    return _photo_data(ctx, panels)


# ---------------------------------------------------------------------------------------------
# Lesson 15: semantic against instance masks, per-class IoU, and the FCN idea.

@widget("seg-live", params=("sample", "semantic"), scripts=SCRIPTS, styles=(CSS,))
def build_seg_live(ctx: WidgetContext) -> dict:
    semantic = ctx.choice("semantic", SEMANTIC_MODELS[0], SEMANTIC_MODELS)
    panels = [_panel(ctx, cv_tasks.BY_KEY["semantic-segmentation"], semantic),
              _panel(ctx, cv_tasks.BY_KEY["instance-segmentation"], INSTANCE_MODEL)]
    data = _photo_data(ctx, panels)
    data["semantic"] = semantic
    data["semantic_models"] = [(name, registry.MODELS[name].title) for name in SEMANTIC_MODELS]
    data["semantic_labels"] = _real_labels(semantic)
    data["instance_labels"] = _real_labels(INSTANCE_MODEL)
    return data


TOY_SYMBOLS = ("·", "■", "●", "▲")  # background, car, cat, person: a shape as well as a colour
TOY_KEYS = ("background", "car", "cat", "person")


def _toy_names(lang: str) -> list[str]:
    return [_t(lang, f"seg_class_{key}") for key in TOY_KEYS]


@widget("seg-iou", params=("scene", "size", "change", "amount", "pred", "brush", "background"),
        scripts=("tasks-segmentation.js",), styles=(CSS,))
def build_seg_iou(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    scene = ctx.integer("scene", 3, 0, 999)
    size = ctx.integer("size", 10, 6, 16)
    change = ctx.choice("change", "shift", sm.CHANGES)
    amount = ctx.integer("amount", 1, 1, 3)
    brush = ctx.integer("brush", 1, 0, sm.TOY_CLASSES - 1)
    background = ctx.choice("background", "yes", ("yes", "no"))
    truth = sm.toy_scene(scene, size)
    painted = ctx.raw("pred", "").strip()
    if painted:
        pred = sm.parse_label_map(painted, sm.TOY_CLASSES, "prediction")
        if pred.shape != truth.shape:
            raise InputError(
                en=f"The painted prediction is {pred.shape[0]}×{pred.shape[1]} but the grid is {size}×{size}; "
                   "reset the painting.",
                ru=f"Нарисованное предсказание размером {pred.shape[0]}×{pred.shape[1]}, а сетка {size}×{size}; "
                   "сбросьте рисунок.",
            )
    else:
        pred = sm.corrupt(truth, change, amount, scene)
    scores = sm.segmentation_scores(truth, pred, sm.TOY_CLASSES, include_background=background == "yes")
    names = _toy_names(lang)
    classes = []
    for c in scores["classes"]:
        iou = c["iou"]
        classes.append({
            **c, "name": names[c["index"]], "symbol": TOY_SYMBOLS[c["index"]],
            "iou_text": decimal(iou, lang, 3) if iou is not None else None,
            "counted": c["index"] in scores["counted"],
        })
    counted = [c for c in classes if c["counted"]]
    mean = scores["mean_iou"]
    return {
        "scene": scene, "size": size, "change": change, "amount": amount, "brush": brush, "background": background,
        "painted": bool(painted), "pred_text": sm.format_label_map(pred),
        "truth": truth.tolist(), "pred": pred.tolist(), "symbols": TOY_SYMBOLS, "names": names,
        "changes": [(key, _t(lang, f"seg_change_{key}")) for key in sm.CHANGES],
        "brushes": [(str(i), f"{TOY_SYMBOLS[i]} {names[i]}") for i in range(sm.TOY_CLASSES)],
        "classes": classes,
        "mean_iou": decimal(mean, lang, 3) if mean is not None else None,
        "mean_sum": " + ".join(c["iou_text"] for c in counted),
        "mean_count": len(counted),
        "pixel_accuracy": decimal(scores["pixel_accuracy"], lang, 3),
        "correct": scores["correct"], "total": scores["total"],
    }


@widget("seg-fcn", params=("height", "width"), styles=(CSS,))
def build_seg_fcn(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    height = ctx.integer("height", 64, fcn.TRAIN_SIDE, fcn.MAX_SIDE)
    width = ctx.integer("width", 48, fcn.TRAIN_SIDE, fcn.MAX_SIDE)
    demo = fcn.fcn_demo(height, width)
    columns = (demo["classifier"]["small"], demo["classifier"]["large"], demo["fcn"]["small"], demo["fcn"]["large"])
    rows = []
    # The FCN's layers plus flatten; ReLUs keep the shape, so the table leaves them out (the caption says so).
    for name in (row["name"] for row in demo["classifier"]["small"]["rows"] if not row["name"].startswith("relu")):
        cells = []
        for column in columns:
            found = next((r for r in column["rows"] if r["name"] == name), None)
            error = column["error"] if column["error"] and column["error"]["layer"] == name else None
            cells.append({"shape": _shape(found["shape"]) if found else None, "error": error})
        layer_fc = next((r["layer"] for r in demo["classifier"]["small"]["rows"] if r["name"] == name), "")
        layer_fcn = next((r["layer"] for r in demo["fcn"]["small"]["rows"] if r["name"] == name), "")
        rows.append({"name": name, "layer_fc": layer_fc, "layer_fcn": layer_fcn, "cells": cells,
                     "changed": layer_fc != layer_fcn})
    params = {r["name"]: r["params"] for r in demo["classifier"]["small"]["rows"]}
    params_fcn = {r["name"]: r["params"] for r in demo["fcn"]["small"]["rows"]}
    error = demo["classifier"]["large"]["error"]
    return {
        "height": height, "width": width, "rows": rows, "error": error,
        "score_map": _shape(demo["score_map"]), "map_h": demo["score_map"][1], "map_w": demo["score_map"][2],
        "windows": grouped(demo["windows"], lang), "upsampled": _shape(demo["upsampled"]),
        "same": _sci(demo["same_at_train"], lang), "sliding": _sci(demo["sliding_max_difference"], lang),
        "params": grouped(demo["params"], lang), "params_fcn": grouped(demo["params_fcn"], lang),
        "fc1_params": grouped(params["fc1"], lang), "fc1_params_fcn": grouped(params_fcn["fc1"], lang),
        "stride": demo["stride"], "train": demo["train_side"], "feature": demo["feature_side"],
        "classes": demo["classes"],
        "code": _fcn_code(demo),
    }


def _fcn_code(demo: dict) -> str:
    k, c, h, w = demo["feature_side"], demo["classes"], demo["height"], demo["width"]
    return (
        "import torch.nn.functional as F\n"
        "from torch import nn\n\n"
        f"fc1 = classifier.fc1                       # Linear(16·{k}·{k} = {16 * k * k} → 120)\n"
        f"conv1 = nn.Conv2d(16, 120, kernel_size={k})  # 120 filters of 16×{k}×{k}: the same weights\n"
        f"conv1.weight.data = fc1.weight.data.view(120, 16, {k}, {k})\n"
        "conv1.bias.data = fc1.bias.data\n"
        f"fc2 = classifier.fc2                       # Linear(120 → {c})\n"
        f"conv2 = nn.Conv2d(120, {c}, kernel_size=1)\n"
        f"conv2.weight.data = fc2.weight.data.view({c}, 120, 1, 1)\n"
        "conv2.bias.data = fc2.bias.data\n\n"
        f"scores = fcn(x)  # x: (1, 3, {h}, {w}) → (1, {_shape(demo['score_map']).replace('×', ', ')})\n"
        f"masks = F.interpolate(scores, size=({h}, {w}), mode=\"bilinear\")  # (1, {c}, {h}, {w})\n"
    if key == "one_box_recall":
        return "≈\u202f" + decimal(value, lang, 2)
        "labels = masks.argmax(dim=1)  # one class per pixel"
    )


# ---------------------------------------------------------------------------------------------
# Lesson 16: the datasets.

QUANTITY_KEYS = ("classes", "images", "mean_objects", "objects", "images_per_class", "objects_per_class",
                 "detections", "iou_pairs")


def _quantity(key: str, value: float, lang: str) -> str:
    if key == "mean_objects":
        return decimal(value, lang, 1)
    if key in ("classes", "images"):
        return grouped(value, lang)
    return "≈\u202f" + grouped(value, lang)  # derived from the lecture's rounded image counts


@widget("datasets-table", params=("detections",), styles=(CSS,))
def build_datasets_table(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    per_image = ctx.integer("detections", datasets.COCO_MAX_DETECTIONS, 1, datasets.MAX_DETECTIONS)
    columns = [datasets.derived(key, per_image) for key in datasets.DATASETS]
    lecture_rows = []
    for key in ("classes", "images", "mean_objects"):
        cells = []
        for d in columns:
            text = d["images_text"] if key == "images" else _quantity(key, d[key], lang)
    voc = datasets.voc_check()
            cells.append(text)
        lecture_rows.append({"key": key, "label": _t(lang, f"ds_q_{key}"), "cells": cells})
    size_cells = []
    for key in datasets.DATASETS:
        d = datasets.DATASETS[key]
        if d.size_gb is not None:
            size_cells.append({"text": decimal(d.size_gb, lang, 1) + (" GB" if lang == "en" else " ГБ"), "known": True})
        else:
            size_cells.append({"text": d.size_note[lang] if d.size_note else _t(lang, "ds_size_unknown"), "known": False})
    derived_rows = []
    for key in ("objects", "images_per_class", "objects_per_class", "detections", "iou_pairs", "one_box_recall"):
        derived_rows.append({"key": key, "label": _t(lang, f"ds_q_{key}"), "how": _t(lang, f"ds_how_{key}", d=per_image),
                             "cells": [_quantity(key, d[key], lang) for d in columns]})
    bytes_cells = [(grouped(d["bytes_per_image"] / 1000, lang) + (" KB" if lang == "en" else " КБ"))
                   if d["bytes_per_image"] is not None else None for d in columns]
    check = datasets.coco_check()
    return {
        "per_image": per_image, "names": [d["name"] for d in columns], "keys": list(datasets.DATASETS),
        "lecture_rows": lecture_rows, "size_cells": size_cells, "derived_rows": derived_rows,
        "bytes_cells": bytes_cells,
        "remarks": [datasets.DATASETS[key].remarks[lang] for key in datasets.DATASETS],
        "coco": {
            "train": grouped(check["train_images"], lang), "val": grouped(check["val_images"], lang),
            "images": grouped(check["images"], lang), "lecture": datasets.DATASETS["coco2014"].images_text,
        "voc_sources": voc["sources"],
            "difference": grouped(check["difference"], lang), "size": grouped(check["size_gb"], lang),
            "train_gb": grouped(check["train_gb"], lang), "val_gb": grouped(check["val_gb"], lang),
            "per_image": grouped(check["bytes_per_image"] / 1000, lang),
            "voc_per_image": grouped(voc["bytes_per_image"] / 1000, lang) + (" KB" if lang == "en" else " КБ"),
        },
        "voc": {
            "train": grouped(voc["train_images"], lang), "val": grouped(voc["val_images"], lang),
            "images": grouped(voc["images"], lang), "objects": grouped(voc["objects"], lang),
            "mean": decimal(voc["mean_objects"], lang, 2), "lecture": voc["lecture_images_text"],
            "lecture_mean": decimal(voc["lecture_mean_objects"], lang, 1),
            "lecture_objects": grouped(voc["lecture_objects"], lang),
            "voc2012_images": grouped(voc["voc2012_images"], lang), "voc2012_objects": grouped(voc["voc2012_objects"], lang),
            "voc2012_mean": decimal(voc["voc2012_mean_objects"], lang, 2),
            "size": decimal(voc["size_gb"], lang, 1), "per_image": grouped(voc["bytes_per_image"] / 1000, lang),
            "lecture_per_image": grouped(voc["lecture_bytes_per_image"] / 1000, lang),
        },
        "source": datasets.LECTURE, "coco_sources": check["sources"], "coco_max": datasets.COCO_MAX_DETECTIONS,
    }


@widget("datasets-compare", params=("first", "second", "detections", "scale"), charts=True, styles=(CSS,))
def build_datasets_compare(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    keys = tuple(datasets.DATASETS)
    first = ctx.choice("first", "voc2010", keys)
    second = ctx.choice("second", "coco2014", keys)
    per_image = ctx.integer("detections", datasets.COCO_MAX_DETECTIONS, 1, datasets.MAX_DETECTIONS)
    scale = ctx.choice("scale", "log", ("log", "linear"))
    result = datasets.compare(first, second, per_image)
    labels = [_t(lang, f"ds_short_{q}") for q in QUANTITY_KEYS]
    figure = go.Figure()
    for n, (which, pattern) in enumerate((("first", ""), ("second", "/"))):
        d = result[which]
        values = [d[q] for q in QUANTITY_KEYS]
        figure.add_bar(
            name=d["name"], x=labels, y=values, marker={"color": PALETTE[n], "pattern": {"shape": pattern}},
            text=[_quantity(q, d[q], lang).replace("≈\u202f", "") for q in QUANTITY_KEYS], textposition="outside",
            textfont={"size": 10}, cliponaxis=False, hovertemplate="%{x}: %{text}<extra>" + d["name"] + "</extra>",
        )
    largest = max(max(result[w][q] for q in QUANTITY_KEYS) for w in ("first", "second"))
    smallest = min(min(result[w][q] for q in QUANTITY_KEYS) for w in ("first", "second"))
    # Room above the tallest bar for its label; on the log axis, room below the smallest (about 1).
    y_range = ([math.log10(smallest) - 0.3, math.log10(largest) + 0.8] if scale == "log" else [0, largest * 1.15])
    figure.update_layout(
        barmode="group", legend={"orientation": "h", "y": 1.12}, margin={"t": 60, "l": 80},
        yaxis={"type": scale, "range": y_range, "title": {"text": _t(lang, "ds_axis_log" if scale == "log" else "ds_axis")}},
    )
    rows = []
    for q, label in zip(QUANTITY_KEYS, labels):
        ratio = result["ratios"][q]
        rows.append({"key": q, "label": label, "first": _quantity(q, result["first"][q], lang),
                     "second": _quantity(q, result["second"][q], lang), "ratio": decimal(ratio, lang, 2),
                     "more": ratio > 1, "equal": abs(ratio - 1) < 1e-12})
    options = [(key, d.name) for key, d in datasets.DATASETS.items()]
    return {
        "first": first, "second": second, "per_image": per_image, "scale": scale, "options": options,
        "scales": [("log", _t(lang, "ds_scale_log")), ("linear", _t(lang, "ds_scale_linear"))],
        "first_name": result["first"]["name"], "second_name": result["second"]["name"],
        "rows": rows, "figure": figure_json(figure),
    }


# ---------------------------------------------------------------------------------------------
# Exercises. Each draws its numbers from the seeded `rng` and computes the answer with app.compute.


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
    text = {"en": f"A network answers every image with this: “{task.descriptions['en']}” Which task is it solving?",
            "ru": f"Сеть отвечает на каждое изображение так: «{task.descriptions['ru']}» Какую задачу она решает?"}[lang]
    hint = {"en": "Ask two questions: one object or all of them? A box, or a label for every pixel?",
            "ru": "Задайте два вопроса: один объект или все? Рамка или метка для каждого пикселя?"}[lang]
    solution = {"en": f"{task.names['en']}: the lecture lists its output as “{task.lecture_output['en']}”.",
                "ru": f"{task.names['ru']}: в лекции её выход — «{task.lecture_output['ru']}»."}[lang]
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)


METRIC_SHORT = {
    "classification": {"en": "accuracy (top-1 or top-5)", "ru": "доля верных ответов (top-1 или top-5)"},
    "localization": {"en": "IoU of the predicted and the true box", "ru": "IoU предсказанной и истинной рамок"},
    "detection": {"en": "mAP: AP per class over ranked boxes, averaged", "ru": "mAP: AP по ранжированным рамкам каждого класса, в среднем"},
    "semantic-segmentation": {"en": "per-class IoU of masks and its mean (mIoU)", "ru": "IoU масок по классам и его среднее (mIoU)"},
    "instance-segmentation": {"en": "mask AP: AP with the IoU of masks", "ru": "mask AP: AP с IoU масок"},
}


@exercise("cvt-metric")
def cvt_metric(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(LECTURE_TASKS)
    others = [METRIC_SHORT[t.key][lang] for t in LECTURE_TASKS if t is not task]
    choices, answer = _choice_question(rng, METRIC_SHORT[task.key][lang], rng.sample(others, 3))
    text = {"en": f"Which metric scores {task.names['en'].lower()}?",
            "ru": f"Какой метрикой оценивают задачу «{task.names['ru']}»?"}[lang]
    hint = {"en": "Match the metric to the kind of output: a label, one box, many ranked boxes, or masks.",
            "ru": "Сопоставьте метрику с видом выхода: метка, одна рамка, много рамок с оценками или маски."}[lang]
    blank = task.lecture_metric is None
    solution = {
        "en": f"{task.metric['en']}." + (" The lecture's table leaves this cell blank." if blank else ""),
        "ru": f"{task.metric['ru']}." + (" В таблице лекции эта клетка пустая." if blank else ""),
    }[lang]
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)


@exercise("cvt-answer-size")
def cvt_answer_size(rng: random.Random, lang: str, params: dict) -> Question:
    task = rng.choice(["localization", "detection", "semantic-segmentation", "instance-segmentation", "keypoints"])
    height, width = rng.choice([(4, 6), (6, 8), (8, 8), (10, 12), (24, 32), (48, 64)])
    objects = rng.randint(2, 6)
    keypoints = rng.choice([14, 17])  # DeepPose's FLIC/LSP joints, COCO's 17
    size = cv_tasks.answer_size(task, height, width, objects, keypoints)
    name = cv_tasks.BY_KEY[task].names[lang]
    rule = {"en": "A class label counts as one number, a box as four, a mask as one number per pixel, a joint as two (x, y).",
            "ru": "Метка класса — одно число, рамка — четыре, маска — по числу на пиксель, сустав — два (x, y)."}[lang]
    if task in ("localization", "semantic-segmentation"):
        scene = {"en": f"one {height}×{width} image", "ru": f"одно изображение {height}×{width}"}[lang]
    elif task == "keypoints":
        scene = {"en": f"a {height}×{width} image with {objects} people, {keypoints} joints each",
                 "ru": f"изображение {height}×{width}, на нём {objects} человек, у каждого {keypoints} суставов"}[lang]
    else:
        scene = {"en": f"a {height}×{width} image with {objects} objects",
                 "ru": f"изображение {height}×{width}, на нём {objects} объектов"}[lang]
    text = {"en": f"Task: {name.lower()}, on {scene}. How many numbers does the answer hold? {rule}",
            "ru": f"Задача: {name.lower()}, {scene}. Сколько чисел в ответе? {rule}"}[lang]
    hint = {"en": "Write down what the answer holds for one object (or one pixel), then multiply.",
            "ru": "Запишите, что ответ содержит для одного объекта (или пикселя), и умножьте."}[lang]
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
    text = {"en": f"Ground truth (left) and a prediction (right), one symbol per pixel ({_legend('en')}). "
                  f"What is the IoU of class {name}? Two decimal places are enough.",
            "ru": f"Разметка (слева) и предсказание (справа), один символ на пиксель ({_legend('ru')}). "
                  f"Чему равен IoU класса {name}? Достаточно двух знаков после запятой."}[lang]
    heads = {"en": ("Ground truth", "Prediction"), "ru": ("Разметка", "Предсказание")}[lang]
    prompt, figure = text, Markup(f"<div class=\"grids\"><div class=\"grid-box\"><h4>{heads[0]}</h4>{_symbol_grid(truth)}</div>"
                    f"<div class=\"grid-box\"><h4>{heads[1]}</h4>{_symbol_grid(pred)}</div></div>")
    hint = {"en": "Count the pixels with the symbol in both grids (intersection) and in either grid (union); divide.",
            "ru": "Сосчитайте пиксели, где символ стоит в обеих сетках (пересечение) и хотя бы в одной (объединение); разделите."}[lang]
    solution = {"en": f"In the truth {target['truth']}, in the prediction {target['predicted']}, in both "
                      f"{target['intersection']}; union {target['truth']} + {target['predicted']} − {target['intersection']} "
                      f"= {target['union']}; IoU = {target['intersection']} / {target['union']} = {target['iou']:.3f}",
                "ru": f"В разметке {target['truth']}, в предсказании {target['predicted']}, в обеих {target['intersection']}; "
                      f"объединение {target['truth']} + {target['predicted']} − {target['intersection']} = {target['union']}; "
                      f"IoU = {target['intersection']} / {target['union']} = {decimal(target['iou'], 'ru', 3)}"}[lang]
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
    heads = {"en": ("class", "in truth", "predicted", "in both"),
             "ru": ("класс", "в разметке", "в предсказании", "в обоих")}[lang]
    head = "".join(f"<th scope=\"col\">{h}</th>" for h in heads)
    objects = sm.TOY_CLASSES - 1
    which = {"en": ("including the background" if with_background else f"over the {objects} object classes, without the background"),
             "ru": ("вместе с фоном" if with_background else f"по {objects} классам объектов, без фона")}[lang]
    text = {"en": f"Pixel counts of a segmentation. What is the mean IoU {which}? Two decimal places are enough.",
            "ru": f"Число пикселей в сегментации. Чему равен средний IoU {which}? Достаточно двух знаков после запятой."}[lang]
    prompt, figure = text, Markup(f"<div class=\"ts-scroll\"><table class=\"ts-counts\"><thead><tr>{head}</tr></thead>"
                    f"<tbody>{table}</tbody></table></div>")
    hint = {"en": "For each class: union = truth + predicted − both; IoU = both / union. Then average.",
            "ru": "Для каждого класса: объединение = разметка + предсказание − оба; IoU = оба / объединение. Затем среднее."}[lang]
    parts = [f"{i}/({t}+{p}−{i}) = {i / (t + p - i):.3f}" for k, t, p, i in rows if k in scores["counted"]]
    solution = "; ".join(parts) + f"; {'mean' if lang == 'en' else 'среднее'} = {answer:.3f}"
    return Question(prompt=prompt, figure=figure, answer=answer, kind="number", hint=hint, solution=solution, tolerance=0.006)


@exercise("seg-fcn-shape")
def seg_fcn_shape(rng: random.Random, lang: str, params: dict) -> Question:
    height = rng.choice([224, 256, 320, 384, 448, 480, 500, 512, 600, 640])
    width = rng.choice([224, 256, 320, 375, 384, 448, 500, 512, 640, 800])
    map_h, map_w = fcn.vgg_score_map(height, width)
    text = {"en": f"VGG-16 made fully convolutional (FCN-32s, without its extra input padding): its 3×3 convolutions keep "
                  f"the size, each of its 5 max pools halves it (rounding down), fc6 becomes a 7×7 convolution without "
                  f"padding, fc7 and fc8 become 1×1 convolutions. What is the score map's height × width for a "
                  f"{height}×{width} input?",
            "ru": f"VGG-16, переделанная в полностью свёрточную (FCN-32s, без дополнительного дополнения входа): её свёртки "
                  f"3×3 сохраняют размер, каждый из 5 max pool делит его пополам (с округлением вниз), fc6 становится "
                  f"свёрткой 7×7 без дополнения, fc7 и fc8 — свёртками 1×1. Каков размер карты оценок, высота × ширина, "
                  f"для входа {height}×{width}?"}[lang]
    hint = {"en": "Halve each side five times, rounding down each time; then a 7×7 convolution removes 6.",
            "ru": "Поделите каждую сторону пополам пять раз, каждый раз округляя вниз; свёртка 7×7 затем отнимает 6."}[lang]

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
        name = {"en": f"{d.name} as the lecture gives it", "ru": f"{d.name}, как в лекции"}[lang]
        images, mean = d.images, d.mean_objects
    else:
        name = {"en": "A new dataset", "ru": "Новый набор данных"}[lang]
        images, mean = rng.choice([5_000, 12_000, 30_000, 64_000, 250_000]), rng.choice([1.5, 2.5, 3.2, 4.8, 6.5])
    answer = round(images * mean)
    text = {"en": f"{name}: {images:,} images (train + val), {mean:g} objects per image on average. About how many "
                  f"objects were annotated?",
            "ru": f"{name}: {grouped(images, 'ru')} изображений (train + val), в среднем {decimal(mean, 'ru', 1)} объекта на "
                  f"изображение. Сколько примерно объектов размечено?"}[lang]
    hint = {"en": "Images × mean objects per image.", "ru": "Изображения × среднее число объектов на изображение."}[lang]
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, tolerance=0,
                    solution=f"{grouped(images, lang)} × {decimal(mean, lang, 1)} = {grouped(answer, lang)}")


@exercise("ds-per-class")
def ds_per_class(rng: random.Random, lang: str, params: dict) -> Question:
    d = _dataset_pick(rng)
    derived = datasets.derived(d.key)
    objects = rng.random() < 0.5
    answer = derived["objects_per_class"] if objects else derived["images_per_class"]
    what = {"en": ("objects" if objects else "images"), "ru": ("объектов" if objects else "изображений")}[lang]
    text = {"en": f"{d.name} as the lecture gives it: {d.classes} classes, {d.images_text} images, {d.mean_objects:g} "
                  f"objects per image. On average, how many {what} per class?",
            "ru": f"{d.name}, как в лекции: {d.classes} классов, {d.images_text} изображений, "
                  f"{decimal(d.mean_objects, 'ru', 1)} объекта на изображение. Сколько в среднем {what} на класс?"}[lang]
    hint = {"en": "Divide the total by the number of classes (the total objects are images × objects per image).",
            "ru": "Разделите общее число на число классов (всего объектов = изображения × объекты на изображение)."}[lang]
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
    text = {"en": f"An evaluator scores a detector on {images:,} validation images. The detector keeps its {per_image} "
                  f"best-scoring boxes per image. How many detections must the evaluator rank and match against the "
                  f"true boxes?",
            "ru": f"Оценщик проверяет детектор на {grouped(images, 'ru')} изображениях валидации. Детектор оставляет "
                  f"{per_image} рамок с лучшими оценками на изображение. Сколько детекций оценщику нужно упорядочить "
                  f"и сопоставить с рамками разметки?"}[lang]
    hint = {"en": "Every image contributes the same number of detections.",
            "ru": "Каждое изображение даёт одно и то же число детекций."}[lang]
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
    text = {"en": f"From the lecture's table: which dataset has the {'most' if most else 'fewest'} {label}?",
            "ru": f"По таблице лекции: у какого набора данных {'больше всего' if most else 'меньше всего'} "
                  f"значение «{label}»?"}[lang]
    hint = {"en": "Work it out for all three from classes, images and objects per image.",
            "ru": "Посчитайте для всех трёх по числу классов, изображений и объектов на изображение."}[lang]
    solution = "; ".join(f"{d['name']}: {_quantity(quantity, d[quantity], lang)}" for d in rows)
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint, solution=solution)

