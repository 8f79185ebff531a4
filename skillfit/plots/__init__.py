"""Plots (matplotlib): every function returns a :class:`matplotlib.figure.Figure`.

:func:`save_png` writes a figure atomically. Modules: :mod:`skillfit.plots.theory` (performance
curves, Corollary 13).
"""

from __future__ import annotations

import os

from matplotlib.figure import Figure

from skillfit.outputs import atomic_path

__all__ = ["save_png"]


def save_png(fig: Figure, path: str | os.PathLike[str], dpi: int = 130) -> None:
    """Save ``fig`` as a PNG at ``path`` atomically and close it."""
    import matplotlib.pyplot as plt

    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
