"""Numbers and shapes as a reader of each course language writes them: one home for every page's formatting.

Grouping and the decimal mark come from Babel (CLDR): 138,357,544 and 1.5 in English, 138 357 544 and 1,5 in
Russian (CLDR's Russian group separator, U+00A0). Negative numbers take a true minus sign (U+2212). The same
functions are Jinja filters (`register`): `{{ value|grouped }}`, `{{ value|decimal(2) }}`, `{{ part|percent }}`,
`{{ shape|hwc }}`, reading the language from the template's `lang`.
"""

from collections.abc import Sequence
from functools import lru_cache

from babel import Locale
from babel.numbers import format_decimal, format_percent
from jinja2 import pass_context

MINUS = "\u2212"


def _babel(value: float, pattern: str, lang: str) -> str:
    return format_decimal(value, format=pattern, locale=lang).replace("-", MINUS)


def grouped(value: float, lang: str) -> str:
    """A whole number with thousands grouped: 12,345 / 12 345 (the value is rounded to a whole number)."""
    return _babel(round(value), "#,##0", lang)


def decimal(value: float, lang: str, digits: int = 2, trim: bool = False) -> str:
    """A number with `digits` decimals and grouped thousands: 1,234.50 / 1 234,50; with trim, trailing zeros
    dropped (1.5, 2)."""
    pattern = "#,##0." + ("#" if trim else "0") * digits if digits > 0 else "#,##0"
    return _babel(value, pattern, lang)


def number(value: float, lang: str, digits: int = 2) -> str:
    """A whole number grouped, anything else with `digits` decimals."""
    if isinstance(value, int) or float(value).is_integer():
        return grouped(value, lang)
    return decimal(value, lang, digits)


def percent(share: float, lang: str, digits: int = 1, trim: bool = False) -> str:
    """A share of 1 as a percentage with `digits` decimals, in the language's pattern: 12.3% / 12,3 %."""
    pattern = _locale(lang).percent_formats[None].pattern  # '#,##0%' in English, '#,##0\xa0%' in Russian
    number_part = "#,##0." + ("#" if trim else "0") * digits if digits > 0 else "#,##0"
    return format_percent(share, format=pattern.replace("#,##0", number_part), locale=lang).replace("-", MINUS)


@lru_cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def hwc_order(shape: Sequence[int]) -> list[int]:
    """A [C, H, W] tensor shape in the lecture's order [H, W, C]; other shapes as they are."""
    shape = list(shape)
    return [shape[1], shape[2], shape[0]] if len(shape) == 3 else shape


def times(values: Sequence) -> str:
    """[13, 13, 256] as 13×13×256."""
    return "×".join(str(v) for v in values)


def hwc(shape: Sequence[int]) -> str:
    """A [C, H, W] tensor shape as the lecture writes it, H×W×C; other shapes joined as they are."""
    return times(hwc_order(shape))


@pass_context
def _grouped(context, value) -> str:
    return grouped(value, context.get("lang", "en"))


@pass_context
def _decimal(context, value, digits: int = 2, trim: bool = False) -> str:
    return decimal(value, context.get("lang", "en"), digits, trim)


@pass_context
def _number(context, value, digits: int = 2) -> str:
    return number(value, context.get("lang", "en"), digits)


@pass_context
def _percent(context, value, digits: int = 1, trim: bool = False) -> str:
    return percent(value, context.get("lang", "en"), digits, trim)


def register(env) -> None:
    """Make the formatters Jinja filters of `env`."""
    env.filters.update(grouped=_grouped, decimal=_decimal, number=_number, percent=_percent, hwc=hwc, times=times)
