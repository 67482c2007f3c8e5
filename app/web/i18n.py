"""Interface strings in every course language, from app/web/locales/*.yaml (each file: key -> {en, ru})."""

import re
from functools import lru_cache
from pathlib import Path

import yaml
from babel import Locale

from app.lessons import LANGUAGES

LOCALES = Path(__file__).parent / "locales"
_TOP_KEY = re.compile(r"^([A-Za-z0-9_]+):", re.M)


@lru_cache
def strings() -> dict[str, dict[str, str]]:
    """Every key with its text per language; a key missing a language or defined twice is an error."""
    table: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        loaded = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        keys = _TOP_KEY.findall(text)
        if len(keys) != len(set(keys)):  # YAML itself keeps the last of two equal keys without a word
            raise ValueError(f"{path.name}: strings {sorted({k for k in keys if keys.count(k) > 1})} are defined twice")
        for key, texts in (loaded or {}).items():
            if key in table:
                raise ValueError(f"{path.name}: string {key!r} is defined twice")
            if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
                raise ValueError(f"{path.name}: string {key!r} needs exactly {LANGUAGES}")
            table[key] = texts
    return table


def translate(lang: str, key: str, **values) -> str:
    text = strings()[key][lang]
    return text.format(**values) if values else text


def plural(lang: str, n: float, **forms: str) -> str:
    """The form of a word that agrees with n by CLDR's rules (Babel): forms one=, few=, many=, other=.

    plural("ru", 21, one="нейрон", few="нейрона", many="нейронов") is "нейрон"; a missing category falls
    back to `other`, then to `many` (Russian fractions take the genitive singular: 1,5 нейрона).
    """
    category = _locale(lang).plural_form(abs(n))
    return forms.get(category) or forms.get("other") or forms["many"]


@lru_cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def pick_language(accept_language: str | None) -> str:
    """The first course language named in an Accept-Language header, by its q weights; else English."""
    ranked = []
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        ranked.append((-q, position, tag.split("-")[0].lower()))
    for _, _, lang in sorted(ranked):
        if lang in LANGUAGES:
            return lang
    return "en"


def layer_detail(lang: str, parts) -> str:
    """A layer's one-line description from its structured parts (app.compute.nets.layer_text), in `lang`."""
    return "".join(translate(lang, f"arch_{part}", **values) for part, values in parts)
