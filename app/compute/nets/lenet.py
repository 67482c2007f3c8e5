"""LeNet-5 as the lecture draws it, MNIST-style preprocessing of a drawn digit, and inference.

The network is [CONV-POOL-CONV-POOL-CONV-FC] on a 32×32×1 input with ReLU after every conv and
hidden fc layer. The subsampling layers S2 and S4 are 2×2 MAX pools at stride 2 (the 1998 paper
used a trainable average with a sigmoid; max pooling and ReLU are what the lecture's modern
CNN uses).
"""

import operator
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from app.compute.errors import InputError

DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "lenet5.pt"
MAX_IMAGE_SIDE = 4096  # px; larger drawings are refused before any work
DIGIT_BOX = 20  # px: MNIST fits the longer side of a digit into 20 px ...
FIELD = 28  # ... inside a 28×28 field, centred on the centre of mass
LENET_SIDE = 32  # LeNet-5 takes 32×32: the 28×28 field padded by 2 on every side
INK_FLOOR = 0.05  # share of the peak ink below which a pixel is background for the bounding box


class LeNet5(nn.Module):
    """C1 6@5×5 → S2 max 2×2 → C3 16@5×5 → S4 max 2×2 → C5 120@5×5 → F6 84 → output 10."""

    def __init__(self, num_classes: int = 10):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5, stride=1)
        self.s2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.c3 = nn.Conv2d(6, 16, kernel_size=5, stride=1)
        self.s4 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.c5 = nn.Conv2d(16, 120, kernel_size=5, stride=1)
        self.f6 = nn.Linear(120, 84)
        self.output = nn.Linear(84, num_classes)

    @staticmethod
    def layer_names() -> list[str]:
        """Layer names in forward order (the keys of forward_layers, after 'input')."""
        return ["c1", "s2", "c3", "s4", "c5", "f6", "output"]

    def forward_layers(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every layer's output (after its ReLU), keyed by layer name."""
        out = {"input": x}  # (B, 1, 32, 32)
        x = out["c1"] = F.relu(self.c1(x))  # (B, 6, 28, 28)
        x = out["s2"] = self.s2(x)  # (B, 6, 14, 14)
        x = out["c3"] = F.relu(self.c3(x))  # (B, 16, 10, 10)
        x = out["s4"] = self.s4(x)  # (B, 16, 5, 5)
        x = out["c5"] = F.relu(self.c5(x))  # (B, 120, 1, 1)
        x = out["f6"] = F.relu(self.f6(x.flatten(1)))  # (B, 84)
        out["output"] = self.output(x)  # (B, 10) class scores
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_layers(x)["output"]


def layer_names() -> list[str]:
    """LeNet-5 layer names in forward order."""
    return LeNet5.layer_names()


@lru_cache(maxsize=4)
def _load(path: str, device: str) -> LeNet5:
    model = LeNet5()
    model.load_state_dict(torch.load(path, map_location=device, weights_only=True))
    return model.to(device).eval()


def load_lenet(path: str | Path = DEFAULT_WEIGHTS, device: str = "cpu") -> LeNet5:
    """The trained LeNet-5 in eval mode (loaded once per path and device)."""
    return _load(str(Path(path).resolve()), str(device))


def mnist_split(labels: np.ndarray, seed: int, test_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split: per digit in ascending order, the first test_per_class of a seeded permutation."""
    rng = np.random.default_rng(seed)
    test = np.concatenate([
        rng.permutation(np.flatnonzero(labels == digit))[:test_per_class] for digit in range(10)
    ])
    test = np.sort(test)
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test


def _bad_image(en: str, ru: str, status: int = 422) -> InputError:
    return InputError(en=en, ru=ru, status=status)


def _numbers(value, dtype, en: str, ru: str) -> np.ndarray:
    """`value` as an array of `dtype`; a drawing that is not an array of numbers is refused with en/ru."""
    try:
        return np.asarray(value, dtype=dtype)
    except (TypeError, ValueError):
        raise _bad_image(en, ru) from None


def _check_size(width: int, height: int) -> None:
    if max(width, height) > MAX_IMAGE_SIDE:
        raise _bad_image(
            f"The image is {width}×{height} px; the largest allowed side is {MAX_IMAGE_SIDE} px.",
            f"Изображение {width}×{height} пикселей, а сторона не может быть больше {MAX_IMAGE_SIDE}.",
            413,
        )


def _to_grayscale(image) -> np.ndarray:
    """A float (H, W) array in [0, 1]; transparent canvas pixels become a background that contrasts with the ink."""
    if isinstance(image, Image.Image):
        _check_size(image.width, image.height)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            array = np.asarray(image.convert("RGBA"), dtype=np.float64) / 255.0
        else:
            array = np.asarray(image.convert("L"), dtype=np.float64) / 255.0
    else:
        array = _numbers(image, np.float64, "The drawing must be a rectangular array of numbers.",
                         "Рисунок должен быть прямоугольным массивом чисел.")
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise _bad_image(
                f"Expected an image array of shape (H, W) or (H, W, 1|3|4), got {array.shape}.",
                f"Ожидался массив изображения формы (H, W) или (H, W, 1|3|4), а пришёл {array.shape}.",
            )
        _check_size(array.shape[1], array.shape[0])
        if not np.isfinite(array).all():
            raise _bad_image(
                "The image contains NaN or infinite values.",
                "В изображении есть NaN или бесконечные значения.",
            )
        if array.size and (array.min() < 0 or array.max() > 255):
            raise _bad_image(
                "Pixel values must lie in 0…1 or 0…255.",
                "Значения пикселей должны лежать в диапазоне 0…1 или 0…255.",
            )
        if array.size and array.max() > 1:
            array = array / 255.0
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
    if array.shape[0] < 1 or array.shape[1] < 1:
        raise _bad_image("The image is empty.", "Изображение пустое.")
    if array.ndim == 2:
        return array
    rgb = array[:, :, :3]
    gray = rgb @ np.array([0.299, 0.587, 0.114])  # ITU-R 601 luma, as PIL's "L"
    if array.shape[2] == 4:
        alpha = array[:, :, 3]
        painted = alpha > 0
        # Composite on white if the strokes are dark, on black if they are light.
        ink_level = (gray[painted] * alpha[painted]).sum() / max(alpha[painted].sum(), 1e-12) if painted.any() else 0.0
        background = 1.0 if ink_level < 0.5 else 0.0
        gray = alpha * gray + (1 - alpha) * background
    return gray


def _border_median(gray: np.ndarray) -> float:
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    return float(np.median(border))


def _center_of_mass(image: np.ndarray) -> tuple[float, float]:
    rows, cols = np.indices(image.shape)
    total = image.sum()
    return float((rows * image).sum() / total), float((cols * image).sum() / total)


def preprocess_digit(image) -> dict:
    """MNIST's recipe step by step: gray, light-on-dark, crop to the ink, 20 px box, centre of mass, 32×32."""
    gray = _to_grayscale(image)  # (H, W) in [0, 1]

    # MNIST digits are light on dark. The border is mostly background, so its median tells the polarity.
    background = _border_median(gray)
    inverted = background > 0.5
    light_on_dark = 1.0 - gray if inverted else gray.copy()
    background = 1.0 - background if inverted else background

    ink = np.clip(light_on_dark - background, 0.0, None)
    peak = float(ink.max())
    if peak < INK_FLOOR:
        raise _bad_image(
            "The canvas is empty: draw a digit first.",
            "Холст пуст: сначала нарисуйте цифру.",
        )
    ink = ink / peak  # (H, W) in [0, 1], background at 0; grey levels kept (no binarisation)

    rows = np.flatnonzero((ink > INK_FLOOR).any(axis=1))
    cols = np.flatnonzero((ink > INK_FLOOR).any(axis=0))
    top, bottom, left, right = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    cropped = ink[top:bottom, left:right]

    height, width = cropped.shape
    scale = DIGIT_BOX / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    # LANCZOS on a float image antialiases when shrinking; clip its small ringing back to [0, 1].
    scaled = np.asarray(
        Image.fromarray(cropped.astype(np.float32), mode="F").resize((out_w, out_h), Image.Resampling.LANCZOS),
        dtype=np.float64,
    )
    scaled = np.clip(scaled, 0.0, 1.0)
    if scaled.sum() == 0:
        scaled = np.ones_like(scaled)  # a one-pixel speck can vanish; keep it as a dot

    com_row, com_col = _center_of_mass(scaled)
    centre = (FIELD - 1) / 2  # 13.5: the middle of a 28-pixel field, pixel centres at 0..27
    offset_row = int(np.clip(round(centre - com_row), 0, FIELD - out_h))
    offset_col = int(np.clip(round(centre - com_col), 0, FIELD - out_w))
    centered = np.zeros((FIELD, FIELD))
    centered[offset_row:offset_row + out_h, offset_col:offset_col + out_w] = scaled

    margin = (LENET_SIDE - FIELD) // 2
    padded = np.pad(centered, margin)  # (32, 32)

    return {
        "step_names": ["grayscale", "light_on_dark", "cropped", "scaled", "centered", "padded"],
        "grayscale": gray.astype(np.float32),
        "light_on_dark": light_on_dark.astype(np.float32),
        "cropped": cropped.astype(np.float32),
        "scaled": scaled.astype(np.float32),
        "centered": centered.astype(np.float32),
        "padded": padded.astype(np.float32),
        "inverted": bool(inverted),
        "bbox": [int(top), int(left), int(bottom), int(right)],
        "center_of_mass": list(_center_of_mass(padded)),
    }


# When a reading is not worth trusting (the network answers anyway: softmax always sums to 1).
MIN_INK_SIDE = 0.25  # the ink's bounding box, longer side, as a share of the canvas's longer side
MAX_BLOB_FILL = 0.4  # ink share of the square around the ink after scaling: a dot or a smear fills it, strokes don't
MIN_CONFIDENCE = 0.8  # the top class's probability


def trust(steps: dict, probabilities) -> dict:
    """Whether a reading deserves trust, from the drawing (preprocess_digit's steps) and the network's answer.

    Returns {"trusted", "reasons": codes among "too_small", "blob", "unsure" (in that order), "ink_side" (share
    of the canvas), "fill" (share of the square around the scaled ink), "confidence" (top probability)}.
    """
    height, width = steps["grayscale"].shape
    top, left, bottom, right = steps["bbox"]
    ink_side = max(bottom - top, right - left) / max(height, width)
    scaled = np.asarray(steps["scaled"], dtype=np.float64)
    fill = float((scaled > 0.5).sum()) / float(max(scaled.shape)) ** 2
    confidence = float(max(probabilities))
    reasons = [code for code, bad in (("too_small", ink_side < MIN_INK_SIDE), ("blob", fill > MAX_BLOB_FILL),
                                      ("unsure", confidence < MIN_CONFIDENCE)) if bad]
    return {"trusted": not reasons, "reasons": reasons, "ink_side": float(ink_side), "fill": fill,
            "confidence": confidence}


def _as_lenet_input(pixels) -> np.ndarray:
    array = _numbers(pixels, np.float32, "Pixels must be a 28×28 or 32×32 array of numbers.",
                     "Пиксели должны быть массивом чисел 28×28 или 32×32.")
    if array.shape not in ((FIELD, FIELD), (LENET_SIDE, LENET_SIDE)):
        raise _bad_image(
            f"Pixels must be 28×28 or 32×32, got shape {array.shape}.",
            f"Пиксели должны быть размером 28×28 или 32×32, а пришла форма {array.shape}.",
        )
    if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
        raise _bad_image(
            "Pixel values must be finite numbers between 0 and 1.",
            "Значения пикселей должны быть конечными числами от 0 до 1.",
        )
    if array.shape == (FIELD, FIELD):
        array = np.pad(array, (LENET_SIDE - FIELD) // 2)
    return array  # (32, 32)


def predict(pixels, model: LeNet5 | None = None) -> dict:
    """Digit prediction, class probabilities and every layer's activations for a light-on-dark digit."""
    model = load_lenet() if model is None else model
    array = _as_lenet_input(pixels)
    device = next(model.parameters()).device
    x = torch.from_numpy(array).to(device)[None, None]  # (1, 1, 32, 32)
    with torch.inference_mode():
        outputs = model.forward_layers(x)
    probabilities = torch.softmax(outputs["output"][0], dim=0).cpu().numpy()
    activations = {name: tensor[0].cpu().numpy().astype(np.float32) for name, tensor in outputs.items()}
    return {
        "prediction": int(probabilities.argmax()),
        "probabilities": [float(p) for p in probabilities],
        "layers": [{"name": name, "shape": list(a.shape)} for name, a in activations.items()],
        "activations": activations,
    }


_OUTPUT_SHAPES = {
    "c1": (6, 28, 28), "s2": (6, 14, 14), "c3": (16, 10, 10), "s4": (16, 5, 5), "c5": (120, 1, 1), "f6": (84,),
    "output": (10,),
}
_LAYER_INPUTS = {"c1": "input", "s2": "c1", "c3": "s2", "s4": "c3", "c5": "s4", "f6": "c5", "output": "f6"}


def filter_and_pixel(layer: str, channel: int, i: int, j: int, activations: dict, model: LeNet5 | None = None) -> dict:
    """The computation behind one output value: the input window, weights, products, sum, bias, ReLU.

    Conv layers (c1, c3, c5): window (c_in, 5, 5), weights (c_in, 5, 5). Pool layers (s2, s4):
    window (2, 2) of one channel, no weights, the value is its maximum. Fc layers (f6, output):
    channel is the neuron, i = j = 0, window and weights are vectors. 'output' has no ReLU.
    """
    model = load_lenet() if model is None else model
    if not isinstance(layer, str) or layer not in _LAYER_INPUTS:
        raise _bad_image(
            f"Unknown LeNet-5 layer '{layer}'. Layers: {', '.join(_LAYER_INPUTS)}.",
            f"В LeNet-5 нет слоя «{layer}». Слои: {', '.join(_LAYER_INPUTS)}.",
        )
    try:
        channel, i, j = operator.index(channel), operator.index(i), operator.index(j)
    except TypeError:
        raise _bad_image(
            "Channel, row and column must be whole numbers.",
            "Канал, строка и столбец должны быть целыми числами.",
        ) from None
    source = _LAYER_INPUTS[layer]
    if not isinstance(activations, dict) or layer not in activations or source not in activations:
        raise _bad_image(
            f"Activations of '{source}' and '{layer}' are needed; run predict first.",
            f"Нужны активации слоёв «{source}» и «{layer}»: сначала выполните предсказание.",
        )
    try:
        inputs = np.asarray(activations[source], dtype=np.float64)
        outputs = np.asarray(activations[layer], dtype=np.float64)
    except (TypeError, ValueError):
        raise _bad_image(
            "Activations must be arrays of numbers, as predict returns them.",
            "Активации должны быть массивами чисел — такими, какие возвращает предсказание.",
        ) from None
    expected = {"input": (1, 32, 32), **{n: tuple(s) for n, s in _OUTPUT_SHAPES.items()}}
    if inputs.shape != expected[source] or outputs.shape != expected[layer]:
        raise _bad_image(
            f"Activations of '{source}' and '{layer}' have the wrong shapes; run predict first.",
            f"У активаций слоёв «{source}» и «{layer}» неверная форма: сначала выполните предсказание.",
        )
    if outputs.ndim == 1:
        outputs = outputs[:, None, None]  # an fc neuron as a 1×1 map
    if inputs.ndim == 1:
        inputs = inputs[:, None, None]
    channels, out_h, out_w = outputs.shape
    if not (0 <= channel < channels and 0 <= i < out_h and 0 <= j < out_w):
        raise _bad_image(
            f"Position (channel {channel}, row {i}, column {j}) is outside "
            f"{layer}'s {channels}×{out_h}×{out_w} output.",
            f"Позиция (канал {channel}, строка {i}, столбец {j}) лежит вне выхода слоя {layer} размером "
            f"{channels}×{out_h}×{out_w}.",
        )

    module = getattr(model, layer)
    result = {"layer": layer, "source": source, "channel": channel, "i": i, "j": j}
    if isinstance(module, nn.MaxPool2d):
        size, stride = module.kernel_size, module.stride
        window = inputs[channel, i * stride:i * stride + size, j * stride:j * stride + size]
        result.update(kind="pool", window=window, weights=None, products=None, sum=None, bias=None,
                      pre_activation=float(window.max()), relu=False, output=float(window.max()),
                      argmax=[int(v) for v in np.unravel_index(window.argmax(), window.shape)])
        return result

    weight = module.weight.detach().cpu().numpy().astype(np.float64)
    bias = float(module.bias.detach().cpu()[channel])
    if isinstance(module, nn.Conv2d):
        kernel, stride = module.kernel_size[0], module.stride[0]
        window = inputs[:, i * stride:i * stride + kernel, j * stride:j * stride + kernel]  # (c_in, k, k)
        weights = weight[channel]  # (c_in, k, k)
        kind = "conv"
    else:
        window = inputs.reshape(-1)  # (in_features,)
        weights = weight[channel]  # (in_features,)
        kind = "fc"
    products = window * weights
    total = float(products.sum())
    pre_activation = total + bias
    relu = layer != "output"
    return {
        **result, "kind": kind, "window": window, "weights": weights, "products": products,
        "sum": total, "bias": bias, "pre_activation": pre_activation, "relu": relu,
        "output": max(pre_activation, 0.0) if relu else pre_activation,
    }


# LeCun et al. 1998, Table I: which S2 maps (rows 0–5) each of C3's 16 maps reads. The paper breaks the
# symmetry on purpose: six maps read 3 contiguous maps, six read 4 contiguous, three read 4 non-contiguous,
# and the last reads all six.
PAPER_C3_INPUTS = (
    *(tuple((j + i) % 6 for i in range(3)) for j in range(6)),
    *(tuple((j + i) % 6 for i in range(4)) for j in range(6)),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)
PAPER_C3_SOURCE = "LeCun, Bottou, Bengio, Haffner, Gradient-Based Learning Applied to Document Recognition, 1998, Table I"


def c3_connections() -> dict:
    """The paper's sparse C3 against this course's dense one: connections and trainable parameters.

    Each connection from an S2 map to a C3 map is one 5×5 kernel; every C3 map adds one bias.
    """
    c3 = LeNet5().c3
    kernel = c3.kernel_size[0] * c3.kernel_size[1]
    sparse_links = sum(len(inputs) for inputs in PAPER_C3_INPUTS)
    dense_links = c3.in_channels * c3.out_channels
    return {
        "maps_in": c3.in_channels, "maps_out": c3.out_channels, "kernel": kernel,
        "sparse_links": sparse_links, "sparse_params": sparse_links * kernel + c3.out_channels,
        "dense_links": dense_links, "dense_params": sum(p.numel() for p in c3.parameters()),
        "inputs_per_map": [len(inputs) for inputs in PAPER_C3_INPUTS], "source": PAPER_C3_SOURCE,
    }
