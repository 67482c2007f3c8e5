"""Plotly figures as plain JSON for charts.js to draw in the browser (templates never compute)."""

import json

import plotly.graph_objects as go

# Okabe–Ito: distinguishable by colour-blind readers; pair colours with markers or dashes anyway.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon"]


def figure_json(figure: go.Figure) -> dict:
    """A figure as JSON-safe data (numpy arrays become lists)."""
    figure.update_layout(colorway=PALETTE, template="plotly_white")
    return json.loads(figure.to_json())
