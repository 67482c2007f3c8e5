"""Widget and exercises of the `feature-hierarchy` lesson: the strongest channels of a trained CNN at growing
depth, on a sample photo or an upload; without pretrained weights, a plain note with the command that fetches
them and the same hierarchy in the course's own trained LeNet-5 on a sample digit."""

import hashlib
import random

from markupsafe import Markup, escape

from app.compute import samples
from app.compute.nets import feature_maps
from app.compute.nets import maps as activation_maps
from app.compute.nets.architectures import NETWORKS, architecture_table
from app.compute.ops.receptive_field import receptive_fields
from app.compute.errors import InputError
from app.compute.nets.registry import MODELS, WeightsMissing
from app.web.format import decimal, hwc
from app.web.i18n import plural, translate
from app.web.widgets.pickers import pick_model
from app.web.pictures import data_url, map_json
from app.web.widgets.params import Choice, Int, Text
from app.web.widgets.registry import Question, WidgetContext, exercise, weights_note, widget

def describe_layer(layer: dict, side: int, lang: str) -> str:
    """One sentence on a layer: what it is, what it outputs, how much of the input one value sees, what is shown."""
    k, filters, stride = layer["kernel"], layer["filters"], layer["stride"]
    name, field, channels, shown = layer["name"], layer["receptive_field"], layer["shape"][0], len(layer["maps"])
    expanded = layer.get("expanded")  # an inverted residual block (EfficientNet): channels after its 1×1 expand
    if lang == "ru":
        noun = plural('ru', filters, one="фильтр", few="фильтра", many="фильтров")
        what = (f"остаточный блок, две свёртки {k}×{k} по {filters} {noun}, шаг {stride}" if layer["kind"] == "block"
                else f"свёртка {k}×{k}, {filters} {noun}, шаг {stride}")
        if expanded:
            widen = f"свёртка 1×1 расширяет до {expanded} {plural('ru', expanded, one='канала', few='каналов', many='каналов')}, " \
                if expanded != layer["c_in"] else ""
            what = (f"инвертированный остаточный блок: {widen}поканальная свёртка {k}×{k} с шагом {stride}, "
                    f"свёртка 1×1 сужает до {filters} {plural('ru', filters, one='канала', few='каналов', many='каналов')}")
        sees = (f"каждое его значение видит {field}×{field} пикселей входа {side}×{side}" if field <= side else
                f"каждое его значение видит {field}×{field} пикселей — больше всего входа {side}×{side}, "
                f"остальное приходится на дополнение нулями")
        channels_word = plural("ru", channels, one="канала", many="каналов")  # «из 21 канала», «из 5 каналов»
        which = (f"все {channels} {channels_word}" if shown == channels
                 else f"{shown} самых сильных из {channels} {channels_word}")
        return (f"{name}: {what}. Выход {hwc(layer['shape'])}: {sees}. Ниже {which}, "
                f"по убыванию средней активации.")
    noun = "filter" if filters == 1 else "filters"
    what = (f"residual block, two {k}×{k} convs with {filters} {noun}, stride {stride}" if layer["kind"] == "block"
            else f"{k}×{k} conv, {filters} {noun}, stride {stride}")
    if expanded:
        widen = f"a 1×1 conv widens to {expanded} channels, " if expanded != layer["c_in"] else ""
        what = (f"inverted residual block: {widen}a {k}×{k} depthwise conv with stride {stride}, "
                f"a 1×1 conv narrows to {filters} channels")
    sees = (f"each of its values sees {field}×{field} pixels of the {side}×{side} input" if field <= side else
            f"each of its values sees {field}×{field} pixels, more than the whole {side}×{side} input; "
            f"the rest is zero padding")
    which = f"all {channels} channels" if shown == channels else f"the strongest {shown} of {channels} channels"
    return f"{name}: {what}. Output {hwc(layer['shape'])}: {sees}. Below, {which}, by mean activation."


def _all_layer_names() -> dict[str, list[str]]:
    names = {model: [layer["name"] for layer in feature_maps.feature_layers(model)]
             for model in feature_maps.FEATURE_NETWORKS}
    names["lenet5"] = list(feature_maps.LENET_LAYERS)
    return names


def pick_layer(name: str, layers: list[dict]) -> int:
    """The index of the layer to show: "" is the first; a layer of another of the widget's networks (a link made
    for another model, or a server without the weights) maps to the layer at the same relative depth."""
    names = [layer["name"] for layer in layers]
    if name == "":
        return 0
    if name in names:
        return names.index(name)
    for other in _all_layer_names().values():
        if name in other:
            depth = other.index(name) / max(1, len(other) - 1)
            return round(depth * (len(names) - 1))
    raise InputError(
        en=f"“layer” must be one of {', '.join(names)}, got “{name}”.",
        ru=f"«layer» должно быть одним из: {', '.join(names)}, а получено «{name}».",
    )


def _layer_view(layer: dict, side: int, lang: str) -> dict:
    return {"name": layer["name"], "shape": hwc(layer["shape"]), "describe": describe_layer(layer, side, lang),
            "channels": layer["shape"][0], "map_size": layer["shape"][1:], "scale": decimal(layer["scale"], lang)}


def _percent(probability: float, lang: str) -> str:
    """A probability in percent with one decimal; one that would round to 100 is written as above 99.9."""
    percent = 100 * probability
    return decimal(percent, lang, 1) if percent < 99.95 else ">" + decimal(99.9, lang, 1)


def _encoded(result: dict) -> dict:
    """A computed hierarchy with its pictures PNG-encoded (map_json per map, the input as a data: URL): done once
    in the queue with the result, which the service keeps, not in every request that shows it."""
    layers = [{**layer, "maps": [{**m, "json": map_json(m)} for m in layer["maps"]]} for layer in result["layers"]]
    input_url = data_url(result["input"], "JPEG" if result["input"].ndim == 3 else "PNG")
    return {**result, "layers": layers, "input_url": input_url}


def _maps_view(layer: dict, lang: str) -> list[dict]:
    return [{**m["json"], "mean_text": decimal(m["mean"], lang), "max_text": decimal(m["max"], lang)}
            for m in layer["maps"]]


def _imagenet_hierarchy(ctx: WidgetContext, model: str, sample: str, stamp) -> dict:
    """The hierarchy of the student's photo (ctx.photo: identical photos share one computation, none is kept) or
    of a sample photo (computed once per model and weights file, then kept)."""
    photo = ctx.photo
    if photo is not None:
        digest = hashlib.sha256(photo.tobytes()).hexdigest()
        return ctx.compute(lambda device: _encoded(feature_maps.image_hierarchy(model, photo, ctx.weights_dir, device)),
                           key=("feature-hierarchy-photo", model, photo.size, digest, stamp), keep=False)
    return ctx.compute(lambda device: _encoded(feature_maps.sample_hierarchy(model, sample, ctx.weights_dir, device)),
                       key=("feature-hierarchy", model, sample, stamp))


@widget("feature-hierarchy", params={
    "model": Choice("resnet18", tuple(feature_maps.FEATURE_NETWORKS)), "sample": Choice("chelsea", tuple(samples.SAMPLES)),
    "layer": Text(""), "rank": Int(1, 1, feature_maps.CHANNELS_SHOWN), "digit": Int(3, 0, 9),
}, deferred=True, photo=True)
def build_feature_hierarchy(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    pick = pick_model(ctx)
    model = pick["model"]
    sample, digit, rank = ctx.values("sample", "digit", "rank")
    weights, missing, result = ctx.weights(model), None, None
    if weights["present"]:
        try:
            result = _imagenet_hierarchy(ctx, model, sample, weights["stamp"])
        except WeightsMissing as exc:  # a damaged file: found only when it is loaded
            weights = weights_note(exc)
    if result is None:
        missing = weights
        result = ctx.compute(lambda device: _encoded(feature_maps.digit_hierarchy(digit, device)),
                             key=("lenet-hierarchy", digit))
    layers = result["layers"]
    selected = pick_layer(ctx.value("layer").strip(), layers)
    layer = layers[selected]
    rank = min(rank, len(layer["maps"]))  # a link made for an 8-channel view, opened on LeNet's 6-channel C1
    side = result["input"].shape[0]
    maps = _maps_view(layer, lang)
    zoom = maps[rank - 1]
    stage_views = []
    for index in feature_maps.stages(layers):
        top = layers[index]["maps"][0]
        stage_views.append({**_layer_view(layers[index], side, lang), "index": index,
                            "url": top["json"]["url"], "channel": top["channel"]})
    data = {
        "model": model, "sample": sample, "digit": digit, "rank": rank, "missing": missing,
        "source": "lenet" if missing else "photo" if ctx.photo is not None else "imagenet", "title": result["title"],
        "models": pick["options"], "pick": pick,
        "samples": [(key, s.captions[lang]) for key, s in samples.SAMPLES.items()],
        "digits": [(d, str(d)) for d in range(10)],
        "input_url": result["input_url"],
        "input_size": list(result["input"].shape[:2]),
        "layers": [_layer_view(item, side, lang) for item in layers],
        "selected": selected, "layer": _layer_view(layer, side, lang), "maps": maps, "zoom": zoom,
        "stages": stage_views,
    }
    if missing:
        data["prediction"] = result["prediction"]
        data["probability"] = _percent(result["probability"], lang)
    else:
        data["caption"] = samples.SAMPLES[sample].captions[lang]
        data["credit"] = samples.SAMPLES[sample].credit
    return data


@widget("feature-depth", params={"model": Choice("resnet18", tuple(feature_maps.FEATURE_NETWORKS))})
def build_feature_depth(ctx: WidgetContext) -> dict:
    model = ctx.value("model")
    layers = feature_maps.feature_layers(model)
    side = architecture_table(feature_maps.FEATURE_NETWORKS[model])["input_shape"][1]
    widest = max(layer["shape"][0] for layer in layers)
    stage_rows = set(feature_maps.stages(layers))
    rows = [{
        "name": layer["name"], "shape": hwc(layer["shape"]), "side": layer["shape"][1], "channels": layer["shape"][0],
        "field": layer["receptive_field"], "stage": index in stage_rows,
        "side_share": round(100 * layer["shape"][1] / side, 1),
        "channel_share": round(100 * layer["shape"][0] / widest, 1),
        "field_share": round(100 * min(layer["receptive_field"], side) / side, 1),
        "beyond": layer["receptive_field"] > side,
    } for index, layer in enumerate(layers)]
    first, last = layers[0], layers[-1]
    return {
        "model": model, "models": [(key, MODELS[key].title) for key in feature_maps.FEATURE_NETWORKS],
        "title": MODELS[model].title, "long_title": NETWORKS[feature_maps.FEATURE_NETWORKS[model]][3][ctx.lang],
        "side": side, "rows": rows,
        "first": hwc(first["shape"]), "last": hwc(last["shape"]),
        "first_field": first["receptive_field"], "last_field": last["receptive_field"],
    }


# Exercises. Each draws its numbers from the seeded `rng` and computes the answer with app.compute.


@exercise("fh-vgg-shape")
def fh_vgg_shape(rng: random.Random, lang: str, params: dict) -> Question:
    configuration = rng.choice(("A", "B", "D", "E"))
    side = rng.choice((224, 192, 160, 128, 256))
    rows = feature_maps.vgg_shapes(configuration, side)
    depth = rng.randrange(4, len(rows) + 1)  # 1-based: the answer is the output of layer `depth`
    plan = ", ".join(row["label"] for row in rows[:depth])
    h, w, c = rows[depth - 1]["shape"]
    name = {"A": "VGG-11", "B": "VGG-13", "D": "VGG-16", "E": "VGG-19"}[configuration]
    text = translate(lang, "feature_hierarchy_fh_vgg_shape_text", name=name, configuration=configuration, side=side,
        depth=depth, plan=plan)
    hint = translate(lang, "feature_hierarchy_fh_vgg_shape_hint")
    pools = sum(1 for row in rows[:depth] if row["kind"] == "pool")
    steps = " → ".join("×".join(map(str, row["shape"])) for row in rows[:depth])
    solution = translate(lang, "feature_hierarchy_fh_vgg_shape_solution", pools=pools, side=side, h=h, depth=depth,
        c=c, steps=steps)
    return Question(prompt=text, answer=(h, w, c), kind="shape", hint=hint, solution=solution)


# Layers for the receptive-field exercise: (label, kernel, stride).
_RF_LAYERS = {"conv3": (3, 1), "conv5": (5, 1), "pool2": (2, 2)}


@exercise("fh-receptive-field")
def fh_receptive_field(rng: random.Random, lang: str, params: dict) -> Question:
    if rng.random() < 0.5:
        chain = ["conv3"] * rng.randint(2, 6)
    else:
        chain = []
        for _ in range(rng.randint(3, 5)):
            chain.append(rng.choice(("conv3", "conv3", "conv5", "pool2")))
    fields = receptive_fields([{"kernel": _RF_LAYERS[n][0], "stride": _RF_LAYERS[n][1], "padding": 0} for n in chain])
    answer = fields[-1]["size"]
    plan = " → ".join(translate(lang, f"fh_rf_layer_{n}") for n in chain)
    text = translate(lang, "feature_hierarchy_fh_receptive_field_text", plan=plan)
    hint = translate(lang, "feature_hierarchy_fh_receptive_field_hint")
    size, jump, parts = 1, 1, []
    for n, field in zip(chain, fields):
        kernel = _RF_LAYERS[n][0]
        parts.append(f"{size} + ({kernel} − 1)·{jump} = {field['size']}")
        size, jump = field["size"], field["jump"]
    return Question(prompt=text, answer=answer, kind="integer", hint=hint, solution="; ".join(parts) + ".")


@exercise("fh-channel-rank")
def fh_channel_rank(rng: random.Random, lang: str, params: dict) -> Question:
    while True:
        channels = rng.choice((3, 4))
        volume = [[[rng.choice((0, 0, 0, 1, 2, 3, 4, 5)) for _ in range(3)] for _ in range(3)] for _ in range(channels)]
        ranked = activation_maps.top_channels(volume, channels)
        means = sorted((mean for _, mean in ranked), reverse=True)
        if means[0] - means[1] > 1e-9:  # one clear winner
            break
    answer = ranked[0][0] + 1  # channels counted from 1, as the page counts
    grids = "".join(
        f'<div class="grid-box"><h4>{escape("channel" if lang == "en" else "канал")} {c + 1}</h4><table class="num-grid">'
        + "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in plane) + "</table></div>"
        for c, plane in enumerate(volume))
    text = translate(lang, "feature_hierarchy_fh_channel_rank_text", channels=channels)
    hint = translate(lang, "feature_hierarchy_fh_channel_rank_hint")
    sums = ", ".join(f"{c + 1}: {sum(sum(r) for r in volume[c])}/9 = {decimal(mean, lang)}" for c, mean in sorted(ranked))
    solution = translate(lang, "feature_hierarchy_fh_channel_rank_solution", sums=sums, answer=answer)
    prompt, figure = text, Markup(f"<div class=\"grids\">{grids}</div>")
    return Question(prompt=prompt, figure=figure, answer=answer, kind="integer", hint=hint, solution=solution)


_NETWORK_NAMES = {"resnet18": "ResNet-18", "vgg16": "VGG-16", "alexnet-torchvision": "AlexNet (torchvision)"}


@exercise("fh-deepest")
def fh_deepest(rng: random.Random, lang: str, params: dict) -> Question:
    network = rng.choice(tuple(_NETWORK_NAMES))
    table = architecture_table(network)
    channels, side, _ = table["input_shape"]
    rows = [row for row in table["layers"] if row["kind"] in ("conv", "block")]
    by_size: dict[int, dict] = {}
    for row in rows:
        by_size.setdefault(row["output_shape"][1], row)  # the first layer at each map size
    picked = rng.sample(list(by_size.values()), min(4, len(by_size)))
    deepest = max(picked, key=rows.index)
    rng.shuffle(picked)
    keys = "abcd"
    choices = tuple((keys[i], hwc(row["output_shape"])) for i, row in enumerate(picked))
    answer = keys[picked.index(deepest)]
    name = _NETWORK_NAMES[network]
    text = translate(lang, "feature_hierarchy_fh_deepest_text", name=name, side=side, channels=channels,
        len_picked=len(picked))
    hint = translate(lang, "feature_hierarchy_fh_deepest_hint")
    order = " → ".join(f"{row['name']} {hwc(row['output_shape'])}" for row in sorted(picked, key=rows.index))
    solution = translate(lang, "feature_hierarchy_fh_deepest_solution", order=order,
        hwc_deepest_output_shape=hwc(deepest['output_shape']))
    return Question(prompt=text, answer=answer, kind="choice", choices=choices, hint=hint,
                    solution=solution)
