"""Classification of many photos in one pass on the device: the GPU serving path.

Uploaded JPEG bytes are decoded together by torchvision's decoder on the device (nvjpeg on a GPU:
`decode_jpeg(list_of_tensors, device="cuda")`), turned upright as their EXIF says, then resized,
centre-cropped and normalised there as the model's preset does on the CPU, and classified in one
forward pass; only the top-5 of each image comes back, in one transfer. Sample photos (PIL images)
join the same batch. On the CPU the same code runs with torchvision's CPU decoder, which is how the
tests check it against the PIL path (app.compute.nets.inference.classify_batch).
"""

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torchvision.io import ImageReadMode, decode_jpeg

from app.compute.errors import InputError
from app.compute.images import to_rgb
from app.compute.nets.registry import get_spec, load_model

TOP_K = 5
# torchvision 0.29 deprecates its image codecs in favour of TorchCodec; until TorchCodec decodes JPEG batches on
# the GPU as well, this is the batched nvjpeg decoder to use.
warnings.filterwarnings("ignore", message="The image decoding and encoding capabilities of TorchVision",
                        category=DeprecationWarning)


@dataclass(frozen=True)
class EncodedJpeg:
    """An upload that open_upload has checked: its bytes, EXIF orientation and upright size (width, height)."""

    data: bytes
    orientation: int | None
    size: tuple[int, int]


@dataclass(frozen=True)
class Preset:
    """A classifier's preprocessing as numbers: resize the shorter side, centre-crop, normalise."""

    resize: int
    crop: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    mode: str  # "bilinear" or "bicubic", antialiased as PIL resizes


def preset_of(transform) -> Preset | None:
    """The preset of torchvision's ImageClassification (or any transform with the same fields), None when
    the model prepares its input some other way (LeNet-5's digits)."""
    try:
        resize, crop = list(transform.resize_size), list(transform.crop_size)
        mean, std = tuple(float(v) for v in transform.mean), tuple(float(v) for v in transform.std)
        mode = str(getattr(transform.interpolation, "value", transform.interpolation)).lower()
    except (AttributeError, TypeError):
        return None
    if len(resize) != 1 or len(crop) != 1 or len(mean) != 3 or len(std) != 3 or mode not in ("bilinear", "bicubic"):
        return None
    return Preset(int(resize[0]), int(crop[0]), mean, std, mode)


def upright(image: torch.Tensor, orientation: int | None) -> torch.Tensor:
    """A (C, H, W) image as EXIF orientation 1-8 says it should be shown (PIL's ImageOps.exif_transpose)."""
    if orientation == 2:
        return image.flip(-1)
    if orientation == 3:
        return image.flip(-1, -2)
    if orientation == 4:
        return image.flip(-2)
    if orientation == 5:
        return image.transpose(-1, -2)
    if orientation == 6:
        return torch.rot90(image, -1, (-2, -1))
    if orientation == 7:
        return image.transpose(-1, -2).flip(-1, -2)
    if orientation == 8:
        return torch.rot90(image, 1, (-2, -1))
    return image


def _corrupt() -> InputError:
    return InputError(en="The image file is damaged or cut short and can't be read.",
                      ru="Файл изображения повреждён или обрезан, прочитать его не получается.", status=400)


def _decode_one(tensor: torch.Tensor, device: str) -> torch.Tensor | InputError:
    """One JPEG on `device`, else by the CPU decoder (some files nvjpeg declines), else an InputError."""
    for where in dict.fromkeys((device, "cpu")):
        try:
            return decode_jpeg(tensor, mode=ImageReadMode.RGB, device=where).to(device)
        except (RuntimeError, ValueError):
            continue
    return _corrupt()


def decode_jpegs(items: list[EncodedJpeg], device: str) -> list[torch.Tensor | InputError]:
    """Each JPEG as an upright (3, H, W) uint8 tensor on `device`, decoded in one call; when that call fails
    (one damaged file spoils the whole batch), each is decoded alone, on the CPU if the device declines it,
    and a file that no decoder reads becomes an InputError in its place."""
    if not items:
        return []
    raw = [torch.frombuffer(bytearray(item.data), dtype=torch.uint8) for item in items]
    try:
        images = decode_jpeg(raw, mode=ImageReadMode.RGB, device=device)
    except (RuntimeError, TypeError, ValueError):  # TypeError: a torchvision older than 0.19 takes no lists
        images = [_decode_one(tensor, device) for tensor in raw]
    return [image if isinstance(image, InputError) else upright(image, item.orientation)
            for image, item in zip(images, items, strict=True)]


def pil_to_device(image: Image.Image, device: str) -> torch.Tensor:
    """A PIL image as a (3, H, W) uint8 tensor on `device`."""
    pixels = torch.from_numpy(np.asarray(to_rgb(image)).copy())  # (H, W, 3)
    return pixels.permute(2, 0, 1).to(device, non_blocking=True)


def prepare(images: list[torch.Tensor], preset: Preset) -> torch.Tensor:
    """(B, 3, crop, crop) float32 network input from (3, H, W) uint8 images on one device: the shorter side
    resized to preset.resize (antialiased, as torchvision's preset resizes), the centre cropped, normalised."""
    crops = []
    for image in images:
        height, width = image.shape[-2:]
        short, long = (height, width) if height <= width else (width, height)
        new_long = int(preset.resize * long / short)  # torchvision's rounding for an int size
        size = (preset.resize, new_long) if height <= width else (new_long, preset.resize)
        resized = F.interpolate(image[None].float(), size=size, mode=preset.mode, antialias=True,
                                align_corners=False)  # (1, 3, h, w)
        if preset.mode == "bicubic":
            resized = resized.clamp_(0, 255)  # bicubic overshoots; PIL clips to the pixel range
        top = int(round((size[0] - preset.crop) / 2.0))
        left = int(round((size[1] - preset.crop) / 2.0))
        crops.append(resized[0, :, top:top + preset.crop, left:left + preset.crop])
    batch = torch.stack(crops)  # (B, 3, crop, crop), values 0-255
    device = batch.device
    mean = torch.tensor(preset.mean, device=device).view(1, 3, 1, 1) * 255
    std = torch.tensor(preset.std, device=device).view(1, 3, 1, 1) * 255
    return (batch - mean) / std


def top5(probabilities: torch.Tensor, labels) -> list[dict[str, Any]]:
    """{"top5": [{"label", "index", "probability"}]} for each row of (B, classes) probabilities; the top-k
    is taken where the probabilities are and only it is copied back."""
    top = probabilities.topk(min(TOP_K, probabilities.shape[1]), dim=1)
    values, indices = torch.stack((top.values.float(), top.indices.float())).cpu()  # one transfer
    return [
        {"top5": [{"label": labels[int(i)], "index": int(i), "probability": float(p)}
                  for p, i in zip(row_values.tolist(), row_indices.tolist())]}
        for row_values, row_indices in zip(values, indices)
    ]


def classify_mixed(name: str, items: list, weights_dir, device: str) -> list[dict[str, Any] | InputError]:
    """Top-5 of each item (EncodedJpeg or PIL image) in one forward pass on `device`, with "image_size"
    [width, height] of the upright photo; an item that cannot be decoded gets an InputError instead."""
    spec = get_spec(name)
    preset = preset_of(spec.transforms())
    if spec.task != "classification" or preset is None:
        raise ValueError(f"{name} has no tensor preset for batched classification")
    jpegs = [i for i, item in enumerate(items) if isinstance(item, EncodedJpeg)]
    decoded = dict(zip(jpegs, decode_jpegs([items[i] for i in jpegs], device), strict=True))
    images = [decoded[i] if i in decoded else pil_to_device(item, device) for i, item in enumerate(items)]
    good = [i for i, image in enumerate(images) if not isinstance(image, InputError)]
    results: list = list(images)
    if good:
        model = load_model(name, weights_dir, device)
        with torch.inference_mode():
            batch = prepare([images[i] for i in good], preset)
            answers = top5(torch.softmax(model(batch), dim=1), spec.labels)
        for i, answer in zip(good, answers, strict=True):
            height, width = images[i].shape[-2:]
            results[i] = {"image_size": [int(width), int(height)], **answer}
    return results

