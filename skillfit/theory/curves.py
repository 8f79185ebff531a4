"""Tables of the theory: performance curves with their source, and Corollary 13.

These are the numbers ``skillfit curves`` prints. Every guarantee is "competence at least
``c`` for at least a ``1 - alpha`` fraction of skills (or k-tuples)", and the tables say where
each number comes from (``docs/theory.md``, sections "The performance curve" and "Markov's
bound"):

- ``theorem`` -- the emergence theorem, best over ``alpha' <= alpha``
  (:func:`~skillfit.theory.bounds.theorem_competence`);
- ``markov`` -- Markov's inequality, ``1 - theta_k/alpha``, which holds on any graph
  (:func:`~skillfit.theory.bounds.markov_competence`);
- ``guaranteed_competence`` -- the larger of the two, with ``source`` naming it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from skillfit.theory.bounds import (
    Mode,
    markov_competence,
    theorem_competence,
    tuple_theta,
)

__all__ = ["CURVE_COLUMNS", "best_guarantee", "corollary13", "curves_table"]

#: Columns of :func:`curves_table`, in order.
CURVE_COLUMNS = (
    "theta", "k", "alpha", "theta_k", "theorem", "markov", "guaranteed_competence", "source",
)


def best_guarantee(
    theta: ArrayLike,
    degree: ArrayLike,
    alpha: ArrayLike,
    skills_over_text: ArrayLike = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Best guaranteed competence for a ``1 - alpha`` fraction, and which bound gives it.

    Parameters
    ----------
    theta : array_like
        Failed measure of the units (``theta_k`` for k-tuples), in (0, 1).
    degree : array_like
        Skills per text piece, > 0.
    alpha : array_like
        Fraction of units allowed to fail, in (0, 1).
    skills_over_text : array_like, default 0
        Finite-size ratio ``|S|/|T|`` of the theorem (0 = the paper's form).

    Returns
    -------
    competence : ndarray of float64
        ``max(theorem, markov)``; NaN only where neither gives a non-negative level.
    source : ndarray of str
        ``"theorem"`` where the theorem's value is at least Markov's, ``"markov"`` where Markov
        is better or the theorem gives nothing, ``"none"`` where neither applies.

    Examples
    --------
    >>> comp, src = best_guarantee(0.05, 4, [0.3, 0.5])
    >>> comp.round(3).tolist(), src.tolist()
    ([0.84, 0.9], ['theorem', 'markov'])
    """
    theorem = np.atleast_1d(np.asarray(
        theorem_competence(theta, degree, alpha, skills_over_text), dtype=np.float64))
    markov = np.broadcast_to(np.asarray(markov_competence(theta, alpha), dtype=np.float64),
                             theorem.shape)
    use_theorem = np.isfinite(theorem) & ~(markov > theorem)
    competence = np.where(use_theorem, theorem, markov)
    source = np.where(use_theorem, "theorem", np.where(np.isfinite(markov), "markov", "none"))
    return competence, source


def curves_table(
    thetas: Sequence[float] | ArrayLike,
    degree: float,
    ks: Sequence[int] | ArrayLike,
    alphas: Sequence[float] | ArrayLike,
    mode: Mode = "union",
    skills_over_text: float = 0.0,
) -> pd.DataFrame:
    """Guaranteed competence for every ``(theta, k, alpha)``, with the bound that gives it.

    Parameters
    ----------
    thetas : sequence of float
        Failed measures of single text pieces, in (0, 1).
    degree : float
        Skills per text piece (the paper's k), > 0.
    ks : sequence of int
        Numbers of skills combined (1 = single skills).
    alphas : sequence of float
        Fractions of units allowed to fail, in (0, 1).
    mode : {"union", "linear"}, default "union"
        How k-tuples fail (:func:`~skillfit.theory.bounds.tuple_theta`).
    skills_over_text : float, default 0
        Finite-size ratio ``|S|/|T|`` (0 = the paper's form).

    Returns
    -------
    pandas.DataFrame
        One row per ``(theta, k, alpha)`` (in that nesting order) with the columns of
        :data:`CURVE_COLUMNS`: ``theorem`` is the theorem's best guarantee over
        ``alpha' <= alpha``, ``markov`` Markov's ``1 - theta_k/alpha``,
        ``guaranteed_competence`` the larger and ``source`` which one it is. For fixed
        ``(theta, k)`` the guarantee is non-decreasing in ``alpha`` (a larger ``alpha`` is a
        weaker claim), and NaN only where both bounds are void.

    Examples
    --------
    At ``alpha = 0.5`` the theorem (beyond its limit ``alpha < 0.37``) keeps its value from
    ``alpha = 0.37``, and Markov's inequality does better:

    >>> t = curves_table([0.05], 4, [1], [0.3, 0.5])
    >>> t["theorem"].round(3).tolist(), t["markov"].round(3).tolist()
    ([0.84, 0.865], [0.833, 0.9])
    >>> t["guaranteed_competence"].round(3).tolist(), t["source"].tolist()
    ([0.84, 0.9], ['theorem', 'markov'])
    """
    th, kk, al = np.meshgrid(np.asarray(thetas, float), np.asarray(ks, float),
                             np.asarray(alphas, float), indexing="ij")
    theta_k = np.asarray(tuple_theta(th, kk, mode), dtype=np.float64)
    competence, source = best_guarantee(theta_k, degree, al, skills_over_text)
    return pd.DataFrame({
        "theta": th.ravel(), "k": kk.ravel().astype(np.int64), "alpha": al.ravel(),
        "theta_k": theta_k.ravel(),
        "theorem": np.ravel(theorem_competence(theta_k, degree, al, skills_over_text)),
        "markov": np.ravel(markov_competence(theta_k, al)),
        "guaranteed_competence": competence.ravel(), "source": source.ravel(),
    }, columns=list(CURVE_COLUMNS))


def corollary13(
    thetas: Sequence[float] | ArrayLike,
    degree: float,
    ks: Sequence[int] | ArrayLike,
    alphas: Sequence[float] | ArrayLike,
) -> pd.DataFrame:
    """Corollary 13 worked out: k-tuples after the failed measure falls k-fold.

    This is an identity, not an empirical check. With the paper's linear form
    ``theta_k = k * (theta / k) = theta``, so the k-tuple curve after the fall *is* the
    single-skill curve before. With the union form ``theta_k = 1 - (1 - theta/k)^k < theta``,
    so the k-tuple curve after is higher; the table says by how much.

    Parameters
    ----------
    thetas : sequence of float
        Failed measures before scaling, in (0, 1).
    degree : float
        Skills per text piece, > 0.
    ks : sequence of int
        Tuple sizes (>= 1).
    alphas : sequence of float
        Fractions at which the curves are compared, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row per ``(theta, k)``: ``theta``, ``k``, ``theta_after`` (``theta / k``),
        ``theta_k_linear`` (equal to ``theta``), ``theta_k_union`` and
        ``union_gain_max``, the largest increase of the guaranteed competence
        (:func:`curves_table`) of union k-tuples after over single skills before, over
        ``alphas`` (NaN if neither has a guarantee at any ``alpha``).

    Examples
    --------
    >>> t = corollary13([0.1], 8, [2], [0.1, 0.2])
    >>> round(float(t.theta_k_linear.iloc[0]), 12), round(float(t.theta_k_union.iloc[0]), 4)
    (0.1, 0.0975)
    >>> bool(t.union_gain_max.iloc[0] > 0)
    True
    """
    rows = []
    for theta in np.asarray(thetas, float):
        single = curves_table([theta], degree, [1], alphas)["guaranteed_competence"].to_numpy()
        for k in np.asarray(ks, int):
            after = theta / k
            union = curves_table([after], degree, [k], alphas, "union")
            gain = union["guaranteed_competence"].to_numpy() - single
            rows.append({
                "theta": float(theta), "k": int(k), "theta_after": after,
                "theta_k_linear": float(tuple_theta(after, k, "linear")),
                "theta_k_union": float(union["theta_k"].iloc[0]),
                "union_gain_max": float(np.nanmax(gain)) if np.isfinite(gain).any() else np.nan,
            })
    return pd.DataFrame(rows)
