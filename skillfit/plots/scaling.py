"""Plots of a fitted :class:`~skillfit.models.scaling_law.ScalingLawModel`.

- :func:`loss_vs_compute_figure`: the runs (loss vs compute, coloured by N) with the posterior
  compute-optimal frontier and its band, next to the published fits; and a posterior-predictive
  check of every run (observed loss vs its predictive interval).
- :func:`posterior_vs_published_figure`: posteriors of E, alpha, beta and the compute-optimal
  tokens per parameter, with Hoffmann et al.'s and Epoch's point estimates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from skillfit.scaling import EPOCH, HOFFMANN

__all__ = ["loss_vs_compute_figure", "posterior_vs_published_figure"]

_PUBLISHED = {"Hoffmann et al. 2022": (HOFFMANN, "C3", ":"), "Epoch AI 2024": (EPOCH, "k", "--")}


def loss_vs_compute_figure(model: Any, hdi_prob: float = 0.89) -> Figure:
    """Two panels: data + compute-optimal frontier vs compute; per-run posterior predictive check."""
    df = model.fit_data
    used = model._rows_used(df)
    dropped = df.drop(used.index)
    compute = 6.0 * df["params"] * df["tokens"]
    fig = Figure(figsize=(13, 5.2), layout="constrained")
    ax, ax2 = fig.subplots(1, 2, width_ratios=[1.15, 1.0])
    norm = LogNorm(df["params"].min(), df["params"].max())
    sc = ax.scatter(compute[used.index], used["loss"], c=used["params"], norm=norm, cmap="viridis",
                    s=14, alpha=0.85, label="runs used in the fit")
    if len(dropped):
        ax.scatter(compute[dropped.index], dropped["loss"], c="none", edgecolors="red", s=30,
                   lw=1.0, label=f"runs excluded ({len(dropped)})")
    fig.colorbar(sc, ax=ax, label="parameters N")
    grid = np.logspace(np.log10(compute.min()), np.log10(compute.max() * 30), 60)
    opt = model.optimal_allocation(grid, hdi_prob=hdi_prob)
    loss = opt[opt["quantity"] == "loss"]
    ax.fill_between(grid, loss["lower"], loss["upper"], color="C1", alpha=0.35,
                    label=f"posterior optimal loss, {hdi_prob:.0%} HDI")
    ax.plot(grid, loss["median"], color="C1", lw=1.8, label="posterior median frontier")
    for label, (law, color, ls) in _PUBLISHED.items():
        ax.plot(grid, law.optimal_loss(grid), color=color, ls=ls, lw=1.2, label=label)
    ax.set_xscale("log")
    ax.set_xlabel("training compute C = 6ND (FLOP)")
    ax.set_ylabel("final loss (nats/token)")
    top = min(df["loss"].max() + 0.1, 4.0)
    ax.set_ylim(max(1.7, used["loss"].min() - 0.3), top)
    off = int((dropped["loss"] > top).sum()) if len(dropped) else 0
    if off:
        ax.annotate(f"{off} excluded run(s) above the plot", (0.02, 0.97), xycoords="axes fraction",
                    fontsize=8, va="top", color="red")
    ax.set_title("Runs and the compute-optimal frontier L(N_opt(C), D_opt(C))", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")
    ax.grid(alpha=0.3, which="both", lw=0.4)

    pred = model.predict(df["params"].to_numpy(), df["tokens"].to_numpy(), hdi_prob=hdi_prob)
    rel = lambda v: 100.0 * (v / pred["median"].to_numpy() - 1.0)  # noqa: E731
    inside = (df["loss"].to_numpy() >= pred["lower"].to_numpy()) & (
        df["loss"].to_numpy() <= pred["upper"].to_numpy())
    used_mask = df.index.isin(used.index)
    cover = inside[used_mask].mean()
    obs = rel(df["loss"].to_numpy())
    ymax = max(3.0, float(np.nanpercentile(np.abs(obs[used_mask]), 99)) * 1.3)
    ax2.vlines(compute[used_mask], rel(pred["lower"].to_numpy())[used_mask],
               rel(pred["upper"].to_numpy())[used_mask], color="C0", alpha=0.25, lw=2.0,
               label=f"{hdi_prob:.0%} posterior predictive interval of each run")
    ax2.scatter(compute[used_mask & inside], obs[used_mask & inside], s=10, color="C0",
                label="observed, inside", zorder=3)
    ax2.scatter(compute[used_mask & ~inside], obs[used_mask & ~inside], s=14, color="C3",
                label="observed, outside", zorder=3)
    if len(dropped):
        clipped = np.clip(obs[~used_mask], -0.95 * ymax, 0.95 * ymax)
        ax2.scatter(compute[~used_mask], clipped, s=40, marker="^", c="none", edgecolors="red",
                    label="excluded runs (clipped to the axis)", zorder=3)
    ax2.axhline(0, color="k", lw=0.7)
    ax2.set_xscale("log")
    ax2.set_ylim(-ymax, ymax)
    ax2.set_xlabel("training compute C = 6ND (FLOP)")
    ax2.set_ylabel("observed / predictive median - 1 (%)")
    ax2.set_title(f"Posterior predictive check: {cover:.0%} of fitted runs inside their "
                  f"{hdi_prob:.0%} interval", fontsize=10)
    ax2.legend(fontsize=8, loc="upper right")
    ax2.grid(alpha=0.3, lw=0.4)
    return fig


def posterior_vs_published_figure(model: Any, compute: float = 1e24) -> Figure:
    """Posterior densities of E, alpha, beta and D_opt/N_opt at ``compute``, with published fits."""
    draws = model.posterior_laws()
    opt = model.law_draws(0)[0]
    n_opt, d_opt = opt.optimal_allocation(np.asarray(compute))
    ratio = np.asarray(d_opt) / np.asarray(n_opt)
    panels = [
        ("E", draws["E"], "E (irreducible loss, nats)", lambda law: law.E),
        ("alpha", draws["alpha"], "alpha (exponent of N)", lambda law: law.a),
        ("beta", draws["beta"], "beta (exponent of D)", lambda law: law.b),
        ("ratio", ratio, f"optimal tokens per parameter at C = {compute:.0e}",
         lambda law: float(np.divide(*law.optimal_allocation(compute)[::-1]))),
    ]
    fig = Figure(figsize=(13, 4.2), layout="constrained")
    axes = fig.subplots(1, 4)
    for ax, (key, x, title, getter) in zip(axes, panels, strict=True):
        lo, hi = np.percentile(x, [0.5, 99.5])
        pub = [getter(law) for law, _, _ in _PUBLISHED.values()]
        lo, hi = min(lo, *pub), max(hi, *pub)
        if key == "ratio":  # spans a decade or more: log scale
            bins = np.geomspace(lo / 1.1, hi * 1.1, 60)
            ax.set_xscale("log")
        else:
            pad = 0.05 * (hi - lo)
            bins = np.linspace(lo - pad, hi + pad, 50)
        ax.hist(x, bins=bins, color="C0", alpha=0.6, density=True, label="posterior")
        for (label, (law, color, ls)), value in zip(_PUBLISHED.items(), pub, strict=True):
            ax.axvline(value, color=color, ls=ls, lw=1.5, label=f"{label}: {value:.3g}")
        q = np.percentile(x, [2.5, 50, 97.5])
        ax.set_title(f"{title}\nmedian {q[1]:.3g} [95%: {q[0]:.3g}, {q[2]:.3g}]", fontsize=9)
        ax.set_yticks([])
        ax.legend(fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
        ax.tick_params(labelsize=8)
    fig.suptitle("Posterior vs published point estimates", fontsize=11)
    return fig
