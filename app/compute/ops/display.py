"""How the traces (2-D and 1-D convolution, pooling) write numbers: the fewest decimals that show every value."""

import numpy as np

DISPLAY_DECIMALS = 4


def display_decimals(values: np.ndarray, cap: int = DISPLAY_DECIMALS) -> tuple[int, bool]:
    """(fewest decimals that show every value exactly, up to cap; whether that is exact)."""
    values = np.asarray(values, dtype=np.float64)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(values))
    for decimals in range(cap + 1):
        if np.all(np.abs(values - np.round(values, decimals)) <= tolerance):
            return decimals, True
    return cap, False


def shown(value: float, decimals: int) -> int | float:
    """A number as the page shows it: rounded, an int when there are no decimals, never −0."""
    rounded = round(float(value), decimals) + 0.0
    return int(rounded) if decimals == 0 else rounded


def shown_grid(values: np.ndarray, decimals: int) -> list:
    return [[shown(v, decimals) for v in row] for row in values]
