"""LeNet-5 behind POST /api/models/lenet5/predict: a digit as an upload or as drawn pixels, answered at once.

The route itself is in app.web.api.models, with every other model's.
"""

from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from app.compute.nets import digits, lenet, registry
from app.compute.arrays import to_array
from app.compute.errors import InputError
from app.settings import Settings
from app.web.api.uploads import content_type, decode_in_queue, is_json, read_form_file, read_json_object
from app.web.service import ModelService

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


def _pixels_from_json(payload: Any) -> Any:
    if not isinstance(payload, dict) or "pixels" not in payload:
        raise InputError(
            en="The JSON body must be an object with a 'pixels' field: 28×28 or 32×32 numbers in [0, 1].",
            ru="Тело JSON должно быть объектом с полем «pixels»: 28×28 или 32×32 чисел от 0 до 1.",
        )
    return to_array(payload["pixels"], "pixels", (2,), MAX_JSON_PIXELS)


def _predict_pixels(pixels, device: str) -> dict:
    # Through the registry, so /healthz lists LeNet-5 among the loaded models.
    return lenet.predict(pixels, model=registry.load_model("lenet5", registry.LENET_WEIGHTS.parent, device))


def _digit_input(image) -> Any:
    """A decoded photo of a digit -> LeNet-5's 32×32 input (MNIST's preprocessing on a copy at most 1024 px)."""
    return lenet.preprocess_digit(digits.shrink_for_digit(image))["padded"]


async def predict_digit(request: Request, settings: Settings, service: ModelService) -> dict:
    """Read one digit with the course's LeNet-5."""
    kind = content_type(request)
    if kind == "multipart/form-data":
        data, _ = await read_form_file(request)
        # Decoded (reduced towards the size the preprocessing works at) and preprocessed in the upload queue:
        # what scales with the upload stays there, and 32×32 numbers come out.
        pixels = await decode_in_queue(request, settings, data, digits.MAX_DIGIT_SIDE, then=_digit_input)

        def work(device: str) -> dict:
            return _predict_pixels(pixels, device)
    elif is_json(kind):
        payload = await read_json_object(request)

        def work(device: str) -> dict:
            return _predict_pixels(_pixels_from_json(payload), device)
    else:
        raise _unsupported(kind)
    # LeNet-5 is 416,520 multiply-adds (architectures.architecture_table("lenet5")), under SMALL_WORK: it runs
    # here, on the CPU with one torch thread, never in the model queue behind big convolutions and photo models.
    result = await run_in_threadpool(service.run_small, work)
    return {"prediction": result["prediction"], "probabilities": result["probabilities"], "layers": result["layers"]}
