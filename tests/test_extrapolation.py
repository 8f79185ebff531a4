"""Tests of skillfit.extrapolation on runs of an exact Chinchilla law plus chosen residuals.

Every sub-fit starts at the true law (one start): there the Huber gradient vanishes (the
residuals below the cut are 0, or orthogonal to the law's Jacobian), so L-BFGS stops at once
and the sub-fit *is* the true law. The residuals the calibration sees are then the ones put
in, and the expected discrepancy scale follows by hand from the Student-t likelihood.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats

from skillfit import extrapolation
from skillfit.errors import DataValidationError
from skillfit.extrapolation import calibrate_discrepancy, compute_distance

TRUE = {"E": 1.7, "A": 400.0, "B": 1000.0, "a": 0.34, "b": 0.28}
#: the true law as a start (a, b, e, alpha, beta) = (ln A, ln B, ln E, alpha, beta)
AT_TRUTH = [(math.log(400.0), math.log(1000.0), math.log(1.7), 0.34, 0.28)]
NU = 4.0

# 17 runs, log10 compute rising by 0.35 or 0.55 from one to the next (all distinct, in order)
I = np.arange(17)
N = 1e7 * 10.0 ** (0.25 * I)
D = 2e9 * 10.0 ** (0.2 * I + 0.1 * (I % 2))
LOG_C = np.log(6.0 * N * D)


def _law(n, d):
    return TRUE["E"] + TRUE["A"] * n ** -TRUE["a"] + TRUE["B"] * d ** -TRUE["b"]


def _score(k, r, dist, s):
    """d/dk of sum_j log t_nu(r_j; scale sqrt(s^2 + k^2 d_j^2)), written out by hand:
    d/d sd log t = -1/sd + (nu + 1) r^2 / (sd (nu sd^2 + r^2)), d sd/dk = k d^2 / sd."""
    sd2 = s**2 + k**2 * dist**2
    return float(np.sum(((NU + 1) * r**2 / (NU * sd2 + r**2) - 1.0) * k * dist**2 / sd2))


def test_distance_by_hand():
    """e-folds of 6ND beyond max_compute, 0 inside; params broadcast against tokens."""
    got = compute_distance(1e9, [1e9, 1e9 * math.e**2, 0.5e9, 1e9 * math.e**0.25], 6e18)
    np.testing.assert_allclose(got, [0.0, 2.0, 0.0, 0.25], rtol=0, atol=1e-12)
    # the max_compute side: the same runs against 10x less compute are ln 10 further out
    got = compute_distance([1e9, 2e9], [1e9, 1e9], 6e17)
    np.testing.assert_allclose(got, [math.log(10.0), math.log(20.0)], rtol=1e-12)


def test_kappa_in_closed_form_with_the_in_sample_scale():
    """One cut at the median of 17 computes: the 8 runs below it carry residuals orthogonal
    to the law's Jacobian (the true law stays the Huber optimum), with robust scale s; the 9
    runs from the median up (the median run itself included, at e-folds from the 8th run)
    carry |r_j| = sqrt(s^2 + k0^2 d_j^2). Each Student-t term is largest where its scale
    equals |r_j|, so every term, and the sum, peaks at k = k0: kappa = k0 sqrt(nu / (nu - 2)).
    k0 d_j is of the order of s, so s (the MAD, normal-consistent) matters."""
    t_n, t_d = TRUE["A"] * N[:8] ** -TRUE["a"], TRUE["B"] * D[:8] ** -TRUE["b"]
    total = _law(N[:8], D[:8])
    jac = np.column_stack([t_n / total, t_d / total, TRUE["E"] / total,
                           -np.log(N[:8]) * t_n / total, -np.log(D[:8]) * t_d / total])
    u = np.linalg.svd(jac)[0]
    r_in = u[:, 5:] @ np.array([1.0, -0.6, 0.8])
    r_in *= 5e-4 / np.abs(r_in).max()  # inside the Huber threshold 1e-3
    s = np.median(np.abs(r_in - np.median(r_in))) / stats.norm.ppf(0.75)
    assert 1e-4 < s < 5e-4
    k0 = 3e-4
    dist = LOG_C[8:] - LOG_C[7]
    r_out = np.sqrt(s**2 + k0**2 * dist**2) * np.where(I[8:] % 2 == 0, 1.0, -1.0)
    loss = _law(N, D) * np.exp(np.concatenate([r_in, r_out]))
    kappa = calibrate_discrepancy(N, D, loss, fractions=(0.5,), starts=AT_TRUTH)
    assert kappa == pytest.approx(k0 * math.sqrt(2.0), rel=1e-4)


def test_cuts_sub_fits_and_kappa_by_hand(monkeypatch):
    """18 runs (the 17 and one at 10^20 tokens), cuts at the 0.3, 0.5 and 0.7 quantiles of
    compute (positions 5.1, 8.5, 11.9): 0.3 leaves 6 runs below (too few: skipped, and the
    later cuts still used), 0.5 leaves 9 and 0.7 leaves 12. Every sub-fit gets exactly its
    runs below, as floats, and the starts given. The law is exact below every cut, so the
    in-sample scale is the floor 1e-6, and kappa solves the likelihood's score equation (by
    hand, with brentq) over the 9 + 6 held-out residuals at their distances from each cut's
    largest run. The inputs are Python ints, one beyond int64: read as floats."""
    n_int = [int(x) for x in N] + [10**9]
    d_int = [int(x) for x in D] + [10**20]
    log_c = np.log(6.0 * np.array(n_int, float) * np.array(d_int, float))
    r = np.zeros(18)
    r[12:] = [0.03, -0.05, 0.08, -0.06, 0.1, 0.12]
    loss = _law(np.array(n_int, float), np.array(d_int, float)) * np.exp(r)

    calls = []
    real_fit = extrapolation.fit_huber

    def spy(params, tokens, loss_, starts):
        calls.append((np.array(params), np.array(tokens), np.array(loss_), starts))
        return real_fit(params, tokens, loss_, starts)

    monkeypatch.setattr(extrapolation, "fit_huber", spy)
    kappa = calibrate_discrepancy(n_int, d_int, list(loss), fractions=(0.3, 0.5, 0.7),
                                  starts=AT_TRUTH)
    # 18 runs: positions 5.1, 8.5, 11.9 -> 6 (skipped), 9 and 12 runs below
    assert [c[0].size for c in calls] == [9, 12]
    for (n_, d_, y_, starts), k in zip(calls, (9, 12)):
        assert n_.dtype == d_.dtype == y_.dtype == np.float64
        np.testing.assert_array_equal(n_, np.array(n_int[:k], float))
        np.testing.assert_array_equal(d_, np.array(d_int[:k], float))
        np.testing.assert_array_equal(y_, loss[:k])
        assert starts is AT_TRUTH
    held_r = np.concatenate([r[9:], r[12:]])
    held_d = np.concatenate([log_c[9:] - log_c[8], log_c[12:] - log_c[11]])
    k_hand = optimize.brentq(_score, 1e-4, 1.0, args=(held_r, held_d, 1e-6), xtol=1e-12)
    assert 0.005 < k_hand < 0.05
    assert kappa == pytest.approx(k_hand * math.sqrt(2.0), rel=1e-4)


def test_the_median_run_is_held_out_at_exactly_min_runs_below():
    """17 runs, one cut at 0.5: the quantile is the 9th compute itself, leaving exactly
    MIN_RUNS = 8 runs below. The 9th run is held out (not fitted), at ln C_9 - ln C_8 from
    the runs below; it is off the law by 3 k0 d, the others above by k0 d (s = 1e-6): kappa
    from the score equation, by hand, lies between."""
    k0 = 0.01
    dist = LOG_C[8:] - LOG_C[7]
    r = np.zeros(17)
    r[8:] = k0 * dist * np.where(I[8:] % 2 == 0, 1.0, -1.0)
    r[8] *= 3.0
    kappa = calibrate_discrepancy(N, D, _law(N, D) * np.exp(r), fractions=(0.5,),
                                  starts=AT_TRUTH)
    k_hand = optimize.brentq(_score, 1e-5, 1.0, args=(r[8:], dist, 1e-6), xtol=1e-12)
    assert 1.05 * k0 < k_hand < 3 * k0
    assert kappa == pytest.approx(k_hand * math.sqrt(2.0), rel=1e-4)


def test_no_growth_gives_zero_and_a_steep_one_hits_the_bound():
    """An exact law beyond the cut: the likelihood grows as kappa shrinks, the search ends at
    its lower bound, and 0.0 is returned. Residuals of 3 log-loss per e-fold: the search ends
    at its upper bound, kappa's scale 1 (so sqrt(2) as a standard deviation)."""
    assert calibrate_discrepancy(N, D, _law(N, D), fractions=(0.5,), starts=AT_TRUTH) == 0.0
    steep = np.zeros(17)
    steep[8:] = 3.0 * (LOG_C[8:] - LOG_C[7]) * np.where(I[8:] % 2 == 0, 1.0, -1.0)
    kappa = calibrate_discrepancy(N, D, _law(N, D) * np.exp(steep), fractions=(0.5,),
                                  starts=AT_TRUTH)
    assert kappa == pytest.approx(math.sqrt(2.0), rel=1e-4)


def test_too_few_runs_warn_and_add_nothing():
    """9 runs: no cut of FRACTIONS leaves 8 runs below (at most 7, at 0.8)."""
    with pytest.warns(UserWarning) as record:
        kappa = calibrate_discrepancy(N[:9], D[:9], 1.1 * _law(N[:9], D[:9]), starts=AT_TRUTH)
    assert kappa == 0.0
    assert [str(w.message) for w in record] == [
        "calibrate_discrepancy: 9 runs leave no internal cut with 8 runs below it; no "
        "extrapolation discrepancy is added (intervals beyond the data will be too narrow)"]
    assert record[0].category is UserWarning


def test_warning_points_at_the_caller():
    """stacklevel=2: the warning names the caller's file. (Not judged through mutmut's
    trampoline, which adds frames: see docs/testing.md.)"""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        calibrate_discrepancy(N[:9], D[:9], _law(N[:9], D[:9]), starts=AT_TRUTH)
    assert [w.filename for w in record] == [__file__]


def test_bad_fractions_and_lengths_are_refused():
    for f in (0.0, 1.0, -0.2, 1.5):
        with pytest.raises(DataValidationError) as err:
            calibrate_discrepancy(N, D, _law(N, D), fractions=(0.5, f), starts=AT_TRUTH)
        assert str(err.value) == f"calibrate_discrepancy: fractions must be in (0, 1), got {f}"
    for n_, d_, y_ in ((N[:16], D, _law(N, D)), (N, D[:16], _law(N, D)), (N, D, _law(N, D)[:16])):
        with pytest.raises(DataValidationError) as err:
            calibrate_discrepancy(n_, d_, y_, starts=AT_TRUTH)
        assert str(err.value) == ("calibrate_discrepancy: params, tokens and loss differ in "
                                  "length")
