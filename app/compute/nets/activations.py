"""Activation maps: what each layer of a network outputs for one photo, and a residual block at work.

A network's rows are those of its architecture table (app.compute.nets.architectures): the input, then
every CONV, POOL, FC (and, for ResNet, residual block) row once. A row's activation is read where
the table reads its memory: after the ReLU (and batch norm) that follows a conv or an fc, since an
in-place ReLU overwrites the conv's output; a block's output already includes its final ReLU.

One forward pass records every row through forward hooks that a context manager always removes,
so reading all the maps costs little more than the bare `model(x)` (see `python -m bench`).
"""

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import BasicBlock

from app.compute import samples
from app.compute.ops import kernels
from app.compute.arrays import to_int
from app.compute.nets.architectures import FOLDED_INTO_PREVIOUS_ROW, NETWORKS, ROW_KINDS, architecture_table
from app.compute.errors import InputError
from app.compute.nets.registry import get_spec, load_model, weights_path

MAPS_PER_ROW = 6
MAP_SIDE = 56  # px; larger maps are averaged down to this for a thumbnail
EXTENDS_ROW = (*FOLDED_INTO_PREVIOUS_ROW, nn.ReLU, nn.ReLU6)
# The hand-made first layer used when ResNet-18's weights are absent: real edge and blur filters.
HANDMADE_KERNELS = ("sobel_x", "sobel_y", "laplacian", "gaussian_3x3", "emboss", "edge")
HANDMADE_SEED = 0


def _inside(name: str, outer: str) -> bool:
    return name.startswith(outer + ".")


@lru_cache(maxsize=None)
def _rows(network: str) -> tuple[tuple[str, str, dict], ...]:
    """(row module, module whose output is the row's activation, the row module's sizes) per table row.

    Found once per network from a forward pass on the meta device (shapes only, no memory).
    """
    if network not in NETWORKS:
        raise InputError(en=f"Unknown network '{network}'.", ru=f"Сети «{network}» нет в курсе.", status=404)
    builder, input_shape, *_ = NETWORKS[network]
    with torch.device("meta"):
        model = builder()
    watched = {n: m for n, m in model.named_modules() if type(m) in ROW_KINDS or isinstance(m, EXTENDS_ROW)}
    blocks = [n for n, m in watched.items() if ROW_KINDS.get(type(m)) == "block"]
    events = []
    handles = [m.register_forward_hook(lambda m, i, o, n=n: events.append((n, m, i[0].shape, o.shape)))
               for n, m in watched.items()]
    try:
        with torch.no_grad():
            model(torch.zeros(1, *input_shape, device="meta"))
    finally:
        for handle in handles:
            handle.remove()
    rows: list[list] = []
    for name, module, in_shape, out_shape in events:
        if any(_inside(name, block) for block in blocks):
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


@lru_cache(maxsize=None)
def weight_layers(network: str) -> int:
    """Depth as papers count it: every conv on the main path and every fc (projection shortcuts not counted)."""
    if network not in NETWORKS:
        raise InputError(en=f"Unknown network '{network}'.", ru=f"Сети «{network}» нет в курсе.", status=404)
    with torch.device("meta"):
        model = NETWORKS[network][0]()
    return sum(1 for name, module in model.named_modules()
               if isinstance(module, (nn.Conv2d, nn.Linear)) and "downsample" not in name)


def row_targets(network: str) -> tuple[str, ...]:
    """For every row of architecture_table(network) after the input, the module whose output it is."""
    return tuple(target for _, target, _ in _rows(network))


def row_layers(network: str) -> list[dict]:
    """For every row after the input: its module's name and sizes (kernel, c_in, c_out or in/out features)."""
    return [{"module": main, "output_of": target, **sizes} for main, target, sizes in _rows(network)]


@contextmanager
def recording(model: nn.Module, names) -> Iterator[dict[str, torch.Tensor]]:
    """Forward hooks that keep the output of each named module (detached); always removed.

    Only forward passes run by this thread are recorded: the registry shares one model between
    requests, so another request's forward may run through the same modules meanwhile.
    """
    modules = dict(model.named_modules())
    missing = [n for n in names if n not in modules]
    if missing:
        raise KeyError(f"no modules named {missing}")
    outputs: dict[str, torch.Tensor] = {}
    owner = threading.get_ident()

    def keep(name):
        def hook(module, inputs, output):
            if threading.get_ident() == owner:
                outputs[name] = output.detach()
        return hook

    handles = [modules[name].register_forward_hook(keep(name)) for name in names]
    try:
        yield outputs
    finally:
        for handle in handles:
            handle.remove()


def layer_outputs(model: nn.Module, x: torch.Tensor, network: str) -> list[torch.Tensor]:
    """Every row's activation for a batch x (B, C, H, W), in table order (input first), from one forward pass."""
    names = row_targets(network)
    with recording(model, names) as outputs, torch.inference_mode():
        model(x)
    return [x, *(outputs[name] for name in names)]


def plane_pixels(plane: np.ndarray, low: float, high: float) -> np.ndarray:
    """A 2-D array mapped linearly from [low, high] to 0…255 (uint8), clipped; a flat range gives 0."""
    plane = np.asarray(plane, dtype=np.float64)
    if high <= low:
        return np.zeros(plane.shape, dtype=np.uint8)
    return np.clip(np.rint((plane - low) / (high - low) * 255), 0, 255).astype(np.uint8)


def signed_pixels(plane: np.ndarray) -> tuple[np.ndarray, float]:
    """A 2-D array with 0 at mid-gray 128 and ±max|value| at 255 and 0; returns (pixels, max|value|)."""
    reach = float(np.abs(plane).max()) if plane.size else 0.0
    return plane_pixels(plane, -reach, reach), reach


def _shrink(planes: np.ndarray, side: int) -> np.ndarray:
    """(k, H, W) planes averaged down (area) so the longer side is at most `side`."""
    k, height, width = planes.shape
    if max(height, width) <= side:
        return planes
    scale = side / max(height, width)
    out_h, out_w = max(1, round(height * scale)), max(1, round(width * scale))
    if height % out_h == 0 and width % out_w == 0:  # whole blocks: a plain block mean (the usual case)
        return planes.reshape(k, out_h, height // out_h, out_w, width // out_w).mean(axis=(2, 4))
    return nn.functional.interpolate(torch.from_numpy(planes)[None], size=(out_h, out_w), mode="area")[0].numpy()


def channel_maps(activation: torch.Tensor, count: int = MAPS_PER_ROW, side: int = MAP_SIDE) -> list[dict]:
    """The `count` channels of a (C, H, W) activation with the largest mean, as uint8 thumbnails.

    Each map is scaled on its own from its minimum (black) to its maximum (white); "low" and "high"
    are those values. Maps larger than `side` are averaged down (area) so they stay small on a page.
    On the CPU the work is done in numpy, in this thread: many small parallel torch ops would each
    wait for the thread pool to wake up, which on a busy server costs more than the arithmetic.
    """
    if activation.dim() != 3:
        return []
    channels = activation.shape[0]
    count = min(count, channels)
    if activation.device.type == "cpu":
        values = activation.float().numpy()  # shares memory with the tensor
        means = values.reshape(channels, -1).mean(axis=1)  # (C,)
    else:
        means = activation.float().mean(dim=(1, 2)).cpu().numpy()
    # Stable: ties (e.g. all-zero maps) keep channel order, so a page is the same on every run.
    order = np.argsort(-means, kind="stable")[:count]
    if activation.device.type == "cpu":
        chosen = values[order]  # (count, H, W)
    else:
        chosen = activation[torch.as_tensor(order, device=activation.device)].float().cpu().numpy()
    chosen = _shrink(chosen, side)
    result = []
    for channel, plane in zip(order.tolist(), chosen):
        low, high = float(plane.min()), float(plane.max())
        result.append({"channel": channel, "pixels": plane_pixels(plane, low, high), "low": low, "high": high,
                       "mean": float(means[channel])})
    return result


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
    """Every row of the table for one image x (1, C, H, W): its shape, value range and top channels' maps."""
    rows = []
    for index, output in enumerate(layer_outputs(model, x, network)):
        activation = output[0]  # (C, H, W) or (N,)
        low, high, zeros = _summary(activation)
        rows.append({
            "index": index, "shape": list(activation.shape), "low": low, "high": high, "zero_fraction": zeros,
            "maps": [] if index == 0 else channel_maps(activation, count, side),
        })
    return rows


def photo_input(network: str, sample: str) -> tuple[torch.Tensor, np.ndarray]:
    """A sample photo prepared as the network's pretrained weights expect: (1, 3, 224, 224), and the crop it sees."""
    transform = get_spec(network).transforms()  # resize 256, centre crop 224, ImageNet mean and std
    photo = samples.load_sample(sample)
    x = transform(photo)[None]  # (1, 3, 224, 224)
    mean = torch.tensor(transform.mean)[:, None, None]
    std = torch.tensor(transform.std)[:, None, None]
    crop = ((x[0] * std + mean).clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()  # (224, 224, 3)
    return x, crop


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


MAX_STACK = 64
MAX_CHANNELS = 4096


def _stack(layers, kernel) -> tuple[int, int]:
    layers = to_int(layers, "layers", 1, MAX_STACK)
    kernel = to_int(kernel, "kernel", 1, 15)
    if kernel % 2 == 0:
        raise InputError(en=f"kernel must be odd, got {kernel}.", ru=f"kernel должно быть нечётным, а получено {kernel}.")
    return layers, kernel


def stacked_receptive_field(layers: int, kernel: int = 3) -> int:
    """Input pixels (per side) that one output of `layers` stacked k×k convs at stride 1 sees: 1 + layers·(k − 1)."""
    layers, kernel = _stack(layers, kernel)
    return 1 + layers * (kernel - 1)


def receptive_field_rings(layers: int, kernel: int = 3) -> list[list[int]]:
    """The input patch one output of `layers` stacked k×k convs sees: for each pixel, the first layer that reaches it.

    Layer 1 sees the central k×k; each further layer adds a ring of (k − 1)/2 pixels on every side.
    """
    layers, kernel = _stack(layers, kernel)
    if kernel == 1:
        return [[1]]
    field = stacked_receptive_field(layers, kernel)
    centre, step = field // 2, (kernel - 1) // 2
    return [[max(1, math.ceil(max(abs(i - centre), abs(j - centre)) / step)) for j in range(field)]
            for i in range(field)]


def stack_comparison(layers: int, channels: int, kernel: int = 3) -> dict:
    """n stacked k×k convs (C → C, stride 1) against one conv with the same receptive field (weights, no biases)."""
    layers, kernel = _stack(layers, kernel)
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
