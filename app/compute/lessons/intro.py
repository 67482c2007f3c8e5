"""Lessons 1 and 2: why CNNs, and fully connected layers against convolutional ones.

- ILSVRC classification results (top-5 error by year) as quoted data with their sources, and the
  lecture's own figures set against them;
- top-k correctness of a list of class scores (softmax and ranking in torch);
- real inputs as tensors: a photo's R, G, B channels, a synthetic sound and its STFT spectrogram,
  a synthetic 3-D volume, a video made of moving frames;
- how strongly neighbouring pixels of a photo are correlated, by distance;
- parameter counts of a fully connected layer and a conv layer on the same input, from real
  (meta-device) torch modules, and which input pixels one unit of each is connected to (autograd).
"""

import math
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import numpy as np
import torch
from torch import nn

from app.compute import samples
from app.compute.arrays import to_int
from app.compute.errors import InputError
from app.compute.nets.hooks import count_parameters

# ---------------------------------------------------------------------------------------------
# ILSVRC classification: top-5 error of the entries the lessons talk about.

RESULTS_2010 = "ILSVRC 2010 results, image-net.org/challenges/LSVRC/2010/results"
RESULTS_2011 = "ILSVRC 2011 results, image-net.org/challenges/LSVRC/2011/results"
RESULTS_2012 = "ILSVRC 2012 results, image-net.org/challenges/LSVRC/2012/results.html"
RESULTS_2013 = "ILSVRC 2013 results, image-net.org/challenges/LSVRC/2013/results.php"
RESULTS_2014 = "ILSVRC 2014 results, image-net.org/challenges/LSVRC/2014/results"
RESULTS_2015 = "ILSVRC 2015 results, image-net.org/challenges/LSVRC/2015/results"
RUSSAKOVSKY = "Russakovsky et al., ImageNet Large Scale Visual Recognition Challenge, IJCV 115 (2015)"
KRIZHEVSKY = "Krizhevsky, Sutskever, Hinton, ImageNet Classification with Deep CNNs, NIPS 2012"
SZEGEDY = "Szegedy et al., Going Deeper with Convolutions, CVPR 2015"
SIMONYAN = "Simonyan, Zisserman, Very Deep Convolutional Networks, ICLR 2015"
HE = "He et al., Deep Residual Learning for Image Recognition, CVPR 2016"
DEEP_LEARNING_BOOK = "Goodfellow, Bengio, Courville, Deep Learning, MIT Press 2016, chapter 1"


@dataclass(frozen=True)
class Result:
    """One entry of the ILSVRC classification task, its top-5 error as the official results print it."""

    key: str
    year: int
    team: str
    model: str
    error: str  # fraction of test images whose true class is not among the 5 guesses, e.g. "0.26172"
    place: int  # the team's place in the classification task
    cnn: bool
    notes: dict[str, str]
    sources: tuple[str, ...]

    @property
    def percent(self) -> Decimal:
        return Decimal(self.error) * 100


RESULTS: tuple[Result, ...] = (
    Result("nec2010", 2010, "NEC-UIUC", "", "0.28191", 1, False,
           {"en": "Hand-designed features (SIFT, LBP), feature coding and linear SVMs.",
            "ru": "Признаки, придуманные вручную (SIFT, LBP), их кодирование и линейные SVM."},
           (RESULTS_2010, RUSSAKOVSKY)),
    Result("xrce2011", 2011, "XRCE", "", "0.25770", 1, False,
           {"en": "Fisher vectors over local descriptors and linear classifiers.",
            "ru": "Векторы Фишера по локальным дескрипторам и линейные классификаторы."},
           (RESULTS_2011, RUSSAKOVSKY)),
    Result("isi2012", 2012, "ISI", "", "0.26172", 2, False,
           {"en": "Fisher vectors over SIFT, LBP, GIST and colour SIFT: the best entry of 2012 that was not a CNN.",
            "ru": "Векторы Фишера по SIFT, LBP, GIST и цветному SIFT: лучшая заявка 2012 года без свёрточной сети."},
           (RESULTS_2012, KRIZHEVSKY)),
    Result("alexnet2012", 2012, "SuperVision", "AlexNet", "0.16422", 1, True,
           {"en": "An ensemble of 5 CNNs trained only on the competition's training data.",
            "ru": "Ансамбль из 5 свёрточных сетей, обученных только на данных соревнования."},
           (RESULTS_2012, KRIZHEVSKY)),
    Result("alexnet2012x", 2012, "SuperVision", "AlexNet", "0.15315", 1, True,
           {"en": "An ensemble of 7 CNNs, two of them pre-trained on the larger ImageNet Fall 2011 release.",
            "ru": "Ансамбль из 7 свёрточных сетей, две из них предобучены на более полном ImageNet Fall 2011."},
           (RESULTS_2012, KRIZHEVSKY)),
    Result("clarifai2013", 2013, "Clarifai", "ZFNet", "0.11743", 1, True,
           {"en": "A CNN in the style of Zeiler and Fergus (ZFNet), averaged over several models.",
            "ru": "Свёрточная сеть в духе Цайлера и Фергюса (ZFNet), усреднение нескольких моделей."},
           (RESULTS_2013, RUSSAKOVSKY)),
    Result("googlenet2014", 2014, "GoogLeNet", "GoogLeNet", "0.06656", 1, True,
           {"en": "Inception modules, 22 layers deep; an ensemble of 7 networks.",
            "ru": "Модули Inception, глубина 22 слоя; ансамбль из 7 сетей."},
           (RESULTS_2014, SZEGEDY)),
    Result("vgg2014", 2014, "VGG", "VGG", "0.07325", 2, True,
           {"en": "Stacks of 3×3 convolutions, 16 and 19 layers deep; second place.",
            "ru": "Стопки свёрток 3×3, глубина 16 и 19 слоёв; второе место."},
           (RESULTS_2014, SIMONYAN)),
    Result("resnet2015", 2015, "MSRA", "ResNet", "0.03567", 1, True,
           {"en": "Residual networks up to 152 layers deep; an ensemble.",
            "ru": "Остаточные сети глубиной до 152 слоёв; ансамбль."},
           (RESULTS_2015, HE)),
)


@dataclass(frozen=True)
class Quote:
    """A top-5 error as the lecture's opening quotation writes it, and the result it stands for."""

    key: str
    percent: str  # as printed in the lecture, with a decimal point
    lecture_text: str  # the lecture's words (Russian)
    result: str  # key into RESULTS
    meaning: dict[str, str]


LECTURE_QUOTES: tuple[Quote, ...] = (
    Quote("before", "26.1", "снизив уровень ошибок с 26,1%", "isi2012",
          {"en": "the best entry of 2012 that was not a CNN (ISI, second place)",
           "ru": "лучшая заявка 2012 года без свёрточной сети (ISI, второе место)"}),
    Quote("alexnet", "15.3", "до 15,3%", "alexnet2012x",
          {"en": "AlexNet's winning entry in 2012 (7 CNNs, with extra pre-training data)",
           "ru": "победившая заявка AlexNet в 2012 году (7 сетей, с дополнительными данными для предобучения)"}),
    Quote("latest", "3.6", "снизились до 3,6%", "resnet2015",
          {"en": "ResNet, the winner of 2015, the latest result when the book was written",
           "ru": "ResNet, победитель 2015 года, последний результат на момент написания книги"}),
)
LECTURE_QUOTE_SOURCE = DEEP_LEARNING_BOOK


def _result(key: str) -> Result:
    return next(r for r in RESULTS if r.key == key)


def _one_decimal(value: Decimal, rounding) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=rounding)


def imagenet_results() -> dict:
    """Every entry with its percent, the best entry per year, and what the drop amounts to.

    Returns {"results": [{key, year, team, model, error, percent, place, cnn, notes, sources}],
    "best": the lowest-error entry of each year (year order), "first", "last" (the best of the first and
    the last year), "factor": first / last, "drop_2012": {"before", "after", "points", "relative"}: the best
    non-CNN entry of 2012 against the best CNN entry of 2012}.
    """
    rows = [
        {"key": r.key, "year": r.year, "team": r.team, "model": r.model, "error": r.error,
         "percent": float(r.percent), "place": r.place, "cnn": r.cnn, "notes": r.notes, "sources": list(r.sources)}
        for r in RESULTS
    ]
    best = []
    for year in sorted({r["year"] for r in rows}):
        best.append(min((r for r in rows if r["year"] == year), key=lambda r: Decimal(r["error"])))
    in_2012 = [r for r in RESULTS if r.year == 2012]
    before = min((r for r in in_2012 if not r.cnn), key=lambda r: r.percent)
    after = min((r for r in in_2012 if r.cnn), key=lambda r: r.percent)
    return {
        "results": rows,
        "best": best,
        "first": best[0],
        "last": best[-1],
        "factor": float(Decimal(best[0]["error"]) / Decimal(best[-1]["error"])),
        "drop_2012": {
            "before": before.key, "after": after.key,
            "points": float(before.percent - after.percent),
            "relative": float((before.percent - after.percent) / before.percent),
        },
    }


def lecture_figures() -> list[dict]:
    """The lecture's three figures beside the official results they stand for, and how each was shortened.

    "how" is "rounded" when the lecture's figure is the official percent rounded to one decimal,
    "truncated" when it is the percent cut after one decimal (and rounding would give another figure),
    otherwise "differs".
    """
    rows = []
    for quote in LECTURE_QUOTES:
        result = _result(quote.result)
        quoted = Decimal(quote.percent)
        rounded = _one_decimal(result.percent, ROUND_HALF_UP)
        truncated = _one_decimal(result.percent, ROUND_DOWN)
        how = "rounded" if quoted == rounded else "truncated" if quoted == truncated else "differs"
        rows.append({
            "key": quote.key, "lecture": float(quoted), "lecture_text": quote.lecture_text,
            "meaning": quote.meaning, "result": result.key, "year": result.year, "team": result.team,
            "model": result.model, "error": result.error, "percent": float(result.percent),
            "rounded": float(rounded), "truncated": float(truncated), "how": how,
            "sources": list(result.sources),
        })
    return rows


# ---------------------------------------------------------------------------------------------
# Top-k: is the true class among the k highest scores?

MAX_CLASSES = 20
MAX_SCORE = 100.0


def seeded_scores(seed: int, count: int) -> list[float]:
    """`count` class scores (logits) drawn from N(0, 2²) with a seeded torch generator, one decimal each."""
    seed = to_int(seed, "seed", 0, 10**9)
    count = to_int(count, "count", 2, MAX_CLASSES)
    generator = torch.Generator().manual_seed(seed)
    scores = torch.randn(count, generator=generator, dtype=torch.float64) * 2
    return [round(float(s), 1) for s in scores]


def top_k(scores, true_index, k: int = 5) -> dict:
    """Softmax over the scores, the ranking, and whether the true class is first and among the first k.

    Classes are ranked by score, highest first; equal scores keep their list order (torch.topk leaves the
    order of ties unspecified, so a stable sort decides). Returns {"probabilities" (list order), "ranking"
    (class indices, best first), "rows" (rank order: index, score, probability, rank from 1, in_top_k,
    is_true), "true_index", "true_rank", "true_probability", "top1_correct", "topk_correct", "k",
    "topk_mass": the probability of the k best together, "loss": −ln p(true)}.
    """
    values = list(scores) if isinstance(scores, (list, tuple)) else None
    if not values or not 2 <= len(values) <= MAX_CLASSES:
        raise InputError(
            en=f"Give between 2 and {MAX_CLASSES} class scores.",
            ru=f"Нужно от 2 до {MAX_CLASSES} оценок классов.",
        )
    for n, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or abs(value) > MAX_SCORE:
            raise InputError(
                en=f"Score {n + 1} must be a number between −{MAX_SCORE:g} and {MAX_SCORE:g}.",
                ru=f"Оценка {n + 1} должна быть числом от −{MAX_SCORE:g} до {MAX_SCORE:g}.",
            )
    true_index = to_int(true_index, "true_index", 0, len(values) - 1)
    k = to_int(k, "k", 1, len(values))

    logits = torch.tensor(values, dtype=torch.float64)
    probabilities = torch.softmax(logits, dim=0)
    ranking = torch.sort(logits, descending=True, stable=True).indices.tolist()
    top = set(ranking[:k])
    rank_of = {index: position + 1 for position, index in enumerate(ranking)}
    rows = [
        {"index": i, "score": values[i], "probability": float(probabilities[i]), "rank": rank_of[i],
         "in_top_k": i in top, "is_true": i == true_index}
        for i in ranking
    ]
    true_probability = float(probabilities[true_index])
    return {
        "probabilities": probabilities.tolist(),
        "ranking": ranking,
        "rows": rows,
        "true_index": true_index,
        "true_rank": rank_of[true_index],
        "true_probability": true_probability,
        "top1_correct": ranking[0] == true_index,
        "topk_correct": true_index in top,
        "k": k,
        "topk_mass": float(probabilities[ranking[:k]].sum()),
        "loss": float(-torch.log(probabilities[true_index])),
    }


# ---------------------------------------------------------------------------------------------
# Inputs as tensors.

def image_tensor(sample: str, side: int) -> dict:
    """A sample photo as a uint8 tensor (C, H, W), its channels and a corner of numbers.

    Returns {"tensor": (3, H, W) uint8, "shape": [3, H, W], "hwc_shape": [H, W, 3] (how image files and
    numpy store it), "channels": three (H, W) uint8 arrays, "corner": the top-left 4×4 of each channel,
    "means": mean of each channel, "numel"}.
    """
    side = to_int(side, "side", 8, 1024)
    picture = np.asarray(samples.load_sample(sample, side))  # (H, W, 3) uint8
    x = torch.from_numpy(picture.copy()).permute(2, 0, 1).contiguous()  # (C, H, W)
    return {
        "tensor": x,
        "shape": list(x.shape),
        "hwc_shape": list(picture.shape),
        "channels": [x[c].numpy() for c in range(x.shape[0])],
        "corner": x[:, :4, :4].tolist(),
        "means": [float(m) for m in x.double().mean(dim=(1, 2))],
        "numel": x.numel(),
    }


# ---------------------------------------------------------------------------------------------
# Why images suit convolution: neighbouring pixels are strongly correlated.

# ---------------------------------------------------------------------------------------------
# Fully connected against convolutional: parameters and connectivity.

# The lecture's example: a 100×100×3 image, 1,000 hidden units, 10 classes. Its figures count weights only.
LECTURE_FC_EXAMPLE = {"height": 100, "width": 100, "channels": 3, "hidden": 1000, "classes": 10}
LECTURE_FC_QUOTES = {
    # key: (the lecture's text, the value it states)
    "inputs": ("10k пикселей * 3 = 30k", 30_000),
    "hidden_weights": ("1k * 30k = 30 M", 30_000_000),
    "output_weights": ("10 * 1000 = 10k", 10_000),
}


@dataclass(frozen=True)
class CountLimits:
    max_side: int = 8192
    max_channels: int = 1024
    max_units: int = 1_000_000
    max_kernel: int = 64
    max_filters: int = 8192


def fc_vs_conv(height, width, channels, hidden, classes, kernel, filters, limits: CountLimits = CountLimits()) -> dict:
    """Parameters of a one-hidden-layer fully connected network and of one conv layer on the same image.

    The layers are real torch modules on the "meta" device (shapes without memory), counted with
    count_parameters. The conv layer has `filters` kernels of kernel×kernel×channels, stride 1, no
    padding. Returns {"inputs": H·W·C, "fc1": {"weights", "biases"}, "fc2": {...}, "fc": totals,
    "conv": {"weights", "biases", "out_height", "out_width", "units": activations it produces,
    "per_filter": F·F·C}, "fc1_units": hidden, "ratio": fc1 weights / conv weights, "fc1_macs",
    "conv_macs" (multiply–adds per image)}.
    """
    height = to_int(height, "height", 1, limits.max_side)
    width = to_int(width, "width", 1, limits.max_side)
    channels = to_int(channels, "channels", 1, limits.max_channels)
    hidden = to_int(hidden, "hidden", 1, limits.max_units)
    classes = to_int(classes, "classes", 1, limits.max_units)
    kernel = to_int(kernel, "kernel", 1, limits.max_kernel)
    filters = to_int(filters, "filters", 1, limits.max_filters)
    if kernel > min(height, width):
        raise InputError(
            en=f"A {kernel}×{kernel} kernel does not fit in a {height}×{width} image without padding.",
            ru=f"Ядро {kernel}×{kernel} не помещается в изображение {height}×{width} без дополнения нулями.",
        )
    inputs = height * width * channels
    fc1 = nn.Linear(inputs, hidden, device="meta")
    fc2 = nn.Linear(hidden, classes, device="meta")
    conv = nn.Conv2d(channels, filters, kernel, device="meta")
    out = conv(torch.empty(1, channels, height, width, device="meta"))  # (1, K, H − F + 1, W − F + 1)
    w1, b1 = count_parameters(fc1)
    w2, b2 = count_parameters(fc2)
    wc, bc = count_parameters(conv)
    _, _, out_h, out_w = out.shape
    return {
        "height": height, "width": width, "channels": channels, "hidden": hidden, "classes": classes,
        "kernel": kernel, "filters": filters, "inputs": inputs,
        "fc1": {"weights": w1, "biases": b1, "params": w1 + b1},
        "fc2": {"weights": w2, "biases": b2, "params": w2 + b2},
        "fc": {"weights": w1 + w2, "biases": b1 + b2, "params": w1 + b1 + w2 + b2},
        "conv": {"weights": wc, "biases": bc, "params": wc + bc, "per_filter": wc // filters,
                 "out_height": out_h, "out_width": out_w, "units": out.numel()},
        "ratio": w1 / wc,
        "fc1_macs": w1,
        "conv_macs": out.numel() * (wc // filters),
    }


def lecture_fc_check() -> dict:
    """The lecture's example recomputed, beside the figures the lecture states (weights only)."""
    ex = LECTURE_FC_EXAMPLE
    counts = fc_vs_conv(ex["height"], ex["width"], ex["channels"], ex["hidden"], ex["classes"], 1, 1)
    computed = {"inputs": counts["inputs"], "hidden_weights": counts["fc1"]["weights"],
                "output_weights": counts["fc2"]["weights"]}
    with_biases = {"inputs": counts["inputs"], "hidden_weights": counts["fc1"]["params"],
                   "output_weights": counts["fc2"]["params"]}
    return {
        key: {"lecture_text": text, "lecture": value, "computed": computed[key], "with_biases": with_biases[key],
              "matches": value == computed[key]}
        for key, (text, value) in LECTURE_FC_QUOTES.items()
    }


def sizes_table(sizes, channels, hidden, kernel, filters) -> list[dict]:
    """fc_vs_conv over square images of the given sides: the FC count grows with the image, the conv one does not."""
    return [fc_vs_conv(side, side, channels, hidden, 10, min(kernel, side), filters) for side in sizes]


def connectivity(size: int, kernel: int) -> dict:
    """Which input pixels one unit of a fully connected layer and of a conv layer depends on, and through
    which weight, read off the Jacobian of real torch layers.

    The layers get weights 1, 2, 3, … (every weight distinct and non-zero), so ∂output/∂pixel is the number of
    the weight that joins them, and 0 where they are not connected. Input: one channel, size×size.
    Returns {"size", "kernel", "out": size − kernel + 1, "fc_weights": the weight number each pixel meets
    (size×size, all non-zero), "positions": for each conv output (row-major) {"out": [i, j], "taps":
    [[row, col, weight number], …]}, "counts": {...}}.
    """
    size = to_int(size, "size", 2, 16)
    kernel = to_int(kernel, "kernel", 1, size)
    fc = nn.Linear(size * size, 1)
    conv = nn.Conv2d(1, 1, kernel)
    with torch.no_grad():
        fc.weight.copy_(torch.arange(1, size * size + 1, dtype=torch.float32).reshape(1, -1))
        conv.weight.copy_(torch.arange(1, kernel * kernel + 1, dtype=torch.float32).reshape(1, 1, kernel, kernel))
    x = torch.zeros(1, 1, size, size)
    fc_grad = torch.autograd.functional.jacobian(lambda v: fc(v.reshape(1, -1))[0, 0], x)  # (1, 1, size, size)
    conv_grad = torch.autograd.functional.jacobian(lambda v: conv(v)[0, 0], x)  # (out, out, 1, 1, size, size)
    out = conv_grad.shape[0]
    positions = []
    for i in range(out):
        for j in range(out):
            grad = conv_grad[i, j, 0, 0]
            rows, cols = torch.nonzero(grad, as_tuple=True)
            taps = [[int(r), int(c), int(grad[r, c])] for r, c in zip(rows, cols, strict=True)]
            positions.append({"out": [i, j], "taps": taps})
    fc_units = out * out  # as many hidden units as the conv layer has outputs, for a fair comparison
    fc_w, fc_b = count_parameters(fc)
    conv_w, conv_b = count_parameters(conv)
    return {
        "size": size, "kernel": kernel, "out": out,
        "fc_weights": fc_grad[0, 0].round().int().tolist(),
        "positions": positions,
        "counts": {
            "pixels": size * size,
            "fc_connections": fc_w,  # one unit: every pixel
            "fc_units": fc_units,
            "fc_weights": fc_w * fc_units,  # no weight is shared between units
            "fc_biases": fc_b * fc_units,
            "conv_connections": conv_w,  # one unit: a kernel×kernel patch
            "conv_units": fc_units,
            "conv_weights": conv_w,  # shared by every position
            "conv_biases": conv_b,
        },
    }
