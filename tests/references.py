"""Independent references the tests hold the app's results to: plain loops and formulas written from the
definitions, which the app itself never uses."""

import numpy as np


def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1) -> np.ndarray:
    """Cross-correlation written out from the definition, with zero padding: x (C, H, W), w (K, C, kh, kw),
    b (K,) or None -> (K, out_h, out_w). stride, padding and dilation: one int or an (h, w) pair."""
    (sh, sw), (ph, pw), (dh, dw) = ((v, v) if isinstance(v, int) else tuple(v) for v in (stride, padding, dilation))
    c_in, h, wd = x.shape
    k_out, _, kh, kw = w.shape
    xp = np.zeros((c_in, h + 2 * ph, wd + 2 * pw))
    xp[:, ph : ph + h, pw : pw + wd] = x
    out_h = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    out_w = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((k_out, out_h, out_w))
    for k in range(k_out):
        for i in range(out_h):
            for j in range(out_w):
                acc = b[k] if b is not None else 0.0
                for c in range(c_in):
                    for u in range(kh):
                        for v in range(kw):
                            acc += xp[c, i * sh + u * dh, j * sw + v * dw] * w[k, c, u, v]
                y[k, i, j] = acc
    return y


def conv_transpose2d_loops(x: np.ndarray, k: np.ndarray, stride: int = 1, padding: int = 0,
                           output_padding: int = 0) -> np.ndarray:
    """Transposed convolution by its definition, in plain loops: every input cell stamps the kernel, scaled by its
    value, at stride steps; stamps add up; then `padding` cells are cropped from each side and `output_padding`
    rows and columns stay at the bottom and right. x (H, W), k (kh, kw) -> (out_h, out_w)."""
    height, width = x.shape
    kh, kw = k.shape
    full_h = (height - 1) * stride + kh + output_padding  # before cropping the padding
    full_w = (width - 1) * stride + kw + output_padding
    full = np.zeros((full_h, full_w))
    for i in range(height):
        for j in range(width):
            for a in range(kh):
                for b in range(kw):
                    full[i * stride + a, j * stride + b] += x[i, j] * k[a, b]
    return full[padding:full_h - padding, padding:full_w - padding]


def fcn_score_map_side(side: int, window: int = 32, stride: int = 4) -> int:
    """How many `window`-pixel windows at `stride` fit along a side: the side of the score map of the lesson's
    fully convolutional network (a 32×32 classifier, two 2×2 max pools)."""
    return (side - window) // stride + 1
