"""Depthwise separable convolutions: what one costs against a standard conv, and what they buy a whole network.

A standard k×k conv from C_in to C_out channels gives every output channel its own k×k×C_in filter.
The depthwise separable pair splits that in two: a k×k depthwise conv filters each input channel
alone (C_in filters of k×k×1), then a 1×1 pointwise conv mixes the channels (C_out filters of
1×1×C_in). Per output position that is k²·C_in + C_in·C_out multiply-adds instead of k²·C_in·C_out,
a factor 1/C_out + 1/k² of the standard cost.

Counts come from real modules: parameters are their numel, multiply-adds the outputs of a forward
pass on the meta device times the weights each output uses (architectures' rule). Whole networks
come from their architecture tables.
"""

import torch
from torch import nn

from app.compute.nets.activations import weight_layers
from app.compute.nets.architectures import architecture_table
from app.compute.errors import InputError
from app.compute.once import computed_once
from app.compute.nets.efficientnet import EfficientNetLite0

MAX_CHANNELS = 4096
MAX_KERNEL = 11
MAX_SIDE = 512
# ImageNet top-1 (single 224-px centre crop) as published with the weights: torchvision's AlexNet
# meta and the TensorFlow EfficientNet-Lite README (FP32 checkpoint).
TOP1 = {"alexnet-torchvision": 56.522, "efficientnet-lite0": 75.1}
TOP1_SOURCES = {
    "alexnet-torchvision": "torchvision AlexNet_Weights.IMAGENET1K_V1",
    "efficientnet-lite0": "github.com/tensorflow/tpu, models/official/efficientnet/lite/README.md",
}


def _cost(modules: list[nn.Conv2d], c_in: int, side: int) -> dict:
    """Parameters and multiply-adds of convs applied one after another to a (1, c_in, side, side) input."""
    x = torch.empty(1, c_in, side, side, device="meta")
    params = macs = 0
    for conv in modules:
        x = conv(x)  # (1, C_out, side, side): stride 1, "same" padding
        params += sum(p.numel() for p in conv.parameters())
        kh, kw = conv.kernel_size
        macs += x.numel() * (conv.in_channels // conv.groups) * kh * kw
    return {"params": params, "macs": macs}


def _check(value, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(en=f"{name} must be a whole number from {low} to {high}.",
                         ru=f"{name}: нужно целое число от {low} до {high}.")
    return value


def separable_cost(c_in: int, c_out: int, kernel: int, side: int) -> dict:
    """A standard k×k conv against its depthwise separable replacement, same input and output shape, no biases.

    Returns {"standard", "depthwise", "pointwise", "separable"} each with params and macs, and "ratio":
    standard over separable, for params and for macs (the same number: both scale with side² or not at all).
    """
    c_in = _check(c_in, "C_in", 1, MAX_CHANNELS)
    c_out = _check(c_out, "C_out", 1, MAX_CHANNELS)
    kernel = _check(kernel, "k", 1, MAX_KERNEL)
    side = _check(side, "H = W", 1, MAX_SIDE)
    if kernel % 2 == 0:
        raise InputError(en="k must be odd, so that padding keeps the map's size.",
                         ru="k должно быть нечётным, чтобы дополнение сохраняло размер карты.")
    pad = kernel // 2
    with torch.device("meta"):
        standard = nn.Conv2d(c_in, c_out, kernel, padding=pad, bias=False)
        depthwise = nn.Conv2d(c_in, c_in, kernel, padding=pad, groups=c_in, bias=False)  # one k×k filter per channel
        pointwise = nn.Conv2d(c_in, c_out, 1, bias=False)  # mixes the channels
    result = {
        "c_in": c_in, "c_out": c_out, "kernel": kernel, "side": side,
        "standard": _cost([standard], c_in, side),
        "depthwise": _cost([depthwise], c_in, side),
        "pointwise": _cost([pointwise], c_in, side),
        "separable": _cost([depthwise, pointwise], c_in, side),
    }
    result["ratio"] = {key: result["standard"][key] / result["separable"][key] for key in ("params", "macs")}
    return result


@computed_once
def _efficientnet_split() -> dict:
    """EfficientNet-Lite0's parameters and multiply-adds by kind of layer: depthwise convs, 1×1 convs, the rest
    (stem conv, fc) and batch norm."""
    with torch.device("meta"):
        model = EfficientNetLite0().eval()
    split = {kind: {"params": 0, "macs": 0} for kind in ("depthwise", "pointwise", "other", "batch_norm")}
    outputs = {}
    handles = [m.register_forward_hook(lambda m, i, o, n=n: outputs.__setitem__(n, o.shape))
               for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.empty(1, 3, 224, 224, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d):
            kind = ("depthwise" if module.groups > 1 else
                    "pointwise" if module.kernel_size == (1, 1) else "other")
            kh, kw = module.kernel_size
            macs = torch.Size(outputs[name]).numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            kind, macs = "other", module.in_features * module.out_features
        elif isinstance(module, nn.BatchNorm2d):
            kind, macs = "batch_norm", 0  # a scale and a shift per channel, folded into the conv at inference
        else:
            continue
        split[kind]["params"] += sum(p.numel() for p in module.parameters())
        split[kind]["macs"] += macs
    return split


def network_comparison() -> dict:
    """AlexNet (torchvision's, the trained one) against EfficientNet-Lite0: parameters, multiply-adds, top-1,
    AlexNet's share of parameters in its fc layers, and how Lite0's work splits between depthwise and 1×1 convs."""
    rows = {}
    for name in ("alexnet-torchvision", "efficientnet-lite0"):
        table = architecture_table(name)
        fc = sum(row["params"] for row in table["layers"] if row["kind"] == "fc")
        rows[name] = {**table["totals"], "fc_params": fc, "top1": TOP1[name], "top1_source": TOP1_SOURCES[name],
                      "weight_layers": weight_layers(name)}
    alexnet, lite = rows["alexnet-torchvision"], rows["efficientnet-lite0"]
    split = {kind: dict(values) for kind, values in _efficientnet_split().items()}
    return {
        "alexnet": alexnet, "efficientnet": lite, "split": split,
        "params_ratio": alexnet["params"] / lite["params"], "macs_ratio": alexnet["macs"] / lite["macs"],
    }
