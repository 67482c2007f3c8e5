"""Forgiving controls inside a widget's build. Every widget is forgiving already: a ctx read that refuses a
value makes app.web.pages.build_widget build the widget again with that control at its default, the typed text
and the reason in ctx.refused (templates/widgets/_controls.html shows them). Inputs is for what the build itself
must go on from: a refused value falls back to the default right there (so one refusal doesn't hide another, and
checks of the values together still run) and is recorded in the same ctx.refused."""

from app.compute.errors import InputError
from app.web.widgets.registry import WidgetContext


class Inputs:
    """Reads controls through WidgetContext; a bad value falls back to the default, keeps the raw text and the
    message, so the template can show both beside the control instead of replacing the widget."""

    def __init__(self, ctx: WidgetContext):
        self.ctx, self.errors, self.raw = ctx, {}, {}

    def value(self, name: str, **given):
        """ctx.value(name, **given); a value that doesn't fit gives the default (a typed matrix: its default's
        numbers), while the typed text and the reason stay for the template."""
        self.raw[name] = self.ctx.raw(name, **given)
        try:
            return self.ctx.value(name, **given)
        except InputError as error:
            self.refuse(name, error)
            return self.ctx.default(name, **given)

    def values(self, *names: str) -> tuple:
        """Several parameters, each as value(name) reads it."""
        return tuple(self.value(name) for name in names)

    def refuse(self, name: str, error: InputError | str) -> None:
        """Control `name` keeps what was typed and says `error` (or a message already in the page's language)
        beside it; a check of values together calls this for the control it blames."""
        self.errors[name] = error if isinstance(error, str) else error.message(self.ctx.lang)
        self.ctx.refused[name] = {"text": self.raw.get(name, self.ctx.state.get(name, "")), "message": self.errors[name]}

    def text(self, name: str, normalised: str) -> str:
        """What a text field shows: the student's own text when it was refused, else the value as read."""
        return self.raw[name] if name in self.errors else normalised
