"""AlexNet's data augmentation (Krizhevsky, Sutskever & Hinton 2012, §4.1) on one photo: a random 224×224 crop
of the 256×256 image, a horizontal flip half of the time, and "PCA colour lighting": each pixel gets
[p1 p2 p3]·[α1λ1 α2λ2 α3λ3]ᵀ added, where p and λ are the eigenvectors and eigenvalues of the RGB covariance and
α ~ N(0, σ) is drawn once per image. The paper computes the covariance over all ImageNet training pixels; here
it is computed over the photo itself. With pixels in [0, 1], λ is taken as the standard deviation along each
principal component (the square root of the eigenvalue), as common implementations read the paper (Facebook's
fb.resnet.torch uses 0.2175, 0.0188, 0.0045 for ImageNet): the shift is then a fraction σ of the natural spread."""

import numpy as np
from PIL import Image

from app.compute.errors import InputError

PAPER = {"image": 256, "crop": 224, "sigma": 0.1, "factor": 2048, "test_patches": 10, "top1_gain": 1.0}


def positions(image: int = PAPER["image"], crop: int = PAPER["crop"]) -> int:
    """Crop positions along one side: image − crop + 1."""
    if not 1 <= crop <= image:
        raise InputError(en=f"The crop ({crop}) must fit in the image ({image}).",
                         ru=f"Фрагмент ({crop}) должен помещаться в изображение ({image}).")
    return image - crop + 1


def distinct_inputs(image: int = PAPER["image"], crop: int = PAPER["crop"]) -> dict:
    """How many different training inputs crops and flips make from one image, and the paper's count of them."""
    side = positions(image, crop)
    return {"positions": side, "crops": side * side, "with_flips": 2 * side * side,
            "paper": 2 * (image - crop) ** 2, "paper_factor": PAPER["factor"]}


def colour_pca(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (largest first) and eigenvectors (columns) of the 3×3 covariance of RGB values in [0, 1]."""
    flat = pixels.reshape(-1, 3).astype(np.float64) / 255.0
    values, vectors = np.linalg.eigh(np.cov(flat, rowvar=False))
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order]


def augment(photo: Image.Image, seed: int, sigma: float = PAPER["sigma"]) -> dict:
    """One augmented training input: {"resized" (256×256 uint8), "crop" [x, y] (top-left), "flip",
    "alphas", "eigenvalues", "eigenvectors", "shift" (RGB added to every pixel, in [0, 1] units), "output"
    (224×224 uint8)}, all drawn from `seed`."""
    if not 0 <= sigma <= 1:
        raise InputError(en=f"σ must be from 0 to 1, got {sigma}.", ru=f"σ должно быть от 0 до 1, а получено {sigma}.")
    rng = np.random.default_rng(seed)
    side, crop = PAPER["image"], PAPER["crop"]
    # The paper's preprocessing: the shorter side scaled to 256, then the central 256×256 patch.
    scale = side / min(photo.size)
    scaled = photo.convert("RGB").resize((max(side, round(photo.width * scale)), max(side, round(photo.height * scale))),
                                         Image.Resampling.BILINEAR)
    left, top = (scaled.width - side) // 2, (scaled.height - side) // 2
    resized = np.asarray(scaled.crop((left, top, left + side, top + side)))
    x, y = (int(v) for v in rng.integers(0, side - crop + 1, 2))
    flip = bool(rng.random() < 0.5)
    patch = resized[y:y + crop, x:x + crop]
    if flip:
        patch = patch[:, ::-1]
    values, vectors = colour_pca(resized)
    alphas = rng.normal(0.0, sigma, 3)
    spread = np.sqrt(np.clip(values, 0.0, None))  # standard deviation along each principal component
    shift = vectors @ (alphas * spread)  # (3,): the same for every pixel of this image
    output = np.clip(patch / 255.0 + shift, 0.0, 1.0)
    return {"resized": resized, "crop": [x, y], "flip": flip, "alphas": alphas.tolist(),
            "eigenvalues": values.tolist(), "spread": spread.tolist(), "eigenvectors": vectors.tolist(),
            "shift": shift.tolist(),
            "output": (output * 255).round().astype(np.uint8)}
