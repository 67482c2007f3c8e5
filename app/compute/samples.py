"""Sample photos that ship inside scikit-image (skimage.data), so no download is ever needed."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from PIL import Image

from app.compute.arrays import to_int
from app.compute.errors import InputError, brief

MAX_SAMPLE_SIDE = 4096


@dataclass(frozen=True)
class Sample:
    """One photo: the skimage.data function that loads it, captions and its licence."""

    key: str
    loader: str
    captions: dict[str, str]
    credit: str


SAMPLES: dict[str, Sample] = {
    sample.key: sample
    for sample in (
        Sample(
            "chelsea", "chelsea",
            {"en": "Chelsea the cat", "ru": "Кошка Челси"},
            "Stefan van der Walt, CC0 (scikit-image)",
        ),
        Sample(
            "astronaut", "astronaut",
            {"en": "Astronaut Eileen Collins", "ru": "Астронавт Эйлин Коллинз"},
            "NASA, public domain (scikit-image)",
        ),
        Sample(
            "coffee", "coffee",
            {"en": "A cup of coffee", "ru": "Чашка кофе"},
            "Rachel Michetti, CC0 (scikit-image)",
        ),
        Sample(
            "rocket", "rocket",
            {"en": "Falcon 9 rocket launch", "ru": "Запуск ракеты Falcon 9"},
            "SpaceX, public domain (scikit-image)",
        ),
        Sample(
            "camera", "camera",
            {"en": "Cameraman (grayscale)", "ru": "Фотограф (в оттенках серого)"},
            "Lav Varshney, CC0 (scikit-image)",
        ),
    )
}


@lru_cache(maxsize=None)
def _full(name: str) -> Image.Image:
    import skimage.data  # here, not at the top: the server starts without scikit-image's import time

    pixels = getattr(skimage.data, SAMPLES[name].loader)()  # (H, W, 3) or (H, W) uint8
    return Image.fromarray(pixels).convert("RGB")


@lru_cache(maxsize=64)
def _fitted(name: str, max_side: int | None) -> Image.Image:
    image = _full(name)
    if max_side is None or max(image.size) <= max_side:
        return image
    scale = max_side / max(image.size)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS)


def load_sample(name: str, max_side: int | None = None) -> Image.Image:
    """An RGB copy of a sample photo, shrunk (never enlarged) so its longer side is at most max_side."""
    if name not in SAMPLES:
        raise InputError(
            en=f"Unknown sample photo {brief(name)}; available: {', '.join(SAMPLES)}.",
            ru=f"Нет примера {brief(name)}; есть такие: {', '.join(SAMPLES)}.",
            status=404,
        )
    if max_side is not None:
        max_side = to_int(max_side, "max_side", 1, MAX_SAMPLE_SIDE)
    return _fitted(name, max_side).copy()


def load_sample_gray(name: str, side: int) -> np.ndarray:
    """A sample photo as grayscale float64 (H, W) in [0, 1], longer side at most `side` (ITU-R 601 luma)."""
    image = load_sample(name, side).convert("L")
    return np.asarray(image, dtype=np.float64) / 255.0
