"""Tests of the NumPy face of the emergence theory (skillfit.theory.bounds).

The reference implementation below is written independently from the paper's inequality
(Arora & Goyal 2023, arXiv 2307.15936, Theorems 8 and 14; ``docs/theory.md``, section
"The theorem"),

    H(θ) + kθ( H(βα) − βα log 1/α − (1−βα) log(1/(1−α)) ) < 0,

with scalar ``math`` functions and ``scipy.optimize.brentq`` — it shares no code with skillfit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

from skillfit.theory import (
    binary_entropy,
    competent_fraction,
    emergence_lhs,
    guaranteed_competence,
    kl_bernoulli,
    min_beta,
    theta_for_competence,
    tuple_theta,
)


# ---------------------------------------------------------------- independent reference
def ref_h(x: float) -> float:
    if x in (0.0, 1.0):
        return 0.0
    return -x * math.log(x) - (1 - x) * math.log(1 - x)


def ref_lhs(theta: float, degree: float, alpha: float, beta: float) -> float:
    """The inequality exactly as printed in the paper, natural logs."""
    ba = beta * alpha
    last = 0.0 if ba == 1.0 else (1 - ba) * math.log(1 / (1 - alpha))
    return ref_h(theta) + degree * theta * (ref_h(ba) - ba * math.log(1 / alpha) - last)


def ref_min_beta(theta: float, degree: float, alpha: float) -> float:
    f = lambda b: ref_lhs(theta, degree, alpha, b)  # noqa: E731
    if f(1 / alpha) >= 0:
        return math.nan
    return brentq(f, 1.0 + 1e-15, 1 / alpha, xtol=1e-14, rtol=1e-14)


def ref_alpha_star(theta_k: float, degree: float, tau: float) -> float:
    """Smallest alpha with lhs(alpha, beta=(1-tau)/theta_k) <= 0, by bracketing."""
    beta = (1 - tau) / theta_k
    f = lambda a: ref_lhs(theta_k, degree, a, beta)  # noqa: E731
    if f(1 / beta) >= 0:
        return 1 / beta  # Markov
    return brentq(f, 1e-300, 1 / beta, xtol=1e-300, rtol=1e-14)


thetas = st.floats(1e-4, 0.95)
degrees = st.floats(1.0, 200.0)
alphas = st.floats(1e-4, 0.95)


# ---------------------------------------------------------------- entropy and KL
@given(st.floats(0.0, 1.0))
def test_entropy_symmetric_bounded_and_matches_reference(x):
    h = binary_entropy(x)
    # 1 - x is rounded: H(x) - H(fl(1 - x)) is up to eps * ln(1/x) <= 2.2e-16 * 745 (x = 4.7e-17
    # gives H(x) = 1.8e-15 while fl(1 - x) = 1 has H = 0)
    assert h == pytest.approx(binary_entropy(1 - x), abs=2e-13)
    assert 0.0 <= h <= math.log(2) + 1e-15
    assert h == pytest.approx(ref_h(x), abs=1e-14)


def test_entropy_edges_and_out_of_domain():
    assert binary_entropy(0.0) == 0.0 and binary_entropy(1.0) == 0.0
    assert binary_entropy(0.5) == pytest.approx(math.log(2))
    assert np.isnan(binary_entropy(-0.1)) and np.isnan(binary_entropy(1.1))


@given(st.floats(0.0, 1.0), st.floats(1e-6, 1 - 1e-6))
def test_kl_nonnegative_and_zero_only_at_equality(p, q):
    kl = kl_bernoulli(p, q)
    assert kl >= 0.0
    if abs(p - q) > 1e-3:
        assert kl > 0.0


def test_kl_known_values():
    assert kl_bernoulli(1.0, 0.5) == pytest.approx(math.log(2))
    assert kl_bernoulli(0.25, 0.25) == 0.0
    assert np.isnan(kl_bernoulli(0.5, 0.0))


# ---------------------------------------------------------------- the inequality
@given(thetas, degrees, alphas, st.floats(0.0, 1.0))
def test_lhs_agrees_with_printed_inequality(theta, degree, alpha, u):
    beta = 1.0 + u * (1 / alpha - 1.0)
    assert emergence_lhs(theta, degree, alpha, beta) == pytest.approx(
        ref_lhs(theta, degree, alpha, beta), rel=1e-9, abs=1e-9
    )


@given(thetas, degrees, alphas, st.floats(0.01, 0.98), st.floats(0.01, 0.98))
def test_lhs_strictly_decreasing_in_beta(theta, degree, alpha, u1, u2):
    assume(abs(u1 - u2) > 1e-3)
    lo, hi = sorted((u1, u2))
    b1, b2 = (1.0 + u * (1 / alpha - 1.0) for u in (lo, hi))
    assume(b2 - b1 > 1e-6)
    assert emergence_lhs(theta, degree, alpha, b2) < emergence_lhs(theta, degree, alpha, b1)


def test_lhs_at_alpha_beta_one_is_log_form():
    theta, degree, alpha = 0.1, 8.0, 0.05
    expected = ref_h(theta) - degree * theta * math.log(1 / alpha)
    assert emergence_lhs(theta, degree, alpha, 1 / alpha) == pytest.approx(expected, rel=1e-12)


def test_finite_size_term_adds_entropy_of_alpha():
    base = emergence_lhs(0.1, 8, 0.1, 3.0)
    assert emergence_lhs(0.1, 8, 0.1, 3.0, skills_over_text=0.01) == pytest.approx(
        base + 0.01 * ref_h(0.1)
    )
    assert min_beta(0.1, 8, 0.1, skills_over_text=0.01) > min_beta(0.1, 8, 0.1)


@settings(max_examples=200)
@given(thetas, degrees, alphas)
def test_min_beta_matches_bracketed_root(theta, degree, alpha):
    ours, ref = min_beta(theta, degree, alpha), ref_min_beta(theta, degree, alpha)
    if math.isnan(ref):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(ref, rel=1e-8)
        # the theorem's domain for the multiplier: 1 < beta <= 1/alpha
        assert 1.0 < ours <= 1 / alpha


def test_min_beta_reproduces_independent_ceilings():
    # Ceilings beta*theta = 0.676 / 0.450 / 0.307 at theta = 0.1, degree 8,
    # alpha = 0.05 / 0.1 / 0.2, computed by hand from the printed inequality (docs/theory.md).
    ceilings = 0.1 * np.asarray(min_beta(0.1, 8, [0.05, 0.1, 0.2]))
    np.testing.assert_allclose(ceilings, [0.676, 0.450, 0.307], atol=5e-4)


# ---------------------------------------------------------------- performance curve
@given(thetas, degrees, alphas)
def test_guaranteed_competence_in_unit_interval_or_nan(theta, degree, alpha):
    c = guaranteed_competence(theta, degree, alpha)
    ref_b = ref_min_beta(theta, degree, alpha)
    if math.isnan(ref_b) or ref_b * theta > 1:
        assert math.isnan(c)
    else:
        assert 0.0 <= c < 1.0
        assert c == pytest.approx(1 - ref_b * theta, abs=1e-8)


@given(st.floats(1e-3, 0.5), st.floats(2.0, 64.0), st.floats(0.01, 0.5), st.floats(1.01, 2.0))
def test_competence_monotone_in_degree_and_with_markov_in_theta(theta, degree, alpha, factor):
    c = guaranteed_competence(theta, degree, alpha)
    if not math.isnan(c):
        assert guaranteed_competence(theta, degree * factor, alpha) >= c - 1e-12
    cm = guaranteed_competence(theta, degree, alpha, markov=True)
    assume(not math.isnan(cm))
    assert cm >= (c if not math.isnan(c) else -np.inf)
    assert guaranteed_competence(theta / factor, degree, alpha, markov=True) >= cm - 1e-12


def test_small_theta_needs_markov_at_fixed_alpha():
    """H(theta)/theta ~ ln(1/theta): at fixed alpha the theorem alone fails as theta -> 0,
    while Markov's 1 - theta/alpha tends to 1."""
    assert math.isnan(guaranteed_competence(1e-9, 8, 0.1))
    assert guaranteed_competence(1e-9, 8, 0.1, markov=True) == pytest.approx(1 - 1e-8)
    # Where the theorem holds it beats Markov's 1 - theta/alpha.
    for theta, alpha in [(0.1, 0.1), (0.05, 0.2), (0.02, 0.05)]:
        assert guaranteed_competence(theta, 8, alpha) > 1 - theta / alpha


def test_competence_edge_cases():
    # theta -> 0 with alpha shrinking alongside: the theorem's guarantee tends to 1.
    assert guaranteed_competence(1e-6, 8, 0.01) > 1 - 1e-3
    # theta -> 1: no guarantee.
    assert math.isnan(guaranteed_competence(0.999, 8, 0.1))
    # Out of domain.
    assert math.isnan(guaranteed_competence(0.0, 8, 0.1))
    assert math.isnan(min_beta(0.1, 8, 1.0))


# ---------------------------------------------------------------- tuples and Corollary 13
@given(st.floats(0.0, 1.0), st.integers(1, 12))
def test_tuple_theta_union_below_linear(theta, k):
    union, linear = tuple_theta(theta, k, "union"), tuple_theta(theta, k, "linear")
    assert union <= linear + 1e-15
    assert union == pytest.approx(1 - (1 - theta) ** k, abs=1e-14)


@given(st.floats(1e-3, 0.4), st.integers(2, 8), st.floats(0.01, 0.5))
def test_corollary13_linear_identity(theta, k, alpha):
    """Loss delta -> delta/k: the k-tuple curve after equals the single-skill curve before."""
    after = guaranteed_competence(tuple_theta(theta / k, k, "linear"), 8, alpha)
    before = guaranteed_competence(theta, 8, alpha)
    if math.isnan(before):
        assert math.isnan(after)
    else:
        assert after == pytest.approx(before, abs=1e-12)


def test_emergence_lhs_example_brackets_min_beta():
    """The docstring example: beta = 5 satisfies the theorem at (0.1, 8, 0.1), beta = 4 not."""
    b = min_beta(0.1, 8, 0.1)
    assert 4.0 < b < 5.0
    assert emergence_lhs(0.1, 8, 0.1, 5.0) < 0 < emergence_lhs(0.1, 8, 0.1, 4.0)
    assert emergence_lhs(0.1, 8, 0.1, 3.0) == pytest.approx(0.20, abs=0.01)  # the old example


@pytest.mark.parametrize("iterations", [0, -1, 2.5, True])
def test_theta_for_competence_rejects_bad_iterations(iterations):
    with pytest.raises(ValueError, match="iterations"):
        theta_for_competence(0.9, 8, 0.5, iterations=iterations)


def test_tuple_theta_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        tuple_theta(0.1, 2, "product")


# ---------------------------------------------------------------- competent fraction
@settings(max_examples=200)
@given(st.floats(1e-4, 0.6), st.floats(1.0, 100.0), st.floats(0.0, 0.9), st.integers(1, 6))
def test_competent_fraction_matches_reference(theta, degree, tau, k):
    frac = competent_fraction(theta, degree, tau, k)
    theta_k = 1 - (1 - theta) ** k
    assert 0.0 <= frac <= 1.0
    if (1 - tau) / theta_k <= 1 + 1e-9:
        assert frac == 0.0
    else:
        assert frac == pytest.approx(1 - ref_alpha_star(theta_k, degree, tau), abs=1e-8)


@given(st.floats(1e-4, 0.6), st.floats(1.0, 100.0), st.floats(0.0, 0.9), st.integers(1, 6))
def test_markov_bound_never_beaten(theta, degree, tau, k):
    """The guarantee is never worse than Markov's: at most 1/beta of tuples fail."""
    theta_k = float(tuple_theta(theta, k))
    beta = (1 - tau) / theta_k
    frac = competent_fraction(theta, degree, tau, k)
    assert frac >= max(0.0, 1 - 1 / beta) - 1e-12


@given(st.floats(1e-4, 0.5), st.floats(1.0, 100.0), st.floats(0.0, 0.9), st.integers(1, 5),
       st.floats(1.01, 3.0))
def test_competent_fraction_monotone(theta, degree, tau, k, factor):
    f = competent_fraction(theta, degree, tau, k)
    assert competent_fraction(theta / factor, degree, tau, k) >= f - 1e-12
    assert competent_fraction(theta, degree * factor, tau, k) >= f - 1e-12
    assert competent_fraction(theta, degree, tau, k + 1) <= f + 1e-12


def test_competent_fraction_continuous_across_feasibility_boundary():
    theta = np.linspace(0.02, 0.2, 20001)
    frac = competent_fraction(theta, 8, 0.5, 2)
    assert np.max(np.abs(np.diff(frac))) < 1e-3


def test_competent_fraction_vectorised_equals_scalar_calls():
    theta = np.array([0.01, 0.05, 0.2])
    k = np.array([[1], [3]])
    grid = competent_fraction(theta, 8, 0.4, k)
    assert grid.shape == (2, 3)
    for i, kk in enumerate((1, 3)):
        for j, t in enumerate(theta):
            assert grid[i, j] == competent_fraction(t, 8, 0.4, kk)


# ---------------------------------------------------------------- inverse
@given(st.floats(0.05, 0.95), st.floats(2.0, 64.0), st.floats(0.0, 0.8), st.integers(1, 6),
       st.sampled_from(["union", "linear"]))
def test_theta_for_competence_inverts(target, degree, tau, k, mode):
    theta = theta_for_competence(target, degree, tau, k, mode)
    assert 0 < theta < 1
    assert competent_fraction(theta, degree, tau, k, mode) == pytest.approx(target, abs=1e-9)
    # Largest such theta: a little more failure loses the target.
    assert competent_fraction(theta * 1.001, degree, tau, k, mode) < target


def test_theta_for_competence_out_of_domain_is_nan():
    assert math.isnan(theta_for_competence(1.0, 8, 0.5))
    assert math.isnan(theta_for_competence(0.5, 8, 1.0))


def test_large_arrays_are_processed_blockwise_with_identical_results():
    rng = np.random.default_rng(3)
    theta = rng.uniform(1e-3, 0.5, (3, 30_000))  # 90,000 points: more than one block
    alpha = rng.uniform(1e-3, 0.5, (3, 30_000))
    whole = guaranteed_competence(theta, 8.0, alpha)
    parts = np.stack([guaranteed_competence(theta[i], 8.0, alpha[i]) for i in range(3)])
    assert whole.shape == (3, 30_000)
    np.testing.assert_array_equal(whole, parts)
    frac = competent_fraction(theta, 8.0, 0.5, 2)
    np.testing.assert_array_equal(frac[1], competent_fraction(theta[1], 8.0, 0.5, 2))
