"""skillfit: Bayesian fitting and forecasting of LLM skill competence.

The package turns the Arora & Goyal (arXiv 2307.15936) random skill-graph theory of emergence
into an instrument. The public front:

- models: :class:`~skillfit.models.SkillGraphModel` (the joint model of losses and Skill-Mix
  scores) and :class:`~skillfit.models.ScalingLawModel` (a Bayesian Chinchilla law), reloaded
  with :func:`~skillfit.specs.load_model`;
- forecasts: :func:`~skillfit.forecasting.forecast` and :func:`~skillfit.forecasting.compute_for`;
- data: :mod:`skillfit.datasets` (the bundled, documented tables);
- theory: :mod:`skillfit.theory` (the performance curves and the skill-graph simulator, NumPy
  only).

Model criticism lives in :mod:`skillfit.compare` and :mod:`skillfit.backtest`, run folders in
:mod:`skillfit.report`, predictive-check tables in :mod:`skillfit.checks`, figures in
:mod:`skillfit.plots`. ``import skillfit`` stays light: the models (and PyMC behind them) are
imported on first use.

Examples
--------
>>> import skillfit
>>> round(float(skillfit.theory.guaranteed_competence(theta=0.1, degree=8, alpha=0.1)), 2)
0.55
>>> skillfit.SkillGraphModel().link
'threshold'
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("skillfit")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

if TYPE_CHECKING:
    from skillfit import datasets, theory
    from skillfit.forecasting import compute_for, forecast
    from skillfit.models import ScalingLawModel, SkillGraphModel
    from skillfit.specs import load_model

#: Public names and the module each is imported from on first use (``None``: the module itself).
_LAZY: dict[str, str | None] = {
    "SkillGraphModel": "skillfit.models",
    "ScalingLawModel": "skillfit.models",
    "load_model": "skillfit.specs",
    "forecast": "skillfit.forecasting",
    "compute_for": "skillfit.forecasting",
    "datasets": None,
    "theory": None,
}

__all__ = ["ScalingLawModel", "SkillGraphModel", "compute_for", "datasets", "forecast",
           "load_model", "theory"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'skillfit' has no attribute {name!r}")
    module = _LAZY[name]
    value = (importlib.import_module(f"skillfit.{name}") if module is None
             else getattr(importlib.import_module(module), name))
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
