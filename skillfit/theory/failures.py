"""Failure sets: which text pieces a model gets wrong, random or aimed at a set of skills.

A *failure set* ``Y`` holds the ``round(theta * n_text)`` text pieces of a
:class:`~skillfit.theory.graph.SkillGraph` the model fails (the text measure is uniform).
The theorem bounds the damage for *every* ``Y`` of measure ``theta``, so the interesting sets
are the bad ones (``docs/theory.md``, section "Checking the bound by simulation"):

- :func:`random_failure_set` -- a uniform random subset (mild: every skill fails at about
  ``theta``);
- :func:`adversarial_failure_set` -- pick a target set ``Z`` of skills (random ones, the most
  frequent or the rarest) and fail the pieces that contain the most ``Z``-skills, ties broken
  at random.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from skillfit.errors import SimulationError, did_you_mean
from skillfit.theory.graph import (
    BoolArray,
    MeasureKind,
    SeedLike,
    SkillGraph,
    TargetKind,
    _check_int,
    _check_open_unit,
    _resolve_measure,
    _rng,
)

__all__ = ["adversarial_failure_set", "random_failure_set"]




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
    >>> from skillfit.theory import random_skill_graph
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
    elif target in ("frequent", "rare"):
        # By number of edges (most first, or fewest first among the skills that have any); the
        # fractional key breaks ties in degree at random.
        key = graph.skill_degrees + rng.random(n)
        if target == "rare":
            key = np.where(graph.skill_degrees > 0, -key, -np.inf)
        order = np.argsort(-key, kind="stable")
    else:
        raise SimulationError(
            f"target must be 'random', 'frequent' or 'rare', got {target!r}"
            + did_you_mean(target, ("random", "frequent", "rare"))
        )
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
    """A failure set aimed at a set ``Z`` of skills.

    ``Z`` is a set of skills (uniformly random, the most frequent ones, or the rarest ones that
    have at least one edge); ``Y`` is the ``round(theta * n_text)`` text pieces with the most
    ``Z``-skills (edges into ``Z``, counting multiplicity; for ``target="rare"`` each edge
    weighted by ``1/degree`` of its skill), ties broken uniformly at random. Selection is
    O(n_text): a histogram of the counts gives the threshold count, pieces above it all fail,
    and a uniform sample of the pieces at the threshold fills the rest (no sort;
    ``target="rare"`` sorts the weighted counts).

    Parameters
    ----------
    graph : SkillGraph
    theta : float
        Measure of failed text, in (0, 1).
    alpha : float
        Fraction of skills the adversary targets, in (0, 1).
    target : {"random", "frequent", "rare"}, default "random"
        How ``Z`` is chosen: skills in random order, by decreasing degree, or by increasing
        degree. ``"rare"`` is the strongest attack on a sparse graph: a skill with two edges
        fails completely once two pieces fail, which is why the theorem needs many more text
        pieces than skills (``docs/theory.md``, section "Finite size").
    measure : {"count", "weights"}, optional
        How "a fraction alpha of skills" is measured (see
        :func:`~skillfit.theory.rates.compare_with_bound`); default
        ``"weights"`` for a weighted graph, else ``"count"``.
    n_target : int, optional
        ``|Z|``. Default: the shortest prefix of the chosen order whose measure exceeds
        ``alpha`` -- ``floor(alpha * n_skills) + 1`` skills under ``"count"``. That is the
        smallest set that would violate "at most an alpha fraction of skills fail on
        >= beta*theta" if all of it did, so :func:`~skillfit.theory.rates.worst_failure` at the
        same ``alpha`` is the failure of the weakest-hit ``Z`` skill.
    seed : int, Generator, SeedSequence or None

    Returns
    -------
    ndarray of bool, shape (n_text,)

    Examples
    --------
    >>> from skillfit.theory import random_skill_graph, skill_failure_rates, worst_failure
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
    if target == "rare":
        return _top_pieces_by_rate(graph, in_z, m, rng)

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



def _top_pieces_by_rate(
    graph: SkillGraph, in_z: BoolArray, m: int, rng: np.random.Generator
) -> BoolArray:
    """The ``m`` pieces adding the most failure rate to ``Z``: ``sum over Z-skills of 1/degree``.

    Counting ``Z``-skills treats a skill of 2 edges like one of 200; weighting each edge by
    ``1/degree`` (the failure rate it adds to its skill) is what makes an attack on rare skills
    effective. Ties are broken uniformly at random.
    """
    weight = np.where(in_z, 1.0 / np.maximum(graph.skill_degrees, 1), 0.0)
    score = np.empty(graph.n_text)
    for c0, block in graph.chunks():
        score[c0 : c0 + block.shape[0]] = weight[block].sum(axis=1)
    order = np.lexsort((rng.random(graph.n_text), -score))
    failed = np.zeros(graph.n_text, dtype=bool)
    failed[order[:m]] = True
    return failed


def _failure_set(
    graph: SkillGraph,
    theta: float,
    failure: str,
    alpha: float | None,
    target: str,
    measure: str,
    rng: np.random.Generator,
) -> BoolArray:
    """Dispatch on ``failure`` (``"random"`` or ``"adversarial"``)."""
    if failure == "random":
        return random_failure_set(graph, theta, seed=rng)
    if failure == "adversarial":
        if alpha is None:
            raise SimulationError("alpha is required for adversarial failures")
        return adversarial_failure_set(
            graph, theta, alpha, target=target, measure=measure, seed=rng  # type: ignore[arg-type]
        )
    raise SimulationError(
        f"failure must be 'random' or 'adversarial', got {failure!r}"
        + did_you_mean(failure, ("random", "adversarial"))
    )

