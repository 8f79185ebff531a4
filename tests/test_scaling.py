"""Tests of skillfit.scaling: the Chinchilla law, allocation and the two meanings of 'scale'."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skillfit.scaling import (
    EPOCH,
    HOFFMANN,
    POSTERIOR,
    ChinchillaLaw,
    LawDraws,
    LawPosterior,
    theta_from_reducible,
    training_compute,
)


def test_hoffmann_loss_matches_formula():
    n, d = 70e9, 1.4e12
    expected = 1.69 + 406.4 / n**0.34 + 410.7 / d**0.28
    assert HOFFMANN.loss(n, d) == pytest.approx(expected, rel=1e-12)
    assert HOFFMANN.reducible(n, d) == pytest.approx(expected - 1.69, rel=1e-12)


@given(st.floats(1e18, 1e27))
def test_optimal_allocation_uses_the_budget_and_minimises_loss(compute):
    for law in (HOFFMANN, EPOCH):
        n, d = law.optimal_allocation(compute)
        assert 6 * n * d == pytest.approx(compute, rel=1e-9)
        best = law.loss(n, d)
        for f in (0.7, 1.4):  # moving along the iso-compute line only raises the loss
            assert law.loss(n * f, d / f) > best


def test_compute_scaling_ratio_is_exact_power_law():
    n1, d1 = HOFFMANN.optimal_allocation(1e23)
    n2, d2 = HOFFMANN.optimal_allocation(1e24)
    ratio = HOFFMANN.reducible(n2, d2) / HOFFMANN.reducible(n1, d1)
    assert ratio == pytest.approx(HOFFMANN.reducible_ratio_compute(10.0), rel=1e-10)
    assert ratio == pytest.approx(10 ** (-0.34 * 0.28 / 0.62), rel=1e-10)


@given(st.floats(0.05, 0.99))
def test_compute_factor_inverts_compute_ratio(ratio):
    for law in (HOFFMANN, EPOCH):
        factor = law.compute_factor_for_ratio(ratio)
        assert law.reducible_ratio_compute(factor) == pytest.approx(ratio, rel=1e-10)


def test_ten_x_scale_roughly_halves_reducible_loss_but_ten_x_compute_does_not():
    # 10x N and D multiplies the two terms by 10**-0.34 = 0.457 and 10**-0.28 = 0.525;
    # 10x compute (compute-optimal) by 10**(-ab/(a+b)) = 0.70 (docs/theory.md, "10x scale").
    r = HOFFMANN.reducible_ratio_scaled(7e9, 2e12, 10.0)
    assert 0.457 <= r <= 0.525
    assert HOFFMANN.reducible_ratio_compute(10.0) == pytest.approx(0.70, abs=0.005)
    # halving it compute-optimally takes 2**((a+b)/(ab)) = 91x compute
    assert HOFFMANN.compute_factor_for_ratio(0.5) == pytest.approx(91, abs=1)


def test_exponential_map_lies_below_the_markov_line():
    """theta = 1 - exp(-2r) is not Markov's theta <= 2r: it is strictly below it for r > 0."""
    r = np.array([1e-3, 0.1, 0.5, 2.0])
    assert (theta_from_reducible(r, 2.0) < 2 * r).all()


@given(st.floats(0.0, 50.0), st.floats(0.01, 10.0))
def test_theta_from_reducible_in_unit_interval_and_linear_at_zero(r, c):
    th = theta_from_reducible(r, c)
    assert 0.0 <= th < 1.0 or (th == 1.0 and c * r > 36)
    assert theta_from_reducible(1e-9, c) == pytest.approx(c * 1e-9, rel=1e-6)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="A must be a positive"):
        ChinchillaLaw(E=1.7, A=-1, B=1, a=0.3, b=0.3)
    with pytest.raises(ValueError, match="unknown scaling-law preset 'openai'"):
        ChinchillaLaw.preset("openai")
    with pytest.raises(ValueError, match="positive"):
        HOFFMANN.loss(0, 1e12)
    with pytest.raises(ValueError, match="s must be a positive"):
        HOFFMANN.reducible_ratio_compute(0.0)
    with pytest.raises(ValueError, match="s must be a positive"):
        HOFFMANN.reducible_ratio_scaled(7e9, 2e12, -10)
    with pytest.raises(ValueError, match="ratio must be a positive"):
        HOFFMANN.compute_factor_for_ratio([0.5, 0.0])
    with pytest.raises(ValueError, match="did you mean 'epoch'"):
        ChinchillaLaw.preset("epok")
    assert math.isnan(theta_from_reducible(-0.1, 1.0))
    assert np.isnan(theta_from_reducible([0.1], [0.0])).all()
    assert math.isnan(theta_from_reducible(0.1, 1.0, eta=0.0))
    assert math.isnan(theta_from_reducible(-0.1, 1.0, eta=0.5))  # no RuntimeWarning either


def test_law_draws_are_the_law_of_each_draw() -> None:
    """LawDraws evaluates ChinchillaLaw's formulas draw by draw (arrays on axis 0)."""
    laws = [HOFFMANN, EPOCH, ChinchillaLaw(E=1.7, A=600.0, B=1500.0, a=0.3, b=0.4)]
    draws = LawDraws(**{k: np.array([getattr(law, k) for law in laws]) for k in "EABab"})
    n = np.array([1e9, 7e10, 4e11])
    d = np.array([2e10, 1.4e12, 1.5e13])
    np.testing.assert_allclose(draws.reducible(n, d),
                               [law.reducible(nn, dd) for law, nn, dd in zip(laws, n, d)],
                               rtol=1e-12)
    opt = draws.optimal_allocation(1e24)
    for j, law in enumerate(laws):
        assert opt[0][j] == pytest.approx(law.optimal_allocation(1e24)[0], rel=1e-12)
    np.testing.assert_allclose(draws.reducible_ratio_compute(10.0),
                               [law.reducible_ratio_compute(10.0) for law in laws], rtol=1e-12)


def test_law_posterior_coordinates_are_the_terms_at_the_reference_run() -> None:
    """exp(log r_N) is A N_ref^-a, exp(log r_D) is B D_ref^-b: at the reference run the law's
    two reducible terms are the stored coordinates."""
    post = LawPosterior(ref_params=1e9, ref_tokens=2e10, mean=(np.log(0.3), np.log(0.5), 0.35, 0.3),
                        cov=((0.01, 0, 0, 0), (0, 0.02, 0, 0), (0, 0, 1e-4, 0), (0, 0, 0, 2e-4)),
                        E=1.8)
    law = post.point()
    assert law.A * 1e9 ** -0.35 == pytest.approx(0.3, rel=1e-12)
    assert law.B * 2e10 ** -0.3 == pytest.approx(0.5, rel=1e-12)
    assert law.reducible(1e9, 2e10) == pytest.approx(0.8, rel=1e-12)
    assert (law.E, law.a, law.b) == (1.8, 0.35, 0.3)
    chol = post.cholesky()
    np.testing.assert_allclose(chol @ chol.T, post.cov, atol=1e-15)
    np.testing.assert_allclose(np.diag(chol), np.sqrt([0.01, 0.02, 1e-4, 2e-4]))


def test_law_posterior_cholesky_in_double_precision() -> None:
    """The covariance is factored in float64 whatever it is stored as (float32 from a float32
    trace): [[2, 1], [1, 2]] has L = [[sqrt 2, 0], [1/sqrt 2, sqrt(3/2)]], to 1e-15, which a
    float32 factor misses by ~1e-8."""
    post = LawPosterior(ref_params=1e9, ref_tokens=2e10, mean=(0.0, 0.0),
                        cov=np.array([[2.0, 1.0], [1.0, 2.0]], dtype=np.float32), E=1.8)
    chol = post.cholesky()
    want = [[math.sqrt(2.0), 0.0], [1.0 / math.sqrt(2.0), math.sqrt(1.5)]]
    np.testing.assert_allclose(chol, want, rtol=1e-15, atol=0)


def test_bundled_law_posterior_is_a_covariance_near_the_published_fits() -> None:
    """The stored posterior is symmetric positive definite, its exponents within 0.05 of
    Epoch's and its law within 15% of Epoch's reducible loss across the joint model's LLMs."""
    cov = np.asarray(POSTERIOR.cov)
    np.testing.assert_allclose(cov, cov.T)
    assert np.all(np.linalg.eigvalsh(cov) > 0)
    law = POSTERIOR.point()
    assert abs(law.a - EPOCH.a) < 0.05 and abs(law.b - EPOCH.b) < 0.05
    for n, d in [(7e9, 2e12), (7e10, 2e12), (1.3e10, 1e12)]:
        assert law.reducible(n, d) == pytest.approx(EPOCH.reducible(n, d), rel=0.15)


# --- by hand: compute, the law's checks, return types, whole numbers of any size ------------

BIG = 10**20  # a Python int beyond int64 (and uint64): a number like any other


def test_training_compute_is_six_n_d():
    assert training_compute(70e9, 1.4e12) == pytest.approx(5.88e23, rel=1e-15)
    assert type(training_compute(70e9, 1.4e12)) is float
    got = training_compute([1e9, 2e9, BIG], [1e10, 3, 2])
    assert isinstance(got, np.ndarray) and got.dtype == np.float64 and got.shape == (3,)
    np.testing.assert_allclose(got, [6e19, 3.6e10, 1.2e21], rtol=1e-15)
    assert training_compute(BIG, BIG) == pytest.approx(6e40, rel=1e-15)
    np.testing.assert_allclose(training_compute([[2.0]], [3.0, 4.0]), [[36.0, 48.0]])


def test_law_checks_each_constant_word_for_word():
    good = {"E": 1.7, "A": 400.0, "B": 1000.0, "a": 0.34, "b": 0.28}
    for name in ("A", "B", "a", "b"):
        for bad in (0.0, -1.0, math.inf, math.nan):
            with pytest.raises(ValueError) as err:
                ChinchillaLaw(**{**good, name: bad})
            assert str(err.value) == f"ChinchillaLaw: {name} must be a positive number, got {bad!r}"
        assert getattr(ChinchillaLaw(**{**good, name: 0.5}), name) == 0.5  # below 1 is fine
    for bad in (-0.1, math.inf, math.nan):
        with pytest.raises(ValueError) as err:
            ChinchillaLaw(**{**good, "E": bad})
        assert str(err.value) == f"ChinchillaLaw: E must be a non-negative number, got {bad!r}"
    assert ChinchillaLaw(**{**good, "E": 0.0}).E == 0.0  # no irreducible loss is allowed
    assert ChinchillaLaw(**{**good, "E": 0.5}).E == 0.5


def test_presets_by_any_case_and_their_message():
    assert ChinchillaLaw.preset("Epoch") is EPOCH and ChinchillaLaw.preset("HOFFMANN") is HOFFMANN
    with pytest.raises(ValueError) as err:
        ChinchillaLaw.preset("openai")
    assert str(err.value) == "unknown scaling-law preset 'openai'; available: epoch, hoffmann"
    with pytest.raises(ValueError) as err:
        ChinchillaLaw.preset("epok")
    assert str(err.value) == ("unknown scaling-law preset 'epok'; available: epoch, hoffmann "
                              "(did you mean 'epoch'?)")


def test_reducible_by_hand_types_and_bounds():
    law = ChinchillaLaw(E=1.0, A=4.0, B=9.0, a=0.5, b=0.5)
    assert law.reducible(4.0, 9.0) == pytest.approx(2.0 + 3.0, rel=1e-15)
    assert type(law.reducible(4.0, 9.0)) is float
    got = law.reducible([4.0], [9.0])
    assert isinstance(got, np.ndarray) and got.shape == (1,)
    assert law.reducible(0.25, 0.25) == pytest.approx(8.0 + 18.0)  # N, D below 1: positive
    assert law.reducible(BIG, BIG) == pytest.approx(13.0 / 1e10, rel=1e-12)
    for n, d in ((0.0, 1.0), (1.0, 0.0), (-1.0, 1.0), (1.0, -1.0), ([1.0, 0.0], 1.0)):
        with pytest.raises(ValueError) as err:
            law.reducible(n, d)
        assert str(err.value) == "params and tokens must be positive"


def test_optimal_allocation_and_loss_against_a_numerical_minimum():
    """optimal_loss(C) against scipy's minimum of L(N, C / 6N) over log N; scalars give
    floats, arrays arrays; compute of any positive size (below 1 FLOP, a Python int beyond
    int64) is accepted, 0 and negatives are refused word for word."""
    from scipy import optimize

    for law in (HOFFMANN, EPOCH):
        for c in (1e21, 3e24, 0.5, BIG):
            res = optimize.minimize_scalar(
                lambda x, c=c, law=law: law.E + law.A * math.exp(-law.a * x)
                + law.B * (float(c) / 6.0 / math.exp(x)) ** -law.b,
                bracket=(0.0, 30.0), tol=1e-12)
            assert law.optimal_loss(c) == pytest.approx(res.fun, rel=1e-12)
            n, d = law.optimal_allocation(c)
            assert type(n) is float and type(d) is float
            assert math.log(n) == pytest.approx(res.x, abs=1e-4)
        n, d = law.optimal_allocation([1e21, 1e22])
        assert isinstance(n, np.ndarray) and n.shape == (2,) and d.shape == (2,)
        losses = law.optimal_loss(np.array([1e21, 1e22]))
        assert isinstance(losses, np.ndarray) and losses[1] < losses[0]
        assert type(law.optimal_loss(1e21)) is float
    for bad in (0.0, -1e20, [1e20, 0.0]):
        with pytest.raises(ValueError) as err:
            HOFFMANN.optimal_allocation(bad)
        assert str(err.value) == "compute must be positive"


def test_ratios_give_floats_for_scalars_and_arrays_for_arrays():
    ab, s_ = 0.34 * 0.28, 0.34 + 0.28
    assert HOFFMANN.reducible_ratio_compute(BIG) == pytest.approx(1e20 ** (-ab / s_), rel=1e-12)
    assert HOFFMANN.compute_factor_for_ratio(0.5) == pytest.approx(0.5 ** (-s_ / ab), rel=1e-12)
    for f, arg in ((HOFFMANN.reducible_ratio_compute, 10.0),
                   (HOFFMANN.compute_factor_for_ratio, 0.5),
                   (lambda s: HOFFMANN.reducible_ratio_scaled(7e9, 2e12, s), 10.0)):
        assert type(f(arg)) is float
        got = f([arg])
        assert isinstance(got, np.ndarray) and got.shape == (1,)
        assert got[0] == pytest.approx(f(arg), rel=1e-15)


def test_theta_with_an_exponent_by_hand():
    """theta = 1 - exp(-c r^eta): r = 0.25, c = 2, eta = 0.5 gives 1 - e^-1; eta defaults to
    1 and c to 1; values of any size (Python ints beyond int64) are numbers; r < 0 with a
    fractional eta is NaN without a RuntimeWarning."""
    import warnings

    from skillfit.scaling import theta_expr

    assert theta_from_reducible(0.25, 2.0, eta=0.5) == pytest.approx(1 - math.exp(-1.0),
                                                                     rel=1e-15)
    assert theta_from_reducible(0.25, 2.0) == pytest.approx(1 - math.exp(-0.5), rel=1e-15)
    assert theta_expr(0.25, 2.0, np) == pytest.approx(1 - math.exp(-0.5), rel=1e-15)
    assert theta_expr(0.25, 2.0, np, 2.0) == pytest.approx(1 - math.exp(-0.125), rel=1e-15)
    assert type(theta_from_reducible(0.25, 2.0)) is float
    got = theta_from_reducible([0.25], 2.0, eta=[0.5])
    assert isinstance(got, np.ndarray) and got.shape == (1,)
    assert theta_from_reducible(0.25) == pytest.approx(1 - math.exp(-0.25), rel=1e-15)  # c = 1
    np.testing.assert_array_equal(theta_from_reducible([BIG, 0.0], 1.0), [1.0, 0.0])
    np.testing.assert_array_equal(theta_from_reducible([0.5], [BIG]), [1.0])
    np.testing.assert_array_equal(theta_from_reducible([0.5], 1.0, eta=[BIG]), [0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(theta_from_reducible(-0.25, 1.0, eta=0.5))
