"""The compute-ordered scaling-law backtest, its Huber baseline and the extrapolation
discrepancy: known answers on synthetic runs, plumbing with mocked sampling, CLI errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillfit import datasets
from skillfit.cli import main
from skillfit.errors import DataValidationError
from skillfit.extrapolation import MIN_RUNS, calibrate_discrepancy, compute_distance
from skillfit.huber import fit_huber
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.scaling import ChinchillaLaw
from skillfit.scaling_backtest import compute_cut_split, scaling_backtest

CHIN = datasets.load("chinchilla")
LAW = ChinchillaLaw(E=1.8, A=480.0, B=2100.0, a=0.35, b=0.37)


def ladder(n_runs: int = 60, bend: float = 0.0, noise: float = 0.002, seed: int = 0
           ) -> pd.DataFrame:
    """Runs of LAW on a grid of sizes x token ratios, log-normal noise, and a loss that bends
    up by ``bend`` per e-fold of compute beyond 1e20 FLOP (a law that stops holding)."""
    rng = np.random.default_rng(seed)
    n = np.geomspace(7e7, 1.6e10, n_runs // 4).repeat(4)
    d = n * np.tile([5.0, 12.0, 25.0, 60.0], n_runs // 4)
    beyond = np.maximum(0.0, np.log(6 * n * d / 1e20))
    loss = LAW.loss(n, d) * np.exp(bend * beyond + noise * rng.standard_normal(n.size))
    return pd.DataFrame({"params": n, "tokens": d, "loss": loss})


# ------------------------------------------------------------------------------ Huber point fit
def test_huber_recovers_a_noiseless_law() -> None:
    runs = ladder(noise=0.0)
    got = fit_huber(runs["params"], runs["tokens"], runs["loss"])
    for name, want in (("E", 1.8), ("A", 480.0), ("B", 2100.0), ("a", 0.35), ("b", 0.37)):
        assert getattr(got, name) == pytest.approx(want, rel=2e-3), name


def test_huber_bad_input() -> None:
    with pytest.raises(DataValidationError, match="same length"):
        fit_huber([1e9] * 6, [1e10] * 5, [2.5] * 6)
    with pytest.raises(DataValidationError, match="positive and finite"):
        fit_huber([1e9] * 6, [1e10] * 6, [2.5] * 5 + [-1.0])


# ------------------------------------------------------------------------------ discrepancy
def test_distance_is_efolds_beyond_the_data() -> None:
    got = compute_distance([1e9, 1e9, 1e10], [1e10, 1e11, 1e11], max_compute=6e19)
    np.testing.assert_allclose(got, [0.0, np.log(10), np.log(100)])


def test_calibration_sees_a_bending_law_and_not_a_straight_one() -> None:
    straight = calibrate_discrepancy(*(ladder(bend=0.0)[c] for c in ("params", "tokens", "loss")))
    bent = calibrate_discrepancy(*(ladder(bend=0.01)[c] for c in ("params", "tokens", "loss")))
    assert straight < 0.001  # noise 0.2 %: nothing grows with distance
    assert bent > 0.003 > 3 * straight  # the law misses by 1 % per e-fold beyond 1e20


def test_calibration_with_too_few_runs_warns_and_adds_nothing() -> None:
    runs = ladder(n_runs=8)  # at most 6 runs below any internal cut
    with pytest.warns(UserWarning, match=f"no internal cut with {MIN_RUNS} runs"):
        assert calibrate_discrepancy(runs["params"], runs["tokens"], runs["loss"]) == 0.0


# ------------------------------------------------------------------------------ the predictive
@pytest.fixture(scope="module")
def mocked(mock_pymc_sample) -> ScalingLawModel:
    m = ScalingLawModel(model_config={"discrepancy": 0.1},
                        sampler_config={"draws": 200, "chains": 2})
    m.fit(CHIN, random_seed=5, predictive=False)
    return m


def test_intervals_widen_beyond_the_data_by_the_discrepancy(mocked: ScalingLawModel) -> None:
    """Same law draws (prior draws: already wide), discrepancy 0.1 vs 0: inside the data the
    predictive is unchanged; at 1e26 FLOP, 9 e-folds out, its sd of 0.9 in log loss widens the
    89% interval by far more than 0.5."""
    n, d = np.array([1e9, 1e12]), np.array([2e10, 1.6e13])  # 1.2e20 (inside), ~1e26 FLOP
    wide = mocked.predict(n, d)
    mocked.model_config["discrepancy"] = 0.0
    try:
        narrow = mocked.predict(n, d)
    finally:
        mocked.model_config["discrepancy"] = 0.1
    assert wide.iloc[0].equals(narrow.iloc[0])
    far = compute_distance(n[1], d[1], mocked.max_compute)
    assert far > 8
    log_width = np.log(wide["upper"] / wide["lower"]).to_numpy()
    assert log_width[1] > np.log(narrow["upper"] / narrow["lower"]).to_numpy()[1] + 0.5


def test_predictive_summaries_stay_finite(mocked: ScalingLawModel) -> None:
    """The predictive's mean does not exist (Student-t noise on log loss): no 'mean' column,
    and medians and bounds are finite even for absurd extrapolations."""
    pred = mocked.predict([1e6, 1e9, 1e30], [1e6, 2e10, 1e30])
    assert "mean" not in pred.columns
    assert np.isfinite(pred[["median", "lower", "upper"]].to_numpy()).all()
    assert "mean" in mocked.predict(1e9, 2e10, kind="mean").columns


def test_calibrated_scale_is_kept_with_the_run(mock_pymc_sample, tmp_path: Path) -> None:
    m = ScalingLawModel(sampler_config={"draws": 20, "chains": 2})
    m.fit(CHIN, random_seed=2, predictive=False)
    kappa = m.idata.attrs["discrepancy_scale"]
    used = CHIN[~CHIN["excluded_by_epoch"]]
    assert kappa == calibrate_discrepancy(used["params"], used["tokens"], used["loss"]) > 0
    assert ScalingLawModel.load(m.save(tmp_path / "fit.nc")).discrepancy_scale == kappa


# ------------------------------------------------------------------------------ the backtest
def test_cut_split_by_hand() -> None:
    train, test = compute_cut_split(CHIN, 1e20)
    compute = 6 * CHIN["params"] * CHIN["tokens"]
    assert len(train) == int((compute < 1e20).sum()) and len(test) == int((compute >= 3e20).sum())
    assert train["params"].mul(train["tokens"]).mul(6).max() < 1e20
    with pytest.raises(DataValidationError, match="beyond must be a number >= 1"):
        compute_cut_split(CHIN, 1e20, beyond=0.5)


def test_backtest_plumbing_and_scores(mock_pymc_sample) -> None:
    runs, summary = scaling_backtest(CHIN, cuts=(1e20,), sampler_config={"draws": 50,
                                                                           "chains": 2})
    assert len(summary) == 1 and summary["n_train"].item() == 136
    assert summary["n_test"].item() == 63 == len(runs)
    y = runs["loss"].to_numpy()
    huber = np.median(np.abs(runs["huber"] / y - 1))
    assert summary["huber_median_are"].item() == pytest.approx(huber)
    assert summary["are_ratio"].item() == pytest.approx(summary["median_are"].item() / huber)
    inside = (y >= runs["lower_0.89"]) & (y <= runs["upper_0.89"])
    assert summary["coverage_89"].item() == pytest.approx(inside.mean())
    assert np.isfinite(summary.drop(columns="cut").to_numpy(float)).all()
    assert (runs["lower_0.89"] <= runs["lower_0.5"]).all()
    assert (runs["upper_0.5"] <= runs["upper_0.89"]).all()
    with pytest.raises(DataValidationError, match="compute cut 1e\\+30: .* need at least"):
        scaling_backtest(CHIN, cuts=(1e30,))


@pytest.mark.parametrize(("argv", "needle"), [
    (["--cuts", "1e20,abc"], "--cuts: expected comma-separated numbers"),
    (["--cuts", "-1"], "--cuts: every cut must be a positive number"),
    (["--beyond", "0.5"], "--beyond must be a number >= 1"),
])
def test_cli_bad_arguments_one_line(argv, needle, capsys) -> None:
    assert main(["backtest", "chinchilla", *argv]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and needle in err[0], err
