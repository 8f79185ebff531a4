"""Sampler diagnostics plots (matplotlib): per-chain densities, traces and rank histograms.

Rank plots (Vehtari et al. 2021): pool all draws of a parameter, rank them, and histogram each
chain's ranks. Well-mixed chains give flat, overlapping histograms; a chain stuck elsewhere shows
as a sloped or humped histogram.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.figure import Figure
from scipy.stats import rankdata

__all__ = ["trace_rank_figure"]


def trace_rank_figure(
    idata: xr.DataTree,
    var_names: Sequence[str],
    *,
    diagnostics: Mapping[str, Any] | None = None,
    n_bins: int = 20,
) -> Figure:
    """One row per parameter: per-chain density, trace, and rank histogram.

    ``diagnostics`` (from :meth:`ModelBuilder.diagnostics`) adds R-hat and bulk ESS to the row
    titles and the divergence count to the figure title; divergent draws are marked on traces.
    """
    post = idata["posterior"].to_dataset()
    names = [v for v in var_names if v in post]
    div = None
    if "sample_stats" in idata and "diverging" in idata["sample_stats"]:
        div = np.asarray(idata["sample_stats"]["diverging"]).astype(bool)
    fig = Figure(figsize=(12, 1.75 * len(names) + 0.8), layout="constrained")
    axes = fig.subplots(len(names), 3, squeeze=False, width_ratios=[1.0, 1.6, 1.0])
    colors = [f"C{i}" for i in range(10)]
    params = (diagnostics or {}).get("parameters", {})
    for row, name in enumerate(names):
        x = np.asarray(post[name].transpose("chain", "draw").values, float)
        n_chain, n_draw = x.shape
        ax_d, ax_t, ax_r = axes[row]
        lo, hi = np.percentile(x, [0.5, 99.5])
        bins = np.linspace(lo, hi, 40) if hi > lo else 10
        for c in range(n_chain):
            ax_d.hist(x[c], bins=bins, histtype="step", color=colors[c % 10], density=True, lw=1.1)
            ax_t.plot(np.arange(n_draw), x[c], color=colors[c % 10], lw=0.5, alpha=0.7)
        if div is not None and div.shape == x.shape and div.any():
            cc, dd = np.nonzero(div)
            ax_t.plot(dd, x[cc, dd], "|", color="red", ms=8, label="divergent")
        ranks = rankdata(x.ravel()).reshape(x.shape)
        edges = np.linspace(0.5, x.size + 0.5, n_bins + 1)
        expected = n_draw / n_bins
        for c in range(n_chain):
            counts, _ = np.histogram(ranks[c], bins=edges)
            ax_r.step(np.arange(n_bins), counts, where="mid", color=colors[c % 10], lw=1.1)
        ax_r.axhline(expected, color="k", ls="--", lw=0.8)
        ax_r.set_ylim(0, max(expected * 2, ax_r.get_ylim()[1]))
        stats = params.get(name)
        label = name
        if stats:
            label += f"   R-hat {stats['r_hat']:.3f}, bulk ESS {stats['ess_bulk']:.0f}"
        ax_d.set_ylabel(name, fontsize=10)
        ax_d.set_yticks([])
        ax_t.set_title(label, fontsize=9, loc="left")
        ax_r.set_yticks([])
        ax_r.set_xticks([])
        for ax in (ax_d, ax_t, ax_r):
            ax.tick_params(labelsize=8)
        if row == 0:
            ax_d.set_title("density per chain", fontsize=9)
            ax_r.set_title("rank histogram per chain (flat = well mixed)", fontsize=9)
    axes[-1, 1].set_xlabel("draw")
    axes[-1, 2].set_xlabel("rank bin")
    title = f"{len(names)} parameters, {post.sizes['chain']} chains x {post.sizes['draw']} draws"
    if diagnostics is not None:
        title += f"; divergences: {diagnostics['divergences']}"
    fig.suptitle(title, fontsize=11)
    return fig
