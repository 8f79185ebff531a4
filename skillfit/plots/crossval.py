"""Figures of a cross-validation run, drawn from its ``folds`` table.

``folds`` is :func:`skillfit.crossval.crossval`'s table: one row per held-out cell and method,
with ``scheme``, ``method``, ``kind`` (``model`` or ``baseline``), ``llm``, ``crps_points`` and
``inside_50``/``inside_89``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["calibration_figure", "llm_errors_figure"]


def calibration_figure(folds: pd.DataFrame) -> Figure:
    """Coverage of the held-out measured rates vs nominal interval mass, per scheme and method.

    The intervals are equal-tailed, from each method's exact predictive pmf.
    """
    schemes = list(dict.fromkeys(folds["scheme"]))
    fig = Figure(figsize=(4.6 * len(schemes), 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(schemes), squeeze=False)[0])
    for ax, scheme in zip(axes, schemes, strict=True):
        part = folds[folds["scheme"] == scheme]
        ax.plot([0, 1], [0, 1], color="0.6", lw=1, ls="--", label="ideal")
        for method, grp in part.groupby("method", sort=False):
            cov = [float(grp[f"inside_{p}"].mean()) for p in (50, 89)]
            style = "o-" if grp["kind"].iloc[0] == "model" else "s:"
            ax.plot([0.5, 0.89], cov, style, label=f"{method}", ms=6)
        n = part.groupby("method").size().iloc[0]
        ax.set_title(f"{scheme} ({n} held-out cells)")
        ax.set_xlabel("nominal interval mass")
        ax.set_xlim(0.3, 1.0)
        ax.set_ylim(0, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of held-out cells inside")
    axes[-1].legend(loc="lower right", fontsize=8)
    fig.suptitle("Calibration of held-out forecasts (measured rate, 50% and 89% intervals)")
    return fig


def llm_errors_figure(folds: pd.DataFrame) -> Figure:
    """Mean CRPS (points) per held-out LLM and method, one panel per scheme (baselines hatched)."""
    schemes = list(dict.fromkeys(folds["scheme"]))
    methods = list(dict.fromkeys(folds["method"]))
    baselines = set(folds.loc[folds["kind"] != "model", "method"])
    fig = Figure(figsize=(10, 3.2 * len(schemes)), layout="constrained")
    axes = fig.subplots(len(schemes), 1, squeeze=False)[:, 0]
    width = 0.8 / len(methods)
    for ax, scheme in zip(axes, schemes, strict=True):
        part = folds[folds["scheme"] == scheme]
        table = part.pivot_table(index="llm", columns="method", values="crps_points",
                                 aggfunc="mean", sort=False)[methods]
        xs = np.arange(len(table))
        for i, m in enumerate(methods):
            ax.bar(xs + (i - (len(methods) - 1) / 2) * width, table[m], width, label=m,
                   hatch="//" if m in baselines else None, alpha=0.9)
        ax.set_xticks(xs)
        ax.set_xticklabels(table.index, rotation=20, ha="right", fontsize=8)
        ax.set_ylabel("mean CRPS (points)")
        ax.set_title(f"{scheme}: error per held-out LLM (lower is better)")
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8, ncol=len(methods), loc="upper left")
    return fig
