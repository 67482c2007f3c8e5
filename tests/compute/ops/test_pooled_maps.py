"""Pooled activation maps against numpy block reductions and torch."""

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.compute import samples
from app.compute.errors import InputError
from app.compute.ops.kernels import PRESETS
from app.compute.ops.pooled_maps import pooled_activation, to_pixels

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def sobel_reference(image):
    """Sobel x with one zero pixel of padding, by shifting the padded image (cross-correlation)."""
    k = PRESETS["sobel_x"].array
    padded = np.pad(image, 1)
    h, w = image.shape
    return sum(k[u, v] * padded[u : u + h, v : v + w] for u in range(3) for v in range(3))


def blocks(x, n):
    """Non-overlapping n×n blocks of x (cropped to whole blocks) -> (h, w, n·n)."""
    h, w = x.shape[0] // n, x.shape[1] // n
    return x[: h * n, : w * n].reshape(h, n, w, n).transpose(0, 2, 1, 3).reshape(h, w, n * n)


@pytest.fixture(scope="module")
def photo():
    return samples.load_sample_gray("chelsea", 96)


def test_two_by_two_against_blocks(photo):
    result = pooled_activation(photo, "sobel_x", "relu", 2, 2, times=2)
    act = np.maximum(sobel_reference(photo), 0)
    np.testing.assert_allclose(result["activation"], act, atol=1e-12)
    np.testing.assert_allclose(result["max"][0], blocks(act, 2).max(axis=2), atol=1e-12)
    np.testing.assert_allclose(result["avg"][0], blocks(act, 2).mean(axis=2), atol=1e-12)
    np.testing.assert_allclose(result["max"][1], blocks(blocks(act, 2).max(axis=2), 2).max(axis=2), atol=1e-12)
    h, w = photo.shape
    assert result["shapes"] == [[h, w], [h // 2, w // 2], [h // 4, w // 4]]
    assert result["peak"] == pytest.approx(act.max())
    assert result["white"] == pytest.approx(np.percentile(act, 99.5)) and 0 < result["white"] <= result["peak"]


def test_overlapping_against_torch(photo):
    result = pooled_activation(photo, "edge", "none", 3, 2)
    act = torch.tensor(result["activation"])[None, None]
    np.testing.assert_allclose(result["max"][0], F.max_pool2d(act, 3, 2)[0, 0].numpy())
    np.testing.assert_allclose(result["avg"][0], F.avg_pool2d(act, 3, 2)[0, 0].numpy())
    assert result["activation"].min() < 0  # no ReLU: negative responses stay
    assert result["shapes"][1] == list(F.max_pool2d(act, 3, 2).shape[-2:])


def test_max_keeps_the_peak_avg_lowers_it(photo):
    result = pooled_activation(photo, "sobel_y", "relu", 2, 2, times=3)
    peaks = [m.max() for m in result["max"]]
    assert all(p == pytest.approx(result["peak"]) for p in peaks[:1])
    assert all(a.max() <= m.max() + 1e-12 for a, m in zip(result["avg"], result["max"]))


def test_pixels_share_one_scale():
    values = np.array([[0.0, 0.5], [1.0, 2.0]])
    assert to_pixels(values, 2.0, signed=False).tolist() == [[0, 64], [128, 255]]
    assert to_pixels(np.array([[-2.0, 0.0, 2.0]]), 2.0, signed=True).tolist() == [[0, 128, 255]]
    assert to_pixels(np.zeros((2, 2)), 0.0, signed=False).tolist() == [[0, 0], [0, 0]]
    assert to_pixels(np.array([[3.0, -3.0]]), 2.0, signed=True).tolist() == [[255, 0]]  # clipped


@pytest.mark.parametrize(
    ("kwargs", "mention"),
    [({"activation": "tanh"}, "activation"), ({"size": 0}, "size"), ({"stride": 9}, "stride"),
     ({"times": 5}, "times"), ({"size": 8, "stride": 8, "times": 4}, "pool fewer")],
)
def test_rejects(photo, kwargs, mention):
    args = {"image": photo[:40, :40], "kernel": "sobel_x"} | kwargs
    with pytest.raises(InputError) as caught:
        pooled_activation(**args)
    assert mention in caught.value.messages["en"]
    assert CYRILLIC.search(caught.value.messages["ru"])
