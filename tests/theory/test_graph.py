"""Tests of the random skill graph (skillfit.theory.graph)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillfit.errors import SimulationError, SkillfitError
from skillfit.theory.graph import (
    CHUNK_ROWS,
    SkillGraph,
    _Sampler,
    random_skill_graph,
    zipf_weights,
)


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_same_seed_same_graph_and_different_seed_differs(replace: bool, weighted: bool) -> None:
    w = zipf_weights(300, 1.2) if weighted else None
    a = random_skill_graph(300, 5000, 6, replace=replace, skill_weights=w, seed=7)
    b = random_skill_graph(300, 5000, 6, replace=replace, skill_weights=w, seed=7)
    c = random_skill_graph(300, 5000, 6, replace=replace, skill_weights=w, seed=8)
    np.testing.assert_array_equal(a.skills, b.skills)
    np.testing.assert_array_equal(a.skill_degrees, b.skill_degrees)
    assert not np.array_equal(a.skills, c.skills)



def test_graph_shape_dtype_and_degrees() -> None:
    g = random_skill_graph(37, 1234, 5, seed=1)
    assert g.skills.shape == (1234, 5) and g.skills.dtype == np.int32
    assert (g.n_text, g.degree, g.n_skills) == (1234, 5, 37)
    assert g.skills.min() >= 0 and g.skills.max() < 37
    np.testing.assert_array_equal(g.skill_degrees, np.bincount(g.skills.ravel(), minlength=37))
    assert g.skill_degrees.sum() == 1234 * 5



def test_graph_larger_than_one_chunk_is_consistent() -> None:
    n = CHUNK_ROWS + 1001
    g = random_skill_graph(50, n, 3, replace=False, seed=2)
    np.testing.assert_array_equal(g.skill_degrees, np.bincount(g.skills.ravel(), minlength=50))
    s = np.sort(g.skills, axis=1)
    assert (np.diff(s, axis=1) > 0).all()
    # the chunked counting-sort edge index equals a global stable argsort by skill
    offsets, pieces = g._edge_index()
    expected = np.argsort(g.skills.ravel(), kind="stable") // 3
    np.testing.assert_array_equal(pieces, expected)
    np.testing.assert_array_equal(np.diff(offsets), g.skill_degrees)


@pytest.mark.parametrize(
    ("n_skills", "degree", "weights"),
    [
        (200, 8, None),
        (8, 8, None),  # every row a permutation: exercises the exact fallback
        (10, 8, zipf_weights(10, 3.0)),  # heavy head: many redraws, then the fallback
        (500, 12, zipf_weights(500, 1.0)),
    ],
)
def test_without_replacement_rows_are_distinct(n_skills, degree, weights) -> None:
    g = random_skill_graph(
        n_skills, 3000, degree, replace=False, skill_weights=weights, seed=3
    )
    s = np.sort(g.skills, axis=1)
    assert (np.diff(s, axis=1) > 0).all()
    assert s.min() >= 0 and s.max() < n_skills
    if n_skills == degree:
        np.testing.assert_array_equal(s, np.broadcast_to(np.arange(degree), s.shape))


def test_with_replacement_allows_repeats() -> None:
    g = random_skill_graph(10, 2000, 8, replace=True, seed=4)
    s = np.sort(g.skills, axis=1)
    assert (np.diff(s, axis=1) == 0).any(axis=1).mean() > 0.9  # 1 - 10!/(2! 10^8) ~ 0.98


@pytest.mark.parametrize("replace", [True, False])
def test_zero_weight_skills_are_never_drawn(replace: bool) -> None:
    w = np.zeros(30)
    w[::3] = 1.0  # 10 skills of positive weight
    g = random_skill_graph(30, 4000, 6, replace=replace, skill_weights=w, seed=5)
    assert set(np.unique(g.skills)) <= set(range(0, 30, 3))
    assert (g.skill_degrees[w == 0] == 0).all()


def test_weighted_frequencies_give_expected_skill_degrees() -> None:
    """With replacement each skill's degree is Binomial(n_text*degree, w_i)."""
    n_skills, n_text, degree = 50, 40_000, 8
    w = zipf_weights(n_skills, 1.0)
    g = random_skill_graph(n_skills, n_text, degree, skill_weights=w, seed=6)
    n = n_text * degree
    z = (g.skill_degrees - n * w) / np.sqrt(n * w * (1 - w))
    assert np.abs(z).max() < 5.0
    # the ratio of the two most frequent skills is 2 for Zipf s=1 (delta-method sd)
    ratio = g.skill_degrees[0] / g.skill_degrees[1]
    sd = 2.0 * math.sqrt(1 / (n * w[0]) + 1 / (n * w[1]))
    assert abs(ratio - 2.0) < 5 * sd


def test_without_replacement_first_draw_follows_weights() -> None:
    """Successive sampling: the first skill of each piece is drawn from the full weights."""
    w = zipf_weights(20, 1.5)
    g = random_skill_graph(20, 60_000, 4, replace=False, skill_weights=w, seed=7)
    counts = np.bincount(g.skills[:, 0], minlength=20)
    z = (counts - 60_000 * w) / np.sqrt(60_000 * w * (1 - w))
    assert np.abs(z).max() < 5.0
    # uniform distinct sampling: every skill's degree is Binomial(n_text, degree/n_skills)
    u = random_skill_graph(40, 60_000, 8, replace=False, seed=8)
    p = 8 / 40
    z = (u.skill_degrees - 60_000 * p) / math.sqrt(60_000 * p * (1 - p))
    assert np.abs(z).max() < 5.0


def test_zipf_weights() -> None:
    w = zipf_weights(100, 1.0)
    assert w.sum() == pytest.approx(1.0) and (np.diff(w) < 0).all()
    np.testing.assert_allclose(w[0] / w[[1, 3, 9]], [2.0, 4.0, 10.0])
    np.testing.assert_allclose(zipf_weights(5, 0.0), np.full(5, 0.2))



@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: random_skill_graph(0, 100, 2), "n_skills"),
        (lambda: random_skill_graph(10, 100, 0), "degree"),
        (lambda: random_skill_graph(10, 3, 4), "n_text"),
        (lambda: random_skill_graph(10, 100, 2.5), "degree"),
        (lambda: random_skill_graph(3, 100, 4, replace=False), "degree"),
        (lambda: random_skill_graph(3, 100, 2, skill_weights=[1, 2]), "skill_weights"),
        (lambda: random_skill_graph(3, 100, 2, skill_weights=[1, -1, 1]), "skill_weights"),
        (lambda: zipf_weights(10, -1.0), "zipf"),
    ],
)
def test_bad_arguments_raise_named_errors(call, word) -> None:
    with pytest.raises(SimulationError, match=word) as info:
        call()
    assert isinstance(info.value, SkillfitError) and isinstance(info.value, ValueError)


@pytest.mark.parametrize("s", [0.5, 1.0, 3.0])
def test_weighted_sampler_is_exactly_the_inverse_cdf(s: float) -> None:
    w = zipf_weights(1000, s)
    w[5] = 0.0
    w /= w.sum()
    sampler = _Sampler(1000, w)
    got = sampler.draw(np.random.default_rng(1), 200_000)
    u = np.random.default_rng(1).random(200_000) * sampler.total
    u = np.minimum(u, np.nextafter(sampler.total, 0.0))
    np.testing.assert_array_equal(got, np.searchsorted(sampler.cdf, u, side="right"))
    assert not (got == 5).any()

