"""Widgets and exercises of lessons 12, 15 and 16: the computer-vision tasks on one photo, semantic and
instance segmentation with per-class IoU and the FCN idea, and the detection datasets' numbers.

Live model output is never computed while a page renders: the page says which models have their
weights, and static/js/tasks-segmentation.js asks the JSON API (and so the server's queue) for
predictions. A model without weights gets a plain note with the command that fetches them.
"""

import math

import plotly.graph_objects as go

from app.compute import samples
from app.compute.lessons import cv_tasks, datasets
from app.compute.nets import fcn, registry
from app.compute.ops import segmentation_metrics as sm
from app.compute.errors import InputError
from app.web.charts import PALETTE, figure_json
from app.web.i18n import translate
from app.web.format import decimal, grouped
from app.web.widgets.pickers import imagenet_classifier, pick_model
from app.web.widgets.params import Choice, Int, Text
from app.web.widgets.registry import WidgetContext, widget

SCRIPTS = ("tasks-segmentation.js",)
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

def model_panel(ctx: WidgetContext, task: cv_tasks.Task, model: str) -> dict:
    """One model's panel (templates/widgets/_model_panels.html): whether its weights file is there (not loaded,
    not hashed) and how to fetch it."""
    weights = ctx.weights(model)
    return {"task": task.key, "name": task.names[ctx.lang], "model": model, "title": weights["title"],
            "present": weights["present"], "fetch": weights["command"], "output": task.descriptions[ctx.lang]}


JS_TEXT = ("top5", "none", "classes", "objects", "people", "upload", "failed", "background", "joints")


def _real_labels(model: str) -> int:
    """Classes a model tells apart, without torchvision's placeholders ("__background__", "N/A")."""
    return sum(label not in ("__background__", "N/A") for label in registry.MODELS[model].labels)


def model_panels(ctx: WidgetContext, panels: list[dict]) -> dict:
    """What _model_panels.html draws: one photo input (driven by the first model that has its weights) and the
    panels; the widget declares a `sample` parameter (SAMPLE)."""
    sample = ctx.value("sample")
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
        "js_text": {key: _t(ctx.lang, "seg_class_background" if key == "background" else f"ts_js_{key}")
                    for key in JS_TEXT},
    }


# ---------------------------------------------------------------------------------------------
# Lesson 12: the table of tasks, and the five tasks on one photo.

@widget("cv-tasks-table", params={
    "height": Int(480, 1, cv_tasks.MAX_SIDE), "width": Int(640, 1, cv_tasks.MAX_SIDE),
    "objects": Int(3, 0, cv_tasks.MAX_OBJECTS),
})
def build_cv_tasks_table(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    height, width, objects = ctx.values("height", "width", "objects")
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
            "metric": task.metric[lang], "lessons": [ctx.lesson_link(slug) for slug in task.metric_lessons],
            "numbers": grouped(size["numbers"], lang),
            "formula": " × ".join(grouped(v, lang) for v in size["terms"]),
        })
    return {"rows": rows, "height": height, "width": width, "objects": objects, "keypoints": keypoints,
            "source": cv_tasks.LECTURE, "pose_source": cv_tasks.POSE_SOURCE}


SAMPLE = Choice("astronaut", tuple(samples.SAMPLES))  # the photo the networks run on


@widget("cv-tasks-photo", params={"sample": SAMPLE}, scripts=SCRIPTS)
def build_cv_tasks_photo(ctx: WidgetContext) -> dict:
    # Classification runs EfficientNet-Lite0 (its weights come with the installation) when ResNet-18's are missing.
    models = {key: cv_tasks.BY_KEY[key].model for key in PHOTO_TASKS}
    models["classification"] = imagenet_classifier(ctx, models["classification"])
    panels = [model_panel(ctx, cv_tasks.BY_KEY[key], models[key]) for key in PHOTO_TASKS]
    # On a slide the five panels come in two parts (present.js PAGED), each named on its first panel.
    panels[0]["deck_page"] = _t(ctx.lang, "ts_deck_page_whole")
    panels[PHOTO_TASKS.index("instance-segmentation")]["deck_page"] = _t(ctx.lang, "ts_deck_page_objects")
    return model_panels(ctx, panels)


# ---------------------------------------------------------------------------------------------
# Lesson 15: semantic against instance masks, per-class IoU, and the FCN idea.

@widget("seg-live", params={"sample": SAMPLE, "semantic": Choice(SEMANTIC_MODELS[0], SEMANTIC_MODELS)},
        scripts=SCRIPTS)
def build_seg_live(ctx: WidgetContext) -> dict:
    pick = pick_model(ctx, param="semantic")  # one that runs, if any
    semantic = pick["model"]
    panels = [model_panel(ctx, cv_tasks.BY_KEY["semantic-segmentation"], semantic),
              model_panel(ctx, cv_tasks.BY_KEY["instance-segmentation"], INSTANCE_MODEL)]
    data = model_panels(ctx, panels)
    data["semantic"] = semantic
    data["semantic_models"] = pick["options"]
    data["semantic_labels"] = _real_labels(semantic)
    data["instance_labels"] = _real_labels(INSTANCE_MODEL)
    return data


TOY_SYMBOLS = ("·", "■", "●", "▲")  # background, car, cat, person: a shape as well as a colour
TOY_KEYS = ("background", "car", "cat", "person")


def _toy_names(lang: str) -> list[str]:
    return [_t(lang, f"seg_class_{key}") for key in TOY_KEYS]


@widget("seg-iou", params={
    "scene": Int(3, 0, 999), "size": Int(10, 6, 16), "change": Choice("shift", sm.CHANGES), "amount": Int(1, 1, 3),
    "pred": Text(""), "brush": Int(1, 0, sm.TOY_CLASSES - 1), "background": Choice("yes", ("yes", "no")),
}, scripts=("tasks-segmentation.js",))
def build_seg_iou(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    scene, size, change, amount, brush = ctx.values("scene", "size", "change", "amount", "brush")
    background = ctx.value("background")
    truth = sm.toy_scene(scene, size)
    painted = ctx.value("pred").strip()
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


@widget("seg-fcn", params={
    "height": Int(64, fcn.TRAIN_SIDE, fcn.MAX_SIDE), "width": Int(48, fcn.TRAIN_SIDE, fcn.MAX_SIDE),
})
def build_seg_fcn(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    height, width = ctx.values("height", "width")
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
        "labels = masks.argmax(dim=1)  # one class per pixel"
    )


# ---------------------------------------------------------------------------------------------
# Lesson 16: the datasets.

QUANTITY_KEYS = ("classes", "images", "mean_objects", "objects", "images_per_class", "objects_per_class",
                 "detections", "iou_pairs")
SHORT_LABEL_KEYS = {"detections": "field_detections"}  # the shared word (locales/common.yaml); others: ds_short_<q>


def _quantity(key: str, value: float, lang: str) -> str:
    if key == "mean_objects":
        return decimal(value, lang, 1)
    if key in ("classes", "images"):
        return grouped(value, lang)
    if key == "one_box_recall":
        return "≈\u202f" + decimal(value, lang, 2)
    return "≈\u202f" + grouped(value, lang)  # derived from the lecture's rounded image counts


@widget("datasets-table", params={"detections": Int(datasets.COCO_MAX_DETECTIONS, 1, datasets.MAX_DETECTIONS)})
def build_datasets_table(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    per_image = ctx.value("detections")
    columns = [datasets.derived(key, per_image) for key in datasets.DATASETS]
    lecture_rows = []
    for key in ("classes", "images", "mean_objects"):
        cells = []
        for d in columns:
            text = d["images_text"] if key == "images" else _quantity(key, d[key], lang)
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
    voc = datasets.voc_check()
    return {
        "per_image": per_image, "names": [d["name"] for d in columns], "keys": list(datasets.DATASETS),
        "lecture_rows": lecture_rows, "size_cells": size_cells, "derived_rows": derived_rows,
        "bytes_cells": bytes_cells,
        "remarks": [datasets.DATASETS[key].remarks[lang] for key in datasets.DATASETS],
        "coco": {
            "train": grouped(check["train_images"], lang), "val": grouped(check["val_images"], lang),
            "images": grouped(check["images"], lang), "lecture": datasets.DATASETS["coco2014"].images_text,
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
        "voc_sources": voc["sources"],
        "source": datasets.LECTURE, "coco_sources": check["sources"], "coco_max": datasets.COCO_MAX_DETECTIONS,
    }


@widget("datasets-compare", params={
    "first": Choice("voc2010", tuple(datasets.DATASETS)), "second": Choice("coco2014", tuple(datasets.DATASETS)),
    "detections": Int(datasets.COCO_MAX_DETECTIONS, 1, datasets.MAX_DETECTIONS), "scale": Choice("log", ("log", "linear")),
}, charts=True)
def build_datasets_compare(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    first, second, per_image, scale = ctx.values("first", "second", "detections", "scale")
    result = datasets.compare(first, second, per_image)
    labels = [_t(lang, SHORT_LABEL_KEYS.get(q, f"ds_short_{q}")) for q in QUANTITY_KEYS]
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
        "scales": [("log", _t(lang, "logarithmic")), ("linear", _t(lang, "linear"))],
        "first_name": result["first"]["name"], "second_name": result["second"]["name"],
        "rows": rows, "figure": figure_json(figure),
    }
