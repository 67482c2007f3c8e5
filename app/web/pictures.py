"""Pictures for pages and the API: arrays and PIL images as data: URLs (the CSP allows data: images), and
feature hierarchies with every map as one."""

import base64
import io

import numpy as np
from PIL import Image

from app.compute.nets import feature_maps


def data_url(picture, fmt: str = "PNG") -> str:
    """A PIL image or a uint8 array (H, W) / (H, W, 3) as a data: URL."""
    image = picture if isinstance(picture, Image.Image) else Image.fromarray(np.asarray(picture, dtype=np.uint8))
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, format="JPEG", quality=85)
    else:
        image.save(buffer, format="PNG", optimize=True)
    return f"data:image/{fmt.lower()};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def map_json(item: dict) -> dict:
    """One ranked channel as the page and the API send it: numbers and a PNG data: URL of its map."""
    return {"rank": item["rank"], "channel": item["channel"], "mean": item["mean"], "max": item["max"],
            "url": data_url(item["pixels"]), "size": list(item["pixels"].shape)}


def hierarchy_json(result: dict) -> dict:
    """A computed hierarchy (feature_maps.image_hierarchy and friends) with every map as a PNG data: URL."""
    layers = result["layers"]
    return {
        "model": result["model"], "title": result["title"],
        "input": {"url": data_url(result["input"], "JPEG" if result["input"].ndim == 3 else "PNG"),
                  "size": list(result["input"].shape[:2])},
        "stages": feature_maps.stages(layers),
        "layers": [
            {"name": layer["name"], "kind": layer["kind"], "shape": layer["shape"], "kernel": layer["kernel"],
             "stride": layer["stride"], "filters": layer["filters"], "receptive_field": layer["receptive_field"],
             "mean": layer["mean"], "zero_fraction": layer["zero_fraction"], "scale": layer["scale"],
             "maps": [map_json(m) for m in layer["maps"]]}
            for layer in layers
        ],
    }
