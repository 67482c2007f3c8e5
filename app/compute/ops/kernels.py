"""Named image kernels, applying a kernel to a grayscale photo, and turning the response into pixels."""

from dataclasses import dataclass

import numpy as np

from app.compute.arrays import to_array
from app.compute.ops.conv import conv2d, finite_or_error
from app.compute.errors import InputError, brief

MAX_KERNEL_SIDE = 7
MAX_IMAGE_SIDE = 2048


@dataclass(frozen=True)
class Preset:
    """A kernel written as integer weights over a divisor (the gaussian is 1/16 · [[1, 2, 1], …])."""

    key: str
    weights: tuple[tuple[int, ...], ...]
    divisor: int
    names: dict[str, str]
    descriptions: dict[str, str]

    @property
    def array(self) -> np.ndarray:
        """The kernel as float64 (side, side)."""
        return np.asarray(self.weights, dtype=np.float64) / self.divisor

    @property
    def total(self) -> float:
        """Sum of the weights: about 1 keeps brightness, 0 keeps only changes (edges)."""
        return float(self.array.sum())


def _preset(key, weights, divisor, name_en, name_ru, text_en, text_ru) -> Preset:
    return Preset(
        key=key,
        weights=tuple(tuple(row) for row in weights),
        divisor=divisor,
        names={"en": name_en, "ru": name_ru},
        descriptions={"en": text_en, "ru": text_ru},
    )


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        _preset(
            "identity", [[0, 0, 0], [0, 1, 0], [0, 0, 0]], 1,
            "Identity", "Тождественное",
            "Copies each pixel: the output equals the input.",
            "Копирует каждый пиксель: выход совпадает со входом.",
        ),
        _preset(
            "box_blur", [[1, 1, 1], [1, 1, 1], [1, 1, 1]], 9,
            "Box blur 3×3", "Размытие 3×3 (среднее)",
            "Replaces each pixel by the mean of its 3×3 neighbourhood.",
            "Заменяет каждый пиксель средним по его окрестности 3×3.",
        ),
        _preset(
            "gaussian_3x3", [[1, 2, 1], [2, 4, 2], [1, 2, 1]], 16,
            "Gaussian blur 3×3", "Гауссово размытие 3×3",
            "A weighted mean: near neighbours count more, so the blur looks softer.",
            "Взвешенное среднее: ближние соседи весят больше, размытие выглядит мягче.",
        ),
        _preset(
            "gaussian_5x5",
            [[1, 4, 6, 4, 1], [4, 16, 24, 16, 4], [6, 24, 36, 24, 6], [4, 16, 24, 16, 4], [1, 4, 6, 4, 1]],
            256,
            "Gaussian blur 5×5", "Гауссово размытие 5×5",
            "A wider gaussian: a stronger blur over a 5×5 neighbourhood.",
            "Более широкое гауссово ядро: сильнее размывает по окрестности 5×5.",
        ),
        _preset(
            "sharpen", [[0, -1, 0], [-1, 5, -1], [0, -1, 0]], 1,
            "Sharpen", "Повышение резкости",
            "Adds the difference from the neighbours back to each pixel, so edges stand out.",
            "Добавляет к пикселю его отличие от соседей, и края становятся чётче.",
        ),
        _preset(
            "sobel_x", [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], 1,
            "Sobel x (vertical edges)", "Собель по x (вертикальные края)",
            "Responds where brightness changes from left to right: finds vertical edges.",
            "Откликается там, где яркость меняется слева направо: находит вертикальные края.",
        ),
        _preset(
            "sobel_y", [[-1, -2, -1], [0, 0, 0], [1, 2, 1]], 1,
            "Sobel y (horizontal edges)", "Собель по y (горизонтальные края)",
            "Responds where brightness changes from top to bottom: finds horizontal edges.",
            "Откликается там, где яркость меняется сверху вниз: находит горизонтальные края.",
        ),
        _preset(
            "laplacian", [[0, 1, 0], [1, -4, 1], [0, 1, 0]], 1,
            "Laplacian", "Лапласиан",
            "Second derivative in all directions: zero on flat areas, strong on edges and fine detail.",
            "Вторая производная по всем направлениям: ноль на ровных участках, сильный отклик на краях и деталях.",
        ),
        _preset(
            "emboss", [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], 1,
            "Emboss", "Тиснение",
            "Lights edges on one diagonal side and shades the other, like a relief.",
            "Высветляет края с одной стороны диагонали и затемняет с другой, как рельеф.",
        ),
        _preset(
            "edge", [[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], 1,
            "Outline", "Контур",
            "Each pixel minus all eight neighbours: outlines every edge, whatever its direction.",
            "Пиксель минус восемь соседей: обводит все края в любом направлении.",
        ),
    )
}


def validate_kernel(kernel) -> np.ndarray:
    """A user kernel: square, odd side 1…7, finite numbers -> float64 (side, side)."""
    k = to_array(kernel, "kernel", (2,), MAX_KERNEL_SIDE * MAX_KERNEL_SIDE)
    rows, cols = k.shape
    if rows != cols or rows % 2 == 0 or rows > MAX_KERNEL_SIDE:
        raise InputError(
            en=f"kernel is {rows}×{cols}; it must be square with an odd side from 1 to {MAX_KERNEL_SIDE} "
            "(1×1, 3×3, 5×5 or 7×7), so that it has a centre pixel.",
            ru=f"kernel имеет размер {rows}×{cols}, а должен быть квадратным с нечётной стороной от 1 до "
            f"{MAX_KERNEL_SIDE} (1×1, 3×3, 5×5 или 7×7), чтобы у него был центральный пиксель.",
        )
    return k


def kernel_array(kernel) -> np.ndarray:
    """A preset name or a user kernel (nested lists / ndarray) -> checked float64 (side, side)."""
    if isinstance(kernel, str):
        if kernel not in PRESETS:
            raise InputError(
                en=f"Unknown kernel {brief(kernel)}; known kernels: {', '.join(PRESETS)}.",
                ru=f"Неизвестное ядро {brief(kernel)}; есть такие: {', '.join(PRESETS)}.",
                status=404,
            )
        return PRESETS[kernel].array
    return validate_kernel(kernel)


def apply_kernel(image: np.ndarray, kernel, device: str = "cpu") -> np.ndarray:
    """Convolve (cross-correlate) an (H, W) image in [0, 1] with 'same' zero padding -> (H, W) float64.

    kernel is a preset name or a square odd kernel. The response is not clipped: see to_display.
    Zero padding darkens the border of blurred images, as the lecture's zero padding does.
    """
    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2 or min(image.shape) < 1:
        raise InputError(
            en=f"The image must be one grayscale plane (H×W), got shape {list(image.shape)}.",
            ru=f"Изображение должно быть одним полутоновым слоем (H×W), а получена форма {list(image.shape)}.",
        )
    if max(image.shape) > MAX_IMAGE_SIDE:
        h, w = image.shape
        raise InputError(
            en=f"The image is {h}×{w}; it may be at most {MAX_IMAGE_SIDE} on each side.",
            ru=f"Изображение {h}×{w}, а допускается не больше {MAX_IMAGE_SIDE} по каждой стороне.",
            status=413,
        )
    if not np.isfinite(image).all():
        raise InputError(
            en="The image contains NaN or infinite values.",
            ru="В изображении есть NaN или бесконечные значения.",
        )
    k = kernel_array(kernel)
    pad = (k.shape[0] - 1) // 2  # 'same' size for an odd kernel at stride 1
    y = conv2d(image[None], k[None, None], padding=pad, device=device)  # (1, H, W)
    return finite_or_error(y[0])


SUM_TOLERANCE = 0.01  # a weight sum this close to 0 or 1 counts as 0 or 1 (rounded weights such as 1/9)


def brightness_effect(kernel) -> dict:
    """What a kernel does to the brightness of a flat region, from the sum of its weights: a flat patch of
    brightness b gives sum·b. Returns {"sum", "effect", "factor"}, effect one of
    "keeps" (sum 1), "removes" (sum 0: flat regions give 0, only changes such as edges remain),
    "multiplies" (sum > 1: brighter, ×sum), "dims" (0 < sum < 1: darker, ×sum),
    "inverts" (sum < 0: light and dark swap, ×|sum|); factor is |sum|."""
    total = float(np.asarray(kernel, dtype=np.float64).sum())
    if abs(total - 1) <= SUM_TOLERANCE:
        effect = "keeps"
    elif abs(total) <= SUM_TOLERANCE:
        effect = "removes"
    elif total > 1:
        effect = "multiplies"
    elif total > 0:
        effect = "dims"
    else:
        effect = "inverts"
    return {"sum": total, "effect": effect, "factor": abs(total)}


DISPLAY_MODES = ("auto", "clip", "signed", "abs")


def to_display(response: np.ndarray, kernel_sum: float = 1.0, mode: str = "auto") -> np.ndarray:
    """A kernel response (H, W) -> uint8 pixels (H, W), by one of these documented rules.

    "clip": values clipped to [0, 1] and scaled to 0…255, exactly what saving the result as an
        image gives; right for kernels that keep brightness (sum ≈ 1: blur, sharpen, emboss). A
        kernel whose weights sum to 9 really does turn the photo white, and the student should see it.
    "signed": 0 becomes mid-gray 128 and ±max|response| become 255 and 0, so the sign of an edge
        (dark→light or light→dark) stays visible; right for kernels that sum to about 0 (Sobel,
        Laplacian, outline), whose responses are both negative and positive.
    "abs": |response| / max|response| on 0…255: every edge bright on black, whatever its sign.
    "auto": "clip" when kernel_sum >= 0.5, otherwise "signed".
    A constant-zero response shows as black ("clip", "abs") or mid-gray ("signed").
    """
    if mode not in DISPLAY_MODES:
        raise InputError(
            en=f"Display mode must be one of {', '.join(DISPLAY_MODES)}, got {brief(mode)}.",
            ru=f"Режим показа должен быть одним из {', '.join(DISPLAY_MODES)}, а получено {brief(mode)}.",
        )
    response = np.asarray(response, dtype=np.float64)
    if mode == "auto":
        mode = "clip" if kernel_sum >= 0.5 else "signed"
    if mode == "clip":
        scaled = np.clip(response, 0.0, 1.0) * 255.0
    else:
        peak = float(np.abs(response).max()) if response.size else 0.0
        unit = response / peak if peak > 0 else np.zeros_like(response)
        scaled = 127.5 + 127.5 * unit if mode == "signed" else np.abs(unit) * 255.0
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)
