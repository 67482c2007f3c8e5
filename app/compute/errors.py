"""Errors for bad input, carrying the message in every course language."""


class InputError(ValueError):
    """A user sent something we can't compute; the web layer turns it into a 4xx."""

    def __init__(self, en: str, ru: str, status: int = 422):
        super().__init__(en)
        self.messages = {"en": en, "ru": ru}
        self.status = status

    def message(self, lang: str) -> str:
        return self.messages.get(lang, self.messages["en"])
