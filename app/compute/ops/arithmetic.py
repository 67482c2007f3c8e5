"""Conv-layer arithmetic from the lecture: W2 = (W1 − F + 2P)/S + 1 and (F·F·D1)·K + K parameters.

With dilation D the kernel spans F_eff = D·(F − 1) + 1 input cells, and F_eff takes F's place in the
size formula (the weight count still uses F). Valid means W − F_eff + 2P is divisible by S and the
output is at least 1; otherwise we say what a library such as PyTorch does instead (floor).
"""

from dataclasses import dataclass
from fractions import Fraction

from app.compute.arrays import to_int


@dataclass(frozen=True)
class ArithmeticLimits:
    """Largest values the calculator accepts (it only does integer arithmetic, so they are generous)."""

    max_width: int = 4096
    max_kernel: int = 1024
    max_stride: int = 1024
    max_padding: int = 1024
    max_dilation: int = 256
    max_channels: int = 100_000
    max_filters: int = 100_000


def _minus(n: int) -> str:
    """An integer with a typographic minus sign."""
    return f"−{-n}" if n < 0 else str(n)


def _value_text(value: Fraction) -> tuple[str, str]:
    """('=' or '≈', the number): exact decimals when short, else two decimals."""
    if value.denominator == 1:
        return "=", _minus(value.numerator)
    for decimals in range(1, 5):
        scaled = value * 10**decimals
        if scaled.denominator == 1:
            return "=", f"{float(value):.{decimals}f}".replace("-", "−")
    return "≈", f"{float(value):.2f}".replace("-", "−")


def conv_arithmetic(
    width,
    kernel,
    stride=1,
    padding=0,
    dilation=1,
    in_channels=1,
    filters=1,
    limits: ArithmeticLimits = ArithmeticLimits(),
) -> dict:
    """Output size, validity and parameter count of a square conv layer, with the formula written out.

    Returns {"width", "kernel", "stride", "padding", "dilation", "in_channels", "filters" (the checked
    inputs), "effective_kernel": D·(F − 1) + 1, "output_size": int when valid else None, "valid",
    "formula": e.g. "(7 − 3 + 2·1)/1 + 1 = 7", "reason": {"en", "ru"} (empty strings when valid),
    "floor_output": what PyTorch gives (None when the kernel does not fit at all), "unseen": input
    columns on the right (and, by symmetry, rows at the bottom) beyond the reach of the last window
    (pixels skipped between windows or between dilated taps are not counted), "weights": F·F·D1·K,
    "biases": K, "params": weights + biases}.
    """
    width = to_int(width, "width", 1, limits.max_width)
    kernel = to_int(kernel, "kernel", 1, limits.max_kernel)
    stride = to_int(stride, "stride", 1, limits.max_stride)
    padding = to_int(padding, "padding", 0, limits.max_padding)
    dilation = to_int(dilation, "dilation", 1, limits.max_dilation)
    in_channels = to_int(in_channels, "in_channels", 1, limits.max_channels)
    filters = to_int(filters, "filters", 1, limits.max_filters)

    k_eff = dilation * (kernel - 1) + 1
    span = width - k_eff + 2 * padding  # room the kernel can slide over
    fits = span >= 0
    valid = fits and span % stride == 0
    floor_output = span // stride + 1 if fits else None
    unseen = min(width, max(0, span % stride - padding)) if fits else 0  # windows may all sit in the padding

    kernel_text = str(kernel) if dilation == 1 else f"({dilation}·({kernel} − 1) + 1)"
    sign, value = _value_text(Fraction(span, stride) + 1)
    formula = f"({width} − {kernel_text} + 2·{padding})/{stride} + 1 {sign} {value}"

    reason = {"en": "", "ru": ""}
    if not fits:
        kernel_en, kernel_ru = f"the kernel ({kernel})", f"ядро ({kernel})"
        if dilation > 1:
            kernel_en = f"the dilated kernel ({dilation}·({kernel} − 1) + 1 = {k_eff})"
            kernel_ru = f"ядро с разрежением ({dilation}·({kernel} − 1) + 1 = {k_eff})"
        reason = {
            "en": f"The output would be {value}, less than 1: {kernel_en} is larger than the padded input "
            f"({width} + 2·{padding} = {width + 2 * padding}), so it fits nowhere. Libraries raise an error here.",
            "ru": f"Выход получился бы {value}, то есть меньше 1: {kernel_ru} больше входа с заполнением "
            f"({width} + 2·{padding} = {width + 2 * padding}), ему негде поместиться. Библиотеки здесь выдают ошибку.",
        }
    elif not valid:
        if unseen == 1:
            lost_en = "the last input column on the right (and the last row at the bottom) is never seen."
            lost_ru = "последний столбец входа справа (и последняя строка снизу) ни разу не попадает в окно."
        elif unseen:
            lost_en = f"the last {unseen} input columns on the right (and rows at the bottom) are never seen."
            lost_ru = f"столбцов входа справа (и строк снизу), которые ни разу не попадают в окно: {unseen}."
        else:
            lost_en = "only padding is left over, so every input pixel is still seen."
            lost_ru = "лишним остаётся только заполнение, так что каждый пиксель входа всё равно учтён."
        sum_text = f"{width} − {k_eff} + 2·{padding} = {span}"
        reason = {
            "en": f"{sum_text} is not divisible by the stride {stride}, so the kernel cannot end exactly on the far "
            f"edge. PyTorch and most libraries round down and give {floor_output}; {lost_en}",
            "ru": f"{sum_text} не делится нацело на шаг {stride}, поэтому ядро не может закончить ровно на дальнем "
            f"краю. PyTorch и большинство библиотек округляют вниз и получают {floor_output}; {lost_ru}",
        }

    weights = kernel * kernel * in_channels * filters
    return {
        "width": width,
        "kernel": kernel,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "in_channels": in_channels,
        "filters": filters,
        "effective_kernel": k_eff,
        "output_size": span // stride + 1 if valid else None,
        "valid": valid,
        "formula": formula,
        "reason": reason,
        "floor_output": floor_output,
        "unseen": unseen,
        "weights": weights,
        "biases": filters,
        "params": weights + filters,
    }


def same_padding(kernel, dilation=1, limits: ArithmeticLimits = ArithmeticLimits()) -> int | None:
    """Padding that keeps the size at stride 1: D·(F − 1)/2, or None when that is not a whole number."""
    kernel = to_int(kernel, "kernel", 1, limits.max_kernel)
    dilation = to_int(dilation, "dilation", 1, limits.max_dilation)
    total = dilation * (kernel - 1)
    return total // 2 if total % 2 == 0 else None


def paddings_that_fit(
    width, kernel, stride, max_padding, dilation=1, limits: ArithmeticLimits = ArithmeticLimits()
) -> list[int]:
    """Every padding 0 … max_padding that makes the layer valid (the lecture's "F = 5, S = 2, P = ?")."""
    max_padding = to_int(max_padding, "max_padding", 0, limits.max_padding)
    return [
        padding
        for padding in range(max_padding + 1)
        if conv_arithmetic(width, kernel, stride, padding, dilation, limits=limits)["valid"]
    ]
