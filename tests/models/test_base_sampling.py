"""Real (unmocked) sampling through the ModelBuilder: kept apart from the mocked module."""

from __future__ import annotations

import numpy as np
import xarray as xr

from _mean_model import DATA, MeanModel


def test_real_fit_same_seed_same_posterior() -> None:
    a = MeanModel().fit(DATA, random_seed=5)
    b = MeanModel().fit(DATA, random_seed=5)
    c = MeanModel().fit(DATA, random_seed=6)
    xr.testing.assert_equal(a["posterior"].to_dataset(), b["posterior"].to_dataset())  # attrs hold timestamps
    assert not np.array_equal(a["posterior"]["mu"].values, c["posterior"]["mu"].values)
    assert abs(float(a["posterior"]["mu"].mean()) - DATA["y"].mean()) < 0.3
