"""Jinja environment and the one helper that renders a template into a response."""

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, pass_context
from markupsafe import Markup

from app.lessons import LANGUAGES
from app.settings import ROOT
from app.web import format as formatting
from app.web.chart_table import figure_tables
from app.web.i18n import translate

# Autoescape on every template, whatever its file name; undefined names are errors, not blanks.
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(ROOT / "templates"), autoescape=True, undefined=StrictUndefined)
)


@pass_context
def _t(context, key: str, **values) -> str:
    return translate(context.get("lang", "en"), key, **values)


def _static_url(path: str) -> str:
    """A static file's URL with its modification time, so browsers may cache it for long."""
    file = ROOT / "static" / path
    version = int(file.stat().st_mtime) if file.exists() else 0
    return f"/static/{path}?v={version}"


def _number(value, digits: int = 4) -> str:
    """A number as a person writes it: integers without '.0', others rounded to `digits` places."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def _language_links(path: str, query: str) -> dict[str, str]:
    """The same page in every course language (the browser keeps the #fragment; JS adds it on click)."""
    parts = path.split("/")
    links = {}
    for lang in LANGUAGES:
        if len(parts) > 1 and parts[1] in LANGUAGES:
            target = "/".join([parts[0], lang, *parts[2:]])
        else:
            target = f"/{lang}/"
        links[lang] = target + (f"?{query}" if query else "")
    return links


templates.env.globals.update(t=_t, static_url=_static_url, language_links=_language_links, figure_tables=figure_tables)
templates.env.filters["num"] = _number
formatting.register(templates.env)
templates.env.tests["markup"] = lambda value: isinstance(value, Markup)  # HTML built on purpose
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": False}


def render(request: Request, template: str, context: dict, status_code: int = 200):
    return templates.TemplateResponse(request, template, context, status_code=status_code)
