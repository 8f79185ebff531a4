"""Backtest scoring: hold out LLMs, forecast them, score the forecasts (``docs/model.md``).

The scoring helpers are plain NumPy/pandas and work on posterior *samples*:

- :func:`crps_from_samples` — the continuous ranked probability score of a predictive
  distribution given by samples, ``E|X - y| - E|X - X'| / 2`` (exact for the empirical
  distribution; a point mass gives ``|x - y|``);
- :func:`interval_coverage` — share of observations inside the equal-tailed ``prob`` interval;
- :func:`mean_absolute_error` — mean ``|median - y|``;
- :func:`holdout_split` — drop the held-out LLMs' Skill-Mix rows from a combined joint table
  (their catalog and loss rows stay: a model's size and loss are known before it is evaluated);
- :func:`holdout_llms` — the held-out LLMs as new hypothetical models ``{name, params, tokens,
  family}`` for :func:`skillfit.forecasting.forecast`;
- :func:`score_draws` — posterior draws of the expected Skill-Mix score of such LLMs at given k;
- :func:`backtest_models` — score fitted models on held-out rows: the predictive distribution of
  the *measured* rate (expected score plus the Beta-Binomial scatter of the graded texts).

Scores are reported in *points* (ratio of full marks x 100) by :func:`score_table`.

Examples
--------
>>> import numpy as np
>>> round(float(crps_from_samples(np.array([0.3, 0.3, 0.3]), 0.5)), 12)
0.2
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from skillfit.errors import SkillfitError
from skillfit.intervals import interval_bounds, median_and_interval

__all__ = ["HOLDOUT_LLMS", "backtest_models", "crps_from_samples", "holdout_llms",
           "holdout_split", "interval_coverage", "mean_absolute_error", "score_draws",
           "score_table"]

#: The largest open Skill-Mix LLMs (70B+ parameters), held out by ``skillfit backtest``.
HOLDOUT_LLMS: tuple[str, ...] = ("LLaMA-2-70B-Chat", "Xwin-LM-70B-V0.1", "Falcon-180B-Chat",
                                 "Tigerbot-70B-Chat")


def crps_from_samples(samples: Any, observed: Any) -> np.ndarray:
    """CRPS of the empirical distribution of ``samples`` (last axis) at ``observed``.

    ``samples`` has shape ``(..., S)`` and ``observed`` broadcasts against ``(...)``. Uses the
    sorted-sample identity ``E|X - X'| = 2/S^2 sum_i (2i - S - 1) x_(i)``, O(S log S).
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=-1)
    y = np.asarray(observed, dtype=float)
    if x.shape[-1] == 0:
        raise SkillfitError("CRPS needs at least one sample")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise SkillfitError("CRPS: samples and observations must be finite")
    n = x.shape[-1]
    abs_err = np.abs(x - y[..., None]).mean(axis=-1)
    weights = 2.0 * np.arange(1, n + 1) - n - 1
    spread = (x * weights).sum(axis=-1) / n**2  # = E|X - X'| / 2
    return np.maximum(abs_err - spread, 0.0)


def interval_coverage(samples: Any, observed: Any, ci_prob: float = 0.89) -> float:
    """Share of ``observed`` values inside the equal-tailed ``ci_prob`` interval of ``samples``.

    Bounds count as inside (an observed 0 with a lower bound of exactly 0 is covered).
    """
    lo, hi = interval_bounds(samples, ci_prob)
    y = np.asarray(observed, dtype=float)
    inside = (y >= lo - 1e-12) & (y <= hi + 1e-12)
    return float(np.mean(inside))


def mean_absolute_error(samples: Any, observed: Any) -> float:
    """Mean absolute difference between the sample median (last axis) and ``observed``."""
    med = np.median(np.asarray(samples, dtype=float), axis=-1)
    return float(np.mean(np.abs(med - np.asarray(observed, dtype=float))))


def holdout_split(data: pd.DataFrame, llms: Iterable[str] = HOLDOUT_LLMS
                  ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a combined joint table (see ``skill_graph_data.combine``) into train and held out.

    Returns ``(train, heldout)``: ``train`` is ``data`` without the Skill-Mix rows of ``llms``
    (catalog and loss rows are kept); ``heldout`` holds exactly those removed rows.

    Raises
    ------
    SkillfitError
        If ``data`` has no ``table`` column, or a name has no Skill-Mix rows.
    """
    names = list(dict.fromkeys(llms))
    if not names:
        raise SkillfitError("holdout: no LLMs to hold out")
    if "table" not in data.columns or "llm" not in data.columns:
        raise SkillfitError("holdout: expected a combined joint table with 'table' and 'llm' columns")
    is_sm = data["table"] == "skillmix"
    present = set(data.loc[is_sm, "llm"])
    missing = [n for n in names if n not in present]
    if missing:
        raise SkillfitError(
            f"holdout: no Skill-Mix rows for {', '.join(missing)}; Skill-Mix LLMs: "
            f"{', '.join(sorted(present))}"
        )
    drop = is_sm & data["llm"].isin(names)
    if drop.sum() == is_sm.sum():
        raise SkillfitError("holdout: every Skill-Mix LLM would be held out; keep some to fit on")
    return data[~drop].reset_index(drop=True), data[drop].reset_index(drop=True)


def holdout_llms(data: pd.DataFrame, llms: Sequence[str]) -> list[dict[str, Any]]:
    """The held-out LLMs as new models ``{name, params, tokens, family}`` from the catalog rows.

    Raises SkillfitError if an LLM has no catalog row or an unknown ``params``/``tokens``.
    """
    cat = data[data["table"] == "catalog"].set_index("llm")
    out = []
    for name in llms:
        if name not in cat.index:
            raise SkillfitError(f"holdout: {name!r} has no catalog row")
        row = cat.loc[name]
        params, tokens = float(row["params"]), float(row["tokens"])
        if not (np.isfinite(params) and np.isfinite(tokens)):
            raise SkillfitError(
                f"holdout: {name!r} has unknown params or tokens in the catalog; only LLMs "
                "of known size can be forecast as new models"
            )
        out.append({"name": name, "params": params, "tokens": tokens,
                    "family": None if pd.isna(row["family"]) else str(row["family"])})
    return out


def score_draws(model: Any, llms: Sequence[dict[str, Any]], ks: Any, random_seed: int | None = 0
                ) -> np.ndarray:
    """Posterior draws of the expected Skill-Mix score, shape ``(n_llm, n_k, S)``.

    Same computation as :func:`skillfit.forecasting.forecast` (``quantity == "score"``), but
    returning the draws instead of their summary.
    """
    from skillfit.forecasting import gamma_draws, pi_and_score_draws, resolve_llms

    _, log_r = resolve_llms(model, llms, random_seed)
    return pi_and_score_draws(model, log_r, np.asarray(ks, dtype=float),
                              gamma_draws(model, llms))[1]


def score_table(draws: np.ndarray, observed: Any, ci_prob: float = 0.89) -> dict[str, float]:
    """CRPS, interval coverage and MAE of ``draws`` (``(..., S)``) against ``observed``, in points.

    Returns ``{"crps": ..., "coverage": ..., "mae": ..., "n": ...}``; CRPS and MAE are
    multiplied by 100 (Skill-Mix points), coverage is a fraction.
    """
    y = np.asarray(observed, dtype=float)
    return {
        "crps": float(np.mean(crps_from_samples(draws, y)) * 100.0),
        "coverage": interval_coverage(draws, y, ci_prob),
        "mae": mean_absolute_error(draws, y) * 100.0,
        "n": int(y.size),
    }


def backtest_models(models: Mapping[str, Any], data: pd.DataFrame, heldout: pd.DataFrame,
                    names: Sequence[str], metric: str = "ratio_of_full_marks",
                    ci_prob: float = 0.89, random_seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score fitted ``{link: model}`` on the ``heldout`` Skill-Mix rows.

    Each held-out LLM is forecast as a new model of its size and family
    (:func:`holdout_llms`). The forecast scored is the posterior predictive of the *measured*
    rate: the expected score plus the Beta-Binomial scatter of ``n_combinations`` graded texts
    (a measured 0 of 100 can fall inside that interval, never inside the expected score's).

    Parameters
    ----------
    models : mapping
        ``{link: fitted SkillGraphModel}`` (fitted without the held-out rows).
    data : pandas.DataFrame
        The full combined joint table (for the held-out LLMs' catalog rows).
    heldout : pandas.DataFrame
        The held-out Skill-Mix rows (see :func:`holdout_split`).
    names : sequence of str
        The held-out LLMs.
    metric : str
        The Skill-Mix metric scored.
    ci_prob : float
        Mass of the equal-tailed interval whose coverage is reported.
    random_seed : int
        Seed of the simulated measurements.

    Returns
    -------
    cells : pandas.DataFrame
        One row per (link, llm, k): ``observed``, predictive ``median``, ``lower``, ``upper``
        and ``crps_points``.
    summary : pandas.DataFrame
        One row per link (index ``link``): ``crps_points``, ``coverage``, ``mae_points``,
        ``n_cells``, ``max_r_hat``, ``divergences``.
    """
    from skillfit.models.links import simulate_rates

    names = list(names)
    obs = heldout[heldout["metric"] == metric]
    if obs.empty:
        raise SkillfitError(f"backtest: the held-out LLMs have no {metric!r} rows")
    llms = holdout_llms(data, names)
    k_all = np.arange(1, int(obs["k"].max()) + 1, dtype=float)
    n_trials = obs["n_combinations"].to_numpy(int)[:, None]
    idx_l = np.array([names.index(m) for m in obs["llm"]])
    idx_k = obs["k"].to_numpy(int) - 1
    y = obs["value"].to_numpy(float)
    cells, summary = [], []
    for link, model in models.items():
        draws = score_draws(model, llms, k_all)  # (n_llm, K, S)
        kappa = np.asarray(model.shared_parameters()["kappa"], float)[None, :]
        rates = simulate_rates(draws[idx_l, idx_k, :], kappa, n_trials,
                               np.random.default_rng(random_seed))
        crps = crps_from_samples(rates, y) * 100.0
        med, lo, hi = median_and_interval(rates, ci_prob)
        for j, (name, k) in enumerate(zip(obs["llm"], obs["k"], strict=True)):
            cells.append({"link": link, "llm": name, "k": int(k), "observed": y[j],
                          "median": med[j], "lower": lo[j], "upper": hi[j],
                          "crps_points": crps[j]})
        s = score_table(rates, y, ci_prob)
        diag = model.diagnostics()
        summary.append({"link": link, "crps_points": s["crps"], "coverage": s["coverage"],
                        "mae_points": s["mae"], "n_cells": s["n"],
                        "max_r_hat": diag["max_r_hat"], "divergences": diag["divergences"]})
    return pd.DataFrame(cells), pd.DataFrame(summary).set_index("link")
