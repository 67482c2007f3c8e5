"""Live sessions over HTTP: create, follow (Server-Sent Events), drive, count answers, end; the join page."""

import asyncio
import contextlib
import io
import threading
from typing import Annotated, Literal

import anyio.from_thread
import segno
from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from redis.exceptions import RedisError
from sse_starlette import EventSourceResponse

from app.lessons import LANGUAGES, Catalog, Lesson
from app.live.broker import CODE_LENGTH, Broker, Limits, LiveError, MemoryBroker, normalize_code
from app.web.i18n import pick_language, translate
from app.web.render import render

COOKIE = "stride_live"
HEARTBEAT_SECONDS = 10  # a comment line this often keeps proxies and browsers from closing the stream
MAX_QUERY = 2000
_lock = threading.Lock()


async def _close_broker(app):
    yield
    broker = getattr(app.state, "live", None)
    if broker is not None:
        await broker.close()


router = APIRouter(tags=["live"], lifespan=_close_broker)


def get_broker(app) -> Broker:
    """The app's broker, made on first use: Redis when STRIDE_REDIS_URL is set, else this process."""
    broker = getattr(app.state, "live", None)
    if broker is None:
        with _lock:
            broker = getattr(app.state, "live", None)
            if broker is None:
                settings = app.state.settings
                limits = Limits.from_settings(settings)
                if settings.redis_url:
                    from app.live.redis_broker import RedisBroker

                    broker = RedisBroker(settings.redis_url, limits)
                else:
                    broker = MemoryBroker(limits)
                app.state.live = broker
    return broker


def _broker(request: Request) -> Broker:
    return get_broker(request.app)


BrokerDep = Annotated[Broker, Depends(_broker)]


class Problem(BaseModel):
    detail: str = Field(description="What was wrong, in the language of `?lang=` or Accept-Language.")


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9-]+$",
                        description="The lesson's slug, e.g. `convolution`.")
    lang: Literal["en", "ru"]


class LiveState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lesson: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9-]+$")
    lang: Literal["en", "ru"]
    slide: int = Field(ge=1, le=1000, strict=True, description="The slide shown, numbered from 1.")
    query: str = Field(max_length=MAX_QUERY, pattern=r"^[^#\s]*$",
                       description="The lesson URL's query string (widget state), without `?`.")


class Created(BaseModel):
    code: str = Field(min_length=CODE_LENGTH, max_length=CODE_LENGTH)
    presenter_key: str = Field(description="Bearer token for state, answers and ending; never show it to students.")
    join_url: str


class ExerciseCount(BaseModel):
    lesson: str
    id: str
    answered: int = Field(ge=0)
    correct: int = Field(ge=0)


class Answers(BaseModel):
    exercises: list[ExerciseCount]
    followers: int = Field(ge=0, description="Browsers following the session now.")


def _problems(*statuses: int) -> dict:
    """The documented error answers; 503 (with Retry-After) is always possible: Redis may be away."""
    return {status: {"model": Problem} for status in (*statuses, 503)}


def _language(request: Request) -> str:
    lang = request.query_params.get("lang")
    return lang if lang in LANGUAGES else pick_language(request.headers.get("accept-language"))


@contextlib.contextmanager
def _refusals(request: Request):
    """LiveError and an unreachable Redis become HTTP errors with a translated message."""
    try:
        yield
    except LiveError as exc:
        headers = {"retry-after": str(exc.retry_after)} if exc.retry_after else None
        raise HTTPException(exc.status, translate(_language(request), exc.key, **exc.values), headers) from None
    except RedisError:
        raise HTTPException(503, translate(_language(request), "live_store_down"), {"retry-after": "5"}) from None


def _code(request: Request, raw: str) -> str:
    code = normalize_code(raw)
    if code is None:
        raise HTTPException(404, translate(_language(request), "live_unknown", code=raw[:12]))
    return code


def _bearer(authorization: str | None) -> str:
    scheme, _, key = (authorization or "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


async def _read(request: Request, model: type[BaseModel], max_bytes: int) -> BaseModel:
    """The JSON body as `model`, read by hand so the size is checked before any parsing."""
    body = await request.body()
    lang = _language(request)
    if len(body) > max_bytes:
        raise HTTPException(413, translate(lang, "live_too_large", n=max_bytes))
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()[:5])
        raise HTTPException(422, translate(lang, "live_bad_body", reasons=reasons[:300])) from None


def _known_lesson(request: Request, lesson: str, lang: str) -> None:
    catalog: Catalog = request.app.state.catalog
    if catalog.get(lang, lesson) is None:
        raise HTTPException(422, translate(_language(request), "live_unknown_lesson", lesson=lesson[:80]))


def _join_url(request: Request, code: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url)
    return base.rstrip("/") + f"/live/{code}"


def _body_schema(model: type[BaseModel]) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.post("/api/live", status_code=201, response_model=Created, name="create_live_session",
             openapi_extra=_body_schema(NewSession), responses=_problems(409, 413, 422))
async def create_live_session(request: Request, broker: BrokerDep):
    """Start a session on a lesson's first slide. 409 when the server runs as many sessions as it may."""
    new = await _read(request, NewSession, request.app.state.settings.live_max_state_bytes)
    _known_lesson(request, new.lesson, new.lang)
    with _refusals(request):
        code, key = await broker.create(new.lesson, new.lang)
    return Created(code=code, presenter_key=key, join_url=_join_url(request, code))


@router.put("/api/live/{code}/state", status_code=204, response_class=Response, name="update_live_state",
            openapi_extra=_body_schema(LiveState), responses=_problems(403, 404, 413, 422, 429))
async def update_live_state(request: Request, code: str, broker: BrokerDep,
                            authorization: Annotated[str | None, Header()] = None):
    """What the presenter shows: followers get it at once. 429 with Retry-After when sent too often."""
    code = _code(request, code)
    key = _bearer(authorization)
    with _refusals(request):
        await broker.authorize(code, key)
    state = await _read(request, LiveState, request.app.state.settings.live_max_state_bytes)
    _known_lesson(request, state.lesson, state.lang)
    with _refusals(request):
        await broker.set_state(code, key, state.model_dump())
    return Response(status_code=204)


@router.get("/api/live/{code}/answers", response_model=Answers, name="read_live_answers",
            responses=_problems(403, 404))
async def read_live_answers(request: Request, code: str, broker: BrokerDep,
                            authorization: Annotated[str | None, Header()] = None):
    """Checked answers per exercise in this session (counts only: nothing about who) and the follower count."""
    code = _code(request, code)
    with _refusals(request):
        exercises, followers = await broker.read_answers(code, _bearer(authorization))
    return Answers(exercises=exercises, followers=followers)


@router.delete("/api/live/{code}", status_code=204, response_class=Response, name="end_live_session",
               responses=_problems(403, 404))
async def end_live_session(request: Request, code: str, broker: BrokerDep,
                           authorization: Annotated[str | None, Header()] = None):
    """End the session: followers get `event: end`, and the code stops working."""
    code = _code(request, code)
    with _refusals(request):
        await broker.end(code, _bearer(authorization))
    return Response(status_code=204)


EVENTS_DOC = {200: {"description": "`event: state` at once, then `state`, `answers` and `end` as they happen, "
                                   "with a comment line at least every 15 s.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}}},
              **_problems(404, 409, 429)}


@router.get("/api/live/{code}/events", response_class=Response, name="follow_live_session", responses=EVENTS_DOC)
async def follow_live_session(request: Request, code: str, broker: BrokerDep,
                              last_event_id: Annotated[str | None, Header()] = None,
                              resume: Annotated[str | None, Query(max_length=20, description=(
                                  "The last event id seen, for clients that can't send Last-Event-ID."))] = None):
    """The session's events (Server-Sent Events). 409 when the session has as many followers as it may."""
    code = _code(request, code)
    with _refusals(request):
        await broker.check_join(code)
    raw = (last_event_id or resume or "").strip()
    last = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 19 else None
    return EventSourceResponse(broker.follow(code, last), ping=HEARTBEAT_SECONDS, sep="\n")


@router.get("/live", response_class=RedirectResponse, status_code=303, name="find_live_session",
            responses={303: {"description": "To the join page."}})
async def find_live_session(code: Annotated[str, Query(max_length=20)] = ""):
    """The outline's code field: on to /live/{code} (a relative redirect, whatever the Host header says)."""
    cleaned = "".join(c for c in code if c.isascii() and c.isalnum())[:12] or "-"
    return RedirectResponse(f"/live/{cleaned.upper()}", status_code=303)


def slide_anchors(lesson: Lesson) -> list[str]:
    """For slide N (from 1), where the page view scrolls: "" is the top, "~end" the key points."""
    anchors = [""]
    for section in lesson.sections:
        anchors += [section.id] * max(1, len(getattr(section, "slides", None) or ()))
    return anchors + ["~end"]


@router.get("/live/{code}", response_class=HTMLResponse, name="join_live_session",
            responses={404: {"description": "No such session, or it has ended.", "content": {"text/html": {}}}})
async def join_live_session(request: Request, code: str, broker: BrokerDep):
    """The page a student opens: it follows the session and sets the `stride_live` cookie for answer counts."""
    lang = _language(request)
    found = normalize_code(code)
    with _refusals(request):
        alive = found is not None and await broker.exists(found)
    catalog: Catalog = request.app.state.catalog
    if not alive:
        message = translate(lang, "live_unknown", code=code[:12])
        return render(request, "error.html", {"lang": lang, "message": message, "query": ""}, 404)
    anchors = {lg: {lesson.slug: {"title": lesson.title, "anchors": slide_anchors(lesson)}
                    for lesson in catalog.ordered(lg)} for lg in LANGUAGES}
    response = render(request, "live/join.html", {"lang": lang, "code": found, "anchors": anchors, "query": "",
                                                  "join_url": _join_url(request, found)})
    response.set_cookie(COOKIE, found, max_age=request.app.state.settings.live_idle_seconds, httponly=True,
                        samesite="lax", path="/")
    return response


@router.get("/live/{code}/qr.svg", response_class=Response, name="read_live_qr",
            responses={200: {"content": {"image/svg+xml": {}}}, **_problems(404)})
async def read_live_qr(request: Request, code: str, broker: BrokerDep):
    """The join URL as a QR code, drawn here (no outside service)."""
    found = _code(request, code)
    with _refusals(request):
        if not await broker.exists(found):
            raise LiveError(404, "live_unknown", code=found)
    out = io.BytesIO()
    segno.make(_join_url(request, found), error="m").save(out, kind="svg", scale=10, border=2, xmldecl=False,
                                                            title=found)
    return Response(out.getvalue(), media_type="image/svg+xml", headers={"cache-control": "no-store"})


def record_check(request: Request, form_code: str | None, lesson: str, exercise: str, correct: bool) -> None:
    """From a (sync) exercise check: count it for the session named by the form's `live` or the cookie."""
    code = normalize_code(form_code or request.cookies.get(COOKIE) or "")
    if code is None:
        return
    broker = get_broker(request.app)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:  # a worker thread, as for a plain `def` route
        with contextlib.suppress(LiveError, RedisError):
            anyio.from_thread.run(broker.record_answer, code, lesson, exercise, correct)
    else:  # called from the event loop itself: count in the background
        task = loop.create_task(broker.record_answer(code, lesson, exercise, correct))
        task.add_done_callback(lambda done: done.cancelled() or done.exception())
