"""Compute-ordered backtest of a scaling law: fit below a compute cut, predict the runs beyond.

Users fit a scaling law in order to extrapolate, so it is judged where it extrapolates. For each
cut ``c``, :func:`scaling_backtest` fits :class:`~skillfit.models.scaling_law.ScalingLawModel`
to the runs with training compute ``6ND < c`` and predicts the runs with ``6ND >= beyond * c``
(default ``beyond = 3``): a gap of a factor 3 leaves out the runs just past the data, which say
little about extrapolation. Next to it, in the same call, the Epoch-style Huber point fit
(:func:`skillfit.huber.fit_huber`) is fitted to the same runs, as the baseline a Bayesian fit
must not lose to on accuracy.

Scores per cut and method: the median absolute relative error of the point forecast (posterior
predictive median; Huber: the fitted law) and, for the posterior, the share of held-out runs
inside their 50 % and 89 % equal-tailed predictive intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from skillfit.errors import DataValidationError
from skillfit.scaling import training_compute

__all__ = ["CUTS", "compute_cut_split", "scaling_backtest"]

#: Default compute cuts (FLOP): on the bundled Chinchilla runs they leave 136 and 177 runs to fit
#: and 63 and 36 runs at >= 3x the cut to predict.
CUTS: tuple[float, ...] = (1e20, 3e20)


def compute_cut_split(data: pd.DataFrame, cut: float, beyond: float = 3.0
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs below ``cut`` (to fit) and those at ``>= beyond * cut`` (to predict), C = 6ND.

    Parameters
    ----------
    data : pandas.DataFrame
        Runs with columns ``params`` and ``tokens``.
    cut : float
        Compute cut in FLOP (positive).
    beyond : float, default 3.0
        Factor (>= 1) beyond the cut where held-out runs start.

    Returns
    -------
    train, test : pandas.DataFrame

    Examples
    --------
    >>> runs = pd.DataFrame({"params": [1e8, 1e9, 1e10], "tokens": [1e9, 2e10, 2e11],
    ...                      "loss": [3.5, 2.6, 2.2]})
    >>> train, test = compute_cut_split(runs, 1e20)   # 6ND = 6e17, 1.2e20, 1.2e22
    >>> len(train), len(test)
    (1, 1)
    """
    if not (np.isfinite(cut) and cut > 0):
        raise DataValidationError(f"compute cut must be a positive number of FLOP, got {cut!r}")
    if not (np.isfinite(beyond) and beyond >= 1):
        raise DataValidationError(f"beyond must be a number >= 1, got {beyond!r}")
    compute = training_compute(data["params"], data["tokens"])
    return data[compute < cut], data[compute >= beyond * cut]


def scaling_backtest(
    data: pd.DataFrame,
    cuts: Sequence[float] = CUTS,
    beyond: float = 3.0,
    model_config: Mapping[str, Any] | None = None,
    sampler_config: Mapping[str, Any] | None = None,
    random_seed: int = 0,
    report: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit below each compute cut, predict the runs beyond it; score posterior and Huber fit.

    Parameters
    ----------
    data : pandas.DataFrame
        Training runs (``params, tokens, loss``, optional ``excluded_by_epoch``, which the model
        configuration's ``exclude_epoch_outliers`` applies to both the fit and the held-out runs).
    cuts : sequence of float, default :data:`CUTS`
        Compute cuts in FLOP.
    beyond : float, default 3.0
        Held-out runs have compute ``>= beyond * cut``.
    model_config, sampler_config : mapping, optional
        Passed to :class:`~skillfit.models.scaling_law.ScalingLawModel`.
    random_seed : int, default 0
        Seed of every fit and predictive.
    report : callable, optional
        Called with a progress line before each fit.

    Returns
    -------
    runs : pandas.DataFrame
        One row per (cut, held-out run): ``cut, params, tokens, compute, loss, huber,
        median, lower_0.5, upper_0.5, lower_0.89, upper_0.89``.
    summary : pandas.DataFrame
        One row per cut: ``n_train, n_test``, the posterior's ``median_are``, the Huber fit's
        ``huber_median_are``, their ``are_ratio`` (posterior / Huber; below 1 is better),
        the posterior's ``coverage_50, coverage_89``, its diagnostics ``max_r_hat,
        min_ess_bulk, divergences`` and the discrepancy scale ``kappa``.

    Raises
    ------
    DataValidationError
        If a cut leaves fewer than 6 runs to fit or none to predict.
    """
    from skillfit.huber import fit_huber
    from skillfit.models.scaling_law import ScalingLawModel

    rows, runs = [], []
    for cut in cuts:
        model = ScalingLawModel(model_config=model_config, sampler_config=sampler_config)
        clean = model.rows_used(data)
        train, test = compute_cut_split(clean, float(cut), beyond)
        if len(train) < 6 or len(test) == 0:
            raise DataValidationError(
                f"compute cut {cut:.3g}: {len(train)} runs below it and {len(test)} at >= "
                f"{beyond:g}x it; need at least 6 to fit and 1 to predict")
        if report is not None:
            report(f"cut {cut:.3g} FLOP: fitting {len(train)} runs, predicting {len(test)} at "
                   f">= {beyond * cut:.3g}")
        model.fit(train, random_seed=random_seed, predictive=False)
        n, d, y = (test[c].to_numpy(float) for c in ("params", "tokens", "loss"))
        p89 = model.predict(n, d, ci_prob=0.89, random_seed=random_seed)
        p50 = model.predict(n, d, ci_prob=0.5, random_seed=random_seed)
        huber = fit_huber(train["params"], train["tokens"], train["loss"]).loss(n, d)
        table = pd.DataFrame({
            "cut": float(cut), "params": n, "tokens": d, "compute": training_compute(n, d),
            "loss": y, "huber": huber, "median": p89["median"].to_numpy(),
            "lower_0.5": p50["lower"].to_numpy(), "upper_0.5": p50["upper"].to_numpy(),
            "lower_0.89": p89["lower"].to_numpy(), "upper_0.89": p89["upper"].to_numpy()})
        runs.append(table)
        diag = model.diagnostics()
        inside = {q: float(np.mean((y >= table[f"lower_{q}"]) & (y <= table[f"upper_{q}"])))
                  for q in ("0.5", "0.89")}
        are = float(np.median(np.abs(table["median"] / y - 1.0)))
        huber_are = float(np.median(np.abs(huber / y - 1.0)))
        rows.append({"cut": float(cut), "n_train": len(train), "n_test": len(test),
                     "median_are": are, "huber_median_are": huber_are,
                     "are_ratio": are / huber_are if huber_are > 0 else float("inf"),
                     "coverage_50": inside["0.5"], "coverage_89": inside["0.89"],
                     "max_r_hat": diag["max_r_hat"], "min_ess_bulk": diag["min_ess_bulk"],
                     "divergences": diag["divergences"], "kappa": model.discrepancy_scale})
    return pd.concat(runs, ignore_index=True), pd.DataFrame(rows)
