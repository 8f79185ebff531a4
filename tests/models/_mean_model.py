"""A tiny Normal-mean model used by the ModelBuilder tests (mocked and real sampling)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pymc as pm

from skillfit.errors import DataValidationError
from skillfit.models.base import ModelBuilder
from skillfit.models.priors import make_prior


class MeanModel(ModelBuilder):
    """y ~ Normal(mu, sigma): the smallest model that exercises the base class."""

    _model_type = "test_mean"

    @property
    def default_model_config(self) -> dict[str, Any]:
        return {"mu": {"dist": "Normal", "mu": 0.0, "sigma": 5.0},
                "sigma": {"dist": "HalfNormal", "sigma": 2.0},
                "center": False}

    @property
    def default_sampler_config(self) -> dict[str, Any]:
        return {"draws": 50, "tune": 50, "chains": 2, "nuts_sampler": "pymc",
                "progressbar": False, "compute_convergence_checks": False}

    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        if "y" not in data:
            raise DataValidationError("data: missing column 'y'")
        return data[["y"]].astype(float).reset_index(drop=True)

    def build_model(self, data: pd.DataFrame) -> Any:
        df = self._validate_data(data)
        with pm.Model(coords={"obs": np.arange(len(df))}) as model:
            mu = make_prior("mu", self.model_config["mu"])
            sigma = make_prior("sigma", self.model_config["sigma"])
            pm.Normal("y", mu, sigma, observed=df["y"].to_numpy(), dims="obs")
        self.model, self._data = model, df
        return model


DATA = pd.DataFrame({"y": np.random.default_rng(0).normal(1.0, 0.5, 30)})
