"""/api/models: every model (LeNet-5 included), whether its weights are installed, and predictions on a photo."""

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from app.compute.nets import inference, registry
from app.compute.errors import InputError
from app.compute.images import exif_orientation, open_upload
from app.compute.nets import device_batch
from app.web.api import lenet
from app.web.api.deps import ModelsDep, SettingsDep
from app.web.api.uploads import (BodyRoute, SAMPLE_SIDE, content_type, decode_in_queue, read_form_file,
                                 read_image)
from app.web.service import MicroBatcher, ModelService

router = APIRouter(prefix="/api/models", tags=["models"], route_class=BodyRoute)


@router.get("", name="list_models")
def list_models(settings: SettingsDep) -> list[dict]:
    """Every model: task, whether its weights are present, how many labels, what input it takes."""
    rows = registry.weights_status(settings.weights_dir)
    keys = ("name", "title", "task", "weights", "labels", "input", "default", "size_bytes", "sha256", "fetch")
    return [{k: row[k] for k in keys} for row in rows]


def require_weights(name: str, weights_dir) -> registry.ModelSpec:
    """The model's spec; 404 for an unknown name, 503 naming the fetch command when its weights are missing."""
    spec = registry.get_spec(name)
    if not registry.weights_path(spec, weights_dir).is_file():
        raise registry.WeightsMissing(name, registry.weights_path(spec, weights_dir))
    return spec


def _threshold(options: dict) -> float:
    raw = options.get("score_threshold", 0.5)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = -1.0
    if isinstance(raw, bool) or not 0.0 <= value <= 1.0:
        raise InputError(en="score_threshold must be a number from 0 to 1.",
                         ru="score_threshold должен быть числом от 0 до 1.")
    return value


# A device batch takes every request waiting when the device is free, up to MAX_BATCH: no timer, so one client
# waits for nothing and many clients fill batches while the previous one runs. Waiting requests hold only their
# encoded upload; more than DEVICE_WAITING of them get 503.
MAX_BATCH = 64
DEVICE_WAITING = 4 * MAX_BATCH


def batches_on_device(service: ModelService) -> bool:
    """Classification batches across requests where a batch of 64 costs little more than one image: on a GPU."""
    return service.device == "cuda"


def classifier_batcher(request: Request, name: str, weights_dir, service: ModelService) -> MicroBatcher:
    """One batcher per classification model, created on first use (GPU only): JPEG uploads decoded on the
    device and every item of a batch classified in one pass (app.compute.nets.device_batch)."""
    batchers = request.app.state.batchers
    if name not in batchers:
        def run_batch(items):
            return device_batch.classify_mixed(name, items, weights_dir, service.device)

        batchers[name] = MicroBatcher(run_batch, max_batch=MAX_BATCH, max_wait=0.0)
    return batchers[name]


async def read_device_image(request: Request, settings, min_side: int | None) -> tuple[object, Any, dict]:
    """As read_image, but an RGB or grey JPEG upload stays encoded (device_batch.EncodedJpeg) for the device to
    decode, once the header has passed every check decode_upload makes; other uploads decode on the CPU."""
    if content_type(request) != "multipart/form-data":
        return await read_image(request, settings, min_side=min_side)
    data, options = await read_form_file(request)
    image, fmt = open_upload(data, max_bytes=settings.max_body_bytes, max_pixels=settings.max_image_pixels,
                             min_side=min_side)  # header only: a fraction of a millisecond
    if fmt == "JPEG" and image.mode in ("RGB", "L"):
        return device_batch.EncodedJpeg(data, exif_orientation(image), image.size), None, options
    return await decode_in_queue(request, settings, data, min_side), None, options


@router.post("/lenet5/predict", name="predict_digit", description=lenet.PREDICT_DESCRIPTION,
             openapi_extra=lenet.OPENAPI_BODY)
async def predict_digit(request: Request, settings: SettingsDep, service: ModelsDep) -> dict:
    """Read one digit with the course's LeNet-5."""
    return await lenet.predict_digit(request, settings, service)


@router.post("/{name}/predict", name="predict_with_model")
async def predict_with_model(request: Request, name: Annotated[str, Path(max_length=64)], settings: SettingsDep,
                             service: ModelsDep) -> dict:
    """Multipart `image` (PNG, JPEG, WebP, GIF, BMP) or JSON {"sample": "chelsea"}; the result depends on the task."""
    if name == "lenet5":  # also takes drawn pixels; the same answer whichever route matches first
        return await lenet.predict_digit(request, settings, service)
    weights_dir = settings.weights_dir
    spec = require_weights(name, weights_dir)  # fail fast, before reading an upload
    # A classifier looks at a 224-px crop of the photo resized to resize_size: decoding more is wasted.
    resize = getattr(spec.transforms(), "resize_size", None) if spec.task == "classification" else None
    min_side = max(resize) if resize else SAMPLE_SIDE
    if spec.task == "classification" and batches_on_device(service) and device_batch.preset_of(spec.transforms()):
        image, sample_key, options = await read_device_image(request, settings, min_side)
        _threshold(options)  # checked as on every route, though a classifier has no use for it
        batcher = classifier_batcher(request, name, weights_dir, service)
        result = await service.run_batched_async(batcher, image, DEVICE_WAITING)
        return {"model": name, "task": spec.task, **result}
    image, sample_key, options = await read_image(request, settings, min_side=min_side)
    threshold = _threshold(options)
    key = (name, sample_key, threshold) if sample_key else (name, hashlib.sha256(image.tobytes()).hexdigest(), threshold)

    def work(device: str) -> dict:
        return inference.predict(name, image, weights_dir, device, score_threshold=threshold)

    return await run_in_threadpool(service.run, work, key, sample_key is not None)
