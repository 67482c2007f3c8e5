"""Every module in this package registers its widgets on import; app.web.exercises registers the exercises."""

import importlib
import pkgutil

from app.web.widgets.registry import EXERCISES, WIDGETS

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")
importlib.import_module("app.web.exercises")

__all__ = ["EXERCISES", "WIDGETS"]
