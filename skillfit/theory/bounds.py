"""NumPy face of the emergence theory: performance curves and competent fractions.

All functions broadcast over array inputs, use natural logs, and never loop in Python over
points. The maths is in :mod:`skillfit.theory.kernels`; this module adds domain handling
(NaN outside the domain, argument checks) and the public signatures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skillfit.errors import ArgumentError
from skillfit.theory import kernels

__all__ = [
    "alpha_limit",
    "binary_entropy",
    "competent_fraction",
    "emergence_lhs",
    "guaranteed_competence",
    "kl_bernoulli",
    "markov_competence",
    "min_beta",
    "theorem_competence",
    "theta_for_competence",
    "tuple_theta",
]

Mode = Literal["union", "linear"]
FloatArray = NDArray[np.float64]


def _arr(x: ArrayLike) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


#: Points per block in the Newton solvers: blocks that fit in cache run about 2x faster than
#: one pass over a 10^6-point array (measured in benchmarks/theory_grid.py).
_BLOCK = 1 << 16


def _blockwise(fn, *arrays: FloatArray) -> FloatArray:
    """Apply the elementwise ``fn`` to same-shape arrays in cache-sized blocks."""
    shape = arrays[0].shape
    flat = [np.ravel(a) for a in arrays]
    n = flat[0].size
    if n <= _BLOCK:
        return np.asarray(fn(*arrays))
    out = np.empty(n)
    for start in range(0, n, _BLOCK):
        stop = start + _BLOCK
        out[start:stop] = fn(*(a[start:stop] for a in flat))
    return out.reshape(shape)


def _bisect(
    inside: Callable[[FloatArray], NDArray[np.bool_]],
    lo: FloatArray,
    hi: FloatArray,
    iterations: int,
) -> tuple[FloatArray, FloatArray]:
    """Vectorised bisection: ``inside`` holds at ``lo`` and not at ``hi``; returns the bracket."""
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        ok = inside(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo, hi


def _scalar_or_array(x: FloatArray) -> FloatArray | float:
    return float(x) if x.ndim == 0 else x


def _check_mode(mode: str) -> None:
    if mode not in ("union", "linear"):
        raise ArgumentError(f"mode must be 'union' or 'linear', got {mode!r}")


def _check_skills_over_text(skills_over_text: ArrayLike) -> FloatArray:
    """``|S|/|T|`` as an array; a negative or non-finite ratio is an error, not a NaN.

    Unlike a point outside the curve's domain (which is NaN, so that grids can cross the
    domain's edge), a negative ratio of set sizes is never meaningful: it would silently lower
    the bound (or, in the Markov fallback, be ignored), so it is rejected.
    """
    sot = _arr(skills_over_text)
    if not np.all(np.isfinite(sot)) or np.any(sot < 0):
        raise ArgumentError(
            f"skills_over_text (|S|/|T|) must be finite and >= 0, got {skills_over_text!r}"
        )
    return sot


def binary_entropy(x: ArrayLike) -> FloatArray | float:
    """Binary entropy in nats.

    Parameters
    ----------
    x : array_like
        Probabilities in [0, 1]; NaN is returned outside.

    Returns
    -------
    float or ndarray
        ``-x ln x - (1-x) ln(1-x)``, with ``H(0) = H(1) = 0``.

    Examples
    --------
    >>> round(binary_entropy(0.5), 6)
    0.693147
    """
    x = _arr(x)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = kernels.binary_entropy(x, np)
    return _scalar_or_array(np.where((x >= 0) & (x <= 1), out, np.nan))


def kl_bernoulli(p: ArrayLike, q: ArrayLike) -> FloatArray | float:
    """Kullback-Leibler divergence between Bernoulli(p) and Bernoulli(q), in nats.

    Parameters
    ----------
    p : array_like
        In [0, 1].
    q : array_like
        In (0, 1). NaN is returned outside either domain.

    Examples
    --------
    >>> kl_bernoulli(0.3, 0.3)
    0.0
    >>> round(kl_bernoulli(1.0, 0.5), 6)  # ln 2
    0.693147
    """
    p, q = np.broadcast_arrays(_arr(p), _arr(q))
    ok = (p >= 0) & (p <= 1) & (q > 0) & (q < 1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = kernels.kl_bernoulli(p, np.where(ok, q, 0.5), np)
    return _scalar_or_array(np.where(ok, np.maximum(out, 0.0), np.nan))


def emergence_lhs(
    theta: ArrayLike,
    degree: ArrayLike,
    alpha: ArrayLike,
    beta: ArrayLike,
    skills_over_text: ArrayLike = 0.0,
) -> FloatArray | float:
    """Left-hand side of the emergence theorem; the guarantee holds where it is negative.

    ``H(theta) + (|S|/|T|) H(alpha) - degree * theta * KL(alpha*beta || alpha)``, which equals
    the paper's ``H(θ) + kθ(H(βα) − βα log 1/α − (1−βα) log 1/(1−α))`` plus the optional
    finite-size term.

    Parameters
    ----------
    theta : array_like
        Measure of failed text pieces, in (0, 1).
    degree : array_like
        Skills per text piece (the paper's k), > 0.
    alpha : array_like
        Fraction of skills allowed to fail, in (0, 1).
    beta : array_like
        Failure multiplier, ``1 <= beta <= 1/alpha``.
    skills_over_text : array_like, default 0
        ``|S|/|T|``; adds the union bound over skill subsets (0 = the paper's form, which
        assumes ``|T| >> |S|``; see ``docs/theory.md``, section "Finite size").

    Returns
    -------
    float or ndarray
        NaN outside the domain.

    Raises
    ------
    ValueError
        If ``skills_over_text`` is negative or not finite.

    Examples
    --------
    With ``theta = 0.1`` and degree 8, the smallest multiplier for ``alpha = 0.1`` is about
    4.5 (a failure ceiling of 0.45): ``beta = 5`` satisfies the theorem, ``beta = 4`` does not.

    >>> bool(emergence_lhs(0.1, 8, 0.1, 5.0) < 0)
    True
    >>> bool(emergence_lhs(0.1, 8, 0.1, 4.0) < 0)
    False
    """
    theta, degree, alpha, beta, sot = np.broadcast_arrays(
        _arr(theta), _arr(degree), _arr(alpha), _arr(beta),
        _check_skills_over_text(skills_over_text),
    )
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        ok = (
            (theta > 0) & (theta < 1) & (degree > 0) & (alpha > 0) & (alpha < 1)
            & (beta >= 1) & (alpha * beta <= 1) & (sot >= 0)
        )
        t, a = np.where(ok, theta, 0.5), np.where(ok, alpha, 0.5)
        p = np.where(ok, np.minimum(a * beta, 1.0), 0.5)
        lhs = (
            kernels.binary_entropy(t, np)
            + sot * kernels.binary_entropy(a, np)
            - degree * t * kernels.kl_bernoulli(p, a, np)
        )
    return _scalar_or_array(np.where(ok, lhs, np.nan))


def min_beta(
    theta: ArrayLike,
    degree: ArrayLike,
    alpha: ArrayLike,
    skills_over_text: ArrayLike = 0.0,
) -> FloatArray | float:
    """Smallest multiplier ``beta`` in ``(1, 1/alpha]`` for which the theorem holds.

    At least a ``1 - alpha`` fraction of skills then fail on at most a ``beta * theta``
    fraction of their text. The left-hand side is strictly decreasing in ``beta``, so this is
    its root (the boundary of the strict inequality).

    Parameters
    ----------
    theta, degree, alpha, skills_over_text : array_like
        As in :func:`emergence_lhs`.

    Returns
    -------
    float or ndarray
        NaN where no ``beta <= 1/alpha`` works (``H(theta) + (|S|/|T|)H(alpha) >=
        degree*theta*ln(1/alpha)``, i.e. ``alpha >= alpha_limit(theta, degree, ...)``) or
        outside the domain.

    Raises
    ------
    ValueError
        If ``skills_over_text`` is negative or not finite.

    Examples
    --------
    >>> b = min_beta(0.1, 8, 0.1)
    >>> 1 < b < 10
    True
    >>> abs(emergence_lhs(0.1, 8, 0.1, b)) < 1e-9
    True
    """
    theta, degree, alpha, sot = np.broadcast_arrays(
        _arr(theta), _arr(degree), _arr(alpha), _check_skills_over_text(skills_over_text)
    )
    ok = (theta > 0) & (theta < 1) & (degree > 0) & (alpha > 0) & (alpha < 1) & (sot >= 0)
    t, d, a = np.where(ok, theta, 0.5), np.where(ok, degree, 1.0), np.where(ok, alpha, 0.5)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        h = (kernels.binary_entropy(t, np) + sot * kernels.binary_entropy(a, np)) / (d * t)
        feasible = ok & (np.log(1.0 / a) > h)
        h_safe = np.where(feasible, h, 0.5 * np.log(1.0 / a))
        beta = _blockwise(lambda hh, aa: kernels.solve_beta_star(hh, aa, np), h_safe, a)
    return _scalar_or_array(np.where(feasible, beta, np.nan))


def guaranteed_competence(
    theta: ArrayLike,
    degree: ArrayLike,
    alpha: ArrayLike,
    skills_over_text: ArrayLike = 0.0,
    *,
    markov: bool = False,
) -> FloatArray | float:
    """Competence guaranteed to a ``1 - alpha`` fraction of skills: ``1 - min_beta * theta``.

    This is the paper's *performance curve* evaluated at exactly ``alpha``. For the best
    guarantee a ``1 - alpha`` fraction enjoys (which may come from a smaller ``alpha``, or from
    Markov's inequality) use :func:`theorem_competence` and :func:`markov_competence`, or
    :func:`skillfit.theory.curves.curves_table`.

    Note that the theorem alone gives nothing at fixed ``alpha`` once ``theta`` is small enough
    (``H(theta)/theta`` grows like ``ln(1/theta)``): a failed set that small can hide entirely
    in the text of an ``alpha`` fraction of skills. Markov's inequality still guarantees
    competence ``1 - theta/alpha`` to a ``1 - alpha`` fraction; ``markov=True`` uses it where the
    theorem is infeasible, which makes the curve monotone in ``theta`` and in ``alpha``.

    Parameters
    ----------
    theta, degree, alpha, skills_over_text : array_like
        As in :func:`emergence_lhs`.
    markov : bool, default False
        Fall back to Markov's ``beta = 1/alpha`` where the theorem gives no ``beta``.

    Returns
    -------
    float or ndarray
        NaN where no multiplier is available (``min_beta`` NaN and ``markov=False``), where
        ``beta * theta > 1``, or outside the domain.

    Raises
    ------
    ValueError
        If ``skills_over_text`` is negative or not finite (also with ``markov=True``).

    Examples
    --------
    >>> c = guaranteed_competence([0.05, 0.1, 0.2], 8, 0.1)
    >>> bool(c[0] > c[1] > c[2])
    True
    """
    theta_a, alpha_a = _arr(theta), _arr(alpha)
    beta = _arr(min_beta(theta, degree, alpha, _check_skills_over_text(skills_over_text)))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if markov:
            in_domain = ((theta_a > 0) & (theta_a < 1) & (alpha_a > 0) & (alpha_a < 1)
                         & (_arr(degree) > 0))
            beta = np.where(np.isnan(beta) & in_domain, 1.0 / np.where(in_domain, alpha_a, 1.0),
                            beta)
        failure = beta * theta_a
    return _scalar_or_array(np.where(failure <= 1.0, 1.0 - failure, np.nan))


def markov_competence(theta: ArrayLike, alpha: ArrayLike) -> FloatArray | float:
    """Markov's guarantee: competence ``>= 1 - theta/alpha`` for a ``1 - alpha`` fraction.

    Double counting makes the edge-weighted mean failure rate of skills exactly ``theta``, so by
    Markov's inequality at most an ``alpha`` fraction of skills (weighted by their number of
    edges; all skills weigh the same in the uniform graph) fail on ``theta/alpha`` or more of
    their text -- whatever the graph. The theorem improves on this where it holds.

    Parameters
    ----------
    theta : array_like
        Failed measure (of text pieces, or ``theta_k`` of k-pieces), in (0, 1).
    alpha : array_like
        Fraction of skills allowed to fail, in (0, 1).

    Returns
    -------
    float or ndarray
        ``1 - theta/alpha``; NaN where that is negative (no guarantee) or outside the domain.

    Examples
    --------
    >>> round(markov_competence(0.05, 0.5), 6)
    0.9
    >>> import math
    >>> math.isnan(markov_competence(0.3, 0.2))
    True
    """
    theta, alpha = np.broadcast_arrays(_arr(theta), _arr(alpha))
    ok = (theta > 0) & (theta < 1) & (alpha > 0) & (alpha < 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        failure = theta / np.where(ok, alpha, 1.0)
    return _scalar_or_array(np.where(ok & (failure <= 1.0), 1.0 - failure, np.nan))


def alpha_limit(
    theta: ArrayLike, degree: ArrayLike, skills_over_text: ArrayLike = 0.0
) -> FloatArray | float:
    """Largest fraction ``alpha`` for which the theorem gives a ceiling (a supremum).

    The theorem needs ``beta <= 1/alpha``, so it gives a multiplier exactly where
    ``degree*theta*ln(1/alpha) > H(theta) + (|S|/|T|) H(alpha)``. That set is an interval
    ``(0, alpha_limit)``: the difference of the two sides is convex in ``alpha``, tends to
    infinity at 0 and to ``-H(theta)`` at 1. Without the finite-size term
    ``alpha_limit = exp(-H(theta) / (degree*theta))``; with it, a bisection on ``log alpha``.
    At the limit ``beta* = 1/alpha``: the theorem then says no more than Markov's inequality.

    Parameters
    ----------
    theta, degree, skills_over_text : array_like
        As in :func:`emergence_lhs`.

    Returns
    -------
    float or ndarray
        In (0, 1); NaN outside the domain or where no ``alpha`` works.

    Raises
    ------
    ValueError
        If ``skills_over_text`` is negative or not finite.

    Examples
    --------
    >>> a = alpha_limit(0.05, 4)
    >>> round(a, 4)
    0.3706
    >>> import math
    >>> math.isnan(min_beta(0.05, 4, 0.38)), math.isnan(min_beta(0.05, 4, 0.37))
    (True, False)
    """
    theta, degree, sot = np.broadcast_arrays(
        _arr(theta), _arr(degree), _check_skills_over_text(skills_over_text)
    )
    ok = (theta > 0) & (theta < 1) & (degree > 0)
    t, d = np.where(ok, theta, 0.5), np.where(ok, degree, 1.0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        h_theta = kernels.binary_entropy(t, np)
        log_hi = -h_theta / (d * t)  # the limit without the finite-size term (an upper end)

        def margin(log_a: FloatArray) -> FloatArray:
            a = np.exp(log_a)
            return -d * t * log_a - h_theta - sot * kernels.binary_entropy(a, np)

        lo = np.full(t.shape, np.log(np.finfo(float).tiny))
        found = ok & (margin(lo) > 0)
        hi = log_hi.copy()
        if np.any(sot > 0):  # 200 halvings: a log range of ~710 down to ~1e-58
            lo, hi = _bisect(lambda mid: margin(mid) > 0, lo, hi, 200)
        out = np.where(sot > 0, np.exp(0.5 * (lo + hi)), np.exp(log_hi))
    return _scalar_or_array(np.where(found, out, np.nan))


def theorem_competence(
    theta: ArrayLike,
    degree: ArrayLike,
    alpha: ArrayLike,
    skills_over_text: ArrayLike = 0.0,
) -> FloatArray | float:
    """Best competence the theorem guarantees to a ``1 - alpha`` fraction of skills.

    A guarantee for a ``1 - alpha'`` fraction with ``alpha' <= alpha`` is also one for a
    ``1 - alpha`` fraction, so this is the largest ``1 - min_beta(alpha')*theta`` over
    ``alpha' <= alpha``. Where the theorem holds, the curve is non-decreasing in ``alpha`` and
    the best is at ``alpha`` itself (:func:`guaranteed_competence`); beyond
    :func:`alpha_limit` the theorem gives nothing at ``alpha``, and the best is its value at
    the limit, ``1 - theta/alpha_limit`` -- never more than Markov's ``1 - theta/alpha``
    (:func:`markov_competence`).

    Parameters
    ----------
    theta, degree, alpha, skills_over_text : array_like
        As in :func:`emergence_lhs`.

    Returns
    -------
    float or ndarray
        NaN where the theorem gives nothing for any ``alpha' <= alpha``, or outside the domain.

    Raises
    ------
    ValueError
        If ``skills_over_text`` is negative or not finite.

    Examples
    --------
    At ``theta = 0.05`` and degree 4 the theorem holds only for ``alpha < 0.37``; at
    ``alpha = 0.5`` it still guarantees what it did for the 63% fraction, while Markov does
    better:

    >>> import math
    >>> math.isnan(guaranteed_competence(0.05, 4, 0.5))
    True
    >>> round(theorem_competence(0.05, 4, 0.5), 3), round(markov_competence(0.05, 0.5), 3)
    (0.865, 0.9)
    >>> theorem_competence(0.05, 4, 0.3) == guaranteed_competence(0.05, 4, 0.3)
    True
    """
    sot = _check_skills_over_text(skills_over_text)
    theta_a, degree_a, alpha_a = np.broadcast_arrays(_arr(theta), _arr(degree), _arr(alpha))
    at_alpha = _arr(guaranteed_competence(theta_a, degree_a, alpha_a, sot))
    limit = _arr(alpha_limit(theta_a, degree_a, sot))
    beyond = (alpha_a < 1) & (alpha_a >= limit)  # False where the limit is NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        at_limit = 1.0 - theta_a / np.where(beyond, limit, 1.0)
    out = np.where(beyond & (at_limit >= 0), at_limit, at_alpha)
    return _scalar_or_array(out)


def tuple_theta(theta: ArrayLike, k: ArrayLike, mode: Mode = "union") -> FloatArray | float:
    """Failed measure for k-tuples of text pieces (Corollary 13).

    Parameters
    ----------
    theta : array_like
        Single-piece failed measure in [0, 1].
    k : array_like
        Number of skills combined (>= 1).
    mode : {"union", "linear"}
        ``"union"``: ``1 - (1 - theta)^k``; ``"linear"``: ``k * theta`` (the paper's form).

    Examples
    --------
    >>> round(tuple_theta(0.1, 2), 6)
    0.19
    >>> round(tuple_theta(0.1, 2, mode="linear"), 6)
    0.2
    """
    _check_mode(mode)
    theta, k = np.broadcast_arrays(_arr(theta), _arr(k))
    ok = (theta >= 0) & (theta <= 1) & (k >= 1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = kernels.tuple_theta(np.where(ok, theta, 0.5), np.where(ok, k, 1.0), mode, np)
    return _scalar_or_array(np.where(ok, out, np.nan))


def competent_fraction(
    theta: ArrayLike,
    degree: ArrayLike,
    tau: ArrayLike,
    k: ArrayLike = 1,
    mode: Mode = "union",
) -> FloatArray | float:
    """Fraction of k-tuples of skills guaranteed competence at least ``tau``.

    With ``theta_k = tuple_theta(theta, k, mode)`` and ``beta = (1 - tau) / theta_k``, the
    theorem's smallest ``alpha*`` gives ``1 - alpha*``; where the theorem gives less than
    Markov's inequality (at most ``1/beta`` of skills fail on ``>= beta*theta_k``), the Markov
    value ``1 - 1/beta`` is used; for ``beta <= 1`` the guarantee is 0. The result is
    continuous and decreasing in ``theta`` and increasing in ``degree``.

    Parameters
    ----------
    theta : array_like
        Failed measure of single text pieces, in (0, 1).
    degree : array_like
        Skills per text piece, > 0.
    tau : array_like
        Competence threshold in [0, 1).
    k : array_like, default 1
        Skills combined.
    mode : {"union", "linear"}
        How tuples of text pieces fail; see :func:`tuple_theta`.

    Returns
    -------
    float or ndarray
        In [0, 1]; NaN outside the domain.

    Examples
    --------
    >>> f1 = competent_fraction(0.02, 8, 0.5, k=1)
    >>> f4 = competent_fraction(0.02, 8, 0.5, k=4)
    >>> bool(1 > f1 > f4 > 0)
    True
    """
    _check_mode(mode)
    theta, degree, tau, k = np.broadcast_arrays(_arr(theta), _arr(degree), _arr(tau), _arr(k))
    ok = (theta > 0) & (theta < 1) & (degree > 0) & (tau >= 0) & (tau < 1) & (k >= 1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        out = _blockwise(
            lambda th, d, ta, kk: kernels.competent_fraction(th, d, ta, kk, mode, np),
            np.where(ok, theta, 0.5),
            np.where(ok, degree, 1.0),
            np.where(ok, tau, 0.5),
            np.where(ok, k, 1.0),
        )
    return _scalar_or_array(np.where(ok, out, np.nan))


def theta_for_competence(
    target: ArrayLike,
    degree: ArrayLike,
    tau: ArrayLike,
    k: ArrayLike = 1,
    mode: Mode = "union",
    *,
    iterations: int = 64,
) -> FloatArray | float:
    """Largest ``theta`` whose :func:`competent_fraction` still reaches ``target``.

    The inverse of :func:`competent_fraction` in ``theta`` (which is continuous and strictly
    decreasing there), by vectorised bisection on ``log theta``. Use it to ask "how much must the
    failed measure fall before ``target`` of k-tuples are handled at level ``tau``?".

    Parameters
    ----------
    target : array_like
        Fraction of k-tuples to guarantee, in (0, 1).
    degree, tau, k, mode
        As in :func:`competent_fraction`.
    iterations : int, default 64
        Bisection steps (relative precision about ``2**-iterations`` of the log range), >= 1.

    Returns
    -------
    float or ndarray
        NaN outside the domain.

    Raises
    ------
    ValueError
        If ``iterations`` is not an integer >= 1.

    Examples
    --------
    >>> th = theta_for_competence(0.9, 8, 0.5, k=2)
    >>> round(float(competent_fraction(th, 8, 0.5, k=2)), 6)
    0.9
    """
    _check_mode(mode)
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or (
        iterations < 1
    ):
        raise ArgumentError(f"iterations must be an integer >= 1, got {iterations!r}")
    target, degree, tau, k = np.broadcast_arrays(
        _arr(target), _arr(degree), _arr(tau), _arr(k)
    )
    ok = (target > 0) & (target < 1) & (degree > 0) & (tau >= 0) & (tau < 1) & (k >= 1)
    d, t, kk = np.where(ok, degree, 1.0), np.where(ok, tau, 0.5), np.where(ok, k, 1.0)
    goal = np.where(ok, target, 0.5)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        # theta at which the tuple failure reaches 1 - tau (beta = 1, fraction 0): the upper end.
        if mode == "union":
            upper = -np.expm1(np.log1p(-(1.0 - t)) / kk)
        else:
            upper = (1.0 - t) / kk
        lo = np.full(target.shape, np.log(1e-12))
        hi = np.log(np.minimum(upper, 1.0 - 1e-12))
        lo, _ = _bisect(
            lambda mid: kernels.competent_fraction(np.exp(mid), d, t, kk, mode, np) >= goal,
            lo, hi, iterations,
        )
    return _scalar_or_array(np.where(ok, np.exp(lo), np.nan))
