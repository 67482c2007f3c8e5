"""HTML pages: the outline, lessons, slides, the speaker view, and widget and exercise fragments."""

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from app.compute.errors import InputError
from app.lessons import LANGUAGES, Block, Catalog, Lesson
from app.live.routes import record_check
from app.web.assets import script_order
from app.web.i18n import pick_language
from app.web.render import render
from app.web.api.deps import SettingsDep
from app.web.api.uploads import SAMPLE_SIDE, decode_in_queue, read_form_file
from app.web.service import Busy
from app.web.widgets import EXERCISES, WIDGETS
from app.web.widgets.registry import WidgetContext, check_answer, make_question

router = APIRouter(default_response_class=HTMLResponse)

MAX_SEED = 10**9


def get_catalog(request: Request) -> Catalog:
    return request.app.state.catalog


CatalogDep = Annotated[Catalog, Depends(get_catalog)]
def get_language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise HTTPException(status_code=404)
    return lang


Lang = Annotated[str, Depends(get_language)]


def _lesson_or_404(catalog: Catalog, lang: str, slug: str) -> Lesson:
    lesson = catalog.get(lang, slug)
    if lesson is None:
        raise HTTPException(status_code=404)
    return lesson


def _block_or_404(lesson: Lesson, block_id: str, kind: str) -> Block:
    block = lesson.blocks.get(block_id)
    if block is None or block.kind != kind:
        raise HTTPException(status_code=404)
    return block


def _hidden(request: Request) -> frozenset[str]:
    names = ",".join(request.query_params.getlist("hide"))
    return frozenset(n.strip() for n in names.split(",") if n.strip())


def widget_context(request: Request, lesson: Lesson, block: Block, values: Mapping[str, str] | None = None,
                   **photo) -> WidgetContext:
    """The block's parameters from the lesson, overridden by `{block_id}.{param}` in `values` (the query string,
    or a photo form's fields); `photo`: the sent photo and why it was refused (WidgetContext.photo, photo_error)."""
    spec = WIDGETS[block.name]
    values = request.query_params if values is None else values
    state = {k: str(v) for k, v in block.params.items()}
    for param in spec.params:
        value = values.get(f"{block.id}.{param}")
        if value is not None:
            state[param] = value
    return WidgetContext(
        lang=lesson.lang, lesson=lesson.slug, block_id=block.id, state=state, declared=spec.params,
        hidden=_hidden(request), device=request.app.state.device,
        weights_dir=str(request.app.state.settings.weights_dir), models=request.app.state.models,
        lessons=request.app.state.catalog.lessons.get(lesson.lang, {}), wait=request.app.state.settings.page_wait,
        **photo,
    )


def _typed(ctx: WidgetContext, block: Block) -> dict[str, str]:
    """The settings the query string changed from the lesson's own (what the student typed or chose)."""
    return {name: value for name, value in ctx.state.items()
            if name not in block.params or str(block.params[name]) != value}


def keep_widget(ctx: WidgetContext, block: Block, error: InputError) -> WidgetContext | None:
    """The context to build the widget again after `error`, with what was typed kept for the controls:
    the refused control (error.field) goes back to the lesson's value or the widget's default; a refusal of
    the settings together (no field) puts every typed setting back and says why once. None: nothing to undo."""
    typed = {name: value for name, value in _typed(ctx, block).items() if name not in ctx.refused}
    message = error.message(ctx.lang)
    if error.field in typed:
        refused = {error.field: {"text": typed[error.field], "message": message}}
        notice = ctx.notice
    elif typed:
        refused, notice = {name: {"text": value, "message": ""} for name, value in typed.items()}, message
    else:
        return None
    state = {name: value for name, value in ctx.state.items() if name not in refused}
    state.update({name: str(block.params[name]) for name in refused if name in block.params})
    return replace(ctx, state=state, refused={**ctx.refused, **refused}, notice=notice)


def build_widget(request: Request, lesson: Lesson, block: Block, ctx: WidgetContext | None = None) -> dict:
    """The widget's template context. A refused setting keeps the widget: it is built again with that setting
    at its default, and the control shows what was typed and why (ctx.refused); the fragment is then 422."""
    spec = WIDGETS[block.name]
    ctx = ctx or widget_context(request, lesson, block)
    retry_after, error = None, None
    while True:
        try:
            data = spec.build(ctx)
            status = 422 if ctx.refused or ctx.notice else 200
            break
        except Busy as exc:  # a full model queue: 503, and the page asks again after Retry-After
            data, error, status, retry_after = {}, exc.message(lesson.lang), 503, exc.retry_after
            break
        except InputError as exc:
            kept = keep_widget(ctx, block, exc)
            if kept is None:  # the lesson's own settings are refused: no widget to keep
                data, error, status = {}, exc.message(lesson.lang), 422
                break
            ctx = kept
    return {"block": block, "spec": spec, "ctx": ctx, "data": data, "error": error, "status": status,
            "retry_after": retry_after, "deferred": None}


def defer_widget(request: Request, lesson: Lesson, block: Block) -> dict:
    """A widget that runs a network, left for htmx to fetch once the page is shown (with the page's state)."""
    query = f"?{request.url.query}" if request.url.query else ""
    url = f"/{lesson.lang}/lessons/{lesson.slug}/widgets/{block.id}{query}"
    return {"block": block, "spec": WIDGETS[block.name], "deferred": url, "error": None, "status": 200,
            "retry_after": None}


def is_seed(raw: str | None) -> bool:
    """ASCII digits below MAX_SEED: str.isdigit() also says yes to '²' and '①', which int() refuses."""
    return raw is not None and raw.isascii() and raw.isdigit() and int(raw) < MAX_SEED


def _seed(raw: str | None) -> int:
    return int(raw) if is_seed(raw) else secrets.randbelow(MAX_SEED)


def build_exercise(lesson: Lesson, block: Block, seed: int) -> dict:
    question = make_question(EXERCISES[block.name], seed, lesson.lang, block.params)
    return {"block": block, "question": question, "seed": seed, "lesson": lesson}


def _lesson_context(request: Request, catalog: Catalog, lesson: Lesson) -> dict:
    rendered = {}
    for block_id, block in lesson.blocks.items():
        if block.kind == "widget" and WIDGETS[block.name].deferred:
            rendered[block_id] = defer_widget(request, lesson, block)
        elif block.kind == "widget":
            rendered[block_id] = build_widget(request, lesson, block)
        else:
            seed = _seed(request.query_params.get(f"{block_id}.seed"))
            rendered[block_id] = build_exercise(lesson, block, seed)
    widgets = [WIDGETS[b.name] for b in lesson.blocks.values() if b.kind == "widget"]
    scripts = script_order(dict.fromkeys(s for w in widgets for s in w.scripts))
    styles = list(dict.fromkeys(s for w in widgets for s in w.styles))
    previous, following = catalog.neighbours(lesson)
    return {
        "lang": lesson.lang, "lesson": lesson, "rendered": rendered, "scripts": scripts, "styles": styles,
        "charts": any(w.charts for w in widgets), "previous": previous, "following": following,
        "lessons": catalog.ordered(lesson.lang), "query": request.url.query,
    }


@router.get("/", name="read_outline")
def read_outline(request: Request, catalog: CatalogDep):
    lang = pick_language(request.headers.get("accept-language"))
    return render(request, "index.html", {"lang": lang, "lessons": catalog.ordered(lang), "query": ""})


@router.get("/{lang}/", name="read_outline_in")
def read_outline_in(request: Request, lang: Lang, catalog: CatalogDep):
    return render(request, "index.html", {"lang": lang, "lessons": catalog.ordered(lang), "query": ""})


@router.get("/{lang}/lessons/{slug}", name="read_lesson")
def read_lesson(request: Request, lang: Lang, slug: str, catalog: CatalogDep):
    lesson = _lesson_or_404(catalog, lang, slug)
    return render(request, "lesson.html", _lesson_context(request, catalog, lesson))


@router.get("/{lang}/lessons/{slug}/present", name="present_lesson")
def present_lesson(request: Request, lang: Lang, slug: str, catalog: CatalogDep):
    lesson = _lesson_or_404(catalog, lang, slug)
    context = _lesson_context(request, catalog, lesson)
    context["embed"] = request.query_params.get("embed") == "1"
    return render(request, "slides.html", context)


@router.get("/{lang}/lessons/{slug}/speaker", name="read_speaker_view")
def read_speaker_view(request: Request, lang: Lang, slug: str, catalog: CatalogDep):
    lesson = _lesson_or_404(catalog, lang, slug)
    return render(request, "speaker.html", {"lang": lang, "lesson": lesson, "query": request.url.query})


@router.get("/{lang}/lessons/{slug}/widgets/{block_id}", name="read_widget")
def read_widget(request: Request, lang: Lang, slug: str, block_id: str, catalog: CatalogDep):
    lesson = _lesson_or_404(catalog, lang, slug)
    block = _block_or_404(lesson, block_id, "widget")
    return _widget_fragment(request, lesson, build_widget(request, lesson, block))


# An htmx form's target that answers HTML, not part of the JSON API: left out of /openapi.json.
@router.post("/{lang}/lessons/{slug}/widgets/{block_id}", name="send_photo_to_widget", include_in_schema=False)
async def send_photo_to_widget(request: Request, lang: Lang, slug: str, block_id: str, catalog: CatalogDep,
                               settings: SettingsDep):
    """The widget again, on the photo a multipart form sent (`image`, and the widget's settings as
    `{block_id}.{param}` fields), for widgets registered with photo=True. The one upload reader decodes it
    (its limits, statuses and messages); a refused file keeps the widget, says why and answers with its status."""
    lesson = _lesson_or_404(catalog, lang, slug)
    block = _block_or_404(lesson, block_id, "widget")
    if not WIDGETS[block.name].photo:
        raise HTTPException(status_code=405, headers={"allow": "GET"})
    fields, photo, refusal = {}, None, None
    try:
        data, fields = await read_form_file(request)
        photo = await decode_in_queue(request, settings, data, SAMPLE_SIDE)
    except (InputError, Busy) as exc:
        refusal = exc
    ctx = widget_context(request, lesson, block, {**request.query_params, **fields}, photo=photo,
                         photo_error=refusal.message(lang) if refusal else "")
    item = await run_in_threadpool(build_widget, request, lesson, block, ctx)
    if refusal is not None and item["status"] == 200:
        item["status"] = 503 if isinstance(refusal, Busy) else refusal.status
        item["retry_after"] = refusal.retry_after if isinstance(refusal, Busy) else None
    return _widget_fragment(request, lesson, item)


def _widget_fragment(request: Request, lesson: Lesson, item: dict):
    response = render(request, "widgets/_frame.html", {"lang": lesson.lang, "lesson": lesson, "item": item},
                      item["status"])
    if item["retry_after"] is not None:
        response.headers["retry-after"] = str(item["retry_after"])
    return response


@router.get("/{lang}/lessons/{slug}/exercises/{block_id}", name="read_exercise")
def read_exercise(request: Request, lang: Lang, slug: str, block_id: str, catalog: CatalogDep,
                  seed: Annotated[str | None, Query()] = None):
    lesson = _lesson_or_404(catalog, lang, slug)
    block = _block_or_404(lesson, block_id, "exercise")
    item = build_exercise(lesson, block, _seed(seed))
    return render(request, "exercises/_exercise.html", {"lang": lang, "lesson": lesson, "item": item})


@router.post("/{lang}/lessons/{slug}/exercises/{block_id}/check", name="check_exercise")
def check_exercise(request: Request, lang: Lang, slug: str, block_id: str, catalog: CatalogDep,
                   seed: Annotated[str, Form(max_length=12)], answer: Annotated[str, Form(max_length=200)] = "",
                   live: Annotated[str | None, Form(max_length=12)] = None,
                   revealed: Annotated[str, Form(max_length=12)] = ""):
    lesson = _lesson_or_404(catalog, lang, slug)
    block = _block_or_404(lesson, block_id, "exercise")
    if not is_seed(seed):
        raise InputError(en="The exercise's seed must be a whole number.", ru="Номер варианта должен быть целым числом.")
    item = build_exercise(lesson, block, int(seed))
    verdict = check_answer(item["question"], answer)
    status = 422 if verdict is None else 200
    # The worked solution of this very variant was open: a right answer counts as "solved with the solution".
    with_solution = bool(verdict) and revealed == str(item["seed"])
    one_number = item["question"].kind in ("number", "integer") and len(answer.split()) > 1
    if verdict is not None:
        record_check(request, live, lesson.slug, block.id, verdict)  # counts for a live session, if any
    context = {"lang": lang, "lesson": lesson, "item": item, "verdict": verdict, "answer": answer,
               "empty": not answer.strip(), "one_number": one_number, "with_solution": with_solution}
    return render(request, "exercises/_feedback.html", context, status)


@router.get("/{lang}/lessons/{slug}/exercises/{block_id}/help", name="help_exercise")
def help_exercise(request: Request, lang: Lang, slug: str, block_id: str, catalog: CatalogDep,
                  seed: Annotated[int, Query(ge=0, lt=MAX_SEED)],
                  show: Annotated[str, Query(pattern="^(hint|solution)$")]):
    lesson = _lesson_or_404(catalog, lang, slug)
    block = _block_or_404(lesson, block_id, "exercise")
    item = build_exercise(lesson, block, seed)
    return render(request, "exercises/_help.html", {"lang": lang, "lesson": lesson, "item": item, "show": show})

