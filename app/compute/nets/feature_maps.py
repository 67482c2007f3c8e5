"""The feature hierarchy: which channels of a trained CNN answer most strongly to one image, layer by layer.

A trained network's early layers respond to edges and colours, later ones to textures and parts,
the last ones to whole object parts; on the way the maps get smaller and the channels more
numerous. The hierarchy shown here is every conv row (ResNet-18: every residual block) of a
network's architecture table, read after its ReLU, with the strongest channels ranked by their
mean activation over the map.

ImageNet models need their pretrained weights (registry.load_model raises WeightsMissing, never
hands out an untrained network). Without them the same hierarchy is shown on the course's own
trained LeNet-5 and one of the course's sample digits: C1 → C3 → C5.
"""

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.models.resnet import BasicBlock

from app.compute import samples
from app.compute.nets import digits, lenet
from app.compute.nets.activations import row_layers, row_targets
from app.compute.nets.maps import CHANNELS_SHOWN, layer_summary, prepare_photo
from app.compute.nets.hooks import recording
from app.compute.nets.architectures import NETWORKS, architecture_table, build_vgg
from app.compute.ops.receptive_field import receptive_fields as receptive_fields_of_chain
from app.compute.errors import known_name
from app.compute.once import computed_once
from app.compute.nets.efficientnet import MBConvBlock
from app.compute.nets.registry import MODELS, load_model

# Registry model -> its architecture table. Torchvision's AlexNet is the 2014 single-GPU variant,
# not the lecture's 2012 network ("alexnet" in architectures.NETWORKS).
FEATURE_NETWORKS = {"resnet18": "resnet18", "vgg16": "vgg16", "alexnet": "alexnet-torchvision",
                    "efficientnet_lite0": "efficientnet-lite0"}
LENET_LAYERS = ("c1", "c3", "c5")
def check_model(model: str) -> str:
    """The model name if the hierarchy can show it; InputError (404) naming the ones it can otherwise."""
    return known_name(model, FEATURE_NETWORKS, en="Feature maps are shown for {known}; got '{name}'.",
                      ru="Карты признаков показываются для сетей {known}, а получено «{name}».")


def _module_sizes(module: nn.Module) -> dict:
    """Kernel, stride and filters of a conv, or of a residual block's first conv (its stride is the block's).

    An inverted residual block (EfficientNet) gives its depthwise conv's kernel and stride and its output channels.
    """
    if isinstance(module, MBConvBlock):
        return {"kernel": module.kernel, "stride": module.stride, "filters": module.c_out, "c_in": module.c_in,
                "expanded": module.c_in * module.expansion}
    if isinstance(module, BasicBlock):
        module = module.conv1
    return {"kernel": module.kernel_size[0], "stride": module.stride[0], "filters": module.out_channels}


@computed_once
def _layers(network: str) -> tuple[dict, ...]:
    with torch.device("meta"):
        model = NETWORKS[network][0]()
    modules = dict(model.named_modules())
    fields = receptive_fields(model)
    table = architecture_table(network)["layers"][1:]  # without the input row
    rows = []
    mains = [layer["module"] for layer in row_layers(network)]
    for row, target, main in zip(table, row_targets(network), mains, strict=True):
        if row["kind"] not in ("conv", "block") or len(row["output_shape"]) != 3:
            continue
        channels, height, width = row["output_shape"]
        rows.append({
            "name": row["name"], "kind": row["kind"], "module": main, "output_of": target,
            "shape": [channels, height, width], "receptive_field": fields[main][0],
            **_module_sizes(modules[main]),
        })
    return tuple(rows)


def feature_layers(model: str) -> list[dict]:
    """The layers the hierarchy shows for a registry model, shallow to deep.

    Each: name (the architecture table's), kind ("conv" or "block"), module, output_of (the module
    whose output is read: the ReLU after a conv), shape [C, H, W] on a 224×224 photo, kernel,
    stride and filters of the conv (a block's first conv), and receptive_field (input pixels per side).
    """
    return [dict(layer) for layer in _layers(FEATURE_NETWORKS[check_model(model)])]


def lenet_layers() -> list[dict]:
    """C1, C3 and C5 of the course's LeNet-5 in the same form as feature_layers."""
    with torch.device("meta"):
        model = lenet.LeNet5()
    fields = receptive_fields(model)
    rows = {row["name"]: row for row in architecture_table("lenet5")["layers"]}
    return [{"name": name, "kind": "conv", "module": name, "output_of": name, "shape": rows[name]["output_shape"],
             "receptive_field": fields[name][0], **_module_sizes(getattr(model, name))} for name in LENET_LAYERS]


def stages(layers: list[dict]) -> list[int]:
    """Indices of the deepest layer at each map size: one layer per stage of the hierarchy."""
    last: dict[tuple[int, int], int] = {}
    for index, layer in enumerate(layers):
        last[tuple(layer["shape"][1:])] = index
    return sorted(last.values())


def receptive_fields(model: nn.Module) -> dict[str, tuple[int, int]]:
    """(side, jump) after every conv, pool and residual block, along the main path in module order.

    A residual block's shortcut (`downsample`, a 1×1 conv) sees less than its two 3×3 convs, so the
    block's field is that of the main path.
    """
    names, chain = [], []
    for name, module in model.named_modules():
        if "downsample" in name.split("."):
            continue
        if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel = module.kernel_size if isinstance(module.kernel_size, int) else module.kernel_size[0]
            stride = module.stride if isinstance(module.stride, int) else module.stride[0]
            dilation = getattr(module, "dilation", 1)
            dilation = dilation if isinstance(dilation, int) else dilation[0]
            names.append(name)
            chain.append({"kernel": dilation * (kernel - 1) + 1, "stride": stride, "padding": 0})
    fields = {name: (field["size"], field["jump"]) for name, field in zip(names, receptive_fields_of_chain(chain))}
    for name, module in model.named_modules():
        if isinstance(module, BasicBlock):
            fields[name] = fields[f"{name}.conv2"]  # the block's output is read after its second conv
        elif isinstance(module, MBConvBlock):
            fields[name] = fields[f"{name}._project_conv"]  # a 1×1 conv: the depthwise conv's field
    return fields


def network_hierarchy(network: nn.Module, x: torch.Tensor, model: str, count: int = CHANNELS_SHOWN) -> list[dict]:
    """Every shown layer of `network` for one image x (1, 3, H, W), from one forward pass."""
    layers = feature_layers(model)
    device = next(network.parameters()).device
    with recording(network, [layer["output_of"] for layer in layers]) as outputs, torch.inference_mode():
        network(x.to(device))
    return [layer_summary(layer, outputs[layer["output_of"]][0], count) for layer in layers]


def image_hierarchy(model: str, image: Image.Image, weights_dir, device: str = "cpu") -> dict:
    """The hierarchy of a pretrained ImageNet model on any photo. Raises registry.WeightsMissing without weights."""
    network = load_model(check_model(model), weights_dir, device)
    x, crop = prepare_photo(model, image)
    return {"model": model, "title": MODELS[model].title, "input": crop, "layers": network_hierarchy(network, x, model)}


def sample_hierarchy(model: str, sample: str, weights_dir, device: str = "cpu") -> dict:
    """The hierarchy on a sample photo (pages keep one per photo and weights file in the ModelService)."""
    check_model(model)
    if sample not in samples.SAMPLES:
        samples.load_sample(sample)  # raises the InputError that names the photos there are
    return {**image_hierarchy(model, samples.load_sample(sample), weights_dir, device), "sample": sample}


def digit_hierarchy(digit: int, device: str = "cpu") -> dict:
    """C1 → C3 → C5 of the course's trained LeNet-5 on one of its sample digits."""
    drawing = digits.sample_digit(digit)  # (56, 56) dark ink on white, as the page's canvas draws it; InputError but 0–9
    pixels = lenet.preprocess_digit(drawing)["padded"]  # (32, 32) light on dark, as MNIST
    network = lenet.load_lenet(device=device)
    result = lenet.predict(pixels, network)
    layers = [layer_summary(layer, result["activations"][layer["name"]]) for layer in lenet_layers()]
    return {
        "model": "lenet5", "title": MODELS["lenet5"].title, "digit": digit,
        "input": (np.clip(pixels, 0, 1) * 255).round().astype(np.uint8),
        "prediction": result["prediction"], "probability": max(result["probabilities"]),
        "layers": layers,
    }


def vgg_shapes(configuration: str, side: int = 224) -> list[dict]:
    """Every conv and max pool of a VGG configuration on a side×side×3 input: its label and output [H, W, C].

    Measured by running the real modules on the meta device (shapes only, no memory).
    """
    model = build_vgg(configuration, device="meta")
    x = torch.empty(1, 3, side, side, device="meta")
    rows = []
    for module in model:
        if isinstance(module, nn.Flatten):
            break
        x = module(x)
        if isinstance(module, nn.Conv2d):
            rows.append({"label": f"conv{module.kernel_size[0]}-{module.out_channels}", "kind": "conv",
                         "kernel": module.kernel_size[0], "shape": [x.shape[2], x.shape[3], x.shape[1]]})
        elif isinstance(module, nn.MaxPool2d):
            rows.append({"label": "maxpool", "kind": "pool", "kernel": module.kernel_size,
                         "shape": [x.shape[2], x.shape[3], x.shape[1]]})
    return rows
