"""The Arora & Goyal random skill-graph theory, in NumPy (no PyMC here).

Public functions broadcast over arrays and use natural logs:

- :func:`binary_entropy`, :func:`kl_bernoulli`
- :func:`emergence_lhs` (the theorem's left-hand side; < 0 means the guarantee holds)
- :func:`min_beta`, :func:`guaranteed_competence` (the performance curve)
- :func:`tuple_theta` (Corollary 13), :func:`competent_fraction`, :func:`theta_for_competence`

The formulas themselves live once in :mod:`skillfit.theory.kernels`.
"""

from skillfit.theory.bounds import (
    binary_entropy,
    competent_fraction,
    emergence_lhs,
    guaranteed_competence,
    kl_bernoulli,
    min_beta,
    theta_for_competence,
    tuple_theta,
)

__all__ = [
    "binary_entropy",
    "competent_fraction",
    "emergence_lhs",
    "guaranteed_competence",
    "kl_bernoulli",
    "min_beta",
    "theta_for_competence",
    "tuple_theta",
]
