"""Exercises, a module per group of lessons (named like its widgets' module in app.web.widgets): each registers
its generators with @exercise on import, into app.web.widgets.registry.EXERCISES."""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
