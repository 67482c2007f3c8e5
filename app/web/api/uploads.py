"""The one reader of request bodies: a multipart `image` file, JSON naming a sample photo, and every JSON body.

Every route that takes a photo reads it here, so the same mistake gets the same status and message everywhere.
Bodies are decoded in the app's upload queue (app.state.decoder: one at a time, 503 + Retry-After when full)
when they are large: a photo always, a JSON body over INLINE_JSON_BYTES. So a few hostile bodies at once never
hold the event loop (which every other request needs) and their decoded sizes never add up; a small body is
parsed on the spot, without a queue to wait in.
"""

import json
from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from app.compute import samples
from app.compute.errors import InputError
from app.compute.images import decode_upload
from app.settings import Settings
from app.web.i18n import pick_language
from app.web.service import Busy

SAMPLE_SIDE = 800  # px; sample photos are served and given to the models at this size
MAX_FORM_FIELDS = 8
# JSON bodies up to this size are parsed where they arrive (under a millisecond); larger ones in the upload queue.
INLINE_JSON_BYTES = 64 * 1024


def content_type(request: Request) -> str:
    """The media type of the body, lower case, without parameters."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def is_json(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


async def read_form_file(request: Request, field: str = "image") -> tuple[bytes, dict[str, str]]:
    """(the file's bytes, the form's other text fields) from a multipart form; the upload is not kept."""
    try:
        form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    except Exception as exc:  # starlette raises MultiPartException / HTTPException for broken forms
        raise InputError(
            en=f"The multipart form could not be read: {exc}",
            ru=f"Не удалось прочитать multipart-форму: {exc}",
            status=400,
        ) from None
    try:
        upload = form.get(field)
        if not isinstance(upload, UploadFile):
            raise InputError(en=f"The form needs a file in the '{field}' field.",
                             ru=f"В форме нужен файл в поле «{field}».")
        data = await upload.read()
        options = {k: v for k, v in form.items() if k != field and isinstance(v, str)}
    finally:
        await form.close()  # uploads are never kept after the response
    return data, options


async def parse_json(request: Request, body: bytes) -> Any:
    """json.loads(body): here when the body is small, else in the upload queue (see the module's docstring).
    Raises what json.loads raises."""
    if len(body) <= INLINE_JSON_BYTES:
        return json.loads(body)
    return await run_in_threadpool(request.app.state.decoder.run, lambda _device: json.loads(body))


class JsonInQueueRequest(Request):
    """A Request whose json() is parse_json: what FastAPI calls to read a route's JSON body parameters."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            try:
                self._json = await parse_json(self, await self.body())
            except Busy as busy:  # FastAPI turns any other exception from here into a 400
                message = busy.message(pick_language(self.headers.get("accept-language")))
                raise HTTPException(503, message, headers={"retry-after": str(busy.retry_after)}) from None
        return self._json


class BodyRoute(APIRoute):
    """The API's route class: FastAPI reads JSON body parameters through JsonInQueueRequest."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request: Request):
            return await handler(JsonInQueueRequest(request.scope, request.receive))

        return handle


async def read_json_object(request: Request) -> Any:
    """The parsed JSON body; 400 when it is empty or not JSON."""
    body = await request.body()
    if not body:
        raise InputError(en="The request body is empty.", ru="Тело запроса пустое.", status=400)
    try:
        return await parse_json(request, body)
    except (ValueError, RecursionError):
        raise InputError(en="The request body is not valid JSON.", ru="Тело запроса — не корректный JSON.",
                         status=400) from None


async def decode_in_queue(request: Request, settings: Settings, data: bytes, min_side: int | None,
                          then: Callable[[Any], Any] | None = None):
    """decode_upload run by the app's bounded upload queue (one at a time; 503 + Retry-After when full), so
    uploads at once cannot add up their decoding memory. `then(image)`, when given, runs there too, on the
    decoded image, and its result is returned instead: the work that scales with the upload's size stays in
    the queue, and what leaves it is as small as the model's input."""
    def work(_device: str):
        image = decode_upload(data, max_bytes=settings.max_body_bytes, max_pixels=settings.max_image_pixels,
                              min_side=min_side)
        return image if then is None else then(image)

    return await run_in_threadpool(request.app.state.decoder.run, work)


async def read_image(request: Request, settings: Settings, min_side: int | None = None) -> tuple[object, Any, dict]:
    """(PIL image, cache key or None, options) from a multipart `image` upload or JSON {"sample": name}.

    min_side: the shorter side the model needs at most; larger uploads are decoded (JPEG) or reduced to about that.
    Only sample photos get a cache key: uploads are never kept.
    """
    kind = content_type(request)
    if kind == "multipart/form-data":
        data, options = await read_form_file(request)
        return await decode_in_queue(request, settings, data, min_side), None, options
    if is_json(kind):
        body = await read_json_object(request)
        if not isinstance(body, dict) or not isinstance(body.get("sample"), str):
            raise InputError(en='Send {"sample": "<name>"} with one of: ' + ", ".join(samples.SAMPLES) + ".",
                             ru='Отправьте {"sample": "<имя>"}, где имя одно из: ' + ", ".join(samples.SAMPLES) + ".")
        image = samples.load_sample(body["sample"], SAMPLE_SIDE)
        options = {k: v for k, v in body.items() if k != "sample"}
        return image, ("sample", body["sample"]), options
    raise InputError(en="Send a multipart form with an “image” file, or JSON {\"sample\": …}.",
                     ru="Отправьте multipart-форму с файлом «image» или JSON {\"sample\": …}.", status=415)
