"""Monte Carlo skill graphs: check the emergence bound on simulated graphs (NumPy only).

The model is the random bipartite *skill graph* of Arora & Goyal (arXiv 2307.15936, Def. 5;
``reference/theory.md`` §1.2): ``n_text`` text pieces, each requiring ``degree`` skills drawn
from ``n_skills`` skills, i.i.d. (with replacement, the paper's form) or distinct (without
replacement), from uniform or weighted skill frequencies (:func:`zipf_weights`).

A *failure set* ``Y`` holds the ``round(theta * n_text)`` text pieces the model gets wrong
(the text measure is uniform). Competence is the paper's conservative accounting (Def. 7,
``theory.md`` §1.3 and §6.3 pitfall 7): a failure on a piece is charged to every skill of the
piece, so the *failure rate* of a skill is the fraction of its edges (incidences, counting
multiplicity) that go to ``Y``, and its competence is one minus that. Computed this way the
empirical competence is directly comparable with the theorem's performance curve
(:func:`skillfit.theory.bounds.guaranteed_competence`): the theorem says that at most an
``alpha`` fraction of skills fail on ``>= min_beta * theta`` of their edges, for *every* ``Y``
of measure ``theta``, with high probability over the graph.

Two failure sets are provided (``theory.md`` §4, "Monte Carlo sanity check"):

- :func:`random_failure_set` -- a uniform random subset (mild: every skill fails at about
  ``theta``);
- :func:`adversarial_failure_set` -- pick a target set ``Z`` of skills (random, or the most
  frequent ones) and fail the pieces that contain the most ``Z``-skills, ties broken at random.

With non-uniform skill frequencies mu_1, "an alpha fraction of skills" is measured by mu_1
(``measure="weights"``, the default for weighted graphs): the theorem's Chernoff step puts
each edge slot of ``Y`` into the target set with probability ``mu_1(Z)`` (``theory.md`` §5).
Counting skills instead (``measure="count"``) is outside the theorem, and an adversary aimed
at rare skills then beats the ceiling under steep Zipf laws.

k-tuples of skills follow the tensorised view of Corollary 13 (``theory.md`` §3.2): a
*k-piece* for the tuple ``(s_1, ..., s_k)`` is a concatenation of k text pieces, the i-th drawn
uniformly from the edges of ``s_i``; it fails when any component fails. The tuple's failure
rate is the probability that a random k-piece fails, ``1 - prod_i (1 - f(s_i))`` exactly, or a
Monte Carlo estimate from sampled k-pieces (:func:`tuple_failure_rates`); the theory compares
it with the single-skill curve at ``theta_k = 1 - (1 - theta)^k``.

Everything is vectorised and memory-aware: the graph is an ``(n_text, degree)`` ``int32`` array
(no dense incidence matrix), and all passes over it work in fixed-size row chunks (so results
do not depend on memory and the same seed always gives the same graph). ``10**7`` pieces of
degree 8 take a few seconds and well under 2 GB (``benchmarks/simulator.py``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from skillfit.errors import SimulationError
from skillfit.theory.bounds import guaranteed_competence, min_beta, tuple_theta

__all__ = [
    "SimulationError",
    "SimulationResult",
    "SkillGraph",
    "adversarial_failure_set",
    "compare_with_bound",
    "random_failure_set",
    "random_skill_graph",
    "simulate",
    "skill_failure_rates",
    "tuple_failure_rates",
    "worst_failure",
    "zipf_weights",
]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None
FailureKind = Literal["random", "adversarial"]
TargetKind = Literal["random", "frequent"]
MeasureKind = Literal["count", "weights"]
IntArray = NDArray[np.int32]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Rows of the graph processed per chunk. Fixed (not memory-dependent) so that a seed always
#: reproduces the same graph; 2**18 rows x degree 8 is an 8 MB int32 block.
CHUNK_ROWS = 1 << 18

#: Rejection rounds per position before the exact masked-weights fallback (without replacement).
_MAX_REDRAWS = 32

#: Largest number of cells in one temporary (rows x n_skills) block of the exact fallback.
_FALLBACK_CELLS = 1 << 22


# --------------------------------------------------------------------------------------------
# argument checks


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SimulationError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise SimulationError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_open_unit(name: str, value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SimulationError(f"{name} must be a number in (0, 1), got {value!r}") from None
    if not (0.0 < v < 1.0):
        raise SimulationError(f"{name} must be in (0, 1), got {value!r}")
    return v


def _check_alphas(alphas: ArrayLike, name: str = "alpha") -> FloatArray:
    a = np.atleast_1d(np.asarray(alphas, dtype=np.float64))
    if a.ndim != 1 or a.size == 0:
        raise SimulationError(f"{name} must be a non-empty 1-d list of numbers")
    bad = ~((a > 0) & (a < 1))
    if bad.any():
        raise SimulationError(f"{name} must be in (0, 1), got {a[bad][0]!r}")
    return a


def _rng(seed: SeedLike) -> np.random.Generator:
    return np.random.default_rng(seed)


def _resolve_measure(graph: SkillGraph, measure: str | None) -> str:
    if measure is None:
        return "count" if graph.skill_weights is None else "weights"
    if measure not in ("count", "weights"):
        raise SimulationError(f"measure must be 'count' or 'weights', got {measure!r}")
    return measure


# --------------------------------------------------------------------------------------------
# skill frequencies and sampling


def zipf_weights(n_skills: int, s: float = 1.0) -> FloatArray:
    """Power-law (Zipf) skill frequencies ``w_i proportional to (i + 1)**(-s)``.

    Parameters
    ----------
    n_skills : int
        Number of skills, >= 1.
    s : float, default 1.0
        Exponent, >= 0 (0 gives uniform frequencies).

    Returns
    -------
    ndarray of float64, shape (n_skills,)
        Non-increasing weights summing to 1.

    Examples
    --------
    >>> w = zipf_weights(4, s=1.0)
    >>> round(float(w.sum()), 12), round(float(w[0] / w[1]), 12)
    (1.0, 2.0)
    """
    n = _check_int("n_skills", n_skills, 1)
    s = float(s)
    if not math.isfinite(s) or s < 0:
        raise SimulationError(f"zipf exponent s must be finite and >= 0, got {s!r}")
    w = np.arange(1, n + 1, dtype=np.float64) ** (-s)
    return w / w.sum()


def _normalise_weights(skill_weights: ArrayLike | None, n_skills: int) -> FloatArray | None:
    if skill_weights is None:
        return None
    w = np.asarray(skill_weights, dtype=np.float64)
    if w.shape != (n_skills,):
        raise SimulationError(
            f"skill_weights must have shape ({n_skills},) (one per skill), got {w.shape}"
        )
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise SimulationError("skill_weights must be finite, >= 0 and not all zero")
    return w / w.sum()


class _Sampler:
    """Draw skill ids (int32) from uniform or weighted frequencies, exactly by inverse CDF.

    Weighted draws use a guide table on a power-of-two grid of the uniforms, so that a draw
    whose grid cell lies within one skill is resolved by a lookup and only the remaining draws
    need a binary search; the result is bit-for-bit the plain ``searchsorted`` inverse CDF.
    Skills of weight 0 are never drawn.
    """

    def __init__(self, n_skills: int, weights: FloatArray | None) -> None:
        self.n = n_skills
        self.weights = weights
        if weights is not None:
            self.cdf = np.cumsum(weights)
            self.total = float(self.cdf[-1])
            self.top = np.nextafter(self.total, 0.0)
            cells = 1 << min(22, max(4, int(math.ceil(math.log2(16 * n_skills)))))
            self.cells = cells
            grid = (np.arange(cells + 1, dtype=np.float64) / cells) * self.total
            np.minimum(grid, self.top, out=grid)
            self.guide = np.searchsorted(self.cdf, grid, side="right")

    def draw(self, rng: np.random.Generator, size: int) -> IntArray:
        if self.weights is None:
            return rng.integers(0, self.n, size=size, dtype=np.int32)
        u = rng.random(size)
        cell = (u * self.cells).astype(np.intp)  # exact: cells is a power of two
        u *= self.total
        np.minimum(u, self.top, out=u)
        lo = self.guide[cell]
        amb = np.flatnonzero(lo != self.guide[cell + 1])
        lo[amb] = np.searchsorted(self.cdf, u[amb], side="right")
        return lo.astype(np.int32)

    def draw_excluding(self, rng: np.random.Generator, taken: IntArray) -> IntArray:
        """One draw per row of ``taken`` from the weights with the skills in that row removed.

        Exact (masked cumulative weights); used for the few rows whose rejection rounds ran out.
        """
        rows = taken.shape[0]
        out = np.empty(rows, dtype=np.int32)
        base = np.ones(self.n) if self.weights is None else self.weights
        block = max(1, _FALLBACK_CELLS // self.n)
        for b0 in range(0, rows, block):
            t = taken[b0 : b0 + block]
            w = np.broadcast_to(base, (t.shape[0], self.n)).copy()
            w[np.arange(t.shape[0])[:, None], t] = 0.0
            cum = np.cumsum(w, axis=1)
            u = rng.random(t.shape[0]) * cum[:, -1]
            u = np.minimum(u, np.nextafter(cum[:, -1], 0.0))
            out[b0 : b0 + block] = (cum <= u[:, None]).sum(axis=1)
        return out


def _fill_distinct(out: IntArray, sampler: _Sampler, rng: np.random.Generator) -> None:
    """Fill ``out`` (rows x degree) with distinct skills per row by successive sampling.

    Position j is drawn from the frequencies restricted to the skills not yet in the row:
    draw from the full frequencies and redraw (vectorised, only the colliding rows) until no
    collision, which is exactly sampling from the restricted frequencies. After
    ``_MAX_REDRAWS`` rounds the remaining rows are drawn from explicitly masked weights.
    """
    rows, degree = out.shape
    for j in range(degree):
        cand = sampler.draw(rng, rows)
        if j == 0:
            out[:, 0] = cand
            continue
        bad = (out[:, :j] == cand[:, None]).any(axis=1)
        out[:, j] = cand
        idx = np.flatnonzero(bad)
        rounds = 0
        while idx.size:
            if rounds == _MAX_REDRAWS:
                out[idx, j] = sampler.draw_excluding(rng, out[idx, :j])
                break
            cand = sampler.draw(rng, idx.size)
            bad = (out[idx, :j] == cand[:, None]).any(axis=1)
            out[idx, j] = cand
            idx = idx[bad]
            rounds += 1


# --------------------------------------------------------------------------------------------
# the graph


@dataclass(frozen=True, eq=False)
class SkillGraph:
    """A random bipartite skill graph stored as the skills of each text piece.

    Attributes
    ----------
    skills : ndarray of int32, shape (n_text, degree)
        Row ``t`` lists the skills text piece ``t`` requires (repeats allowed when
        ``replace`` is true).
    n_skills : int
        Number of skills ``|S|``.
    replace : bool
        Whether skills were drawn with replacement (i.i.d., the paper's Definition 5).
    skill_weights : ndarray of float64 or None
        Normalised skill frequencies (None = uniform).
    skill_degrees : ndarray of int64, shape (n_skills,)
        Number of edges (incidences) of each skill.

    Build one with :func:`random_skill_graph`.
    """

    skills: IntArray
    n_skills: int
    replace: bool
    skill_weights: FloatArray | None
    skill_degrees: NDArray[np.int64]
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def n_text(self) -> int:
        """Number of text pieces ``|T|``."""
        return int(self.skills.shape[0])

    @property
    def degree(self) -> int:
        """Skills per text piece (the paper's k)."""
        return int(self.skills.shape[1])

    def chunks(self) -> Any:
        """Yield ``(start, block)`` over fixed-size row blocks of :attr:`skills`."""
        for c0 in range(0, self.n_text, CHUNK_ROWS):
            yield c0, self.skills[c0 : c0 + CHUNK_ROWS]

    def _edge_index(self) -> tuple[NDArray[np.int64], IntArray]:
        """CSR index of each skill's edges: ``(offsets, piece_of_edge)`` (built on demand).

        A chunked counting sort: each row block is sorted stably by skill and scattered after
        the edges already placed, so the index costs 4 bytes per edge plus one block of
        temporaries (no global argsort).
        """
        if "edges" not in self._cache:
            offsets = np.zeros(self.n_skills + 1, dtype=np.int64)
            np.cumsum(self.skill_degrees, out=offsets[1:])
            cursor = offsets[:-1].copy()
            pieces = np.empty(self.n_text * self.degree, dtype=np.int32)
            key_dtype = np.uint16 if self.n_skills <= 1 << 16 else np.int32  # radix sort
            for c0, block in self.chunks():
                keys = block.ravel().astype(key_dtype)
                order = np.argsort(keys, kind="stable")
                sk = keys[order].astype(np.int64)
                counts = np.bincount(sk, minlength=self.n_skills)
                first = np.cumsum(counts) - counts  # start of each skill's run in ``sk``
                dest = cursor[sk] + (np.arange(sk.size) - first[sk])
                pieces[dest] = (order // self.degree + c0).astype(np.int32)
                cursor += counts
            self._cache["edges"] = (offsets, pieces)
        return self._cache["edges"]


def random_skill_graph(
    n_skills: int,
    n_text: int,
    degree: int,
    *,
    replace: bool = True,
    skill_weights: ArrayLike | None = None,
    seed: SeedLike = None,
) -> SkillGraph:
    """Draw a random skill graph: each text piece requires ``degree`` random skills.

    Parameters
    ----------
    n_skills : int
        Number of skills, >= 1 (ids fit in int32).
    n_text : int
        Number of text pieces, >= ``degree``.
    degree : int
        Skills per text piece (the paper's k), >= 1.
    replace : bool, default True
        True: skills i.i.d. per piece (Definition 5; repeats possible). False: distinct skills
        per piece by successive sampling (each next skill from the frequencies restricted to the
        skills not yet chosen -- NumPy's ``choice(replace=False, p=...)`` law). Needs at least
        ``degree`` skills of positive weight.
    skill_weights : array_like, optional
        Non-negative skill frequencies (normalised here), e.g. :func:`zipf_weights`; None for
        uniform.
    seed : int, Generator, SeedSequence or None
        Passed to :func:`numpy.random.default_rng`; the same seed gives the same graph.

    Returns
    -------
    SkillGraph

    Examples
    --------
    >>> g = random_skill_graph(50, 1000, 4, replace=False, seed=0)
    >>> g.skills.shape, g.skills.dtype.name
    ((1000, 4), 'int32')
    >>> int(g.skill_degrees.sum())
    4000
    >>> bool((random_skill_graph(50, 1000, 4, replace=False, seed=0).skills == g.skills).all())
    True
    """
    n_skills = _check_int("n_skills", n_skills, 1)
    degree = _check_int("degree", degree, 1)
    n_text = _check_int("n_text", n_text, 1)
    if n_text < degree:
        raise SimulationError(f"n_text must be >= degree ({degree}), got {n_text}")
    if n_skills >= np.iinfo(np.int32).max:
        raise SimulationError(f"n_skills must be < 2**31 - 1, got {n_skills}")
    weights = _normalise_weights(skill_weights, n_skills)
    if not replace:
        available = n_skills if weights is None else int(np.count_nonzero(weights))
        if available < degree:
            raise SimulationError(
                f"degree ({degree}) exceeds the number of skills with positive weight "
                f"({available}); use replace=True or fewer skills per piece"
            )
    rng = _rng(seed)
    sampler = _Sampler(n_skills, weights)
    skills = np.empty((n_text, degree), dtype=np.int32)
    skill_degrees = np.zeros(n_skills, dtype=np.int64)
    for c0 in range(0, n_text, CHUNK_ROWS):
        block = skills[c0 : c0 + CHUNK_ROWS]
        if replace:
            block[...] = sampler.draw(rng, block.size).reshape(block.shape)
        else:
            _fill_distinct(block, sampler, rng)
        skill_degrees += np.bincount(block.ravel(), minlength=n_skills)
    return SkillGraph(skills, n_skills, bool(replace), weights, skill_degrees)


# --------------------------------------------------------------------------------------------
# failure sets


def _n_failed(graph: SkillGraph, theta: float) -> int:
    theta = _check_open_unit("theta", theta)
    m = int(round(theta * graph.n_text))
    if not 1 <= m <= graph.n_text - 1:
        raise SimulationError(
            f"theta * n_text = {theta * graph.n_text:g} rounds to {m} failed pieces; "
            f"need between 1 and n_text - 1 (raise n_text or change theta)"
        )
    return m


def random_failure_set(graph: SkillGraph, theta: float, *, seed: SeedLike = None) -> BoolArray:
    """A uniformly random failure set of exactly ``round(theta * n_text)`` text pieces.

    Parameters
    ----------
    graph : SkillGraph
    theta : float
        Measure of failed text, in (0, 1).
    seed : int, Generator, SeedSequence or None

    Returns
    -------
    ndarray of bool, shape (n_text,)
        True for failed pieces.

    Examples
    --------
    >>> g = random_skill_graph(20, 1000, 3, seed=1)
    >>> int(random_failure_set(g, 0.1, seed=2).sum())
    100
    """
    m = _n_failed(graph, theta)
    rng = _rng(seed)
    failed = np.zeros(graph.n_text, dtype=bool)
    failed[rng.choice(graph.n_text, size=m, replace=False, shuffle=False)] = True
    return failed


def _target_set(
    graph: SkillGraph,
    alpha: float,
    n_target: int | None,
    target: str,
    measure: str,
    rng: np.random.Generator,
) -> NDArray[np.intp]:
    n = graph.n_skills
    if target == "random":
        order = rng.permutation(n)
    elif target == "frequent":
        # Most edges first; the fractional key breaks ties in degree at random.
        order = np.argsort(-(graph.skill_degrees + rng.random(n)), kind="stable")
    else:
        raise SimulationError(f"target must be 'random' or 'frequent', got {target!r}")
    if n_target is None:
        if measure == "weights" and graph.skill_weights is not None:
            # the shortest prefix whose skill measure exceeds alpha
            cum = np.cumsum(graph.skill_weights[order])
            n_target = int(np.searchsorted(cum, alpha + 1e-12, side="right")) + 1
        else:
            n_target = int(math.floor(alpha * n + 1e-9)) + 1
        n_target = min(n, n_target)
    return order[:n_target]


def adversarial_failure_set(
    graph: SkillGraph,
    theta: float,
    alpha: float,
    *,
    target: TargetKind = "random",
    measure: MeasureKind | None = None,
    n_target: int | None = None,
    seed: SeedLike = None,
) -> BoolArray:
    """A failure set aimed at a set ``Z`` of skills (the heuristic of ``theory.md`` §4).

    ``Z`` is a set of skills (uniformly random, or the most frequent ones); ``Y`` is the
    ``round(theta * n_text)`` text pieces with the most ``Z``-skills (edges into ``Z``, counting
    multiplicity), ties broken uniformly at random. Selection is O(n_text): a histogram of the
    counts gives the threshold count, pieces above it all fail, and a uniform sample of the
    pieces at the threshold fills the rest (no sort).

    Parameters
    ----------
    graph : SkillGraph
    theta : float
        Measure of failed text, in (0, 1).
    alpha : float
        Fraction of skills the adversary targets, in (0, 1).
    target : {"random", "frequent"}, default "random"
        How ``Z`` is chosen: skills in random order, or by decreasing degree.
    measure : {"count", "weights"}, optional
        How "a fraction alpha of skills" is measured (see :func:`compare_with_bound`); default
        ``"weights"`` for a weighted graph, else ``"count"``.
    n_target : int, optional
        ``|Z|``. Default: the shortest prefix of the chosen order whose measure exceeds
        ``alpha`` -- ``floor(alpha * n_skills) + 1`` skills under ``"count"``. That is the
        smallest set that would violate "at most an alpha fraction of skills fail on
        >= beta*theta" if all of it did, so :func:`worst_failure` at the same ``alpha`` is the
        failure of the weakest-hit ``Z`` skill.
    seed : int, Generator, SeedSequence or None

    Returns
    -------
    ndarray of bool, shape (n_text,)

    Examples
    --------
    >>> g = random_skill_graph(100, 5000, 8, replace=False, seed=0)
    >>> y = adversarial_failure_set(g, 0.1, 0.1, seed=1)
    >>> int(y.sum())
    500
    >>> rates = skill_failure_rates(g, y)
    >>> bool(worst_failure(rates, 0.1) > 0.2)   # the targeted skills fail far above theta
    True
    """
    m = _n_failed(graph, theta)
    alpha = _check_open_unit("alpha", alpha)
    measure = _resolve_measure(graph, measure)
    if n_target is not None:
        n_target = _check_int("n_target", n_target, 1)
        if n_target > graph.n_skills:
            raise SimulationError(
                f"n_target must be <= n_skills ({graph.n_skills}), got {n_target}"
            )
    rng = _rng(seed)
    in_z = np.zeros(graph.n_skills, dtype=bool)
    in_z[_target_set(graph, alpha, n_target, target, measure, rng)] = True

    count_dtype = np.uint8 if graph.degree < 256 else np.int32
    counts = np.empty(graph.n_text, dtype=count_dtype)
    hist = np.zeros(graph.degree + 1, dtype=np.int64)
    for c0, block in graph.chunks():
        c = in_z[block].sum(axis=1, dtype=count_dtype)
        counts[c0 : c0 + block.shape[0]] = c
        hist += np.bincount(c, minlength=graph.degree + 1)

    at_least = np.cumsum(hist[::-1])[::-1]  # at_least[c] = #pieces with count >= c
    threshold = int(np.flatnonzero(at_least >= m).max())
    failed = counts > threshold
    need = m - int(at_least[threshold + 1]) if threshold + 1 < at_least.size else m
    ties = np.flatnonzero(counts == threshold)
    failed[ties[rng.choice(ties.size, size=need, replace=False, shuffle=False)]] = True
    return failed


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
    This is the paper's conservative accounting (``theory.md`` §1.3): competence is
    ``1 - rate``.

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
    uniformly from the edges of ``s_i``; it fails if any component is in ``Y`` (``theory.md``
    §3.2: "error now means an erroneous answer on any cloze question in the entire k'-piece").
    (Pieces adjacent to *all* skills of a tuple are too rare in a graph of this size to define
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


def _bound_frame(
    rows: list[dict[str, Any]], degree: int, skills_over_text: float
) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    theta_k = df["theta_k"].to_numpy()
    alpha = df["alpha"].to_numpy()
    beta = np.asarray(min_beta(theta_k, degree, alpha, skills_over_text), dtype=np.float64)
    df["beta_star"] = beta
    df["bound_failure"] = beta * theta_k
    df["empirical_competence"] = 1.0 - df["empirical_failure"]
    df["guaranteed_competence"] = np.asarray(
        guaranteed_competence(theta_k, degree, alpha, skills_over_text), dtype=np.float64
    )
    has_bound = np.isfinite(df["guaranteed_competence"].to_numpy())
    holds = pd.array(
        (df["empirical_failure"] < df["bound_failure"]).to_numpy(), dtype="boolean"
    )
    holds[~has_bound] = pd.NA
    df["holds"] = holds
    cols = [
        "alpha", "k", "theta", "theta_k", "empirical_failure", "bound_failure", "beta_star",
        "empirical_competence", "guaranteed_competence", "holds", "failure", "measure",
        "n_units",
    ]
    return df[cols]


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
        self, alphas: ArrayLike, *, skills_over_text: float = 0.0
    ) -> pd.DataFrame:
        """Compare this failure set's empirical curve with the theorem's, at each ``alpha``.

        Columns as in :func:`compare_with_bound`. Note that an adversarial set is aimed at one
        ``alpha``; :func:`compare_with_bound` builds one per ``alpha``.
        """
        alphas = _check_alphas(alphas)
        emp = np.atleast_1d(self.worst_failure(alphas))
        rows = [
            {
                "alpha": float(a), "k": self.k, "theta": self.theta, "theta_k": self.theta_k,
                "empirical_failure": float(e), "failure": self.failure,
                "measure": self.measure,
                "n_units": int(np.isfinite(self.failure_rates).sum()),
            }
            for a, e in zip(alphas, emp, strict=True)
        ]
        return _bound_frame(rows, self.degree, skills_over_text)


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


def _failure_set(
    graph: SkillGraph,
    theta: float,
    failure: str,
    alpha: float | None,
    target: str,
    measure: str,
    rng: np.random.Generator,
) -> BoolArray:
    if failure == "random":
        return random_failure_set(graph, theta, seed=rng)
    if failure == "adversarial":
        if alpha is None:
            raise SimulationError("alpha is required for adversarial failures")
        return adversarial_failure_set(
            graph, theta, alpha, target=target, measure=measure, seed=rng  # type: ignore[arg-type]
        )
    raise SimulationError(f"failure must be 'random' or 'adversarial', got {failure!r}")


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
    n_skills, n_text, degree, replace, skill_weights
        As in :func:`random_skill_graph`.
    theta : float
        Measure of failed text, in (0, 1).
    failure : {"random", "adversarial"}, default "random"
        See :func:`random_failure_set` and :func:`adversarial_failure_set`.
    alpha : float, optional
        The adversary's target fraction (required for ``failure="adversarial"``).
    target : {"random", "frequent"}, default "random"
        How the adversary picks its skills.
    k : int, default 1
        1 for single skills; > 1 for k-tuples (:func:`tuple_failure_rates`).
    measure : {"count", "weights"}, optional
        How fractions of skills are measured; see :func:`compare_with_bound`.
    n_tuples, n_pieces
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
    skills_over_text: float = 0.0,
    seed: SeedLike = None,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Empirical worst-``alpha`` failure on ``graph`` against the theorem's ceiling.

    For each ``alpha`` the failure set is the adversary aimed at that ``alpha``
    (``failure="adversarial"``) or one shared random set (``failure="random"``). The ceiling
    is ``bound_failure = min_beta(theta_k, degree, alpha) * theta_k`` with
    ``theta_k = 1 - (1 - theta)^k`` (Corollary 13; ``theta`` is the realised measure of ``Y``):
    the theorem says at most an ``alpha`` fraction of units fail on at least that much.

    Parameters
    ----------
    graph : SkillGraph
    theta : float
        Measure of failed text, in (0, 1).
    alphas : array_like
        Fractions in (0, 1).
    failure : {"adversarial", "random"}, default "adversarial"
    target : {"random", "frequent"}, default "random"
        The adversary's choice of skills.
    k, n_tuples, n_pieces
        Tuples (see :func:`tuple_failure_rates`); ``k = 1`` for single skills.
    measure : {"count", "weights"}, optional
        How "an alpha fraction of skills" is measured: ``"count"`` (every skill counts
        equally) or ``"weights"`` (by the skill frequencies mu_1 the graph was drawn from).
        Default ``"weights"`` for a weighted graph, else ``"count"``; they coincide for
        uniform graphs. The theorem's proof (``theory.md`` §3.1, §5) puts each edge slot of
        ``Y`` into ``Z`` with probability ``mu_1(Z)``, so with non-uniform frequencies the
        bound is a statement about the mu_1-measure of bad skills; by count it can fail
        (an adversary concentrating on rare, low-degree skills beats the ceiling).
    skills_over_text : float, default 0
        Finite-size term of the bound (``|S|/|T|``; see :func:`~skillfit.theory.bounds.min_beta`).
    seed : int, Generator, SeedSequence or None
    progress : callable, optional
        Called with a short message before each failure set is built and scored (once per
        ``alpha`` for adversarial failures, once for random ones); for progress on big graphs.
        It does not change the results.

    Returns
    -------
    pandas.DataFrame
        One row per ``alpha`` with columns ``alpha, k, theta, theta_k, empirical_failure,
        bound_failure, beta_star, empirical_competence, guaranteed_competence, holds, failure,
        measure, n_units``. ``holds`` (nullable boolean) is
        ``empirical_failure < bound_failure``, i.e. the units failing at ``>= bound_failure``
        make up at most an ``alpha`` fraction (``floor(alpha*n)`` units when counting); NA
        where the theorem gives no ceiling below 1 (``guaranteed_competence`` NaN).

    Examples
    --------
    >>> g = random_skill_graph(200, 20000, 8, replace=False, seed=0)
    >>> df = compare_with_bound(g, 0.1, [0.05, 0.1, 0.2], seed=1)
    >>> df["bound_failure"].round(3).tolist()
    [0.676, 0.45, 0.307]
    >>> bool(df["holds"].all())
    True
    """
    alphas = _check_alphas(alphas)
    k = _check_int("k", k, 1)
    measure = _resolve_measure(graph, measure)
    rng = _rng(seed)
    rows: list[dict[str, Any]] = []
    shared: SimulationResult | None = None
    for a in alphas:
        if failure == "random" and shared is not None:
            res = shared
        else:
            if progress is not None:
                units = "skill" if k == 1 else f"{k}-tuple"
                progress(f"{failure} failure set" + (f" for alpha={float(a):g}"
                                                     if failure == "adversarial" else "")
                         + f", {units} failure rates")
            failed = _failure_set(graph, theta, failure, float(a), target, measure, rng)
            res = _result(
                graph, failed, k=k, failure=failure, measure=measure,
                alpha=float(a) if failure == "adversarial" else None,
                n_tuples=n_tuples, n_pieces=n_pieces, rng=rng,
            )
            shared = res
        rows.append(
            {
                "alpha": float(a), "k": k, "theta": res.theta, "theta_k": res.theta_k,
                "empirical_failure": float(res.worst_failure(float(a))), "failure": failure,
                "measure": measure, "n_units": int(np.isfinite(res.failure_rates).sum()),
            }
        )
    return _bound_frame(rows, graph.degree, skills_over_text)
