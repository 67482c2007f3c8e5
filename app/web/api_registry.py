"""JSON API over the pretrained-model registry: what is installed, and predictions on a photo."""

import hashlib
import json
from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.concurrency import run_in_threadpool

from app.compute import inference, registry, samples
from app.compute.errors import InputError
from app.compute.images import decode_upload
from app.web.api import SAMPLE_SIDE
from app.web.service import MicroBatcher, ModelService

router = APIRouter(prefix="/api/models", tags=["models"])



def get_service(request: Request) -> ModelService:
    return request.app.state.models


@router.get("", name="list_models")
def list_models(request: Request) -> list[dict]:
    """Every model: task, whether its weights are present, how many labels, what input it takes."""
    rows = registry.weights_status(request.app.state.settings.weights_dir)
    keys = ("name", "title", "task", "weights", "labels", "input", "default", "size_bytes", "sha256", "fetch")
    return [{k: row[k] for k in keys} for row in rows]


async def read_image(request: Request, min_side: int | None = None) -> tuple[object, str, dict]:
    """(PIL image, cache key, options) from a multipart `image` upload or JSON {"sample": name}.

    min_side: the shorter side the model needs at most; larger JPEG uploads may decode at a reduced scale.
    """
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=8)
        try:
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise InputError(en="Send the photo in the multipart field “image”.",
                                 ru="Отправьте фотографию в поле «image» (multipart).", status=400)
            data = await upload.read()
            options = {k: v for k, v in form.items() if k != "image" and isinstance(v, str)}
        finally:
            await form.close()  # uploads are never kept after the response
        image = await run_in_threadpool(
            decode_upload, data, max_bytes=settings.max_body_bytes, max_pixels=settings.max_image_pixels,
            min_side=min_side)
        return image, None, options
    if content_type.startswith("application/json"):
        try:
            body = json.loads(await request.body())
        except ValueError:
            raise InputError(en="The request body is not valid JSON.", ru="Тело запроса — не корректный JSON.",
                             status=400) from None
        if not isinstance(body, dict) or not isinstance(body.get("sample"), str):
            raise InputError(en='Send {"sample": "<name>"} with one of: ' + ", ".join(samples.SAMPLES) + ".",
                             ru='Отправьте {"sample": "<имя>"}, где имя одно из: ' + ", ".join(samples.SAMPLES) + ".")
        image = samples.load_sample(body["sample"], SAMPLE_SIDE)
        options = {k: v for k, v in body.items() if k != "sample"}
        return image, ("sample", body["sample"]), options
    raise InputError(en="Send a multipart form with an “image” file, or JSON {\"sample\": …}.",
                     ru="Отправьте multipart-форму с файлом «image» или JSON {\"sample\": …}.", status=415)


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


def classifier_batcher(request: Request, name: str) -> MicroBatcher:
    """One batcher per classification model, created on first use (GPU only)."""
    batchers = request.app.state.batchers
    if name not in batchers:
        weights_dir = request.app.state.settings.weights_dir
        service = request.app.state.models

        def run_batch(images):
            return inference.classify_batch(name, images, weights_dir, service.device)

        batchers[name] = MicroBatcher(run_batch, max_batch=16, max_wait=0.010)
    return batchers[name]


@router.post("/{name}/predict", name="predict_with_model")
async def predict_with_model(request: Request, name: Annotated[str, Path(max_length=64)]) -> dict:
    """Multipart `image` (PNG, JPEG, WebP, GIF, BMP) or JSON {"sample": "chelsea"}; the result depends on the task."""
    spec = registry.get_spec(name)
    weights_dir = request.app.state.settings.weights_dir
    # Fail fast, before reading an upload, when the weights are not installed.
    if not registry.weights_path(spec, weights_dir).is_file():
        raise registry.WeightsMissing(name, registry.weights_path(spec, weights_dir))
    # A classifier looks at a 224-px crop of the photo resized to resize_size: decoding more is wasted.
    resize = getattr(spec.transforms(), "resize_size", None) if spec.task == "classification" and spec.weights else None
    image, sample_key, options = await read_image(request, min_side=max(resize) if resize else None)
    threshold = _threshold(options)
    service: ModelService = request.app.state.models
    key = (name, sample_key, threshold) if sample_key else (name, hashlib.sha256(image.tobytes()).hexdigest(), threshold)
    if spec.task == "classification" and service.device == "cuda":
        batcher = classifier_batcher(request, name)
        result = await run_in_threadpool(service.run_batched, batcher, image, key, sample_key is not None)
        return {"model": name, "task": spec.task, **result}

    def work(device: str) -> dict:
        return inference.predict(name, image, weights_dir, device, score_threshold=threshold)

    return await run_in_threadpool(service.run, work, key, sample_key is not None)
