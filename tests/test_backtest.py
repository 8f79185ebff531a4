"""Tests of skillfit.backtest: scoring from samples, the holdout split, and the backtest command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pymc.testing import mock_sample

from skillfit.backtest import (
    HOLDOUT_LLMS,
    crps_from_samples,
    holdout_llms,
    holdout_split,
    interval_coverage,
    mean_absolute_error,
    score_draws,
    score_table,
)
from skillfit.errors import SkillfitError
from skillfit.forecasting import forecast
from skillfit.models.skill_graph import SkillGraphModel

DATA = SkillGraphModel.bundled_data()


def _crps_brute(x: np.ndarray, y: float) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


# ------------------------------------------------------------------------------ CRPS
@pytest.mark.parametrize(("x", "y"), [(0.3, 0.5), (0.7, 0.1), (0.0, 0.0), (1.0, 0.2)])
def test_crps_point_mass_is_absolute_error(x: float, y: float) -> None:
    assert crps_from_samples(np.full(50, x), y) == pytest.approx(abs(x - y), abs=1e-12)


def test_crps_matches_definition_and_is_nonnegative() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.beta(2, 5, size=rng.integers(1, 200))
        y = float(rng.uniform())
        got = float(crps_from_samples(x, y))
        assert got == pytest.approx(_crps_brute(x, y), abs=1e-12)
        assert got >= 0


def test_crps_vectorised_and_properties() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 400))
    y = rng.normal(size=(3, 4))
    out = crps_from_samples(x, y)
    assert out.shape == (3, 4)
    assert out[1, 2] == pytest.approx(_crps_brute(x[1, 2], y[1, 2]), abs=1e-12)
    # a sharp, centred forecast beats a wide one; N(0,1) at 0 has CRPS (sqrt2 - 1)/sqrt(pi)
    wide = rng.normal(0, 3, 4000)
    sharp = rng.normal(0, 1, 4000)
    assert crps_from_samples(sharp, 0.0) < crps_from_samples(wide, 0.0)
    assert float(crps_from_samples(sharp, 0.0)) == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi), rel=0.05)
    with pytest.raises(SkillfitError, match="finite"):
        crps_from_samples(np.array([0.1, np.nan]), 0.2)


def test_coverage_and_mae_on_toy_arrays() -> None:
    samples = np.tile(np.linspace(0, 1, 101), (4, 1))  # quantiles = levels
    obs = np.array([0.5, 0.02, 0.97, 0.3])
    # 89% interval = [0.055, 0.945]: 0.5 and 0.3 inside, 0.02 and 0.97 outside
    assert interval_coverage(samples, obs, 0.89) == pytest.approx(0.5)
    assert interval_coverage(samples, obs, 0.99) == pytest.approx(1.0)
    assert mean_absolute_error(samples, obs) == pytest.approx(np.mean(np.abs(0.5 - obs)))
    # an observed 0 on a lower bound of exactly 0 counts as covered
    assert interval_coverage(np.zeros((1, 10)), np.array([0.0])) == 1.0
    s = score_table(samples, obs)
    assert s["n"] == 4 and s["coverage"] == pytest.approx(0.5)
    assert s["mae"] == pytest.approx(100 * np.mean(np.abs(0.5 - obs)))
    assert s["crps"] == pytest.approx(100 * np.mean(crps_from_samples(samples, obs)))
    with pytest.raises(SkillfitError, match="ci_prob must be a number in"):
        interval_coverage(samples, obs, 1.2)


# ------------------------------------------------------------------------------ holdout
def test_holdout_split_removes_exactly_the_skillmix_rows() -> None:
    train, held = holdout_split(DATA, HOLDOUT_LLMS)
    is_sm = DATA["table"] == "skillmix"
    removed = is_sm & DATA["llm"].isin(HOLDOUT_LLMS)
    assert len(held) == removed.sum() > 0 and set(held["llm"]) == set(HOLDOUT_LLMS)
    assert (held["table"] == "skillmix").all()
    assert len(train) == len(DATA) - len(held)
    assert not (train["table"].eq("skillmix") & train["llm"].isin(HOLDOUT_LLMS)).any()
    for table in ("catalog", "losses"):  # untouched
        pd.testing.assert_frame_equal(train[train["table"] == table].reset_index(drop=True),
                                      DATA[DATA["table"] == table].reset_index(drop=True))
    kept = DATA[is_sm & ~DATA["llm"].isin(HOLDOUT_LLMS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(train[train["table"] == "skillmix"].reset_index(drop=True), kept)
    assert set(HOLDOUT_LLMS) <= set(train.loc[train["table"] == "catalog", "llm"])


def test_holdout_errors_and_llms() -> None:
    with pytest.raises(SkillfitError, match="no Skill-Mix rows for Llama-9"):
        holdout_split(DATA, ["Llama-9"])
    with pytest.raises(SkillfitError, match="every Skill-Mix LLM"):
        holdout_split(DATA, list(dict.fromkeys(DATA.loc[DATA["table"] == "skillmix", "llm"])))
    with pytest.raises(SkillfitError, match="'table'"):
        holdout_split(DATA.drop(columns="table"), HOLDOUT_LLMS)
    rows = holdout_llms(DATA, HOLDOUT_LLMS)
    by = {r["name"]: r for r in rows}
    assert by["Falcon-180B-Chat"] == {"name": "Falcon-180B-Chat", "params": 1.8e11,
                                      "tokens": 3.5e12, "family": "Falcon"}
    assert by["Xwin-LM-70B-V0.1"]["family"] == "Llama-2"
    with pytest.raises(SkillfitError, match="unknown params or tokens"):
        holdout_llms(DATA, ["GPT-4"])


# ------------------------------------------------------------------------------ with a model
@pytest.fixture(scope="module")
def mocked() -> SkillGraphModel:
    train, _ = holdout_split(DATA, HOLDOUT_LLMS)
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(sampler_config={"draws": 60, "chains": 2})
        model.fit(train, random_seed=5)
    finally:
        pm.sample = original
    return model


def test_score_draws_agree_with_forecast(mocked: SkillGraphModel) -> None:
    assert not set(HOLDOUT_LLMS) & set(mocked.inputs.llms)
    rows = holdout_llms(DATA, HOLDOUT_LLMS)
    draws = score_draws(mocked, rows, [2, 3, 4])
    assert draws.shape == (4, 3, 120)
    assert np.all((draws >= 0) & (draws <= 1))
    table = forecast(mocked, rows, k_max=4)
    score = table[(table["quantity"] == "score") & (table["k"] >= 2)]
    for i, row in enumerate(rows):
        med = score[score["llm"] == row["name"]]["median"].to_numpy()
        np.testing.assert_allclose(med, np.median(draws[i], axis=-1), rtol=1e-12)


def test_backtest_command_mocked(tmp_path: Path, capsys, mock_pymc_sample) -> None:
    from skillfit.cli import main

    out = tmp_path / "bt"
    rc = main(["backtest", "--links", "threshold,logistic", "--draws", "20", "--tune", "10",
               "--chains", "2", "--out", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "CRPS" in stdout and "coverage" in stdout and "MAE" in stdout
    summary = pd.read_csv(out / "backtest_summary.csv", index_col="link")
    assert list(summary.index) == ["threshold", "logistic"]
    assert (summary["crps_points"] >= 0).all() and summary["coverage"].between(0, 1).all()
    cells = pd.read_csv(out / "backtest.csv")
    n = int(((DATA["table"] == "skillmix") & DATA["llm"].isin(HOLDOUT_LLMS)
             & (DATA["metric"] == "ratio_of_full_marks")).sum())
    assert len(cells) == 2 * n
    assert (cells["lower"] <= cells["median"]).all() and (cells["median"] <= cells["upper"]).all()
    assert main(["backtest", "--holdout", "Nope-7B"]) == 1
    assert "no Skill-Mix rows for Nope-7B" in capsys.readouterr().err


def test_simulated_rates_scatter_like_measurements() -> None:
    """The backtest scores measured rates against simulate_rates: a small expected score must
    give exact zeros often (a measured 0/47 is then inside the interval), the right mean, and
    rates on the n-grid."""
    from skillfit.models.links import simulate_rates

    rng = np.random.default_rng(0)
    rates = simulate_rates(np.full(20000, 0.01), 30.0, 47, rng)
    assert (rates == 0).mean() > 0.5
    assert rates.mean() == pytest.approx(0.01, abs=0.002)
    assert np.allclose(rates * 47, np.round(rates * 47))
    lo, hi = np.quantile(rates, [0.055, 0.945])
    assert lo == 0.0 < hi
