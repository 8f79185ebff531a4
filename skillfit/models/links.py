"""Links from the failed-text measure theta to pi, the chance a random k-tuple is handled.

Written once for any array namespace ``xp`` (NumPy for forecasts, PyTensor inside the PyMC
model), like :mod:`skillfit.theory.kernels`:

- ``threshold`` (theory, default): the Arora-Goyal competent fraction, i.e. the fraction of
  k-tuples of skills guaranteed competence ``>= tau`` on a graph with ``degree`` skills per piece,
  optionally averaged over a level ``tau`` that varies across tuples (``tau_spread``; the joint
  model's default) and plus a chance ``floor`` that a tuple without the guarantee is handled
  anyway (0 in the joint model's default).
- ``independent``: each skill is mastered independently with ``m = 1 + ln(1 - theta)/degree``
  (the per-skill share of the failed text's log-survival) and ``pi = m^k``: the geometric law.
- ``logistic``: the peers' phenomenological sigmoid in ``log r`` and ``k``, a baseline to beat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from skillfit.theory import kernels

__all__ = ["GENERATIONS", "LINKS", "LOGISTIC_CENTRE", "SCORE_EPS", "TAIL_TERMS", "TAU_NODES",
           "TAU_WEIGHTS",
           "link_probability", "rate_log_likelihood", "score_probability",
           "simulate_published_rates", "simulate_rates", "skill_fraction_probability"]

#: The links from theta to pi, the chance a k-tuple is handled (``threshold`` is the default).
LINKS = ("threshold", "independent", "logistic")
#: Skill-Mix keeps the best of G = 3 generations per combination.
GENERATIONS = 3
#: The observation model keeps the expected score in [SCORE_EPS, 1 - SCORE_EPS] (a Beta-Binomial
#: needs both shape parameters positive).
SCORE_EPS = 1e-6
#: log r around which the logistic link's intercept is defined (r = 0.2 nats/token).
LOGISTIC_CENTRE = float(np.log(0.2))
#: Gauss-Legendre rule on (0, 1) for the average over a tuple's competence level (threshold link
#: with ``tau_spread``): nodes u_j, weights summing to 1.
TAU_NODES, TAU_WEIGHTS = np.polynomial.legendre.leggauss(16)
TAU_NODES, TAU_WEIGHTS = (TAU_NODES + 1.0) / 2.0, TAU_WEIGHTS / 2.0


def _last_axis(x: Any) -> Any:
    """``x`` with a trailing axis (for the quadrature nodes); plain numbers stay numbers."""
    if isinstance(x, int | float):
        return x
    return x[..., None] if hasattr(x, "ndim") and not isinstance(x, np.ndarray) else (
        np.asarray(x)[..., None])


def _averaged_over_levels(theta: Any, degree: Any, tau: Any, spread: Any, k: Any,
                          xp: Any) -> Any:
    """The competent fraction averaged over a competence level that varies across tuples.

    ``logit tau_tuple = logit tau + spread Z``, ``Z ~ Normal(0, 1)``. A tuple is guaranteed
    nothing once ``tau_tuple >= 1 - theta_k``, i.e. ``Z >= z*``, so the average is
    ``Phi(z*) E[cf | Z < z*]``, integrated with :data:`TAU_NODES` after the change of variable
    ``Z = Phi^-1(u Phi(z*))``: the kink at ``z*`` is an end of the interval, not inside it,
    and the average is smooth in theta where the single level has a kink.
    """
    ndtr, ndtri = _normal_cdf(xp)
    logit_tau = xp.log(tau) - xp.log1p(-tau)
    # logit(1 - theta_k) from log(1 - theta_k) = k log(1 - theta): 1 - theta_k rounds to 0 for
    # theta near 1 (and theta to 1 once c r^eta > 37), where log1p(-theta_k) would be -inf and
    # its gradient, times the normal density's 0, NaN (divergences in the prior's corner where
    # no LLM handles anything); theta kept at most THETA_MAX as the competent fraction keeps it
    theta = xp.minimum(theta, kernels.THETA_MAX)
    log_survival = kernels.log_tuple_survival(theta, k, xp)
    theta_k = kernels.tuple_theta(theta, k, "union", xp)
    z_star = (log_survival - xp.log(theta_k) - logit_tau) / spread  # logit(1 - theta_k)
    mass = ndtr(z_star)
    z = ndtri(xp.clip(_last_axis(mass) * TAU_NODES, 1e-300, 1.0))
    levels = 1.0 / (1.0 + xp.exp(-(_last_axis(logit_tau) + _last_axis(spread) * z)))
    each = kernels.competent_fraction(_last_axis(theta), _last_axis(degree), levels,
                                      _last_axis(k), "union", xp)
    return mass * (each * TAU_WEIGHTS).sum(axis=-1)


def _normal_cdf(xp: Any) -> tuple[Any, Any]:
    """The standard normal CDF and its inverse in namespace ``xp`` (NumPy via SciPy)."""
    if xp is np:
        from scipy import special

        return special.ndtr, special.ndtri
    import pytensor.tensor as pt

    return (lambda x: 0.5 * pt.erfc(-x / np.sqrt(2.0)),
            lambda p: -np.sqrt(2.0) * pt.erfcinv(2.0 * p))


def link_probability(link: str, theta: Any, log_r: Any, k: Any, params: Mapping[str, Any],
                     xp: Any) -> Any:
    """``pi``, the chance a k-tuple is handled, under ``link``.

    ``params`` holds ``degree``, ``tau`` and optionally ``floor`` (threshold; default 0, the
    guarantee alone) and ``tau_spread`` (threshold; default 0: every tuple needs competence
    ``tau``; above 0 the level varies across tuples, ``logit tau_tuple ~ Normal(logit tau,
    tau_spread)``, and ``pi`` is the competent fraction averaged over it by
    :data:`TAU_NODES`), ``degree`` (independent) or
    ``logistic_intercept``, ``logistic_slope_r``, ``logistic_slope_k`` (logistic); arrays
    broadcast against ``theta``, ``log_r`` and ``k``.
    """
    if link == "threshold":
        spread = params.get("tau_spread", 0.0)
        if isinstance(spread, np.ndarray) and not spread.any():
            spread = 0.0  # draws of a spread fixed at 0 (forecasts): the single level
        if isinstance(spread, int | float) and spread == 0.0:
            guaranteed = kernels.competent_fraction(theta, params["degree"], params["tau"], k,
                                                    "union", xp)
        else:
            guaranteed = _averaged_over_levels(theta, params["degree"], params["tau"], spread, k,
                                               xp)
        # The theorem's competence is a lower bound (a failure is charged to every skill of its
        # piece): tuples without a guarantee are still handled, with a small chance ``floor``.
        # Without it one full mark at a k where the guarantee is 0 has likelihood 0, and the
        # sampler meets a wall (log pi -> -inf at (1 - tau)/theta_k = 1) instead of a slope.
        floor = params.get("floor", 0.0)
        return floor + (1.0 - floor) * guaranteed
    if link == "independent":
        m = xp.clip(1.0 + xp.log1p(-theta) / params["degree"], 1e-12, 1.0)
        return xp.exp(k * xp.log(m))
    if link == "logistic":
        z = (params["logistic_intercept"] + params["logistic_slope_r"] * (log_r - LOGISTIC_CENTRE)
             + params["logistic_slope_k"] * (k - 3.0))
        return 1.0 / (1.0 + xp.exp(-z))
    raise ValueError(f"unknown link {link!r}; choose one of {', '.join(LINKS)}")


def score_probability(pi: Any, gamma: Any, xp: Any, generations: int = GENERATIONS,
                      per_tuple: Any = 0.0) -> Any:
    """Expected Skill-Mix ratio of full marks, the best of G generations kept.

    Two readings of "the best of G": handling redrawn per generation,
    ``1 - (1 - gamma pi)^G`` (each generation handles the tuple with chance ``pi`` and is graded
    full marks with chance ``gamma``), or handling a property of the tuple and only the grading
    redrawn, ``pi (1 - (1 - gamma)^G)``. ``per_tuple`` in [0, 1] is the weight of the second
    (0, this function's default: the first alone; the joint model's default is 1, the second
    alone, which cross-validation prefers: ``docs/model.md``).

    Examples
    --------
    >>> import numpy as np
    >>> round(float(score_probability(0.5, 0.8, np)), 6)  # 1 - 0.6^3
    0.784
    >>> round(float(score_probability(0.5, 0.8, np, per_tuple=1.0)), 6)  # 0.5 (1 - 0.2^3)
    0.496
    """
    tuple_form = pi * (1.0 - (1.0 - gamma) ** generations)
    if isinstance(per_tuple, int | float) and per_tuple == 1.0:
        return tuple_form
    per_generation = 1.0 - (1.0 - gamma * pi) ** generations
    if isinstance(per_tuple, int | float) and per_tuple == 0.0:
        return per_generation
    return per_generation + per_tuple * (tuple_form - per_generation)


def skill_fraction_probability(pi_levels: Any, k: Any, gamma: Any, partial_weight: Any,
                               xp: Any, generations: int = GENERATIONS,
                               per_tuple: Any = 0.0) -> Any:
    """Expected Skill-Mix skill fraction: the mean share of a k-tuple's skills shown.

    The leaderboard's skill fraction of a text is ``s / k`` (``s`` skills shown) when the
    other demands are met and 0 otherwise, the best of G generations kept. Writing
    ``E[s] = sum_j P(s >= j)``, the expected fraction is ``(1/k) sum_{j=1..k} S(rho_j)``, where
    ``S`` is :func:`score_probability` (the chance the best generation shows at least ``j``
    skills and meets the other demands) and ``rho_j`` the chance a text shows at least ``j``
    of its ``k`` skills:

    - ``rho_k = pi_k``: every skill shown is the tuple handled (the full marks' event);
    - ``rho_j = w pi_1 + (1 - w) pi_j`` for ``j < k``: between ``pi_j``, as if the skills shown
      were one handled j-tuple among them (``w = 0``), and ``pi_1``, each skill shown as often
      as a single skill is handled (``w = 1``). ``w`` is ``partial_weight``.

    Both forms of the best of G in :func:`score_probability` give the expectation exactly
    from ``rho_j`` (per generation, ``P(max_g s_g >= j) = 1 - (1 - gamma rho_j)^G``).

    Parameters
    ----------
    pi_levels : array_like
        ``pi_j`` for ``j = 1..K`` on the last axis (``K`` at least the largest ``k``).
    k : numpy.ndarray
        Tuple sizes, broadcasting against ``pi_levels[..., 0]`` (plain numbers, not symbols:
        they pick the terms).
    gamma, partial_weight, per_tuple : array_like
        Broadcast against ``pi_levels[..., 0]``.
    xp : module
        Array namespace (NumPy or PyTensor).

    Examples
    --------
    >>> import numpy as np
    >>> pi = np.array([0.9, 0.5, 0.2])  # pi_1, pi_2, pi_3
    >>> g = 1.0 - 0.2 ** 3  # per tuple, gamma 0.8: S(rho) = rho g
    >>> w = 0.5
    >>> by_hand = (0.9 + (w * 0.9 + (1 - w) * 0.5) + 0.2) / 3 * g
    >>> bool(np.isclose(skill_fraction_probability(pi, np.array(3.0), 0.8, w, np,
    ...                                            per_tuple=1.0), by_hand))
    True
    """
    k = np.asarray(k, dtype=float)
    static = getattr(getattr(pi_levels, "type", None), "shape", None)  # PyTensor: static shape
    top = static[-1] if static is not None else np.shape(pi_levels)[-1]
    levels = np.arange(1, top + 1, dtype=float)
    below = (levels < k[..., None]).astype(float)  # j < k: a partial text shows at least j
    at = (levels == k[..., None]).astype(float)  # j = k: the tuple handled
    w = _last_axis(partial_weight)
    rho = w * pi_levels[..., :1] + (1.0 - w) * pi_levels
    g, pt_w = _last_axis(gamma), _last_axis(per_tuple)
    terms = (below * score_probability(rho, g, xp, generations, pt_w)
             + at * score_probability(pi_levels, g, xp, generations, pt_w))
    return terms.sum(axis=-1) / k


#: Terms of the series of the Beta distribution's lower tail that :func:`rate_log_likelihood` sums
#: for a published 0 or 1: exact to 1e-10 in log for ``b h`` up to 20 (e.g. a precision of 400
#: with rates given to one decimal).
TAIL_TERMS = 200


def _log_gamma(xp: Any) -> Any:
    """Log-gamma in namespace ``xp`` (NumPy via SciPy)."""
    if xp is np:
        from scipy import special

        return special.gammaln
    import pytensor.tensor as pt

    return pt.gammaln


def _log_lower_tail(a: Any, b: Any, x: Any, log_beta: Any, xp: Any) -> Any:
    """``log P(X <= x)`` for ``X ~ Beta(a, b)`` and small ``x``, i.e. ``log I_x(a, b)``, from its
    series of positive terms (DLMF 8.17.8 with 15.2.1):

        I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) sum_n (a + b)_n / (a + 1)_n x^n,

    summed to :data:`TAIL_TERMS` terms in log space: finite where ``I_x`` underflows, and with
    a gradient everywhere (PyTensor's ``betainc`` gradient is NaN for small ``a`` and large
    ``b``, the case of a published 0 with a small expected score)."""
    def column(v: Any) -> Any:
        return v[..., None] if getattr(v, "ndim", 0) else v

    n = np.arange(TAIL_TERMS - 1, dtype=float)
    a_, b_, x_ = column(a), column(b), column(x)
    log_ratio = xp.log(a_ + b_ + n) + xp.log(x_) - xp.log(a_ + 1.0 + n)
    log_terms = xp.cumsum(log_ratio, axis=-1)  # log of terms 1 .. TAIL_TERMS - 1 (term 0 is 1)
    series = xp.log1p(xp.exp(log_terms).sum(axis=-1))
    return a * xp.log(x) + b * xp.log1p(-x) - xp.log(a) - log_beta + series


def rate_log_likelihood(value: Any, score: Any, kappa: Any, half: Any, xp: Any) -> Any:
    """Log-likelihood of rates published without the number of items behind them.

    A rate is ``Beta(score kappa, (1 - score) kappa)``: the latent rate of the Beta-Binomial
    that a rate with trials follows, observed directly, so ``kappa`` is the rates' precision
    (the scatter of items and of grading together). A rate is given to some decimals; 0 stands
    for any rate below ``half`` (:func:`skillfit.data.validate.rate_resolution`) and 1 for any
    above ``1 - half``, so
    those two get the Beta's tail probability (censored) and every other value its density.
    The tail ``I_h(a, b)`` is summed from its series of positive terms (DLMF 8.17.8 with
    15.2.1, :data:`TAIL_TERMS` terms in log space): finite where it underflows, and with a
    gradient everywhere (PyTensor's ``betainc`` gradient is NaN for small ``a`` and large
    ``b``, the case of a published 0 with a small expected score).

    Parameters
    ----------
    value : array_like
        Published rates in [0, 1], a concrete 1-d array (which of them are 0 or 1 decides
        which term each gets).
    score, kappa : array_like
        Expected score and precision: scalars or 1-d, aligned with ``value``.
    half : float or array_like
        Half the last decimal place of the rates (a scalar, or one per value).
    xp : module
        Array namespace (NumPy, or :data:`skillfit.models.pytensor_face.PT`).

    Returns
    -------
    array
        One log-likelihood per value.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import stats
    >>> got = rate_log_likelihood([0.0, 0.3, 1.0], 0.4, 20.0, 0.005, np)
    >>> want = [stats.beta.logcdf(0.005, 8, 12), stats.beta.logpdf(0.3, 8, 12),
    ...         stats.beta.logsf(0.995, 8, 12)]
    >>> bool(np.allclose(got, want))
    True
    """
    gammaln = _log_gamma(xp)
    value = np.asarray(value, dtype=float).ravel()
    half = np.broadcast_to(np.asarray(half, dtype=float), value.shape)
    groups = [np.flatnonzero(value <= 0.0), np.flatnonzero(value >= 1.0),
              np.flatnonzero((value > 0.0) & (value < 1.0))]

    def take(x: Any, idx: np.ndarray) -> Any:
        return x if getattr(x, "ndim", np.ndim(x)) == 0 else x[idx]

    parts = []
    for j, idx in enumerate(groups):
        if not idx.size:
            continue
        s, k, h = take(score, idx), take(kappa, idx), half[idx]
        a, b = s * k, (1.0 - s) * k
        log_beta = gammaln(a) + gammaln(b) - gammaln(a + b)
        if j == 0:
            part = _log_lower_tail(a, b, h, log_beta, xp)
        elif j == 1:  # P(X >= 1 - h) = P(Beta(b, a) <= h)
            part = _log_lower_tail(b, a, h, log_beta, xp)
        else:
            v = np.clip(value[idx], h, 1.0 - h)
            part = (a - 1.0) * np.log(v) + (b - 1.0) * np.log1p(-v) - log_beta
        parts.append(part + np.zeros(idx.size))  # a scalar score and kappa: one per value
    order = np.argsort(np.concatenate(groups), kind="stable")
    return xp.concatenate(parts)[order]


def simulate_published_rates(score: Any, kappa: Any, half: Any, rng: np.random.Generator,
                             size: Any = None) -> np.ndarray:
    """Rates published without trials, drawn from :func:`rate_log_likelihood`'s model:
    ``Beta(score kappa, (1 - score) kappa)`` rounded to the rates' decimals (a multiple of
    ``2 half``), so that 0 and 1 occur as in the data."""
    p = np.clip(np.asarray(score, dtype=float), SCORE_EPS, 1.0 - SCORE_EPS)
    q = rng.beta(p * kappa, (1.0 - p) * kappa, size=size)
    step = 2.0 * np.asarray(half, dtype=float)
    return np.clip(np.round(q / step) * step, 0.0, 1.0)


def simulate_rates(score: Any, kappa: Any, n: Any, rng: np.random.Generator) -> np.ndarray:
    """Observed rates drawn from the observation model: ``successes / n`` with
    ``successes ~ BetaBinomial(n, score kappa, (1 - score) kappa)`` (rates published without
    trials: :func:`simulate_published_rates`).

    ``score`` (the expected ratio of full marks), ``kappa`` and ``n`` broadcast; ``score`` is
    clipped to [SCORE_EPS, 1 - SCORE_EPS] as in the model. This is what a *measured* score scatters by:
    a forecast checked against published rates must include it.
    """
    p = np.clip(np.asarray(score, dtype=float), SCORE_EPS, 1.0 - SCORE_EPS)
    q = rng.beta(p * kappa, (1.0 - p) * kappa)
    n = np.broadcast_to(np.asarray(n), q.shape)
    return rng.binomial(n, q) / n
