"""Tests of failure rates and the comparison with the bound (skillfit.theory.rates)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillfit.errors import SimulationError, SkillfitError
from skillfit.theory.bounds import min_beta, tuple_theta
from skillfit.theory.failures import adversarial_failure_set, random_failure_set
from skillfit.theory.graph import SkillGraph, random_skill_graph, zipf_weights
from skillfit.theory.rates import (
    COMPARISON_COLUMNS,
    compare_with_bound,
    simulate,
    skill_failure_rates,
    tuple_failure_rates,
    violated_alphas,
    worst_failure,
)

ALPHAS = [0.05, 0.1, 0.2]


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


def test_key_monte_carlo_bound_on_the_documented_setting(graph200: SkillGraph) -> None:
    """docs/theory.md: paper-form ceilings 0.676/0.450/0.307 (computed independently in
    test_bounds); the adversary reaches about 0.38/0.27/0.19."""
    for target in ("random", "frequent"):
        df = compare_with_bound(graph200, 0.1, ALPHAS, target=target, skills_over_text=0,
                                seed=1)
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
    target=st.sampled_from(["random", "frequent", "rare"]),
)
def test_adversarial_failure_never_exceeds_the_ceiling(
    seed, n_skills, degree, theta, replace, zipf, target
) -> None:
    w = None if zipf is None else zipf_weights(n_skills, zipf)
    g = random_skill_graph(
        n_skills, 20_000, degree, replace=replace, skill_weights=w, seed=seed
    )
    df = compare_with_bound(g, theta, ALPHAS, target=target, seed=seed + 1)
    # the default ceiling includes the graph's own finite-size ratio |S|/|T|
    ceiling = np.asarray(min_beta(theta, degree, ALPHAS, n_skills / 20_000)) * theta
    np.testing.assert_allclose(df["bound_failure"], ceiling, rtol=1e-9)
    finite = np.isfinite(ceiling)
    emp = df["empirical_failure"].to_numpy()
    assert (emp[finite] < ceiling[finite]).all(), df
    assert not (df["holds"] == False).any()  # noqa: E712  (NA = no guarantee)


def test_compare_with_bound_frame_and_random_failures(graph200: SkillGraph) -> None:
    df = compare_with_bound(graph200, 0.1, ALPHAS, failure="random", seed=2)
    assert list(df.columns) == list(COMPARISON_COLUMNS)
    assert COMPARISON_COLUMNS[-1] == "skills_over_text" and len(COMPARISON_COLUMNS) == 14
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


# ------------------------------------------------------------------------------ finite size


def test_default_comparison_includes_the_graphs_skills_over_text(graph200: SkillGraph) -> None:
    default = compare_with_bound(graph200, 0.1, ALPHAS, seed=1)
    paper = compare_with_bound(graph200, 0.1, ALPHAS, skills_over_text=0.0, seed=1)
    assert (default["skills_over_text"] == 200 / 20_000).all()
    assert (paper["skills_over_text"] == 0.0).all()
    expected = np.asarray(min_beta(default["theta_k"], 8, ALPHAS, 0.01)) * default["theta_k"]
    np.testing.assert_allclose(default["bound_failure"], expected, rtol=1e-12)
    # the finite-size term only raises the ceiling; same failure sets (same seed)
    assert (default["bound_failure"] > paper["bound_failure"]).all()
    pd.testing.assert_series_equal(default["empirical_failure"], paper["empirical_failure"])
    res = simulate(200, 20_000, 8, 0.1, seed=0)
    assert res.compare_with_bound([0.1])["skills_over_text"].iloc[0] == 0.01


def test_sparse_graph_beats_the_paper_form_but_not_the_finite_size_bound() -> None:
    """1,000 skills, 2,000 pieces of degree 2: |T| >> |S| fails. An adversary aimed at the
    rarest skills beats the paper-form ceiling in most graphs; the default comparison, with
    the finite-size term (|S|/|T|) H(alpha), is never violated (here it gives no ceiling)."""
    paper_violations = 0
    for seed in range(10):
        g = random_skill_graph(1000, 2000, 2, seed=seed)
        kw = dict(target="rare", seed=seed + 100)
        paper = compare_with_bound(g, 0.05, [0.1], skills_over_text=0.0, **kw)
        default = compare_with_bound(g, 0.05, [0.1], **kw)
        paper_violations += len(violated_alphas(paper))
        assert default["skills_over_text"].iloc[0] == 0.5
        assert violated_alphas(default) == []
        assert default["holds"].isna().all()  # H(0.05) + 0.5 H(0.1) > 2*0.05*ln 10
    assert paper_violations >= 5


def test_skills_over_text_is_validated(graph200: SkillGraph) -> None:
    for bad in (-0.1, float("nan"), "x"):
        with pytest.raises(SimulationError, match="skills_over_text"):
            compare_with_bound(graph200, 0.1, [0.1], skills_over_text=bad)


def test_violated_alphas_ignores_missing_guarantees() -> None:
    t = pd.DataFrame({"alpha": [0.05, 0.1, 0.2],
                      "holds": pd.array([False, None, True], dtype="boolean")})
    assert violated_alphas(t) == [0.05]
    assert violated_alphas(t.iloc[1:]) == []


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



@pytest.mark.parametrize(
    ("call", "word"),
    [
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
