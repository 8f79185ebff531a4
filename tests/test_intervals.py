"""skillfit.intervals: the one interval convention (89% equal-tailed by default, or HDI)."""

from __future__ import annotations

import numpy as np
import pytest

from skillfit.errors import SkillfitError
from skillfit.intervals import median_and_interval


def test_matches_quantiles_along_any_axis():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 5000))
    med, lo, hi = median_and_interval(x, 0.89)
    np.testing.assert_allclose(lo, np.quantile(x, 0.055, axis=-1))
    np.testing.assert_allclose(hi, np.quantile(x, 0.945, axis=-1))
    np.testing.assert_allclose(med, np.median(x, axis=-1))
    med0, lo0, _ = median_and_interval(x.T, 0.89, axis=0)
    np.testing.assert_allclose(lo0, lo)
    assert np.all(lo < med) and np.all(med < hi)


@pytest.mark.parametrize("prob", [0.0, 1.0, 1.5])
def test_bad_probability_rejected(prob):
    with pytest.raises(SkillfitError, match="ci_prob must be a number in"):
        median_and_interval([1.0, 2.0], prob)


def test_hdi_is_narrowest_and_differs_from_eti_on_skewed_draws():
    rng = np.random.default_rng(1)
    x = rng.exponential(size=20000)
    _, lo_e, hi_e = median_and_interval(x, 0.89, ci_kind="eti")
    _, lo_h, hi_h = median_and_interval(x, 0.89, ci_kind="hdi")
    assert hi_h - lo_h < hi_e - lo_e  # the HDI of a skewed law is narrower ...
    assert lo_h < 0.01 < lo_e         # ... and starts at the mode (0), the ETI does not
    assert abs(((x >= lo_h) & (x <= hi_h)).mean() - 0.89) < 0.005


def test_unknown_kind_rejected():
    with pytest.raises(SkillfitError, match="ci_kind must be one of eti, hdi"):
        median_and_interval([1.0, 2.0], 0.5, ci_kind="quantile")
