"""Sample photos from skimage.data: they load offline, are RGB, shrink on request and are cached safely."""

import re

import numpy as np
import pytest
import skimage.data

from app.compute.errors import InputError
from app.compute.samples import SAMPLES, load_sample, load_sample_gray

CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def test_catalog():
    assert set(SAMPLES) == {"chelsea", "astronaut", "coffee", "rocket", "camera"}
    for sample in SAMPLES.values():
        assert sample.captions["en"] and CYRILLIC.search(sample.captions["ru"])
        assert sample.credit


@pytest.mark.parametrize("name", list(SAMPLES))
def test_full_size_is_the_skimage_photo(name):
    image = load_sample(name)
    pixels = getattr(skimage.data, SAMPLES[name].loader)()
    assert image.mode == "RGB"
    assert image.size == (pixels.shape[1], pixels.shape[0])
    if pixels.ndim == 3:
        np.testing.assert_array_equal(np.asarray(image), pixels)
    else:
        np.testing.assert_array_equal(np.asarray(image)[..., 0], pixels)


def test_shrinks_keeping_aspect_and_never_enlarges():
    small = load_sample("rocket", 64)  # 640×427
    assert small.size == (64, 43)
    assert load_sample("chelsea", 1000).size == (451, 300)


def test_returned_images_are_copies():
    first = load_sample("coffee", 32)
    original = first.getpixel((0, 0))
    first.putpixel((0, 0), tuple(255 - v for v in original))
    assert load_sample("coffee", 32).getpixel((0, 0)) == original


def test_gray():
    gray = load_sample_gray("astronaut", 100)
    assert gray.shape == (100, 100) and gray.dtype == np.float64
    assert 0.0 <= gray.min() and gray.max() <= 1.0 and gray.std() > 0.05
    assert load_sample_gray("coffee", 60).shape == (40, 60)


def test_errors():
    with pytest.raises(InputError) as caught:
        load_sample("dog")
    assert caught.value.status == 404 and CYRILLIC.search(caught.value.messages["ru"])
    for bad in (0, -5, 2.5, "big", True):
        with pytest.raises(InputError):
            load_sample("camera", bad)
