"""Equal-tailed posterior summaries, defined once for forecasts, checks, backtests and plots."""

from __future__ import annotations

from typing import Any

import numpy as np

from skillfit.errors import SkillfitError

__all__ = ["median_and_interval"]


def median_and_interval(samples: Any, prob: float, axis: int = -1
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(median, lower, upper)`` of ``samples`` along ``axis``; the interval is equal-tailed.

    Examples
    --------
    >>> med, lo, hi = median_and_interval(np.arange(101.0), 0.9)
    >>> round(float(med), 6), round(float(lo), 6), round(float(hi), 6)
    (50.0, 5.0, 95.0)
    """
    if not 0 < prob < 1:
        raise SkillfitError(f"interval probability must be in (0, 1), got {prob}")
    tail = (1.0 - prob) / 2.0
    med, lo, hi = np.quantile(np.asarray(samples, dtype=float), [0.5, tail, 1.0 - tail], axis=axis)
    return med, lo, hi
