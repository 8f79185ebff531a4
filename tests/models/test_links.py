"""skillfit.models.links against values written out by hand (NumPy face).

The by-hand likelihood tests pass every link's parameters explicitly; these pin what the links
and the simulated measurements are on their own: the threshold link without a floor is the
theory's competent fraction, the independent link is the geometric law ``m^k`` with
``m = 1 + ln(1 - theta)/degree``, the logistic link is a sigmoid falling in k, and simulated
rates stay valid at expected scores of exactly 0 and 1.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from skillfit.models.links import (
    GENERATIONS,
    link_probability,
    score_probability,
    simulate_rates,
    skill_fraction_probability,
)
from skillfit.theory.bounds import competent_fraction


def test_threshold_without_floor_is_the_competent_fraction() -> None:
    theta, k = np.array([0.02, 0.05, 0.1]), np.array([1.0, 2.0, 3.0])
    got = link_probability("threshold", theta, np.zeros(3), k, {"degree": 8.0, "tau": 0.5}, np)
    want = [competent_fraction(t, 8.0, 0.5, kk) for t, kk in zip(theta, k, strict=True)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert 0 < got[0] < 1  # a point where the floor would show


def test_threshold_floor_lifts_unguaranteed_tuples() -> None:
    theta, k = np.array([0.3]), np.array([4.0])
    base = link_probability("threshold", theta, np.zeros(1), k, {"degree": 8.0, "tau": 0.5}, np)
    lifted = link_probability("threshold", theta, np.zeros(1), k,
                              {"degree": 8.0, "tau": 0.5, "floor": 0.1}, np)
    np.testing.assert_allclose(lifted, 0.1 + 0.9 * base)
    # and a guaranteed share is lifted as 0.1 + 0.9 pi too, not just the zeros
    theta, k = np.array([0.05, 0.1]), np.array([3.0, 3.0])
    base = link_probability("threshold", theta, np.zeros(2), k, {"degree": 8.0, "tau": 0.5}, np)
    lifted = link_probability("threshold", theta, np.zeros(2), k,
                              {"degree": 8.0, "tau": 0.5, "floor": 0.1}, np)
    assert np.all((base > 0.05) & (base < 0.95))
    np.testing.assert_allclose(lifted, 0.1 + 0.9 * base, rtol=1e-12)


@pytest.mark.parametrize(("theta", "degree", "k"), [(0.1, 8.0, 1.0), (0.1, 8.0, 3.0),
                                                     (0.4, 2.0, 2.0), (0.9, 5.0, 4.0)])
def test_independent_link_is_the_geometric_law(theta: float, degree: float, k: float) -> None:
    m = 1.0 + math.log(1.0 - theta) / degree
    got = link_probability("independent", np.array([theta]), np.zeros(1), np.array([k]),
                           {"degree": degree}, np)
    assert float(got[0]) == pytest.approx(m**k, rel=1e-12)
    assert float(got[0]) < 1.0


def test_independent_link_clips_a_hopeless_skill() -> None:
    # 1 + ln(1 - 0.999999)/1 < 0: every skill fails, pi is (1e-12)^k, not NaN or negative
    got = link_probability("independent", np.array([0.999999]), np.zeros(1), np.array([2.0]),
                           {"degree": 1.0}, np)
    assert float(got[0]) == pytest.approx(1e-24)


def test_logistic_link_by_hand_and_falling_in_k() -> None:
    params = {"logistic_intercept": 0.4, "logistic_slope_r": -2.0, "logistic_slope_k": -0.8}
    log_r = np.array([math.log(0.1)] * 3)
    k = np.array([1.0, 3.0, 5.0])
    got = link_probability("logistic", np.zeros(3), log_r, k, params, np)
    z = 0.4 - 2.0 * (math.log(0.1) - math.log(0.2)) - 0.8 * (k - 3.0)
    np.testing.assert_allclose(got, 1.0 / (1.0 + np.exp(-z)), rtol=1e-12)
    assert got[0] > got[1] > got[2]


def test_unknown_link() -> None:
    with pytest.raises(ValueError,
                       match="unknown link 'probit'; choose one of threshold, independent, logistic"):
        link_probability("probit", 0.1, 0.0, 1.0, {}, np)


@pytest.mark.parametrize("score", [0.0, 1.0])
def test_simulated_rates_at_the_edges(score: float) -> None:
    """An expected score of exactly 0 or 1 is clipped to [SCORE_EPS, 1 - SCORE_EPS] as in the
    model: the Beta draw stays defined and the measured rates sit at that edge."""
    rates = simulate_rates(np.full(2000, score), 40.0, 100, np.random.default_rng(0))
    assert np.all(np.isfinite(rates)) and np.all((rates >= 0) & (rates <= 1))
    assert abs(rates.mean() - score) < 1e-3


def test_score_is_the_best_of_three_generations() -> None:
    assert GENERATIONS == 3
    pi, gamma = np.array([0.0, 0.5, 1.0]), 0.8
    np.testing.assert_allclose(score_probability(pi, gamma, np), [0.0, 1 - 0.6**3, 1 - 0.2**3])
    np.testing.assert_allclose(score_probability(pi, gamma, np, generations=1), gamma * pi)


@pytest.mark.parametrize(("theta", "k", "tau", "spread"), [
    (0.05, 3, 0.5, 0.5), (0.2, 4, 0.5, 1.0), (0.02, 2, 0.3, 0.3), (0.1, 6, 0.6, 0.8),
    (0.01, 8, 0.5, 2.0), (0.3, 5, 0.5, 0.2), (0.1, 6, 0.3, 0.8),
])
def test_threshold_with_tau_spread_averages_the_competent_fraction(theta, k, tau, spread) -> None:
    """With a competence level per tuple, logit tau_tuple ~ Normal(logit tau, spread), pi is
    the competent fraction averaged over it: against scipy's adaptive quadrature of the
    integral, to 2e-4 (the rule's error at the theorem/Markov switch inside the interval).
    With tau below 1/2 (logit tau < 0) the end of the rule's interval, z* = (logit(1 -
    theta_k) - logit tau) / spread, lies where the guarantee is not yet 0: an end placed
    too early (the sign of logit tau flipped) cuts the average short, 0.116 for 0.365 at
    (0.1, 6, 0.3, 0.8)."""
    from scipy import integrate, stats

    got = link_probability("threshold", np.array([theta]), None, np.array([float(k)]),
                           {"degree": 7.0, "tau": tau, "tau_spread": spread}, np)
    logit = math.log(tau / (1 - tau))

    def integrand(z: float) -> float:
        level = 1.0 / (1.0 + math.exp(-(logit + spread * z)))
        return float(competent_fraction(theta, 7.0, level, k)) * stats.norm.pdf(z)

    want = integrate.quad(integrand, -12, 12, limit=400, points=[0.0])[0]
    assert float(got[0]) == pytest.approx(want, abs=2e-4)
    # a spread of 0 is the single level
    single = link_probability("threshold", np.array([theta]), None, np.array([float(k)]),
                              {"degree": 7.0, "tau": tau, "tau_spread": 0.0}, np)
    assert single[0] == competent_fraction(theta, 7.0, tau, k)


def test_tau_spread_smooths_the_kink_and_broadcasts() -> None:
    """The single level's pi has a kink at (1 - tau) / theta_k = 1 (slope jumps from 0); with
    a spread the slope is continuous there; draws of tau and spread broadcast like forecasts'
    (LLMs x k x draws)."""
    k, tau = 3.0, 0.5
    kink = 1.0 - (1.0 - (1.0 - tau)) ** (1.0 / k)  # theta where theta_k = 1 - tau
    h = 1e-5

    def pi(theta, spread):
        return link_probability("threshold", np.array([theta]), None, np.array([k]),
                                {"degree": 7.0, "tau": tau, "tau_spread": spread}, np)[0]

    left = (pi(kink - h, 0.0) - pi(kink - 2 * h, 0.0)) / h
    right = (pi(kink + 2 * h, 0.0) - pi(kink + h, 0.0)) / h
    assert right == 0.0 and left < -0.5  # the single level's kink
    left = (pi(kink - h, 0.5) - pi(kink - 2 * h, 0.5)) / h
    right = (pi(kink + 2 * h, 0.5) - pi(kink + h, 0.5)) / h
    assert left < -0.05 and right == pytest.approx(left, rel=0.01)
    theta = np.array([0.02, 0.1])[:, None, None]
    ks = np.array([2.0, 5.0])[None, :, None]
    draws = {"degree": np.array([6.0, 9.0, 7.0])[None, None, :],
             "tau": np.array([0.4, 0.5, 0.6])[None, None, :],
             "tau_spread": np.array([0.3, 0.8, 1.5])[None, None, :]}
    got = link_probability("threshold", theta, None, ks, draws, np)
    assert got.shape == (2, 2, 3)
    for i in range(2):
        for j in range(2):
            for s in range(3):
                one = link_probability(
                    "threshold", theta[i, 0], None, ks[0, j],
                    {name: float(v[0, 0, s]) for name, v in draws.items()}, np)
                assert got[i, j, s] == pytest.approx(np.asarray(one).item(), rel=1e-12)


def test_a_spread_of_zero_draws_is_the_single_level() -> None:
    """Forecasts pass every shared parameter as draws: a spread fixed at 0 arrives as an array
    of zeros and must give the single level exactly (not the average with a zero spread)."""
    theta = np.array([0.05, 0.15, 0.3])[:, None]
    k = np.array([2.0, 3.0, 5.0])[None, :]
    single = link_probability("threshold", theta, None, k, {"degree": 7.0, "tau": 0.5}, np)
    zeros = link_probability("threshold", theta, None, k,
                             {"degree": 7.0, "tau": 0.5, "tau_spread": np.zeros((1, 1))}, np)
    np.testing.assert_array_equal(zeros, single)
    assert single.shape == (3, 3)


def test_score_mixes_the_two_readings_of_the_best_of_three() -> None:
    """per_tuple w weighs pi (1 - (1 - gamma)^3) (handling fixed per tuple) against
    1 - (1 - gamma pi)^3 (handling redrawn per generation). pi = 0.5, gamma = 0.8: 0.784 per
    generation, 0.5 * 0.992 = 0.496 per tuple; w = 0.25: 0.784 - 0.25 * 0.288 = 0.712. The
    weight may be a Python or NumPy float or int, or an array broadcast against pi."""
    pi, gamma = np.array([0.0, 0.5, 1.0]), 0.8
    cases = [(0.0, [0.0, 0.784, 0.992]), (0, [0.0, 0.784, 0.992]),
             (0.25, [0.0, 0.712, 0.992]), (np.float64(0.25), [0.0, 0.712, 0.992]),
             (np.array(0.25), [0.0, 0.712, 0.992]), (1.0, [0.0, 0.496, 0.992]),
             (1, [0.0, 0.496, 0.992]), (np.array([1.0, 0.5, 0.0]), [0.0, 0.64, 0.992])]
    for w, expected in cases:
        np.testing.assert_allclose(score_probability(pi, gamma, np, per_tuple=w), expected,
                                   rtol=1e-12, atol=1e-15)
    # one generation: both readings are gamma pi, whatever the weight
    np.testing.assert_allclose(score_probability(pi, gamma, np, generations=1, per_tuple=0.6),
                               gamma * pi, rtol=1e-12)


def test_tau_spread_takes_lists_like_the_single_level() -> None:
    """k and the parameters may be lists (array_like), as the single level takes them: each
    element is the average over levels, against scipy's quadrature as above."""
    from scipy import integrate, stats

    theta = np.array([0.05, 0.1])
    got = link_probability("threshold", theta, None, [3.0, 6.0],
                           {"degree": [7.0, 9.0], "tau": 0.5, "tau_spread": 0.5}, np)
    assert got.shape == (2,)
    for i, (k, degree) in enumerate([(3, 7.0), (6, 9.0)]):
        def integrand(z: float, t=theta[i], k=k, degree=degree) -> float:
            level = 1.0 / (1.0 + math.exp(-0.5 * z))
            return float(competent_fraction(t, degree, level, k)) * stats.norm.pdf(z)

        want = integrate.quad(integrand, -12, 12, limit=400, points=[0.0])[0]
        assert float(got[i]) == pytest.approx(want, abs=2e-4)


def test_per_tuple_one_is_the_tuple_form_to_the_last_bit() -> None:
    """At the joint model's default per_tuple = 1 the score is pi (1 - (1 - gamma)^3) itself,
    not the mix with weight 1, which is off by rounding: at pi = 0.123, gamma = 0.8 the mix
    p + 1 (t - p) is one unit in the last place from t."""
    pi, gamma = 0.123, 0.8
    tuple_form = pi * (1.0 - (1.0 - gamma) ** 3)
    per_generation = 1.0 - (1.0 - gamma * pi) ** 3
    assert per_generation + 1.0 * (tuple_form - per_generation) != tuple_form  # the premise
    for w in (1.0, 1):
        assert score_probability(pi, gamma, np, per_tuple=w) == tuple_form
        assert score_probability(np.array([pi]), gamma, np, per_tuple=w)[0] == tuple_form


def test_links_raise_no_invalid_value_on_their_domain() -> None:
    """theta in [0, 1] (ends included: a hopeless skill, a perfect one, theta_k rounding to 1)
    and every link's parameters in their domain: no "invalid value" (NaN made from numbers)
    anywhere, with and without tau_spread. Divide-by-zero (log1p(-1) at theta = 1) and
    overflow (the logistic link far from its centre) do occur; that is what
    forecasting.pi_and_score_draws's errstate silences (docs/testing.md, fifth round)."""
    theta = np.array([0.0, 1e-300, 1e-20, 1e-6, 0.3, 0.9, 1 - 1e-16, 1.0])[:, None]
    log_r = np.log(np.array([1e-300, 1e-10, 1e-3, 0.1, 0.2, 1.0, 1e10, 1e300]))[:, None]
    k = np.array([1.0, 2.0, 3.0, 8.0, 40.0, 1000.0])[None, :]
    cases = [("threshold", {"degree": 7.0, "tau": 0.5, "floor": 0.01}),
             ("threshold", {"degree": 1e-3, "tau": 0.999, "floor": 0.0, "tau_spread": 3.0}),
             ("threshold", {"degree": 1e3, "tau": 1e-3, "tau_spread": 1e-3}),
             ("independent", {"degree": 1e-3}), ("independent", {"degree": 7.0}),
             ("logistic", {"logistic_intercept": 0.3, "logistic_slope_r": -2.5,
                           "logistic_slope_k": -0.8}),
             ("logistic", {"logistic_intercept": -50.0, "logistic_slope_r": -50.0,
                           "logistic_slope_k": -50.0})]
    for link, params in cases:
        with np.errstate(all="ignore", invalid="raise"):
            pi = link_probability(link, theta, log_r, k, params, np)
        assert np.all((pi >= 0.0) & (pi <= 1.0)), (link, params)


def _simulated_skill_fraction(pis: list[float], k: int, gamma: float, w: float,
                              per_tuple: bool, rng: np.random.Generator, n: int) -> float:
    """The skill fraction by simulation of its definition: a text shows at least j skills with
    chance rho_j (rho_k = pi_k, rho_j = w pi_1 + (1 - w) pi_j), drawn by one uniform per text
    (nested events); it meets the other demands with chance gamma; the fraction s / k counts
    only then; the best of 3 generations is kept. Per tuple, s is drawn once and only the
    demands per generation; otherwise s is redrawn per generation too."""
    rho = np.array([w * pis[0] + (1 - w) * p for p in pis[:-1]] + [pis[-1]])
    u = rng.random((n, 1 if per_tuple else 3))
    shown = (u[..., None] < rho).sum(axis=-1)  # s: number of j with u < rho_j (rho decreasing)
    shown = np.broadcast_to(shown, (n, 3))
    met = rng.random((n, 3)) < gamma
    return float((shown * met / k).max(axis=1).mean())


@pytest.mark.parametrize("per_tuple", [True, False])
def test_skill_fraction_is_its_definition_simulated(per_tuple: bool) -> None:
    """The expected skill fraction against 400,000 simulated texts of its definition, both
    readings of the best of 3 (4 sd of the simulation is about 0.002)."""
    rng = np.random.default_rng(5)
    pis, gamma, w = [0.9, 0.6, 0.35, 0.1], 0.7, 0.4
    for k in (1, 2, 4):
        got = float(skill_fraction_probability(np.array(pis), np.array(float(k)), gamma, w, np,
                                               per_tuple=float(per_tuple)))
        want = _simulated_skill_fraction(pis[:k], k, gamma, w, per_tuple, rng, 400_000)
        assert got == pytest.approx(want, abs=0.003), (k, per_tuple)


def test_skill_fraction_ends_and_broadcasting() -> None:
    """k = 1: the full-marks score at pi_1 (a single skill shown is the tuple handled); w = 1:
    the k - 1 partial terms at pi_1; w = 0: the mean of the scores at pi_1..pi_k. Cells of
    different k share one pi_levels row each, and gamma per cell broadcasts."""
    pis = np.array([[0.8, 0.5, 0.2, 0.05], [0.6, 0.3, 0.1, 0.0]])
    k = np.array([1.0, 3.0])
    gamma = np.array([0.9, 0.7])
    s = [score_probability(pis[i], gamma[i], np, per_tuple=1.0) for i in range(2)]
    got = skill_fraction_probability(pis, k, gamma, 1.0, np, per_tuple=1.0)
    np.testing.assert_allclose(got, [s[0][0], (2 * s[1][0] + s[1][2]) / 3], rtol=1e-12)
    got = skill_fraction_probability(pis, k, gamma, 0.0, np, per_tuple=1.0)
    np.testing.assert_allclose(got, [s[0][0], s[1][:3].mean()], rtol=1e-12)
