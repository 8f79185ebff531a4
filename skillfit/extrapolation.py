r"""How fast a fitted scaling law's error grows beyond its data, measured on the data itself.

A law fitted below some compute misses the runs above it by more than its in-sample scatter,
and by more the further out they are (on the bundled Chinchilla runs, the root-mean-square
log-loss error of a Huber fit grows from about 0.4 % just past the data to about 2 % at
e^3-e^5 times the largest training compute). Parameter uncertainty explains only part of
that: the rest is the law's functional form bending away from the truth. The scaling-law
model therefore adds a **model-discrepancy** term to its predictive for a run at compute
``C`` beyond the fit's largest compute ``C_max``::

    log L = log L_law(N, D) + delta,    delta ~ Normal(0, kappa * d),
    d     = max(0, ln C - ln C_max)     (e-folds of compute beyond the data; C = 6 N D)

The discrepancy is Gaussian: it stands for the law's functional form drifting away from the
truth, a systematic error, not for outlying runs (the model's Student-t noise carries those).

``kappa`` (log loss per e-fold) is calibrated by a **compute-ordered backtest inside the
training data**, not by hand: for each fraction ``f`` of :data:`FRACTIONS`, fit the Huber law
(:func:`skillfit.huber.fit_huber`) to the runs below the ``f`` quantile of compute, take the
log-loss residuals ``r_j`` of the runs above it at distances ``d_j``, and maximise::

    sum_j log StudentT(r_j | nu = 4, 0, sqrt(s_f^2 + kappa^2 d_j^2))

where ``s_f`` is the robust (MAD) scale of the sub-fit's in-sample residuals. The Student-t
keeps the few off-law runs from setting ``kappa`` alone; its scale is then turned into a
standard deviation (times ``sqrt(nu / (nu - 2))``), the Gaussian's ``kappa``. The held-out runs
of an outer backtest never enter: ``kappa`` comes only from the data the model is fitted to.

Examples
--------
>>> from skillfit import datasets
>>> runs = datasets.load("chinchilla")
>>> runs = runs[~runs["excluded_by_epoch"]]
>>> kappa = calibrate_discrepancy(runs["params"], runs["tokens"], runs["loss"])
>>> 0.001 < kappa < 0.02
True
>>> compute_distance([1e9, 1e10], [2e10, 2e11], max_compute=1.2e20).round(2)
array([0.  , 4.61])
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize, stats

from skillfit.errors import DataValidationError
from skillfit.huber import QUICK_STARTS, fit_huber
from skillfit.scaling import training_compute

__all__ = ["DISCREPANCY_NU", "FRACTIONS", "MIN_RUNS", "calibrate_discrepancy",
           "compute_distance"]

#: Compute quantiles at which the training runs are cut for the internal backtest.
FRACTIONS: tuple[float, ...] = (0.5, 0.6, 0.7, 0.8)
#: Degrees of freedom of the Student-t likelihood that calibrates the discrepancy.
DISCREPANCY_NU: float = 4.0
#: Fewest runs below an internal cut for it to be used (a 5-constant law needs more than 5).
MIN_RUNS: int = 8


def compute_distance(params: ArrayLike, tokens: ArrayLike, max_compute: float) -> np.ndarray:
    """E-folds of training compute ``C = 6ND`` beyond ``max_compute`` (0 inside the data).

    Parameters
    ----------
    params, tokens : array_like
        Parameters N and tokens D of the runs (broadcast together).
    max_compute : float
        The largest compute of the fitted runs (FLOP).

    Returns
    -------
    numpy.ndarray
        ``max(0, ln(6ND) - ln(max_compute))``.
    """
    return np.maximum(0.0, np.log(training_compute(params, tokens)) - np.log(float(max_compute)))


def calibrate_discrepancy(params: ArrayLike, tokens: ArrayLike, loss: ArrayLike,
                          fractions: Sequence[float] = FRACTIONS,
                          starts: Sequence[Sequence[float]] = QUICK_STARTS) -> float:
    """Discrepancy scale ``kappa`` (log loss per e-fold of compute) from an internal backtest.

    See the module docstring for the procedure.

    Parameters
    ----------
    params, tokens, loss : array_like
        The runs the scaling law is fitted to.
    fractions : sequence of float, default :data:`FRACTIONS`
        Compute quantiles of the internal cuts (each in (0, 1)).
    starts : sequence, default :data:`skillfit.huber.QUICK_STARTS`
        L-BFGS starts of each Huber sub-fit.

    Returns
    -------
    float
        ``kappa`` (>= 0): the maximum-likelihood Student-t scale per e-fold, as a standard
        deviation. 0.0, with a ``UserWarning``, if no cut leaves
        :data:`MIN_RUNS` runs below it and at least one above.
    """
    n, d, y = (np.asarray(x, float).ravel() for x in (params, tokens, loss))
    if not n.size == d.size == y.size:
        raise DataValidationError("calibrate_discrepancy: params, tokens and loss differ in length")
    log_c = np.log(training_compute(n, d))
    resid, dist, scale = [], [], []
    for f in fractions:
        if not 0.0 < f < 1.0:
            raise DataValidationError(
                f"calibrate_discrepancy: fractions must be in (0, 1), got {f}")
        cut = np.quantile(log_c, f)
        below, above = log_c < cut, log_c >= cut
        if below.sum() < MIN_RUNS or not above.any():
            continue
        law = fit_huber(n[below], d[below], y[below], starts)
        r_in = np.log(y[below]) - np.log(law.loss(n[below], d[below]))
        r_out = np.log(y[above]) - np.log(law.loss(n[above], d[above]))
        resid.append(r_out)
        dist.append(log_c[above] - log_c[below].max())
        robust = stats.median_abs_deviation(r_in, scale="normal")
        scale.append(np.full(r_out.size, max(float(robust), 1e-6)))
    if not resid:
        warnings.warn(f"calibrate_discrepancy: {n.size} runs leave no internal cut with "
                      f"{MIN_RUNS} runs below it; no extrapolation discrepancy is added "
                      "(intervals beyond the data will be too narrow)", UserWarning, stacklevel=2)
        return 0.0
    r, dd, s = (np.concatenate(x) for x in (resid, dist, scale))

    def nll(log_kappa: float) -> float:
        sd = np.sqrt(s**2 + np.exp(2.0 * log_kappa) * dd**2)
        return -float(stats.t.logpdf(r, DISCREPANCY_NU, scale=sd).sum())

    res = optimize.minimize_scalar(nll, bounds=(np.log(1e-6), np.log(1.0)), method="bounded")
    kappa = float(np.exp(res.x))
    if kappa <= 1.0001e-6:  # at the search's lower bound: no growth with distance
        return 0.0
    return kappa * float(np.sqrt(DISCREPANCY_NU / (DISCREPANCY_NU - 2.0)))
