"""skillfit.intervals: the equal-tailed summary every forecast and check uses."""

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
    with pytest.raises(SkillfitError, match="interval probability"):
        median_and_interval([1.0, 2.0], prob)
