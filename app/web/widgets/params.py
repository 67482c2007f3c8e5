"""A widget's parameters, each declared once in `@widget(params={...})`: its kind, default and range.

    @widget("shrink-layers", params={"width": Int(32, 1, 512), "mode": Choice("max", pool.MODES)})
    def shrink_layers(ctx):
        width = ctx.value("width")  # read, parsed and checked against the declaration

A lesson block or the query string gives the text of a parameter; `ctx.value(name)` turns it into the
declared kind (or raises InputError with a translated message naming the field). What depends on other
values stays in code, at the read, and says so: a declaration leaves that part `None` and the read gives it
(`ctx.value("stride", default=size)`, `ctx.value("channel", high=channels - 1)`); a read may also narrow a
declared range (`ctx.value("kernel", high=size)`: a kernel no bigger than the input), never widen it, and
never repeat a declared default.
"""

import math
from dataclasses import dataclass, fields, replace

from app.compute.errors import InputError
from app.compute.text_input import parse_matrix, parse_numbers
from app.web.i18n import strings


def field_names(name: str) -> tuple[str, str]:
    """A control's name as a student reads it, in English and Russian (locales/fields.yaml: field_<name>);
    a name with no entry is shown as it is."""
    texts = strings().get(f"field_{name}")
    return (texts["en"], texts["ru"]) if texts else (name, name)


def refused(name: str, en: str, ru: str) -> InputError:
    """The refusal of control `name`'s value: “Field” + `en`, «Поле»: + `ru` (InputError.field = name)."""
    field_en, field_ru = field_names(name)
    return InputError(en=f"“{field_en}” {en}", ru=f"«{field_ru}»: {ru}", field=name)


class Param:
    """What every kind shares: `default` (None: the read gives it) and the limits the read may narrow."""

    default: object
    narrows: tuple[str, ...] = ()  # the limits a read may give or narrow

    def parse(self, raw: str, name: str):
        raise NotImplementedError

    def problems(self) -> list[str]:
        """What is wrong with a declaration: a default outside its own range, say (parts left to code aside)."""
        if any(getattr(self, f.name) is None for f in fields(self)):
            return []
        try:
            self.parse(str(self.default), "default")
        except InputError as error:
            return [error.messages["en"]]
        return []

    def bound(self, name: str, given: dict, complete: bool = True) -> "Param":
        """This declaration completed by what a read gives: a default the declaration leaves to code, limits that
        stay inside the declared ones. A mistake here is the widget's, not the student's: ValueError."""
        if "default" in given and self.default is not None:
            raise ValueError(f"parameter {name!r}: its default is declared in @widget(params=…); don't give it again")
        unknown = set(given) - {"default", *self.narrows}
        if unknown:
            raise ValueError(f"parameter {name!r} ({type(self).__name__}) can't be given {sorted(unknown)}")
        for key in set(given) - {"default"}:
            if not self.inside(key, given[key]):
                raise ValueError(f"parameter {name!r}: {key}={given[key]!r} widens the declared "
                                 f"{key}={getattr(self, key)!r}")
        spec = replace(self, **given) if given else self
        missing = [f.name for f in fields(spec) if getattr(spec, f.name) is None and (complete or f.name == "default")]
        if missing:
            raise ValueError(f"parameter {name!r}: {', '.join(missing)} left to code but not given at the read")
        return spec

    def inside(self, key: str, value) -> bool:
        return True


@dataclass(frozen=True)
class Int(Param):
    """A whole number from low to high; with the default "" (blank) it is None until one is set."""

    default: int | str | None
    low: int | None
    high: int | None
    narrows = ("low", "high")

    def inside(self, key, value):
        declared = getattr(self, key)
        return declared is None or (value >= declared if key == "low" else value <= declared)

    def parse(self, raw, name):
        raw = raw.strip()
        if raw == "" and self.default == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise refused(name, f"must be a whole number, got “{raw}”.",
                          f"нужно целое число, а получено «{raw}».") from None
        if not self.low <= value <= self.high:
            raise refused(name, f"must be between {self.low} and {self.high}, got {value}.",
                          f"нужно значение от {self.low} до {self.high}, а получено {value}.")
        return value


@dataclass(frozen=True)
class Num(Param):
    """A number from low to high (a decimal comma is read as a point)."""

    default: float | None
    low: float | None
    high: float | None
    narrows = ("low", "high")
    inside = Int.inside

    def parse(self, raw, name):
        raw = raw.strip().replace(",", ".")
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise refused(name, f"must be a number between {self.low} and {self.high}, got “{raw}”.",
                          f"нужно число от {self.low} до {self.high}, а получено «{raw}».")
        return value


@dataclass(frozen=True)
class Choice(Param):
    """One of `options`; options may be numbers (`Choice(4, (2, 4))` reads "4" as 4)."""

    default: object
    options: tuple | None
    narrows = ("options",)

    def __post_init__(self):
        if self.options is not None:
            object.__setattr__(self, "options", tuple(self.options))

    def inside(self, key, value):
        return self.options is None or set(value) <= set(self.options)

    def parse(self, raw, name):
        for option in self.options:
            if str(option) == raw:
                return option
        known = ", ".join(str(option) for option in self.options)
        raise refused(name, f"must be one of {known}, got “{raw}”.",
                      f"нужно одно из значений {known}, а получено «{raw}».")


@dataclass(frozen=True)
class Text(Param):
    """Free text the widget reads itself (boxes, drawings, a list of scores): the value is the text as given."""

    default: str | None = ""

    def parse(self, raw, name):
        return raw


@dataclass(frozen=True)
class Matrix(Param):
    """A matrix typed as rows separated by ';' or newlines, numbers by spaces or commas, at most max_side a side
    (app.compute.text_input: a refusal says exactly what is wrong, rows counted from 1)."""

    default: str | None
    max_side: int

    def parse(self, raw, name):
        return parse_matrix(raw, self.max_side)


@dataclass(frozen=True)
class Numbers(Param):
    """One row of 1 to max_count numbers separated by spaces or commas."""

    default: str | None
    max_count: int

    def parse(self, raw, name):
        return parse_numbers(raw, self.max_count)


def declared(params) -> dict[str, Param]:
    """`@widget(params=…)` as a mapping of name to declaration; a name without one is a mistake."""
    if not isinstance(params, dict):
        raise TypeError("declare a widget's parameters as {name: Int(…) | Num(…) | Choice(…) | …}")
    params = dict(params)
    for name, spec in params.items():
        if not isinstance(spec, Param):
            raise TypeError(f"parameter {name!r} must be declared as Int, Num, Choice, Text, Matrix or Numbers")
    return params
