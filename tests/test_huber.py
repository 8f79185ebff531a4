"""Tests of skillfit.huber: the objective written out by hand, fits of exact laws."""

from __future__ import annotations

import numpy as np
import pytest

from skillfit.errors import DataValidationError
from skillfit.huber import DELTA, huber_objective, fit_huber

# An exact law L = E + A N^-alpha + B D^-beta on a grid of 12 runs (no noise: the fit's
# minimum is 0 at the truth).
TRUE = {"E": 1.7, "A": 400.0, "B": 1000.0, "a": 0.34, "b": 0.28}
N = np.repeat([1e7, 1e8, 1e9, 1e10], 3)
D = np.tile([1e9, 1e10, 1e11], 4) * np.repeat([1.0, 1.5, 2.0, 3.0], 3)


def _loss(n, d, E, A, B, a, b):
    return E + A * n ** -a + B * d ** -b


def _objective_by_hand(theta, log_n, log_d, log_l, delta):
    """Huber_delta(r)/delta summed, r = log(A N^-alpha + B D^-beta + E) - log L, and its
    gradient by the chain rule, term by term."""
    a, b, e, alpha, beta = theta
    t_n, t_d, t_e = np.exp(a - alpha * log_n), np.exp(b - beta * log_d), np.exp(e)
    total = t_n + t_d + t_e
    r = np.log(total) - log_l
    value = sum(0.5 * ri**2 if abs(ri) <= delta else delta * (abs(ri) - delta / 2) for ri in r)
    slope = np.array([ri / delta if abs(ri) <= delta else np.sign(ri) for ri in r])
    grad = [(slope * t_n / total).sum(), (slope * t_d / total).sum(),
            (slope * t_e / total).sum(), (slope * t_n / total * -log_n).sum(),
            (slope * t_d / total * -log_d).sum()]
    return value / delta, np.array(grad)


def test_huber_objective_by_hand():
    """Value and gradient against the definition, with residuals on both sides of delta and
    of both signs, at the default delta (1e-3) and another; the gradient also against central
    finite differences."""
    assert DELTA == 1e-3
    log_n, log_d = np.log(N), np.log(D)
    theta = np.array([np.log(400.0), np.log(1000.0), np.log(1.7), 0.34, 0.28])
    exact = np.log(_loss(N, D, **TRUE))
    shifts = np.array([0.0, 4e-4, -4e-4, 2e-3, -2e-3, 0.05, -0.05, 9e-4, -1.5e-3, 0.0, 3e-3, -0.2])
    log_l = exact + shifts  # residuals r = -shift
    value, grad = huber_objective(theta, log_n, log_d, log_l)
    want_value, want_grad = _objective_by_hand(theta, log_n, log_d, log_l, 1e-3)
    assert value == pytest.approx(want_value, rel=1e-10)
    assert isinstance(value, float)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-9, atol=1e-9)
    value2, grad2 = huber_objective(theta + [0.1, -0.2, 0.05, 0.01, -0.02], log_n, log_d,
                                    log_l, delta=0.04)
    want2 = _objective_by_hand(theta + [0.1, -0.2, 0.05, 0.01, -0.02], log_n, log_d, log_l, 0.04)
    assert value2 == pytest.approx(want2[0], rel=1e-10)
    np.testing.assert_allclose(grad2, want2[1], rtol=1e-9, atol=1e-9)
    # at the truth with exact losses the objective is 0 and so is the gradient
    zero, zgrad = huber_objective(theta, log_n, log_d, exact)
    assert zero == pytest.approx(0.0, abs=1e-20) and np.allclose(zgrad, 0.0, atol=1e-10)
    # central differences (the quadratic region; delta large so every residual is in it)
    h = 1e-6
    for j in range(5):
        step = np.zeros(5)
        step[j] = h
        up = huber_objective(theta + step, log_n, log_d, log_l, delta=1.0)[0]
        down = huber_objective(theta - step, log_n, log_d, log_l, delta=1.0)[0]
        assert huber_objective(theta, log_n, log_d, log_l, delta=1.0)[1][j] == pytest.approx(
            (up - down) / (2 * h), rel=1e-5, abs=1e-8)


def test_huber_objective_large_terms_do_not_overflow():
    """The log-sum-exp is shifted by the largest term: a term of e^800 gives a finite value
    (log of the sum = 800 + log(1 + small)), not inf."""
    theta = np.array([800.0, 0.0, 0.0, 0.0, 0.0])
    one = np.array([1.0])
    value, grad = huber_objective(theta, np.log(one), np.log(one), np.array([800.0]),
                                  delta=1.0)
    r = np.log1p(2 * np.exp(-800.0))  # 800 + log(1 + 2 e^-800) - 800
    assert value == pytest.approx(0.5 * r**2, abs=1e-300)
    assert np.all(np.isfinite(grad)) and grad[0] == pytest.approx(r, abs=1e-300)
    # runs whose largest terms differ by far more than 745 (exp underflows) are each shifted
    # by their own largest term: N from 10 to 1e20 with alpha = 50 puts A N^-50 between
    # e^1885 and e^-303 against E = 1 (and B D^-beta = e^-800)
    log_n = np.log(np.array([10.0, 1e20]))
    theta = np.array([2000.0, -800.0, 0.0, 50.0, 1.0])
    pred = np.logaddexp(2000.0 - 50.0 * log_n, 0.0)
    value, grad = huber_objective(theta, log_n, np.zeros(2), pred + 0.5, delta=1.0)
    assert value == pytest.approx(2 * 0.5 * 0.5**2, rel=1e-9)  # residuals -0.5, quadratic
    assert np.all(np.isfinite(grad))


def _flat_start(log_l):
    """A start where both power-law terms vanish (A = B = 1, exponents 50: N^-50 underflows)
    and E sits between the 6th and 7th of the 12 losses: six residuals above delta, six below
    -delta, so the Huber gradient is 0 and L-BFGS stops at once. Its objective is far above
    the exact law's 0."""
    mid = np.sort(log_l)[5:7].mean()
    return (0.0, 0.0, float(mid), 50.0, 50.0)


def test_fit_huber_recovers_an_exact_law():
    """From one start near the truth the fit returns the exact law (E, A, B from the logs);
    params/tokens/loss may be lists."""
    loss = _loss(N, D, **TRUE)
    start = (np.log(400.0) + 0.5, np.log(1000.0) - 0.5, np.log(1.7) + 0.1, 0.3, 0.3)
    law = fit_huber(list(N), list(D), list(loss), starts=[start])
    # L-BFGS-B's ftol 1e-13 (scipy's default 2.2e-9 stops with E, A, alpha off by 2e-7 to 5e-7)
    assert law.E == pytest.approx(1.7, rel=1e-8)
    assert law.A == pytest.approx(400.0, rel=1e-7) and law.B == pytest.approx(1000.0, rel=1e-6)
    assert law.a == pytest.approx(0.34, rel=2e-8) and law.b == pytest.approx(0.28, rel=1e-6)
    assert all(type(v) is float for v in (law.E, law.A, law.B, law.a, law.b))
    # whole numbers beyond int64 (tokens of 1e20 as Python ints) and losses below 1 are runs
    # like any other; a start at the exact law stops at once
    big_d = [10**20 * (i + 1) for i in range(12)]
    small = _loss(N, np.array(big_d, float), 0.5, 40.0, 1000.0, 0.34, 0.28)
    assert small.max() < 1
    exact = (np.log(40.0), np.log(1000.0), np.log(0.5), 0.34, 0.28)
    law = fit_huber([int(n) for n in N], big_d, small, starts=[exact])
    assert law.E == pytest.approx(0.5, rel=1e-12) and law.A == pytest.approx(40.0, rel=1e-12)


def test_fit_huber_keeps_the_best_start_and_passes_delta():
    """Of two starts where L-BFGS stops at once (the exact law, objective 0, and the flat
    start), the exact law is kept whichever comes first; from the flat start alone, E stays
    between the middle losses at delta = 1e-3 (a median: the default), and moves to their
    geometric mean with delta = 10 (least squares: every residual in the quadratic part)."""
    loss = _loss(N, D, **TRUE)
    log_l = np.log(loss)
    truth = (np.log(400.0), np.log(1000.0), np.log(1.7), 0.34, 0.28)
    flat = _flat_start(log_l)
    gap = np.sort(log_l)[6] - np.sort(log_l)[5]
    assert gap > 4e-3  # no residual within delta of the flat start's E
    for starts in ([truth, flat], [flat, truth]):
        law = fit_huber(N, D, loss, starts=starts)
        assert law.a == pytest.approx(0.34, rel=1e-12) and law.E == pytest.approx(1.7, rel=1e-12)
    median = fit_huber(N, D, loss, starts=[flat])
    assert median.E == pytest.approx(np.exp(flat[2]), rel=1e-12)
    assert (median.A, median.B, median.a, median.b) == (1.0, 1.0, 50.0, 50.0)
    squares = fit_huber(N, D, loss, starts=[flat], delta=10.0)
    assert squares.E == pytest.approx(np.exp(log_l.mean()), rel=1e-6)
    # a tie (two flat starts differing only in A, whose term underflows): the first is kept
    tie = fit_huber(N, D, loss, starts=[flat, (1.0,) + flat[1:]])
    assert tie.A == 1.0


def test_fit_huber_refuses_negative_exponents_and_bad_runs():
    """A law whose best fit has a negative exponent (loss growing with N) is refused; so are
    runs of different lengths, fewer than 5, and non-positive or non-finite values, word for
    word."""
    for a, b in ((-0.3, 0.28), (0.34, -0.3)):  # L-BFGS stops at once at an exact law
        growing = _loss(N, D, 1.7, 1e-3, 1e-3, a, b)
        start = (np.log(1e-3), np.log(1e-3), np.log(1.7), a, b)
        with pytest.raises(DataValidationError) as err:
            fit_huber(N, D, growing, starts=[start])
        assert str(err.value) == "fit_huber: no start reached a law with positive exponents"
    # an exponent of exactly 0 is not positive: flat starts whose term is e^-800 = 0 stop at once
    loss = _loss(N, D, **TRUE)
    flat = _flat_start(np.log(loss))
    for zero in ((-800.0, 0.0, flat[2], 0.0, 50.0), (0.0, -800.0, flat[2], 50.0, 0.0)):
        with pytest.raises(DataValidationError, match="positive exponents"):
            fit_huber(N, D, loss, starts=[zero])
    start = (np.log(400.0), np.log(1000.0), np.log(1.7), 0.34, 0.28)
    for args, sizes in [((N, D, loss[:-1]), "12, 12, 11"), ((N[:4], D[:4], loss[:4]), "4, 4, 4"),
                        ((N[:3], D[:4], loss[:4]), "3, 4, 4"), ((N, D[:5], loss), "12, 5, 12")]:
        with pytest.raises(DataValidationError) as err:
            fit_huber(*args, starts=[start])
        assert str(err.value) == ("fit_huber: params, tokens and loss must have the same length "
                                  f"(at least 5); got {sizes}")
    assert fit_huber(N[:5], D[:5], loss[:5], starts=[start]).E > 0  # 5 runs are enough
    for bad in (0.0, -1.0, np.inf, np.nan):
        for col in range(3):
            cols = [N.copy(), D.copy(), loss.copy()]
            cols[col][2] = bad
            with pytest.raises(DataValidationError) as err:
                fit_huber(*cols, starts=[start])
            assert str(err.value) == (
                "fit_huber: params, tokens and loss must be positive and finite")


def test_fit_huber_runs_l_bfgs_b_with_its_settings(monkeypatch):
    """Each start is one run of scipy's L-BFGS-B (the optimiser the module docstring names)
    with the analytic gradient and the settings the package's numbers were computed with:
    at most 1,000 iterations, gtol 1e-8, ftol 1e-13. scipy's defaults (BFGS when no method
    is given; 15,000 iterations, gtol 1e-5) reach the same optimum on the other tests' runs,
    so only the arguments tell them apart; the arguments are recorded on the way to scipy."""
    import skillfit.huber as huber

    calls = []
    real = huber.minimize

    def spy(fun, x0, **kwargs):
        calls.append((fun, np.array(x0), kwargs))
        return real(fun, x0, **kwargs)

    monkeypatch.setattr(huber, "minimize", spy)
    truth = (np.log(400.0), np.log(1000.0), np.log(1.7), 0.34, 0.28)
    other = (6.0, 7.0, 0.5, 0.3, 0.3)
    fit_huber(N, D, _loss(N, D, **TRUE), starts=[truth, other], delta=0.01)
    assert len(calls) == 2
    for (fun, x0, kwargs), start in zip(calls, (truth, other), strict=True):
        assert fun is huber_objective
        np.testing.assert_array_equal(x0, start)
        assert set(kwargs) == {"args", "jac", "method", "options"}
        assert kwargs["jac"] is True
        assert kwargs["method"].upper() == "L-BFGS-B"
        assert kwargs["options"] == {"maxiter": 1000, "gtol": 1e-8, "ftol": 1e-13}
        log_n, log_d, log_l, delta = kwargs["args"]
        np.testing.assert_allclose(log_n, np.log(N), rtol=1e-15)
        np.testing.assert_allclose(log_l, np.log(_loss(N, D, **TRUE)), rtol=1e-15)
        assert delta == 0.01
