"""Errors for bad input, carrying the message in every course language."""

import reprlib

MAX_ECHO = 40  # characters of an offending value an error message repeats
MAX_MESSAGE = 1_000  # characters of a whole message, whatever was put into it


_ECHO = reprlib.Repr()  # (Python 3.11's Repr takes no keyword arguments)
_ECHO.maxlevel, _ECHO.maxlist, _ECHO.maxtuple, _ECHO.maxdict = 2, 4, 4, 4
_ECHO.maxstring = _ECHO.maxother = _ECHO.maxlong = MAX_ECHO


def brief(value) -> str:
    """repr(value), cut short (strings, numbers and lists alike), so an error never echoes a huge value back."""
    text = _ECHO.repr(value)
    return text if len(text) <= MAX_ECHO + 10 else text[:MAX_ECHO] + "…"


def _cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 1] + "…"


class InputError(ValueError):
    """A user sent something we can't compute; the web layer turns it into a 4xx."""

    def __init__(self, en: str, ru: str, status: int = 422, field: str | None = None):
        super().__init__(_cut(en))
        self.messages = {"en": _cut(en), "ru": _cut(ru)}
        self.status = status
        self.field = field  # the control (a widget parameter) whose value was refused, when it is one

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])


def known_name(name, known, en: str, ru: str, status: int = 404) -> str:
    """`name` when it is one of `known` (a string key); otherwise InputError(status) with the messages `en` and
    `ru`, whose {name} is filled with the name asked for and {known} with the known ones."""
    if isinstance(name, str) and name in known:
        return name
    names = ", ".join(known)
    raise InputError(en=en.format(name=name, known=names), ru=ru.format(name=name, known=names), status=status)
