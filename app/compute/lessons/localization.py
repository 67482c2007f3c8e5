"""Lesson 13, classification + localization: box formats, the L2 loss, regression heads, the
ImageNet localization rule, K boxes per image and DeepPose's joints.

Boxes are [x1, y1, x2, y2] in pixels (top-left, then bottom-right corner), as app.compute.ops.metrics
takes them. The lecture's slides also write a box as (x, y, w, h); `box_formats` gives both.
Head sizes are those of one fully connected layer on a feature vector: features × outputs
weights and one bias per output; the tests check them against torch.nn.Linear.
"""

import math
import random
from dataclasses import dataclass
from functools import lru_cache

from app.compute.nets import architectures
from app.compute.ops import metrics
from app.compute.errors import InputError

LECTURE_SOURCE = ("CS231n (Fei-Fei Li, A. Karpathy, J. Johnson), “Localization and Detection”, "
                  "the slides the lecture quotes")
# The lecture's ImageNet classification + localization slide (Krizhevsky et al. 2012 is its citation).
IMAGENET_LOCALIZATION = {
    "classes": 1000,
    "train_images_per_class": 800,  # "~800": the slide's own rounding
    "guesses": 5,
    "iou_threshold": 0.5,
    "source": LECTURE_SOURCE + "; Krizhevsky et al., NIPS 2012",
}
# "Aside: localizing multiple objects": exactly K objects per image, K = 4 for the cat.
LECTURE_K = 4
DEEPPOSE = {
    "citation": "A. Toshev, C. Szegedy, “DeepPose: Human Pose Estimation via Deep Neural Networks”, CVPR 2014",
    "network": "alexnet",  # "regress (x, y) for each joint from the last fully-connected layer of AlexNet"
}

MAX_FEATURES = 1_000_000
MAX_CLASSES = 100_000
MAX_OBJECTS = 1000


@dataclass(frozen=True)
class LabelledBox:
    label: str
    box: tuple[float, float, float, float]


# The lecture's K = 4 example (whole cat, head, left ear, right ear) on the `chelsea` sample
# (451×300). The photo is a close-up, so the whole cat is hardly bigger than its head; the ears
# are the cat's own left and right (its left ear is on the viewer's right).
CAT_PARTS = (
    LabelledBox("cat", (0, 0, 410, 300)),
    LabelledBox("head", (25, 0, 392, 290)),
    LabelledBox("left ear", (328, 0, 400, 70)),
    LabelledBox("right ear", (40, 0, 104, 32)),
)
# The ImageNet rule's example: the `coffee` sample (600×400) labelled with the ImageNet class
# "espresso", its box around the cup (handle included).
RULE_SAMPLE = "coffee"
RULE_TRUTH = LabelledBox("espresso", (175, 12, 412, 306))
# Real ImageNet-1k class names a classifier could confuse with it (the tests check every one).
RULE_CLASSES = ("espresso", "cup", "coffee mug", "eggnog", "soup bowl", "plate", "wooden spoon", "ladle")


NAMES = {"features": ("The feature size", "Размер вектора признаков"), "classes": ("The number of classes", "Число классов"),
         "k": ("K", "K"), "joints": ("The number of joints", "Число суставов")}


def _whole(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        en, ru = NAMES[name]
        raise InputError(
            en=f"{en} must be a whole number from {low} to {high}.",
            ru=f"{ru}: нужно целое число от {low} до {high}.",
        )
    return value


def box_formats(box) -> dict:
    """One box in the lecture's two notations: corners (x1, y1, x2, y2) and (x, y, w, h), plus its centre."""
    metrics.iou(box, box)  # checks the box (four finite numbers, x2 ≥ x1, y2 ≥ y1)
    x1, y1, x2, y2 = (float(v) for v in box)
    w, h = x2 - x1, y2 - y1
    return {"xyxy": [x1, y1, x2, y2], "xywh": [x1, y1, w, h], "center": [x1 + w / 2, y1 + h / 2],
            "width": w, "height": h, "area": w * h}


def l2_loss(predicted, truth, notation: str = "xywh") -> dict:
    """The regression loss between two boxes: Σ (predicted − true)² over the 4 numbers, and its square root.

    notation "xywh" compares (x, y, w, h), as the lecture's slide writes the box; "xyxy" the corners.
    The IoU of the same two boxes is returned too, because a loss on the numbers is not the IoU.
    """
    if notation not in ("xywh", "xyxy"):
        raise InputError(en="The box notation must be “xywh” or “xyxy”.", ru="Запись рамки: «xywh» или «xyxy».")
    overlap = metrics.iou(predicted, truth)  # also checks both boxes
    p, t = box_formats(predicted)[notation], box_formats(truth)[notation]
    differences = [a - b for a, b in zip(p, t)]
    squares = [d * d for d in differences]
    total = sum(squares)
    return {"notation": notation, "predicted": p, "truth": t, "differences": differences, "squares": squares,
            "loss": total, "distance": math.sqrt(total), "iou": overlap["iou"]}


def linear_size(features: int, outputs: int) -> dict:
    """Weights and biases of one fully connected layer features → outputs (as torch.nn.Linear has them)."""
    weights = features * outputs
    return {"features": features, "outputs": outputs, "weights": weights, "biases": outputs,
            "params": weights + outputs}


def head_sizes(features: int, classes: int) -> dict:
    """The classification head and both kinds of regression head on the same feature vector.

    classification: C scores; class agnostic: one box, 4 numbers; class specific: one box per
    class, C × 4 numbers.
    """
    features = _whole(features, "features", 1, MAX_FEATURES)
    classes = _whole(classes, "classes", 1, MAX_CLASSES)
    return {
        "features": features, "classes": classes,
        "classification": linear_size(features, classes),
        "agnostic": linear_size(features, 4),
        "specific": linear_size(features, 4 * classes),
    }


@lru_cache(maxsize=None)
def attach_points(network: str) -> list[dict]:
    """Where a regression head can go on a classification network: after the last conv block
    (its output flattened) or after the last hidden fully connected layer (the one before the class scores).

    Read from the architecture table of the real module (app.compute.nets.architectures).
    """
    if network not in ("vgg16", "alexnet"):
        raise InputError(en="The network must be vgg16 or alexnet.", ru="Сеть: vgg16 или alexnet.")
    layers = architectures.architecture_table(network)["layers"]
    fcs = [i for i, row in enumerate(layers) if row["kind"] == "fc"]
    last_conv_block = layers[fcs[0] - 1]
    last_hidden_fc = layers[fcs[-2]]
    points = []
    for where, row in (("conv", last_conv_block), ("fc", last_hidden_fc)):
        points.append({"where": where, "layer": row["name"], "shape": list(row["output_shape"]),
                       "features": math.prod(row["output_shape"])})
    return points


def k_boxes(k: int, features: int) -> dict:
    """Exactly K objects per image: K boxes, K·4 numbers, and the fully connected head that outputs them."""
    k = _whole(k, "k", 1, MAX_OBJECTS)
    features = _whole(features, "features", 1, MAX_FEATURES)
    return {"k": k, "outputs": 4 * k, "head": linear_size(features, 4 * k)}


def pose_outputs(joints: int, features: int) -> dict:
    """DeepPose's idea: a person is K joints, each an (x, y), so the last layer regresses 2K numbers."""
    joints = _whole(joints, "joints", 1, MAX_OBJECTS)
    features = _whole(features, "features", 1, MAX_FEATURES)
    return {"joints": joints, "outputs": 2 * joints, "head": linear_size(features, 2 * joints)}


def deeppose_features() -> dict:
    """The size of AlexNet's last hidden fully connected layer, which DeepPose regresses from."""
    point = attach_points(DEEPPOSE["network"])[1]
    return {"layer": point["layer"], "features": point["features"]}


def _label(value, index: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        raise InputError(
            en=f"Guess {index + 1}: the class must be a name of at most 100 characters.",
            ru=f"Попытка {index + 1}: класс — это название не длиннее 100 символов.",
        )
    return value.strip()


def imagenet_rule(truth_label: str, truth_box, guesses: list[dict], iou_threshold: float | None = None,
                  max_guesses: int | None = None) -> dict:
    """Judge one image by the ImageNet localization rule: up to 5 (class, box) guesses; the image
    counts as correct when at least one guess has the right class AND IoU ≥ 0.5 with the true box.
    """
    iou_threshold = IMAGENET_LOCALIZATION["iou_threshold"] if iou_threshold is None else iou_threshold
    max_guesses = IMAGENET_LOCALIZATION["guesses"] if max_guesses is None else max_guesses
    if not isinstance(guesses, (list, tuple)) or not 1 <= len(guesses) <= max_guesses:
        raise InputError(
            en=f"Give from 1 to {max_guesses} guesses.",
            ru=f"Нужно от 1 до {max_guesses} попыток.",
        )
    truth_label = _label(truth_label, -1)
    rows = []
    for index, guess in enumerate(guesses):
        if not isinstance(guess, dict) or "label" not in guess or "box" not in guess:
            raise InputError(en=f"Guess {index + 1} needs a class and a box.",
                             ru=f"В попытке {index + 1} нужны класс и рамка.")
        label = _label(guess["label"], index)
        overlap = metrics.iou(guess["box"], truth_box)
        label_ok = label == truth_label
        box_ok = overlap["iou"] >= iou_threshold
        rows.append({"label": label, "box": [float(v) for v in guess["box"]], "iou": overlap["iou"],
                     "label_ok": label_ok, "box_ok": box_ok, "correct": label_ok and box_ok})
    first = next((i for i, row in enumerate(rows) if row["correct"]), None)
    return {"guesses": rows, "correct": first is not None, "first_correct": first,
            "iou_threshold": iou_threshold, "truth": {"label": truth_label, "box": [float(v) for v in truth_box]}}


def _jitter(box, rng: random.Random, spread: float, width: float, height: float) -> list[float]:
    """The box with each corner moved by up to `spread` of the box's size, kept inside the image."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    nx1 = min(max(x1 + rng.uniform(-spread, spread) * w, 0.0), width - 2)
    ny1 = min(max(y1 + rng.uniform(-spread, spread) * h, 0.0), height - 2)
    nx2 = min(max(x2 + rng.uniform(-spread, spread) * w, nx1 + 2), width)
    ny2 = min(max(y2 + rng.uniform(-spread, spread) * h, ny1 + 2), height)
    return [round(nx1), round(ny1), round(nx2), round(ny2)]


def seeded_guesses(seed: int, size: tuple[int, int]) -> list[dict]:
    """Five (class, box) guesses for the rule's example: some right class, some near boxes, from a seed."""
    rng = random.Random(f"imagenet-rule:{seed}")
    width, height = size
    labels = [RULE_TRUTH.label, *rng.sample(RULE_CLASSES[1:], 4)]
    rng.shuffle(labels)
    spreads = [0.05, 0.15, 0.3, 0.45, 0.6]
    rng.shuffle(spreads)
    return [{"label": label, "box": _jitter(RULE_TRUTH.box, rng, spread, width, height)}
            for label, spread in zip(labels, spreads)]
