"""A layer described in the lecture's words, as structured parts: [(part, values), …].

The parts are what a page translates (app/web/locales/architectures.yaml has a string arch_<part> per part, each
with its own separators); `english(parts)` is the same line in English for the JSON API and the compute tests:
'3×3 conv, 64 filters, stride 1, pad 1', 'residual block: 3×3 conv 64 → 3×3 conv 64, + identity shortcut'.
"""

from torch import nn
from torchvision.models.resnet import BasicBlock, Bottleneck

from app.compute.nets.efficientnet import Conv2dSame, MBConvBlock

Parts = list[tuple[str, dict]]

ENGLISH = {
    "input": "input image {shape}",
    "conv": "{kernel} conv, {filters} filters",
    "stride": ", stride {stride}",
    "pad": ", pad {pad}",
    "groups": ", groups {groups}",
    "max_pool": "{kernel} max pool",
    "avg_pool": "{kernel} avg pool",
    "adaptive_avg_pool": "adaptive avg pool to {size}",
    "adaptive_max_pool": "adaptive max pool to {size}",
    "lrn": "local response norm, size {size}, k {k}, alpha {alpha}, beta {beta}",
    "fc": "fully connected, {inputs} → {outputs}",
    "residual": "residual block: ",
    "block_conv": "{kernel} conv {filters}",
    "block_stride": " stride {stride}",
    "then": " → ",
    "identity_shortcut": ", + identity shortcut",
    "projection_shortcut": ", + 1×1 conv {filters} stride {stride} shortcut",
    "inverted": "inverted residual block: ",
    "depthwise": "{kernel} depthwise",
    "batch_norm": " + batch norm",
    "module": "{name}",
}


def english(parts: Parts) -> str:
    return "".join(ENGLISH[part].format(**values) for part, values in parts)


def _pair(value) -> tuple[int, int]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _by(a, b) -> str:
    return f"{a}×{b}"


def input_parts(shape) -> Parts:
    """The input row of a (C, H, W) input."""
    c, h, w = shape
    return [("input", {"shape": f"{h}×{w}×{c}"})]


def describe(module: nn.Module) -> Parts:
    """The parts of one table row's module."""
    if isinstance(module, nn.Conv2d):
        sh, sw = module.stride
        ph, pw = _pair(module.padding)
        pad = "same" if isinstance(module, Conv2dSame) else ph if ph == pw else _by(ph, pw)  # TF's "same"
        parts = [("conv", {"kernel": _by(*module.kernel_size), "filters": module.out_channels}),
                 ("stride", {"stride": sh if sh == sw else _by(sh, sw)}), ("pad", {"pad": pad})]
        return parts + ([("groups", {"groups": module.groups})] if module.groups > 1 else [])
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        ph, _ = _pair(module.padding)
        op = "max_pool" if isinstance(module, nn.MaxPool2d) else "avg_pool"
        parts = [(op, {"kernel": _by(*_pair(module.kernel_size))}), ("stride", {"stride": _pair(module.stride)[0]})]
        return parts + ([("pad", {"pad": ph})] if ph else [])
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        op = "adaptive_avg_pool" if isinstance(module, nn.AdaptiveAvgPool2d) else "adaptive_max_pool"
        return [(op, {"size": _by(*_pair(module.output_size))})]
    if isinstance(module, nn.LocalResponseNorm):
        return [("lrn", {"size": module.size, "k": f"{module.k:g}", "alpha": f"{module.alpha:g}",
                         "beta": f"{module.beta:g}"})]
    if isinstance(module, nn.Linear):
        return [("fc", {"inputs": module.in_features, "outputs": module.out_features})]
    if isinstance(module, (BasicBlock, Bottleneck)):
        return [("residual", {}), *_residual_body(module)]
    if isinstance(module, MBConvBlock):
        k, s = module.kernel, module.stride
        parts = [("inverted", {})]
        if module.expansion != 1:
            parts += [("block_conv", {"kernel": "1×1", "filters": module.c_in * module.expansion}), ("then", {})]
        parts += [("depthwise", {"kernel": _by(k, k)})] + ([("block_stride", {"stride": s})] if s > 1 else [])
        parts += [("then", {}), ("block_conv", {"kernel": "1×1", "filters": module.c_out})]
        return parts + ([("identity_shortcut", {})] if module.residual else [])
    return [("module", {"name": type(module).__name__})]


def _residual_body(module: nn.Module) -> Parts:
    parts = []
    convs = [m for n, m in module.named_modules() if isinstance(m, nn.Conv2d) and "downsample" not in n]
    for index, conv in enumerate(convs):
        parts += [("then", {})] if index else []
        parts.append(("block_conv", {"kernel": _by(*conv.kernel_size), "filters": conv.out_channels}))
        parts += [("block_stride", {"stride": conv.stride[0]})] if conv.stride[0] > 1 else []
    if module.downsample is None:
        return parts + [("identity_shortcut", {})]
    projection = next(m for m in module.downsample.modules() if isinstance(m, nn.Conv2d))
    return parts + [("projection_shortcut", {"filters": projection.out_channels, "stride": projection.stride[0]})]
