"""Failure rates on a skill graph, and the comparison with the theorem's bound.

Competence is the paper's conservative accounting (arXiv 2307.15936, Definition 7; see
``docs/theory.md``, section "Competence"): a failure on a text piece is charged to every skill
of the piece, so the *failure rate* of a skill is the fraction of its edges (incidences,
counting multiplicity) that go to the failure set ``Y``, and its competence is one minus that.
Computed this way the empirical competence is directly comparable with the theorem's
performance curve (:func:`skillfit.theory.bounds.guaranteed_competence`).

What the theorem promises, and when: for a random graph and *every* ``Y`` of measure ``theta``, at most an ``alpha`` fraction of
skills fail on ``>= min_beta * theta`` of their edges -- with high probability over the graph,
**provided there are many more text pieces than skills** (``|T| >> |S|``). The union bound
over the sets of bad skills costs ``(|S|/|T|) H(alpha)``; the paper's form drops that term,
which is harmless only when ``|S|/|T|`` is small. On a sparse graph (say 1,000 skills, 2,000
pieces of degree 2) an adversary aimed at the rarest skills beats the paper-form ceiling in most
graphs. :func:`compare_with_bound` therefore includes the term by default, with the graph's
own ratio ``|S|/|T|`` (``docs/theory.md``, section "Finite size").

With non-uniform skill frequencies mu_1, "an alpha fraction of skills" is measured by mu_1
(``measure="weights"``, the default for weighted graphs): the theorem's Chernoff step puts
each edge slot of ``Y`` into the target set with probability ``mu_1(Z)``. Counting skills
instead (``measure="count"``) is outside the theorem, and an adversary aimed at rare skills
then beats the ceiling under steep Zipf laws.

k-tuples of skills follow the tensorised view of Corollary 13 (``docs/theory.md``, section
"k-tuples"): a *k-piece* for the tuple ``(s_1, ..., s_k)`` concatenates k text pieces, the i-th
drawn uniformly from the edges of ``s_i``; it fails when any component fails. The tuple's
failure rate is the probability that a random k-piece fails, ``1 - prod_i (1 - f(s_i))``
exactly, or a Monte Carlo estimate from sampled k-pieces (:func:`tuple_failure_rates`); it is
compared with the single-skill curve at ``theta_k = 1 - (1 - theta)^k``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from skillfit.errors import SimulationError
from skillfit.theory.bounds import guaranteed_competence, min_beta, tuple_theta
from skillfit.theory.failures import _failure_set
from skillfit.theory.graph import (
    BoolArray,
    FailureKind,
    FloatArray,
    IntArray,
    MeasureKind,
    SeedLike,
    SkillGraph,
    TargetKind,
    _check_alphas,
    _check_int,
    _check_open_unit,
    _fill_distinct,
    _resolve_measure,
    _rng,
    _Sampler,
    random_skill_graph,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "SimulationResult",
    "compare_with_bound",
    "simulate",
    "skill_failure_rates",
    "tuple_failure_rates",
    "violated_alphas",
    "worst_failure",
]

#: Columns of the tables returned by :func:`compare_with_bound`, in order.
COMPARISON_COLUMNS = (
    "alpha", "k", "theta", "theta_k", "empirical_failure", "bound_failure", "beta_star",
    "empirical_competence", "guaranteed_competence", "holds", "failure", "measure", "n_units",
    "skills_over_text",
)


# --------------------------------------------------------------------------------------------
# empirical failure rates


def _check_failed(graph: SkillGraph, failed: ArrayLike) -> BoolArray:
    f = np.asarray(failed)
    if f.dtype != np.bool_ or f.shape != (graph.n_text,):
        raise SimulationError(
            f"failed must be a boolean array of shape ({graph.n_text},), "
            f"got {f.dtype} {f.shape}"
        )
    return f


def skill_failure_rates(graph: SkillGraph, failed: ArrayLike) -> FloatArray:
    """Per-skill failure rate: the fraction of a skill's edges that go to failed pieces.

    Edges count with multiplicity (a piece that needs a skill twice contributes two edges).
    This is the paper's conservative accounting (``docs/theory.md``, section "Competence"):
    competence is ``1 - rate``.

    Parameters
    ----------
    graph : SkillGraph
    failed : array_like of bool, shape (n_text,)

    Returns
    -------
    ndarray of float64, shape (n_skills,)
        NaN for skills without edges.

    Examples
    --------
    >>> from skillfit.theory import random_failure_set, random_skill_graph
    >>> g = random_skill_graph(10, 2000, 2, seed=0)
    >>> r = skill_failure_rates(g, random_failure_set(g, 0.25, seed=0))
    >>> bool(abs(np.nanmean(r) - 0.25) < 0.03)
    True
    """
    failed = _check_failed(graph, failed)
    bad = np.zeros(graph.n_skills, dtype=np.int64)
    for c0, block in graph.chunks():
        sel = block[failed[c0 : c0 + block.shape[0]]]
        bad += np.bincount(sel.ravel(), minlength=graph.n_skills)
    deg = graph.skill_degrees
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(deg > 0, bad / np.maximum(deg, 1), np.nan)


def _sample_tuples(
    graph: SkillGraph, k: int, n_tuples: int, measure: str, rng: np.random.Generator
) -> IntArray:
    """Random k-subsets of the skills that have at least one edge (uniform, or by weights)."""
    eligible = np.flatnonzero(graph.skill_degrees > 0).astype(np.int32)
    if eligible.size < k:
        raise SimulationError(
            f"k ({k}) exceeds the number of skills with edges ({eligible.size})"
        )
    w = None
    if measure == "weights" and graph.skill_weights is not None:
        w = graph.skill_weights[eligible]
        w = w / w.sum()
    pos = np.empty((n_tuples, k), dtype=np.int32)
    _fill_distinct(pos, _Sampler(eligible.size, w), rng)
    return eligible[pos]


def tuple_failure_rates(
    graph: SkillGraph,
    failed: ArrayLike,
    k: int,
    *,
    n_tuples: int = 2000,
    n_pieces: int | None = None,
    measure: MeasureKind | None = None,
    seed: SeedLike = None,
) -> tuple[IntArray, FloatArray]:
    """Failure rates of random k-tuples of skills, in the tensorised view of Corollary 13.

    A *k-piece* of the tuple ``(s_1, ..., s_k)`` concatenates k text pieces, the i-th drawn
    uniformly from the edges of ``s_i``; it fails if any component is in ``Y`` (the paper:
    "error now means an erroneous answer on any cloze question in the entire k'-piece"; see
    ``docs/theory.md``, section "k-tuples"). (Pieces adjacent to *all* skills of a tuple are too rare in a graph of this size to define
    the rate directly, Def. 7.) The tuple's failure rate is the probability a random k-piece
    fails. With random ``Y`` its mean is about ``1 - (1 - theta)^k``.

    Parameters
    ----------
    graph : SkillGraph
    failed : array_like of bool, shape (n_text,)
    k : int
        Skills per tuple (distinct), >= 1.
    n_tuples : int, default 2000
        Tuples sampled among the k-subsets of skills with at least one edge: uniformly
        (``measure="count"``) or by successive sampling from the skill weights
        (``"weights"``, approximately the product measure), so that each sampled tuple
        carries equal measure either way.
    n_pieces : int, optional
        None (default): the exact rate over all k-pieces of each tuple,
        ``1 - prod_i (1 - f(s_i))`` with ``f`` from :func:`skill_failure_rates` (the
        Rao-Blackwellised Monte Carlo: random tuples, exact average over their pieces).
        An integer: a Monte Carlo estimate from that many sampled k-pieces per tuple, built
        from actual text pieces (needs a per-skill edge index, about 12 bytes per edge once).
    measure : {"count", "weights"}, optional
        Default ``"weights"`` for a weighted graph, else ``"count"``.
    seed : int, Generator, SeedSequence or None

    Returns
    -------
    tuples : ndarray of int32, shape (n_tuples, k)
    rates : ndarray of float64, shape (n_tuples,)

    Examples
    --------
    >>> from skillfit.theory import random_failure_set, random_skill_graph
    >>> g = random_skill_graph(100, 20000, 8, replace=False, seed=0)
    >>> y = random_failure_set(g, 0.1, seed=1)
    >>> tup, rates = tuple_failure_rates(g, y, 2, n_tuples=500, seed=2)
    >>> tup.shape, bool(abs(rates.mean() - 0.19) < 0.01)
    ((500, 2), True)
    """
    failed = _check_failed(graph, failed)
    k = _check_int("k", k, 1)
    n_tuples = _check_int("n_tuples", n_tuples, 1)
    measure = _resolve_measure(graph, measure)
    rng = _rng(seed)
    tuples = _sample_tuples(graph, k, n_tuples, measure, rng)
    if n_pieces is None:
        rates = skill_failure_rates(graph, failed)
        ok = np.prod(1.0 - rates[tuples], axis=1)
        return tuples, 1.0 - ok
    n_pieces = _check_int("n_pieces", n_pieces, 1)
    offsets, pieces = graph._edge_index()
    deg = graph.skill_degrees
    fails = np.zeros(n_tuples, dtype=np.int64)
    block = max(1, (1 << 22) // (n_pieces * k))
    for b0 in range(0, n_tuples, block):
        tb = tuples[b0 : b0 + block]  # (b, k)
        r = rng.random((tb.shape[0], n_pieces, k))
        edge = offsets[tb][:, None, :] + (r * deg[tb][:, None, :]).astype(np.int64)
        comp_fail = failed[pieces[edge]]  # (b, n_pieces, k)
        fails[b0 : b0 + block] = comp_fail.any(axis=2).sum(axis=1)
    return tuples, fails / n_pieces


# --------------------------------------------------------------------------------------------
# summaries and comparison with the bound



# --------------------------------------------------------------------------------------------
# summaries and comparison with the bound


def worst_failure(
    rates: ArrayLike, alpha: ArrayLike, weights: ArrayLike | None = None
) -> FloatArray | float:
    """The failure level that at most an ``alpha`` fraction of units exceed.

    Sort the finite rates in decreasing order (NaN are dropped) and let ``j`` be the largest
    number of leading units whose share is at most ``alpha`` (``j = floor(alpha * n)`` when
    counting units). The result is the ``(j+1)``-th largest rate: the units failing strictly
    more have share ``<= alpha``, the units failing at least this much have share
    ``> alpha``. Hence the theorem's claim "at most an alpha fraction of skills fail on
    ``>= beta*theta``" holds on the sample exactly when
    ``worst_failure(rates, alpha) < beta * theta``.

    Parameters
    ----------
    rates : array_like
        Per-skill (or per-tuple) failure rates.
    alpha : float or array_like
        Fractions in (0, 1).
    weights : array_like, optional
        Measure of each unit (renormalised over the finite rates); None counts units.

    Examples
    --------
    >>> worst_failure([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], 0.2)
    0.8
    >>> worst_failure([0.1, 0.5, 0.9], 0.2, weights=[0.7, 0.1, 0.2])  # 0.9 has share 0.2
    0.5
    """
    r = np.asarray(rates, dtype=np.float64).ravel()
    finite = np.isfinite(r)
    if not finite.any():
        raise SimulationError("rates has no finite values")
    a = np.asarray(alpha, dtype=np.float64)
    if np.any(~((a > 0) & (a < 1))):
        raise SimulationError(f"alpha must be in (0, 1), got {alpha!r}")
    order = np.argsort(-r[finite], kind="stable")
    r = r[finite][order]
    if weights is None:
        j = np.floor(a * r.size + 1e-9).astype(np.intp)
    else:
        w = np.asarray(weights, dtype=np.float64).ravel()
        if w.shape != finite.shape or not np.all(np.isfinite(w)) or np.any(w < 0):
            raise SimulationError("weights must be finite, >= 0, one per rate")
        w = w[finite][order]
        if not w.sum() > 0:
            raise SimulationError("weights of the finite rates sum to 0")
        cum = np.cumsum(w / w.sum())
        j = np.searchsorted(cum, a + 1e-12, side="right")
    out = r[np.minimum(j, r.size - 1)]
    return float(out) if out.ndim == 0 else out




def _skills_over_text(value: float | None, n_skills: int, n_text: int) -> float:
    """The finite-size ratio to use: ``|S|/|T|`` of the graph when ``value`` is None."""
    if value is None:
        return n_skills / n_text
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SimulationError(f"skills_over_text must be a number >= 0, got {value!r}") from None
    if not (np.isfinite(v) and v >= 0):
        raise SimulationError(f"skills_over_text must be a finite number >= 0, got {value!r}")
    return v


def _bound_frame(
    results: list[tuple[SimulationResult, FloatArray]], skills_over_text: float
) -> pd.DataFrame:
    """One row per ``(result, alpha)``: the empirical worst-alpha failure next to the ceiling.

    This is the one place that builds comparison rows; both :func:`compare_with_bound` and
    :meth:`SimulationResult.compare_with_bound` go through it.
    """
    frames = []
    for res, alphas in results:
        frames.append(pd.DataFrame({
            "alpha": alphas, "k": res.k, "theta": res.theta, "theta_k": res.theta_k,
            "empirical_failure": np.atleast_1d(res.worst_failure(alphas)),
            "failure": res.failure, "measure": res.measure,
            "n_units": int(np.isfinite(res.failure_rates).sum()),
        }))
    df = pd.concat(frames, ignore_index=True)
    degree = results[0][0].degree
    theta_k, alpha = df["theta_k"].to_numpy(), df["alpha"].to_numpy()
    beta = np.asarray(min_beta(theta_k, degree, alpha, skills_over_text), dtype=np.float64)
    df["beta_star"] = beta
    df["bound_failure"] = beta * theta_k
    df["empirical_competence"] = 1.0 - df["empirical_failure"]
    df["guaranteed_competence"] = np.asarray(
        guaranteed_competence(theta_k, degree, alpha, skills_over_text), dtype=np.float64
    )
    holds = pd.array((df["empirical_failure"] < df["bound_failure"]).to_numpy(), dtype="boolean")
    holds[~np.isfinite(df["guaranteed_competence"].to_numpy())] = pd.NA
    df["holds"] = holds
    df["skills_over_text"] = skills_over_text
    return df[list(COMPARISON_COLUMNS)]


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """Empirical failure rates of skills (``k = 1``) or sampled k-tuples on one failure set.

    Attributes
    ----------
    failure_rates : ndarray of float64
        One per skill (NaN for skills without edges) or per sampled tuple.
    theta : float
        Realised measure of the failure set, ``n_failed / n_text``.
    k : int
        Tuple size (1 = single skills).
    degree, n_skills, n_text : int
        The graph.
    failure : str
        ``"random"`` or ``"adversarial"``.
    measure : str
        ``"count"`` or ``"weights"``: how fractions of skills are measured.
    alpha : float or None
        The adversary's target fraction (None for random failures).
    tuples : ndarray of int32 or None
        The sampled tuples when ``k > 1``.
    unit_weights : ndarray of float64 or None
        Measure of each unit for quantiles (skill weights for single skills under
        ``"weights"``); None = units count equally.

    Examples
    --------
    >>> res = simulate(100, 5000, 6, 0.1, seed=0)
    >>> res.failure_rates.shape, round(res.theta, 3)
    ((100,), 0.1)
    """

    failure_rates: FloatArray
    theta: float
    k: int
    degree: int
    n_skills: int
    n_text: int
    failure: str
    measure: str = "count"
    alpha: float | None = None
    tuples: IntArray | None = None
    unit_weights: FloatArray | None = None

    @property
    def theta_k(self) -> float:
        """Failed measure of k-pieces, ``1 - (1 - theta)^k`` (Corollary 13, union form)."""
        return float(tuple_theta(self.theta, self.k))

    def worst_failure(self, alpha: ArrayLike) -> FloatArray | float:
        """Failure level at most an ``alpha`` fraction of units exceed (:func:`worst_failure`)."""
        return worst_failure(self.failure_rates, alpha, self.unit_weights)

    def competence(self, alpha: ArrayLike) -> FloatArray | float:
        """Empirical competence of a ``1 - alpha`` fraction of units: ``1 - worst_failure``."""
        worst = self.worst_failure(alpha)
        return 1.0 - worst if isinstance(worst, float) else 1.0 - np.asarray(worst)

    def compare_with_bound(
        self, alphas: ArrayLike, *, skills_over_text: float | None = None
    ) -> pd.DataFrame:
        """Compare this failure set's empirical curve with the theorem's, at each ``alpha``.

        Parameters
        ----------
        alphas : array_like
            Fractions in (0, 1).
        skills_over_text : float, optional
            Finite-size ratio of the bound; default ``n_skills / n_text`` of the graph.

        Returns
        -------
        pandas.DataFrame
            Columns as in :func:`compare_with_bound`. Note that an adversarial set is aimed at
            one ``alpha``; :func:`compare_with_bound` builds one per ``alpha``.
        """
        sot = _skills_over_text(skills_over_text, self.n_skills, self.n_text)
        return _bound_frame([(self, _check_alphas(alphas))], sot)


def _result(
    graph: SkillGraph,
    failed: BoolArray,
    *,
    k: int,
    failure: str,
    measure: str,
    alpha: float | None,
    n_tuples: int,
    n_pieces: int | None,
    rng: np.random.Generator,
) -> SimulationResult:
    theta = float(failed.sum()) / graph.n_text
    unit_weights = None
    if k == 1:
        rates, tuples = skill_failure_rates(graph, failed), None
        if measure == "weights":
            unit_weights = graph.skill_weights
    else:
        tuples, rates = tuple_failure_rates(
            graph, failed, k, n_tuples=n_tuples, n_pieces=n_pieces, measure=measure, seed=rng
        )
    return SimulationResult(
        rates, theta, k, graph.degree, graph.n_skills, graph.n_text, failure, measure, alpha,
        tuples, unit_weights,
    )


def simulate(
    n_skills: int,
    n_text: int,
    degree: int,
    theta: float,
    *,
    failure: FailureKind = "random",
    alpha: float | None = None,
    target: TargetKind = "random",
    k: int = 1,
    replace: bool = True,
    skill_weights: ArrayLike | None = None,
    measure: MeasureKind | None = None,
    n_tuples: int = 2000,
    n_pieces: int | None = None,
    seed: SeedLike = None,
) -> SimulationResult:
    """Draw a skill graph and a failure set, and return the empirical failure rates.

    Parameters
    ----------
    n_skills, n_text, degree : int
        As in :func:`~skillfit.theory.graph.random_skill_graph`.
    replace : bool, default True
        As in :func:`~skillfit.theory.graph.random_skill_graph`.
    skill_weights : array_like, optional
        As in :func:`~skillfit.theory.graph.random_skill_graph`.
    theta : float
        Measure of failed text, in (0, 1).
    failure : {"random", "adversarial"}, default "random"
        See :func:`~skillfit.theory.failures.random_failure_set` and
        :func:`~skillfit.theory.failures.adversarial_failure_set`.
    alpha : float, optional
        The adversary's target fraction (required for ``failure="adversarial"``).
    target : {"random", "frequent", "rare"}, default "random"
        How the adversary picks its skills (see
        :func:`~skillfit.theory.failures.adversarial_failure_set`).
    k : int, default 1
        1 for single skills; > 1 for k-tuples (:func:`tuple_failure_rates`).
    measure : {"count", "weights"}, optional
        How fractions of skills are measured; see :func:`compare_with_bound`.
    n_tuples, n_pieces : int
        As in :func:`tuple_failure_rates` (used when ``k > 1``).
    seed : int, Generator, SeedSequence or None
        One seed for the whole run (graph, failure set, tuples in that order).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> res = simulate(200, 20000, 8, 0.1, failure="adversarial", alpha=0.1,
    ...                replace=False, seed=0)
    >>> round(res.theta, 3)
    0.1
    >>> df = res.compare_with_bound([0.1])
    >>> bool(df["holds"].iloc[0]), bool(df["empirical_failure"].iloc[0] > 0.2)
    (True, True)
    """
    k = _check_int("k", k, 1)
    if alpha is not None:
        alpha = _check_open_unit("alpha", alpha)
    rng = _rng(seed)
    graph = random_skill_graph(
        n_skills, n_text, degree, replace=replace, skill_weights=skill_weights, seed=rng
    )
    measure = _resolve_measure(graph, measure)
    failed = _failure_set(graph, theta, failure, alpha, target, measure, rng)
    return _result(
        graph, failed, k=k, failure=failure, measure=measure, alpha=alpha, n_tuples=n_tuples,
        n_pieces=n_pieces, rng=rng,
    )


def compare_with_bound(
    graph: SkillGraph,
    theta: float,
    alphas: ArrayLike,
    *,
    failure: FailureKind = "adversarial",
    target: TargetKind = "random",
    k: int = 1,
    measure: MeasureKind | None = None,
    n_tuples: int = 2000,
    n_pieces: int | None = None,
    skills_over_text: float | None = None,
    seed: SeedLike = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Empirical worst-``alpha`` failure on ``graph`` against the theorem's ceiling.

    For each ``alpha`` the failure set is the adversary aimed at that ``alpha``
    (``failure="adversarial"``) or one shared random set (``failure="random"``). The ceiling
    is ``bound_failure = min_beta(theta_k, degree, alpha, skills_over_text) * theta_k`` with
    ``theta_k = 1 - (1 - theta)^k`` (Corollary 13; ``theta`` is the realised measure of ``Y``):
    the theorem says at most an ``alpha`` fraction of units fail on at least that much.

    Parameters
    ----------
    graph : SkillGraph
        The skill graph (:func:`~skillfit.theory.graph.random_skill_graph`).
    theta : float
        Measure of failed text, in (0, 1).
    alphas : array_like
        Fractions in (0, 1).
    failure : {"adversarial", "random"}, default "adversarial"
        Kind of failure set.
    target : {"random", "frequent", "rare"}, default "random"
        The adversary's choice of skills.
    k : int, default 1
        Skills per tuple; 1 for single skills.
    measure : {"count", "weights"}, optional
        How "an alpha fraction of skills" is measured: ``"count"`` (every skill counts
        equally) or ``"weights"`` (by the skill frequencies mu_1 the graph was drawn from).
        Default ``"weights"`` for a weighted graph, else ``"count"``; they coincide for
        uniform graphs. The theorem's proof puts each edge slot of ``Y`` into the target set
        ``Z`` with probability ``mu_1(Z)``, so with non-uniform frequencies the bound is a
        statement about the mu_1-measure of bad skills; by count it can fail (an adversary
        concentrating on rare, low-degree skills beats the ceiling).
    n_tuples, n_pieces : int
        Tuples sampled and k-pieces per tuple (see :func:`tuple_failure_rates`).
    skills_over_text : float, optional
        Finite-size ratio ``|S|/|T|`` of the bound (see
        :func:`~skillfit.theory.bounds.min_beta`). Default: the graph's own
        ``n_skills / n_text``, the honest ceiling for a graph of this size. Pass 0 for the
        paper's form, which assumes ``|T| >> |S|``.
    seed : int, Generator, SeedSequence or None
        Seed of the failure sets (and sampled tuples).
    progress : callable, optional
        Called with a short message before each failure set is built and scored (once per
        ``alpha`` for adversarial failures, once for random ones); for progress on big graphs.
        It does not change the results.

    Returns
    -------
    pandas.DataFrame
        One row per ``alpha`` with the columns of :data:`COMPARISON_COLUMNS`: ``alpha, k,
        theta, theta_k, empirical_failure, bound_failure, beta_star, empirical_competence,
        guaranteed_competence, holds, failure, measure, n_units, skills_over_text``.
        ``holds`` (nullable boolean) is ``empirical_failure < bound_failure``, i.e. the units
        failing at ``>= bound_failure`` make up at most an ``alpha`` fraction
        (``floor(alpha*n)`` units when counting); NA where the theorem gives no ceiling below 1
        (``guaranteed_competence`` NaN).

    Examples
    --------
    >>> from skillfit.theory import random_skill_graph
    >>> g = random_skill_graph(200, 20000, 8, replace=False, seed=0)
    >>> df = compare_with_bound(g, 0.1, [0.05, 0.1, 0.2], seed=1)
    >>> float(df["skills_over_text"].iloc[0])  # |S|/|T| of the graph, by default
    0.01
    >>> df["bound_failure"].round(3).tolist()
    [0.678, 0.452, 0.308]
    >>> bool(df["holds"].all())
    True
    """
    alphas = _check_alphas(alphas)
    k = _check_int("k", k, 1)
    measure = _resolve_measure(graph, measure)
    sot = _skills_over_text(skills_over_text, graph.n_skills, graph.n_text)
    rng = _rng(seed)
    units = "skill" if k == 1 else f"{k}-tuple"

    def run(alpha: float | None) -> SimulationResult:
        if progress is not None:
            aim = "" if alpha is None else f" for alpha={alpha:g}"
            progress(f"{failure} failure set{aim}, {units} failure rates")
        failed = _failure_set(graph, theta, failure, alpha, target, measure, rng)
        return _result(
            graph, failed, k=k, failure=failure, measure=measure, alpha=alpha,
            n_tuples=n_tuples, n_pieces=n_pieces, rng=rng,
        )

    if failure == "adversarial":
        results = [(run(float(a)), np.array([a])) for a in alphas]
    else:
        results = [(run(None), alphas)]
    return _bound_frame(results, sot)


def violated_alphas(table: pd.DataFrame) -> list[float]:
    """The ``alpha`` values at which a comparison table shows the bound violated.

    Parameters
    ----------
    table : pandas.DataFrame
        A table from :func:`compare_with_bound` (needs the ``alpha`` and ``holds`` columns).

    Returns
    -------
    list of float
        Alphas whose ``holds`` is False (NA, "no guarantee", is not a violation).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"alpha": [0.1, 0.2, 0.3],
    ...                   "holds": pd.array([True, False, None], dtype="boolean")})
    >>> violated_alphas(t)
    [0.2]
    """
    holds = table["holds"].astype("boolean")
    return [float(a) for a in table.loc[holds.fillna(True).eq(False).to_numpy(), "alpha"]]
