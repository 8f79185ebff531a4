"""skillfit: Bayesian fitting and forecasting of LLM skill competence.

The package turns the Arora & Goyal (arXiv 2307.15936) random skill-graph theory of emergence
into code: :mod:`skillfit.theory` (the performance curves, NumPy only), :mod:`skillfit.scaling`
(Chinchilla-style scaling laws), :mod:`skillfit.data` / :mod:`skillfit.datasets` (validated data),
and Bayesian models in :mod:`skillfit.models` (PyMC 6, ArviZ 1).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("skillfit")
except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
