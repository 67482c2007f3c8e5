"""Activation maps: what each layer of a network outputs for one photo, and a residual block at work.

A network's rows are those of its architecture table (app.compute.nets.architectures): the input, then
every CONV, POOL, FC (and, for ResNet, residual block) row once. A row's activation is read where
the table reads its memory: after the ReLU (and batch norm) that follows a conv or an fc, since an
in-place ReLU overwrites the conv's output; a block's output already includes its final ReLU.

One forward pass records every row through forward hooks that a context manager always removes,
so reading all the maps costs little more than the bare `model(x)` (see `python -m bench`).
"""

import math

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from app.compute import samples
from app.compute.ops import kernels
from app.compute.arrays import to_int
from app.compute.nets.architectures import (
    FOLDED_INTO_PREVIOUS_ROW, NETWORKS, ROW_KINDS, architecture_table, check_network,
)
from app.compute.once import computed_once
from app.compute.nets.hooks import forward_events, inside, recording
from app.compute.ops.receptive_field import check_stack, stacked_receptive_field
from app.compute.nets.maps import MAPS_PER_ROW, MAP_SIDE, channel_maps, prepare_photo
from app.compute.nets.registry import get_spec, load_model, weights_path

EXTENDS_ROW = (*FOLDED_INTO_PREVIOUS_ROW, nn.ReLU, nn.ReLU6)
# The hand-made first layer used when ResNet-18's weights are absent: real edge and blur filters.
HANDMADE_KERNELS = ("sobel_x", "sobel_y", "laplacian", "gaussian_3x3", "emboss", "edge")
HANDMADE_SEED = 0


@computed_once
def _rows(network: str) -> tuple[tuple[str, str, dict], ...]:
    """(row module, module whose output is the row's activation, the row module's sizes) per table row.

    Found once per network from a forward pass on the meta device (shapes only, no memory).
    """
    builder, input_shape, *_ = NETWORKS[check_network(network)]
    with torch.device("meta"):
        model = builder()
    watched = {n: m for n, m in model.named_modules() if type(m) in ROW_KINDS or isinstance(m, EXTENDS_ROW)}
    blocks = [n for n, m in watched.items() if ROW_KINDS.get(type(m)) == "block"]
    with forward_events(watched, lambda n, m, i, o: (n, m, i[0].shape, o.shape)) as events, torch.no_grad():
        model(torch.zeros(1, *input_shape, device="meta"))
    rows: list[list] = []
    for name, module, in_shape, out_shape in events:
        if any(inside(name, block) for block in blocks):
            continue
        if isinstance(module, EXTENDS_ROW):
            if rows:
                rows[-1][1] = name  # the row's memory is this module's output
            continue
        if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)) and in_shape == out_shape:
            continue  # an identity at this input size: not a row of the table either
        rows.append([name, name, _sizes(module)])
    expected = len(architecture_table(network)["layers"]) - 1
    if len(rows) != expected:
        raise RuntimeError(f"{network}: {len(rows)} recorded rows for {expected} table rows")
    return tuple((main, target, sizes) for main, target, sizes in rows)


def _sizes(module: nn.Module) -> dict:
    if isinstance(module, nn.Conv2d):
        return {"kernel": list(module.kernel_size), "c_in": module.in_channels, "c_out": module.out_channels,
                "groups": module.groups, "bias": module.bias is not None}
    if isinstance(module, nn.Linear):
        return {"in_features": module.in_features, "out_features": module.out_features,
                "bias": module.bias is not None}
    return {}


@computed_once
def weight_layers(network: str) -> int:
    """Depth as papers count it: every conv on the main path and every fc (projection shortcuts not counted)."""
    with torch.device("meta"):
        model = NETWORKS[check_network(network)][0]()
    return sum(1 for name, module in model.named_modules()
               if isinstance(module, (nn.Conv2d, nn.Linear)) and "downsample" not in name)


def row_targets(network: str) -> tuple[str, ...]:
    """For every row of architecture_table(network) after the input, the module whose output it is."""
    return tuple(target for _, target, _ in _rows(network))


def row_layers(network: str) -> list[dict]:
    """For every row after the input: its module's name and sizes (kernel, c_in, c_out or in/out features)."""
    return [{"module": main, "output_of": target, **sizes} for main, target, sizes in _rows(network)]


def layer_outputs(model: nn.Module, x: torch.Tensor, network: str) -> list[torch.Tensor]:
    """Every row's activation for a batch x (B, C, H, W), in table order (input first), from one forward pass."""
    names = row_targets(network)
    with recording(model, names) as outputs, torch.inference_mode():
        model(x)
    return [x, *(outputs[name] for name in names)]


def _summary(activation: torch.Tensor) -> tuple[float, float, float]:
    """(minimum, maximum, fraction of zeros) of a whole activation, in one copy to the CPU at most."""
    if activation.device.type == "cpu":
        values = activation.numpy()
        return float(values.min()), float(values.max()), 1 - np.count_nonzero(values) / values.size
    low, high = torch.aminmax(activation)
    zeros = 1 - torch.count_nonzero(activation) / activation.numel()
    low, high, zeros = torch.stack([low.float(), high.float(), zeros.float()]).tolist()
    return low, high, zeros


def network_activations(model: nn.Module, x: torch.Tensor, network: str, count: int = MAPS_PER_ROW,
                        side: int = MAP_SIDE) -> list[dict]:
    """Every row of the table for one image x (1, C, H, W): its shape, value range and top channels' maps.

    On a GPU every row is summarised, ranked, shrunk and quantised there (rows_on_device), and only the
    results come back, in one copy; on the CPU numpy does it in this thread (maps.channel_maps)."""
    outputs = layer_outputs(model, x, network)
    if x.device.type != "cpu":
        return rows_on_device(outputs, count, side)
    rows = []
    for index, output in enumerate(outputs):
        activation = output[0]  # (C, H, W) or (N,)
        low, high, zeros = _summary(activation)
        rows.append({
            "index": index, "shape": list(activation.shape), "low": low, "high": high, "zero_fraction": zeros,
            "maps": [] if index == 0 else channel_maps(activation, count, side),
        })
    return rows


def rows_on_device(outputs: list[torch.Tensor], count: int = MAPS_PER_ROW, side: int = MAP_SIDE) -> list[dict]:
    """network_activations' rows from layer outputs (1, …) computed where the outputs are, with one copy back.

    Per row: minimum, maximum and zero fraction; the `count` channels with the largest mean (ties in channel
    order), averaged down (area) to at most `side`, each scaled from its own minimum to maximum and rounded
    to uint8, as maps.channel_maps does on the CPU. The numbers and the pixels of every row are packed into
    one uint8 tensor, so a GPU synchronises once instead of three times a row.
    """
    floats, pixels, layout = [], [], []
    for index, output in enumerate(outputs):
        activation = output[0].float()  # (C, H, W) or (N,)
        low, high = torch.aminmax(activation)
        zeros = 1 - torch.count_nonzero(activation) / activation.numel()
        floats.append(torch.stack([low, high, zeros.float()]))
        shape, k, size = list(activation.shape), 0, (0, 0)
        if index > 0 and activation.dim() == 3:
            k = min(count, activation.shape[0])
            means = activation.mean(dim=(1, 2))  # (C,)
            order = torch.sort(-means, stable=True).indices[:k]
            chosen = activation[order]  # (k, H, W)
            height, width = chosen.shape[1:]
            if max(height, width) > side:
                scale = side / max(height, width)
                size = (max(1, round(height * scale)), max(1, round(width * scale)))
                chosen = nn.functional.interpolate(chosen[None], size=size, mode="area")[0]
            size = tuple(chosen.shape[1:])
            lows, highs = chosen.amin(dim=(1, 2)), chosen.amax(dim=(1, 2))  # (k,) each
            span = (highs - lows)[:, None, None]
            scaled = (chosen - lows[:, None, None]) / torch.where(span > 0, span, torch.ones_like(span)) * 255
            quantised = torch.where(span > 0, scaled.round().clamp(0, 255), torch.zeros_like(scaled))
            floats += [means[order], lows, highs, order.float()]
            pixels.append(quantised.to(torch.uint8).flatten())
        layout.append((index, shape, k, size))
    numbers = torch.cat(floats).double()
    blob = torch.cat([numbers.view(torch.uint8), *pixels]).cpu().numpy()  # the one copy to the CPU
    values = blob[: numbers.numel() * 8].view(np.float64)
    position, offset = 0, numbers.numel() * 8
    rows = []
    for index, shape, k, size in layout:
        low, high, zeros = values[position:position + 3]
        position += 3
        maps = []
        if k:
            means, lows, highs, channels = (values[position + i * k:position + (i + 1) * k] for i in range(4))
            position += 4 * k
            planes = blob[offset:offset + k * size[0] * size[1]].reshape(k, *size)
            offset += k * size[0] * size[1]
            maps = [{"channel": int(channels[i]), "pixels": planes[i], "low": float(lows[i]),
                     "high": float(highs[i]), "mean": float(means[i])} for i in range(k)]
        rows.append({"index": index, "shape": shape, "low": float(low), "high": float(high),
                     "zero_fraction": float(zeros), "maps": maps})
    return rows


def photo_input(network: str, sample: str) -> tuple[torch.Tensor, np.ndarray]:
    """A sample photo prepared as the network's pretrained weights expect: (1, 3, 224, 224), and the crop it sees."""
    return prepare_photo(network, samples.load_sample(sample))


def sample_activations(network: str, sample: str, weights_dir, device: str = "cpu") -> dict:
    """Every row's activation maps of a pretrained network on a sample photo.

    Raises registry.WeightsMissing when the weights file is absent (never maps of an untrained net).
    Not cached here: pages run it through the server's ModelService, which keeps one result per photo.
    """
    if sample not in samples.SAMPLES:
        samples.load_sample(sample)  # raises the InputError that names the known photos
    model = load_model(network, weights_dir, device)
    x, crop = photo_input(network, sample)
    rows = network_activations(model, x.to(device), network)
    return {"network": network, "sample": sample, "crop": crop, "rows": rows}


def residual_parts(block: BasicBlock, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """A BasicBlock taken apart on x (B, C, H, W): F(x), the shortcut, their sum and ReLU(sum) = block(x)."""
    with torch.inference_mode():
        fx = block.bn2(block.conv2(block.relu(block.bn1(block.conv1(x)))))  # F(x): two 3×3 convs
        shortcut = x if block.downsample is None else block.downsample(x)  # same shape as F(x)
        total = fx + shortcut
        out = torch.relu(total)
    return {"x": x, "fx": fx, "shortcut": shortcut, "sum": total, "out": out}


def handmade_layer(gray: torch.Tensor) -> torch.Tensor:
    """A first layer of real, hand-made 3×3 filters + ReLU on a grayscale image (1, 1, H, W) -> (1, 6, H/2, W/2)."""
    weight = torch.stack([torch.as_tensor(kernels.PRESETS[k].array, dtype=torch.float32) for k in HANDMADE_KERNELS])
    weight = weight[:, None]  # (6, 1, 3, 3)
    return torch.relu(nn.functional.conv2d(gray, weight.to(gray.device), stride=2, padding=1))


def seeded_block(channels: int, seed: int = HANDMADE_SEED) -> BasicBlock:
    """A torchvision BasicBlock (channels → channels, identity shortcut) with seeded random weights, in eval mode."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return BasicBlock(channels, channels).eval()


def residual_demo(sample: str, weights_dir, device: str = "cpu") -> dict:
    """A residual block on a real activation map of a sample photo: arrays x, fx, shortcut, sum, out (C, H, W).

    With ResNet-18's weights: x is the output of its stem and the block is its trained layer1.0.
    Without them: x is a hand-made first layer (preset edge and blur filters + ReLU) and the block a
    torchvision BasicBlock with seeded random weights ("trained" False says so).
    """
    if sample not in samples.SAMPLES:
        samples.load_sample(sample)
    trained = weights_path(get_spec("resnet18"), weights_dir).is_file()
    if trained:
        model = load_model("resnet18", weights_dir, device)
        x, _ = photo_input("resnet18", sample)
        with torch.inference_mode():
            x = model.maxpool(model.relu(model.bn1(model.conv1(x.to(device)))))  # the stem: (1, 64, 56, 56)
        block, where = model.layer1[0], "layer1.0"
    else:
        _, crop = photo_input("resnet18", sample)
        gray = torch.as_tensor(crop, dtype=torch.float32).mean(dim=2) / 255  # (224, 224) in [0, 1]
        x = handmade_layer(gray[None, None].to(device))  # (1, 6, 112, 112)
        block, where = seeded_block(x.shape[1]).to(device), "seeded"
    parts = residual_parts(block, x)
    arrays = {key: value[0].float().cpu().numpy() for key, value in parts.items()}  # each (C, H, W)
    return {"sample": sample, "trained": trained, "block": where, **arrays}


MAX_CHANNELS = 4096


def stack_comparison(layers: int, channels: int, kernel: int = 3) -> dict:
    """n stacked k×k convs (C → C, stride 1) against one conv with the same receptive field (weights, no biases)."""
    layers, kernel = check_stack(layers, kernel)
    channels = to_int(channels, "channels", 1, MAX_CHANNELS)
    field = stacked_receptive_field(layers, kernel)
    stack = layers * kernel * kernel * channels * channels
    single = field * field * channels * channels
    return {
        "layers": layers, "kernel": kernel, "channels": channels, "receptive_field": field,
        "stack_weights": stack, "single_weights": single, "saving": 1 - stack / single,
        "ratio": single / stack, "relus_stack": layers, "relus_single": 1,
        "stack_formula": f"{layers}·({kernel}·{kernel}·C·C) = {layers * kernel * kernel}·C²",
        "single_formula": f"{field}·{field}·C·C = {field * field}·C²",
    }


def residual_output_shape(channels_in: int, size: int, channels_out: int, stride: int) -> dict:
    """Shapes through a BasicBlock: F(x) (two 3×3 convs, pad 1, the first with `stride`) and the shortcut it needs."""
    channels_in = to_int(channels_in, "channels_in", 1, MAX_CHANNELS)
    channels_out = to_int(channels_out, "channels_out", 1, MAX_CHANNELS)
    size = to_int(size, "size", 1, 4096)
    stride = to_int(stride, "stride", 1, 4)
    out = math.floor((size + 2 * 1 - 3) / stride) + 1
    projection = stride != 1 or channels_in != channels_out
    return {"input": [channels_in, size, size], "output": [channels_out, out, out], "projection": projection}
