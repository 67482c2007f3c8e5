"""Widgets and exercises that lessons embed, registered by name.

A widget is a template plus a `build(ctx)` function that turns its state (the lesson block's
parameters, overridden by `{block_id}.{param}` query parameters) into template context by calling
`app.compute`. An exercise generates a question from a seed and checks answers on the server.
"""

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from markupsafe import Markup

from app.compute.errors import InputError
from app.settings import ROOT
from app.web.widgets.params import Param, declared as _declared
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
    declared: Any = None  # the widget's @widget(params=…), name -> Int/Num/Choice/…; reading another name is a bug
    # Controls whose typed value was refused: name -> {"text": what was typed, "message": why ("" when the
    # reason is the widget-wide `notice`)}. The widget is built with their defaults; controls keep the text.
    refused: dict = field(default_factory=dict)
    notice: str = ""  # a refusal of the settings together (no one control to blame), shown in the form
    _said: set = field(default_factory=set, init=False, repr=False, compare=False)
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

    def spec(self, name: str) -> Param:
        """The declaration of parameter `name` in the widget's @widget(params=…); reading another name is a bug."""
        if not isinstance(self.declared, dict) or name not in self.declared:
            raise ValueError(f"widget parameter {name!r} is read but not declared in @widget(params=…)")
        return self.declared[name]

    def value(self, name: str, **given):
        """Parameter `name` as its declaration says (kind, default, range), from the block or the query string.

        `given`: what the declaration leaves to code (a default or a limit that depends on other values) or a
        narrower limit (app.web.widgets.params). A value that doesn't fit raises InputError, translated.
        """
        spec = self.spec(name).bound(name, given)
        try:
            return spec.parse(self._text(name, spec.default), name)
        except InputError as error:
            error.field = error.field or name  # the control to mark (app.web.pages.build_widget)
            raise

    def values(self, *names: str) -> tuple:
        """Several parameters whose declarations are complete, each as value(name) reads it."""
        return tuple(self.value(name) for name in names)

    def default(self, name: str, **given):
        """What `value(name, **given)` is when nothing is set: the declared (or given) default, parsed."""
        spec = self.spec(name).bound(name, given)
        return spec.parse(str(spec.default), name)

    def raw(self, name: str, **given) -> str:
        """The text parameter `name` was given, or its default as text (to show what a student typed)."""
        return self._text(name, self.spec(name).bound(name, given, complete=False).default)

    def _text(self, name: str, default) -> str:
        return str(self.state.get(name, default))

    def shown(self, control: str) -> bool:
        """False when the page's `hide=` names this control (alone or as `block_id.control`)."""
        return control not in self.hidden and f"{self.block_id}.{control}" not in self.hidden

    def refusal(self, name: str) -> dict | None:
        """The refusal of control `name` ({"text", "message"}) for the template that draws the control; the
        form then doesn't repeat its message (see `unsaid`)."""
        self._said.add(name)
        return self.refused.get(name)

    def unsaid(self) -> list[str]:
        """Messages of refusals that no control has shown yet, and the widget-wide notice, once each."""
        messages = [r["message"] for n, r in self.refused.items() if n not in self._said and r["message"]]
        self._said.update(self.refused)
        if self.notice and "" not in self._said:
            self._said.add("")
            messages.append(self.notice)
        return messages


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
    params: dict[str, Param]  # name -> its declaration (app.web.widgets.params)
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
CSS_DIR, JS_DIR = ROOT / "static" / "css", ROOT / "static" / "js"


def _module_styles(build: Callable) -> tuple[str, ...]:
    """The stylesheet named like the widget's module (app.web.widgets.vgg_resnet -> vgg-resnet.css), if any."""
    name = build.__module__.rsplit(".", 1)[-1].replace("_", "-") + ".css"
    return (name,) if (CSS_DIR / name).is_file() else ()


def widget(name: str, *, template: str | None = None, params=None, scripts=(), charts=False, styles=(),
           deferred=False, photo=False):
    """Register `build(ctx) -> dict` as widget `name`.

    params: {name: Int(…) | Num(…) | Choice(…) | Text(…) | Matrix(…) | Numbers(…)}, each parameter a lesson
    block or the query string may set, declared once with its kind, default and range (app.web.widgets.params;
    the build reads it with ctx.value(name)); scripts: files in static/js/ besides the widget's own,
    static/js/{name}.js, which it gets without naming it (what scripts use of other scripts comes first by
    itself, see app.web.assets; charts.js is added when charts=True: it draws every [data-plotly] element);
    styles: files in static/css/ besides stride.css
    and the module's own stylesheet, static/css/{module}.css (conv_layer -> conv-layer.css), which every
    widget of a module gets without naming it; deferred: the widget runs a network (through
    ctx.compute), so pages load it after themselves, when it scrolls into view; photo: the widget takes a
    student's photo, posted to its fragment as a multipart `image` (templates/widgets/_photo_input.html's
    photo_upload), and reads it as ctx.photo.
    """
    def register(build):
        if name in WIDGETS:
            raise ValueError(f"widget {name!r} registered twice")
        own = (f"{name}.js",) if (JS_DIR / f"{name}.js").is_file() else ()
        all_scripts = tuple(dict.fromkeys((*own, *scripts, *(("charts.js",) if charts else ()))))
        extra = (styles,) if isinstance(styles, str) else tuple(styles)
        all_styles = tuple(dict.fromkeys((*_module_styles(build), *extra)))
        declared = _declared(params or {})

        def run(ctx: WidgetContext) -> dict:
            """The build, reading its parameters through this widget's declarations."""
            return build(ctx if ctx.declared is declared else replace(ctx, declared=declared))

        WIDGETS[name] = Widget(name, template or f"widgets/{name}.html", run, declared, all_scripts, charts,
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
