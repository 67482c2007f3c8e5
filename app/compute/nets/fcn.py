"""The idea of a fully convolutional network (FCN), on a network small enough to read.

A classifier ends in fully connected layers, which fix the input size: its first FC layer expects
exactly the number of values that a 32×32 photo leaves after the convolutions. Each FC layer is
also a convolution in disguise. The first one sees the whole 16×5×5 feature map, so it is a 5×5
convolution with the same weights; the next ones see a vector, so they are 1×1 convolutions.
After that swap the network takes any input of at least 32×32 and answers with a map of class
scores instead of one vector: cell (i, j) holds what the classifier would say about the 32×32 window
at (4i, 4j), 4 being the stride of the two poolings. Upsampling (bilinear here, as torchvision's FCN
heads do) brings the map back to the input's size, one score vector per pixel.

The weights are seeded and untrained: the shapes and the equalities are the point, not the scores.
"""

from functools import lru_cache
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from app.compute.errors import InputError

TRAIN_SIDE = 32  # the classifier's input size
STRIDE = 4  # two 2×2 max pools
FEATURE_SIDE = 5  # (32 − 4) / 2 = 14, (14 − 4) / 2 = 5: the map the first FC layer reads
MAX_SIDE = 160  # px; 33×33 windows to check against the classifier at most
MAX_CLASSES = 21


def build_classifier(classes: int = 5, seed: int = 0) -> nn.Sequential:
    """LeNet-5's layout on a colour 32×32 input: conv 5×5 (3→6), ReLU, pool, conv 5×5 (6→16), ReLU,
    pool, FC 400→120, ReLU, FC 120→classes. No padding, so every value depends on its window only."""
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = nn.Sequential()
        model.add_module("conv1", nn.Conv2d(3, 6, 5))
        model.add_module("relu1", nn.ReLU())
        model.add_module("pool1", nn.MaxPool2d(2))
        model.add_module("conv2", nn.Conv2d(6, 16, 5))
        model.add_module("relu2", nn.ReLU())
        model.add_module("pool2", nn.MaxPool2d(2))
        model.add_module("flatten", nn.Flatten())
        model.add_module("fc1", nn.Linear(16 * FEATURE_SIDE * FEATURE_SIDE, 120))
        model.add_module("relu3", nn.ReLU())
        model.add_module("fc2", nn.Linear(120, classes))
    finally:
        torch.random.set_rng_state(generator_state)
    return model.eval()


def convolutionalize(classifier: nn.Sequential) -> nn.Sequential:
    """The same network with its FC layers as convolutions holding the very same weights."""
    model = nn.Sequential()
    side = None
    for name, module in classifier.named_children():
        if isinstance(module, nn.Flatten):
            side = FEATURE_SIDE  # the first FC layer reads a (channels, 5, 5) map
            continue
        if isinstance(module, nn.Linear):
            c_in = module.in_features // (side * side)
            conv = nn.Conv2d(c_in, module.out_features, side)
            with torch.no_grad():
                conv.weight.copy_(module.weight.view(module.out_features, c_in, side, side))  # (out, c_in, k, k)
                conv.bias.copy_(module.bias)
            model.add_module(name, conv)
            side = 1  # every later FC layer reads a vector: a 1×1 convolution
            continue
        model.add_module(name, module)
    return model.eval()


def _describe(module: nn.Module) -> str:
    if isinstance(module, nn.Conv2d):
        k = module.kernel_size
        return f"Conv2d {module.in_channels}→{module.out_channels}, {k[0]}×{k[1]}"
    if isinstance(module, nn.Linear):
        return f"Linear {module.in_features}→{module.out_features}"
    if isinstance(module, nn.MaxPool2d):
        return f"MaxPool2d {module.kernel_size}×{module.kernel_size}"
    return type(module).__name__


def trace(model: nn.Sequential, x: torch.Tensor) -> dict[str, Any]:
    """Each layer's output shape (without the batch axis) and parameter count; "error" if torch refuses.

    A layer that cannot take its input stops the trace: "error" holds torch's own message.
    """
    rows = [{"name": "input", "layer": "", "shape": list(x.shape[1:]), "params": 0}]
    with torch.no_grad():
        for name, module in model.named_children():
            try:
                x = module(x)
            except RuntimeError as exc:
                return {"rows": rows, "error": {"layer": name, "detail": _describe(module), "message": str(exc).split("\n")[0]},
                        "output": None}
            params = sum(p.numel() for p in module.parameters())
            rows.append({"name": name, "layer": _describe(module), "shape": list(x.shape[1:]), "params": params})
    return {"rows": rows, "error": None, "output": x}


@lru_cache(maxsize=64)
def fcn_demo(height: int, width: int, classes: int = 5, seed: int = 0) -> dict[str, Any]:
    """Both networks at 32×32 and at height×width: shapes, torch's error, and the equalities that hold.

    Cached (the result is deterministic): treat it as read-only.
    """
    for value, what_en, what_ru in ((height, "height", "Высота"), (width, "width", "Ширина")):
        if isinstance(value, bool) or not isinstance(value, int) or not TRAIN_SIDE <= value <= MAX_SIDE:
            raise InputError(
                en=f"The {what_en} must be a whole number from {TRAIN_SIDE} (the classifier's input) to {MAX_SIDE}.",
                ru=f"{what_ru} должна быть целым числом от {TRAIN_SIDE} (вход классификатора) до {MAX_SIDE}.",
            )
    if isinstance(classes, bool) or not isinstance(classes, int) or not 2 <= classes <= MAX_CLASSES:
        raise InputError(en=f"The number of classes must be from 2 to {MAX_CLASSES}.",
                         ru=f"Число классов должно быть от 2 до {MAX_CLASSES}.")
    classifier = build_classifier(classes, seed)
    fcn = convolutionalize(classifier)
    generator = torch.Generator().manual_seed(seed + 1)
    photo = torch.rand(1, 3, height, width, generator=generator)  # a stand-in photo in [0, 1]
    window = photo[:, :, :TRAIN_SIDE, :TRAIN_SIDE]

    fc_small, fc_large = trace(classifier, window), trace(classifier, photo)
    fcn_small, fcn_large = trace(fcn, window), trace(fcn, photo)
    scores = fcn_large["output"]  # (1, classes, map_h, map_w)
    map_h, map_w = scores.shape[2], scores.shape[3]

    # Cell (i, j) of the score map against the classifier run on the window at (4i, 4j).
    with torch.no_grad():
        windows = photo.unfold(2, TRAIN_SIDE, STRIDE).unfold(3, TRAIN_SIDE, STRIDE)  # (1, 3, map_h, map_w, 32, 32)
        windows = windows.permute(0, 2, 3, 1, 4, 5).reshape(-1, 3, TRAIN_SIDE, TRAIN_SIDE)  # (map_h·map_w, 3, 32, 32)
        by_window = classifier(windows).T.reshape(1, classes, map_h, map_w)
        upsampled = F.interpolate(scores, size=(height, width), mode="bilinear", align_corners=False)
    same_at_train = float((fc_small["output"] - fcn_small["output"].flatten(1)).abs().max())
    sliding = float((by_window - scores).abs().max())
    params = sum(p.numel() for p in classifier.parameters())
    params_fcn = sum(p.numel() for p in fcn.parameters())
    for result in (fc_small, fc_large, fcn_small, fcn_large):
        result.pop("output")
    return {
        "height": height, "width": width, "classes": classes,
        "classifier": {"small": fc_small, "large": fc_large},
        "fcn": {"small": fcn_small, "large": fcn_large},
        "score_map": [classes, map_h, map_w],
        "windows": map_h * map_w,
        "upsampled": list(upsampled.shape[1:]),
        "same_at_train": same_at_train,
        "sliding_max_difference": sliding,
        "params": params, "params_fcn": params_fcn,
        "stride": STRIDE, "train_side": TRAIN_SIDE, "feature_side": FEATURE_SIDE,
    }


def vgg_score_map(height: int, width: int, pools: int = 5, fc_side: int = 7) -> list[int]:
    """FCN-32s arithmetic on VGG-16 without its input padding: (⌊H/2^pools⌋ − fc_side + 1) per side.

    VGG's 3×3 convolutions keep the size (padding 1); each 2×2 pool halves it, rounding down;
    fc6 becomes a fc_side×fc_side convolution and fc7, fc8 become 1×1 ones.
    """
    sides = []
    for side in (height, width):
        for _ in range(pools):
            side //= 2
        sides.append(side - fc_side + 1)
    return sides
