"""Pictures for pages: arrays and PIL images as data: URLs (the CSP allows data: images)."""

import base64
import io

import numpy as np
from PIL import Image


def data_url(picture, fmt: str = "PNG") -> str:
    """A PIL image or a uint8 array (H, W) / (H, W, 3) as a data: URL."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture, dtype=np.uint8))
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=85)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"
