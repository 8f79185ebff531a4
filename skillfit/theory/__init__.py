"""The Arora & Goyal random skill-graph theory, in NumPy (no PyMC here).

Public functions broadcast over arrays and use natural logs (``docs/theory.md`` explains the
mathematics):

- :mod:`~skillfit.theory.bounds` -- the theorem: :func:`binary_entropy`, :func:`kl_bernoulli`,
  :func:`emergence_lhs`, :func:`min_beta`, :func:`alpha_limit`, the performance curve
  :func:`guaranteed_competence` and :func:`theorem_competence`, Markov's
  :func:`markov_competence`, :func:`tuple_theta` (Corollary 13), :func:`competent_fraction`,
  :func:`theta_for_competence`;
- :mod:`~skillfit.theory.curves` -- tables: :func:`curves_table`, :func:`best_guarantee`,
  :func:`corollary13`;
- :mod:`~skillfit.theory.graph`, :mod:`~skillfit.theory.failures`,
  :mod:`~skillfit.theory.rates` -- the Monte Carlo skill graph that checks the bound:
  :func:`random_skill_graph`, :func:`random_failure_set`, :func:`adversarial_failure_set`,
  :func:`skill_failure_rates`, :func:`tuple_failure_rates`, :func:`worst_failure`,
  :func:`simulate`, :func:`compare_with_bound`.

The formulas themselves live once in :mod:`skillfit.theory.kernels`.
"""

from skillfit.errors import SimulationError
from skillfit.theory.bounds import (
    alpha_limit,
    binary_entropy,
    competent_fraction,
    emergence_lhs,
    guaranteed_competence,
    kl_bernoulli,
    markov_competence,
    min_beta,
    theorem_competence,
    theta_for_competence,
    tuple_theta,
)
from skillfit.theory.curves import best_guarantee, corollary13, curves_table
from skillfit.theory.failures import adversarial_failure_set, random_failure_set
from skillfit.theory.graph import SkillGraph, random_skill_graph, zipf_weights
from skillfit.theory.rates import (
    SimulationResult,
    compare_with_bound,
    simulate,
    skill_failure_rates,
    tuple_failure_rates,
    violated_alphas,
    worst_failure,
)

__all__ = [
    "SimulationError",
    "SimulationResult",
    "SkillGraph",
    "adversarial_failure_set",
    "alpha_limit",
    "best_guarantee",
    "binary_entropy",
    "compare_with_bound",
    "competent_fraction",
    "corollary13",
    "curves_table",
    "emergence_lhs",
    "guaranteed_competence",
    "kl_bernoulli",
    "markov_competence",
    "min_beta",
    "random_failure_set",
    "random_skill_graph",
    "simulate",
    "skill_failure_rates",
    "theorem_competence",
    "theta_for_competence",
    "tuple_failure_rates",
    "tuple_theta",
    "violated_alphas",
    "worst_failure",
    "zipf_weights",
]
