"""Conv layers stacked on each other, as the lecture stacks them: each layer's shape checked with the
lecture's arithmetic, its receptive field, and its activation maps from seeded random filters (run_stack);
the lecture's whole pipeline conv → ReLU → pool → fc on a photo (lecture_pipeline).

Volumes are (C, H, W) float64 arrays as in conv_layer.py; shapes on pages are height × width × depth (hwc).
"""

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from app.compute.arrays import to_int
from app.compute.errors import InputError
from app.compute.ops import arithmetic
from app.compute.ops.conv import finite_or_error
from app.compute.ops.conv_layer import LECTURE_LAYERS, MAX_FILTERS, hwc
from app.compute.ops.receptive_field import receptive_fields

MAX_STACK_KERNEL = 9
MAX_STACK_STRIDE = 4
MAX_STACK_PADDING = 4


@dataclass(frozen=True)
class ConvSpec:
    """One conv layer of a stack: K filters of F×F×depth, stride S, zero padding P."""

    filters: int
    kernel: int
    stride: int = 1
    padding: int = 0


def _seeded_conv(c_in: int, spec: ConvSpec, generator: torch.Generator) -> nn.Conv2d:
    conv = nn.Conv2d(c_in, spec.filters, spec.kernel, spec.stride, spec.padding, dtype=torch.float64)
    bound = 1 / np.sqrt(c_in * spec.kernel * spec.kernel)  # PyTorch's default init range
    with torch.no_grad():
        conv.weight.uniform_(-bound, bound, generator=generator)
        conv.bias.uniform_(-bound, bound, generator=generator)
    return conv


def run_stack(x, convs, seed: int = 0, device: str = "cpu") -> dict:
    """CONV → ReLU → CONV → … (a ReLU after every conv but the last) on x (C, H, W), by real torch modules.

    Weights are random (PyTorch's default range, seeded): a stack is about shapes, not trained features.
    Every conv is first checked with app.compute.ops.arithmetic (W2 = (W1 − F + 2P)/S + 1); a filter that
    does not fit raises InputError with the reason. Returns {"input": [H, W, C], "steps": [{"name",
    "kind": "conv" | "relu", "module": repr, "shape": [H, W, C] measured from torch's output,
    "arithmetic": conv_arithmetic(...) for convs, "field": {"size", "jump", "start"}, "maps": (K, H, W)
    array}], "field_layers": what receptive_fields got}.
    """
    x = np.asarray(x, dtype=np.float64)
    convs = [c if isinstance(c, ConvSpec) else ConvSpec(**c) for c in convs]
    if not convs:
        raise InputError(en="A stack needs at least one conv layer.", ru="В стопке должен быть хотя бы один свёрточный слой.")
    generator = torch.Generator().manual_seed(to_int(seed, "seed", 0, 2**31 - 1))
    depth, height, width = x.shape
    modules: list[tuple[str, nn.Module, dict]] = []
    for n, spec in enumerate(convs, start=1):
        to_int(spec.filters, "filters", 1, MAX_FILTERS)
        to_int(spec.kernel, "kernel", 1, MAX_STACK_KERNEL)
        to_int(spec.stride, "stride", 1, MAX_STACK_STRIDE)
        to_int(spec.padding, "padding", 0, MAX_STACK_PADDING)
        check = arithmetic.conv_arithmetic(height, spec.kernel, spec.stride, spec.padding,
                                           in_channels=depth, filters=spec.filters)
        if check["floor_output"] is None:
            raise InputError(
                en=f"CONV{n}: {check['reason']['en']}", ru=f"CONV{n}: {check['reason']['ru']}"
            )
        modules.append((f"conv{n}", _seeded_conv(depth, spec, generator), check))
        depth, height = spec.filters, check["floor_output"]
        if n < len(convs):
            modules.append((f"relu{n}", nn.ReLU(), {}))

    layers = [
        {"kernel": m.kernel_size[0], "stride": m.stride[0], "padding": m.padding[0]}
        if isinstance(m, nn.Conv2d) else {"kernel": 1, "stride": 1, "padding": 0}
        for _, m, _ in modules
    ]
    fields = receptive_fields(layers)
    steps = []
    with torch.inference_mode():
        out = torch.as_tensor(x, device=device)[None]  # (1, C, H, W)
        for (name, module, check), field in zip(modules, fields):
            module.to(device)
            out = module(out)  # (1, K, H', W')
            steps.append({
                "name": name,
                "kind": "conv" if isinstance(module, nn.Conv2d) else "relu",
                "module": repr(module).replace(", dtype=torch.float64", ""),
                "shape": hwc(out.shape[1:]),
                "arithmetic": check,
                "field": field,
                "maps": finite_or_error(out[0].cpu().numpy()),
            })
    return {"input": hwc(x.shape), "steps": steps, "field_layers": layers}


def lecture_pipeline(x, filters: int = 12, kernel: int = 5, same_padding: bool = True, seed: int = 0,
                     device: str = "cpu") -> dict:
    """The lecture's INPUT → CONV → RELU → POOL → FC, run as torch modules on x (3, 32, 32).

    CONV has `filters` filters of kernel×kernel×3 at stride 1, with padding (F − 1)/2 when same_padding
    (the only way to keep 32×32, as the lecture's [32x32x12] does) or none; POOL is 2×2 max at stride 2;
    FC maps everything to 10 class scores. Weights are random (seeded): only shapes matter here.
    Returns {"rows": [{"layer", "module", "shape" (H, W, C measured), "lecture" (H, W, C),
    "matches": bool}], "padding", "filters", "kernel"}.
    """
    filters = to_int(filters, "filters", 1, MAX_FILTERS)
    kernel = to_int(kernel, "kernel", 1, MAX_STACK_KERNEL)
    padding = arithmetic.same_padding(kernel) if same_padding else 0
    if padding is None:
        raise InputError(
            en=f"A {kernel}×{kernel} filter has no centre, so no padding keeps the size at stride 1; "
            "choose an odd size.",
            ru=f"У фильтра {kernel}×{kernel} нет центра, и никакое дополнение не сохранит размер при шаге 1; "
            "выберите нечётный размер.",
        )
    x = np.asarray(x, dtype=np.float64)
    generator = torch.Generator().manual_seed(to_int(seed, "seed", 0, 2**31 - 1))
    conv = _seeded_conv(x.shape[0], ConvSpec(filters, kernel, 1, padding), generator)
    with torch.inference_mode():
        volume = torch.as_tensor(x, device=device)[None]  # (1, 3, 32, 32)
        conv_out = conv.to(device)(volume)  # (1, K, H1, W1)
        pool = nn.MaxPool2d(2, 2)
        relu_out = nn.ReLU()(conv_out)
        pool_out = pool(relu_out)  # (1, K, H1/2, W1/2)
        fc = nn.Linear(pool_out[0].numel(), LECTURE_LAYERS["classes"], dtype=torch.float64).to(device)
        fc_out = fc(pool_out.flatten(1))  # (1, 10)
    shapes = {
        "input": hwc(volume.shape[1:]),
        "conv": hwc(conv_out.shape[1:]),
        "relu": hwc(relu_out.shape[1:]),
        "pool": hwc(pool_out.shape[1:]),
        "fc": [1, 1, int(fc_out.shape[1])],
    }
    modules = {
        "input": "",
        "conv": repr(conv).replace(", dtype=torch.float64", ""),
        "relu": repr(nn.ReLU()),
        "pool": repr(pool),
        "fc": repr(fc).replace(", dtype=torch.float64", ""),
    }
    lecture = LECTURE_LAYERS["shapes"]
    rows = [
        {"layer": name, "module": modules[name], "shape": shapes[name], "lecture": list(lecture[name]),
         "matches": shapes[name] == list(lecture[name])}
        for name in ("input", "conv", "relu", "pool", "fc")
    ]
    return {"rows": rows, "padding": padding, "filters": filters, "kernel": kernel,
            "arithmetic": arithmetic.conv_arithmetic(x.shape[1], kernel, 1, padding, in_channels=x.shape[0],
                                                     filters=filters)}
