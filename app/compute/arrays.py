"""Turn JSON-ish user input (nested lists, ints, pairs) into checked numpy arrays and ints.

Every check raises InputError with the field name and the reason in English and Russian, so the web
layer never has to guess what went wrong. Sizes over a limit are status 413, everything else 422.
"""

import math
import numbers

import numpy as np

from app.compute.errors import InputError, brief

_MAX_DEPTH = 8  # deeper nesting is reported as "8 or more" dimensions
_PLAIN = frozenset((float, int))  # element types that need no check (bool is not int here: type(True) is bool)


def _dims_text(ndims: tuple[int, ...], lang: str) -> str:
    """'2 or 3' / '2 или 3'."""
    words = [str(n) for n in sorted(ndims)]
    if len(words) == 1:
        return words[0]
    joiner = " or " if lang == "en" else " или "
    return ", ".join(words[:-1]) + joiner + words[-1]


def _position(name: str, index: tuple[int, ...]) -> str:
    """input[1][2] — where in the nested lists a bad value sits."""
    return name + "".join(f"[{i}]" for i in index)


def _is_sequence(value) -> bool:
    return isinstance(value, (list, tuple))


def _number(value, name: str, index: tuple[int, ...]) -> float:
    """One element: a real, finite number that is not a bool."""
    where = _position(name, index)
    if isinstance(value, (bool, np.bool_)):
        raise InputError(
            en=f"{where} is a true/false value; expected a number.",
            ru=f"{where} — логическое значение (true/false), а нужно число.",
        )
    if not isinstance(value, numbers.Real):
        shown = repr(value) if len(repr(value)) <= 20 else repr(value)[:20] + "…"
        raise InputError(
            en=f"{where} is {shown}; expected a number.",
            ru=f"{where} = {shown}, а нужно число.",
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InputError(
            en=f"{where} is not a finite number (NaN or infinity, or too large for a 64-bit float).",
            ru=f"{where} — не конечное число (NaN, бесконечность или слишком большое для 64-битного float).",
        )
    return number


def to_array(data, name: str, ndims: tuple[int, ...], max_elements: int) -> np.ndarray:
    """Nested lists of numbers (or an ndarray) -> float64 array with one of the allowed ndims."""
    if isinstance(data, np.ndarray):
        if data.dtype == np.bool_ or not (
            np.issubdtype(data.dtype, np.integer) or np.issubdtype(data.dtype, np.floating)
        ):
            raise InputError(
                en=f"{name} must hold numbers, not {data.dtype} values.",
                ru=f"{name} должен содержать числа, а не значения типа {data.dtype}.",
            )
        data = data.tolist()
    if not _is_sequence(data):
        raise InputError(
            en=f"{name} must be an array of numbers with {_dims_text(ndims, 'en')} dimensions (nested lists).",
            ru=f"{name} должен быть массивом чисел с числом измерений {_dims_text(ndims, 'ru')} (вложенные списки).",
        )

    # The shape is read along the first elements; every other branch must then match it exactly.
    shape = []
    node = data
    while _is_sequence(node) and len(shape) <= _MAX_DEPTH:
        shape.append(len(node))
        if len(node) == 0:
            break
        node = node[0]
    if any(n == 0 for n in shape):
        raise InputError(
            en=f"{name} is empty; it needs at least one number in every dimension.",
            ru=f"{name} пуст: в каждом измерении нужно хотя бы одно число.",
        )
    if len(shape) not in ndims:
        raise InputError(
            en=f"{name} must have {_dims_text(ndims, 'en')} dimension{'' if ndims == (1,) else 's'}, got {len(shape)}"
            + (" or more." if len(shape) > _MAX_DEPTH else "."),
            ru=f"Число измерений {name} должно быть {_dims_text(ndims, 'ru')}, а получено {len(shape)}"
            + (" или больше." if len(shape) > _MAX_DEPTH else "."),
        )
    count = math.prod(shape)
    if count > max_elements:
        raise InputError(
            en=f"{name} has {count} numbers; at most {max_elements} are allowed.",
            ru=f"В {name} {count} чисел, а допускается не больше {max_elements}.",
            status=413,
        )

    flat: list = []
    last = len(shape) - 1

    def walk(node, index: tuple[int, ...]) -> None:
        depth = len(index)
        if not _is_sequence(node) or len(node) != shape[depth]:
            raise _ragged(name, index, shape)
        if depth < last:
            for i, child in enumerate(node):
                walk(child, index + (i,))
            return
        if _PLAIN.issuperset(map(type, node)):  # a row of plain ints and floats: checked at C speed
            flat.extend(node)
            return
        for i, value in enumerate(node):  # a row with something else in it: find and name what
            kind = type(value)
            if kind is float or kind is int:
                flat.append(value)
            elif _is_sequence(value):
                raise _ragged(name, index + (i,), shape)
            else:
                flat.append(_number(value, name, index + (i,)))

    walk(data, ())
    try:
        array = np.asarray(flat, dtype=np.float64)
        bad = np.flatnonzero(~np.isfinite(array))
    except OverflowError:  # an int too large for a float64
        array, bad = None, [next(i for i, v in enumerate(flat) if not math.isfinite(_finite_or_inf(v)))]
    if len(bad):
        _number(math.inf, name, tuple(int(i) for i in np.unravel_index(int(bad[0]), shape)))
    return array.reshape(shape)


def _finite_or_inf(value) -> float:
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _ragged(name: str, index: tuple[int, ...], shape: list[int]) -> InputError:
    where = _position(name, index)
    dims = "×".join(str(n) for n in shape)
    return InputError(
        en=f"{name} is ragged: {where} does not match the shape {dims} set by the first rows.",
        ru=f"{name} — рваный массив: {where} не совпадает с формой {dims}, заданной первыми строками.",
    )


def to_int(value, name: str, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]; 2.0 is accepted, 2.5, True and '2' are not."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise InputError(
            en=f"{name} must be a whole number, got {brief(value)}.",
            ru=f"{name} должен быть целым числом, а получено {brief(value)}.",
        )
    if isinstance(value, numbers.Integral):
        number = int(value)
    else:
        as_float = float(value)
        if not math.isfinite(as_float) or as_float != int(as_float):
            raise InputError(
                en=f"{name} must be a whole number, got {brief(value)}.",
                ru=f"{name} должен быть целым числом, а получено {brief(value)}.",
            )
        number = int(as_float)
    if not minimum <= number <= maximum:
        raise InputError(
            en=f"{name} must be between {minimum} and {maximum}, got {number}.",
            ru=f"{name} должен быть от {minimum} до {maximum}, а получено {number}.",
        )
    return number


def to_pair(value, name: str, minimum: int, maximum: int) -> tuple[int, int]:
    """An int n -> (n, n), or [a, b] -> (a, b) for (height, width); each in [minimum, maximum]."""
    if _is_sequence(value):
        if len(value) != 2:
            raise InputError(
                en=f"{name} must be one whole number or a pair [height, width], got {len(value)} values.",
                ru=f"{name} задаётся одним целым числом или парой [высота, ширина], а получено значений: {len(value)}.",
            )
        return (
            to_int(value[0], f"{name}[0]", minimum, maximum),
            to_int(value[1], f"{name}[1]", minimum, maximum),
        )
    number = to_int(value, name, minimum, maximum)
    return (number, number)
