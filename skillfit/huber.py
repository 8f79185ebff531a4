r"""Epoch-style point fit of the Chinchilla law: Huber loss on log loss, L-BFGS from a grid.

This is the estimator of Besiroglu et al. (2024), following Hoffmann et al. (2022) Approach 3:
minimise over ``(a, b, e, alpha, beta)``::

    sum_i Huber_delta( LSE(a - alpha log N_i, b - beta log D_i, e) - log L_i )

with ``delta = 1e-3``, ``A = e^a``, ``B = e^b``, ``E = e^e``, by L-BFGS from each start of a grid
and keeping the best. It is the point-fit baseline of the compute-ordered backtest
(:mod:`skillfit.scaling_backtest`) and the workhorse of the extrapolation calibration
(:mod:`skillfit.extrapolation`).

Examples
--------
>>> from skillfit import datasets
>>> runs = datasets.load("chinchilla")
>>> runs = runs[~runs["excluded_by_epoch"]]
>>> law = fit_huber(runs["params"], runs["tokens"], runs["loss"])
>>> round(law.E, 2), round(law.a, 2), round(law.b, 2)   # Epoch: 1.82, 0.35, 0.37
(1.82, 0.35, 0.37)
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy.optimize import minimize

from skillfit.errors import DataValidationError
from skillfit.scaling import ChinchillaLaw

__all__ = ["DELTA", "EPOCH_STARTS", "QUICK_STARTS", "fit_huber", "huber_objective"]

#: Huber threshold on log-loss residuals (Epoch, Hoffmann et al.).
DELTA: float = 1e-3

#: Epoch's grid of initial ``(a, b, e, alpha, beta)``: 6 x 6 x 6 x 5 x 5 = 5,400 starts.
EPOCH_STARTS: tuple[tuple[float, ...], ...] = tuple(itertools.product(
    (0.0, 5.0, 10.0, 15.0, 20.0, 25.0), (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5), (0.0, 0.5, 1.0, 1.5, 2.0), (0.0, 0.5, 1.0, 1.5, 2.0)))

#: A 108-start sub-grid of :data:`EPOCH_STARTS` (a, b in 5, 15, 25; e in 0, 0.5, 1; exponents
#: 0.5, 1.0): 50 times fewer starts. On the bundled runs it finds the full grid's optimum to 8
#: digits (4 s against 16 min on a loaded 2-core machine); fitted below the compute cuts 1e20
#: and 3e20, it gives the full grid's held-out error to the 3 digits reported.
QUICK_STARTS: tuple[tuple[float, ...], ...] = tuple(itertools.product(
    (5.0, 15.0, 25.0), (5.0, 15.0, 25.0), (0.0, 0.5, 1.0), (0.5, 1.0), (0.5, 1.0)))


def huber_objective(theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray,
                    log_l: np.ndarray, delta: float = DELTA) -> tuple[float, np.ndarray]:
    """Huber loss (divided by ``delta``) of the log-loss residuals, and its gradient.

    Parameters
    ----------
    theta : numpy.ndarray
        ``(a, b, e, alpha, beta)`` with ``A = e^a``, ``B = e^b``, ``E = e^e``.
    log_n, log_d, log_l : numpy.ndarray
        Logs of parameters, tokens and loss of the runs.
    delta : float, default :data:`DELTA`
        Huber threshold.

    Returns
    -------
    value : float
    gradient : numpy.ndarray
        Derivative with respect to ``theta``.
    """
    a, b, e, alpha, beta = theta
    z = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    m = z.max(axis=0)
    lse = m + np.log(np.exp(z - m).sum(axis=0))  # plain NumPy: scipy's logsumexp is slow here
    r = lse - log_l
    small = np.abs(r) <= delta
    value = np.where(small, 0.5 * r**2, delta * (np.abs(r) - 0.5 * delta)).sum() / delta
    dr = np.clip(r, -delta, delta) / delta
    w = np.exp(z - lse) * dr
    grad = np.array([w[0].sum(), w[1].sum(), w[2].sum(), -(w[0] * log_n).sum(),
                     -(w[1] * log_d).sum()])
    return float(value), grad


def fit_huber(params: ArrayLike, tokens: ArrayLike, loss: ArrayLike,
              starts: Sequence[Sequence[float]] = QUICK_STARTS,
              delta: float = DELTA) -> ChinchillaLaw:
    """Huber/L-BFGS point fit of ``L = E + A N^-alpha + B D^-beta`` (see the module docstring).

    Parameters
    ----------
    params, tokens, loss : array_like
        The runs (positive, same length, at least 5).
    starts : sequence of (a, b, e, alpha, beta), default :data:`QUICK_STARTS`
        Initial points; :data:`EPOCH_STARTS` is Epoch's full grid.
    delta : float, default :data:`DELTA`
        Huber threshold on log-loss residuals.

    Returns
    -------
    ChinchillaLaw
        The best fit over the starts.

    Raises
    ------
    DataValidationError
        If the runs are not positive and finite, differ in length or are fewer than 5.
    """
    cols = [np.asarray(x, float).ravel() for x in (params, tokens, loss)]
    if len({c.size for c in cols}) != 1 or cols[0].size < 5:
        raise DataValidationError("fit_huber: params, tokens and loss must have the same length "
                                  f"(at least 5); got {', '.join(str(c.size) for c in cols)}")
    if any(np.any(~np.isfinite(c) | (c <= 0)) for c in cols):
        raise DataValidationError("fit_huber: params, tokens and loss must be positive and finite")
    log_n, log_d, log_l = (np.log(c) for c in cols)
    best, best_value = None, np.inf
    for x0 in starts:
        res = minimize(huber_objective, np.asarray(x0, float), args=(log_n, log_d, log_l, delta),
                       jac=True, method="L-BFGS-B",
                       options={"maxiter": 1000, "gtol": 1e-8, "ftol": 1e-13})
        if res.fun < best_value and res.x[3] > 0 and res.x[4] > 0:
            best, best_value = res.x, res.fun
    if best is None:
        raise DataValidationError("fit_huber: no start reached a law with positive exponents")
    a, b, e, alpha, beta = (float(v) for v in best)
    return ChinchillaLaw(E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)),
                         a=alpha, b=beta)
