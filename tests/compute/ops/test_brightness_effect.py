"""What a kernel does to a flat region's brightness, read from the sum of its weights, checked against the
response of the kernel on a flat photo (sum · b in the middle)."""

import numpy as np
import pytest

from app.compute.ops import kernels


@pytest.mark.parametrize("kernel, effect", [
    ([[1, 1, 1]] * 3, "multiplies"),
    ([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], "keeps"),
    ([[1 / 9] * 3] * 3, "keeps"),
    ([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], "removes"),
    ([[0.1] * 3] * 3, "dims"),
    ([[0, 0, 0], [0, -1, 0], [0, 0, 0]], "inverts"),
])
def test_effect_matches_the_response_on_a_flat_photo(kernel, effect):
    flat = np.full((9, 9), 0.1)
    response = kernels.apply_kernel(flat, kernel)
    centre = float(response[4, 4])
    found = kernels.brightness_effect(kernel)
    assert found["effect"] == effect
    assert centre == pytest.approx(found["sum"] * 0.1)
    assert found["factor"] == pytest.approx(abs(centre) / 0.1)


def test_every_preset_says_what_its_sum_does():
    effects = {key: kernels.brightness_effect(p.array)["effect"] for key, p in kernels.PRESETS.items()}
    assert effects["sobel_x"] == "removes" and effects["sharpen"] == "keeps"
    assert set(effects.values()) <= {"keeps", "removes"}
