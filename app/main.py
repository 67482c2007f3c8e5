"""create_app(settings): assemble routers, middleware, static files and the lesson catalog."""

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import torch
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from app import __version__
from app.compute.device import resolve_device
from app.compute.errors import InputError
from app.lessons import load_catalog
from app.live import routes as live
from app.settings import ROOT, Settings, get_settings
from app.compute.nets import registry
from app.web import pages
from app.web.api import routers as api_routers
from app.lessons import LANGUAGES
from app.web.docs import add_docs
from app.web.openapi import stride_openapi
from app.web.i18n import pick_language, strings, translate
from app.web.render import render, templates
from app.web.security import HEADERS, BodyLimit, SecurityHeaders
from app.web.service import Busy, ModelService
from app.web.warm import warm_up
from app.web.widgets import EXERCISES, WIDGETS

log = logging.getLogger("stride")


def _language(request: Request) -> str:
    first = request.url.path.split("/")[1:2]
    if first and first[0] in LANGUAGES:
        return first[0]
    asked = request.query_params.get("lang")
    return asked if asked in LANGUAGES else pick_language(request.headers.get("accept-language"))


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def _reason(err: dict) -> str:
    where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
    if err.get("type") == "json_invalid":
        return f"The request body is not valid JSON (at character {where}: {err.get('ctx', {}).get('error', '')})."
    return f"{where or 'body'}: {err.get('msg')}"


@asynccontextmanager
async def _start(app: FastAPI):
    warm_up()  # before the first request: see app.web.warm
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="Stride", version=__version__, summary="An interactive course on convolutional neural networks.",
                  docs_url=None, redoc_url=None,  # /docs is served from the app's own files: see app.web.docs
                  lifespan=_start)
    app.state.settings = settings
    if settings.torch_threads > 0:
        torch.set_num_threads(settings.torch_threads)
    app.state.device = resolve_device(settings.device)
    app.state.catalog = load_catalog(settings.lessons_dir, WIDGETS, EXERCISES)
    # Read what every page needs once, now: a class opening a lesson at the same moment would otherwise
    # parse the interface strings and compile the templates fifty times over (python -m bench.heavy_lessons).
    strings()
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)
    app.state.models = ModelService(app.state.device, max_waiting=settings.queue_size)
    # Uploaded photos are decoded one at a time in a queue of their own, so their memory never adds up and a
    # queue of hostile uploads delays other uploads, not every model call.
    app.state.decoder = ModelService("cpu", max_waiting=settings.queue_size)
    app.state.batchers = {}
    app.dependency_overrides[get_settings] = lambda: settings

    app.add_middleware(GZipMiddleware, minimum_size=500)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, read_timeout=settings.body_timeout)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    add_docs(app)
    app.openapi = lambda: stride_openapi(app)
    for router in api_routers:
        app.include_router(router)
    app.include_router(live.router)
    app.include_router(pages.router)

    @app.get("/healthz", tags=["health"])
    def read_health():
        return {"status": "ok", "device": app.state.device, "version": __version__,
                "lessons": len(app.state.catalog.ordered("en")),
                # the weights file's name and hash, never where it lives on the server
                "models": [{**m, "file": Path(m["file"]).name} for m in registry.loaded_models()],
                "weights": registry.weights_summary(app.state.settings.weights_dir),
                "queue": app.state.models.status(), "decoder": app.state.decoder.status()}

    @app.exception_handler(InputError)
    def handle_input_error(request: Request, exc: InputError):
        lang = _language(request)
        if _wants_json(request):
            return JSONResponse({"detail": exc.message(lang)}, status_code=exc.status)
        return render(request, "error.html", {"lang": lang, "message": exc.message(lang), "query": ""}, exc.status)

    @app.exception_handler(registry.WeightsMissing)
    def handle_weights_missing(request: Request, exc: registry.WeightsMissing):
        return JSONResponse({"detail": exc.message(_language(request)), "command": exc.command}, status_code=503)

    @app.exception_handler(Busy)
    def handle_busy(request: Request, exc: Busy):
        return JSONResponse({"detail": exc.message(_language(request))}, status_code=503,
                            headers={"retry-after": str(exc.retry_after)})

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(request: Request, exc: RequestValidationError):
        reasons = "; ".join(_reason(err) for err in exc.errors())
        return JSONResponse({"detail": reasons or "Invalid request."}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    def handle_http_error(request: Request, exc: StarletteHTTPException):
        if _wants_json(request) or exc.status_code != 404:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        lang = _language(request)
        message = translate(lang, "not_found")
        return render(request, "error.html", {"lang": lang, "message": message, "query": "",
                                              "lessons": app.state.catalog.ordered(lang)}, 404)

    @app.exception_handler(Exception)
    def handle_server_error(request: Request, exc: Exception):
        # Starlette answers these outside every middleware, so the security headers are added here.
        log.error("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        headers = {name.decode(): value.decode() for name, value in HEADERS}
        return JSONResponse({"detail": translate(_language(request), "server_error")}, status_code=500,
                            headers=headers)

    log.info("Stride %s: %d lessons, computing on %s", __version__, len(app.state.catalog.ordered("en")), app.state.device)
    return app
