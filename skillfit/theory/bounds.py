"""NumPy face of the emergence theory: performance curves and competent fractions.

All functions broadcast over array inputs, use natural logs, and never loop in Python over
points. The maths is in :mod:`skillfit.theory.kernels`; this module adds domain handling
(NaN outside the domain, argument checks) and the public signatures.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skillfit.theory import kernels

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


def _scalar_or_array(x: FloatArray) -> FloatArray | float:
    return float(x) if x.ndim == 0 else x


def _check_mode(mode: str) -> None:
    if mode not in ("union", "linear"):
        raise ValueError(f"mode must be 'union' or 'linear', got {mode!r}")


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
        ``|S|/|T|``; adds the union bound over skill subsets (0 = the paper's |T| >> |S| form).

    Returns
    -------
    float or ndarray
        NaN outside the domain.

    Examples
    --------
    >>> emergence_lhs(0.1, 8, 0.1, 3.0) < 0
    True
    >>> emergence_lhs(0.1, 8, 0.1, 1.2) < 0
    False
    """
    theta, degree, alpha, beta, sot = np.broadcast_arrays(
        _arr(theta), _arr(degree), _arr(alpha), _arr(beta), _arr(skills_over_text)
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
    theta, degree, alpha, skills_over_text
        As in :func:`emergence_lhs`.

    Returns
    -------
    float or ndarray
        NaN where no ``beta <= 1/alpha`` works (``H(theta) + (|S|/|T|)H(alpha) >=
        degree*theta*ln(1/alpha)``) or outside the domain.

    Examples
    --------
    >>> b = min_beta(0.1, 8, 0.1)
    >>> 1 < b < 10
    True
    >>> abs(emergence_lhs(0.1, 8, 0.1, b)) < 1e-9
    True
    """
    theta, degree, alpha, sot = np.broadcast_arrays(
        _arr(theta), _arr(degree), _arr(alpha), _arr(skills_over_text)
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

    This is the paper's *performance curve* evaluated at ``alpha``.

    Note that the theorem alone gives nothing at fixed ``alpha`` once ``theta`` is small enough
    (``H(theta)/theta`` grows like ``ln(1/theta)``): a failed set that small can hide entirely
    in the text of an ``alpha`` fraction of skills. Markov's inequality still guarantees
    competence ``1 - theta/alpha`` to a ``1 - alpha`` fraction; ``markov=True`` uses it where the
    theorem is infeasible, which makes the curve monotone in ``theta``.

    Parameters
    ----------
    theta, degree, alpha, skills_over_text
        As in :func:`emergence_lhs`.
    markov : bool, default False
        Fall back to Markov's ``beta = 1/alpha`` where the theorem gives no ``beta``.

    Returns
    -------
    float or ndarray
        NaN where no multiplier is available (``min_beta`` NaN and ``markov=False``), where
        ``beta * theta > 1``, or outside the domain.

    Examples
    --------
    >>> c = guaranteed_competence([0.05, 0.1, 0.2], 8, 0.1)
    >>> bool(c[0] > c[1] > c[2])
    True
    """
    theta_a, alpha_a = _arr(theta), _arr(alpha)
    beta = _arr(min_beta(theta, degree, alpha, skills_over_text))
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if markov:
            in_domain = ((theta_a > 0) & (theta_a < 1) & (alpha_a > 0) & (alpha_a < 1)
                         & (_arr(degree) > 0))
            beta = np.where(np.isnan(beta) & in_domain, 1.0 / np.where(in_domain, alpha_a, 1.0),
                            beta)
        failure = beta * theta_a
    return _scalar_or_array(np.where(failure <= 1.0, 1.0 - failure, np.nan))


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
        Bisection steps (relative precision about ``2**-iterations`` of the log range).

    Returns
    -------
    float or ndarray
        NaN outside the domain.

    Examples
    --------
    >>> th = theta_for_competence(0.9, 8, 0.5, k=2)
    >>> round(float(competent_fraction(th, 8, 0.5, k=2)), 6)
    0.9
    """
    _check_mode(mode)
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
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            frac = kernels.competent_fraction(np.exp(mid), d, t, kk, mode, np)
            reach = frac >= goal
            lo = np.where(reach, mid, lo)
            hi = np.where(reach, hi, mid)
    return _scalar_or_array(np.where(ok, np.exp(lo), np.nan))
