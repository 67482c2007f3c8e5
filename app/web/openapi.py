"""The OpenAPI document tells the truth: request schemas carry the limits the code enforces (from the same
Limits objects the code checks against), every status a route can answer is documented, and every error has the
one body {"detail": "..."} (ErrorBody) — FastAPI's default 422 schema is not what this app sends.

Rules JSON Schema cannot state (a kernel must fit the padded input, channels must match, C·H·W and the working
memory stay within their budgets, x2 ≥ x1 in a box) are said in each operation's description and answered 413
or 422 with a reason.
"""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.lessons import LANGUAGES
from app.web.api import arithmetic as arithmetic_api
from app.web.api import conv as conv_api
from app.web.api import pool as pool_api
from app.web.api.errors import ErrorBody
from app.web.api import routers as api_routers
from app.web.api.uploads import BodyRoute

ERROR = {"$ref": "#/components/schemas/ErrorBody"}
MEANING = {
    400: "The body is not valid JSON, or an upload is empty or damaged.",
    404: "No such resource (an unknown model, network, lesson, block or session).",
    408: "The request body arrived too slowly (STRIDE_BODY_TIMEOUT).",
    413: "Over a size limit: the body (STRIDE_MAX_BODY_BYTES), an image's pixels, or a computation's size, work or "
         "working memory.",
    415: "Not a content type or image format this route takes.",
    422: "The request is not valid; `detail` says which field is wrong and why.",
    503: "The server's queue for this work is full (retry after Retry-After seconds), or a model's weights are not "
         "installed (`command` says how to fetch them).",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait before trying again (when the queue is full)",
                               "schema": {"type": "integer", "minimum": 1}}}
UPLOADS = {"predict_digit", "predict_with_model", "read_feature_maps"}
QUEUED = UPLOADS | {"convolve", "pool"}


def _integer(low: int, high: int | None = None) -> dict:
    return {"type": "integer", "minimum": low, **({"maximum": high} if high is not None else {})}


def _int_or_pair(low: int, high: int) -> dict:
    one = _integer(low, high)
    return {"anyOf": [one, {"type": "array", "items": one, "minItems": 2, "maxItems": 2}],
            "description": f"n or [height, width], each from {low} to {high}"}


def _array(*sides: int, items: dict | None = None) -> dict:
    """Nested arrays, outermost first, each 1 … side long, of numbers (or `items`)."""
    schema = items or {"type": "number"}
    for side in reversed(sides):
        schema = {"type": "array", "items": schema, "minItems": 1, "maxItems": side}
    return schema


def _body_properties(schema: dict, operation: dict) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"]


def _request_limits(schema: dict, operations: dict[str, dict], slugs: list[str]) -> None:
    conv = conv_api.conv.ConvLimits()
    props = _body_properties(schema, operations["convolve"])
    side, channels = conv.max_side, conv.max_channels
    props["input"].update(anyOf=[_array(side, side), _array(channels, side, side)])
    k = conv.max_kernel_side
    props["kernel"].update(anyOf=[_array(k, k), _array(conv.max_filters, channels, k, k)])
    props["bias"].update(anyOf=[_array(conv.max_filters), {"type": "null"}])
    props["stride"].update(_int_or_pair(1, conv.max_stride))
    props["padding"].update(_int_or_pair(0, conv.max_padding))
    props["dilation"].update(_int_or_pair(1, conv.max_dilation))

    pool = pool_api.pool.PoolLimits()
    props = _body_properties(schema, operations["pool"])
    props["input"].update(anyOf=[_array(pool.max_side, pool.max_side),
                                 _array(pool.max_channels, pool.max_side, pool.max_side)])
    props["mode"].update(enum=["max", "avg"])
    props["size"].update(_int_or_pair(1, pool.max_size))
    props["stride"].update(anyOf=[_int_or_pair(1, pool.max_stride), {"type": "null"}])
    props["padding"].update(_int_or_pair(0, pool.max_size // 2))

    box = {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4,
           "description": "[x1, y1, x2, y2] with x2 ≥ x1 and y2 ≥ y1"}
    props = _body_properties(schema, operations["measure_iou"])
    props["box_a"].update(box)
    props["box_b"].update(box)

    pixels = operations["predict_digit"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["pixels"]
    square = {side: {"type": "array", "minItems": side, "maxItems": side,
                     "items": {"type": "array", "minItems": side, "maxItems": side, "items": {"type": "number"}}}
              for side in (28, 32)}
    pixels.pop("items", None)
    pixels.update(anyOf=[square[28], square[32]])

    limits = arithmetic_api.arithmetic.ArithmeticLimits()
    ranges = {"input": (1, limits.max_width), "kernel": (1, limits.max_kernel), "stride": (1, limits.max_stride),
              "padding": (0, limits.max_padding), "dilation": (1, limits.max_dilation),
              "in_channels": (1, limits.max_channels), "filters": (1, limits.max_filters)}
    for parameter in operations["compute_conv_arithmetic"].get("parameters", []):
        if parameter["name"] in ranges:
            parameter["schema"].update(_integer(*ranges[parameter["name"]]))

    for parameter in _all_parameters(operations):
        if parameter["in"] == "path" and parameter["name"] == "lang":
            parameter["schema"].update(enum=list(LANGUAGES))
        if parameter["in"] == "path" and parameter["name"] == "slug":
            parameter["schema"].update(enum=slugs)

    # An exercise's seed: what pages.is_seed accepts (the route says so in its own translated words).
    check = operations.get("check_exercise")
    if check is not None:
        form = check["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
        ref = form.get("$ref", "")
        fields = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]["properties"] if ref else form["properties"]
        fields["seed"].update(pattern="^[0-9]{1,9}$", minLength=1)


def _all_parameters(operations: dict[str, dict]):
    for operation in operations.values():
        yield from operation.get("parameters", [])


def _statuses(path: str, method: str, operation: dict, name: str, queued: set[str]) -> set[int]:
    statuses = set()
    if operation.get("parameters") or "requestBody" in operation:
        statuses.add(422)
    if "{" in path:
        statuses.add(404)
    if method in ("post", "put", "patch"):
        statuses |= {400, 408, 413}
    if name in UPLOADS:
        statuses |= {400, 413, 415, 422}
    if name in queued:
        statuses.add(503)
    return statuses


def _document_errors(schema: dict, names: dict[str, str], queued: set[str]) -> None:
    schema.setdefault("components", {}).setdefault("schemas", {})["ErrorBody"] = ErrorBody.model_json_schema()
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            name = names.get(operation.get("operationId", ""), "")
            documented = {int(s) for s in responses if s.isdigit()}
            for status in sorted(_statuses(path, method, operation, name, queued) | documented):
                if status < 400:
                    continue
                entry = responses.setdefault(str(status), {"description": MEANING.get(status, "An error.")})
                content = entry.setdefault("content", {})
                json_body = content.get("application/json", {}).get("schema", {})
                if not json_body or json_body.get("$ref", "").endswith("/HTTPValidationError"):
                    content["application/json"] = {"schema": ERROR}
                if status == 404 and "text/html" in operation["responses"].get("200", {}).get("content", {}):
                    content["text/html"] = {"schema": {"type": "string"}}
                if status == 503:
                    entry.setdefault("headers", {}).update(RETRY_AFTER)
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)


def _route_name(operation_id: str, path: str, method: str) -> str:
    """The route's name back from FastAPI's default operationId, f"{name}{path}_{method}" with \\W as _."""
    suffix = re.sub(r"\W", "_", path) + "_" + method
    return operation_id.removesuffix(suffix)


def stride_openapi(app: FastAPI) -> dict[str, Any]:
    """app.openapi for create_app: FastAPI's document with the limits and the error statuses added."""
    if app.openapi_schema is None:
        schema = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        names = {op["operationId"]: _route_name(op["operationId"], path, method)
                 for path, methods in schema["paths"].items() for method, op in methods.items() if "operationId" in op}
        operations = {names[op["operationId"]]: op for methods in schema["paths"].values() for op in methods.values()
                      if "operationId" in op}
        slugs = [lesson.slug for lesson in app.state.catalog.ordered("en")]
        _request_limits(schema, operations, slugs)
        # A large JSON body is parsed in the upload queue (app.web.api.uploads.BodyRoute): 503 when it is full.
        parsed_in_queue = {route.name for router in api_routers for route in router.routes
                           if isinstance(route, BodyRoute) and route.body_field is not None}
        _document_errors(schema, names, QUEUED | parsed_in_queue)
        app.openapi_schema = schema
    return app.openapi_schema
