"""The scripts and stylesheets a page needs, in an order no one writes by hand.

A widget names only its own script. A script that uses a shared piece (`Stride.photoInput(…)`, `Stride.boxes…`)
needs the script that defines it (`Stride.photoInput = …`): the page loads that one first. Nothing else lists
dependencies.
"""

import re
from functools import lru_cache
from pathlib import Path

from app.settings import ROOT

JS = ROOT / "static" / "js"
_DEFINES = re.compile(r"^Stride\.([A-Za-z_]\w*)\s*=", re.M)
_USES = re.compile(r"\bStride\.([A-Za-z_]\w*)\b")


@lru_cache
def _scripts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(Path(JS).glob("*.js"))}


@lru_cache
def needs(script: str) -> tuple[str, ...]:
    """The scripts `script` uses, by the shared pieces of `Stride` they define."""
    sources = _scripts()
    definers = {name: file for file, text in sources.items() for name in _DEFINES.findall(text)}
    used = _USES.findall(sources.get(script, ""))
    return tuple(dict.fromkeys(definers[name] for name in used if name in definers and definers[name] != script))


def script_order(scripts) -> list[str]:
    """The scripts with everything they need, each once, every one after what it needs."""
    ordered: list[str] = []

    def visit(script: str, path: tuple[str, ...]) -> None:
        if script in ordered:
            return
        if script in path:
            raise ValueError(f"scripts need each other: {' → '.join((*path, script))}")
        for needed in needs(script):
            visit(needed, (*path, script))
        ordered.append(script)

    for script in scripts:
        visit(script, ())
    return ordered
