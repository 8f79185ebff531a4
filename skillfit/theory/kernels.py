"""The random skill-graph mathematics, written once for any array namespace.

Every formula of the Arora & Goyal emergence theorem that skillfit evaluates lives here, as a
function of its inputs and of an *array namespace* ``xp``: a module (or object) providing
``log``, ``log1p``, ``exp``, ``expm1``, ``sqrt``, ``where``, ``minimum``, ``maximum`` and ``clip``
with NumPy semantics. :mod:`numpy` is one such namespace (used by the public functions in
:mod:`skillfit.theory.bounds`); :mod:`skillfit.models.pytensor_face` supplies
``pytensor.tensor`` so that the very same code becomes a differentiable graph inside PyMC models.
This module imports nothing but the standard library: it is the single source of the maths.

Conventions (``docs/theory.md``, section "Notation"): natural logs; ``theta`` is the measure of failed text; ``degree`` is
the number of skills per text piece (the paper's *k*); ``alpha`` is the fraction of skills
allowed to be bad; ``beta`` is the failure multiplier, so a bad skill fails on at least a
``beta * theta`` fraction of its text.

The theorem (single skills) holds for ``(alpha, beta)`` when::

    H(theta) + (|S|/|T|) H(alpha) < degree * theta * KL(alpha*beta || alpha),

with ``1 < beta <= 1/alpha``. For fixed ``alpha`` the right side is convex and increasing in
``p = alpha*beta`` on ``(alpha, 1]``; for fixed ``beta`` it is convex and increasing in
``alpha`` on ``(0, 1/beta]`` (KL is jointly convex and vanishes at the origin of that ray, with
positive slope ``beta ln beta - beta + 1``). Newton's method started to the right of the root of
a convex increasing function converges monotonically, which is why a small *fixed* number of
steps (:data:`NEWTON_STEPS`) gives machine precision — a property the tests check against an
independent bracketing root finder.
"""

from __future__ import annotations

from typing import Any

#: Newton steps used by the solvers. 12 reach an absolute error below 1e-12 over theta in [1e-6, 0.999],
#: degree in [1, 1000], beta in (1 + 1e-4, 1e6) (see tests/theory/test_kernels.py).
NEWTON_STEPS = 12

#: Relative distance kept from the singular end points alpha*beta = 1.
_EDGE = 1e-12
#: Largest theta (and theta_k) the competent fraction works with: theta is 1.0 in floating point
#: once ``c r^eta > 37``, where ``d theta_k / d theta`` would be 0 * inf. The competent fraction
#: is the same either side of it (its theta_k is clipped there too); only the gradient is
#: kept finite (0).
THETA_MAX = 1.0 - _EDGE
_TINY = 1e-300


def xlogx(x: Any, xp: Any) -> Any:
    """``x * log(x)`` with the limit 0 at ``x = 0`` (finite gradient-safe form)."""
    safe = xp.where(x > 0, x, 1.0)
    return xp.where(x > 0, x * xp.log(safe), 0.0)


def binary_entropy(x: Any, xp: Any) -> Any:
    """Binary entropy ``H(x) = -x ln x - (1-x) ln(1-x)`` in nats, ``H(0) = H(1) = 0``."""
    return -xlogx(x, xp) - xlogx(1.0 - x, xp)


def kl_bernoulli(p: Any, q: Any, xp: Any) -> Any:
    """Bernoulli divergence ``KL(p || q) = p ln(p/q) + (1-p) ln((1-p)/(1-q))`` in nats.

    ``0 <= p <= 1`` and ``0 < q < 1``; the terms ``0 ln 0`` are 0.
    """
    return xlogx(p, xp) - p * xp.log(q) + xlogx(1.0 - p, xp) - (1.0 - p) * xp.log1p(-q)


def tuple_theta(theta: Any, k: Any, mode: str, xp: Any) -> Any:
    """Failed measure of k-tuples of text pieces (Corollary 13).

    ``"union"``: ``1 - (1 - theta)^k`` (a k-piece fails if any piece fails);
    ``"linear"``: ``k * theta`` (the paper's form, an upper bound on the union).
    """
    if mode == "union":
        return -xp.expm1(log_tuple_survival(theta, k, xp))
    if mode == "linear":
        return k * theta
    raise ValueError(f"mode must be 'union' or 'linear', got {mode!r}")


def log_tuple_survival(theta: Any, k: Any, xp: Any) -> Any:
    """``log(1 - theta_k) = k log(1 - theta)``, the log of the measure of k-tuples of pieces that
    do not fail (``"union"`` mode of :func:`tuple_theta`). Finite where ``1 - theta_k`` rounds
    to 0 (``theta`` near 1, large ``k``), so that a logit of ``theta_k`` built from it keeps a
    finite gradient there (for ``theta`` itself at most :data:`THETA_MAX`)."""
    return k * xp.log1p(-theta)


def entropy_per_edge(theta: Any, degree: Any, xp: Any) -> Any:
    """``h = H(theta) / (degree * theta)``: the KL the graph must beat for the theorem to hold."""
    return binary_entropy(theta, xp) / (degree * theta)


def _newton(step: Any, slopes: Any, h: Any, other: Any, start: Any, xp: Any, steps: int) -> Any:
    """Solve ``g(x; h, other) = 0`` by ``steps`` Newton steps, with an implicit-function gradient.

    ``step(x, h, other)`` is one Newton step; ``slopes(x, h, other)`` returns
    ``(dg/dx, dg/dother)`` (and ``dg/dh = -1`` for every solver here). If ``xp`` has
    ``stop_gradient`` (the PyTensor face), the iterations run on inputs cut off from
    differentiation and the result is returned as

        x* + (h - h0) / g_x - (other - other0) * g_other / g_x,

    whose value is ``x*`` (``h - h0 = 0``) and whose gradient is exactly the implicit-function
    gradient ``dx*/dz = -(dg/dz) / (dg/dx)``. Differentiating through the unrolled steps instead
    grows the graph exponentially (4 steps did not compile in 5 minutes) and triggers
    rewrite loops in PyTensor; this form adds a handful of nodes. NumPy gets ``x*`` unchanged.
    """
    stop = getattr(xp, "stop_gradient", None)
    if stop is None:
        x = start(h, other)
        for _ in range(steps):
            x = step(x, h, other)
        return x
    h0, other0 = stop(h), stop(other)

    def iterate(h_: Any, other_: Any) -> Any:
        x = start(h_, other_)
        for _ in range(steps):
            x = step(x, h_, other_)
        return x

    # ``opaque`` hides the unrolled iterations from algebraic graph rewrites (PyTensor's
    # distributor otherwise expands them for minutes); their gradient is never needed.
    opaque = getattr(xp, "opaque", None)
    x = stop(opaque(iterate, h0, other0) if opaque else iterate(h0, other0))
    g_x, g_other = slopes(x, h0, other0)
    g_x, g_other = stop(g_x), stop(g_other)
    return x + (h - h0) / g_x - (other - other0) * g_other / g_x


def solve_alpha_star(h: Any, beta: Any, xp: Any, steps: int = NEWTON_STEPS) -> Any:
    """Smallest skill fraction ``alpha`` with ``KL(alpha*beta || alpha) >= h``, for ``beta > 1``.

    Only meaningful where ``ln(beta) > h`` (otherwise no ``alpha <= 1/beta`` works and the
    result sits at ``1/beta``, the Markov value). Newton in ``alpha`` from
    ``min(h / (beta ln beta - beta + 1), 1/beta)``, which lies right of the root because
    ``KL(alpha*beta || alpha) >= alpha * (beta ln beta - beta + 1)`` by convexity.
    """

    def g_and_slope(alpha: Any, h: Any, beta: Any) -> Any:
        # With p = alpha beta < 1 (kept by the clip in ``step``),
        # KL(p || alpha) = p ln(beta) + (1 - p) (ln(1 - p) - ln(1 - alpha)), so g and dg/dalpha
        # share two logarithms (the generic kl_bernoulli plus a separate slope took ten; this is
        # the hot spot of both the joint model's gradient and of forecasts).
        p = alpha * beta
        log_ratio = xp.log1p(-p) - xp.log1p(-alpha)
        log_beta = xp.log(beta)
        g = p * log_beta + (1.0 - p) * log_ratio - h
        g_alpha = beta * log_beta - beta * log_ratio - beta + (1.0 - p) / (1.0 - alpha)
        return g, g_alpha

    def slopes(alpha: Any, h: Any, beta: Any) -> Any:
        _, g_alpha = g_and_slope(alpha, h, beta)
        p = alpha * beta
        # d/dbeta KL(alpha beta || alpha) = alpha (logit(p) - logit(alpha))
        g_beta = alpha * (xp.log(p) - xp.log1p(-p) - xp.log(alpha) + xp.log1p(-alpha))
        return g_alpha, g_beta

    def step(alpha: Any, h: Any, beta: Any) -> Any:
        g, g_alpha = g_and_slope(alpha, h, beta)
        return xp.clip(alpha - g / g_alpha, _TINY, (1.0 - _EDGE) / beta)

    def start(h: Any, beta: Any) -> Any:
        return xp.minimum(h / (beta * xp.log(beta) - beta + 1.0), (1.0 - _EDGE) / beta)

    return _newton(step, slopes, h, beta, start, xp, steps)


def solve_beta_star(h: Any, alpha: Any, xp: Any, steps: int = NEWTON_STEPS) -> Any:
    """Smallest multiplier ``beta`` in ``(1, 1/alpha]`` with ``KL(alpha*beta || alpha) >= h``.

    Only meaningful where ``ln(1/alpha) > h``. Newton in ``p = alpha*beta`` from
    ``min(alpha + sqrt(h/2), 1)``, right of the root by Pinsker's ``KL(p||q) >= 2 (p-q)^2``.
    """

    def slopes(p: Any, h: Any, alpha: Any) -> Any:
        g_p = xp.log(p) - xp.log(alpha) - xp.log1p(-p) + xp.log1p(-alpha)
        g_alpha = (alpha - p) / (alpha * (1.0 - alpha))
        return g_p, g_alpha

    def step(p: Any, h: Any, alpha: Any) -> Any:
        g = kl_bernoulli(p, alpha, xp) - h
        g_p, _ = slopes(p, h, alpha)
        return xp.clip(p - g / g_p, alpha * (1.0 + 1e-15), 1.0 - _EDGE)

    def start(h: Any, alpha: Any) -> Any:
        return xp.minimum(alpha + xp.sqrt(h / 2.0), 1.0 - _EDGE)

    return _newton(step, slopes, h, alpha, start, xp, steps) / alpha


def competent_fraction(
    theta: Any, degree: Any, tau: Any, k: Any, mode: str, xp: Any, steps: int = NEWTON_STEPS
) -> Any:
    """Fraction of k-tuples of skills guaranteed competence ``>= tau``.

    See ``docs/theory.md``, section "The competent fraction".

    With ``theta_k`` from :func:`tuple_theta` and ``beta = (1 - tau) / theta_k``: ``1 - alpha*``
    where the theorem holds, the Markov value ``1 - 1/beta`` where it gives less, 0 for
    ``beta <= 1``. Every branch is evaluated on safe inputs so that gradients stay finite.
    """
    theta_k = tuple_theta(xp.minimum(theta, THETA_MAX), k, mode, xp)
    theta_k = xp.clip(theta_k, _TINY, THETA_MAX)
    beta = (1.0 - tau) / theta_k
    useful = beta > 1.0 + 1e-9
    beta_safe = xp.where(useful, beta, 2.0)
    h = entropy_per_edge(theta_k, degree, xp)
    feasible = xp.log(beta_safe) > h
    alpha = solve_alpha_star(xp.where(feasible, h, 0.5 * xp.log(beta_safe)), beta_safe, xp, steps)
    alpha = xp.where(feasible, alpha, 1.0 / beta_safe)
    return xp.where(useful, 1.0 - alpha, 0.0)
