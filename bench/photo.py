"""A photo-like test picture made here, the same on every machine (no sample files, no scikit-image):
smooth shaded shapes with fine texture, which JPEG-compresses about as a real 800-px photo does."""

import io
from functools import lru_cache

import numpy as np
from PIL import Image


def picture(width: int = 800, height: int = 600, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    pixels = np.zeros((height, width, 3), np.float32)
    for channel in range(3):  # a sky-to-ground shading per channel
        pixels[..., channel] = 60 + 120 * (yy / height) * rng.uniform(0.3, 1.0) + 40 * np.sin(xx / rng.uniform(40, 120))
    for _ in range(12):  # shaded discs: edges and smooth areas
        cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(30, 160)
        inside = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        pixels[inside] = rng.uniform(0, 255, 3) * (0.6 + 0.4 * np.cos((yy[inside] - cy) / r))[:, None]
    pixels += rng.normal(0, 6, pixels.shape)  # sensor-like grain
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


@lru_cache(maxsize=None)
def jpeg_bytes(width: int = 800, height: int = 600, seed: int = 0, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    picture(width, height, seed).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
