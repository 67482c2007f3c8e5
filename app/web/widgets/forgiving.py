"""Forgiving controls: a widget reads its state through Inputs, and a value it can't use falls back to the
default while the typed text and the reason are kept for templates/widgets/_forgiving.html to show beside the
control, instead of the whole widget turning into an error."""

from dataclasses import replace

from app.compute.errors import InputError
from app.web.widgets.registry import WidgetContext


class Inputs:
    """Reads controls through WidgetContext; a bad value falls back to the default, keeps the raw text and the
    message, so the template can show both beside the control instead of replacing the widget."""

    def __init__(self, ctx: WidgetContext):
        self.ctx, self.errors, self.raw = ctx, {}, {}

    def read(self, kind: str, name: str, default, *args):
        self.raw[name] = self.ctx.raw(name, default)
        try:
            return getattr(self.ctx, kind)(name, default, *args)
        except InputError as error:
            self.errors[name] = error.message(self.ctx.lang)
            return default

    def grid(self, kind: str, name: str, default: str, *args):
        """A typed matrix ("matrix") or row of numbers ("numbers"); on a refusal the default's numbers are used,
        while the typed text and exactly what is wrong with it stay for the template."""
        self.raw[name] = self.ctx.raw(name, default)
        try:
            return getattr(self.ctx, kind)(name, default, *args)
        except InputError as error:
            self.errors[name] = error.message(self.ctx.lang)
            return getattr(replace(self.ctx, state={}), kind)(name, default, *args)

    def text(self, name: str, normalised: str) -> str:
        """What a text field shows: the student's own text when it was refused, else the value as read."""
        return self.raw[name] if name in self.errors else normalised
