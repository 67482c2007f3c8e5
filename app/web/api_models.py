"""JSON API for LeNet-5: a digit as an upload or as pixels, through the device's bounded queue."""

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.compute import digits, lenet, registry
from app.compute.arrays import to_array
from app.compute.errors import InputError
from app.compute.images import decode_upload

router = APIRouter(prefix="/api/models", tags=["models"])

MAX_FORM_FIELDS = 8
# Wrong shapes up to this many numbers get a 422 that names the shape; more is a 413.
MAX_JSON_PIXELS = 128 * 128

PREDICT_DESCRIPTION = """\
Send **either** a multipart form with an `image` file (a photo or scan of one handwritten digit: PNG,
JPEG, WebP, GIF or BMP; dark ink on light paper or light on dark, either works) **or** a JSON body
`{"pixels": [[...], ...]}` with 28×28 or 32×32 numbers in [0, 1], a light digit on a dark background
as in MNIST (28×28 is padded by 2 to 32×32).

An image goes through MNIST's preprocessing (grey levels, light on dark, crop to the ink, longer side
20 px, centred by centre of mass in 28×28, padded to 32×32); pixels go to the network as they are.

Returns `prediction` (0–9), `probabilities` (ten numbers that sum to 1) and `layers` (name and output
shape of every layer, input first). Bad input gets a 4xx with `detail` saying why: 400 empty or
damaged file, 413 too large, 415 not an image or an unsupported content type, 422 wrong shape or values.
"""

# Documents both request bodies in /docs; the route reads the body itself, so either may be sent.
OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["image"],
                           "properties": {"image": {"type": "string", "format": "binary"}}},
            },
            "application/json": {
                "schema": {"type": "object", "required": ["pixels"],
                           "properties": {"pixels": {"type": "array", "items": {"type": "array", "items": {"type": "number"}},
                                                     "description": "28×28 or 32×32 numbers in [0, 1], light digit on dark"}}},
                "example": {"pixels": [[0.0] * 28] * 28},
            },
        },
    },
}


def _unsupported(content_type: str) -> InputError:
    shown = content_type or "none"
    return InputError(
        en=f"Send multipart/form-data with an 'image' file, or application/json with 'pixels' (got content type {shown}).",
        ru=f"Отправьте multipart/form-data с файлом «image» или application/json с полем «pixels» "
        f"(пришёл тип содержимого {shown}).",
        status=415,
    )


def _pixels_from_json(body: bytes) -> Any:
    if not body:
        raise InputError(en="The request body is empty.", ru="Тело запроса пустое.", status=400)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise InputError(en="The request body is not valid JSON.", ru="Тело запроса — не корректный JSON.",
                         status=400) from None
    if not isinstance(payload, dict) or "pixels" not in payload:
        raise InputError(
            en="The JSON body must be an object with a 'pixels' field: 28×28 or 32×32 numbers in [0, 1].",
            ru="Тело JSON должно быть объектом с полем «pixels»: 28×28 или 32×32 чисел от 0 до 1.",
        )
    return to_array(payload["pixels"], "pixels", (2,), MAX_JSON_PIXELS)


def _predict_pixels(pixels, device: str) -> dict:
    # Through the registry, so /healthz lists LeNet-5 among the loaded models.
    return lenet.predict(pixels, model=registry.load_model("lenet5", registry.LENET_WEIGHTS.parent, device))


def _predict_image(data: bytes, max_bytes: int, max_pixels: int, device: str) -> dict:
    image = digits.shrink_for_digit(decode_upload(data, max_bytes=max_bytes, max_pixels=max_pixels))
    steps = lenet.preprocess_digit(image)
    return _predict_pixels(steps["padded"], device)


@router.post("/lenet5/predict", name="predict_digit", description=PREDICT_DESCRIPTION, openapi_extra=OPENAPI_BODY)
async def predict_digit(request: Request) -> dict:
    """Read one digit with the course's LeNet-5."""
    settings = request.app.state.settings
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        try:
            form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
        except Exception as exc:  # starlette raises MultiPartException / HTTPException for broken forms
            raise InputError(
                en=f"The multipart form could not be read: {exc}",
                ru=f"Не удалось прочитать multipart-форму: {exc}",
                status=400,
            ) from None
        try:
            upload = form.get("image")
            if not isinstance(upload, UploadFile):
                raise InputError(en="The form needs a file in the 'image' field.", ru="В форме нужен файл в поле «image».")
            data = await upload.read()
        finally:
            await form.close()  # uploads are never kept after the response

        def work(device: str) -> dict:
            return _predict_image(data, settings.max_body_bytes, settings.max_image_pixels, device)

        key = ("lenet5", "image", hashlib.sha256(data).hexdigest())
    elif content_type == "application/json" or content_type.endswith("+json"):
        pixels = _pixels_from_json(await request.body())

        def work(device: str) -> dict:
            return _predict_pixels(pixels, device)

        key = ("lenet5", "pixels", hashlib.sha256(pixels.tobytes()).hexdigest(), pixels.shape)
    else:
        raise _unsupported(content_type)
    # One bounded queue per device (503 with Retry-After when full); identical requests share one run.
    result = await run_in_threadpool(request.app.state.models.run, work, key)
    return {"prediction": result["prediction"], "probabilities": result["probabilities"], "layers": result["layers"]}
