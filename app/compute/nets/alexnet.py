"""AlexNet as the lecture tells it: its listing, its training details, and how torchvision's differs.

Quoted figures live here as data with their source; everything derived from them (shapes, the
ensemble's gain, parameter and MAC differences) is computed, and tests check it. The ReLU/tanh
curves and the dropout demo run through PyTorch itself.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
import torch.nn.functional as F
import torchvision

from app.compute.ops import arithmetic
from app.compute.nets.architectures import AlexNet2012, architecture_table
from app.compute.errors import InputError

LECTURE_SOURCE = {
    "en": "the lecture, slide “Case Study: AlexNet” [Krizhevsky et al. 2012]",
    "ru": "лекция, слайд «Case Study: AlexNet» [Krizhevsky et al. 2012]",
}
PAPER = ("A. Krizhevsky, I. Sutskever, G. E. Hinton. ImageNet Classification with Deep Convolutional "
         "Neural Networks. NIPS 2012")

# The lecture's listing, line by line, as the slide writes it ("Full (simplified) AlexNet architecture").
LECTURE_LISTING = (
    "[227x227x3] INPUT",
    "[55x55x96] CONV1: 96 11x11 filters at stride 4, pad 0",
    "[27x27x96] MAX POOL1: 3x3 filters at stride 2",
    "[27x27x96] NORM1: Normalization layer",
    "[27x27x256] CONV2: 256 5x5 filters at stride 1, pad 2",
    "[13x13x256] MAX POOL2: 3x3 filters at stride 2",
    "[13x13x256] NORM2: Normalization layer",
    "[13x13x384] CONV3: 384 3x3 filters at stride 1, pad 1",
    "[13x13x384] CONV4: 384 3x3 filters at stride 1, pad 1",
    "[13x13x256] CONV5: 256 3x3 filters at stride 1, pad 1",
    "[6x6x256] MAX POOL3: 3x3 filters at stride 2",
    "[4096] FC6: 4096 neurons",
    "[4096] FC7: 4096 neurons",
    "[1000] FC8: 1000 neurons (class scores)",
)

_LINE = re.compile(r"^\[(?P<shape>[\dx]+)\] (?P<label>[A-Z ]+?\d?)(?::|$)(?P<rest>.*)$")
_CONV = re.compile(r"(?P<filters>\d+) (?P<size>\d+)x\d+ filters at stride (?P<stride>\d+), pad (?P<pad>\d+)")
_POOL = re.compile(r"(?P<size>\d+)x\d+ filters at stride (?P<stride>\d+)")


def lecture_listing() -> list[dict]:
    """The lecture's lines parsed: label, shape as written (H, W, C or N), and conv/pool settings."""
    rows = []
    for line in LECTURE_LISTING:
        match = _LINE.match(line)
        label = match["label"].strip()
        row = {"text": line, "label": label, "shape": [int(v) for v in match["shape"].split("x")],
               "name": label.lower().replace("max ", "")}
        if (conv := _CONV.search(match["rest"])) is not None:
            row["settings"] = {key: int(value) for key, value in conv.groupdict().items()}
        elif (pool := _POOL.search(match["rest"])) is not None:
            row["settings"] = {key: int(value) for key, value in pool.groupdict().items()}
        rows.append(row)
    return rows


def _hwc(shape: list[int]) -> list[int]:
    """A computed shape (C, H, W) or (N,) in the lecture's order (H, W, C) or (N,)."""
    return [shape[1], shape[2], shape[0]] if len(shape) == 3 else list(shape)


@lru_cache(maxsize=1)
def _alexnet_modules() -> dict[str, torch.nn.Module]:
    # On the meta device the 62M parameters get shapes but no memory and no random init.
    with torch.device("meta"):
        return dict(AlexNet2012().named_children())


def _module_settings(name: str) -> dict | None:
    module = _alexnet_modules().get(name)
    if isinstance(module, torch.nn.Conv2d):
        return {"filters": module.out_channels, "size": module.kernel_size[0], "stride": module.stride[0],
                "pad": module.padding[0]}
    if isinstance(module, torch.nn.MaxPool2d):
        return {"size": module.kernel_size, "stride": module.stride}
    return None


def compare_with_lecture() -> dict:
    """The computed AlexNet table beside the lecture's listing, row by row, with what matches."""
    table = architecture_table("alexnet")
    total_params = table["totals"]["params"]
    rows = []
    for quoted, computed in zip(lecture_listing(), table["layers"], strict=True):
        shape = _hwc(computed["output_shape"])
        settings = _module_settings(computed["name"])
        rows.append({
            "lecture": quoted["text"], "label": quoted["label"], "lecture_shape": quoted["shape"],
            "name": computed["name"], "kind": computed["kind"], "shape": shape, "detail": computed["detail"],
            "params": computed["params"], "macs": computed["macs"], "activations": computed["activations"],
            "params_share": computed["params"] / total_params,
            "shape_matches": shape == quoted["shape"],
            "name_matches": computed["name"] == quoted["name"],
            "settings_match": quoted.get("settings") == settings,
        })
    for row in rows:
        row["matches"] = row["shape_matches"] and row["name_matches"] and row["settings_match"]
    fc_params = sum(r["params"] for r in rows if r["kind"] == "fc")
    conv_params = sum(r["params"] for r in rows if r["kind"] == "conv")
    conv_macs = sum(r["macs"] for r in rows if r["kind"] == "conv")
    return {
        "rows": rows, "all_match": all(r["matches"] for r in rows), "totals": table["totals"],
        "title": table["title"], "fc_params": fc_params, "conv_params": conv_params,
        "fc_share": fc_params / total_params, "conv_macs_share": conv_macs / table["totals"]["macs"],
        "source": LECTURE_SOURCE,
    }


@dataclass(frozen=True)
class Fact:
    """One line of the lecture's 'Details/Retrospectives', its values, and what the paper adds."""

    key: str
    quote: str  # the lecture's words
    text: dict  # en/ru with {placeholders} filled from values
    values: dict
    note: dict  # en/ru: what the paper adds, with {placeholders}
    source: str = "lecture"


def _lrn() -> torch.nn.LocalResponseNorm:
    return _alexnet_modules()["norm1"]


def _dropout_p() -> float:
    return _alexnet_modules()["drop6"].p


TRAINING_FACTS = (
    Fact("relu", "first use of ReLU",
         {"en": "ReLU, max(0, x), as the non-linearity instead of tanh",
          "ru": "ReLU, max(0, x), вместо tanh в качестве нелинейности"},
         {"speedup": 6, "target_error": 25},
         {"en": "Not the first use: AlexNet popularised ReLU, and its paper cites Nair and Hinton (2010) and "
                "Jarrett et al. (2009) for it. The paper's figure 1: a four-layer CNN with ReLUs reached "
                "{target_error}% training error on CIFAR-10 about {speedup} times faster than the same network with tanh.",
          "ru": "Не первое применение: AlexNet сделала ReLU популярной, а сама статья ссылается на Наира и Хинтона "
                "(2010) и Джарретта и др. (2009). Рисунок 1 статьи: четырёхслойная сеть с ReLU дошла до "
                "{target_error}% ошибки на обучающей выборке CIFAR-10 примерно в {speedup} раз быстрее, чем такая "
                "же сеть с tanh."}),
    Fact("norm", "used Norm layers (not common anymore)",
         {"en": "Local response normalisation after the first two conv blocks (rarely used today)",
          "ru": "Локальная нормировка откликов после первых двух свёрточных блоков (сегодня почти не применяется)"},
         {},  # filled from the model below
         {"en": "Constants from the paper: size {size}, k = {k}, α = {alpha}, β = {beta}.",
          "ru": "Константы из статьи: размер {size}, k = {k}, α = {alpha}, β = {beta}."}),
    Fact("augmentation", "heavy data augmentation",
         {"en": "Heavy data augmentation", "ru": "Активное расширение данных (аугментация)"},
         {"crop": 224, "image": 256},
         {"en": "Random {crop}×{crop} crops of {image}×{image} images and their mirror images, plus a colour "
                "(PCA lighting) change.",
          "ru": "Случайные фрагменты {crop}×{crop} из изображений {image}×{image}, их зеркальные отражения и "
                "изменение цвета (освещения) вдоль главных компонент."}),
    Fact("dropout", "dropout 0.5",
         {"en": "Dropout with probability {p}", "ru": "Dropout с вероятностью {p}"},
         {},  # filled from the model below
         {"en": "In the first two fully connected layers (FC6 and FC7).",
          "ru": "В первых двух полносвязных слоях (FC6 и FC7)."}),
    Fact("batch", "batch size 128",
         {"en": "Batch size {batch}", "ru": "Размер мини-батча {batch}"},
         {"batch": 128},
         {"en": "", "ru": ""}),
    Fact("momentum", "SGD Momentum 0.9",
         {"en": "SGD with momentum {momentum}", "ru": "SGD с моментом {momentum}"},
         {"momentum": 0.9},
         {"en": "", "ru": ""}),
    Fact("learning_rate", "Learning rate 1e-2, reduced by 10 manually when val accuracy plateaus",
         {"en": "Learning rate {lr}, divided by {factor} by hand whenever validation accuracy stopped improving",
          "ru": "Скорость обучения {lr}, её вручную делили на {factor}, когда точность на валидации переставала расти"},
         {"lr": 1e-2, "factor": 10, "reductions": 3},
         {"en": "The paper reduced it {reductions} times before stopping: {schedule}.",
          "ru": "В статье её уменьшали {reductions} раза до конца обучения: {schedule}."}),
    Fact("weight_decay", "L2 weight decay 5e-4",
         {"en": "L2 weight decay {decay}", "ru": "L2-регуляризация (weight decay) {decay}"},
         {"decay": 5e-4},
         {"en": "", "ru": ""}),
    Fact("ensemble", "7 CNN ensemble: 18.2% -> 15.4%",
         {"en": "An ensemble of {models} CNNs: error {single}% → {ensemble}%",
          "ru": "Ансамбль из {models} сетей: ошибка {single}% → {ensemble}%"},
         # The paper's table 2: 5 CNNs trained on ILSVRC-2012 alone give 16.4%; the 7 include two CNNs
         # pre-trained on the whole ImageNet Fall 2011 release.
         {"models": 7, "single": 18.2, "ensemble": 15.4, "plain_models": 5, "plain_ensemble": 16.4},
         {"en": "Top-5 error on the ILSVRC-2012 validation set (the paper's table 2). Two of the {models} CNNs were "
                "pre-trained on extra data (the whole ImageNet Fall 2011 release). The {plain_models} CNNs trained "
                "on ILSVRC-2012 alone give {single}% → {plain_ensemble}%, {plain_gain} points; the extra data brings "
                "the rest of the lecture's {gain} points.",
          "ru": "Ошибка top-5 на валидационной выборке ILSVRC-2012 (таблица 2 статьи). Две из {models} сетей были "
                "предобучены на дополнительных данных (всём выпуске ImageNet Fall 2011). {plain_models} сетей, "
                "обученных только на ILSVRC-2012, дают {single}% → {plain_ensemble}%, то есть {plain_gain} "
                "процентного пункта; остальное из {gain} пункта в лекции приносят дополнительные данные."}),
)


def number_text(value, lang: str) -> str:
    """A number as each language writes it: 0.01 / 0,01; 1e-2 stays a plain decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = f"{value:.10f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
    return text.replace(".", ",") if lang == "ru" else text


def training_details() -> list[dict]:
    """The lecture's training details with their values, derived numbers and the paper's notes."""
    lrn = _lrn()
    details = []
    for fact in TRAINING_FACTS:
        values = dict(fact.values)
        if fact.key == "norm":
            values.update(size=lrn.size, k=float(lrn.k), alpha=float(lrn.alpha), beta=float(lrn.beta))
        if fact.key == "dropout":
            values["p"] = float(_dropout_p())
        if fact.key == "learning_rate":
            values["rates"] = [values["lr"] / values["factor"] ** k for k in range(values["reductions"] + 1)]
        if fact.key == "ensemble":
            values["gain"] = round(values["single"] - values["ensemble"], 6)
            values["plain_gain"] = round(values["single"] - values["plain_ensemble"], 6)
        text, note = {}, {}
        for lang in fact.text:
            shown = {key: number_text(value, lang) for key, value in values.items()}
            if "rates" in values:
                shown["schedule"] = " → ".join(number_text(rate, lang) for rate in values["rates"])
            text[lang] = fact.text[lang].format(**shown)
            note[lang] = fact.note[lang].format(**shown)
        details.append({"key": fact.key, "quote": fact.quote, "values": values, "text": text, "note": note})
    return details


def _layer_settings(model: torch.nn.Module) -> dict[str, list[dict]]:
    """Settings of each conv, pool and fc layer in forward order, grouped by kind."""
    kinds = {"conv": [], "pool": [], "fc": []}
    for module in model.modules():
        if isinstance(module, torch.nn.Conv2d):
            kinds["conv"].append({"depth_in": module.in_channels, "filters": module.out_channels,
                                  "kernel": module.kernel_size[0],
                                  "stride": module.stride[0], "padding": module.padding[0]})
        elif isinstance(module, torch.nn.MaxPool2d):
            kinds["pool"].append({"kernel": module.kernel_size, "stride": module.stride})
        elif isinstance(module, torch.nn.Linear):
            kinds["fc"].append({"inputs": module.in_features, "neurons": module.out_features})
    return kinds


@lru_cache(maxsize=1)
def _torchvision_settings() -> dict[str, list[dict]]:
    with torch.device("meta"):
        return _layer_settings(torchvision.models.alexnet(weights=None))


def compare_with_torchvision() -> dict:
    """The original AlexNet and torchvision's side by side: rows paired by kind, with what changed and its cost.

    Each row has "changes": [{"what": "depth_in"|"filters"|"kernel"|"stride"|"padding"|"inputs"|"neurons"|"input"|"removed",
    "from", "to"}], read from the modules themselves.
    """
    original, tv = architecture_table("alexnet"), architecture_table("alexnet-torchvision")
    settings = {"original": _layer_settings(torch.nn.Sequential(*_alexnet_modules().values())),
                "torchvision": _torchvision_settings()}
    by_kind = {}
    for row in tv["layers"]:
        by_kind.setdefault(row["kind"], []).append(row)
    taken = {kind: 0 for kind in ("input", "conv", "pool", "norm", "fc")}
    rows = []
    for row in original["layers"]:
        kind = row["kind"]
        index = taken[kind]
        partner = by_kind.get(kind, [])[index] if index < len(by_kind.get(kind, [])) else None
        taken[kind] += 1
        changes = []
        if partner is None:
            changes.append({"what": "removed", "from": None, "to": None})
        elif kind == "input":
            if partner["output_shape"] != row["output_shape"]:
                changes.append({"what": "input", "from": row["output_shape"][-1], "to": partner["output_shape"][-1]})
        elif kind in settings["original"]:
            before, after = settings["original"][kind][index], settings["torchvision"][kind][index]
            changes += [{"what": key, "from": before[key], "to": after[key]} for key in before if before[key] != after[key]]
        rows.append({
            "kind": kind, "original": _side(row), "torchvision": _side(partner) if partner else None,
            "params_diff": (partner["params"] - row["params"]) if partner else -row["params"],
            "macs_diff": (partner["macs"] - row["macs"]) if partner else -row["macs"],
            "same_shape": bool(partner) and partner["output_shape"] == row["output_shape"],
            "changes": changes,
        })
    totals = {}
    for key in ("params", "macs", "activations"):
        a, b = original["totals"][key], tv["totals"][key]
        totals[key] = {"original": a, "torchvision": b, "diff": b - a, "ratio": b / a}
    return {"rows": rows, "totals": totals, "titles": {"original": original["title"], "torchvision": tv["title"]}}


def _side(row: dict) -> dict:
    return {"name": row["name"], "shape": _hwc(row["output_shape"]), "detail": row["detail"],
            "params": row["params"], "macs": row["macs"]}


def input_size_puzzle(widths=(224, 227), kernel: int = 11, stride: int = 4, padding: int = 0) -> list[dict]:
    """CONV1's output size W2 = (W − F + 2P)/S + 1 for each input width, written out (arithmetic.py)."""
    return [arithmetic.conv_arithmetic(width, kernel, stride, padding, in_channels=3, filters=96)
            for width in widths]


def valid_widths(low: int, high: int, kernel: int = 11, stride: int = 4, padding: int = 0) -> list[int]:
    """Every input width in [low, high] for which the layer's output size is a whole number."""
    return [w for w in range(low, high + 1)
            if arithmetic.conv_arithmetic(w, kernel, stride, padding)["valid"]]


def unread_columns(width: int, kernel: int = 11, stride: int = 4, padding: int = 0) -> list[int]:
    """Input columns (1-based) that no window of the layer reads, found by autograd on a 1×width row.

    A column is read when the output depends on it, i.e. when its gradient through an all-ones kernel is non-zero.
    """
    result = arithmetic.conv_arithmetic(width, kernel, stride, padding)
    if result["floor_output"] is None:
        return list(range(1, width + 1))
    x = torch.ones(1, 1, 1, width, dtype=torch.float64, requires_grad=True)
    F.conv2d(x, torch.ones(1, 1, 1, kernel, dtype=torch.float64), stride=(1, stride), padding=(0, padding)).sum().backward()
    return [i + 1 for i, g in enumerate(x.grad[0, 0, 0].tolist()) if g == 0]


MAX_CURVE_POINTS = 2001


def activation_curves(x_min: float = -4.0, x_max: float = 4.0, points: int = 161) -> dict:
    """ReLU and tanh and their slopes on a grid, computed by PyTorch (slopes by autograd)."""
    if not (np.isfinite(x_min) and np.isfinite(x_max)) or x_min >= x_max or not 2 <= points <= MAX_CURVE_POINTS:
        raise InputError(
            en=f"The range must go from a smaller to a larger finite number, with 2 to {MAX_CURVE_POINTS} points.",
            ru=f"Диапазон задаётся двумя конечными числами, меньшим и большим, и числом точек от 2 до {MAX_CURVE_POINTS}.",
        )
    x = torch.linspace(x_min, x_max, points, dtype=torch.float64)
    return {"x": x.tolist(), **{name: values for name, values in _activations(x).items()}}


def _activations(x: torch.Tensor) -> dict:
    out = {}
    for name, fn in (("relu", torch.relu), ("tanh", torch.tanh)):
        leaf = x.detach().clone().requires_grad_(True)
        y = fn(leaf)
        (slope,) = torch.autograd.grad(y.sum(), leaf)
        out[name] = y.detach().tolist()
        out[f"{name}_slope"] = slope.tolist()
    return out


def activations_at(x: float) -> dict:
    """ReLU, tanh and their slopes at one point."""
    if not np.isfinite(x):
        raise InputError(en="x must be a finite number.", ru="x должно быть конечным числом.")
    values = _activations(torch.tensor([float(x)], dtype=torch.float64))
    return {"x": float(x), **{name: v[0] for name, v in values.items()}}


MAX_DROPOUT_VALUES = 64


def dropout_demo(values, p: float, seed: int, repeats: int = 2000) -> dict:
    """Dropout on one vector, two conventions side by side, with one seeded mask.

    PyTorch ("inverted" dropout): training keeps each value with probability 1 − p and divides the
    kept ones by 1 − p; at test time the layer does nothing. The 2012 paper: training only zeroes,
    and at test time every output is multiplied by 1 − p. Both keep the expected output equal to
    what the test-time layer gives; `mean_over_masks` checks it over `repeats` seeded masks.
    """
    x = torch.as_tensor(np.asarray(values, dtype=np.float64))
    if x.ndim != 1 or not 1 <= x.numel() <= MAX_DROPOUT_VALUES or not torch.isfinite(x).all():
        raise InputError(
            en=f"Dropout needs 1 to {MAX_DROPOUT_VALUES} finite numbers.",
            ru=f"Для dropout нужно от 1 до {MAX_DROPOUT_VALUES} конечных чисел.",
        )
    if not 0.0 <= p < 1.0:
        raise InputError(en=f"p must be at least 0 and below 1, got {p}.", ru=f"p должно быть от 0 до 1 (не включая 1), а получено {p}.")
    generator = torch.Generator().manual_seed(int(seed))
    keep = torch.bernoulli(torch.full_like(x, 1.0 - p), generator=generator)  # 1 = kept
    train_pytorch = x * keep / (1.0 - p)
    masks = torch.bernoulli(torch.full((repeats, x.numel()), 1.0 - p, dtype=torch.float64), generator=generator)
    return {
        "x": x.tolist(), "p": p, "seed": int(seed), "keep": [bool(k) for k in keep.tolist()],
        "kept": int(keep.sum().item()),
        "train_pytorch": train_pytorch.tolist(), "test_pytorch": x.tolist(),
        "train_paper": (x * keep).tolist(), "test_paper": (x * (1.0 - p)).tolist(),
        "repeats": repeats,
        "mean_over_masks": (x * masks / (1.0 - p)).mean(dim=0).tolist(),  # ≈ x
        "functional": F.dropout(x, p, training=False).tolist(),  # PyTorch's own test-time dropout: x
    }


def dropout_vector(seed: int, length: int = 10) -> list[float]:
    """A seeded vector of ReLU-like activations (non-negative, two decimals) to drop out."""
    rng = np.random.default_rng(int(seed))
    values = np.round(rng.uniform(0.0, 2.0, length), 2)
    values[rng.random(length) < 0.2] = 0.0  # some are already zero, as after a ReLU
    return values.tolist()
