"""Widgets of the steps inside a detector (lessons 12 and 14): non-maximum suppression on a photo, MABO of
sliding-window proposals against boxes the student draws, and RoI pooling with Faster R-CNN's anchors.
Every number is computed here by app.compute.ops; a bad control value keeps what was typed and says why."""

from app.compute.ops import metrics
from app.compute.ops import mabo, nms
from app.compute.ops import roi as roi_ops
from app.web.format import decimal, grouped, percent
from app.web.i18n import translate, plural
from app.web.widgets.photo_boxes import photo as _photo, rect as _rect
from app.web.widgets.forgiving import Inputs
from app.compute.nets.registry import WeightsMissing
from app.web.widgets.params import Int, Num, Text
from app.web.widgets.registry import WidgetContext, weights_note, widget

CSS = ("localization-detection.css",)  # the boxes on photos; detection-steps.css comes with the module

# Objects in the astronaut photo (512×512), as [x1, y1, x2, y2]: the astronaut, the shuttle model, the helmet.
NMS_SAMPLE = "astronaut"
NMS_OBJECTS = ((20, 15, 365, 512), (355, 0, 465, 275), (275, 340, 505, 512))


def _counted(n: int, lang: str, en: tuple[str, str], ru: tuple[str, str, str]) -> str:
    """“2,400 positions” / “2 400 позиций”: the number grouped, the noun agreeing with it."""
    word = (plural(lang, n, one=en[0], other=en[1]) if lang == "en" else
            plural(lang, n, one=ru[0], few=ru[1], many=ru[2]))
    return f"{grouped(n, lang)} {word}"


def _objects(n: int, lang: str) -> str:
    return _counted(n, lang, ("object", "objects"), ("объект", "объекта", "объектов"))


@widget("nms-photo", params={"threshold": Num(0.5, 0.0, 1.0), "seed": Int(1, 0, 999)}, styles=CSS)
def build_nms_photo(ctx: WidgetContext) -> dict:
    inputs = Inputs(ctx)
    threshold, seed = inputs.values("threshold", "seed")
    lang = ctx.lang
    photo = _photo(NMS_SAMPLE, lang)
    found = nms.candidates(list(NMS_OBJECTS), (photo["width"], photo["height"]), seed)
    result = nms.nms(found["boxes"], found["scores"], threshold)
    dropped = {d["box"]: d for d in result["suppressed"]}
    order = sorted(range(len(found["boxes"])), key=lambda i: -found["scores"][i])
    rows = []
    for rank, i in enumerate(order, start=1):
        by = dropped.get(i)
        rows.append({"n": i + 1, "rank": rank, "score": decimal(found["scores"][i], lang, 3), "kept": i in result["keep"],
                     "by": by["by"] + 1 if by else None, "iou": decimal(by["iou"], lang, 2) if by else "",
                     "rect": _rect(found["boxes"][i], "tl" if i in result["keep"] else "br"),
                     "box": ", ".join(grouped(v, lang) for v in found["boxes"][i])})
    truth = [{"image": 0, "label": "object", "box": list(b)} for b in NMS_OBJECTS]

    def precision(indices):
        detections = [{"image": 0, "label": "object", "box": found["boxes"][i], "score": found["scores"][i]}
                      for i in indices]
        ranked = metrics.average_precision(truth, detections, 0.5)["per_class"]["object"]
        tp = sum(ranked["tp"])
        return {"tp": tp, "fp": len(indices) - tp, "precision": percent(tp / len(indices), lang, 0) if indices else "—"}

    return {
        "photo": photo, "threshold": threshold, "threshold_text": decimal(threshold, lang, 2), "seed": seed,
        "rows": rows, "kept": len(result["keep"]), "total": len(rows), "objects": _objects(len(NMS_OBJECTS), lang),
        "before": precision(list(range(len(rows)))), "after": precision(result["keep"]),
        "errors": inputs.errors, "raw": inputs.raw,
    }


# MABO of sliding windows ------------------------------------------------------------------------

MABO_SAMPLE = "astronaut"
MAX_TRUE_BOXES = 8
MAX_DRAWN_PROPOSALS = 400  # more than this are counted, not drawn
SIZE_CHOICES = (32, 48, 64, 96, 128, 192, 256, 384)


def _parse_boxes(raw: str, size: tuple[int, int]) -> tuple[list[list[float]], tuple[str, dict] | None]:
    """Boxes written “x1 y1 x2 y2; …” inside the photo, or the reason the text is not that (a string key and
    its values)."""
    boxes = []
    parts = [p for p in raw.split(";") if p.strip()]
    if len(parts) > MAX_TRUE_BOXES:
        return [], ("mabo_too_many_boxes", {"most": MAX_TRUE_BOXES, "got": len(parts)})
    for index, part in enumerate(parts, start=1):
        try:
            box = [float(v) for v in part.replace(",", " ").split()]
        except ValueError:
            box = []
        if len(box) != 4 or not (0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1]):
            return [], ("mabo_bad_box", {"index": index, "text": part.strip()[:40], "width": size[0],
                                         "height": size[1]})
        boxes.append(box)
    if not boxes:
        return [], ("mabo_no_boxes", {})
    return boxes, None


def _boxes(inputs: Inputs, name: str, size: tuple[int, int]) -> list[list[float]]:
    """The typed boxes; when they can't be read, the default ones, with the reason kept for the template."""
    raw = inputs.raw[name] = inputs.ctx.value(name)
    boxes, problem = _parse_boxes(raw, size)
    if problem is None:
        return boxes
    inputs.refuse(name, translate(inputs.ctx.lang, problem[0], **problem[1]))
    return _parse_boxes(inputs.ctx.default(name), size)[0]


def _sizes(inputs: Inputs, name: str) -> list[int]:
    raw = inputs.raw[name] = inputs.ctx.value(name)
    try:
        sizes = sorted({int(v) for v in raw.replace(",", " ").split()})
    except ValueError:
        sizes = []
    if not sizes or not all(s in SIZE_CHOICES for s in sizes):
        inputs.refuse(name, translate(inputs.ctx.lang, "detection_steps_sizes_text", v0=', '.join(map(str,
            SIZE_CHOICES)), raw_40=raw[:40]))
        return [int(v) for v in inputs.ctx.default(name).split()]
    return sizes


@widget("mabo-proposals", params={
    "truth": Text("20 15 365 512; 355 0 465 275; 275 340 505 512"), "sizes": Text("64 128 256"),
    "step": Num(0.5, 0.25, 1),
}, scripts=("mabo-boxes.js",), styles=CSS)
def build_mabo_proposals(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    photo = _photo(MABO_SAMPLE, lang)
    size = (photo["width"], photo["height"])
    truth = _boxes(inputs, "truth", size)
    sizes = _sizes(inputs, "sizes")
    step = inputs.value("step")
    windows = mabo.sliding_windows(size[0], size[1], sizes, step)
    result = mabo.mabo(truth, windows)
    growth = []
    for n in range(1, len(sizes) + 1):
        some = mabo.sliding_windows(size[0], size[1], sizes[:n], step)
        growth.append({"sizes": " + ".join(map(str, sizes[:n])), "count": grouped(len(some), lang),
                       "mabo": decimal(mabo.mabo(truth, some)["mabo"], lang, 3)})
    rows = [{"n": i + 1, "box": ", ".join(grouped(v, lang) for v in box), "iou": decimal(iou, lang, 3),
             "best": ", ".join(grouped(v, lang) for v in windows[j]) if j is not None else "—",
             "best_rect": _rect(windows[j], "br") if j is not None else None}
            for i, (box, iou, j) in enumerate(zip(truth, result["best_iou"], result["best_proposal"]))]
    return {
        "photo": photo, "truth": truth, "truth_rects": [_rect(b, "bl") for b in truth], "rows": rows,
        "proposals": [_rect(w) for w in windows[:MAX_DRAWN_PROPOSALS]], "count": grouped(len(windows), lang),
        "windows": plural(lang, len(windows), one="sliding window", other="sliding windows") if lang == "en" else
        plural(lang, len(windows), one="скользящее окно", few="скользящих окна", many="скользящих окон"),
        "drawn_all": len(windows) <= MAX_DRAWN_PROPOSALS, "mabo": decimal(result["mabo"], lang, 3), "growth": growth,
        "sizes": sizes, "size_choices": SIZE_CHOICES, "step": step, "errors": inputs.errors, "raw": inputs.raw,
        "config": {"width": size[0], "height": size[1], "block": ctx.block_id,
                   "boxes": [{"id": f"t{i}", "box": b, "label": f"T{i + 1}", "kind": "truth"} for i, b in enumerate(truth)]},
    }


# RoI pooling and anchors ------------------------------------------------------------------------

ROI_SAMPLE = "astronaut"


def _region(inputs: Inputs, name: str, size: tuple[int, int]) -> list[float]:
    raw = inputs.raw[name] = inputs.ctx.value(name)
    boxes, problem = _parse_boxes(raw, size)
    if problem is None and len(boxes) != 1:
        problem = ("mabo_one_region", {})
    if problem is None:
        return boxes[0]
    inputs.refuse(name, translate(inputs.ctx.lang, problem[0], **problem[1]))
    return _parse_boxes(inputs.ctx.default(name), size)[0][0]


def _roi_map(ctx: WidgetContext) -> tuple:
    """(EfficientNet-Lite0's stage-5 map of the photo, (112, 32, 32), None), or (None, the weights note)."""
    weights = ctx.weights(roi_ops.MAP_MODEL)
    if not weights["present"]:
        return None, weights
    try:
        return ctx.compute(lambda device: roi_ops.efficientnet_map(ROI_SAMPLE, ctx.weights_dir, device),
                           key=("roi-map", ROI_SAMPLE, weights["stamp"])), None
    except WeightsMissing as exc:  # a damaged file: found only when it is loaded
        return None, weights_note(exc)


def _from_one(cells):
    """Map cells (or a cell) as the page counts them, from 1; None stays None."""
    return None if cells is None else [v + 1 for v in cells]


# The map's channels and size are known once the network ran: the reads give those limits and defaults.
@widget("roi-anchors", params={
    "roi": Text("275 340 505 512"), "output": Int(3, 1, roi_ops.MAX_GRID),
    # Channel, row and column are counted from 1, as students count; the arrays' index is one less.
    "channel": Int(None, 1, None), "row": Int(None, 1, None), "col": Int(None, 1, None),
}, styles=CSS, deferred=True)
def build_roi_anchors(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    photo = _photo(ROI_SAMPLE, lang)
    size = (photo["width"], photo["height"])
    s = roi_ops.STRIDE
    map_h, map_w = size[1] // s, size[0] // s
    maps, missing = _roi_map(ctx)
    box = _region(inputs, "roi", size)
    output = inputs.value("output")
    strongest = int(maps.mean(axis=(1, 2)).argmax()) if maps is not None else 0  # the largest mean activation
    channel = inputs.value("channel", default=strongest + 1, high=len(maps) if maps is not None else 1)
    row = inputs.value("row", default=map_h // 2 + 1, high=map_h)
    col = inputs.value("col", default=map_w // 2 + 1, high=map_w)
    pooling = {}
    if maps is not None:
        feature = maps[channel - 1]
        pooled = roi_ops.roi_pool(feature, box, output)
        pooling = {
            "bins": [{"x": c0 * s, "y": r0 * s, "w": (c1 - c0) * s, "h": (r1 - r0) * s}
                     for (r0, r1) in pooled["bins"]["rows"] for (c0, c1) in pooled["bins"]["cols"]],
            "grid": [[{"value": decimal(v, lang, 2), "cell": _from_one(pooled["argmax"][i * output + j])}
                      for j, v in enumerate(values)] for i, values in enumerate(pooled["pooled"])],
            "cells": _from_one(pooled["bins"]["cells"]), "channels": len(maps), "strongest": strongest + 1,
        }
    anchors = roi_ops.anchors(row - 1, col - 1)
    count = roi_ops.anchor_count(60, 40)
    return {
        "photo": photo, "roi_rect": _rect(box, "bl"), "output": output, "missing": missing, "channel": channel,
        "map": f"{map_w}×{map_h}", "stride": s, "stage": roi_ops.MAP_STAGE, **pooling,
        "row": row, "col": col, "centre": [(col - 1) * s, (row - 1) * s],
        "anchors": [{**a, "rect": _rect(a["box"]), "n": n + 1, "ratio_text": decimal(a["ratio"], lang, 1),
                     "box_text": ", ".join(grouped(v, lang) for v in a["box"])} for n, a in enumerate(anchors)],
        "per_position": len(anchors), "count": _counted(count, lang, ("anchor", "anchors"), ("якорь", "якоря", "якорей")),
        "positions": _counted(60 * 40, lang, ("position", "positions"), ("позиция", "позиции", "позиций")),
        "errors": inputs.errors, "raw": inputs.raw,
    }
