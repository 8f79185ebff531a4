"""Figures (matplotlib, and ArviZ's for sampler diagnostics), drawn from tables or draws.

No function here fits or forecasts: each takes what :mod:`skillfit.forecasting`,
:mod:`skillfit.checks` or a model's posterior provides. :func:`save_png` writes a matplotlib
figure or an ArviZ ``PlotCollection`` atomically. Modules: :mod:`skillfit.plots.theory`
(performance curves), :mod:`skillfit.plots.scaling` (scaling laws), :mod:`skillfit.plots.skillmix`
(the joint model).
"""

from __future__ import annotations

import os
from typing import Any

from skillfit.outputs import atomic_path

__all__ = ["save_png"]


def save_png(fig: Any, path: str | os.PathLike[str], dpi: int = 130) -> None:
    """Save ``fig`` (a matplotlib ``Figure`` or an ArviZ ``PlotCollection``) as a PNG at
    ``path`` atomically and close it."""
    import matplotlib.pyplot as plt

    figure = fig.get_viz("figure") if hasattr(fig, "get_viz") else fig
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(figure)
