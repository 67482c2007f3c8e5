"""Widgets of lesson 2 (fully connected or convolutional): parameter counts of both kinds of layer, and which
pixels a unit sees through which weight. Styled by intro.css, lessons 1 and 2's stylesheet."""

from app.compute.lessons import intro
from app.web.format import decimal, grouped
from app.web.widgets.intro import _t
from app.web.widgets.params import Int
from app.web.widgets.registry import WidgetContext, widget

STYLES = ("intro.css",)  # shared with lesson 1 (app.web.widgets.intro)


# Lesson 2: parameter counts.

SIZES = (32, 64, 100, 224, 512, 1024)


_EX = intro.LECTURE_FC_EXAMPLE


@widget("fc-conv-params", params={
    "height": Int(_EX["height"], 1, 4096), "width": Int(_EX["width"], 1, 4096), "channels": Int(_EX["channels"], 1, 64),
    "hidden": Int(_EX["hidden"], 1, 100_000), "classes": Int(_EX["classes"], 1, 100_000), "kernel": Int(5, 1, 15),
    "filters": Int(16, 1, 1024),
}, styles=STYLES)
def build_fc_conv_params(ctx: WidgetContext) -> dict:
    height, width, channels = ctx.value("height"), ctx.value("width"), ctx.value("channels")
    hidden, classes = ctx.value("hidden"), ctx.value("classes")
    kernel, filters = ctx.value("kernel"), ctx.value("filters")
    counts = intro.fc_vs_conv(height, width, channels, hidden, classes, kernel, filters)
    lang = ctx.lang

    def g(n):
        return grouped(n, lang)

    lecture = intro.lecture_fc_check()
    is_lecture = all(counts[key] == value for key, value in _EX.items())
    table = intro.sizes_table([s for s in SIZES if s >= kernel], channels, hidden, kernel, filters)
    return {
        "height": height, "width": width, "channels": channels, "hidden": hidden, "classes": classes,
        "kernel": kernel, "filters": filters, "c": counts, "g": {
            "inputs": g(counts["inputs"]), "fc1_w": g(counts["fc1"]["weights"]), "fc1_b": g(counts["fc1"]["biases"]),
            "fc1_p": g(counts["fc1"]["params"]), "fc2_w": g(counts["fc2"]["weights"]),
            "fc2_b": g(counts["fc2"]["biases"]), "fc2_p": g(counts["fc2"]["params"]),
            "fc_w": g(counts["fc"]["weights"]), "fc_p": g(counts["fc"]["params"]),
            "conv_w": g(counts["conv"]["weights"]), "conv_b": g(counts["conv"]["biases"]),
            "conv_p": g(counts["conv"]["params"]), "per_filter": g(counts["conv"]["per_filter"]),
            "units": g(counts["conv"]["units"]), "hidden": g(hidden), "classes": g(classes),
            "ratio": g(round(counts["ratio"])) if counts["ratio"] >= 10 else decimal(counts["ratio"], lang, 2, trim=True),
            "fc1_macs": g(counts["fc1_macs"]), "conv_macs": g(counts["conv_macs"]),
        },
        "lecture": [
            {"key": key, **row, "computed_text": g(row["computed"]), "with_biases_text": g(row["with_biases"]),
             "label": _t(lang, f"intro_fc_{key}")}
            for key, row in lecture.items()
        ],
        "is_lecture": is_lecture,
        "example": {"h": _EX["height"], "w": _EX["width"], "c": _EX["channels"], "hidden": g(_EX["hidden"]),
                    "classes": g(_EX["classes"])},
        "sizes": [
            {"side": row["height"], "inputs": g(row["inputs"]), "fc1": g(row["fc1"]["weights"]),
             "conv": g(row["conv"]["weights"]), "units": g(row["conv"]["units"])}
            for row in table
        ],
        "code": (
            "from torch import nn\n\n"
            f"fc1 = nn.Linear({height} * {width} * {channels}, {hidden})   # weight: ({hidden}, {counts['inputs']})\n"
            f"fc2 = nn.Linear({hidden}, {classes})\n"
            f"conv = nn.Conv2d({channels}, {filters}, kernel_size={kernel})   # weight: ({filters}, {channels}, {kernel}, {kernel})\n"
            "count = lambda m: sum(p.numel() for p in m.parameters())\n"
            f"count(fc1), count(fc2), count(conv)  # ({counts['fc1']['params']}, {counts['fc2']['params']}, "
            f"{counts['conv']['params']}), biases included"
        ),
    }


# Which pixels a unit sees, and through which weight.

CELL, GAP, MARGIN, BETWEEN = 26, 3, 6, 90  # SVG units


def _cells(rows: int, cols: int, left: float, top: float) -> list[dict]:
    """Every cell of a grid drawn at (left, top): row, column, top-left corner and centre."""
    return [
        {"r": r, "c": c, "x": left + c * (CELL + GAP), "y": top + r * (CELL + GAP),
         "cx": left + c * (CELL + GAP) + CELL / 2, "cy": top + r * (CELL + GAP) + CELL / 2}
        for r in range(rows) for c in range(cols)
    ]


def _rows_cols(taps) -> dict:
    """'0–2' style row and column ranges of the pixels a conv output sees."""
    rows, cols = [t[0] for t in taps], [t[1] for t in taps]
    return {"rows": f"{min(rows)}–{max(rows)}", "cols": f"{min(cols)}–{max(cols)}"}


def _span(n: int) -> int:
    return n * CELL + (n - 1) * GAP


@widget("fc-conv-connectivity", params={"size": Int(6, 3, 10), "kernel": Int(3, 1, 10)}, styles=STYLES)
def build_fc_conv_connectivity(ctx: WidgetContext) -> dict:
    size = ctx.value("size")
    kernel = ctx.value("kernel", high=size)  # a kernel no bigger than the input
    result = intro.connectivity(size, kernel)
    out = result["out"]
    grid = _span(size)
    height = grid + 2 * MARGIN
    # Left picture: the input and one fully connected unit. Right picture: the input and the conv layer's outputs.
    fc_cells = [{**cell, "weight": result["fc_weights"][cell["r"]][cell["c"]]} for cell in _cells(size, size, MARGIN, MARGIN)]
    fc_unit = {"cx": MARGIN + grid + BETWEEN, "cy": MARGIN + grid / 2, "r": CELL / 2}
    in_cells = _cells(size, size, MARGIN, MARGIN)
    out_cells = _cells(out, out, MARGIN + grid + BETWEEN, MARGIN + (grid - _span(out)) / 2)
    first = result["positions"][0]
    weight_at = {(r, c): w for r, c, w in first["taps"]}
    for cell in in_cells:
        cell["weight"] = weight_at.get((cell["r"], cell["c"]), "")
    centre = {(cell["r"], cell["c"]): cell for cell in in_cells}
    lines = [{"x1": centre[(r, c)]["cx"], "y1": centre[(r, c)]["cy"], "x2": out_cells[0]["cx"], "y2": out_cells[0]["cy"]}
             for r, c, _ in first["taps"]]
    counts = result["counts"]
    return {
        "size": size, "kernel": kernel, "out": out, "cell": CELL, "height": height,
        "fc_width": fc_unit["cx"] + CELL, "conv_width": MARGIN + grid + BETWEEN + _span(out) + MARGIN,
        "fc_cells": fc_cells, "fc_unit": fc_unit, "in_cells": in_cells, "out_cells": out_cells, "lines": lines,
        "first": first, "last_weight": kernel * kernel, "count": len(result["positions"]),
        "last_index": len(result["positions"]) - 1, "first_span": _rows_cols(first["taps"]),
        "trace": {
            "positions": result["positions"],
            "input": [[cell["cx"], cell["cy"]] for cell in in_cells],  # row-major, size × size
            "output": [[cell["cx"], cell["cy"]] for cell in out_cells],
            "size": size,
        },
        "counts": {key: grouped(value, ctx.lang) for key, value in counts.items()},
    }
