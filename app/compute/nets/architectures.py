"""Architecture tables (shapes, memory, parameters, MACs) computed by running real modules.

A table lists a network the way the lecture does: the input first, then the output of every
CONV, POOL, NORM and FC layer once. An in-place ReLU writes into its input and is not a new
row of memory; dropout and flatten are not rows either. A batch norm right after a conv is
folded into that conv's row (its output replaces the conv output in memory). An adaptive
average pool that leaves its input unchanged (VGG-16's and torchvision AlexNet's at 224×224)
is not a row.

ResNet-18 is listed at block granularity: the stem conv (with its batch norm), the max pool,
each BasicBlock as one "block" row (all its parameters summed, its MACs the sum of its convs,
shortcut included; only the block's output counts as memory), the average pool and the fc.

MACs are multiply-adds per image: a conv costs out_elements × c_in/groups × kh × kw, an fc
in × out; pooling, normalisation, ReLU and the residual add are counted as 0 (they are a few
comparisons or additions per value, not multiply-adds with weights).
"""

import copy
import math
from collections import OrderedDict

import torch
import torchvision
from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

from app.compute.errors import known_name
from app.compute.once import computed_once
from app.compute.nets.hooks import count_parameters, forward_events, inside
from app.compute.nets.layer_text import describe, english, input_parts
from app.compute.nets.efficientnet import Conv2dSame, EfficientNetLite0, MBConvBlock

BYTES_PER_VALUE = 4  # float32

ROW_KINDS = {
    nn.Conv2d: "conv",
    nn.MaxPool2d: "pool",
    nn.AvgPool2d: "pool",
    nn.AdaptiveAvgPool2d: "pool",
    nn.AdaptiveMaxPool2d: "pool",
    nn.LocalResponseNorm: "norm",
    nn.Linear: "fc",
    BasicBlock: "block",
    Bottleneck: "block",
    Conv2dSame: "conv",
    MBConvBlock: "block",
}
FOLDED_INTO_PREVIOUS_ROW = (nn.BatchNorm2d,)


class AlexNet2012(nn.Sequential):
    """The original AlexNet as the lecture lists it, on one tower (the paper split CONV2, 4, 5 over two GPUs)."""

    def __init__(self, num_classes: int = 1000):
        super().__init__(OrderedDict([
            ("conv1", nn.Conv2d(3, 96, kernel_size=11, stride=4, padding=0)),  # (B, 96, 55, 55)
            ("relu1", nn.ReLU(inplace=True)),
            ("pool1", nn.MaxPool2d(kernel_size=3, stride=2)),  # (B, 96, 27, 27)
            # Constants from the paper: k=2, n=5, alpha=1e-4, beta=0.75.
            ("norm1", nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)),
            ("conv2", nn.Conv2d(96, 256, kernel_size=5, stride=1, padding=2)),  # (B, 256, 27, 27)
            ("relu2", nn.ReLU(inplace=True)),
            ("pool2", nn.MaxPool2d(kernel_size=3, stride=2)),  # (B, 256, 13, 13)
            ("norm2", nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0)),
            ("conv3", nn.Conv2d(256, 384, kernel_size=3, stride=1, padding=1)),  # (B, 384, 13, 13)
            ("relu3", nn.ReLU(inplace=True)),
            ("conv4", nn.Conv2d(384, 384, kernel_size=3, stride=1, padding=1)),  # (B, 384, 13, 13)
            ("relu4", nn.ReLU(inplace=True)),
            ("conv5", nn.Conv2d(384, 256, kernel_size=3, stride=1, padding=1)),  # (B, 256, 13, 13)
            ("relu5", nn.ReLU(inplace=True)),
            ("pool3", nn.MaxPool2d(kernel_size=3, stride=2)),  # (B, 256, 6, 6)
            ("flatten", nn.Flatten()),  # (B, 9216)
            ("fc6", nn.Linear(6 * 6 * 256, 4096)),
            ("relu6", nn.ReLU(inplace=True)),
            ("drop6", nn.Dropout(0.5)),
            ("fc7", nn.Linear(4096, 4096)),
            ("relu7", nn.ReLU(inplace=True)),
            ("drop7", nn.Dropout(0.5)),
            ("fc8", nn.Linear(4096, num_classes)),  # class scores
        ]))


def _lenet5() -> nn.Module:
    from app.compute.nets.lenet import LeNet5

    return LeNet5()


# name -> (builder, input_shape [C, H, W], row names: "module" path or "counter" per kind, title)
NETWORKS = {
    "lenet5": (
        _lenet5, (1, 32, 32), "module",
        {"en": "LeNet-5 (LeCun et al., 1998), as trained by this course",
         "ru": "LeNet-5 (Лекун и др., 1998) в том виде, в каком её обучает этот курс"},
    ),
    "alexnet": (
        AlexNet2012, (3, 227, 227), "module",
        {"en": "AlexNet (Krizhevsky et al., 2012), the original network on one tower",
         "ru": "AlexNet (Крижевский и др., 2012): исходная сеть, собранная в одну ветвь"},
    ),
    "alexnet-torchvision": (
        lambda: torchvision.models.alexnet(weights=None), (3, 224, 224), "counter",
        {"en": "AlexNet as torchvision builds it (the 2014 single-GPU variant, 64/192 filters, no LRN)",
         "ru": "AlexNet из torchvision (одноплатный вариант 2014 года: 64 и 192 фильтра, без LRN)"},
    ),
    "vgg16": (
        lambda: torchvision.models.vgg16(weights=None), (3, 224, 224), "counter",
        {"en": "VGG-16 (Simonyan and Zisserman, 2014), configuration D",
         "ru": "VGG-16 (Симонян и Зиссерман, 2014), конфигурация D"},
    ),
    "resnet18": (
        lambda: torchvision.models.resnet18(weights=None), (3, 224, 224), "module",
        {"en": "ResNet-18 (He et al., 2015), one row per residual block",
         "ru": "ResNet-18 (Хе и др., 2015), по строке на каждый остаточный блок"},
    ),
    "efficientnet-lite0": (
        EfficientNetLite0, (3, 224, 224), "module",
        {"en": "EfficientNet-Lite0 (Tan and Le, 2019, the Lite variant), one row per inverted residual block",
         "ru": "EfficientNet-Lite0 (Тан и Ле, 2019, вариант Lite), по строке на каждый инвертированный остаточный блок"},
    ),
}


def _macs(module: nn.Module, output: torch.Tensor) -> int:
    """Multiply-adds for one image (batch 1)."""
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * (module.in_channels // module.groups) * kh * kw
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    return 0


def _watched_modules(model: nn.Module) -> dict[str, nn.Module]:
    """Every module that makes, folds into or adds MACs to a row (convs inside blocks included)."""
    return {
        name: module for name, module in model.named_modules()
        if type(module) in ROW_KINDS or isinstance(module, FOLDED_INTO_PREVIOUS_ROW)
    }


def _shape_row(shape: tuple[int, ...]) -> list[int]:
    # Drop the batch dimension; a (C, 1, 1) conv output stays 3D, an fc output is [N].
    return list(shape[1:])


@computed_once
def _computed_table(name: str) -> dict:
    builder, input_shape, naming, title = NETWORKS[name]
    # On the meta device: real modules with shapes but no storage, so counting VGG-16's 138M
    # parameters and running its forward pass costs no memory and almost no time.
    with torch.device("meta"):
        model = builder().eval()
    x = torch.zeros(1, *input_shape, device="meta")  # (1, C, H, W)
    def record(name, module, inputs, output):
        return name, module, tuple(inputs[0].shape), tuple(output.shape), _macs(module, output)

    with forward_events(_watched_modules(model), record) as events, torch.no_grad():
        model(x)

    block_names = [n for n, m, *_ in events if ROW_KINDS.get(type(m)) == "block"]
    input_values = math.prod(input_shape)
    rows = [{
        "name": "input", "kind": "input", "output_shape": list(input_shape),
        "activations": input_values, "activation_bytes": input_values * BYTES_PER_VALUE,
        "params": 0, "weights": 0, "biases": 0, "macs": 0,
        "parts": input_parts(input_shape),
    }]
    row_modules = [[]]
    counters = {}
    for event_name, module, in_shape, out_shape, macs in events:
        if any(inside(event_name, block) for block in block_names):
            continue  # counted by its block row
        if isinstance(module, FOLDED_INTO_PREVIOUS_ROW):
            row_modules[-1].append(module)
            rows[-1]["parts"].append(("batch_norm", {}))
            rows[-1]["output_shape"] = _shape_row(out_shape)
            continue
        kind = ROW_KINDS[type(module)]
        if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and in_shape == out_shape:
            continue  # an identity at this input size
        if kind == "block":
            macs = sum(e[4] for e in events if inside(e[0], event_name))
        counters[kind] = counters.get(kind, 0) + 1
        row_name = event_name if naming == "module" else f"{kind}{counters[kind]}"
        output_shape = _shape_row(out_shape)
        values = math.prod(output_shape)
        rows.append({
            "name": row_name, "kind": kind, "output_shape": output_shape,
            "activations": values, "activation_bytes": values * BYTES_PER_VALUE,
            "params": 0, "weights": 0, "biases": 0, "macs": macs, "parts": describe(module),
        })
        row_modules.append([module])

    for row, modules in zip(rows, row_modules):
        row["detail"] = english(row["parts"])  # the parts in English, for the API and tests
        row["weights"], row["biases"] = count_parameters(modules)
        row["params"] = row["weights"] + row["biases"]

    totals = {key: sum(row[key] for row in rows) for key in ("activations", "activation_bytes", "params", "macs")}
    return {"name": name, "title": dict(title), "input_shape": list(input_shape), "layers": rows, "totals": totals}


def check_network(name: str) -> str:
    """The name of a network the course has a table for; InputError (404) naming the ones it has otherwise."""
    return known_name(name, NETWORKS, en="Unknown network '{name}'. Known networks: {known}.",
                      ru="Сети «{name}» нет в курсе. Есть такие: {known}.")


def architecture_table(name: str) -> dict:
    """Per-layer shapes, memory (float32), parameters and MACs of a named network, computed."""
    table = _computed_table(check_network(name))  # computed once, however many requests ask at once
    # A copy the caller may change (numbers, strings and lists of ints: faster than copy.deepcopy).
    return {**table, "title": dict(table["title"]), "input_shape": list(table["input_shape"]),
            "totals": dict(table["totals"]),
            "layers": [{**row, "output_shape": list(row["output_shape"]), "parts": list(row["parts"])}
                       for row in table["layers"]]}



# VGG configurations from Table 1 of Simonyan & Zisserman (2014): (kernel, filters) or "M" for max pool.
VGG_CONFIGURATIONS = {
    "A": [(3, 64), "M", (3, 128), "M", (3, 256), (3, 256), "M", (3, 512), (3, 512), "M", (3, 512), (3, 512), "M"],
    "B": [(3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), "M",
          (3, 512), (3, 512), "M", (3, 512), (3, 512), "M"],
    "C": [(3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), (1, 256), "M",
          (3, 512), (3, 512), (1, 512), "M", (3, 512), (3, 512), (1, 512), "M"],
    "D": [(3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), (3, 256), "M",
          (3, 512), (3, 512), (3, 512), "M", (3, 512), (3, 512), (3, 512), "M"],
    "E": [(3, 64), (3, 64), "M", (3, 128), (3, 128), "M", (3, 256), (3, 256), (3, 256), (3, 256), "M",
          (3, 512), (3, 512), (3, 512), (3, 512), "M", (3, 512), (3, 512), (3, 512), (3, 512), "M"],
}


def build_vgg(configuration: str, num_classes: int = 1000, device: str | torch.device = "cpu") -> nn.Sequential:
    """A VGG network for one configuration of the paper's table (224×224 RGB input)."""
    layers = []
    c_in = 3
    for item in VGG_CONFIGURATIONS[configuration]:
        if item == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        kernel, c_out = item
        # The paper pads 3×3 convs by 1 and 1×1 convs by 0, so every conv keeps the spatial size.
        conv = nn.Conv2d(c_in, c_out, kernel_size=kernel, padding=kernel // 2, device=device)
        layers += [conv, nn.ReLU(inplace=True)]
        c_in = c_out
    layers += [
        nn.Flatten(),  # (B, 512·7·7)
        nn.Linear(c_in * 7 * 7, 4096, device=device), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, 4096, device=device), nn.ReLU(inplace=True), nn.Dropout(0.5),
        nn.Linear(4096, num_classes, device=device),
        nn.Softmax(dim=1),
    ]
    return nn.Sequential(*layers)


def _vgg_label(module: nn.Module) -> str | None:
    if isinstance(module, nn.Conv2d):
        return f"conv{module.kernel_size[0]}-{module.out_channels}"
    if isinstance(module, nn.MaxPool2d):
        return "maxpool"
    if isinstance(module, nn.Linear):
        return f"FC-{module.out_features}"
    if isinstance(module, nn.Softmax):
        return "soft-max"
    return None


@computed_once
def _vgg_configuration(configuration: str) -> dict:
    # The meta device builds the real modules with shapes but no storage: counting 140M
    # parameters needs no memory and no random init.
    model = build_vgg(configuration, device="meta")
    labels = [label for module in model if (label := _vgg_label(module)) is not None]
    weight_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model)
    return {"labels": labels, "weight_layers": weight_layers, "params": sum(p.numel() for p in model.parameters())}


def vgg_configurations(names=("B", "C", "D")) -> dict:
    """Layer labels, weight-layer count and parameter count per VGG configuration, from built networks."""
    result = {}
    for configuration in names:
        known_name(configuration, VGG_CONFIGURATIONS, en="Unknown VGG configuration '{name}'. Known configurations: {known}.",
                   ru="Конфигурации VGG «{name}» нет. Есть такие: {known}.")
        result[configuration] = copy.deepcopy(_vgg_configuration(configuration))
    return result


# The lecture's VGG-16 slide, quoted: label, shape as written [H, W, C] or [N], memory, params.
_LECTURE_VGG16_ROWS = [
    ("INPUT", [224, 224, 3], "224×224×3 = 150K", "0"),
    ("CONV3-64", [224, 224, 64], "224×224×64 = 3.2M", "(3×3×3)×64 = 1,728"),
    ("CONV3-64", [224, 224, 64], "224×224×64 = 3.2M", "(3×3×64)×64 = 36,864"),
    ("POOL2", [112, 112, 64], "112×112×64 = 800K", "0"),
    ("CONV3-128", [112, 112, 128], "112×112×128 = 1.6M", "(3×3×64)×128 = 73,728"),
    ("CONV3-128", [112, 112, 128], "112×112×128 = 1.6M", "(3×3×128)×128 = 147,456"),
    ("POOL2", [56, 56, 128], "56×56×128 = 400K", "0"),
    ("CONV3-256", [56, 56, 256], "56×56×256 = 800K", "(3×3×128)×256 = 294,912"),
    ("CONV3-256", [56, 56, 256], "56×56×256 = 800K", "(3×3×256)×256 = 589,824"),
    ("CONV3-256", [56, 56, 256], "56×56×256 = 800K", "(3×3×256)×256 = 589,824"),
    ("POOL2", [28, 28, 256], "28×28×256 = 200K", "0"),
    ("CONV3-512", [28, 28, 512], "28×28×512 = 400K", "(3×3×256)×512 = 1,179,648"),
    ("CONV3-512", [28, 28, 512], "28×28×512 = 400K", "(3×3×512)×512 = 2,359,296"),
    ("CONV3-512", [28, 28, 512], "28×28×512 = 400K", "(3×3×512)×512 = 2,359,296"),
    ("POOL2", [14, 14, 512], "14×14×512 = 100K", "0"),
    ("CONV3-512", [14, 14, 512], "14×14×512 = 100K", "(3×3×512)×512 = 2,359,296"),
    ("CONV3-512", [14, 14, 512], "14×14×512 = 100K", "(3×3×512)×512 = 2,359,296"),
    ("CONV3-512", [14, 14, 512], "14×14×512 = 100K", "(3×3×512)×512 = 2,359,296"),
    ("POOL2", [7, 7, 512], "7×7×512 = 25K", "0"),
    ("FC", [4096], "4096", "7×7×512×4096 = 102,760,448"),
    ("FC", [4096], "4096", "4096×4096 = 16,777,216"),
    ("FC", [1000], "1000", "4096×1000 = 4,096,000"),
]


def _quoted_number(text: str) -> float:
    """The number after the last '=' of a quoted figure: '… = 3.2M' -> 3.2e6, '1,728' -> 1728."""
    value = text.rsplit("=", 1)[-1].strip().replace(",", "")
    scale = {"K": 1e3, "M": 1e6}.get(value[-1], 1)
    return float(value.rstrip("KM")) * scale


def lecture_vgg16_figures() -> dict:
    """The lecture's VGG-16 table and totals, quoted as data (to stand beside computed values)."""
    rows = [
        {"label": label, "shape": shape, "memory": memory, "memory_value": _quoted_number(memory),
         "params": params, "params_value": int(_quoted_number(params))}
        for label, shape, memory, params in _LECTURE_VGG16_ROWS
    ]
    return {
        "rows": rows,
        "params_note": "not counting biases",
        "total_memory": "24M * 4 bytes ≈ 93MB / image (only forward! ~*2 for bwd)",
        "total_memory_values": 24_000_000,
        "bytes_per_value": 4,
        "total_memory_mb": 93,
        "backward_factor": 2,
        "total_params": "138M parameters",
        "total_params_value": 138_000_000,
    }


def compare_vgg16_with_lecture() -> dict:
    """Computed VGG-16 figures beside the lecture's, and the differences between them (numbers only)."""
    lecture = lecture_vgg16_figures()
    table = architecture_table("vgg16")
    rows = []
    for quoted, computed in zip(lecture["rows"], table["layers"], strict=True):
        rows.append({
            "label": quoted["label"],
            "name": computed["name"],
            "lecture_memory": quoted["memory"],
            "lecture_memory_value": quoted["memory_value"],
            "activations": computed["activations"],
            "lecture_params": quoted["params_value"],
            "weights": computed["weights"],
            "biases": computed["biases"],
            "params": computed["params"],
            "weights_match": quoted["params_value"] == computed["weights"],
        })
    activations = table["totals"]["activations"]
    forward_bytes = table["totals"]["activation_bytes"]
    lecture_bytes = lecture["total_memory_values"] * lecture["bytes_per_value"]
    return {
        "rows": rows,
        "lecture_weights_sum": sum(r["lecture_params"] for r in rows),
        "weights": sum(r["weights"] for r in rows),
        "biases": sum(r["biases"] for r in rows),
        "params": table["totals"]["params"],
        "lecture_params": lecture["total_params_value"],
        # Memory: the lecture's 24M values against the sum of its own rows and the computed sum.
        "lecture_rows_memory_sum": sum(r["lecture_memory_value"] for r in rows),
        "lecture_memory_values": lecture["total_memory_values"],
        "lecture_memory_bytes": lecture_bytes,
        "lecture_memory_mb": lecture_bytes / 1e6,
        "lecture_memory_mib": lecture_bytes / 2**20,
        "lecture_memory_stated_mb": lecture["total_memory_mb"],
        "activations": activations,
        "forward_bytes": forward_bytes,
        "forward_mb": forward_bytes / 1e6,
        "forward_mib": forward_bytes / 2**20,
        "backward_factor": lecture["backward_factor"],
        "forward_backward_bytes": forward_bytes * lecture["backward_factor"],
        "forward_backward_mib": forward_bytes * lecture["backward_factor"] / 2**20,
    }
