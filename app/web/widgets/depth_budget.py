"""Widget of the AlexNet lesson's opening (the lecture's “deeper models” slide): at a fixed parameter budget,
how wide a stack of 3×3 convolutions can be at each depth, and how far it sees (app.compute.nets.depth_budget)."""

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from app.compute.nets import depth_budget
from app.web.charts import PALETTE, cached_figure
from app.web.format import grouped
from app.web.i18n import translate
from app.web.widgets.forgiving import Inputs
from app.web.widgets.params import Choice
from app.web.widgets.registry import WidgetContext, widget

BUDGETS = ("5", "20", "60")  # millions of parameters; 20 and 60 are the lecture's


@widget("depth-budget", params={"budget": Choice("20", BUDGETS)}, charts=True)
def build_depth_budget(ctx: WidgetContext) -> dict:
    lang = ctx.lang
    inputs = Inputs(ctx)
    millions = int(inputs.value("budget"))
    rows = depth_budget.at_budget(millions * 1_000_000)
    depths = [str(r["depth"]) for r in rows]

    def draw() -> go.Figure:
        figure = make_subplots(specs=[[{"secondary_y": True}]])
        figure.add_trace(go.Bar(x=depths, y=[r["width"] for r in rows], name=translate(lang, "db_trace_width"),
                                marker_color=PALETTE[0], text=[str(r["width"]) for r in rows], textposition="outside",
                                cliponaxis=False), secondary_y=False)
        figure.add_trace(go.Scatter(x=depths, y=[r["receptive_field"] for r in rows], mode="lines+markers",
                                    name=translate(lang, "db_trace_field"), marker={"symbol": "diamond", "size": 11},
                                    line={"dash": "dash", "color": PALETTE[3]}), secondary_y=True)
        figure.update_xaxes(title_text=translate(lang, "db_axis_depth"), type="category")
        figure.update_yaxes(title_text=translate(lang, "db_axis_width"), secondary_y=False, rangemode="tozero")
        figure.update_yaxes(title_text=translate(lang, "db_axis_field"), secondary_y=True, rangemode="tozero",
                            showgrid=False)
        figure.update_layout(legend={"orientation": "h", "y": 1.15, "x": 0}, margin={"t": 40, "r": 60, "b": 60})
        return figure

    shallow, deep = rows[0], rows[-1]
    return {
        "budget": str(millions), "budgets": [(b, translate(lang, "db_budget_option", m=b)) for b in BUDGETS],
        "errors": inputs.errors, "raw": inputs.raw,
        "figure": cached_figure(("depth-budget", millions, lang), draw),
        "rows": [{**r, "params_text": grouped(r["params"], lang), "macs_text": grouped(r["macs"] / 1e6, lang)}
                 for r in rows],
        "shallow": shallow, "deep": deep, "millions": millions,
        "lecture": {key: grouped(value / 1e6, lang) for key, value in depth_budget.LECTURE_BUDGETS.items()},
        "source": depth_budget.LECTURE_SOURCE,
    }
