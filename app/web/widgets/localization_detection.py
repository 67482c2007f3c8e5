"""Widgets and exercises of the `localization` and `detection` lessons: the L2 loss and the
regression heads, an IoU playground, the ImageNet localization rule, K boxes, live keypoints; the
R-CNN timeline, a live detector with a score threshold, and precision–recall and AP built one
detection at a time.

Live model output is never computed while a page renders: the page says whether the weights are
installed, and the widget's script asks the JSON API (and so the server's queue) for predictions.
"""

import math
import re

import plotly.graph_objects as go

from app.compute import samples

from app.compute.lessons import detection_eval, localization, rcnn_history

from app.compute.nets import registry

from app.compute.ops import metrics
from app.compute.errors import InputError
from app.web.charts import MARKERS, PALETTE, figure_json
from app.web.format import decimal, grouped, hwc
from app.web.widgets.forgiving import Inputs
from app.web.widgets.pickers import imagenet_classifier
from app.web.widgets.photo_boxes import photo as sample_photo, photo_samples, place_labels, rect
from app.web.widgets.params import Choice, Int, Num, Text, field_names
from app.web.widgets.registry import WidgetContext, widget
from app.web.i18n import translate

DETECTOR = "fasterrcnn_mobilenet_v3_large_fpn"
KEYPOINTS = "keypointrcnn_resnet50_fpn"
LIVE_THRESHOLD = 0.05  # the detector is asked for everything above this; the slider filters in the browser
MAX_CLASSES_SHOWN = 100_000


def _coords(box, lang: str) -> str:
    return ", ".join(decimal(v, lang, 0) if float(v).is_integer() else decimal(v, lang, 1) for v in box)


def _ratio(a: float, b: float, lang: str) -> str:
    value = a / b
    return grouped(value, lang) if float(value).is_integer() else decimal(value, lang, 1)


def _box_text(box) -> str:
    return " ".join(f"{v:g}" for v in box)


def _box(ctx: WidgetContext, name: str, size: tuple[int, int] | None = None, **given) -> list[float]:
    """A box written as “x1 y1 x2 y2” (a Text parameter), inside the photo when its size is given."""
    raw = ctx.value(name, **given).replace(",", " ").split()
    try:
        box = [float(v) for v in raw]
    except ValueError:
        box = []
    ok = len(box) == 4 and all(math.isfinite(v) for v in box) and box[2] > box[0] and box[3] > box[1]
    if ok and size is not None:
        ok = box[0] >= 0 and box[1] >= 0 and box[2] <= size[0] and box[3] <= size[1]
    if not ok:
        inside = f" inside the {size[0]}×{size[1]} photo" if size else ""
        inside_ru = f" в пределах фото {size[0]}×{size[1]}" if size else ""
        raise InputError(
            en=f"“{name}” must be a box “x1 y1 x2 y2” with x2 > x1 and y2 > y1{inside}.",
            ru=f"«{name}» — это рамка «x1 y1 x2 y2», где x2 > x1 и y2 > y1{inside_ru}.",
        )
    return box


_LABELLED = re.compile(r"^\s*(?P<label>[^\d;\-+.][^;]*?)\s+(?P<numbers>[-+\d.eE\s]+)$")


def _labelled_boxes(text: str, name: str, count: int, limit: int, size: tuple[int, int]) -> list[dict]:
    """Boxes written as “label [score] x1 y1 x2 y2; …” (count = 4 or 5 numbers after the label)."""
    items = []
    for index, part in enumerate(p for p in text.split(";") if p.strip()):
        match = _LABELLED.match(part)
        numbers = []
        if match:
            try:
                numbers = [float(v) for v in match["numbers"].split()]
            except ValueError:
                numbers = []
        box = numbers[-4:]
        ok = (match is not None and len(numbers) == count and all(math.isfinite(v) for v in numbers)
              and len(match["label"].strip()) <= 40 and box[2] > box[0] and box[3] > box[1]
              and box[0] >= 0 and box[1] >= 0 and box[2] <= size[0] and box[3] <= size[1]
              and (count == 4 or 0 <= numbers[0] <= 1))
        if not ok or index >= limit:
            what = "label x1 y1 x2 y2" if count == 4 else "label score x1 y1 x2 y2"
            field_en, field_ru = field_names(name)
            raise InputError(
                en=f"“{field_en}”: item {index + 1} must read “{what}” inside the {size[0]}×{size[1]} photo "
                   f"(at most {limit} items, separated by “;”).",
                ru=f"«{field_ru}»: элемент {index + 1} должен иметь вид «{what}» в пределах фото {size[0]}×{size[1]} "
                   f"(не больше {limit} элементов через «;»).",
            )
        item = {"label": match["label"].strip(), "box": box}
        if count == 5:
            item["score"] = numbers[0]
        items.append(item)
    return items


def _labelled_text(items) -> str:
    return "; ".join(
        f"{i['label']} " + (f"{i['score']:g} " if "score" in i else "") + _box_text(i["box"]) for i in items)


# ---- lesson 13: localization --------------------------------------------------------------------

L2_SAMPLE = "chelsea"


@widget("loc-l2", params={
    "truth": Text("25 0 392 290"), "predicted": Text("60 30 380 300"), "notation": Choice("xywh", ("xywh", "xyxy")),
})
def build_loc_l2(ctx: WidgetContext) -> dict:
    photo = sample_photo(L2_SAMPLE, ctx.lang)
    size = (photo["width"], photo["height"])
    truth = _box(ctx, "truth", size)
    predicted = _box(ctx, "predicted", size)
    notation = ctx.value("notation")
    loss = localization.l2_loss(predicted, truth, notation)
    names = ("x", "y", "w", "h") if notation == "xywh" else ("x1", "y1", "x2", "y2")
    rows = [{"name": n, "predicted": decimal(p, ctx.lang, 0), "truth": decimal(t, ctx.lang, 0), "difference": decimal(d, ctx.lang, 0),
             "square": grouped(s, ctx.lang) if float(s).is_integer() else decimal(s, ctx.lang, 2)}
            for n, p, t, d, s in zip(names, loss["predicted"], loss["truth"], loss["differences"], loss["squares"])]
    return {
        "photo": photo, "truth": truth, "predicted": predicted, "notation": notation, "rows": rows,
        "truth_rect": rect(truth, "bl"), "predicted_rect": rect(predicted),
        "truth_text": _box_text(truth), "predicted_text": _box_text(predicted),
        "loss": grouped(loss["loss"], ctx.lang) if float(loss["loss"]).is_integer() else decimal(loss["loss"], ctx.lang, 2),
        "distance": decimal(loss["distance"], ctx.lang, 1), "iou": decimal(loss["iou"], ctx.lang, 3),
        "sum_text": " + ".join(r["square"] for r in rows),
    }


@widget("loc-heads", params={
    "network": Choice("vgg16", ("vgg16", "alexnet")), "attach": Choice("fc", ("fc", "conv")),
    "classes": Int(localization.IMAGENET_LOCALIZATION["classes"], 1, MAX_CLASSES_SHOWN),
})
def build_loc_heads(ctx: WidgetContext) -> dict:
    network, attach, classes = ctx.values("network", "attach", "classes")
    points = {p["where"]: p for p in localization.attach_points(network)}
    point = points[attach]
    sizes = localization.head_sizes(point["features"], classes)
    lang = ctx.lang

    def head(key: str, outputs_text: str | None) -> dict:
        h = sizes[key]
        return {"key": key, "outputs": grouped(h["outputs"], lang), "outputs_text": outputs_text,
                "formula": f"{grouped(h['features'], lang)}·{grouped(h['outputs'], lang)} + {grouped(h['biases'], lang)}",
                "params": grouped(h["params"], lang), "raw_params": h["params"]}

    both = []
    for where in ("conv", "fc"):
        p = points[where]
        s = localization.head_sizes(p["features"], classes)
        both.append({"where": where, "layer": p["layer"], "shape": hwc(p["shape"]),
                     "features": grouped(p["features"], lang), "agnostic": grouped(s["agnostic"]["params"], lang),
                     "specific": grouped(s["specific"]["params"], lang), "current": where == attach})
    return {
        "network": network, "attach": attach, "classes": classes, "classes_text": grouped(classes, lang),
        "layer": point["layer"], "shape": hwc(point["shape"]),
        "features": grouped(point["features"], lang),
        "heads": [head("classification", "C"), head("agnostic", None), head("specific", "4·C")],
        "ratio": _ratio(sizes["specific"]["params"], sizes["agnostic"]["params"], lang),
        "flattened": len(point["shape"]) > 1,
        "both": both,
    }


IOU_SAMPLE = "astronaut"


@widget("iou-playground", params={"box_a": Text("150 20 310 250"), "box_b": Text("200 80 380 300")})
def build_iou_playground(ctx: WidgetContext) -> dict:
    photo = sample_photo(IOU_SAMPLE, ctx.lang)
    size = (photo["width"], photo["height"])
    a = _box(ctx, "box_a", size)
    b = _box(ctx, "box_b", size)
    result = metrics.iou(a, b)
    threshold = localization.IMAGENET_LOCALIZATION["iou_threshold"]
    return {
        "photo": photo, "a": a, "b": b, "a_rect": rect(a, "bl"), "b_rect": rect(b), "threshold": threshold, "threshold_text": decimal(threshold, ctx.lang, 1),
        "iou": decimal(result["iou"], ctx.lang, 3), "passes": result["iou"] >= threshold,
        "intersection": grouped(round(result["intersection"]), ctx.lang), "union": grouped(round(result["union"]), ctx.lang),
        "a_text": _coords(a, ctx.lang), "b_text": _coords(b, ctx.lang),
        "config": {"boxes": {"a": a, "b": b}, "width": photo["width"], "height": photo["height"], "lang": ctx.lang,
                   "threshold": threshold, "block": ctx.block_id},
    }


def _rule_guesses(ctx: WidgetContext, seed: int, size) -> list[dict]:
    guesses = localization.seeded_guesses(seed, size)
    for n, guess in enumerate(guesses, start=1):
        guess["label"] = ctx.value(f"c{n}", default=guess["label"])
        guess["box"] = _box(ctx, f"b{n}", size, default=_box_text(guess["box"]))
    return guesses


# Guess n's class cn and box bn: the seed's guesses unless the student changed them.
@widget("imagenet-rule", params={
    "seed": Int(1, 0, 10**6), **{f"c{n}": Choice(None, localization.RULE_CLASSES) for n in range(1, 6)},
    **{f"b{n}": Text(None) for n in range(1, 6)},
})
def build_imagenet_rule(ctx: WidgetContext) -> dict:
    photo = sample_photo(localization.RULE_SAMPLE, ctx.lang)
    size = (photo["width"], photo["height"])
    seed = ctx.value("seed")
    guesses = _rule_guesses(ctx, seed, size)
    judged = localization.imagenet_rule(localization.RULE_TRUTH.label, localization.RULE_TRUTH.box, guesses)
    rows = [{"n": n, "label": g["label"], "box": g["box"], "box_text": _box_text(g["box"]), "rect": rect(g["box"]),
             "iou": decimal(g["iou"], ctx.lang, 3), "label_ok": g["label_ok"], "box_ok": g["box_ok"], "correct": g["correct"]}
            for n, g in enumerate(judged["guesses"], start=1)]
    rule = localization.IMAGENET_LOCALIZATION
    return {
        "photo": photo, "seed": seed, "next_seed": (seed + 1) % (10**6 + 1), "rows": rows, "correct": judged["correct"],
        "truth_rect": rect(localization.RULE_TRUTH.box, "bl"),
        "first_correct": None if judged["first_correct"] is None else judged["first_correct"] + 1,
        "truth": {"label": localization.RULE_TRUTH.label, "box": list(localization.RULE_TRUTH.box)},
        "classes": [(c, c) for c in localization.RULE_CLASSES],
        "rule": {"guesses": rule["guesses"], "threshold": decimal(rule["iou_threshold"], ctx.lang, 1),
                 "classes": grouped(rule["classes"], ctx.lang), "per_class": grouped(rule["train_images_per_class"], ctx.lang)},
        "config": {"width": photo["width"], "height": photo["height"], "block": ctx.block_id,
                   "boxes": {str(r["n"]): r["box"] for r in rows}},
    }


@widget("k-objects", params={"k": Int(localization.LECTURE_K, 1, len(localization.CAT_PARTS))})
def build_k_objects(ctx: WidgetContext) -> dict:
    k = ctx.value("k")
    photo = sample_photo("chelsea", ctx.lang)
    fc = localization.attach_points("vgg16")[1]
    head = localization.k_boxes(k, fc["features"])
    parts = localization.CAT_PARTS[:k]
    names = {part: translate(ctx.lang, "ld_part_" + part.replace(" ", "_"))
             for part in ("cat", "head", "left ear", "right ear")}
    anchors = {"cat": "bl", "head": "br", "left ear": "below", "right ear": "below"}
    objects = [{"n": n, "name": names[p.label], "box": list(p.box), "rect": rect(p.box, anchors[p.label]),
                "coords": [grouped(v, ctx.lang) for v in p.box]}
               for n, p in enumerate(parts, start=1)]
    return {
        "k": k, "lecture_k": localization.LECTURE_K, "photo": photo,
        "objects": objects, "outputs": head["outputs"], "features": grouped(fc["features"], ctx.lang),
        "layer": fc["layer"], "params": grouped(head["head"]["params"], ctx.lang),
        "formula": f"{grouped(fc['features'], ctx.lang)}·{head['outputs']} + {head['outputs']}",
    }


@widget("pose-live")
def build_pose_live(ctx: WidgetContext) -> dict:
    spec = registry.MODELS[KEYPOINTS]
    names = list(spec.weights.meta["keypoint_names"])
    fc = localization.deeppose_features()
    pose = localization.pose_outputs(len(names), fc["features"])
    return {
        "weights": ctx.weights(KEYPOINTS), "model": KEYPOINTS, "samples": photo_samples(ctx.lang, "astronaut"),
        "joints": pose["joints"], "outputs": pose["outputs"], "features": grouped(fc["features"], ctx.lang),
        "layer": fc["layer"], "params": grouped(pose["head"]["params"], ctx.lang),
        "formula": f"{grouped(fc['features'], ctx.lang)}·{pose['outputs']} + {pose['outputs']}",
        "names": [n.replace("_", " ") for n in names], "citation": localization.DEEPPOSE["citation"],
    }


# ---- lesson 14: detection -----------------------------------------------------------------------

@widget("rcnn-timeline", params={"step": Int(1, 1, None)})  # up to the timeline's last row
def build_rcnn_timeline(ctx: WidgetContext) -> dict:
    rows = rcnn_history.timeline(ctx.lang)
    step = ctx.value("step", high=len(rows))
    longest = max(r["total_seconds"] for r in rows if r["total_seconds"] is not None)
    shortest = min(r["total_seconds"] for r in rows if r["total_seconds"] is not None)
    span = math.log10(longest / shortest)
    for n, r in enumerate(rows, start=1):
        r["n"] = n
        r["current"] = n == step
        if r["test_seconds"] is not None:
            r["test_text"] = decimal(r["test_seconds"], ctx.lang, 2)
            r["total_text"] = decimal(r["total_seconds"], ctx.lang, 2)
            # Bar length on a log scale, so that 47 s and 0.2 s both show.
            r["bar"] = round(8 + 92 * math.log10(r["total_seconds"] / shortest) / span)
    speed = {s["fast"] + "/" + s["slow"] + "/" + s["what"]: s for s in rcnn_history.speedups()}
    test = speed["fast-rcnn-svd/rcnn/test"]
    anchors = rcnn_history.anchors()
    return {
        "rows": rows, "step": step, "current": rows[step - 1],
        "ss_seconds": decimal(rcnn_history.SELECTIVE_SEARCH_SECONDS, ctx.lang, 1),
        "check": {"slow": decimal(test["slow_value"], ctx.lang, 1), "fast": decimal(test["fast_value"], ctx.lang, 2),
                  "ratio": decimal(test["ratio"], ctx.lang, 1), "quoted": test["quoted"]},
        "anchors": {"per_position": anchors["per_position"], "scales": anchors["scales"], "ratios": anchors["ratios"],
                    "grid": "×".join(map(str, anchors["example_grid"])), "total": grouped(anchors["total"], ctx.lang),
                    "image": "×".join(map(str, anchors["example_image"])), "quoted": grouped(anchors["quoted_total"], ctx.lang)},
    }


@widget("detect-live", params={
    "threshold": Num(0.5, LIVE_THRESHOLD, 1.0), "sample": Choice("coffee", tuple(samples.SAMPLES)),
})
def build_detect_live(ctx: WidgetContext) -> dict:
    threshold, sample = ctx.values("threshold", "sample")
    weights = ctx.weights(DETECTOR)
    # No detector: the photo (a sample or the student's) still goes to what is installed. EfficientNet-Lite0 comes
    # with the installation, so the widget classifies it and says that boxes need the detector's weights.
    classifier = None if weights["present"] else imagenet_classifier(ctx, "resnet18")
    return {
        "weights": weights, "model": DETECTOR, "samples": photo_samples(ctx.lang, sample), "sample": sample,
        "classifier": classifier and {"name": classifier, "title": ctx.weights(classifier)["title"]},
        "threshold": threshold, "live_threshold": LIVE_THRESHOLD,
        "threshold_text": decimal(threshold, ctx.lang, 2), "live_threshold_text": decimal(LIVE_THRESHOLD, ctx.lang, 2),
    }


def _pr_figure(result: dict, lang: str) -> dict:
    """Precision against recall per class for the detections counted so far, with the interpolated envelope."""
    text = [translate(lang, key)
            for key in ("ld_recall", "ld_precision", "ld_pr_interpolated", "ld_pr_area", "ld_pr_sampled")]
    figure = go.Figure()
    for n, c in enumerate(result["classes"]):
        color = PALETTE[n % len(PALETTE)]
        steps = detection_eval.envelope_steps(c["recall"], c["envelope"])
        figure.add_trace(go.Scatter(
            x=steps["recall"], y=steps["precision"], mode="lines", line={"color": color, "dash": "dot", "width": 2},
            fill="tozeroy" if result["method"] == "all-points" else None,
            fillcolor="rgba(0,114,178,0.10)" if n == 0 else "rgba(230,159,0,0.10)",
            name=f"{c['label']}: {text[3] if result['method'] == 'all-points' else text[2]}"))
        symbols = ["circle" if tp else "x-thin-open" for tp in c["tp"]]
        figure.add_trace(go.Scatter(
            x=c["recall"], y=c["precision"], mode="lines+markers", name=f"{c['label']} (AP {decimal(c['ap'], lang, 3)})",
            line={"color": color, "width": 2}, marker={"symbol": symbols, "size": 11, "color": color,
                                                        "line": {"width": 2, "color": color}}))
        if result["method"] != "all-points" and c["recall"]:
            sampled = detection_eval.sampled_precision(c["precision"], c["recall"], result["method"])
            figure.add_trace(go.Scatter(
                x=sampled["recall"], y=sampled["precision"], mode="markers", name=f"{c['label']}: {text[4]}",
                marker={"symbol": MARKERS[(n + 2) % len(MARKERS)], "size": 6, "color": color}))
    figure.update_layout(
        xaxis={"title": text[0], "range": [-0.02, 1.05], "dtick": 0.25},
        yaxis={"title": text[1], "range": [-0.02, 1.08], "dtick": 0.25},
        height=340, margin={"l": 60, "r": 10, "t": 10, "b": 50},
        legend={"orientation": "h", "y": -0.25, "x": 0}, showlegend=True,
    )
    return figure_json(figure)


# truth: the photo's reference boxes unless typed; drawn_on: the photo they were drawn on (the one shown unless
# set); label: the first class named unless chosen.
@widget("ap-builder", params={
    "sample": Choice("coffee", tuple(detection_eval.REFERENCE_OBJECTS)), "truth": Text(None), "detections": Text(""),
    "drawn_on": Text(None), "source": Choice("auto", ("auto", "synthetic")), "seed": Int(1, 0, 10**6),
    "k": Int(1, 0, detection_eval.MAX_DETECTIONS), "iou": Num(0.5, 0.05, 0.95),
    "method": Choice("all-points", metrics.METHODS), "label": Text(None),
}, charts=True)
def build_ap_builder(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    sample = ctx.value("sample")
    photo = sample_photo(sample, lang)
    size = (photo["width"], photo["height"])
    source, seed = ctx.values("source", "seed")
    weights = ctx.weights(DETECTOR)
    live = source == "auto" and weights["present"]
    reference = detection_eval.reference_truth(sample)
    fresh = ctx.value("drawn_on", default=sample) != sample  # another photo was chosen: its own boxes, new detections
    inputs = Inputs(ctx)
    inputs.raw["truth"] = ctx.value("truth", default=_labelled_text(reference))
    try:
        truth = reference if fresh else _labelled_boxes(inputs.raw["truth"], "truth", 4, detection_eval.MAX_TRUTH, size)
    except InputError as error:  # keep the widget and what was typed; say what is wrong beside the field
        inputs.refuse("truth", error)
        truth = reference
    # Live: the script fills `detections` from the API ("-" when the detector found nothing).
    pending = live and (fresh or not ctx.value("detections").strip())
    detections = []
    if live:
        typed = "" if fresh or ctx.value("detections").strip() == "-" else ctx.value("detections")
        inputs.raw["detections"] = typed
        try:
            detections = _labelled_boxes(typed, "detections", 5, detection_eval.MAX_DETECTIONS, size) if typed else []
        except InputError as error:  # say what was wrong, and ask the detector again (the script fills them in)
            inputs.refuse("detections", error)
            pending = True
    else:
        detections = detection_eval.synthetic_detections(sample, seed)
    k, iou_threshold, method = ctx.values("k", "iou", "method")
    labels = list(dict.fromkeys([*(t["label"] for t in reference), *(t["label"] for t in truth),
                                 *(d["label"] for d in detections)]))
    label = inputs.raw["label"] = ctx.value("label", default=labels[0]).strip()
    if not label or len(label) > 40 or ";" in label or re.search(r"\d", label):
        inputs.refuse("label", translate(lang, "ld_label_invalid"))
        label = labels[0]
    result = detection_eval.ap_steps(truth, detections, k, iou_threshold, method)
    truth_rects = [{"label": t["label"], "rect": rect(t["box"], "bl")} for t in truth]
    rows = []
    for r in result["rows"]:
        row = {"rank": r["rank"], "label": r["label"], "score": decimal(r["score"], lang, 2), "iou": decimal(r["iou"], lang, 2),
               "tp": r["tp"], "reason": translate(lang, "ld_reason_" + r["reason"].replace("-", "_")) if r["reason"] else "", "counted": r["counted"],
               "box": r["box"], "rect": rect(r["box"])}
        if r["counted"]:
            row.update({"cum_tp": r["cum_tp"], "cum_fp": r["cum_fp"], "precision": decimal(r["precision"], lang, 3),
                        "recall": "—" if r["recall"] is None else decimal(r["recall"], lang, 3),
                        "map": decimal(result["ap_by_step"][r["rank"] - 1], lang, 3) if result["ap_by_step"] else "—"})
        rows.append(row)
    place_labels(photo, [{"rect": t["rect"], "text": translate(lang, "ld_gt") + " " + t["label"]} for t in truth_rects],
                  [{"rect": r["rect"], "text": f"#{r['rank']} ✓"} for r in rows if r["counted"]])
    classes = [{"label": c["label"], "ap": decimal(c["ap"], lang, 3), "n": c["n_ground_truth"],
                "ap_final": decimal(c["ap_final"], lang, 3)} for c in result["classes"]]
    return {
        "sample": sample, "samples": [(key, samples.SAMPLES[key].captions[lang]) for key in detection_eval.REFERENCE_OBJECTS],
        "photo": photo, "source": source, "seed": seed, "live": live, "weights": weights,
        "pending": pending, "truth": truth, "errors": inputs.errors, "raw": inputs.raw,
        "truth_text": inputs.text("truth", _labelled_text(truth)),
        "truth_rects": truth_rects,
        "detections_text": (_labelled_text(detections) or "-") if live and not pending else "", "k": result["k"], "n": result["n"],
        "iou": iou_threshold, "iou_text": decimal(iou_threshold, lang, 2), "method": method,
        "methods": [("all-points", translate(lang, "ld_ap_method_all_points")),
                    ("voc11", translate(lang, "ld_ap_method_voc11")),
                    ("coco101", translate(lang, "ld_ap_method_coco101"))],
        "label": label, "labels": [(x, x) for x in dict.fromkeys([*labels, label])],
        "rows": rows, "classes": classes, "no_truth_labels": result["no_truth_labels"],
        "map": None if result["map"] is None else decimal(result["map"], lang, 3),
        "map_final": None if result["map_final"] is None else decimal(result["map_final"], lang, 3),
        "figure": _pr_figure(result, lang), "live_threshold": LIVE_THRESHOLD, "model": DETECTOR,
        "config": {"width": photo["width"], "height": photo["height"], "block": ctx.block_id, "sample": sample,
                   "truth": truth, "live": live, "pending": pending, "model": DETECTOR,
                   "threshold": LIVE_THRESHOLD, "max_detections": detection_eval.MAX_DETECTIONS, "label": label},
    }
