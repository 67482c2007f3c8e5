"""Plotly figures as plain JSON for charts.js to draw in the browser (templates never compute)."""

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import plotly.graph_objects as go

from app.compute.lessons import history
from app.web.format import grouped, percent
from app.web.i18n import translate

# Okabe–Ito: distinguishable by colour-blind readers; pair colours with markers or dashes anyway.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon"]


def figure_json(figure: go.Figure) -> dict:
    """A figure as JSON-safe data (numpy arrays become lists)."""
    figure.update_layout(colorway=PALETTE, template="plotly_white")
    return json.loads(figure.to_json())


def load_validators() -> None:
    """Make plotly read its validators' JSON (1.5 s) now: it does on first use, and fifty requests drawing their
    first figure at once would each read it (plotly does not lock)."""
    go.Figure(go.Bar(x=[0], y=[0]))


_FIGURES: OrderedDict[Hashable, dict] = OrderedDict()
_FIGURES_LOCK = threading.Lock()
MAX_FIGURES = 64


def cached_figure(key: Hashable, draw: Callable[[], go.Figure]) -> dict:
    """figure_json(draw()) built once per key (the most recent MAX_FIGURES kept), for a figure that depends on
    nothing but its key: building one takes plotly ~0.1 s, and a class opens the same page at the same moment."""
    with _FIGURES_LOCK:  # one build, however many requests ask at once
        if key not in _FIGURES:
            _FIGURES[key] = figure_json(draw())
            if len(_FIGURES) > MAX_FIGURES:
                _FIGURES.popitem(last=False)
        _FIGURES.move_to_end(key)
        return _FIGURES[key]



def human_reference(lang: str) -> dict:
    """The human top-5 error (app.compute.lessons.history) with its numbers written for `lang`, for _human-top5.html."""
    human = history.human_reference()
    return {**human, "error_text": percent(human["error"] / 100, lang, 1), "images_text": grouped(human["images"], lang)}


def add_human_reference(figure: go.Figure, lang: str) -> None:
    """A dotted horizontal line at the human top-5 error, labelled, on the figure's first y axis."""
    human = human_reference(lang)
    figure.add_shape(type="line", xref="paper", x0=0, x1=1, yref="y", y0=human["error"], y1=human["error"],
                     line={"color": PALETTE[4], "width": 2, "dash": "dot"})
    figure.add_annotation(xref="paper", x=1, yref="y", y=human["error"], showarrow=False, xanchor="right",
                          yanchor="bottom", font={"color": PALETTE[4]},
                          text=translate(lang, "human_top5_label", error=human["error_text"]))
