"""Activation maps as pictures: a layer's strongest channels ranked, scaled to 0…255 and averaged down to
thumbnails, and the photo a pretrained network sees (its crop, un-normalised for display).

Used by the per-row maps of a whole network (activations) and by the feature hierarchy (feature_maps).
"""

import numpy as np
import torch
from PIL import Image
from torch import nn

from app.compute.nets.registry import get_spec

MAPS_PER_ROW = 6
MAP_SIDE = 56  # px; larger maps are averaged down to this for a thumbnail
CHANNELS_SHOWN = 8
MAX_MAP_SIDE = 112  # px; VGG-16's 224×224 maps are averaged 2×2 down to this, to keep pages light


def plane_pixels(plane: np.ndarray, low: float, high: float) -> np.ndarray:
    """A 2-D array mapped linearly from [low, high] to 0…255 (uint8), clipped; a flat range gives 0."""
    plane = np.asarray(plane, dtype=np.float64)
    if high <= low:
        return np.zeros(plane.shape, dtype=np.uint8)
    return np.clip(np.rint((plane - low) / (high - low) * 255), 0, 255).astype(np.uint8)


def signed_pixels(plane: np.ndarray) -> tuple[np.ndarray, float]:
    """A 2-D array with 0 at mid-gray 128 and ±max|value| at 255 and 0; returns (pixels, max|value|)."""
    reach = float(np.abs(plane).max()) if plane.size else 0.0
    return plane_pixels(plane, -reach, reach), reach


def shrink(planes: np.ndarray, side: int) -> np.ndarray:
    """(k, H, W) planes averaged down (area) so the longer side is at most `side`."""
    k, height, width = planes.shape
    if max(height, width) <= side:
        return planes
    scale = side / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    if height % out_h == 0 and width % out_w == 0:  # whole blocks: a plain block mean (the usual case)
        return planes.reshape(k, out_h, height // out_h, out_w, width // out_w).mean(axis=(2, 4))
    return nn.functional.interpolate(torch.from_numpy(planes)[None], size=(out_h, out_w), mode="area")[0].numpy()


def channel_maps(activation: torch.Tensor, count: int = MAPS_PER_ROW, side: int = MAP_SIDE) -> list[dict]:
    """The `count` channels of a (C, H, W) activation with the largest mean, as uint8 thumbnails.

    Each map is scaled on its own from its minimum (black) to its maximum (white); "low" and "high"
    are those values. Maps larger than `side` are averaged down (area) so they stay small on a page.
    On the CPU the work is done in numpy, in this thread: many small parallel torch ops would each
    wait for the thread pool to wake up, which on a busy server costs more than the arithmetic.
    """
    if activation.dim() != 3:
        return []
    channels = activation.shape[0]
    count = min(count, channels)
    if activation.device.type == "cpu":
        values = activation.float().numpy()  # shares memory with the tensor
        means = values.reshape(channels, -1).mean(axis=1)  # (C,)
    else:
        means = activation.float().mean(dim=(1, 2)).cpu().numpy()
    # Stable: ties (e.g. all-zero maps) keep channel order, so a page is the same on every run.
    order = np.argsort(-means, kind="stable")[:count]
    if activation.device.type == "cpu":
        chosen = values[order]  # (count, H, W)
    else:
        chosen = activation[torch.as_tensor(order, device=activation.device)].float().cpu().numpy()
    chosen = shrink(chosen, side)
    result = []
    for channel, plane in zip(order.tolist(), chosen):
        low, high = float(plane.min()), float(plane.max())
        result.append({"channel": channel, "pixels": plane_pixels(plane, low, high), "low": low, "high": high,
                       "mean": float(means[channel])})
    return result


def top_channels(activation, count: int = CHANNELS_SHOWN) -> list[tuple[int, float]]:
    """(channel, mean) of the `count` channels of a (C, H, W) activation with the largest mean, largest first.

    Ties keep channel order (a stable sort), so the same image always gives the same page.
    """
    values = torch.as_tensor(activation, dtype=torch.float64)
    if values.dim() != 3:
        raise ValueError(f"expected a (C, H, W) activation, got shape {tuple(values.shape)}")
    means = values.mean(dim=(1, 2))  # (C,)
    order = torch.sort(means, descending=True, stable=True).indices[:count]
    return [(int(c), float(means[c])) for c in order]


def map_pixels(plane: np.ndarray, high: float, side: int = MAX_MAP_SIDE) -> np.ndarray:
    """One activation map as uint8, 0 black and `high` white, averaged down to at most `side` px per side."""
    return plane_pixels(shrink(np.asarray(plane, dtype=np.float32)[None], side)[0], 0.0, high)


def layer_summary(layer: dict, activation, count: int = CHANNELS_SHOWN) -> dict:
    """A layer's description plus its strongest channels: rank, channel, mean, max and the map's pixels.

    The shown maps share one scale, 0 black to the largest value among them white (`scale`), so their
    brightness can be compared; a 1×1 map (LeNet's C5) is then a grey square as bright as its value.
    """
    values = torch.as_tensor(activation).float().cpu()  # (C, H, W)
    ranked = top_channels(values, count)
    scale = max((float(values[channel].max()) for channel, _ in ranked), default=0.0)
    maps = []
    for rank, (channel, mean) in enumerate(ranked, start=1):
        plane = values[channel].numpy()
        maps.append({"rank": rank, "channel": channel, "mean": mean, "max": float(plane.max()),
                     "pixels": map_pixels(plane, scale)})
    return {
        **layer,
        "shape": list(values.shape),
        "mean": float(values.mean()),
        "zero_fraction": float((values == 0).float().mean()),
        "scale": scale,
        "maps": maps,
    }


def prepare_photo(model: str, image: Image.Image) -> tuple[torch.Tensor, np.ndarray]:
    """A photo as the pretrained weights expect it: (1, 3, 224, 224) normalised, and the uint8 crop it shows."""
    transform = get_spec(model).transforms()  # resize 256, centre crop 224, ImageNet mean and std
    x = transform(image.convert("RGB"))[None]  # (1, 3, 224, 224)
    mean = torch.tensor(transform.mean)[:, None, None]
    std = torch.tensor(transform.std)[:, None, None]
    crop = ((x[0] * std + mean).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (224, 224, 3)
    return x, crop
