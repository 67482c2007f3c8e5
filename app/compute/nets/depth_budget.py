"""“Deeper is better” at a fixed budget: stacks of 3×3 convolutions of every depth, each as wide as the same number
of parameters allows, built as real torch modules and counted from them. The lecture's figures (after Goodfellow
et al., 2014): shallow models overfit at about 20 million parameters, deep ones can use more than 60 million."""

import math

from torch import nn

from app.compute.errors import InputError

DEPTHS = (2, 3, 4, 6, 8, 11, 16)
IN_CHANNELS = 3
LECTURE_BUDGETS = {"shallow_overfits": 20_000_000, "deep_uses": 60_000_000}
LECTURE_SOURCE = ("cnn-lecture.txt, «Текущая тенденция: более глубокие модели»; Goodfellow, Bulatov, Ibarz, Arnoud, "
                  "Shet, “Multi-digit Number Recognition from Street View Imagery”, ICLR 2014; "
                  "Goodfellow, Bengio, Courville, “Deep Learning”, 2016, fig. 6.7")
MAX_BUDGET = 200_000_000


def stack(depth: int, width: int) -> nn.Sequential:
    """depth 3×3 convolutions (padding 1) with ReLUs: 3 → width → … → width, on the meta device (no memory)."""
    layers = []
    for n in range(depth):
        layers += [nn.Conv2d(IN_CHANNELS if n == 0 else width, width, 3, padding=1, device="meta"), nn.ReLU()]
    return nn.Sequential(*layers)


def params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _formula(depth: int, width: int) -> int:
    return (9 * IN_CHANNELS + 1) * width + (depth - 1) * (9 * width * width + width)


def width_for(depth: int, budget: int) -> int:
    """The largest width whose stack stays within the budget: (27 + 1)·C + (depth − 1)·(9C² + C) ≤ budget."""
    a, b = 9 * (depth - 1), 9 * IN_CHANNELS + 1 + (depth - 1)
    width = max(1, int((-b + math.sqrt(b * b + 4 * a * budget)) / (2 * a)))
    while _formula(depth, width + 1) <= budget:
        width += 1
    while width > 1 and _formula(depth, width) > budget:
        width -= 1
    return width


def at_budget(budget: int, side: int = 56) -> list[dict]:
    """For each depth: the width, the parameters counted from the module, the receptive field (1 + 2·depth) and the
    multiply-adds on a side × side input, all with the same parameter budget."""
    if isinstance(budget, bool) or not isinstance(budget, int) or not 1_000 <= budget <= MAX_BUDGET:
        raise InputError(en=f"The budget must be a whole number of parameters from 1,000 to {MAX_BUDGET:,}.",
                         ru=f"Бюджет — целое число параметров от 1000 до {MAX_BUDGET}.")
    rows = []
    for depth in DEPTHS:
        width = width_for(depth, budget)
        module = stack(depth, width)
        macs = sum(m.weight[0].numel() * side * side * m.out_channels for m in module if isinstance(m, nn.Conv2d))
        rows.append({"depth": depth, "width": width, "params": params(module), "receptive_field": 1 + 2 * depth,
                     "nonlinearities": depth, "macs": macs})
    return rows
