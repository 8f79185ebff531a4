"""The joint model's forecast of a new LLM, written out by hand (for known-answer tests).

Used with a :class:`SkillGraphModel` whose shared parameters are all *fixed* in
``model_config`` and whose family and fine-tuning spreads are 0 (:data:`FIXED`): every posterior
draw then gives the same expected score for a new LLM of known size, so forecasts and the
backtest have an exact answer computed here from the model's definition (docs/model.md):

    log r = log(A N^-a + B D^-b)                       (Epoch's law; offsets are 0)
    theta = 1 - exp(-c r^eta)
    pi    = floor + (1 - floor) * competent_fraction(theta, degree, tau, k)
    P     = 1 - (1 - gamma pi)^3                       (best of 3, FIXED's per_tuple = 0;
                                                        one level: FIXED's tau_spread = 0)
    measured rate = BetaBinomial(n, P kappa, (1 - P) kappa) / n
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from skillfit.theory.bounds import competent_fraction

#: Published Epoch AI law (Besiroglu et al. 2024), the joint model's default ``law``.
EPOCH_A, EPOCH_B, EPOCH_ALPHA, EPOCH_BETA = 482.01, 2085.43, 0.3478, 0.3658

#: A joint model with every shared parameter fixed and no family / fine-tuning spread.
#: ``floor`` is small so that where the guarantee is 0 the expected score is about 0.01.
#: ``per_tuple`` is 0 here (the model's default is 1): the per-generation best of 3 stretches
#: the scores from 0.01 to above 0.9 for these LLMs, which the known-answer forecasts and
#: backtest use (both forms are checked by hand in tests/models). ``tau_spread`` is 0 (the
#: model's default since 2026-11-28 is a prior): one competence level, whose competent fraction
#: is written out here with the floor; the spread of levels is checked by hand in tests/models.
FIXED = {"c": 1.5, "eta": 0.9, "degree": 12.0, "tau": 0.5, "tau_spread": 0.0, "floor": 0.004,
         "gamma": 0.8, "kappa": 30.0, "per_tuple": 0.0, "sigma_family": 0.0, "sigma_tune": 0.0}


def log_r_law(params: float, tokens: float) -> float:
    return float(np.log(EPOCH_A * params ** -EPOCH_ALPHA + EPOCH_B * tokens ** -EPOCH_BETA))


def guaranteed_by_hand(theta: float, degree: float, tau: float, k: float,
                       spread: float = 0.0) -> float:
    """The threshold link's guaranteed fraction for one theta and k (no floor).

    ``spread = 0``: the competent fraction at level ``tau``. Above 0 the level varies across
    tuples, ``logit tau_t ~ Normal(logit tau, spread)``, and the fraction is averaged over the
    levels that guarantee something (``tau_t < 1 - theta_k``, i.e. ``z < z*``),
    ``Phi(z*) E[cf | z < z*]``, by the model's rule (16-point Gauss-Legendre in
    ``u = Phi(z) / Phi(z*)``) written out with SciPy's normal and NumPy's nodes.
    """
    if spread == 0.0:
        return competent_fraction(theta, degree, tau, k)
    theta_k = 1.0 - (1.0 - theta) ** k
    if theta_k >= 1.0:
        return 0.0
    u, w = np.polynomial.legendre.leggauss(16)
    u, w = (u + 1.0) / 2.0, w / 2.0
    logit_tau = np.log(tau / (1.0 - tau))
    mass = stats.norm.cdf((np.log((1.0 - theta_k) / theta_k) - logit_tau) / spread)
    levels = 1.0 / (1.0 + np.exp(-(logit_tau + spread * stats.norm.ppf(u * mass))))
    return mass * sum(wi * competent_fraction(theta, degree, lv, k)
                      for wi, lv in zip(w, levels, strict=True))


def pi_by_hand(log_r: np.ndarray, k: np.ndarray, p: dict[str, float] = FIXED) -> np.ndarray:
    """pi of the threshold link (shapes of ``log_r`` and ``k`` broadcast).

    With ``p["tau_spread"] > 0`` the competence level varies across tuples, ``logit tau_t ~
    Normal(logit tau, spread)``: pi is the competent fraction averaged over the levels that
    guarantee something (``tau_t < 1 - theta_k``, i.e. ``z < z*``), ``Phi(z*) E[cf | z < z*]``,
    by the model's rule (16-point Gauss-Legendre in ``u = Phi(z) / Phi(z*)``) written out with
    SciPy's normal and NumPy's nodes. (SciPy's adaptive quadrature agrees to about 2e-4, the
    rule's error: tests/models/test_links.py.)
    """
    log_r, k = np.broadcast_arrays(np.asarray(log_r, float), np.asarray(k, float))
    theta = 1.0 - np.exp(-p["c"] * np.exp(p["eta"] * log_r))
    spread = p.get("tau_spread", 0.0)

    def one(t: float, kk: float) -> float:
        return guaranteed_by_hand(t, p["degree"], p["tau"], kk, spread)

    guaranteed = np.vectorize(one)(theta, k)
    return p["floor"] + (1.0 - p["floor"]) * guaranteed


def score_by_hand(pi: np.ndarray, gamma: float = FIXED["gamma"],
                  per_tuple: float = FIXED["per_tuple"]) -> np.ndarray:
    """Expected Skill-Mix ratio of full marks, best of three generations: handling fixed per
    tuple, pi (1 - (1 - gamma)^3), with weight ``per_tuple`` (default FIXED's 0; the model's
    default is 1), else redrawn per generation, 1 - (1 - gamma pi)^3."""
    pi = np.asarray(pi, float)
    return ((1.0 - per_tuple) * (1.0 - (1.0 - gamma * pi) ** 3)
            + per_tuple * pi * (1.0 - (1.0 - gamma) ** 3))


def measured_rate(score: float, n: int, kappa: float = FIXED["kappa"]):
    """The distribution of successes behind a measured rate (a frozen scipy betabinom)."""
    return stats.betabinom(n, score * kappa, (1.0 - score) * kappa)


def crps_discrete(dist, n: int, observed_successes: int) -> float:
    """Exact CRPS (in rate units) of ``successes / n`` with successes ~ ``dist`` at
    ``observed_successes / n``: the integral of (F(x) - 1{x >= y})^2 over the n-grid steps."""
    j = np.arange(n)
    cdf = dist.cdf(j)  # F on [j/n, (j+1)/n)
    step = (j >= observed_successes).astype(float)
    return float(np.sum((cdf - step) ** 2) / n)
