"""Tests of the curve tables (skillfit.theory.curves) and the bounds they combine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillfit.scaling import theta_from_reducible
from skillfit.theory import (
    alpha_limit,
    best_guarantee,
    corollary13,
    curves_table,
    guaranteed_competence,
    markov_competence,
    min_beta,
    theorem_competence,
    tuple_theta,
)
from skillfit.theory.curves import CURVE_COLUMNS

THETAS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3]
DEGREES = [1, 2, 4, 8, 16]
ALPHAS = [0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]


def test_audit_example_no_longer_prints_a_gap():
    """degree 4, theta 0.05: the theorem stops at alpha ~ 0.37; Markov gives 0.90 at 0.5."""
    t = curves_table([0.05], 4, [1], [0.3, 0.5])
    assert list(t.columns) == list(CURVE_COLUMNS)
    assert t["guaranteed_competence"].round(3).tolist() == [0.84, 0.9]
    assert t["source"].tolist() == ["theorem", "markov"]
    assert math.isnan(guaranteed_competence(0.05, 4, 0.5))  # the old, theorem-at-alpha value
    assert t["theorem"].iloc[1] == pytest.approx(1 - 0.05 / alpha_limit(0.05, 4))


@pytest.mark.parametrize("mode", ["union", "linear"])
def test_guarantee_monotone_in_alpha_and_never_nan_where_markov_is_positive(mode):
    t = curves_table(THETAS, 8, [1, 2, 4], ALPHAS, mode)
    for degree in DEGREES:
        t = curves_table(THETAS, degree, [1, 2, 4], ALPHAS, mode)
        wide = t.pivot_table(index=["theta", "k"], columns="alpha",
                             values="guaranteed_competence", dropna=False).to_numpy()
        filled = np.where(np.isnan(wide), -1.0, wide)  # "no guarantee" below any level
        assert (np.diff(filled, axis=1) >= -1e-12).all(), degree  # larger alpha, weaker claim
        markov_positive = t["markov"].to_numpy() > 0
        assert np.isfinite(t["guaranteed_competence"].to_numpy()[markov_positive]).all()
        g = t["guaranteed_competence"].to_numpy()
        ok = np.isfinite(g)
        assert (g[ok] >= np.fmax(t["theorem"], t["markov"]).to_numpy()[ok] - 1e-15).all()
        assert set(t["source"]) <= {"theorem", "markov", "none"}
        assert (t.loc[t["source"] == "none", "guaranteed_competence"].isna()).all()


@given(st.floats(1e-3, 0.6), st.floats(1.0, 64.0), st.floats(0.0, 2.0),
       st.floats(0.01, 0.98), st.floats(0.01, 0.98))
def test_theorem_best_is_monotone_in_alpha_with_finite_size(theta, degree, sot, a1, a2):
    lo, hi = sorted((a1, a2))
    c_lo = theorem_competence(theta, degree, lo, sot)
    c_hi = theorem_competence(theta, degree, hi, sot)
    if not math.isnan(c_lo):
        assert c_hi >= c_lo - 1e-9


@given(st.floats(1e-4, 0.9), st.floats(0.5, 100.0), st.floats(0.0, 2.0))
def test_alpha_limit_is_the_edge_of_the_theorem(theta, degree, sot):
    a = alpha_limit(theta, degree, sot)
    if math.isnan(a):
        assert math.isnan(min_beta(theta, degree, 1e-300, sot))
        return
    assert 0 < a < 1
    if a * 0.999 > 0:
        assert not math.isnan(min_beta(theta, degree, a * 0.999, sot))
    if a * 1.001 < 1:
        assert math.isnan(min_beta(theta, degree, a * 1.001, sot))


def test_markov_competence_values():
    assert markov_competence(0.05, 0.5) == pytest.approx(0.9)
    assert markov_competence(0.2, 0.2) == 0.0
    assert math.isnan(markov_competence(0.3, 0.2)) and math.isnan(markov_competence(0.1, 0.0))


def test_best_guarantee_marks_sources():
    comp, src = best_guarantee([0.05, 0.05, 0.6], 4, [0.3, 0.5, 0.3])
    assert src.tolist() == ["theorem", "markov", "none"]
    assert np.isnan(comp[2]) and comp[0] > markov_competence(0.05, 0.3)


def test_corollary13_is_an_identity_for_linear_tuples_and_a_gain_for_union():
    t = corollary13([0.05, 0.1], 8.0, [2, 4], [0.05, 0.1, 0.2])
    np.testing.assert_allclose(t["theta_k_linear"], t["theta"], rtol=1e-15)
    np.testing.assert_allclose(t["theta_after"], t["theta"] / t["k"])
    assert (t["theta_k_union"] < t["theta"]).all()
    assert (t["union_gain_max"] > 0).all()
    # the gain is the guaranteed-competence difference, computed independently here
    row = t[(t.theta == 0.1) & (t.k == 4)].iloc[0]
    after = curves_table([0.025], 8, [4], [0.05, 0.1, 0.2])["guaranteed_competence"]
    before = curves_table([0.1], 8, [1], [0.05, 0.1, 0.2])["guaranteed_competence"]
    assert row.union_gain_max == pytest.approx(float(np.nanmax(after.values - before.values)))


@given(st.floats(1e-3, 2.0), st.floats(0.1, 5.0), st.integers(2, 16), st.floats(0.5, 0.9))
def test_halving_loss_maps_k_tuples_to_k_times_ratio_under_union_and_exponential_map(
    r, c, k, ratio
):
    """The printed '10x scale' claim: with theta = 1 - exp(-c r) and union tuples,
    theta_k(ratio * r) = theta_{ratio k}(r) exactly; with linear tuples it falls short."""
    after = tuple_theta(theta_from_reducible(ratio * r, c), k, "union")
    before = tuple_theta(theta_from_reducible(r, c), ratio * k, "union")
    assert after == pytest.approx(before, rel=1e-9)
    lin_after = tuple_theta(theta_from_reducible(r / 2, c), k, "linear")
    lin_before = tuple_theta(theta_from_reducible(r, c), k / 2, "linear")
    assert lin_after >= lin_before  # more failure after: k-tuples do not quite reach k/2


def test_negative_skills_over_text_is_rejected_everywhere():
    for fn in (lambda: guaranteed_competence(0.1, 8, 0.1, -0.1, markov=True),
               lambda: guaranteed_competence(0.1, 8, 0.1, float("nan")),
               lambda: min_beta(0.1, 8, 0.1, -1.0),
               lambda: theorem_competence(0.1, 8, 0.1, [0.0, -0.5]),
               lambda: alpha_limit(0.1, 8, -0.1),
               lambda: curves_table([0.1], 8, [1], [0.1], skills_over_text=-0.1)):
        with pytest.raises(ValueError, match="skills_over_text"):
            fn()
