"""Coverage that is claimed is tested: intervals on data drawn from the model (slow).

Both models report 89% intervals for new observations. On data simulated from the model at
known parameters, a fit's predictive intervals should hold about 89% of fresh observations.
Tolerances come from the binomial standard error of the number of intervals (not tuned to
pass): the count inside must be within 3.5 standard errors of 0.89 n. Intervals of one fit share
its posterior, so the spread is somewhat wider than binomial; the replications keep that small.
A likelihood whose noise is 3x the truth (predictive intervals 3x too narrow) covers well
under half.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pymc as pm
import pytest

from skillfit import datasets
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.scaling import ChinchillaLaw

PROB = 0.89


def _within_binomial(inside: int, n: int, prob: float = PROB, z: float = 3.5) -> tuple[float, float]:
    se = np.sqrt(prob * (1 - prob) / n)
    return prob - z * se, min(1.0, prob + z * se)


@pytest.mark.slow
def test_scaling_law_predictive_coverage() -> None:
    """4 replications: 60 runs drawn from a known law with Student-t noise on log loss, a fit,
    and 50 fresh runs at other (N, D) per replication scored against predict()'s 89% interval."""
    truth = ChinchillaLaw(E=1.82, A=480.0, B=2100.0, a=0.35, b=0.37)
    sigma, nu = 0.02, 6.0
    grid = datasets.load("chinchilla")
    grid = grid[~grid["excluded_by_epoch"]][["params", "tokens"]].reset_index(drop=True)
    inside, total = 0, 0
    for rep in range(4):
        rng = np.random.default_rng(100 + rep)
        idx = rng.permutation(len(grid))
        train, test = grid.iloc[idx[:60]], grid.iloc[idx[60:110]]

        def simulate(frame: pd.DataFrame) -> np.ndarray:
            mu = np.log(truth.loss(frame["params"].to_numpy(), frame["tokens"].to_numpy()))
            return np.exp(mu + sigma * rng.standard_t(nu, size=len(frame)))

        model = ScalingLawModel(sampler_config={"draws": 400, "tune": 400, "chains": 2,
                                                "progressbar": False})
        model.fit(train.assign(loss=simulate(train)), random_seed=rep)
        pred = model.predict(test["params"], test["tokens"], ci_prob=PROB, random_seed=rep)
        y = simulate(test)
        inside += int(np.sum((y >= pred["lower"].to_numpy()) & (y <= pred["upper"].to_numpy())))
        total += len(test)
    lo, hi = _within_binomial(inside, total)
    assert lo <= inside / total <= hi, (inside, total, lo, hi)


@pytest.mark.slow
def test_joint_forecast_coverage() -> None:
    """2 replications: Skill-Mix and loss data drawn from the joint model at known shared
    parameters (fresh offsets per replication), the backtest's four LLMs held out, a fit, and
    backtest_models' 89% intervals of the measured rates scored on the held-out cells."""
    from skillfit.backtest import HOLDOUT_LLMS, backtest_models, holdout_split
    from skillfit.models.skill_graph import SkillGraphModel
    from skillfit.models.skill_graph_data import combine, split

    truth = {"c": 1.5, "eta": 1.0, "degree": 8.0, "gamma": 0.8, "kappa": 40.0, "floor": 0.03}
    inside, total = 0, 0
    for rep in range(2):
        fixed = SkillGraphModel(dict(truth))
        with fixed.build_model():
            sims = pm.sample_prior_predictive(draws=1, random_seed=200 + rep)["prior_predictive"]
        x = fixed.inputs
        sm, cat, lo = split(fixed.bundled_data())
        sm = sm[sm["metric"] == "ratio_of_full_marks"].reset_index(drop=True)
        sm["value"] = sims["successes"].values.reshape(-1) / x.cell_n
        lo = lo[lo["corpus"] == "hkust_average"].reset_index(drop=True)
        lo["value"] = sims["loss"].values.reshape(-1)
        data = combine(sm, cat, lo)
        train, held = holdout_split(data, HOLDOUT_LLMS)
        model = SkillGraphModel(sampler_config={"draws": 400, "tune": 500, "chains": 2})
        model.fit(train, random_seed=rep, progressbar=False)
        cells, _ = backtest_models({"threshold": model}, data, held, list(HOLDOUT_LLMS),
                                   ci_prob=PROB, random_seed=rep)
        inside += int(((cells["observed"] >= cells["lower"] - 1e-12)
                       & (cells["observed"] <= cells["upper"] + 1e-12)).sum())
        total += len(cells)
    lo_, hi_ = _within_binomial(inside, total)
    assert lo_ <= inside / total <= hi_, (inside, total, lo_, hi_)
