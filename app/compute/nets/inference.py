"""Running a registry model on a photo: top-5 classes, boxes, masks, keypoints or a class mask.

Every coordinate returned is in the pixels of the image passed in, whatever size the network saw.
Masks are PNG data URLs a browser can draw directly: palette images whose index 0 is transparent,
coloured from the Okabe–Ito palette (safe for the common colour-vision deficiencies).
"""

import base64
import io
import math
from typing import Any

import numpy as np
import torch
from PIL import Image
from torchvision.transforms.functional import pil_to_tensor

from app.compute.errors import InputError
from app.compute.images import to_rgb
from app.compute.nets.registry import ModelSpec, get_spec, load_model

MAX_SIDE = 1333  # px; R-CNN never looks at more (its max_size), so larger photos are shrunk first
MAX_DETECTIONS = 100
MAX_BATCH = 64
MASK_MAX_SIDE = 256  # px; an instance mask is cropped to its box and shrunk to this to stay small
TOP_K = 5
# Okabe & Ito (2008), "Color Universal Design", without black
PALETTE = ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"]
# COCO's person skeleton, as limbs between named keypoints
SKELETON_NAMES = [
    ("left_ankle", "left_knee"), ("left_knee", "left_hip"), ("right_ankle", "right_knee"),
    ("right_knee", "right_hip"), ("left_hip", "right_hip"), ("left_shoulder", "left_hip"),
    ("right_shoulder", "right_hip"), ("left_shoulder", "right_shoulder"), ("left_shoulder", "left_elbow"),
    ("right_shoulder", "right_elbow"), ("left_elbow", "left_wrist"), ("right_elbow", "right_wrist"),
    ("left_eye", "right_eye"), ("nose", "left_eye"), ("nose", "right_eye"), ("left_eye", "left_ear"),
    ("right_eye", "right_ear"), ("left_ear", "left_shoulder"), ("right_ear", "right_shoulder"),
]


def _rgb(color: str) -> list[int]:
    return [int(color[i:i + 2], 16) for i in (1, 3, 5)]


def _png_data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0, optimize=True)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _check_image(image: Any) -> Image.Image:
    if not isinstance(image, Image.Image):
        raise InputError(en="Expected an image.", ru="Ожидалось изображение.", status=422)
    if image.width < 1 or image.height < 1:
        raise InputError(en="The image is empty.", ru="Изображение пустое.", status=422)
    return to_rgb(image)


def _fit(image: Image.Image) -> tuple[Image.Image, float, float]:
    """The image shrunk to MAX_SIDE on its longer side, with x and y factors back to the original."""
    width, height = image.size
    if max(width, height) <= MAX_SIDE:
        return image, 1.0, 1.0
    ratio = MAX_SIDE / max(width, height)
    small = image.resize((max(1, round(width * ratio)), max(1, round(height * ratio))), Image.Resampling.BILINEAR)
    return small, width / small.width, height / small.height


def _check_task(spec: ModelSpec, tasks: tuple[str, ...]) -> None:
    if spec.task not in tasks:
        raise InputError(
            en=f"{spec.title} does {spec.task}, not {' or '.join(tasks)}.",
            ru=f"{spec.title} решает задачу «{spec.task}», а не «{' или '.join(tasks)}».",
            status=422,
        )


def _classification_batch(spec: ModelSpec, images: list[Image.Image]) -> torch.Tensor:
    transform = spec.transforms()
    if transform is None:
        from app.compute.nets.lenet import preprocess_digit  # LeNet-5 takes MNIST-style digits

        digits = [torch.from_numpy(preprocess_digit(_fit(image)[0])["padded"]) for image in images]
        return torch.stack(digits)[:, None]  # (B, 1, 32, 32)
    return torch.stack([transform(_fit(image)[0]) for image in images])  # (B, 3, 224, 224)


def classify_batch(name: str, images: list, weights_dir, device: str = "cpu") -> list[dict[str, Any]]:
    """Top-5 classes of several images in one forward pass: [{"top5": [{"label", "probability"}]}]."""
    spec = get_spec(name)
    _check_task(spec, ("classification",))
    if not isinstance(images, (list, tuple)) or not 1 <= len(images) <= MAX_BATCH:
        raise InputError(
            en=f"Send between 1 and {MAX_BATCH} images.",
            ru=f"Нужно от 1 до {MAX_BATCH} изображений.",
            status=422,
        )
    images = [_check_image(image) for image in images]
    model = load_model(name, weights_dir, device)
    batch = _classification_batch(spec, images).to(device)
    with torch.inference_mode():
        probabilities = torch.softmax(model(batch), dim=1).float().cpu()  # (B, classes)
    top = probabilities.topk(min(TOP_K, probabilities.shape[1]), dim=1)
    labels = spec.labels
    return [
        {
            "top5": [
                {"label": labels[index], "index": int(index), "probability": float(p)}
                for p, index in zip(values.tolist(), indices.tolist())
            ]
        }
        for values, indices in zip(top.values, top.indices)
    ]


def _instance_mask(mask: torch.Tensor, box: list[float], color: str) -> tuple[str, list[int]] | None:
    """One soft mask (h, w) cropped to its box: (PNG data URL, [x1, y1, x2, y2] in the mask's pixels)."""
    h, w = mask.shape
    x1, y1 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x2, y2 = min(w, math.ceil(box[2])), min(h, math.ceil(box[3]))
    if x2 <= x1 or y2 <= y1:
        return None
    inside = (mask[y1:y2, x1:x2] >= 0.5).cpu().numpy().astype(np.uint8)  # (y2 - y1, x2 - x1)
    image = Image.fromarray(inside, mode="P")
    image.putpalette([0, 0, 0, *_rgb(color)])
    if max(image.size) > MASK_MAX_SIDE:
        ratio = MASK_MAX_SIDE / max(image.size)
        size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
        image = image.resize(size, Image.Resampling.NEAREST)
    return _png_data_url(image), [x1, y1, x2, y2]


def _point(x: float, y: float, sx: float, sy: float, size: tuple[int, int]) -> list[float]:
    """A point from the network's frame to the original image, clipped to it, to 0.1 px."""
    return [round(min(max(x * sx, 0.0), float(size[0])), 1), round(min(max(y * sy, 0.0), float(size[1])), 1)]


def _detect(spec: ModelSpec, model, image: Image.Image, device: str, score_threshold: float, max_detections: int):
    small, sx, sy = _fit(image)
    x = spec.transforms()(pil_to_tensor(small))  # (3, h, w) in [0, 1]; the model normalises itself
    with torch.inference_mode():
        out = model([x.to(device)])[0]
    keep = torch.nonzero(out["scores"] >= score_threshold).flatten()[:max_detections]  # sorted by score
    labels = spec.labels
    found = []
    for rank, i in enumerate(keep.tolist()):
        x1, y1, x2, y2 = out["boxes"][i].tolist()
        item = {
            "label": labels[int(out["labels"][i])],
            "score": round(float(out["scores"][i]), 4),
            "box": _point(x1, y1, sx, sy, image.size) + _point(x2, y2, sx, sy, image.size),
            "color": PALETTE[rank % len(PALETTE)],
        }
        if "masks" in out:
            encoded = _instance_mask(out["masks"][i, 0], [x1, y1, x2, y2], item["color"])
            item["mask"], item["mask_box"] = None, None
            if encoded is not None:
                url, (mx1, my1, mx2, my2) = encoded
                item["mask"] = url
                item["mask_box"] = _point(mx1, my1, sx, sy, image.size) + _point(mx2, my2, sx, sy, image.size)
        if "keypoints" in out:
            points = out["keypoints"][i].tolist()  # (K, 3): x, y, visibility
            scores = out["keypoints_scores"][i].tolist()  # (K,)
            item["keypoints"] = [
                _point(px, py, sx, sy, image.size) + [round(s, 3)] for (px, py, _), s in zip(points, scores)
            ]
        found.append(item)
    return found


def _segment(spec: ModelSpec, model, image: Image.Image, device: str) -> dict[str, Any]:
    small, _, _ = _fit(image)
    x = spec.transforms()(pil_to_tensor(small))  # (3, h, w), shorter side 520, normalised
    with torch.inference_mode():
        logits = model(x[None].to(device))["out"]  # (1, classes, h, w)
    classes = logits.argmax(dim=1)[0].to(torch.uint8).cpu().numpy()  # (h, w)
    mask = Image.fromarray(classes, mode="P")  # colours set below, once the classes present are known
    full = np.asarray(mask.resize(image.size, Image.Resampling.NEAREST))  # (H, W): counts in the photo's pixels
    labels = spec.labels
    counts = np.bincount(full.ravel(), minlength=len(labels))
    present = [int(i) for i in np.argsort(-counts, kind="stable") if counts[i] > 0]
    colors = {}
    for index in present:
        if index != 0:  # 0 is the background, left transparent
            colors[index] = PALETTE[len(colors) % len(PALETTE)]
    palette = [0, 0, 0] + [128, 128, 128] * (len(labels) - 1)
    for index, color in colors.items():
        palette[3 * index:3 * index + 3] = _rgb(color)
    mask.putpalette(palette)
    total = int(counts.sum())
    return {
        "classes": [
            {
                "index": index,
                "label": labels[index],
                "pixels": int(counts[index]),
                "fraction": round(float(counts[index]) / total, 4),
                "color": colors.get(index),
            }
            for index in present
        ],
        "mask_png": _png_data_url(mask),
        "mask_size": [mask.width, mask.height],
    }


def predict(
    name: str,
    image: Image.Image,
    weights_dir,
    device: str = "cpu",
    *,
    score_threshold: float = 0.5,
    max_detections: int = MAX_DETECTIONS,
) -> dict[str, Any]:
    """Run one model on one image; the keys after "model", "task" and "image_size" depend on the task.

    classification: "top5" [{"label", "index", "probability"}].
    detection: "detections" [{"label", "score", "box" [x1, y1, x2, y2], "color"}], best first.
    instance-segmentation: detections with "mask" (PNG data URL of the mask inside "mask_box",
    transparent outside the object; draw it stretched over mask_box) and "mask_box".
    keypoints: "people" [{"score", "box", "keypoints" [[x, y, score] …]}] (score: torchvision's
    keypoints_scores, a heatmap logit, not a probability), "keypoint_names",
    "skeleton" [[i, j] …] (index pairs into keypoint_names).
    semantic-segmentation: "classes" [{"index", "label", "pixels", "fraction", "color"}] most
    pixels first, "mask_png" (class index per pixel, background transparent; stretch it over the
    image) and "mask_size".
    """
    spec = get_spec(name)
    image = _check_image(image)
    if (
        isinstance(score_threshold, bool)
        or not isinstance(score_threshold, (int, float))
        or not 0.0 <= score_threshold <= 1.0
    ):
        raise InputError(
            en="The score threshold must be a number between 0 and 1.",
            ru="Порог уверенности должен быть числом от 0 до 1.",
        )
    if (
        isinstance(max_detections, bool)
        or not isinstance(max_detections, int)
        or not 1 <= max_detections <= MAX_DETECTIONS
    ):
        raise InputError(
            en=f"The number of detections must be a whole number from 1 to {MAX_DETECTIONS}.",
            ru=f"Число детекций должно быть целым, от 1 до {MAX_DETECTIONS}.",
        )
    result: dict[str, Any] = {"model": name, "task": spec.task, "image_size": list(image.size)}
    if spec.task == "classification":
        result.update(classify_batch(name, [image], weights_dir, device)[0])
        return result
    model = load_model(name, weights_dir, device)
    if spec.task == "semantic-segmentation":
        result.update(_segment(spec, model, image, device))
        return result
    found = _detect(spec, model, image, device, float(score_threshold), max_detections)
    if spec.task == "keypoints":
        names = list(spec.weights.meta["keypoint_names"])
        result["people"] = [
            {"score": item["score"], "box": item["box"], "keypoints": item["keypoints"]} for item in found
        ]
        result["keypoint_names"] = names
        result["skeleton"] = [[names.index(a), names.index(b)] for a, b in SKELETON_NAMES]
    else:
        result["detections"] = found
    return result
