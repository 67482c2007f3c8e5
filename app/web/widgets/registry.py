"""Widgets and exercises that lessons embed, registered by name.

A widget is a template plus a `build(ctx)` function that turns its state (the lesson block's
parameters, overridden by `{block_id}.{param}` query parameters) into template context by calling
`app.compute`. An exercise generates a question from a seed and checks answers on the server.
"""

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from app.compute.errors import InputError
from app.compute.text_input import parse_matrix, parse_numbers
from app.settings import ROOT
from app.web.i18n import strings
from app.compute.nets.registry import MODELS, WeightsMissing, weights_stamp


@dataclass(frozen=True)
class WidgetContext:
    """What a widget's build may use: its state, the page's language, and the app's models, weights and lessons."""

    lang: str
    lesson: str
    block_id: str
    state: dict[str, str]
    hidden: frozenset[str]
    device: str
    weights_dir: str = ""  # where pretrained weights live (the app's settings.weights_dir)
    models: Any = None  # the app's ModelService; None runs model work directly (tests, notebooks)
    lessons: Any = None  # slug -> Lesson of the app's catalog in this language; None: no links
    declared: tuple[str, ...] | None = None  # the widget's @widget(params=…); reading another name is a bug
    # A photo sent to the widget (@widget(photo=True), POST to its fragment): decoded by the one upload reader,
    # never kept. photo_error: why the file sent was refused (translated); the widget shows its sample instead.
    photo: Any = None
    photo_error: str = ""
    wait: float | None = None  # seconds model work may keep the page waiting (settings.page_wait); None: no bound

    def compute(self, fn: Callable[[str], Any], key=None, keep: bool = True) -> Any:
        """Model work `fn(device)` through the server's bounded queue, so widgets can't swamp the device.

        Calls with the same `key` share one computation and its result is kept (a bounded cache), so
        a class opening the page at once runs the network once; treat the result as read-only.
        keep=False: identical calls still share one computation, but nothing is kept (a student's photo).
        """
        if self.models is None:
            return fn(self.device)
        return self.models.run(fn, key, cache=keep and key is not None, wait=self.wait)

    def weights(self, name: str) -> dict:
        """Whether a model's weights file is installed (not loaded, not hashed), and the command that fetches it.

        `stamp` is (path, mtime, size) of the file, a cache key for what is computed with it; None when absent.
        """
        try:
            stamp = weights_stamp(name, self.weights_dir)
        except WeightsMissing as exc:
            return weights_note(exc)
        return {**weights_note(WeightsMissing(name, stamp[0])), "present": True, "stamp": stamp}

    def lesson_link(self, slug: str) -> dict:
        """A link to another lesson of this app's catalog: its number and href (both None when it has none)."""
        lesson = (self.lessons or {}).get(slug)
        return {"slug": slug, "number": lesson.number if lesson else None,
                "href": f"/{self.lang}/lessons/{slug}" if lesson else None}

    def raw(self, name: str, default) -> str:
        if self.declared is not None and name not in self.declared:
            raise ValueError(f"widget parameter {name!r} is read but not declared in @widget(params=…)")
        return str(self.state.get(name, default))

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.raw(name, default).strip()
        try:
            value = int(raw)
        except ValueError:
            en, ru = field_names(name)
            raise InputError(
                en=f"“{en}” must be a whole number, got “{raw}”.",
                ru=f"«{ru}»: нужно целое число, а получено «{raw}».",
            ) from None
        if not low <= value <= high:
            en, ru = field_names(name)
            raise InputError(
                en=f"“{en}” must be between {low} and {high}, got {value}.",
                ru=f"«{ru}»: нужно значение от {low} до {high}, а получено {value}.",
            )
        return value

    def number(self, name: str, default: float, low: float, high: float) -> float:
        raw = self.raw(name, default).strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not low <= value <= high:
            en, ru = field_names(name)
            raise InputError(
                en=f"“{en}” must be a number between {low} and {high}, got “{raw}”.",
                ru=f"«{ru}»: нужно число от {low} до {high}, а получено «{raw}».",
            )
        return value

    def choice(self, name: str, default: str, options) -> str:
        value = self.raw(name, default)
        if value not in options:
            en, ru = field_names(name)
            raise InputError(
                en=f"“{en}” must be one of {', '.join(options)}, got “{value}”.",
                ru=f"«{ru}»: нужно одно из значений {', '.join(options)}, а получено «{value}».",
            )
        return value

    def matrix(self, name: str, default: str, max_side: int) -> list[list[float]]:
        """A matrix written as rows separated by ';' or newlines and numbers by spaces or commas
        (app.compute.text_input: a refusal says exactly what is wrong, rows counted from 1)."""
        return parse_matrix(self.raw(name, default), max_side)

    def numbers(self, name: str, default: str, max_count: int) -> list[float]:
        """One row of 1 to max_count numbers separated by spaces or commas."""
        return parse_numbers(self.raw(name, default), max_count)

    def shown(self, control: str) -> bool:
        """False when the page's `hide=` names this control (alone or as `block_id.control`)."""
        return control not in self.hidden and f"{self.block_id}.{control}" not in self.hidden


def field_names(name: str) -> tuple[str, str]:
    """A control's name as a student reads it, in English and Russian (locales/fields.yaml: field_<name>);
    a name with no entry is shown as it is."""
    texts = strings().get(f"field_{name}")
    return (texts["en"], texts["ru"]) if texts else (name, name)


def weights_note(exc: WeightsMissing) -> dict:
    """What a page says about a model whose weights are missing or damaged (widgets/_weights_missing.html)."""
    title = MODELS[exc.name].title if exc.name in MODELS else exc.name
    return {"name": exc.name, "model": title, "title": title, "present": False, "command": exc.command,
            "damaged": exc.reason != "missing", "reason": exc.reason, "stamp": None}


@dataclass(frozen=True)
class Widget:
    name: str
    template: str
    build: Callable[[WidgetContext], dict]
    params: tuple[str, ...]
    scripts: tuple[str, ...] = ()
    charts: bool = False
    styles: tuple[str, ...] = ()
    # Runs a network: the page shows a placeholder and htmx fetches the widget when it is revealed,
    # so no page waits for (or is refused by) the model queue.
    deferred: bool = False
    photo: bool = False  # takes a photo: a multipart POST to its fragment (app.web.pages) sets ctx.photo


@dataclass(frozen=True)
class Question:
    """An exercise's question. prompt, hint and solution are plain text (the template makes each a paragraph)
    or Markup where they need more (a list, code); a table or grids the prompt shows go in `figure`."""
    prompt: str
    answer: object
    kind: str  # "number", "integer", "shape" or "choice"
    hint: str
    solution: str
    choices: tuple[tuple[str, str], ...] = ()  # (key, label) pairs for kind "choice"
    tolerance: float = 1e-6
    unit: str = ""
    figure: Markup = Markup("")


@dataclass(frozen=True)
class Exercise:
    name: str
    generate: Callable[[random.Random, str, dict], Question]
    params: tuple[str, ...] = field(default=())


WIDGETS: dict[str, Widget] = {}
EXERCISES: dict[str, Exercise] = {}
CSS_DIR = ROOT / "static" / "css"


def _module_styles(build: Callable) -> tuple[str, ...]:
    """The stylesheet named like the widget's module (app.web.widgets.vgg_resnet -> vgg-resnet.css), if any."""
    name = build.__module__.rsplit(".", 1)[-1].replace("_", "-") + ".css"
    return (name,) if (CSS_DIR / name).is_file() else ()


def widget(name: str, *, template: str | None = None, params=(), scripts=(), charts=False, styles=(), deferred=False,
           photo=False):
    """Register `build(ctx) -> dict` as widget `name`.

    params: the state names a lesson block or the query string may set; scripts: the widget's own files in
    static/js/ (what they use of other scripts comes first by itself, see app.web.assets; charts.js is added
    when charts=True: it draws every [data-plotly] element); styles: files in static/css/ besides stride.css
    and the module's own stylesheet, static/css/{module}.css (conv_layer -> conv-layer.css), which every
    widget of a module gets without naming it; deferred: the widget runs a network (through
    ctx.compute), so pages load it after themselves, when it scrolls into view; photo: the widget takes a
    student's photo, posted to its fragment as a multipart `image` (templates/widgets/_photo_input.html's
    photo_upload), and reads it as ctx.photo.
    """
    def register(build):
        if name in WIDGETS:
            raise ValueError(f"widget {name!r} registered twice")
        all_scripts = (*scripts, "charts.js") if charts else tuple(scripts)
        extra = (styles,) if isinstance(styles, str) else tuple(styles)
        all_styles = tuple(dict.fromkeys((*_module_styles(build), *extra)))
        WIDGETS[name] = Widget(name, template or f"widgets/{name}.html", build, tuple(params), all_scripts, charts,
                               all_styles, deferred, photo)
        return build

    return register


def exercise(name: str, *, params=()):
    def register(generate):
        if name in EXERCISES:
            raise ValueError(f"exercise {name!r} registered twice")
        EXERCISES[name] = Exercise(name, generate, tuple(params))
        return generate

    return register


def make_question(exercise_: Exercise, seed: int, lang: str, params: dict) -> Question:
    return exercise_.generate(random.Random(f"{exercise_.name}:{seed}"), lang, params)


# Two or more comma groups can only be thousands; a single "1,500" stays a decimal comma (1.5).
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3}){2,}$")
_SPACED_THOUSANDS = re.compile(r"^[+-]?\d{1,3}([\s\u00a0\u202f]\d{3})+([.,]\d+)?$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def check_answer(question: Question, raw: str) -> bool | None:
    """True or False for a well-formed answer; None when the answer can't be read at all."""
    raw = raw.strip().replace("\u2212", "-")
    if question.kind in ("number", "integer"):
        # Spaces inside a number only group thousands (3 211 264); "7 10" is two numbers, not 710.
        if re.search(r"\S[\s\u00a0\u202f]+\S", raw) and not _SPACED_THOUSANDS.match(raw):
            return None
        raw = re.sub(r"[\s\u00a0\u202f]+", "", raw)
        if _THOUSANDS.match(raw):  # 3,211,264 is grouped thousands, not a decimal comma
            raw = raw.replace(",", "")
        if not _NUMBER.match(raw):
            return None
        value = float(raw.replace(",", "."))
        # Counts (an int answer or kind "integer") must be exact: 4,097,001 is not 4,097,000.
        if question.kind == "integer" or isinstance(question.answer, int):
            return value == float(question.answer)
        # Relative tolerance, so rounding the last digit of a long decimal still counts.
        return abs(value - float(question.answer)) <= question.tolerance * max(1.0, abs(float(question.answer)))
    if question.kind == "shape":
        parts = [p for p in re.split(r"[x×хX*,;()\[\]\s\u00a0\u202f]+", raw) if p]
        if not parts or not all(p.isdigit() for p in parts):
            return None
        return tuple(int(p) for p in parts) == tuple(question.answer)
    if question.kind == "choice":
        # Choices are offered as short keys ("a", "b", …), so the raw value is the key.
        if raw not in {key for key, _ in question.choices}:
            return None
        return raw == str(question.answer)
    raise ValueError(f"unknown answer kind {question.kind!r}")
