"""Numbers typed by a student: one parser for lists and matrices, and exactly what is wrong when it can't read them.

A matrix is rows separated by ';' or new lines, numbers by spaces or commas (a comma between digits with no
space, "0,5", is a decimal comma). Rows and numbers are counted from 1 in every message, as students count.
Each refusal is a TextInputError with a `code` and its `details`, and its text in every course language comes
from the one table MESSAGES.
"""

import math
import re

from app.compute.errors import MAX_ECHO, InputError

_ROWS = re.compile(r"[;\n]+")
_NUMBERS = re.compile(r"\s*,\s+|\s+,?\s*|,(?!\d)|(?<!\d),")  # spaces, or a comma not between digits
_DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+$")


def _numbers_word_en(n: int) -> str:
    return "number" if n == 1 else "numbers"


def _numbers_word_ru(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "число"
    return "числа" if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else "чисел"


# code -> (English, Russian) message templates over the error's details.
MESSAGES = {
    "empty": (lambda d: "The field is empty: type at least one number.",
              lambda d: "Поле пустое: введите хотя бы одно число."),
    "not_number": (lambda d: f"'{d['token']}' in row {d['row']} is not a number." if d.get("row")
                   else f"'{d['token']}' is not a number.",
                   lambda d: f"«{d['token']}» в строке {d['row']} — не число." if d.get("row")
                   else f"«{d['token']}» — не число."),
    "not_finite": (lambda d: f"'{d['token']}' in row {d['row']} is not a finite number." if d.get("row")
                   else f"'{d['token']}' is not a finite number.",
                   lambda d: f"«{d['token']}» в строке {d['row']} — не конечное число." if d.get("row")
                   else f"«{d['token']}» — не конечное число."),
    "ragged": (lambda d: f"Row {d['row']} has {d['got']} {_numbers_word_en(d['got'])}, row 1 has {d['first']}: "
                         "every row needs the same count.",
               lambda d: f"В строке {d['row']} — {d['got']} {_numbers_word_ru(d['got'])}, а в строке 1 — "
                         f"{d['first']}: во всех строках их должно быть поровну."),
    "too_many_rows": (lambda d: f"At most {d['limit']} rows, got {d['got']}.",
                      lambda d: f"Не больше {d['limit']} строк, а введено {d['got']}."),
    "too_many_columns": (lambda d: f"At most {d['limit']} numbers in a row, row {d['row']} has {d['got']}.",
                         lambda d: f"Не больше {d['limit']} чисел в строке, а в строке {d['row']} их {d['got']}."),
    "too_many_numbers": (lambda d: f"At most {d['limit']} numbers, got {d['got']}.",
                         lambda d: f"Не больше {d['limit']} чисел, а введено {d['got']}."),
    "too_few_numbers": (lambda d: f"Type {d['need']} {_numbers_word_en(d['need'])}, got {d['got']}.",
                        lambda d: f"Нужно {d['need']} {_numbers_word_ru(d['need'])}, а введено {d['got']}."),
}


class TextInputError(InputError):
    """Typed numbers that can't be read: `code` (a key of MESSAGES) and `details` say exactly why."""

    def __init__(self, code: str, **details):
        en, ru = MESSAGES[code]
        super().__init__(en=en(details), ru=ru(details))
        self.code, self.details = code, details


def _cut(token: str) -> str:
    return token if len(token) <= MAX_ECHO else token[:MAX_ECHO] + "…"


def _number(token: str, row: int | None) -> float:
    text = token.replace("\u2212", "-")
    if _DECIMAL_COMMA.match(text):
        text = text.replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise TextInputError("not_number", token=_cut(token), row=row) from None
    if not math.isfinite(value):
        raise TextInputError("not_finite", token=_cut(token), row=row)
    return value


def _split(row: str) -> list[str]:
    """Tokens of a row; "1,2,3" with no spaces is three numbers, "0,5 1,5" two numbers with decimal commas."""
    tokens = [t for t in _NUMBERS.split(row.strip()) if t]
    return tokens[0].split(",") if len(tokens) == 1 and "," in tokens[0] else tokens


def parse_numbers(text: str, max_count: int, min_count: int = 1) -> list[float]:
    """One row of numbers ("1 2 3", "1, 2, 3"): between min_count and max_count of them."""
    tokens = _split(str(text).replace(";", " "))
    if not tokens:
        raise TextInputError("empty")
    if len(tokens) > max_count:
        raise TextInputError("too_many_numbers", limit=max_count, got=len(tokens))
    values = [_number(t, None) for t in tokens]
    if len(values) < min_count:
        raise TextInputError("too_few_numbers", need=min_count, got=len(values))
    return values


def parse_matrix(text: str, max_rows: int, max_columns: int | None = None) -> list[list[float]]:
    """A rectangular matrix of finite numbers, at most max_rows × max_columns (max_columns defaults to max_rows)."""
    max_columns = max_rows if max_columns is None else max_columns
    rows = [_split(r) for r in _ROWS.split(str(text))]
    rows = [r for r in rows if r]
    if not rows:
        raise TextInputError("empty")
    if len(rows) > max_rows:
        raise TextInputError("too_many_rows", limit=max_rows, got=len(rows))
    matrix = []
    for index, tokens in enumerate(rows, start=1):
        if len(tokens) > max_columns:
            raise TextInputError("too_many_columns", limit=max_columns, got=len(tokens), row=index)
        values = [_number(t, index) for t in tokens]
        if matrix and len(values) != len(matrix[0]):
            raise TextInputError("ragged", row=index, got=len(values), first=len(matrix[0]))
        matrix.append(values)
    return matrix
