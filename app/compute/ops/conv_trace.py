"""A 2-D convolution written out for people: every step of the sliding kernel with its products rounded
for display (conv2d_trace, for the browser's animation) and each output cell as a formula (symbolic_conv).

Both validate like conv.conv2d_request and take their taps from conv.windows.
"""

import numpy as np

from app.compute.arrays import to_array
from app.compute.errors import InputError, brief
from app.compute.ops.conv import (
    ConvLimits, check_sides, checked_settings, conv2d, finite_or_error, fitted_output, too_large, windows,
)
from app.compute.ops.display import DISPLAY_DECIMALS, display_decimals, shown, shown_grid


def conv2d_trace(
    x2d, k2d, stride=1, padding=0, dilation=1, limits: ConvLimits = ConvLimits()
) -> dict:
    """Everything the browser needs to animate a 2-D sliding kernel, with no further requests.

    Inputs are validated like conv2d_request (2-D only). Rounding for display: input and kernel values
    are shown with the fewest decimals that show them exactly, at most 4; each product is rounded to
    dx + dw decimals (at most 4), and each "sum" is the exact sum of the shown products. When nothing
    was cut ("exact": true) those sums equal the true outputs; otherwise "output_exact" holds the true
    float64 outputs (they differ from "output" by at most taps·½·10⁻⁴).

    Returns {"input": H×W, "kernel": kh×kw, "padded": (H+2ph)×(W+2pw), "is_padding": same shape of bools,
    "output": out_h×out_w (shown sums), "output_exact": out_h×out_w floats, "stride", "padding",
    "dilation": [h, w] each, "shape": {"input", "padded", "kernel", "output"}, "decimals": {"input",
    "kernel", "product"}, "exact": bool, "steps": one per output cell, row-major: {"out": [i, j], "taps":
    [{"kernel": [k_i, k_j], "input": [in_i, in_j] (unpadded, may be outside), "padded": [row, col],
    "is_padding": bool, "x", "w", "product"}], "sum"}}.
    """
    x = to_array(x2d, "input", (2,), limits.max_input_elements)
    k = to_array(k2d, "kernel", (2,), limits.max_kernel_elements)
    height, width = x.shape
    kh, kw = k.shape
    check_sides("input", height, width, limits.max_side, "input", "вход")
    check_sides("kernel", kh, kw, limits.max_kernel_side, "kernel", "ядро")
    stride, padding, dilation = checked_settings(stride, padding, dilation, limits)
    out_h, out_w = fitted_output(height, width, kh, kw, stride, padding, dilation)
    if out_h * out_w * kh * kw > limits.max_trace_taps:
        raise too_large(
            en=f"An animation of this convolution would have {out_h * out_w * kh * kw} steps of a product; "
            f"at most {limits.max_trace_taps} are allowed. Use a smaller input or kernel.",
            ru=f"В анимации этой свёртки было бы {out_h * out_w * kh * kw} произведений, а допускается "
            f"не больше {limits.max_trace_taps}. Возьмите вход или ядро поменьше.",
        )

    dx, x_exact = display_decimals(x)
    dk, k_exact = display_decimals(k)
    dp = min(dx + dk, DISPLAY_DECIMALS)
    exact = x_exact and k_exact and dx + dk <= DISPLAY_DECIMALS
    ph, pw = padding
    padded = np.pad(x, ((ph, ph), (pw, pw)))  # (H + 2ph, W + 2pw)
    is_padding = np.ones(padded.shape, dtype=bool)
    is_padding[ph : ph + height, pw : pw + width] = False

    exact_out = finite_or_error(conv2d(x[None], k[None, None], None, stride, padding, dilation))[0]
    output = np.zeros((out_h, out_w))
    steps = []
    for out_i, out_j, taps in windows(height, width, kh, kw, stride, padding, dilation):
        shown_taps = []
        for k_i, k_j, in_i, in_j in taps:
            inside = 0 <= in_i < height and 0 <= in_j < width
            value = x[in_i, in_j] if inside else 0.0
            shown_taps.append(
                {
                    "kernel": [k_i, k_j],
                    "input": [in_i, in_j],
                    "padded": [in_i + ph, in_j + pw],
                    "is_padding": not inside,
                    "x": shown(value, dx),
                    "w": shown(k[k_i, k_j], dk),
                    "product": shown(value * k[k_i, k_j], dp),
                }
            )
        total = shown(sum(tap["product"] for tap in shown_taps), dp)
        output[out_i, out_j] = total
        steps.append({"out": [out_i, out_j], "taps": shown_taps, "sum": total})

    return {
        "input": shown_grid(x, dx),
        "kernel": shown_grid(k, dk),
        "padded": shown_grid(padded, dx),
        "is_padding": is_padding.tolist(),
        "output": shown_grid(output, dp),
        "output_exact": exact_out.tolist(),
        "stride": list(stride),
        "padding": list(padding),
        "dilation": list(dilation),
        "shape": {
            "input": [height, width],
            "padded": list(padded.shape),
            "kernel": [kh, kw],
            "output": [out_h, out_w],
        },
        "decimals": {"input": dx, "kernel": dk, "product": dp},
        "exact": exact,
        "steps": steps,
    }


def _symbol_grid(data, name: str, max_side: int) -> list[list[str]]:
    """A rectangular grid of short, non-empty symbol strings."""
    if not isinstance(data, (list, tuple)) or not data or not all(isinstance(r, (list, tuple)) for r in data):
        raise InputError(
            en=f"{name} must be a grid: a list of rows, each a list of symbols.",
            ru=f"{name} должен быть сеткой: списком строк, каждая — список символов.",
        )
    width = len(data[0])
    if width == 0 or any(len(row) != width for row in data):
        raise InputError(
            en=f"{name} must be a non-empty rectangle: every row needs the same number of symbols.",
            ru=f"{name} должен быть непустым прямоугольником: во всех строках одинаковое число символов.",
        )
    if max(len(data), width) > max_side:
        raise too_large(
            en=f"{name} may be at most {max_side}×{max_side}.",
            ru=f"{name} может быть не больше {max_side}×{max_side}.",
        )
    for row in data:
        for symbol in row:
            if not isinstance(symbol, str) or not 1 <= len(symbol.strip()) <= 8:
                raise InputError(
                    en=f"Every symbol in {name} must be a non-empty string of at most 8 characters, got {brief(symbol)}.",
                    ru=f"Каждый символ в {name} — непустая строка не длиннее 8 знаков, а получено {brief(symbol)}.",
                )
    return [[symbol.strip() for symbol in row] for row in data]


def symbolic_conv(
    input_symbols, kernel_symbols, stride=1, padding=0, dilation=1, limits: ConvLimits = ConvLimits()
) -> list[list[str]]:
    """Each output cell as an expression, e.g. 'aw + bx + ey + fz'; padding taps (zeros) are left out.

    One-character symbols are written side by side (aw); longer ones with a dot (x11·w11).
    A cell that sees only padding is '0'.
    """
    xs = _symbol_grid(input_symbols, "input", limits.max_symbol_side)
    ks = _symbol_grid(kernel_symbols, "kernel", limits.max_symbol_side)
    height, width, kh, kw = len(xs), len(xs[0]), len(ks), len(ks[0])
    stride, padding, dilation = checked_settings(stride, padding, dilation, limits)
    out_h, out_w = fitted_output(height, width, kh, kw, stride, padding, dilation)
    output = [["" for _ in range(out_w)] for _ in range(out_h)]
    for out_i, out_j, taps in windows(height, width, kh, kw, stride, padding, dilation):
        terms = []
        for k_i, k_j, in_i, in_j in taps:
            if 0 <= in_i < height and 0 <= in_j < width:
                a, b = xs[in_i][in_j], ks[k_i][k_j]
                terms.append(a + b if len(a) == 1 and len(b) == 1 else f"{a}·{b}")
        output[out_i][out_j] = " + ".join(terms) if terms else "0"
    return output
