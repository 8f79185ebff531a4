"""Forecasts in bulk: the threshold link tabulated once per posterior draw.

The threshold link's ``pi`` depends on an LLM's ``theta`` and on ``k`` only through the failed
measure of a k-tuple, ``theta_k = 1 - (1 - theta)^k`` (:func:`skillfit.theory.kernels.tuple_theta`;
the competent fraction, its average over the competence levels and the floor take ``theta_k``,
``degree``, ``tau``, ``tau_spread`` and ``floor``, nothing else). Within one posterior draw it
is therefore a function of one variable, and a forecast of many LLMs x k evaluates the same
function of each draw thousands of times. :class:`ThresholdTable` evaluates it exactly
(:func:`~skillfit.models.links.link_probability`, the 12-step Newton solves) at
:data:`TABLE_NODES` points of ``logit theta_k`` spanning the draw's queries, interpolates with a
cubic spline and checks itself: the spline is compared with the exact link at three points
inside every interval, and a query falling in an interval that misses by more than
:data:`TABLE_TOL` somewhere, or in one of its two neighbours, is evaluated exactly instead (the
fallback; it catches the single level's kinks, at ``theta_k = 1 - tau`` and where the theorem
gives way to Markov's bound, where a spline rings). ``tests/models/test_link_table.py`` holds
the result within ``2 TABLE_TOL`` of the exact link over draws of every parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from skillfit.models.links import link_probability
from skillfit.theory import kernels

__all__ = ["TABLE_NODES", "TABLE_TOL", "ThresholdTable"]

#: Spline nodes per posterior draw. The table evaluates the exact link at the nodes and at three
#: points inside each interval, so it pays for itself once a forecast asks each draw for more
#: than about four times as many (LLM, k) values (:meth:`ThresholdTable.worth_it`).
TABLE_NODES = 128
#: Largest allowed difference between the spline and the exact ``pi`` at the checks inside an
#: interval; an interval that misses, and its two neighbours, are evaluated exactly. The error
#: between the checks stays below twice this (``tests/models/test_link_table.py``), well
#: below the 16-point level average's own error against its integral, 9e-4 (``docs/model.md``).
TABLE_TOL = 5e-5

#: what the threshold link reads (:func:`~skillfit.models.links.link_probability`)
_LINK_PARAMS = ("degree", "tau", "tau_spread", "floor")
# values evaluated at once while tabulating (as forecasting.FORECAST_CHUNK)
_BLOCK = 100_000
# where in each interval the spline is checked against the exact link
_CHECKS = (0.25, 0.5, 0.75)
# theta_k is clipped as the competent fraction clips it (from 1e-300 to kernels.THETA_MAX)
_LO, _HI = 1e-300, kernels.THETA_MAX


def _logit(p: np.ndarray) -> np.ndarray:
    from scipy.special import logit

    return logit(np.clip(p, _LO, _HI))


class ThresholdTable:
    """The threshold link's ``pi`` as a function of ``theta_k``, tabulated per posterior draw.

    Parameters
    ----------
    lower, upper : numpy.ndarray
        Smallest and largest ``theta_k`` each draw will be asked for, shape ``(S,)``.
    params : mapping of str to numpy.ndarray
        The link's parameters (``degree``, ``tau``, and optionally ``tau_spread`` and
        ``floor``), each a number or an array of shape ``(S,)``.
    nodes : int
        Spline nodes per draw (:data:`TABLE_NODES`).
    tol : float
        Largest miss of the spline at the checks inside an interval before that interval and
        its two neighbours fall back to the exact link (:data:`TABLE_TOL`).

    Examples
    --------
    >>> import numpy as np
    >>> from skillfit.models.links import link_probability
    >>> params = {"degree": np.array([7.0, 20.0]), "tau": np.array([0.5, 0.5]),
    ...           "tau_spread": np.array([0.25, 0.1])}
    >>> theta_k = np.array([[0.05, 0.2], [0.3, 0.6]])  # (queries, draws)
    >>> table = ThresholdTable(theta_k.min(0), theta_k.max(0), params)
    >>> exact = link_probability("threshold", theta_k, None, 1.0, params, np)
    >>> bool(np.abs(table(theta_k) - exact).max() < 1e-6)
    True
    """

    def __init__(self, lower: np.ndarray, upper: np.ndarray, params: Mapping[str, Any],
                 nodes: int = TABLE_NODES, tol: float = TABLE_TOL) -> None:
        from scipy.interpolate import CubicSpline

        lo, hi = _logit(np.asarray(lower, float)), _logit(np.asarray(upper, float))
        hi = np.maximum(hi, lo + 1e-9)  # one query per draw: a table of one tiny interval
        self.params = {name: np.asarray(params[name], float) for name in _LINK_PARAMS
                       if name in params}
        self.lo, self.width, self.nodes = lo, (hi - lo) / (nodes - 1), nodes
        grid = np.arange(nodes, dtype=float)[:, None]
        at_nodes = self._on_grid(grid)  # (nodes, S)
        # cubic polynomial coefficients per interval and draw: (4, nodes - 1, S)
        self.coef = CubicSpline(grid[:, 0], at_nodes, axis=0).c
        # the spline against the exact link inside every interval, at a quarter, half and
        # three quarters of it (a kink inside an interval can make one point lucky)
        missed = np.zeros((nodes - 1, self.lo.size), bool)
        for frac in _CHECKS:
            exact = self._on_grid(grid[:-1] + frac)
            spline = ((self.coef[0] * frac + self.coef[1]) * frac + self.coef[2]) * frac + self.coef[3]
            missed |= ~(np.abs(spline - exact) <= tol)
        # a spline that misses in one interval rings in the next ones: they fall back too
        #: intervals (nodes - 1, S) whose queries are evaluated exactly
        self.fallback = missed.copy()
        self.fallback[1:] |= missed[:-1]
        self.fallback[:-1] |= missed[1:]

    @staticmethod
    def worth_it(queries_per_draw: int, nodes: int = TABLE_NODES) -> bool:
        """Whether tabulating (the exact link at the nodes and at the checks inside each
        interval) beats evaluating ``queries_per_draw`` values exactly."""
        return queries_per_draw > (1 + len(_CHECKS)) * nodes

    def _on_grid(self, grid: np.ndarray) -> np.ndarray:
        """The exact link at ``logit theta_k = lo + width * grid`` of every draw, ``grid`` of
        shape ``(m, 1)``: draws in blocks of about :data:`_BLOCK` values (memory stays flat and
        the solver's temporaries in cache, as forecasts chunk their LLMs)."""
        from scipy.special import expit

        out = np.empty((grid.shape[0], self.lo.size))
        step = max(1, _BLOCK // grid.shape[0])
        for start in range(0, self.lo.size, step):
            draws = np.arange(start, min(self.lo.size, start + step))
            x = self.lo[draws] + self.width[draws] * grid
            out[:, draws] = self._exact(expit(x).ravel(),
                                        np.broadcast_to(draws, x.shape).ravel()).reshape(x.shape)
        return out

    def _exact(self, theta_k: np.ndarray, draws: np.ndarray) -> np.ndarray:
        """The exact link at ``theta_k``, each value of the draw ``draws`` (flat arrays)."""
        params = {name: value if value.ndim == 0 else value[draws]
                  for name, value in self.params.items()}
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return link_probability("threshold", theta_k, None, 1.0, params, np)

    def __call__(self, theta_k: np.ndarray) -> np.ndarray:
        """``pi`` at ``theta_k`` of shape ``(..., S)`` (each draw's queries within its
        ``[lower, upper]``; outside, the exact link)."""
        theta_k = np.asarray(theta_k, float)
        flat = theta_k.reshape(-1, theta_k.shape[-1])
        u = (_logit(flat) - self.lo) / self.width
        inside = (u >= 0.0) & (u <= self.nodes - 1)
        i = np.clip(np.floor(u), 0, self.nodes - 2).astype(np.intp)
        t = u - i
        draw = np.broadcast_to(np.arange(flat.shape[1]), flat.shape)
        index = i * flat.shape[1] + draw
        c = self.coef.reshape(4, -1)
        out = ((c[0][index] * t + c[1][index]) * t + c[2][index]) * t + c[3][index]
        exact = ~inside | self.fallback.reshape(-1)[index]
        if exact.any():
            out[exact] = self._exact(flat[exact], draw[exact])
        return out.reshape(theta_k.shape)

    @classmethod
    def for_queries(cls, theta: np.ndarray, ks: np.ndarray,
                    params: Mapping[str, Any]) -> ThresholdTable:
        """A table covering ``theta_k`` for every ``theta`` (shape ``(n, S)``) and every k of
        ``ks``: ``theta_k`` grows with both, so each draw's range is that of its smallest
        ``theta`` at the smallest k and its largest at the largest k."""
        theta = np.asarray(theta, float)
        lower = kernels.tuple_theta(np.nanmin(theta, axis=0), float(np.min(ks)), "union", np)
        upper = kernels.tuple_theta(np.nanmax(theta, axis=0), float(np.max(ks)), "union", np)
        return cls(lower, upper, params)
