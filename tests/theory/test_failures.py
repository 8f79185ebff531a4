"""Tests of the failure sets (skillfit.theory.failures)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillfit.errors import SimulationError, SkillfitError
from skillfit.theory.bounds import min_beta
from skillfit.theory.failures import adversarial_failure_set, random_failure_set
from skillfit.theory.graph import SkillGraph, random_skill_graph, zipf_weights
from skillfit.theory.rates import compare_with_bound, simulate, skill_failure_rates, worst_failure

ALPHAS = [0.05, 0.1, 0.2]


@settings(max_examples=25, deadline=None)
@given(theta=st.floats(0.01, 0.95), alpha=st.floats(0.01, 0.5), seed=st.integers(0, 10**6))
def test_failure_sets_have_exactly_round_theta_n_pieces(theta, alpha, seed) -> None:
    g = random_skill_graph(60, 1001, 4, seed=seed)
    m = round(theta * 1001)
    assert random_failure_set(g, theta, seed=seed).sum() == m
    for target in ("random", "frequent"):
        y = adversarial_failure_set(g, theta, alpha, target=target, seed=seed)
        assert y.dtype == np.bool_ and y.shape == (1001,) and y.sum() == m


def test_random_failures_mean_skill_failure_is_theta(graph200: SkillGraph) -> None:
    y = random_failure_set(graph200, 0.1, seed=1)
    r = skill_failure_rates(graph200, y)
    # edge-weighted mean is exactly the measure of Y (double counting)
    deg = graph200.skill_degrees
    assert (r * deg).sum() / deg.sum() == pytest.approx(0.1, abs=1e-12)
    # each skill: hypergeometric-like, sd ~ sqrt(0.09/800) ~ 0.011; mean over 200 skills
    assert abs(r.mean() - 0.1) < 0.005
    assert r.max() < 0.1 + 6 * math.sqrt(0.09 / deg.min())


def test_adversarial_set_takes_the_pieces_with_most_target_skills(graph200: SkillGraph) -> None:
    rng = np.random.default_rng(9)
    y = adversarial_failure_set(graph200, 0.1, 0.1, seed=rng)
    r = skill_failure_rates(graph200, y)
    hit = np.sort(r)[::-1]
    # floor(0.1*200)+1 = 21 targeted skills stand far above theta, the rest below it
    assert hit[20] > 0.2 and hit[21] < 0.13
    # Y is an upper set in the number of target skills: re-derive Z from the 21 worst skills
    z = np.zeros(200, bool)
    z[np.argsort(r)[::-1][:21]] = True
    counts = z[graph200.skills].sum(axis=1)
    assert counts[y].min() >= counts[~y].max()


def test_adversary_on_frequent_skills_targets_high_degree_skills() -> None:
    g = random_skill_graph(100, 20_000, 8, skill_weights=zipf_weights(100, 1.0), seed=10)
    y = adversarial_failure_set(g, 0.1, 0.05, target="frequent", measure="count", seed=1)
    r = skill_failure_rates(g, y)
    top = np.argsort(g.skill_degrees)[::-1][:6]  # floor(0.05*100)+1 most frequent
    assert np.all(r[top] > 0.1)
    # by skill measure, skill 0 alone (weight 1/H_100 = 0.19) already exceeds alpha = 0.05
    y = adversarial_failure_set(g, 0.1, 0.05, target="frequent", seed=1)
    r = skill_failure_rates(g, y)
    assert r[0] > 0.2 and np.sort(r)[-2] < 0.12  # Y = 10% of the ~81% pieces with skill 0


def test_weighted_measure_adversary_and_quantile() -> None:
    w = zipf_weights(200, 1.0)
    g = random_skill_graph(200, 20_000, 8, skill_weights=w, seed=12)
    y = adversarial_failure_set(g, 0.1, 0.1, seed=2)  # random order, prefix of measure > 0.1
    r = skill_failure_rates(g, y)
    hit = r > 0.2
    assert w[hit].sum() > 0.1
    f = worst_failure(r, 0.1, weights=w)
    assert w[r > f].sum() <= 0.1 + 1e-12 < w[r >= f].sum()
    res = simulate(200, 20_000, 8, 0.1, failure="adversarial", alpha=0.1, skill_weights=w,
                   seed=1)
    assert res.measure == "weights" and res.unit_weights is not None
    df = res.compare_with_bound([0.1])
    assert (df["measure"] == "weights").all() and df["holds"].all()


def test_count_measure_breaks_the_bound_under_steep_zipf() -> None:
    """Why the default measure is mu_1 for weighted graphs: by count, rare skills are easy prey."""
    g = random_skill_graph(200, 20_000, 4, skill_weights=zipf_weights(200, 2.0), seed=0)
    by_count = compare_with_bound(g, 0.05, ALPHAS, measure="count", seed=1)
    by_weight = compare_with_bound(g, 0.05, ALPHAS, seed=1)
    assert (by_count["holds"] == False).any()  # noqa: E712
    assert by_weight["holds"].fillna(True).all()


def test_n_target_controls_the_attacked_set(graph200: SkillGraph) -> None:
    y = adversarial_failure_set(graph200, 0.1, 0.1, n_target=5, seed=2)
    r = np.sort(skill_failure_rates(graph200, y))[::-1]
    assert r[4] > 0.5 and r[5] < 0.2




def test_rare_target_attacks_the_lowest_degree_skills_hardest() -> None:
    """On a sparse graph, weighting pieces by 1/degree of their target skills hits far more
    skills hard than aiming at random skills with the same budget of failed pieces."""
    g = random_skill_graph(1000, 2000, 2, seed=0)
    rare = skill_failure_rates(g, adversarial_failure_set(g, 0.05, 0.1, target="rare", seed=1))
    rand = skill_failure_rates(g, adversarial_failure_set(g, 0.05, 0.1, seed=1))
    assert worst_failure(rare, 0.1) > worst_failure(rand, 0.1)
    assert worst_failure(rare, 0.1) >= 0.5
    hit = np.flatnonzero(rare >= 0.5)
    assert np.median(g.skill_degrees[hit]) < np.median(g.skill_degrees[g.skill_degrees > 0])
    assert not np.isnan(rare[g.skill_degrees > 0]).any()


def test_unknown_target_suggests_a_spelling(graph200: SkillGraph) -> None:
    with pytest.raises(SimulationError, match="did you mean 'rare'"):
        adversarial_failure_set(graph200, 0.1, 0.1, target="rar")  # type: ignore[arg-type]
