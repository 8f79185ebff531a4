"""Random skill graphs: the bipartite skill/text graph of Arora & Goyal, sampled in NumPy.

The model (arXiv 2307.15936, Definition 5; see ``docs/theory.md``, section "The skill
graph"): ``n_text`` text pieces, each requiring ``degree`` skills drawn from ``n_skills``
skills, i.i.d. (with replacement, the paper's form) or distinct (without replacement), from
uniform or weighted skill frequencies (:func:`zipf_weights`).

The graph is stored as an ``(n_text, degree)`` ``int32`` array (no dense incidence matrix) and
is drawn in fixed-size row chunks, so the same seed always gives the same graph whatever the
memory, and ``10**7`` pieces of degree 8 take a few seconds and well under 2 GB
(``benchmarks/simulator.py``). Failure sets live in :mod:`skillfit.theory.failures`, failure
rates and the comparison with the bound in :mod:`skillfit.theory.rates`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from skillfit.errors import SimulationError

__all__ = [
    "CHUNK_ROWS",
    "SkillGraph",
    "random_skill_graph",
    "zipf_weights",
]

SeedLike = int | np.random.Generator | np.random.SeedSequence | None
FailureKind = Literal["random", "adversarial"]
TargetKind = Literal["random", "frequent", "rare"]
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

    Examples
    --------
    >>> g = random_skill_graph(30, 500, 3, seed=0)
    >>> g.n_text, g.degree, g.n_skills
    (500, 3, 30)
    >>> sum(block.shape[0] for _, block in g.chunks())
    500
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

    def chunks(self) -> Iterator[tuple[int, IntArray]]:
        """Yield ``(start, block)`` over fixed-size row blocks of ``skills``."""
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

