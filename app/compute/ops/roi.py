"""RoI pooling and anchors, the two pieces Faster R-CNN adds on top of a conv feature map.

RoI pooling cuts any region of the map into a fixed grid of bins and keeps each bin's maximum, so regions of every
size give the same number of values (torchvision.ops.roi_pool; the bins are computed here the way its kernel
does, to draw them). Anchors are the reference boxes a region proposal network scores at every map position:
`sizes` × `ratios` boxes centred on the position (torchvision's AnchorGenerator)."""

import math
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.detection.anchor_utils import AnchorGenerator

from app.compute.arrays import to_int
from app.compute.errors import InputError
from app.compute.ops.kernels import PRESETS, kernel_array
from app.compute.ops.nms import check_boxes
from app.compute.samples import load_sample_gray

STRIDE = 16  # VGG-16's conv5 and Faster R-CNN's backbone: one map cell per 16×16 pixels
FASTER_RCNN_SIZES = (128, 256, 512)  # Ren et al. 2015, §3.1.1: 3 scales × 3 aspect ratios, k = 9
FASTER_RCNN_RATIOS = (0.5, 1.0, 2.0)  # height / width, as torchvision writes them
MAX_GRID = 7
MAP_MODEL = "efficientnet_lite0"
MAP_STAGE = 5  # EfficientNet-Lite0's stage 5: 112 channels at stride 16 (stem 2 × stages 2, 3, 4 each 2)


def efficientnet_map(sample: str, weights_dir, device: str = "cpu") -> np.ndarray:
    """A real conv feature map: EfficientNet-Lite0 (ImageNet weights) run on the whole sample photo, the output of
    its stage 5 (the last blocks at stride 16). (112, H / 16, W / 16) float32; the network is fully convolutional,
    so a 512×512 photo gives a 32×32 map, one cell per 16×16 pixels as in Faster R-CNN's backbone.
    Raises registry.WeightsMissing without the weights."""
    from app.compute.nets import efficientnet
    from app.compute.nets.registry import load_model
    from app.compute.samples import load_sample

    network = load_model(MAP_MODEL, weights_dir, device)
    photo = torch.from_numpy(np.asarray(load_sample(sample), dtype=np.float32)).permute(2, 0, 1)  # (3, H, W)
    x = ((photo - efficientnet.PIXEL_MEAN) / efficientnet.PIXEL_SCALE)[None].to(device)  # as the weights expect
    with torch.inference_mode():
        x = network._relu0(network._bn0(network._conv_stem(x)))
        for block, stage in zip(network._blocks, efficientnet.stage_of_block()):
            if stage > MAP_STAGE:
                break
            x = block(x)
    return x[0].float().cpu().numpy()  # (112, H / 16, W / 16)


def edge_map(sample: str, side: int = 512, stride: int = STRIDE) -> np.ndarray:
    """A real feature map of a sample photo: the strength of its edges (Sobel, both directions), averaged over
    stride × stride cells, so one value stands for 16×16 pixels as in a conv5 map. (H / stride, W / stride)."""
    gray = torch.from_numpy(load_sample_gray(sample, side))[None, None]  # (1, 1, H, W)
    kx = torch.from_numpy(kernel_array(PRESETS["sobel_x"].weights))[None, None]
    gx = F.conv2d(gray, kx, padding=1)
    gy = F.conv2d(gray, kx.transpose(2, 3), padding=1)
    strength = torch.sqrt(gx ** 2 + gy ** 2)  # (1, 1, H, W)
    return F.avg_pool2d(strength, stride)[0, 0].numpy()  # (H / stride, W / stride)


def roi_bins(box: list[float], output: int, scale: float, height: int, width: int) -> dict:
    """The region in map cells and each bin's rows and columns, as torchvision's roi_pool kernel computes them."""
    x1, y1, x2, y2 = (round(v * scale) for v in box)
    roi_w, roi_h = max(x2 - x1 + 1, 1), max(y2 - y1 + 1, 1)
    bin_w, bin_h = roi_w / output, roi_h / output

    def span(start, size, k, limit):
        lo = min(max(math.floor(k * size) + start, 0), limit)
        hi = min(max(math.ceil((k + 1) * size) + start, 0), limit)
        return lo, hi

    rows = [span(y1, bin_h, k, height) for k in range(output)]
    cols = [span(x1, bin_w, k, width) for k in range(output)]
    return {"cells": [x1, y1, x2, y2], "rows": rows, "cols": cols}


def roi_pool(feature: np.ndarray, box: Any, output: Any, scale: float = 1 / STRIDE) -> dict:
    """{"pooled": output × output maxima (torchvision.ops.roi_pool), "bins", "argmax": [row, col] of each bin's max}."""
    output = to_int(output, "output", 1, MAX_GRID)
    feature = np.asarray(feature, np.float64)
    height, width = feature.shape
    (x1, y1, x2, y2), = check_boxes([box], "roi", 1)
    if x2 * scale > width or y2 * scale > height:
        raise InputError(en=f"The region must lie inside the {width / scale:g}×{height / scale:g} photo.",
                         ru=f"Регион должен лежать внутри фотографии {width / scale:g}×{height / scale:g}.")
    rois = torch.tensor([[0.0, x1, y1, x2, y2]], dtype=torch.float64)
    pooled = torchvision.ops.roi_pool(torch.from_numpy(np.asarray(feature, np.float64))[None, None], rois, output, scale)[0, 0].numpy()
    bins = roi_bins([x1, y1, x2, y2], output, scale, height, width)
    argmax = []
    for (r0, r1) in bins["rows"]:
        for (c0, c1) in bins["cols"]:
            if r1 <= r0 or c1 <= c0:
                argmax.append(None)
                continue
            cell = np.unravel_index(np.argmax(feature[r0:r1, c0:c1]), (r1 - r0, c1 - c0))
            argmax.append([int(r0 + cell[0]), int(c0 + cell[1])])
    return {"pooled": pooled.tolist(), "bins": bins, "argmax": argmax, "output": output}


def anchors(row: int, col: int, stride: int = STRIDE, sizes=FASTER_RCNN_SIZES, ratios=FASTER_RCNN_RATIOS) -> list[dict]:
    """The len(sizes) × len(ratios) anchors of map position (row, col), as torchvision's AnchorGenerator places
    them (centred on the cell's top-left pixel, stride × position), with their size and ratio."""
    generator = AnchorGenerator(sizes=(tuple(sizes),), aspect_ratios=(tuple(ratios),))
    base = generator.generate_anchors(list(sizes), list(ratios))  # (k, 4) centred on 0, ratio-major
    shift = torch.tensor([col * stride, row * stride, col * stride, row * stride], dtype=base.dtype)
    boxes = (base + shift).tolist()
    labels = [(size, ratio) for ratio in ratios for size in sizes]
    return [{"box": box, "size": size, "ratio": ratio, "w": box[2] - box[0], "h": box[3] - box[1]}
            for box, (size, ratio) in zip(boxes, labels)]


def anchor_count(map_width: Any, map_height: Any, per_position: int = len(FASTER_RCNN_SIZES) * len(FASTER_RCNN_RATIOS)) -> int:
    """W × H × k: one set of k anchors at every position of the map."""
    return to_int(map_width, "map_width", 1, 10_000) * to_int(map_height, "map_height", 1, 10_000) * per_position
