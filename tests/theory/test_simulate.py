"""Tests for the Monte Carlo skill graph (skillfit.theory.simulate)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillfit.errors import SkillfitError
from skillfit.theory.bounds import min_beta, tuple_theta
from skillfit.theory.simulate import (
    SimulationError,
    SkillGraph,
    adversarial_failure_set,
    compare_with_bound,
    random_failure_set,
    random_skill_graph,
    simulate,
    skill_failure_rates,
    tuple_failure_rates,
    worst_failure,
    zipf_weights,
)

ALPHAS = [0.05, 0.1, 0.2]


@pytest.fixture(scope="module")
def graph200() -> SkillGraph:
    """The theory.md §4 setting: |S| = 200, |T| = 20,000, 8 distinct uniform skills."""
    return random_skill_graph(200, 20_000, 8, replace=False, seed=0)


# ------------------------------------------------------------------------------ the graph


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


def test_seed_reproduces_failure_sets_rates_and_results(graph200: SkillGraph) -> None:
    for make in (
        lambda s: random_failure_set(graph200, 0.1, seed=s),
        lambda s: adversarial_failure_set(graph200, 0.1, 0.1, seed=s),
        lambda s: adversarial_failure_set(graph200, 0.1, 0.1, target="frequent", seed=s),
    ):
        np.testing.assert_array_equal(make(3), make(3))
        assert not np.array_equal(make(3), make(4))
    r1 = simulate(100, 3000, 5, 0.2, failure="adversarial", alpha=0.1, k=2, seed=11)
    r2 = simulate(100, 3000, 5, 0.2, failure="adversarial", alpha=0.1, k=2, seed=11)
    np.testing.assert_array_equal(r1.failure_rates, r2.failure_rates)
    np.testing.assert_array_equal(r1.tuples, r2.tuples)
    d1 = compare_with_bound(graph200, 0.1, ALPHAS, seed=5)
    d2 = compare_with_bound(graph200, 0.1, ALPHAS, seed=5)
    pd.testing.assert_frame_equal(d1, d2)


def test_graph_shape_dtype_and_degrees() -> None:
    g = random_skill_graph(37, 1234, 5, seed=1)
    assert g.skills.shape == (1234, 5) and g.skills.dtype == np.int32
    assert (g.n_text, g.degree, g.n_skills) == (1234, 5, 37)
    assert g.skills.min() >= 0 and g.skills.max() < 37
    np.testing.assert_array_equal(g.skill_degrees, np.bincount(g.skills.ravel(), minlength=37))
    assert g.skill_degrees.sum() == 1234 * 5


def test_graph_larger_than_one_chunk_is_consistent() -> None:
    from skillfit.theory import simulate as sim

    n = sim.CHUNK_ROWS + 1001
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


# ------------------------------------------------------------------------------ failure sets


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


# ------------------------------------------------------------------------------ the bound


def test_worst_failure_definition() -> None:
    rates = np.arange(1, 11) / 10.0
    assert worst_failure(rates, 0.2) == pytest.approx(0.8)  # 2 strictly above, 3 at >=
    assert worst_failure(rates, 0.05) == pytest.approx(1.0)
    np.testing.assert_allclose(worst_failure(rates, [0.1, 0.3]), [0.9, 0.7])
    # uniform weights agree with counting
    np.testing.assert_allclose(
        worst_failure(rates, [0.05, 0.1, 0.2, 0.3], weights=np.full(10, 3.0)),
        worst_failure(rates, [0.05, 0.1, 0.2, 0.3]),
    )
    assert worst_failure(np.r_[rates, np.nan], 0.2) == pytest.approx(0.8)  # NaN dropped
    rng = np.random.default_rng(0)
    for alpha in (0.03, 0.1, 0.29):
        x = rng.random(137)
        f = worst_failure(x, alpha)
        assert (x > f).sum() <= alpha * 137 < (x >= f).sum()


def test_key_monte_carlo_bound_on_theory_md_setting(graph200: SkillGraph) -> None:
    """theory.md §4: ceilings 0.676/0.450/0.307; the adversary reaches about 0.38/0.27/0.19."""
    for target in ("random", "frequent"):
        df = compare_with_bound(graph200, 0.1, ALPHAS, target=target, seed=1)
        np.testing.assert_allclose(df["bound_failure"], [0.676, 0.450, 0.307], atol=1e-3)
        assert df["holds"].tolist() == [True, True, True]
        emp = df["empirical_failure"].to_numpy()
        assert (emp < df["bound_failure"].to_numpy()).all()
        # the adversary works (far above theta) but stays below the ceiling
        assert (emp > 0.15).all() and emp[0] > emp[1] > emp[2]
        np.testing.assert_allclose(
            df["empirical_competence"] + df["empirical_failure"], 1.0
        )
        assert (df["empirical_competence"] > df["guaranteed_competence"]).all()


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_skills=st.sampled_from([100, 200, 400]),
    degree=st.sampled_from([4, 8, 12]),
    theta=st.sampled_from([0.05, 0.1, 0.2]),
    replace=st.booleans(),
    zipf=st.sampled_from([None, 1.0]),
    target=st.sampled_from(["random", "frequent"]),
)
def test_adversarial_failure_never_exceeds_the_ceiling(
    seed, n_skills, degree, theta, replace, zipf, target
) -> None:
    w = None if zipf is None else zipf_weights(n_skills, zipf)
    g = random_skill_graph(
        n_skills, 20_000, degree, replace=replace, skill_weights=w, seed=seed
    )
    df = compare_with_bound(g, theta, ALPHAS, target=target, seed=seed + 1)
    ceiling = np.asarray(min_beta(theta, degree, ALPHAS)) * theta
    np.testing.assert_allclose(df["bound_failure"], ceiling, rtol=1e-9)
    finite = np.isfinite(ceiling)
    emp = df["empirical_failure"].to_numpy()
    assert (emp[finite] < ceiling[finite]).all(), df
    assert not (df["holds"] == False).any()  # noqa: E712  (NA = no guarantee)


def test_compare_with_bound_frame_and_random_failures(graph200: SkillGraph) -> None:
    df = compare_with_bound(graph200, 0.1, ALPHAS, failure="random", seed=2)
    assert list(df.columns) == [
        "alpha", "k", "theta", "theta_k", "empirical_failure", "bound_failure", "beta_star",
        "empirical_competence", "guaranteed_competence", "holds", "failure", "measure",
        "n_units",
    ]
    assert str(df["holds"].dtype) == "boolean" and df["holds"].all()
    assert (df["failure"] == "random").all() and (df["n_units"] == 200).all()
    # random failures are mild: worst 5% of skills within a few sd of theta
    assert df["empirical_failure"].max() < 0.15
    res = simulate(200, 20_000, 8, 0.1, replace=False, seed=0)
    pd.testing.assert_series_equal(
        res.compare_with_bound(ALPHAS)["bound_failure"], df["bound_failure"]
    )
    assert res.competence(0.1) == pytest.approx(1 - res.worst_failure(0.1))


def test_holds_is_na_without_a_guarantee() -> None:
    res = simulate(50, 2000, 2, 0.4, seed=1)
    df = res.compare_with_bound([0.05])
    assert df["holds"].isna().all() and df["guaranteed_competence"].isna().all()


# ------------------------------------------------------------------------------ k-tuples


@pytest.mark.parametrize("k", [2, 3])
def test_tuple_failure_under_random_failures_is_union_theta(graph200: SkillGraph, k) -> None:
    y = random_failure_set(graph200, 0.1, seed=3)
    tuples, exact = tuple_failure_rates(graph200, y, k, n_tuples=3000, seed=4)
    assert tuples.shape == (3000, k) and tuples.dtype == np.int32
    assert (np.diff(np.sort(tuples, axis=1), axis=1) > 0).all()  # distinct skills
    target = float(tuple_theta(0.1, k))
    assert exact.mean() == pytest.approx(target, abs=0.005)
    _, sampled = tuple_failure_rates(graph200, y, k, n_tuples=3000, n_pieces=100, seed=4)
    # same tuples (same seed), sampled k-pieces: binomial noise around the exact rate
    sd = np.sqrt(exact * (1 - exact) / 100)
    assert np.abs(sampled - exact).max() < 5.5 * sd.max()
    assert sampled.mean() == pytest.approx(target, abs=0.005)


def test_sampled_k_pieces_are_real_pieces(graph200: SkillGraph) -> None:
    """Y = every piece of skill 0: a sampled component for skill 0 always fails."""
    y = (graph200.skills == 0).any(axis=1)
    tuples, rates = tuple_failure_rates(graph200, y, 2, n_tuples=4000, n_pieces=50, seed=1)
    has0 = (tuples == 0).any(axis=1)
    assert has0.sum() > 10
    assert (rates[has0] == 1.0).all()
    _, exact = tuple_failure_rates(graph200, y, 2, n_tuples=4000, seed=1)
    assert (exact[has0] == 1.0).all()
    assert 0 < rates[~has0].mean() < 0.2
    assert rates[~has0].mean() == pytest.approx(exact[~has0].mean(), abs=0.005)


def test_simulate_tuples_against_bound() -> None:
    res = simulate(200, 20_000, 8, 0.05, failure="adversarial", alpha=0.1, k=2, seed=3)
    assert res.k == 2 and res.failure_rates.shape == (2000,)
    assert res.theta_k == pytest.approx(1 - 0.95**2)
    df = res.compare_with_bound(ALPHAS)
    assert df["holds"].fillna(True).all()


# ------------------------------------------------------------------------------ bad input


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
        (lambda: simulate(10, 100, 2, 1.0), "theta"),
        (lambda: simulate(10, 100, 2, 0.001), "theta"),
        (lambda: simulate(10, 100, 2, 0.1, failure="adversarial"), "alpha"),
        (lambda: simulate(10, 100, 2, 0.1, failure="adversarial", alpha=1.5), "alpha"),
        (lambda: simulate(10, 100, 2, 0.1, failure="nope"), "failure"),
        (lambda: simulate(10, 100, 2, 0.1, k=0), "k"),
        (lambda: simulate(10, 100, 2, 0.1, k=11), "k"),
        (lambda: worst_failure([0.1, 0.2], 0.0), "alpha"),
    ],
)
def test_bad_arguments_raise_named_errors(call, word) -> None:
    with pytest.raises(SimulationError, match=word) as info:
        call()
    assert isinstance(info.value, SkillfitError) and isinstance(info.value, ValueError)


def test_bad_failure_mask_rejected(graph200: SkillGraph) -> None:
    with pytest.raises(SimulationError, match="failed"):
        skill_failure_rates(graph200, np.zeros(10, bool))
    with pytest.raises(SimulationError, match="failed"):
        skill_failure_rates(graph200, np.zeros(graph200.n_text, int))
    with pytest.raises(SimulationError, match="alpha"):
        compare_with_bound(graph200, 0.1, [0.1, 1.0])


@pytest.mark.parametrize("s", [0.5, 1.0, 3.0])
def test_weighted_sampler_is_exactly_the_inverse_cdf(s: float) -> None:
    from skillfit.theory.simulate import _Sampler

    w = zipf_weights(1000, s)
    w[5] = 0.0
    w /= w.sum()
    sampler = _Sampler(1000, w)
    got = sampler.draw(np.random.default_rng(1), 200_000)
    u = np.random.default_rng(1).random(200_000) * sampler.total
    u = np.minimum(u, np.nextafter(sampler.total, 0.0))
    np.testing.assert_array_equal(got, np.searchsorted(sampler.cdf, u, side="right"))
    assert not (got == 5).any()


def test_compare_with_bound_progress_messages_do_not_change_results() -> None:
    g = random_skill_graph(100, 4000, 6, seed=0)
    messages: list[str] = []
    a = compare_with_bound(g, 0.1, [0.05, 0.2], seed=1, progress=messages.append)
    b = compare_with_bound(g, 0.1, [0.05, 0.2], seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert messages == ["adversarial failure set for alpha=0.05, skill failure rates",
                        "adversarial failure set for alpha=0.2, skill failure rates"]
    messages.clear()
    compare_with_bound(g, 0.1, [0.05, 0.2], failure="random", k=3, seed=1,
                       progress=messages.append)
    assert messages == ["random failure set, 3-tuple failure rates"]
