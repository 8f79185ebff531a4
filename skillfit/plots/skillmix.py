"""Plots of a fitted :class:`~skillfit.models.skill_graph.SkillGraphModel`.

- :func:`kcurves_figure`: per Skill-Mix LLM, the observed ratio of full marks against k with the
  posterior of the expected score (median and interval) — per observed cell from the sampled
  ``pi`` and ``gamma``, and as a curve over k = 1..k_max from :func:`skillfit.forecast.forecast`.
- :func:`fan_chart_figure`: the forecast ``pi_k`` of a new compute-optimal LLM against training
  compute (50% and 89% bands) for several k, with the observed open LLMs at 6ND.
- :func:`prior_predictive_figure`: per Skill-Mix LLM, the *prior* predictive distribution of
  the ratio of full marks (median, 50% and 89% bands) against k with the observed values: do
  the priors allow the data without being absurd? Works before fitting.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from skillfit.forecast import forecast
from skillfit.intervals import median_and_interval
from skillfit.models.links import score_probability

__all__ = ["cell_score_draws", "fan_chart_figure", "kcurves_figure", "observed_compute",
           "prior_predictive_figure", "prior_predictive_ratios"]

_MARKERS = "osD^v<>pPX*h"


def _panel_grid(n: int, ncols: int, width: float, height: float, extra: float
                ) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels (shared axes), ``ncols`` per row; axes flattened."""
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(width * ncols, height * nrows + extra), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()


def _finish_grid(fig: Figure, axes: np.ndarray, n: int, ncols: int, xlabel: str, ylabel: str,
                 label_size: float = 8) -> None:
    """Hide unused panels, label the outer axes, put one legend (of panel 0) below."""
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel(ylabel, fontsize=label_size)
    for ax in axes[max(0, n - ncols):n]:
        ax.set_xlabel(xlabel, fontsize=label_size)
        ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)


def cell_score_draws(model: Any) -> np.ndarray:
    """Posterior draws of the expected score of every observed cell, shape ``(n_cell, S)``."""
    post = model.posterior
    pi = post["pi"].values.reshape(-1, post.sizes["cell"])  # (S, cell)
    gamma = np.asarray(model.shared_parameters()["gamma"], float)
    return np.asarray(score_probability(pi, gamma[:, None], np)).T


def observed_compute(model: Any) -> dict[str, float]:
    """Training compute 6ND (FLOP) of each Skill-Mix LLM whose base has known N and D."""
    x = model.inputs
    out = {}
    for i, name in enumerate(x.llms):
        b = x.base_of_llm[i]
        if np.isfinite(x.log_params[b]) and np.isfinite(x.log_tokens[b]):
            out[name] = float(6.0 * np.exp(x.log_params[b] + x.log_tokens[b]))
    return out


def kcurves_figure(model: Any, hdi_prob: float = 0.89, k_max: int = 6, ncols: int = 5) -> Figure:
    """Observed Skill-Mix ratio of full marks vs k per LLM, with the posterior expected score."""
    x = model.inputs
    llms = list(x.llms)
    cells = cell_score_draws(model)
    cell_q = np.stack(median_and_interval(cells, hdi_prob))
    k_max = max(int(k_max), int(np.max(x.cell_k)))
    table = forecast(model, [{"name": m, "of": m, "factor": 1.0} for m in llms], k_max=k_max,
                     hdi_prob=hdi_prob, score_at_least=())
    score = table[table["quantity"] == "score"]
    fig, axes = _panel_grid(len(llms), ncols, 3.1, 2.9, 0.8)
    for i, (ax, name) in enumerate(zip(axes, llms, strict=False)):
        curve = score[score["llm"] == name]
        ks = curve["k"].to_numpy(float)
        ax.fill_between(ks, curve["lower"], curve["upper"], color="C0", alpha=0.18, lw=0,
                        label=f"expected score, {hdi_prob:.0%} interval (any k)")
        ax.plot(ks, curve["median"], color="C0", lw=1.2, label="posterior median")
        sel = np.flatnonzero(x.cell_llm == i)
        kk = x.cell_k[sel]
        ax.errorbar(kk + 0.08, cell_q[0, sel], yerr=[cell_q[0, sel] - cell_q[1, sel],
                                                     cell_q[2, sel] - cell_q[0, sel]],
                    fmt="s", ms=3.5, color="C1", lw=1.2, capsize=2,
                    label=f"fitted cell: median, {hdi_prob:.0%} interval")
        ax.plot(kk - 0.08, x.cell_value[sel], "o", color="k", ms=4.5, label="observed (Skill-Mix)")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xticks(np.arange(1, k_max + 1))
        ax.grid(alpha=0.3, lw=0.4)
        ax.tick_params(labelsize=8)
    _finish_grid(fig, axes, len(llms), ncols, "k (skills per task)", "ratio of full marks")
    fig.suptitle(f"Skill-Mix k-curves: observed vs posterior expected score "
                 f"({model.link} link, best of 3 generations)", fontsize=11)
    return fig


def fan_chart_figure(model: Any, ks: Sequence[int] = (2, 3, 4, 5),
                     compute_grid: Any = None, quantity: str = "pi") -> Figure:
    """Forecast ``pi_k`` (or ``score``) of a new compute-optimal LLM vs training compute.

    Bands are equal-tailed 50% and 89% posterior intervals; the new LLM has a typical family
    and fine-tuning offset (their posterior spread is in the bands). Observed open LLMs are
    placed at their 6ND compute at their own posterior median; closed LLMs (unknown N, D) and
    LLMs of unknown D are omitted.
    """
    if quantity not in ("pi", "score"):
        raise ValueError("quantity must be 'pi' or 'score'")
    grid = np.logspace(22, 27, 30) if compute_grid is None else np.asarray(compute_grid, float)
    ks = [int(k) for k in ks]
    rows = [{"name": f"C={c:.4g}", "compute": float(c)} for c in grid]
    inner = forecast(model, rows, k_max=max(ks), hdi_prob=0.5, score_at_least=())
    outer = forecast(model, rows, k_max=max(ks), hdi_prob=0.89, score_at_least=())
    placed = observed_compute(model)
    own = forecast(model, [{"name": m, "of": m, "factor": 1.0} for m in placed], k_max=max(ks),
                   score_at_least=()) if placed else None
    ncols = 2 if len(ks) > 1 else 1
    fig, axes = _panel_grid(len(ks), ncols, 6.2, 4.0, 0.9)
    ylabel = {"pi": "pi_k: chance a random k-tuple is handled",
              "score": "expected Skill-Mix ratio of full marks"}[quantity]
    for ax, k in zip(axes, ks, strict=False):
        sel_i = inner[(inner["quantity"] == quantity) & (inner["k"] == k)]
        sel_o = outer[(outer["quantity"] == quantity) & (outer["k"] == k)]
        ax.fill_between(grid, sel_o["lower"], sel_o["upper"], color="C0", alpha=0.15, lw=0,
                        label="new compute-optimal LLM: 89% interval")
        ax.fill_between(grid, sel_i["lower"], sel_i["upper"], color="C0", alpha=0.3, lw=0,
                        label="50% interval")
        ax.plot(grid, sel_i["median"], color="C0", lw=1.8, label="median")
        if own is not None:
            pts = own[(own["quantity"] == quantity) & (own["k"] == k)].set_index("llm")
            for j, (name, c) in enumerate(placed.items()):
                ax.plot(c, pts.at[name, "median"], _MARKERS[j % len(_MARKERS)], ms=6,
                        color=f"C{(j + 1) % 10}", mec="k", mew=0.5,
                        label=f"{name} (posterior median)")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"k = {k}", fontsize=10)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        ax.tick_params(labelsize=8)
    _finish_grid(fig, axes, len(ks), ncols, "training compute C = 6ND (FLOP)", ylabel,
                 label_size=9)
    fig.suptitle(f"Forecast {quantity} vs training compute ({model.link} link; closed LLMs "
                 "and LLMs of unknown size not shown)", fontsize=11)
    return fig


def prior_predictive_ratios(model: Any, draws: int = 500, random_seed: Any = 0) -> np.ndarray:
    """Prior predictive draws of every observed cell's ratio of full marks, shape ``(n_cell, S)``.

    Simulated ``successes / n`` from the model's priors alone (the data enter only through the
    cells' ``n`` and the LLMs' sizes). Uses :meth:`ModelBuilder.sample_prior_predictive`, so the
    draws are also kept as ``model.prior_idata``; an unbuilt model is built on the bundled data.
    """
    if getattr(model, "model", None) is None:
        model.build_model()
    pymc_log = logging.getLogger("pymc")
    level = pymc_log.level
    pymc_log.setLevel(logging.WARNING)  # no "Sampling: [...]" line on stderr
    try:
        with warnings.catch_warnings():
            # Numba runs the Beta-Binomial RNG in object mode: slower, same draws.
            warnings.filterwarnings("ignore", message="Numba will use object mode")
            prior = model.sample_prior_predictive(samples=int(draws), random_seed=random_seed)
    finally:
        pymc_log.setLevel(level)
    successes = prior["prior_predictive"]["successes"]
    n_cell = successes.sizes["cell"]
    sims = np.asarray(successes.transpose(..., "cell").values, float).reshape(-1, n_cell)
    return (sims / model.inputs.cell_n[None, :]).T


def prior_predictive_figure(model: Any, draws: int = 500, random_seed: Any = 0,
                            ncols: int = 5) -> Figure:
    """Prior predictive check of the Skill-Mix observations, one panel per LLM.

    For each observed cell (LLM, k) the ratio of full marks ``successes / n`` is simulated from
    the priors (``draws`` draws, see :func:`prior_predictive_ratios`); each panel shows its
    median and equal-tailed 50% and 89% bands against k, with the observed ratios. Bands that
    miss the observations mean the priors rule the data out; bands that fill 0..1 everywhere
    mean they say little (neither is wrong by itself, but both deserve a look). The title
    counts the observed cells inside their 89% prior band.
    """
    sims = prior_predictive_ratios(model, draws=draws, random_seed=random_seed)
    x = model.inputs
    med, lo89, hi89 = median_and_interval(sims, 0.89)
    _, lo50, hi50 = median_and_interval(sims, 0.5)
    observed = x.cell_successes / x.cell_n
    inside = (observed >= lo89) & (observed <= hi89)
    llms = list(x.llms)
    ncols = max(1, min(int(ncols), len(llms)))
    fig, axes = _panel_grid(len(llms), ncols, 3.1, 2.9, 1.0)
    k_lo, k_hi = int(np.min(x.cell_k)), int(np.max(x.cell_k))
    for i, (ax, name) in enumerate(zip(axes, llms, strict=False)):
        sel = np.flatnonzero(x.cell_llm == i)
        sel = sel[np.argsort(x.cell_k[sel], kind="stable")]
        kk = x.cell_k[sel]
        ax.fill_between(kk, lo89[sel], hi89[sel], color="C0", alpha=0.15, lw=0,
                        label="prior predictive 89% interval")
        ax.fill_between(kk, lo50[sel], hi50[sel], color="C0", alpha=0.3, lw=0,
                        label="prior predictive 50% interval")
        ax.plot(kk, med[sel], color="C0", lw=1.5, marker=".", ms=4,
                label="prior predictive median")
        ax.plot(kk, observed[sel], "o", color="k", ms=4.5, zorder=3,
                label="observed (successes / n)")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlim(k_lo - 0.3, k_hi + 0.3)
        ax.set_xticks(np.arange(k_lo, k_hi + 1))
        ax.grid(alpha=0.3, lw=0.4)
        ax.tick_params(labelsize=8)
    _finish_grid(fig, axes, len(llms), ncols, "k (skills per task)", "ratio of full marks")
    fig.suptitle(
        f"Prior predictive check: Skill-Mix ratio of full marks simulated from the priors alone "
        f"({model.link} link, {sims.shape[1]} draws)\n"
        f"{int(inside.sum())} of {len(inside)} observed cells lie inside their 89% prior "
        "predictive interval", fontsize=11)
    return fig
