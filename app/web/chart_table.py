"""A chart's numbers as a table: the text alternative of a Plotly figure (role="img") for screen readers and for
anyone who wants the values, written from the same figure JSON the browser draws (no second computation)."""

from app.web.format import decimal

MAX_ROWS = 40  # a long curve is shown at evenly spaced points, its first and last included


def _title(axis: dict | None, fallback: str) -> str:
    title = (axis or {}).get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return str(title) if title else fallback


def _cell(value, lang: str) -> str:
    if isinstance(value, bool) or value is None:
        return "—" if value is None else str(value)
    if isinstance(value, int | float):
        return decimal(value, lang, 3, trim=True)
    return str(value)


def _picked(n: int) -> list[int]:
    if n <= MAX_ROWS:
        return list(range(n))
    return sorted({round(i * (n - 1) / (MAX_ROWS - 1)) for i in range(MAX_ROWS)})


def figure_tables(figure: dict, lang: str) -> list[dict]:
    """[{"caption", "columns", "rows"}]: one table when the traces share their x values, else one per trace.
    Traces without both x and y (shapes, annotations) carry no numbers of their own and are left out."""
    layout = figure.get("layout") or {}
    x_name = _title(layout.get("xaxis"), "x")
    y_name = _title(layout.get("yaxis"), "y")
    traces = [t for t in figure.get("data") or [] if t.get("x") is not None and t.get("y") is not None]
    if not traces:
        return []
    names = [str(t.get("name") or y_name) for t in traces]
    xs = [list(t["x"]) for t in traces]
    if all(x == xs[0] for x in xs):
        rows = [[_cell(xs[0][i], lang), *(_cell(list(t["y"])[i], lang) for t in traces)] for i in _picked(len(xs[0]))]
        return [{"caption": "", "columns": [x_name, *names], "rows": rows}]
    tables = []
    for name, trace in zip(names, traces):
        x, y = list(trace["x"]), list(trace["y"])
        rows = [[_cell(x[i], lang), _cell(y[i], lang)] for i in _picked(min(len(x), len(y)))]
        tables.append({"caption": name, "columns": [x_name, y_name], "rows": rows})
    return tables
