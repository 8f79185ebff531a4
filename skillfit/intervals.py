"""Posterior intervals, defined once for summaries, forecasts, checks, backtests and plots.

One convention across the package, as in ArviZ 1: an interval is named by its mass
``ci_prob`` (default :data:`CI_PROB`, 0.89) and its kind ``ci_kind`` — ``"eti"``, the
equal-tailed interval (default: it is what a quantile forecast means, and it is invariant under
monotone transforms such as the rate ↔ points change), or ``"hdi"``, the highest-density
interval. The arithmetic is ArviZ's (:func:`arviz_stats.base.array_stats.eti` / ``.hdi``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from skillfit.errors import SkillfitError

__all__ = ["CI_KIND", "CI_KINDS", "CI_PROB", "check_ci", "interval_bounds", "interval_label",
           "median_and_interval"]

#: Default interval mass everywhere (summary tables, forecasts, checks, plots).
CI_PROB: float = 0.89
#: Default interval kind everywhere: equal-tailed.
CI_KIND: str = "eti"
#: The interval kinds understood by :func:`interval_bounds`.
CI_KINDS: tuple[str, ...] = ("eti", "hdi")

_KIND_WORDS = {"eti": "equal-tailed", "hdi": "highest-density"}


def check_ci(ci_prob: Any, ci_kind: Any = CI_KIND, what: str = "ci_prob") -> tuple[float, str]:
    """Validate an interval mass and kind; return them as ``(float, str)``.

    Raises
    ------
    SkillfitError
        If ``ci_prob`` is not a number in (0, 1) or ``ci_kind`` is not ``"eti"`` or ``"hdi"``;
        the message names ``what``.

    Examples
    --------
    >>> check_ci(0.5, "hdi")
    (0.5, 'hdi')
    """
    if isinstance(ci_prob, bool) or not isinstance(ci_prob, int | float | np.number) or not (
            0 < float(ci_prob) < 1):
        raise SkillfitError(f"{what} must be a number in (0, 1), got {ci_prob!r}")
    if ci_kind not in CI_KINDS:
        raise SkillfitError(f"ci_kind must be one of {', '.join(CI_KINDS)}, got {ci_kind!r}")
    return float(ci_prob), str(ci_kind)


def interval_label(ci_prob: float = CI_PROB, ci_kind: str = CI_KIND) -> str:
    """Words for an interval, e.g. ``"89% equal-tailed interval"`` (for tables and plot titles).

    Examples
    --------
    >>> interval_label(0.5, "hdi")
    '50% highest-density interval'
    """
    ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
    return f"{ci_prob:.0%} {_KIND_WORDS[ci_kind]} interval"


def interval_bounds(samples: Any, ci_prob: float = CI_PROB, axis: int = -1,
                    ci_kind: str = CI_KIND) -> tuple[np.ndarray, np.ndarray]:
    """``(lower, upper)`` of the ``ci_kind`` interval of mass ``ci_prob`` along ``axis``.

    Examples
    --------
    >>> lo, hi = interval_bounds(np.arange(101.0), 0.9)
    >>> round(float(lo), 9), round(float(hi), 9)
    (5.0, 95.0)
    """
    from arviz_stats.base import array_stats

    ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
    x = np.asarray(samples, dtype=float)
    fn = array_stats.eti if ci_kind == "eti" else array_stats.hdi
    bounds = np.asarray(fn(x, ci_prob, axis=axis))
    return bounds[..., 0], bounds[..., 1]


def median_and_interval(samples: Any, ci_prob: float = CI_PROB, axis: int = -1,
                        ci_kind: str = CI_KIND) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(median, lower, upper)`` of ``samples`` along ``axis``.

    The interval is the ``ci_kind`` interval (default equal-tailed) of mass ``ci_prob``.

    Examples
    --------
    >>> med, lo, hi = median_and_interval(np.arange(101.0), 0.9)
    >>> round(float(med), 9), round(float(lo), 9), round(float(hi), 9)
    (50.0, 5.0, 95.0)
    """
    lo, hi = interval_bounds(samples, ci_prob, axis, ci_kind)
    med = np.median(np.asarray(samples, dtype=float), axis=axis)
    return med, lo, hi
