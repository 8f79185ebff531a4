"""Predictive checks as tables: what the plots draw, computed once and usable on their own.

Every function takes a model and returns a tidy :class:`pandas.DataFrame`; the figures in
:mod:`skillfit.plots` take these tables (never a model), so a user can plot their own.

- :func:`fitted_cells` — the fitted expected Skill-Mix score of every observed cell;
- :func:`prior_predictive_cells` — the prior predictive of every observed cell's measured rate
  (do the priors allow the data without being absurd?);
- :func:`scaling_runs` and :func:`scaling_frontier` — a fitted scaling law's per-run posterior
  predictive and its compute-optimal frontier;
- :func:`scaling_draws` — posterior draws of the law's exponents, E and the compute-optimal
  tokens per parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillfit.intervals import CI_PROB, median_and_interval
from skillfit.models.base import quiet_pymc
from skillfit.scaling import training_compute

if TYPE_CHECKING:
    from skillfit.models.scaling_law import ScalingLawModel
    from skillfit.models.skill_graph import SkillGraphModel

__all__ = ["fitted_cells", "prior_predictive_cells", "prior_sensitivity", "scaling_draws",
           "scaling_frontier",
           "scaling_runs"]


def _cells_frame(model: SkillGraphModel) -> pd.DataFrame:
    x = model.inputs
    return pd.DataFrame({"benchmark": np.array(x.benchmarks)[x.benchmark_of_cell()],
                         "llm": np.array(x.llms)[x.cell_llm], "k": x.cell_k.astype(int),
                         "observed": x.observed_rates(), "published": x.cell_value})


def fitted_cells(model: SkillGraphModel, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Posterior of the expected score of every observed Skill-Mix cell.

    Columns ``benchmark, llm, k, observed`` (successes / n), ``published`` (the table's value),
    ``median, lower, upper`` (equal-tailed ``ci_prob``) of the expected score
    (the model's ``score``, :func:`skillfit.models.links.score_probability`: ``pi (1 - (1 -
    gamma)^3)`` by default, with each cell's LLM's ``gamma``).
    """
    draws = model.cell_scores().T  # (cell, S)
    med, lo, hi = median_and_interval(draws, ci_prob)
    out = _cells_frame(model).assign(median=med, lower=lo, upper=hi)
    out.attrs.update({"ci_prob": float(ci_prob), "link": model.link})
    return out


def prior_predictive_cells(model: SkillGraphModel, draws: int = 500,
                           random_seed: Any = 0) -> pd.DataFrame:
    """Prior predictive of every observed cell's measured rate ``successes / n`` (a rate
    published without trials: the rate itself).

    Simulated from the model's priors alone (the data enter only through the cells' ``n`` and
    the LLMs' sizes) with :meth:`~skillfit.models.base.ModelBuilder.sample_prior_predictive`, so
    the draws are also kept as ``model.prior_idata``; an unbuilt model is built on the bundled
    data.

    Returns
    -------
    pandas.DataFrame
        Columns ``benchmark, llm, k, observed, published, median, lower_0.5, upper_0.5,
        lower_0.89, upper_0.89`` (equal-tailed) and ``inside`` (observed within the 89% band);
        ``attrs["draws"]`` and ``attrs["link"]``.
    """
    if getattr(model, "model", None) is None:
        model.build_model()
    with quiet_pymc():
        prior = model.sample_prior_predictive(samples=int(draws), random_seed=random_seed)
    successes = prior["prior_predictive"]["successes"]
    if "outcome" in successes.dims:  # all_skills: the full marks are the first outcome
        successes = successes.isel(outcome=0)
    n_cell = successes.sizes["cell"]
    sims = np.asarray(successes.transpose(..., "cell").values, float).reshape(-1, n_cell)
    x = model.inputs
    rates = (sims / np.maximum(x.cell_n, 1)[None, :]).T  # (cell, S)
    rated = x.rate_cells()
    if rated.size:  # rates published without trials are observed as rates
        drawn = prior["prior_predictive"]["rate"].transpose(..., "rate_cell").values
        rates[rated] = np.asarray(drawn, float).reshape(-1, rated.size).T
    out = _cells_frame(model)
    med, lo89, hi89 = median_and_interval(rates, 0.89)
    _, lo50, hi50 = median_and_interval(rates, 0.5)
    out = out.assign(median=med, **{"lower_0.5": lo50, "upper_0.5": hi50,
                                    "lower_0.89": lo89, "upper_0.89": hi89})
    out["inside"] = (out["observed"] >= out["lower_0.89"]) & (out["observed"] <= out["upper_0.89"])
    out.attrs.update({"draws": int(rates.shape[1]), "link": model.link})
    return out


def scaling_runs(model: ScalingLawModel, ci_prob: float = CI_PROB) -> pd.DataFrame:
    """Every run of a fitted scaling law with its posterior predictive loss.

    Columns ``params, tokens, compute`` (6ND), ``loss``, ``used`` (in the fit, or excluded by
    the configuration), predictive ``median, lower, upper`` and ``inside``.
    """
    df = model.fit_data
    used = model.rows_used()
    pred = model.predict(df["params"].to_numpy(), df["tokens"].to_numpy(), ci_prob)
    out = pd.DataFrame({
        "params": df["params"].to_numpy(), "tokens": df["tokens"].to_numpy(),
        "compute": training_compute(df["params"], df["tokens"]),
        "loss": df["loss"].to_numpy(), "used": df.index.isin(used.index),
        "median": pred["median"].to_numpy(), "lower": pred["lower"].to_numpy(),
        "upper": pred["upper"].to_numpy()})
    out["inside"] = (out["loss"] >= out["lower"]) & (out["loss"] <= out["upper"])
    out.attrs["ci_prob"] = float(ci_prob)
    return out


def scaling_frontier(model: ScalingLawModel, compute: Any, ci_prob: float = CI_PROB
                     ) -> pd.DataFrame:
    """Posterior of the compute-optimal loss ``L(N_opt(C), D_opt(C))`` along ``compute``.

    Columns ``compute, median, lower, upper``.
    """
    opt = model.optimal_allocation(np.asarray(compute, float), ci_prob)
    loss = opt[opt["quantity"] == "loss"]
    out = loss[["compute", "median", "lower", "upper"]].reset_index(drop=True)
    out.attrs["ci_prob"] = float(ci_prob)
    return out


def scaling_draws(model: ScalingLawModel, compute: float = 1e24) -> dict[str, np.ndarray]:
    """Posterior draws of ``E``, ``alpha``, ``beta`` and the compute-optimal tokens per
    parameter at ``compute`` FLOP (key ``tokens_per_param``)."""
    draws = model.posterior_laws()
    law = model.law_draws(0)[0]
    n_opt, d_opt = law.optimal_allocation(np.asarray(compute, float))
    return {"E": draws["E"], "alpha": draws["alpha"], "beta": draws["beta"],
            "tokens_per_param": np.asarray(d_opt) / np.asarray(n_opt)}


def prior_sensitivity(model: Any, var_names: Any = None) -> pd.DataFrame:
    """Power-scaling prior and likelihood sensitivity of a fitted model (``arviz_stats``).

    Adds the ``log_prior`` group to ``model.idata`` (PyMC's ``compute_log_prior``; the fit must
    hold its ``log_likelihood`` group, i.e. ``fit(..., predictive=True)``) and returns
    :func:`arviz_stats.psense_summary`: per parameter, the prior and likelihood sensitivity and
    the diagnosis ("✓" or "potential prior-data conflict" / "potential strong prior / weak
    likelihood").

    Parameters
    ----------
    model : ModelBuilder
        A fitted model.
    var_names : sequence of str, optional
        Parameters to report (default: the model's summary variables).

    Returns
    -------
    pandas.DataFrame
        One row per parameter: ``prior, likelihood, diagnosis``.
    """
    import warnings

    import pymc as pm
    from arviz_stats import psense_summary

    idata = model.idata
    if "log_likelihood" not in idata:
        model.compute_log_likelihood()
        idata = model.idata
    if "log_prior" not in idata:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.stats.compute_log_prior(idata, model=model.model, extend_inferencedata=True,
                                       progressbar=False)
    names = list(var_names) if var_names is not None else model._summary_vars()
    names = [v for v in names if v in idata["posterior"]]
    return pd.DataFrame(psense_summary(idata, var_names=names))

