"""Plots of the theory: performance curves of single skills and of k-tuples (Corollary 13)."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from skillfit.theory import curves_table

__all__ = ["plot_performance_curves"]


def plot_performance_curves(
    thetas: Sequence[float],
    degree: float,
    ks: Sequence[int] = (1,),
    mode: str = "union",
    n_points: int = 400,
) -> Figure:
    """Guaranteed competence against the fraction of skills (or k-tuples) it covers.

    One panel per ``k``; one line per ``theta``. A point ``(1 - alpha, c)`` says: at least a
    ``1 - alpha`` fraction of k-tuples have competence at least ``c``, the best of the
    emergence theorem (solid) and Markov's inequality (dashed, where it is the better bound);
    see :func:`skillfit.theory.curves_table`.

    Parameters
    ----------
    thetas : sequence of float
        Failed measures of single text pieces, in (0, 1).
    degree : float
        Skills per text piece, > 0.
    ks : sequence of int, default (1,)
        Numbers of skills combined, one panel each.
    mode : {"union", "linear"}, default "union"
        How k-tuples fail.
    n_points : int, default 400
        Values of ``alpha`` per line (log-spaced).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_performance_curves([0.05, 0.1], degree=8, ks=(1, 2))
    >>> len(fig.axes)
    2
    """
    alphas = np.logspace(-4, np.log10(0.999), n_points)
    fig, axes = plt.subplots(1, len(ks), figsize=(4.6 * len(ks), 4.0), sharey=True, squeeze=False)
    colors = plt.cm.viridis(np.linspace(0.0, 0.85, len(thetas)))
    for ax, k in zip(axes[0], ks, strict=True):
        for theta, color in zip(thetas, colors, strict=True):
            curve = curves_table([theta], degree, [k], alphas, mode)
            theta_k = float(curve["theta_k"].iloc[0])
            comp = curve["guaranteed_competence"].to_numpy()
            by_theorem = (curve["source"] == "theorem").to_numpy()
            label = f"θ = {theta:g}" + (f" (θ_k = {theta_k:.3g})" if k > 1 else "")
            ax.plot(1 - alphas, np.where(by_theorem, comp, np.nan), color=color, label=label)
            ax.plot(1 - alphas, np.where(by_theorem, np.nan, comp), color=color, ls="--", lw=1)
        ax.set_title("single skills (k = 1)" if k == 1 else f"{k}-tuples of skills ({mode} θ_k)")
        ax.set_xlabel("fraction of skills covered, 1 − α")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    axes[0][0].set_ylabel("guaranteed competence (dashed: Markov)")
    fig.suptitle(f"Arora–Goyal performance curves, degree = {degree:g} skills per text piece")
    fig.tight_layout()
    return fig
