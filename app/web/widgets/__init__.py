"""Every module in this package registers its widgets and exercises on import."""

import importlib
import pkgutil

from app.web.widgets.registry import EXERCISES, WIDGETS

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "registry":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["EXERCISES", "WIDGETS"]
