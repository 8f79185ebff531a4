"""Tests of ScalingLawModel: plumbing with mocked sampling, tiny real fits, recovery (slow)."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr
from pymc.testing import mock_sample
from pytensor.graph.replace import graph_replace

from skillfit import datasets
from skillfit.errors import DataValidationError, DifferentModelError, SkillfitError, SpecError
from skillfit.intervals import interval_bounds
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.scaling import EPOCH, ChinchillaLaw

CHIN = datasets.load("chinchilla")
TINY = {"draws": 150, "tune": 150, "chains": 2, "cores": 1, "nuts_sampler": "pymc",
        "compute_convergence_checks": False}


@pytest.fixture(scope="module")
def mocked() -> Iterator[ScalingLawModel]:
    """A model 'fitted' with prior draws (pm.sample mocked only while fitting)."""
    original = pm.sample
    pm.sample = mock_sample
    try:
        m = ScalingLawModel(sampler_config={"draws": 100, "chains": 2})
        m.fit(CHIN, random_seed=3)
    finally:
        pm.sample = original
    yield m


@pytest.fixture(scope="module")
def real() -> ScalingLawModel:
    """A tiny real fit (PyMC NUTS) on every third of Epoch's 240 runs."""
    subset = CHIN[~CHIN["excluded_by_epoch"]].iloc[::3]
    m = ScalingLawModel(sampler_config=TINY)
    m.fit(subset, random_seed=7)
    return m


# ------------------------------------------------------------------------------ config + data
def test_defaults_and_exclusion() -> None:
    m = ScalingLawModel()
    assert m.sampler_config["chains"] == 4 and m.sampler_config["nuts_sampler"] == "nutpie"
    model = m.build_model(CHIN)
    assert len(model.coords["obs"]) == 240
    assert {v.name for v in model.free_RVs} == {
        "E", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma", "nu", "size_sigma",
        "size_z"}
    assert len(model.coords["size"]) == 43  # one offset per model size
    no_sizes = ScalingLawModel(model_config={"size_sigma": 0}).build_model(CHIN)
    assert "size_z" not in {v.name for v in no_sizes.free_RVs}
    assert {"A", "B"} <= {v.name for v in model.deterministics}
    all_rows = ScalingLawModel(model_config={"exclude_epoch_outliers": False}).build_model(CHIN)
    assert len(all_rows.coords["obs"]) == 245
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values())
    assert np.all(np.isfinite(model.compile_dlogp()(model.initial_point())))


def test_fixed_nu() -> None:
    model = ScalingLawModel(model_config={"nu": 4}).build_model(CHIN)
    assert "nu" not in {v.name for v in model.free_RVs}
    with pytest.raises(SpecError, match="'nu' must be > 0"):
        ScalingLawModel(model_config={"nu": 0})
    with pytest.raises(SpecError, match="'E' must be a prior table or 'auto'"):
        ScalingLawModel(model_config={"E": 1.8})
    with pytest.raises(SpecError, match="'size_sigma' must be a prior table or 0"):
        ScalingLawModel(model_config={"size_sigma": 0.01})
    with pytest.raises(SpecError, match="'discrepancy' must be 'calibrate' or a number >= 0"):
        ScalingLawModel(model_config={"discrepancy": -1})


def test_config_values_checked_word_for_word() -> None:
    """Each check of ScalingLawModel's model_config, messages in full, both sides of each bound."""
    def message(cfg):
        with pytest.raises(SpecError) as err:
            ScalingLawModel(model_config=cfg)
        return str(err.value)

    assert message({"E": 1.8}) == "model_config 'E' must be a prior table or 'auto', got 1.8"
    assert message({"r_tokens_ref": "Auto"}) == (
        "model_config 'r_tokens_ref' must be a prior table or 'auto', got 'Auto'")
    assert message({"E": {"dist": "Normal", "mu": 1.8}}) == (
        "prior 'E': Normal needs parameter(s) sigma")
    cfg = ScalingLawModel(model_config={"E": {"dist": "Normal", "mu": 2, "sigma": 1},
                                        "ref_params": 5, "ref_tokens": 2e10, "discrepancy": 0,
                                        "nu": 4, "size_sigma": 0}).model_config
    assert cfg["E"] == {"dist": "Normal", "mu": 2.0, "sigma": 1.0}
    assert cfg["r_params_ref"] == cfg["r_tokens_ref"] == "auto"
    assert (cfg["ref_params"], cfg["ref_tokens"], cfg["discrepancy"], cfg["nu"]) == (5.0, 2e10, 0.0, 4.0)
    assert type(cfg["ref_params"]) is float and type(cfg["discrepancy"]) is float
    assert cfg["size_sigma"] == 0
    for key in ("ref_params", "ref_tokens"):
        for bad in (0, -1.0, np.inf, np.nan, True, "big"):
            assert message({key: bad}) == (
                f"model_config {key!r} must be a positive number or 'auto', got {bad!r}")
    for bad in (-0.1, np.inf, np.nan, True, "auto"):
        assert message({"discrepancy": bad}) == (
            "model_config 'discrepancy' must be 'calibrate' or a number >= 0 (log loss per "
            f"e-fold of compute), got {bad!r}")
    assert message({"alpha": 0.3}) == "model_config 'alpha' must be a prior table, not a fixed number"
    assert message({"sigma": 0.01}) == "model_config 'sigma' must be a prior table, not a fixed number"
    assert message({"nu": 0}) == "model_config 'nu' must be > 0 when fixed, got 0"
    assert message({"nu": -2.0}) == "model_config 'nu' must be > 0 when fixed, got -2.0"
    assert message({"size_sigma": 0.01}) == (
        "model_config 'size_sigma' must be a prior table or 0 (no size effects), got 0.01")
    assert ScalingLawModel(model_config={"exclude_epoch_outliers": False}).model_config[
        "exclude_epoch_outliers"] is False
    assert message({"exclude_epoch_outliers": "yes"}) == (
        "model_config 'exclude_epoch_outliers' must be true or false, got 'yes'")
    assert message({"alpha": "x"}) == ("prior 'alpha': expected a table like "
                                       "{dist = \"Normal\", mu = 0, sigma = 1}, got 'x'")
    # positive, not above 1: small numbers are fine
    small = ScalingLawModel(model_config={"ref_params": 0.5, "ref_tokens": 0.5, "nu": 0.5})
    assert (small.model_config["ref_params"], small.model_config["nu"]) == (0.5, 0.5)


def test_built_model_coords_dims_data_and_constants() -> None:
    """Coordinates (the runs' own index, the model sizes), each variable's dims, the observed
    logs, and A = r_N N_ref^alpha, B = r_D D_ref^beta at a point."""
    data = CHIN.set_axis(np.arange(len(CHIN)) + 1000)
    m = ScalingLawModel(model_config={"ref_params": 1e9, "ref_tokens": 2e10})
    model = m.build_model(data)
    used = data[~data["excluded_by_epoch"].astype(bool)]
    assert set(model.coords) == {"obs", "size"}
    # the validated data are renumbered 0..n-1; the excluded runs leave gaps
    assert list(model.coords["obs"]) == list(np.flatnonzero(~CHIN["excluded_by_epoch"].to_numpy(bool)))
    sizes = sorted({float(f"{v:.4g}") for v in used["params"]})
    assert list(model.coords["size"]) == sizes
    dims = {name: model.named_vars_to_dims.get(name) for name in model.named_vars}
    want = {"log_params": ("obs",), "log_tokens": ("obs",), "log_loss": ("obs",),
            "log_loss_obs": ("obs",), "size_z": ("size",), "size_offset": ("size",)}
    assert {name: dims[name] for name in want} == want
    for name, column in (("log_params", "params"), ("log_tokens", "tokens"), ("log_loss", "loss")):
        np.testing.assert_array_equal(model[name].get_value(), np.log(used[column].to_numpy()))
    point = {"alpha": 0.3, "beta": 0.4, "r_params_ref": 0.5, "r_tokens_ref": 0.7}
    fixed = {model[k]: pm.math.constant(np.float64(v)) for k, v in point.items()}
    fn = pm.compile([], graph_replace([model["A"], model["B"]], fixed))
    a, b = fn()
    assert a == pytest.approx(0.5 * 1e9 ** 0.3, rel=1e-12)
    assert b == pytest.approx(0.7 * 2e10 ** 0.4, rel=1e-12)
    assert m.fit_data.index.equals(pd.RangeIndex(len(CHIN)))
    assert list(m.fit_data.columns) == list(CHIN.columns)  # the old index dropped, not kept
    with pytest.raises(DataValidationError) as err:
        m.build_model(CHIN.drop(columns="loss"))
    assert str(err.value) == (
        "data: missing column 'loss' (a chinchilla table needs: params, tokens, loss)")
    with pytest.raises(DataValidationError) as err:
        m.build_model([1])  # type: ignore[arg-type]
    assert str(err.value) == (
        "data must be a pandas DataFrame with columns params, tokens, loss; got list")


def test_resolved_config_and_row_count_edges() -> None:
    """The 'auto' values from the runs actually used: Epoch's 240 when the outliers are
    excluded (also when the full table is passed in), all 245 otherwise; the reducible loss
    is the median minus 0.75 L_min at any loss scale; 6 runs are enough, 5 are not."""
    def geo(x):
        return float(np.exp(np.mean(np.log(x))))

    kept = CHIN[~CHIN["excluded_by_epoch"].astype(bool)]
    cfg = ScalingLawModel().resolved_config(CHIN)
    assert cfg["ref_params"] == pytest.approx(geo(kept["params"]), rel=1e-12)
    assert cfg["ref_tokens"] == pytest.approx(geo(kept["tokens"]), rel=1e-12)
    every = ScalingLawModel(model_config={"exclude_epoch_outliers": False}).resolved_config(CHIN)
    assert every["ref_params"] == pytest.approx(geo(CHIN["params"]), rel=1e-12)
    assert every["ref_params"] != pytest.approx(cfg["ref_params"], rel=1e-6)
    small = kept.assign(loss=kept["loss"] * 0.1)  # losses of about 0.2 nats
    low, mid = small["loss"].min(), small["loss"].median()
    mu = ScalingLawModel().resolved_config(small)["r_params_ref"]["mu"]
    assert mu == pytest.approx(np.log((mid - 0.75 * low) / 2), rel=1e-12)
    m = ScalingLawModel()
    assert m.build_model(kept.iloc[:6]) is m.model and len(m.model.coords["obs"]) == 6
    with pytest.raises(DataValidationError) as err:
        m.build_model(kept.iloc[:5])
    assert str(err.value) == (
        "data: need at least 6 runs to fit 7 parameters with priors sensibly, got 5")


def test_resolved_config_direct_calls_few_runs_and_fitted_runs() -> None:
    """resolved_config(runs) re-selects the runs only when outliers are excluded and the table
    marks them, so a direct call on 5 runs (no marks, or marks with exclusion off) resolves
    from those 5 without the fit's 6-run check; resolved_config() uses the fitted runs
    (Epoch's 240 of 245)."""
    def geo(x):
        return float(np.exp(np.mean(np.log(np.asarray(x, float)))))

    kept = CHIN[~CHIN["excluded_by_epoch"].astype(bool)]
    five = kept.iloc[:5][["params", "tokens", "loss"]]
    cfg = ScalingLawModel().resolved_config(five)
    assert cfg["ref_params"] == pytest.approx(geo(five["params"]), rel=1e-12)
    assert cfg["ref_tokens"] == pytest.approx(geo(five["tokens"]), rel=1e-12)
    low, mid = float(five["loss"].min()), float(five["loss"].median())
    assert cfg["E"] == {"dist": "TruncatedNormal", "mu": 0.75 * low, "sigma": 0.25 * low,
                        "lower": 0.0, "upper": low}
    for key in ("r_params_ref", "r_tokens_ref"):
        assert cfg[key] == {"dist": "LogNormal", "mu": float(np.log((mid - 0.75 * low) / 2)),
                            "sigma": 1.0}
    marked = CHIN.iloc[:5]
    off = ScalingLawModel(model_config={"exclude_epoch_outliers": False}).resolved_config(marked)
    assert off["ref_params"] == pytest.approx(geo(marked["params"]), rel=1e-12)
    m = ScalingLawModel()
    m._data = m._validate_data(CHIN)  # as fit() keeps it
    fitted = m.resolved_config()
    assert fitted["ref_params"] == pytest.approx(geo(kept["params"]), rel=1e-12)
    assert fitted["E"]["upper"] == kept["loss"].min()


def test_law_matches_scaling_module() -> None:
    """The PyMC mean equals ChinchillaLaw.loss at the Epoch point (one definition of the law)."""
    m = ScalingLawModel(model_config={"ref_params": 1e9, "ref_tokens": 2e10, "size_sigma": 0})
    model = m.build_model(CHIN)
    point = {
        "E": EPOCH.E, "alpha": EPOCH.a, "beta": EPOCH.b,
        "r_params_ref": EPOCH.A * 1e9 ** -EPOCH.a, "r_tokens_ref": EPOCH.B * 2e10 ** -EPOCH.b,
    }
    mu = model["log_loss_obs"].owner.inputs[-2]  # the StudentT's mu
    fn = pm.compile([], graph_replace(mu, {model[k]: pm.math.constant(v) for k, v in point.items()}))
    used = CHIN[~CHIN["excluded_by_epoch"]]
    np.testing.assert_allclose(np.exp(fn()), EPOCH.loss(used["params"], used["tokens"]), rtol=1e-10)


@pytest.mark.parametrize(
    ("bad", "column"),
    [
        (CHIN.drop(columns="loss"), "loss"),
        (CHIN.assign(params=-CHIN["params"]), "params"),
        (CHIN.assign(tokens=np.where(CHIN.index == 3, np.nan, CHIN["tokens"])), "tokens"),
    ],
)
def test_bad_data_names_column(bad: pd.DataFrame, column: str) -> None:
    with pytest.raises(DataValidationError, match=f"'{column}'"):
        ScalingLawModel().build_model(bad)


def test_bad_input_type_and_too_few_rows() -> None:
    with pytest.raises(DataValidationError, match="DataFrame"):
        ScalingLawModel().build_model([1, 2, 3])  # type: ignore[arg-type]
    with pytest.raises(DataValidationError, match="at least 6 runs"):
        ScalingLawModel().build_model(CHIN.iloc[5:8])


def test_bad_config_key() -> None:
    with pytest.raises(SpecError, match=r"unknown model_config key 'aplha'.*did you mean 'alpha'"):
        ScalingLawModel(model_config={"aplha": {"dist": "Normal", "mu": 0.3, "sigma": 0.1}})
    with pytest.raises(SpecError, match="'ref_params' must be a positive number"):
        ScalingLawModel(model_config={"ref_params": -1.0})


def test_prior_predictive_before_fit() -> None:
    m = ScalingLawModel()
    prior = m.sample_prior_predictive(CHIN, samples=200, random_seed=2)
    e = prior["prior"]["E"].values
    # The automatic prior keeps E between 0 and the lowest loss of the 240 runs (2.077).
    low = CHIN[~CHIN["excluded_by_epoch"]]["loss"].min()
    assert 0 < e.min() and e.max() < low and abs(low - 2.0772) < 1e-3
    assert prior["prior_predictive"]["log_loss_obs"].shape == (1, 200, 240)


# ------------------------------------------------------------------------------ mocked plumbing
def test_mocked_fit_outputs(mocked: ScalingLawModel) -> None:
    post = mocked.posterior
    assert {"E", "A", "B", "alpha", "beta", "sigma", "nu"} <= set(post.data_vars)
    assert post.sizes["chain"] == 2 and post.sizes["draw"] == 100
    ref = mocked.resolved_config()["ref_params"]
    assert abs(ref / 8.5e8 - 1) < 0.01  # the runs' geometric mean size
    np.testing.assert_allclose(post["A"], post["r_params_ref"] * ref ** post["alpha"], rtol=1e-10)
    laws = mocked.posterior_laws()
    assert laws["E"].shape == (200,)


def test_predict_columns_and_order(mocked: ScalingLawModel) -> None:
    pred = mocked.predict([1e9, 7e10], [2e10, 1.4e12], ci_prob=0.89)
    assert list(pred.columns) == ["params", "tokens", "median", "lower", "upper"]
    assert len(pred) == 2 and (pred["lower"] <= pred["median"]).all()
    assert (pred["median"] <= pred["upper"]).all()
    mean = mocked.predict(1e9, [1e10, 2e10, 4e10], kind="mean")
    assert len(mean) == 3 and mean["params"].eq(1e9).all()
    assert mean["median"].is_monotonic_decreasing  # more data, lower loss (per draw)
    again = mocked.predict([1e9, 7e10], [2e10, 1.4e12], ci_prob=0.89)
    pd.testing.assert_frame_equal(pred, again)  # seeded noise
    with pytest.raises(DataValidationError, match="positive"):
        mocked.predict(-1.0, 1e10)
    with pytest.raises(ValueError, match="kind"):
        mocked.predict(1e9, 1e10, kind="bogus")  # type: ignore[arg-type]


def test_optimal_allocation_matches_chinchilla_law(mocked: ScalingLawModel) -> None:
    c = [1e21, 5.76e23]
    table = mocked.optimal_allocation(c)
    assert set(table["quantity"]) == {"params", "tokens", "tokens_per_param", "loss"}
    assert len(table) == 8 and (table["lower"] <= table["upper"]).all()
    d = mocked.posterior_laws()
    law0 = ChinchillaLaw(E=d["E"][0], A=d["A"][0], B=d["B"][0], a=d["alpha"][0], b=d["beta"][0])
    n, t = law0.optimal_allocation(np.array(c))
    law_arr, _ = mocked.law_draws(1)
    n_all, t_all = law_arr.optimal_allocation(np.array(c)[None, :])
    np.testing.assert_allclose(n_all[0], n, rtol=1e-12)
    np.testing.assert_allclose(t_all[0], t, rtol=1e-12)
    p = table[table.quantity == "params"]
    np.testing.assert_allclose(p["median"], np.median(n_all, axis=0))
    with pytest.raises(DataValidationError, match="compute"):
        mocked.optimal_allocation(0)


def test_optimal_allocation_every_column_by_hand(mocked: ScalingLawModel) -> None:
    """Every quantity's mean, median and 89% equal-tailed bounds are those of the per-draw
    optimum (written out with NumPy), in the documented columns and order; whole-number and
    sub-1 budgets are budgets like any other; a non-positive one is refused word for word."""
    law, _ = mocked.law_draws(1)
    c = np.array([5e20, 2e23])
    n, d = (np.asarray(v) for v in law.optimal_allocation(c[None, :]))
    by_hand = {"params": n, "tokens": d, "tokens_per_param": d / n,
               "loss": np.asarray(law.loss(n, d))}
    table = mocked.optimal_allocation([500000000000000000000, 200000000000000000000000])
    assert list(table.columns) == ["compute", "quantity", "mean", "median", "lower", "upper"]
    assert table["compute"].dtype == np.float64
    assert list(table["quantity"]) == ["params", "params", "tokens", "tokens",
                                       "tokens_per_param", "tokens_per_param", "loss", "loss"]
    for name, draws in by_hand.items():
        rows = table[table["quantity"] == name]
        np.testing.assert_allclose(rows["compute"], c, rtol=0)
        np.testing.assert_allclose(rows["mean"], draws.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(rows["median"], np.median(draws, axis=0), rtol=1e-12)
        np.testing.assert_allclose(rows["lower"], np.quantile(draws, 0.055, axis=0), rtol=1e-12)
        np.testing.assert_allclose(rows["upper"], np.quantile(draws, 0.945, axis=0), rtol=1e-12)
    assert len(mocked.optimal_allocation(0.5)) == 4  # half a FLOP is absurd, but positive
    for bad in (0.0, -1e21, np.inf, np.nan):
        with pytest.raises(DataValidationError) as err:
            mocked.optimal_allocation([1e21, bad])
        assert str(err.value) == "optimal_allocation: compute must be positive finite FLOP"


def test_law_posterior_by_hand(mocked: ScalingLawModel) -> None:
    """law_posterior is the mean and sample covariance (n - 1) of (log r_params_ref,
    log r_tokens_ref, alpha, beta) over the draws, chain-major, written out here; the
    reference run is the geometric mean of the used runs' N and D; E is the median draw."""
    post = mocked.posterior
    draws = [post[name].values.reshape(-1) for name in
             ("r_params_ref", "r_tokens_ref", "alpha", "beta")]
    coords = np.array([np.log(draws[0]), np.log(draws[1]), draws[2], draws[3]])
    n = coords.shape[1]
    assert n == 200
    mean = coords.sum(axis=1) / n
    centred = coords - mean[:, None]
    cov = np.array([[np.dot(centred[i], centred[j]) / (n - 1) for j in range(4)]
                    for i in range(4)])
    used = CHIN[~CHIN["excluded_by_epoch"].astype(bool)]
    got = mocked.law_posterior()
    assert got.ref_params == pytest.approx(
        math.exp(np.log(used["params"].to_numpy(float)).mean()), rel=1e-12)
    assert got.ref_tokens == pytest.approx(
        math.exp(np.log(used["tokens"].to_numpy(float)).mean()), rel=1e-12)
    assert isinstance(got.mean, tuple) and isinstance(got.cov, tuple)
    np.testing.assert_allclose(got.mean, mean, rtol=1e-12)
    np.testing.assert_allclose(got.cov, cov, rtol=1e-10)
    assert np.ptp(np.diag(cov)) > 0 and abs(cov[0, 2]) > 0  # the coordinates are not mixed up
    assert got.E == float(np.sort(post["E"].values.reshape(-1))[99:101].mean())


@pytest.mark.parametrize("ci_kind", ["eti", "hdi"])
def test_intervals_are_the_package_convention(mocked: ScalingLawModel, ci_kind: str) -> None:
    """predict/optimal_allocation intervals are skillfit.intervals' (ArviZ's) on the draws."""
    law, _ = mocked.law_draws(1)
    n, d = np.array([1e9, 7e10]), np.array([2e10, 1.4e12])
    draws = np.asarray(law.loss(n[None, :], d[None, :]))
    lo, hi = interval_bounds(draws, 0.8, axis=0, ci_kind=ci_kind)
    pred = mocked.predict(n, d, ci_prob=0.8, kind="mean", ci_kind=ci_kind)
    np.testing.assert_allclose(pred["lower"], lo, rtol=1e-12)
    np.testing.assert_allclose(pred["upper"], hi, rtol=1e-12)
    n_opt, _ = law.optimal_allocation(np.array([1e22])[None, :])
    lo, hi = interval_bounds(np.asarray(n_opt), 0.8, axis=0, ci_kind=ci_kind)
    opt = mocked.optimal_allocation(1e22, ci_prob=0.8, ci_kind=ci_kind)
    row = opt[opt.quantity == "params"].iloc[0]
    assert row["lower"] == pytest.approx(lo[0], rel=1e-12)
    assert row["upper"] == pytest.approx(hi[0], rel=1e-12)
    with pytest.raises(SkillfitError, match="ci_prob"):
        mocked.predict(1e9, 1e10, ci_prob=1.5)
    with pytest.raises(SkillfitError, match="ci_kind"):
        mocked.optimal_allocation(1e22, ci_kind="bogus")


def test_predictive_point_does_not_depend_on_other_points(mocked: ScalingLawModel) -> None:
    """Common random numbers: the noise is one draw per posterior draw, shared by the points,
    so a point's predictive interval is the same alone and among others, in any order."""
    points = np.array([[1e9, 2e10], [7e10, 1.4e12], [3e8, 6e9]])
    together = mocked.predict(points[:, 0], points[:, 1])
    for i, (n, d) in enumerate(points):
        alone = mocked.predict(n, d)
        pd.testing.assert_frame_equal(alone, together.iloc[[i]].reset_index(drop=True))
    reverse = mocked.predict(points[::-1, 0], points[::-1, 1])
    pd.testing.assert_frame_equal(reverse.iloc[::-1].reset_index(drop=True), together)
    # the noise is seeded by the fit unless random_seed is given
    other = mocked.predict(points[:, 0], points[:, 1], random_seed=123)
    assert not other["lower"].equals(together["lower"])
    pd.testing.assert_frame_equal(other, mocked.predict(points[:, 0], points[:, 1],
                                                        random_seed=123))


def test_predict_by_hand(mocked: ScalingLawModel) -> None:
    """predict() from its definition (Notes): per posterior draw (chain-major) the law
    E + A N^-alpha + B D^-beta, plus on log loss sigma * t_nu, size_sigma * z and
    kappa * d * z' drawn in that order from the seeded generator, d the e-folds of 6ND beyond
    the largest fitted compute; median and 89% equal-tailed interval, exponentiated."""
    post = mocked.posterior

    def draws(name):
        return np.concatenate([post[name].values[0], post[name].values[1]])

    n, d = np.array([1e9, 7e10, 1e12]), np.array([2e10, 1.4e12, 3e13])
    law = (draws("E")[:, None] + draws("A")[:, None] * n ** -draws("alpha")[:, None]
           + draws("B")[:, None] * d ** -draws("beta")[:, None])
    used = CHIN[~CHIN["excluded_by_epoch"]]
    c_max = np.max(6.0 * used["params"] * used["tokens"])
    assert mocked.max_compute == pytest.approx(c_max, rel=1e-12)
    distance = np.maximum(0.0, np.log(6.0 * n * d) - np.log(c_max))
    assert distance[0] == 0 and distance[2] > 1
    kappa = mocked.discrepancy_scale
    assert kappa > 0 and mocked.idata.attrs["discrepancy_scale"] == kappa
    rng = np.random.default_rng(21)
    size = law.shape[0]
    noise = draws("sigma") * rng.standard_t(draws("nu"), size=size)
    offset = draws("size_sigma") * rng.standard_normal(size)
    excess = rng.standard_normal(size)
    log_loss = np.log(law) + (noise + offset)[:, None] + kappa * distance * excess[:, None]
    got = mocked.predict(n, d, random_seed=21)
    np.testing.assert_allclose(got["params"], n, rtol=0)
    np.testing.assert_allclose(got["tokens"], d, rtol=0)
    np.testing.assert_allclose(got["median"], np.exp(np.median(log_loss, axis=0)), rtol=1e-12)
    np.testing.assert_allclose(got["lower"], np.exp(np.quantile(log_loss, 0.055, axis=0)),
                               rtol=1e-12)
    np.testing.assert_allclose(got["upper"], np.exp(np.quantile(log_loss, 0.945, axis=0)),
                               rtol=1e-12)
    mean = mocked.predict(n, d, kind="mean", ci_prob=0.5)
    assert list(mean.columns) == ["params", "tokens", "mean", "median", "lower", "upper"]
    np.testing.assert_allclose(mean["mean"], law.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(mean["median"], np.median(law, axis=0), rtol=1e-12)
    np.testing.assert_allclose(mean["lower"], np.quantile(law, 0.25, axis=0), rtol=1e-12)
    np.testing.assert_allclose(mean["upper"], np.quantile(law, 0.75, axis=0), rtol=1e-12)
    law0, _ = mocked.law_draws()  # draws on the only axis by default
    assert law0.E.shape == law0.A.shape == law0.a.shape == (size,)
    # another mass and kind
    half = mocked.predict(n, d, random_seed=21, ci_prob=0.5)
    np.testing.assert_allclose(half["lower"], np.exp(np.quantile(log_loss, 0.25, axis=0)),
                               rtol=1e-12)
    hdi = mocked.predict(n, d, random_seed=21, ci_prob=0.5, ci_kind="hdi")
    lo, hi = interval_bounds(log_loss, 0.5, axis=0, ci_kind="hdi")
    np.testing.assert_allclose(hdi["lower"], np.exp(lo), rtol=1e-12)
    np.testing.assert_allclose(hdi["upper"], np.exp(hi), rtol=1e-12)
    # the default seed is the fit's, else 0
    seeded = mocked.predict(n, d, random_seed=mocked.idata.attrs["random_seed"])
    pd.testing.assert_frame_equal(mocked.predict(n, d), seeded)
    seed = mocked.idata.attrs.pop("random_seed")
    try:
        pd.testing.assert_frame_equal(mocked.predict(n, d), mocked.predict(n, d, random_seed=0))
    finally:
        mocked.idata.attrs["random_seed"] = seed
    # whole numbers, and numbers below 1, are sizes too
    whole = mocked.predict([10**9], [2 * 10**10], random_seed=21)
    assert whole["params"].dtype == whole["tokens"].dtype == np.float64
    np.testing.assert_allclose(whole["median"], got["median"][:1], rtol=1e-12)
    assert np.isfinite(mocked.predict(0.5, 0.5)[["median", "lower", "upper"]]).all(axis=None)
    # broadcasting and the input checks
    pd.testing.assert_frame_equal(mocked.predict(n[:2], [[2e10]], random_seed=21),
                                  mocked.predict(n[:2], [2e10, 2e10], random_seed=21))
    for bad in ((0.0, 1e10), (1e9, 0.0), (1e9, -1.0), (np.inf, 1e10), (1e9, np.nan)):
        with pytest.raises(DataValidationError) as err:
            mocked.predict(*bad)
        assert str(err.value) == "predict: params and tokens must be positive finite numbers"
    with pytest.raises(ValueError) as err:
        mocked.predict(1e9, 1e10, kind="median")  # type: ignore[arg-type]
    assert str(err.value) == "kind must be 'predictive' or 'mean', got 'median'"


def test_fixed_discrepancy_and_nu_reach_the_predictive(mocked: ScalingLawModel) -> None:
    """A number in model_config['discrepancy'] is the scale used (no calibration); a fixed nu
    is repeated in the posterior laws and size_sigma is zero without size offsets."""
    m = ScalingLawModel(model_config={"discrepancy": 0.25, "nu": 3.0, "size_sigma": 0})
    assert m.discrepancy_scale == 0.25
    original = pm.sample
    pm.sample = mock_sample
    try:
        m = ScalingLawModel(model_config={"discrepancy": 0.25, "nu": 3.0, "size_sigma": 0},
                            sampler_config={"draws": 10, "chains": 1})
        m.fit(CHIN, random_seed=5, predictive=False)
    finally:
        pm.sample = original
    assert m.discrepancy_scale == 0.25 and "discrepancy_scale" not in m.idata.attrs
    laws = m.posterior_laws()
    assert set(laws) == {"E", "A", "B", "alpha", "beta", "sigma", "size_sigma", "nu"}
    np.testing.assert_array_equal(laws["nu"], np.full(10, 3.0))
    np.testing.assert_array_equal(laws["size_sigma"], np.zeros(10))
    assert laws["size_sigma"].shape == laws["nu"].shape == (10,)
    np.testing.assert_array_equal(laws["E"], m.posterior["E"].values[0])


def test_sample_kwargs_ask_nutpie_for_low_rank_adaptation() -> None:
    """nutpie gets the low-rank mass matrix unless the caller chose an adaptation; PyMC's NUTS
    gets no nuts options; the seed and progress bar reach the sampler."""
    nutpie = ScalingLawModel(sampler_config={"nuts_sampler": "nutpie"})
    cfg = nutpie._sample_kwargs(5, True, {})
    assert cfg["random_seed"] == 5 and cfg["progressbar"] is True
    assert cfg["nuts"] == {"adaptation": "low_rank", "target_accept": 0.9}
    mine = nutpie._sample_kwargs(5, None, {"nuts": {"adaptation": "diag", "maxdepth": 8}})
    assert mine["nuts"] == {"adaptation": "diag", "maxdepth": 8, "target_accept": 0.9}
    assert mine["progressbar"] is False
    pymc_cfg = ScalingLawModel(sampler_config={"nuts_sampler": "pymc"})._sample_kwargs(5, None, {})
    assert pymc_cfg["nuts"] == {"target_accept": 0.9}


def test_fit_passes_seed_and_options_and_calibrates(sample_calls) -> None:
    """fit() passes the seed, progress bar, predictive choice and sampler overrides on, and
    calibrates the discrepancy scale into the run's attributes."""
    seen = sample_calls
    m = ScalingLawModel(model_config={"discrepancy": 0.1},
                        sampler_config={"draws": 5, "chains": 1})
    idata = m.fit(CHIN, random_seed=9, progressbar=True, draws=4)
    other = ScalingLawModel(sampler_config={"draws": 3, "chains": 1})
    bare = other.fit(CHIN.iloc[::3], random_seed=10, predictive=False)
    assert idata.attrs["random_seed"] == 9 and seen[0]["progressbar"] is True
    assert idata["posterior"].sizes["draw"] == 4
    assert {"posterior_predictive", "log_likelihood"} <= set(idata.children)
    assert not {"posterior_predictive", "log_likelihood"} & set(bare.children)
    assert bare.attrs["random_seed"] == 10 and seen[1]["progressbar"] is False
    assert bare.attrs["discrepancy_scale"] > 0  # calibrated by fit(), kept with the run


def test_fit_hands_everything_to_the_base_fit_then_calibrates(monkeypatch) -> None:
    """fit() passes data, seed, progress bar, predictive choice (default True) and sampler
    overrides to ModelBuilder.fit unchanged, returns its result, and then calibrates the
    discrepancy on the runs used (Epoch's outliers dropped). The base fit and the calibration
    are stand-ins here, so this takes milliseconds (the real thing: the test above)."""
    import xarray as xr

    import skillfit.models.scaling_law as scaling_law
    from skillfit.models.base import ModelBuilder

    calls, runs = [], []

    def base_fit(self, data, random_seed=None, progressbar=None, predictive=True, **kwargs):
        calls.append({"data": data, "random_seed": random_seed, "progressbar": progressbar,
                      "predictive": predictive, **kwargs})
        self._data = self._validate_data(data)
        self._idata = xr.DataTree()
        return self._idata

    def calibrate(params, tokens, loss):
        runs.append(len(params))
        return 0.125

    monkeypatch.setattr(ModelBuilder, "fit", base_fit)
    monkeypatch.setattr(scaling_law, "calibrate_discrepancy", calibrate)
    m = ScalingLawModel()
    idata = m.fit(CHIN, random_seed=9, progressbar=True, draws=4, tune=7)
    assert idata is m._idata
    assert len(calls) == 1 and calls[0].pop("data") is CHIN
    assert calls[0] == {"random_seed": 9, "progressbar": True, "predictive": True,
                        "draws": 4, "tune": 7}
    assert runs == [240] and idata.attrs["discrepancy_scale"] == 0.125
    m.fit(CHIN, predictive=False)
    assert calls[1].pop("data") is CHIN
    assert calls[1] == {"random_seed": None, "progressbar": None, "predictive": False}
    assert runs == [240, 240]


def test_mocked_save_load_round_trip(mocked: ScalingLawModel, tmp_path) -> None:
    path = mocked.save(tmp_path / "fit.nc")
    loaded = ScalingLawModel.load(path)
    xr.testing.assert_identical(loaded.posterior, mocked.posterior)
    assert loaded.model_config == mocked.model_config
    assert loaded.sampler_config == mocked.sampler_config
    pd.testing.assert_frame_equal(loaded.fit_data, mocked.fit_data)
    pd.testing.assert_frame_equal(loaded.predict([1e9, 1e10], 2e10), mocked.predict([1e9, 1e10], 2e10))
    pd.testing.assert_frame_equal(loaded.optimal_allocation(1e22), mocked.optimal_allocation(1e22))
    for group in ("log_likelihood", "posterior_predictive"):
        assert "log_loss_obs" in mocked.idata[group]
        xr.testing.assert_identical(loaded.idata[group].to_dataset(),
                                    mocked.idata[group].to_dataset())
    foreign = tmp_path / "foreign.nc"
    xr.DataTree(xr.Dataset({"E": ("draw", np.ones(3))})).to_netcdf(foreign, engine="h5netcdf")
    with pytest.raises(DifferentModelError, match="not saved by a skillfit model"):
        ScalingLawModel.load(foreign)


# ------------------------------------------------------------------------------ real sampling
def test_real_fit_tiny(real: ScalingLawModel) -> None:
    s = real.summary()
    # Published fits to these runs: E 1.69 (Hoffmann) / 1.82 (Epoch); exponents 0.28-0.37.
    assert 1.6 < s.loc["E", "mean"] < 2.0
    assert 0.25 < s.loc["alpha", "mean"] < 0.45 and 0.25 < s.loc["beta", "mean"] < 0.45
    d = real.diagnostics()
    assert d["chains"] == 2 and d["draws"] == 150 and d["divergences"] <= 2
    pred = real.predict([1e9, 7e10], [2e10, 1.4e12])
    assert ((pred["lower"] <= pred["median"]) & (pred["median"] <= pred["upper"])).all()
    chin = pred.iloc[1]
    assert 1.85 < chin["median"] < 2.1  # Chinchilla-70B: about 1.94-1.97 under published fits
    narrow = real.predict([7e10], [1.4e12], kind="mean")
    assert narrow["upper"].item() - narrow["lower"].item() < chin["upper"] - chin["lower"]
    opt = real.optimal_allocation(5.76e23)
    ratio = opt[opt.quantity == "tokens_per_param"].iloc[0]
    assert 5 < ratio["median"] < 80


def test_real_round_trip_and_seed(real: ScalingLawModel, tmp_path) -> None:
    loaded = ScalingLawModel.load(real.save(tmp_path / "real.nc"))
    xr.testing.assert_identical(loaded.posterior, real.posterior)
    pd.testing.assert_frame_equal(loaded.predict(1e10, 1e11), real.predict(1e10, 1e11))
    subset = real.fit_data
    again = ScalingLawModel(sampler_config=TINY).fit(subset, random_seed=7)
    xr.testing.assert_equal(again["posterior"].to_dataset(), real.posterior)


def test_nutpie_same_seed_same_posterior() -> None:
    subset = CHIN[~CHIN["excluded_by_epoch"]].iloc[::4]
    cfg = {"draws": 60, "tune": 60, "chains": 2, "nuts_sampler": "nutpie"}
    a = ScalingLawModel(sampler_config=cfg).fit(subset, random_seed=12)
    b = ScalingLawModel(sampler_config=cfg).fit(subset, random_seed=12)
    assert a.attrs["nuts_sampler"] == "nutpie"
    xr.testing.assert_equal(a["posterior"].to_dataset(), b["posterior"].to_dataset())


# ------------------------------------------------------------------------------ slow
@pytest.mark.slow
def test_parameter_recovery_simulated() -> None:
    """Simulate runs on the bundled (N, D) grid from a known law; the posterior recovers it."""
    truth = ChinchillaLaw(E=1.9, A=300.0, B=3000.0, a=0.32, b=0.38)
    rng = np.random.default_rng(2024)
    grid = CHIN[~CHIN["excluded_by_epoch"]][["params", "tokens"]].reset_index(drop=True)
    mu = np.log(truth.loss(grid["params"], grid["tokens"]))
    loss = np.exp(mu + 0.006 * rng.standard_t(5.0, size=len(grid)))
    sim = grid.assign(loss=loss)
    m = ScalingLawModel()
    m.fit(sim, random_seed=1)
    d = m.diagnostics()
    assert d["converged"], m.warnings(d)
    laws = m.posterior_laws()
    for name, true in [("E", truth.E), ("alpha", truth.a), ("beta", truth.b), ("A", truth.A),
                       ("B", truth.B)]:
        lo, med, hi = np.percentile(laws[name], [1, 50, 99])
        assert lo < true < hi, (name, lo, true, hi)
        rtol = 0.05 if name in ("E", "alpha", "beta") else 0.5
        assert abs(med - true) / true < rtol, (name, med, true)


@pytest.mark.slow
def test_bundled_law_posterior_matches_a_fresh_fit() -> None:
    """skillfit.scaling.POSTERIOR (the joint model's law = "posterior") is the posterior of a
    fresh fit of the bundled spec: means within 0.1 sd, sds within 10%, correlations within
    0.02 (Monte Carlo error of 4,000 draws; the same seed gives the same draws)."""
    from skillfit.scaling import POSTERIOR
    from skillfit.specs import load_spec

    spec = load_spec("chinchilla")
    model = spec.make_model()
    model.fit(spec.load_data(), random_seed=spec.sampler_config["random_seed"], predictive=False)
    fresh = model.law_posterior()
    assert (fresh.ref_params, fresh.ref_tokens) == pytest.approx(
        (POSTERIOR.ref_params, POSTERIOR.ref_tokens), rel=1e-6)
    sd_old = np.sqrt(np.diag(POSTERIOR.cov))
    sd_new = np.sqrt(np.diag(fresh.cov))
    np.testing.assert_allclose(fresh.mean, POSTERIOR.mean, atol=0.1 * sd_old)
    np.testing.assert_allclose(sd_new, sd_old, rtol=0.1)
    corr_old = np.asarray(POSTERIOR.cov) / np.outer(sd_old, sd_old)
    corr_new = np.asarray(fresh.cov) / np.outer(sd_new, sd_new)
    np.testing.assert_allclose(corr_new, corr_old, atol=0.02)
