"""/api/models: every model (LeNet-5 included), whether its weights are installed, and predictions on a photo."""

import hashlib
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from app.compute import inference, registry
from app.compute.errors import InputError
from app.web.api import lenet
from app.web.api.deps import ModelsDep, SettingsDep
from app.web.api.uploads import SAMPLE_SIDE, read_image
from app.web.service import MicroBatcher, ModelService

router = APIRouter(prefix="/api/models", tags=["models"])


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


def classifier_batcher(request: Request, name: str, weights_dir, service: ModelService) -> MicroBatcher:
    """One batcher per classification model, created on first use (GPU only)."""
    batchers = request.app.state.batchers
    if name not in batchers:
        def run_batch(images):
            return inference.classify_batch(name, images, weights_dir, service.device)

        batchers[name] = MicroBatcher(run_batch, max_batch=16, max_wait=0.010)
    return batchers[name]


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
    image, sample_key, options = await read_image(request, settings, min_side=max(resize) if resize else SAMPLE_SIDE)
    threshold = _threshold(options)
    key = (name, sample_key, threshold) if sample_key else (name, hashlib.sha256(image.tobytes()).hexdigest(), threshold)
    if spec.task == "classification" and service.device == "cuda":
        batcher = classifier_batcher(request, name, weights_dir, service)
        result = await run_in_threadpool(service.run_batched, batcher, image, key, sample_key is not None)
        return {"model": name, "task": spec.task, **result}

    def work(device: str) -> dict:
        return inference.predict(name, image, weights_dir, device, score_threshold=threshold)

    return await run_in_threadpool(service.run, work, key, sample_key is not None)
