"""Figures of a fitted scaling law, drawn from tables (never from a model).

- :func:`loss_vs_compute_figure`: the runs (loss vs compute, coloured by N) with the posterior
  compute-optimal frontier and its band (optionally next to published fits of the same corpus);
  and a posterior-predictive check of every run (observed loss vs its predictive interval).
  Tables: :func:`skillfit.checks.scaling_runs`, :func:`skillfit.checks.scaling_frontier`.
- :func:`posterior_vs_published_figure`: posteriors of E, alpha, beta and the compute-optimal
  tokens per parameter (:func:`skillfit.checks.scaling_draws`), optionally with published point
  estimates.

Published fits (Hoffmann et al. 2022; Epoch AI's replication, Besiroglu et al. 2024) describe
one corpus and tokenizer (MassiveText): they are drawn only when asked for with
``references=PUBLISHED``, which is right for the bundled ``chinchilla`` runs and meaningless for
another corpus.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from skillfit.intervals import interval_label
from skillfit.scaling import EPOCH, HOFFMANN, ChinchillaLaw

__all__ = ["PUBLISHED", "loss_vs_compute_figure", "posterior_vs_published_figure"]

#: Published fits on the Chinchilla (MassiveText) runs: ``{label: (law, colour, line style)}``.
PUBLISHED: dict[str, tuple[ChinchillaLaw, str, str]] = {
    "Hoffmann et al. 2022": (HOFFMANN, "C3", ":"), "Epoch AI 2024": (EPOCH, "k", "--")}


def loss_vs_compute_figure(runs: pd.DataFrame, frontier: pd.DataFrame,
                           references: Mapping[str, tuple[ChinchillaLaw, str, str]] | None = None
                           ) -> Figure:
    """Two panels: runs + compute-optimal frontier vs compute; per-run posterior predictive check.

    Parameters
    ----------
    runs : pandas.DataFrame
        :func:`skillfit.checks.scaling_runs`: ``params, compute, loss, used`` and the predictive
        ``median, lower, upper, inside``; ``attrs["ci_prob"]`` labels the intervals.
    frontier : pandas.DataFrame
        :func:`skillfit.checks.scaling_frontier`: ``compute, median, lower, upper``.
    references : mapping, optional
        Published laws to draw, e.g. :data:`PUBLISHED` (only for runs on their corpus).
    """
    band = interval_label(runs.attrs.get("ci_prob", 0.89))
    used, dropped = runs[runs["used"]], runs[~runs["used"]]
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
    norm = LogNorm(runs["params"].min(), runs["params"].max())
    sc = ax.scatter(used["compute"], used["loss"], c=used["params"], norm=norm, cmap="viridis",
                    s=14, alpha=0.85, label="runs used in the fit")
    if len(dropped):
        ax.scatter(dropped["compute"], dropped["loss"], c="none", edgecolors="red", s=30,
                   lw=1.0, label=f"runs excluded ({len(dropped)})")
    fig.colorbar(sc, ax=ax, label="parameters N")
    ax.fill_between(frontier["compute"], frontier["lower"], frontier["upper"], color="C1",
                    alpha=0.35, label=f"posterior optimal loss, {band}")
    ax.plot(frontier["compute"], frontier["median"], color="C1", lw=1.8,
            label="posterior median frontier")
    for label, (law, color, ls) in (references or {}).items():
        ax.plot(frontier["compute"], law.optimal_loss(frontier["compute"].to_numpy()),
                color=color, ls=ls, lw=1.2, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training compute C = 6ND (FLOP)")
    ax.set_ylabel("final loss (nats/token)")
    span = float(runs["loss"].max() - runs["loss"].min())  # every run is shown, whatever its units
    ax.set_ylim(float(runs["loss"].min()) - 0.05 * span, float(runs["loss"].max()) + 0.05 * span)
    ax.set_title("Runs and the compute-optimal frontier L(N_opt(C), D_opt(C))", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, which="both", lw=0.4)

    rel = lambda v: 100.0 * (np.asarray(v, float) / runs["median"].to_numpy() - 1.0)  # noqa: E731
    mask = runs["used"].to_numpy()
    inside = runs["inside"].to_numpy()
    obs = rel(runs["loss"])
    ymax = max(3.0, float(np.nanpercentile(np.abs(obs[mask]), 99)) * 1.3)
    compute = runs["compute"].to_numpy()
    ax2.vlines(compute[mask], rel(runs["lower"])[mask], rel(runs["upper"])[mask], color="C0",
               alpha=0.25, lw=2.0, label=f"{band} of each run's posterior predictive")
    ax2.scatter(compute[mask & inside], obs[mask & inside], s=10, color="C0",
                label="observed, inside", zorder=3)
    ax2.scatter(compute[mask & ~inside], obs[mask & ~inside], s=14, color="C3",
                label="observed, outside", zorder=3)
    if (~mask).any():
        clipped = np.clip(obs[~mask], -0.95 * ymax, 0.95 * ymax)
        ax2.scatter(compute[~mask], clipped, s=40, marker="^", c="none", edgecolors="red",
                    label="excluded runs (clipped to the axis)", zorder=3)
    ax2.axhline(0, color="k", lw=0.7)
    ax2.set_xscale("log")
    ax2.set_ylim(-ymax, ymax)
    ax2.set_xlabel("training compute C = 6ND (FLOP)")
    ax2.set_ylabel("observed / predictive median - 1 (%)")
    ax2.set_title(f"Posterior predictive check: {inside[mask].mean():.0%} of fitted runs inside "
                  f"their {band}", fontsize=10)
    ax2.legend(fontsize=8, loc="upper right")
    ax2.grid(alpha=0.3, lw=0.4)
    return fig


def posterior_vs_published_figure(draws: Mapping[str, Any], compute: float = 1e24,
                                  references: Mapping[str, tuple[ChinchillaLaw, str, str]]
                                  | None = None) -> Figure:
    """Posterior densities of E, alpha, beta and D_opt/N_opt at ``compute``.

    ``draws`` is :func:`skillfit.checks.scaling_draws` (computed at the same ``compute``);
    ``references`` (e.g. :data:`PUBLISHED`) adds published point estimates.
    """
    refs = dict(references or {})
    panels = [
        ("E", "E (irreducible loss, nats)", lambda law: law.E),
        ("alpha", "alpha (exponent of N)", lambda law: law.a),
        ("beta", "beta (exponent of D)", lambda law: law.b),
        ("tokens_per_param", f"optimal tokens per parameter at C = {compute:.0e}",
         lambda law: float(np.divide(*law.optimal_allocation(compute)[::-1]))),
    ]
    fig = Figure(figsize=(13, 4.2), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, (key, title, getter) in zip(axes, panels, strict=True):
        x = np.asarray(draws[key], float)
        lo, hi = np.percentile(x, [0.5, 99.5])
        pub = [getter(law) for law, _, _ in refs.values()]
        lo, hi = min(lo, *pub), max(hi, *pub)
        if key == "tokens_per_param":  # spans a decade or more: log scale
            bins = np.geomspace(lo / 1.1, hi * 1.1, 60)
            ax.set_xscale("log")
        else:
            pad = 0.05 * (hi - lo)
            bins = np.linspace(lo - pad, hi + pad, 50)
        ax.hist(x, bins=bins, color="C0", alpha=0.6, density=True, label="posterior")
        for (label, (_law, color, ls)), value in zip(refs.items(), pub, strict=True):
            ax.axvline(value, color=color, ls=ls, lw=1.5, label=f"{label}: {value:.3g}")
        q = np.percentile(x, [5.5, 50, 94.5])
        ax.set_title(f"{title}\nmedian {q[1]:.3g} [89% equal-tailed: {q[0]:.3g}, {q[2]:.3g}]",
                     fontsize=9)
        ax.set_yticks([])
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
        ax.tick_params(labelsize=8)
    fig.suptitle("Posterior" + (" vs published point estimates" if refs else ""), fontsize=11)
    return fig
