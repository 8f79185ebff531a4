"""Tests of the generic ModelBuilder (via a tiny Normal-mean model) and of the prior specs."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pandas as pd
import pymc as pm
import pytest
import xarray as xr

from skillfit import __version__
from skillfit.errors import DataValidationError, DifferentModelError, SkillfitError, SpecError
from skillfit.intervals import CI_PROB
from skillfit.models.base import ModelBuilder, default_nuts_sampler
from skillfit.models.priors import SUPPORTED, make_prior, validate_prior


from _mean_model import DATA, MeanModel  # noqa: E402  (tests/models is on sys.path)


# ------------------------------------------------------------------------------ priors
@pytest.mark.parametrize("dist", sorted(SUPPORTED))
def test_every_supported_prior_builds(dist: str) -> None:
    params = {"mu": 0.5, "sigma": 1.0, "lower": 0.0, "upper": 1.0, "alpha": 2.0, "beta": 2.0,
              "lam": 1.0, "nu": 3.0}
    required, optional = SUPPORTED[dist]
    spec = {"dist": dist, **{k: params[k] for k in required + optional}}
    with pm.Model() as m:
        make_prior("x", spec)
    assert np.isfinite(m.compile_logp()(m.initial_point()))


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        ({"dist": "Normall", "mu": 0, "sigma": 1}, "unknown distribution 'Normall'.*did you mean 'Normal'"),
        ({"dist": "Normal", "mean": 0, "sigma": 1}, "unknown parameter 'mean'.*did you mean 'mu'"),
        ({"dist": "Normal", "mu": 0}, "needs parameter.*sigma"),
        ({"dist": "HalfNormal", "sigma": -1}, "'sigma' must be > 0"),
        ({"dist": "Uniform", "lower": 1, "upper": 0}, "lower .* must be below upper"),
        ({"mu": 0}, "missing 'dist'"),
        ({"dist": "Normal", "mu": "a", "sigma": 1}, "must be a number"),
        (3.0, "expected a table"),
    ],
)
def test_bad_prior_spec(spec: Any, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        validate_prior("x", spec)


# ------------------------------------------------------------------------------ config
def test_prior_messages_word_for_word() -> None:
    """Each prior check's message in full (the lists of names, the failing value), a zero
    scale rejected and a negative one too, lower == upper rejected, and make_prior naming
    its variable."""
    def message(spec: Any) -> str:
        with pytest.raises(SpecError) as err:
            validate_prior("x", spec)
        return str(err.value)

    names = ("Normal, HalfNormal, LogNormal, TruncatedNormal, Gamma, Exponential, StudentT, "
             "Beta, Uniform")
    assert message({"mu": 0}) == f"prior 'x': missing 'dist' (one of {names})"
    assert message({"dist": "Cauchy"}).endswith(f"; supported: {names}")
    assert message({"dist": "TruncatedNormal", "mu": 0, "sigma": 1, "lo": 0}).endswith(
        "; allowed: mu, sigma, lower, upper")
    assert message({"dist": "Normal", "mu": "a", "sigma": 1}) == (
        "prior 'x': parameter 'mu' must be a number, got 'a'")
    assert message({"dist": "Normal", "mu": float("inf"), "sigma": 1}) == (
        "prior 'x': parameter 'mu' must be finite, got inf")
    assert message({"dist": "HalfNormal", "sigma": 0}) == (
        "prior 'x': parameter 'sigma' must be > 0, got 0.0")
    assert message({"dist": "HalfNormal", "sigma": -1}) == (
        "prior 'x': parameter 'sigma' must be > 0, got -1.0")
    assert message({"dist": "StudentT", "mu": 0}) == "prior 'x': StudentT needs parameter(s) nu, sigma"
    assert message({"dist": "Uniform", "lower": 1, "upper": 1}) == (
        "prior 'x': lower (1.0) must be below upper (1.0)")
    with pm.Model(), pytest.raises(SpecError) as err:
        make_prior("y", {"dist": "Normal", "mu": 0})
    assert str(err.value) == "prior 'y': Normal needs parameter(s) sigma"


def test_config_merge_and_defaults() -> None:
    m = MeanModel(model_config={"mu": {"dist": "Normal", "mu": 1, "sigma": 2}},
                  sampler_config={"draws": 7})
    assert m.model_config["mu"] == {"dist": "Normal", "mu": 1.0, "sigma": 2.0}
    assert m.model_config["sigma"] == {"dist": "HalfNormal", "sigma": 2.0}
    assert m.sampler_config["draws"] == 7 and m.sampler_config["tune"] == 50
    assert default_nuts_sampler() == "nutpie"


def test_unknown_model_config_key_suggests() -> None:
    with pytest.raises(SpecError, match=r"unknown model_config key 'sigm'.*did you mean 'sigma'.*valid keys: mu, sigma, center"):
        MeanModel(model_config={"sigm": {"dist": "HalfNormal", "sigma": 1}})


def test_bad_model_config_value_types() -> None:
    with pytest.raises(SpecError, match="'center' must be true or false"):
        MeanModel(model_config={"center": "yes"})
    with pytest.raises(SpecError, match="unknown parameter 'sd'"):
        MeanModel(model_config={"mu": {"dist": "Normal", "mu": 0, "sd": 1}})


@pytest.mark.parametrize(
    ("cfg", "match"),
    [
        ({"nut_sampler": "pymc"}, "unknown sampler_config key 'nut_sampler'.*did you mean 'nuts_sampler'"),
        ({"draws": 0}, "'draws' must be a positive integer"),
        ({"chains": 2.5}, "'chains' must be a positive integer"),
        ({"target_accept": 1.5}, r"'target_accept' must be in \(0, 1\)"),
        ({"nuts_sampler": "stan"}, "'nuts_sampler' must be"),
    ],
)
def test_bad_sampler_config(cfg: dict[str, Any], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        MeanModel(sampler_config=cfg)


def test_sample_kwargs_route_nuts_options() -> None:
    m = MeanModel(sampler_config={"target_accept": 0.95, "max_treedepth": 8})
    kw = m._sample_kwargs(3, False, {})
    assert kw["nuts"] == {"target_accept": 0.95, "max_treedepth": 8}
    assert "target_accept" not in kw and kw["random_seed"] == 3 and kw["progressbar"] is False
    with pytest.raises(SpecError, match="unknown sampler_config key 'draw'"):
        m._sample_kwargs(None, None, {"draw": 3})


def test_cores_default_to_available_cpus_per_chain(monkeypatch) -> None:
    """PyMC's default (cpu_count // 2) ran 4 chains one after another on 2 cores."""
    from skillfit.models import base

    monkeypatch.setattr(base, "available_cores", lambda: 2)
    assert MeanModel(sampler_config={"chains": 4})._sample_kwargs(1, False, {})["cores"] == 2
    monkeypatch.setattr(base, "available_cores", lambda: 16)
    assert MeanModel(sampler_config={"chains": 4})._sample_kwargs(1, False, {})["cores"] == 4
    # an explicit setting wins
    assert MeanModel(sampler_config={"chains": 4, "cores": 1})._sample_kwargs(1, False, {})["cores"] == 1
    # undo the patch: the real count is this process's affinity mask (cpu_count where none)
    monkeypatch.undo()
    expected = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count())
    assert base.available_cores() == expected


# ------------------------------------------------------------------------------ lifecycle
def test_accessors_before_fit_raise() -> None:
    m = MeanModel()
    for attr in ("idata", "posterior", "fit_data"):
        with pytest.raises(RuntimeError, match=r"call \.fit\(\) first"):
            getattr(m, attr)
    with pytest.raises(RuntimeError, match="build_model"):
        m.sample_prior_predictive()
    assert not m.is_fitted


def test_prior_predictive_before_fit() -> None:
    m = MeanModel()
    prior = m.sample_prior_predictive(DATA, samples=40, random_seed=1)
    assert prior["prior"]["mu"].shape == (1, 40)
    assert prior["prior_predictive"]["y"].shape == (1, 40, 30)
    assert m.prior_idata is prior and not m.is_fitted


def test_bad_data_names_column() -> None:
    with pytest.raises(DataValidationError, match="'y'"):
        MeanModel().fit(pd.DataFrame({"x": [1.0]}))


@pytest.fixture(scope="module")
def mocked_fit(mock_pymc_sample: None) -> MeanModel:
    m = MeanModel()
    m.fit(DATA, random_seed=11)
    return m


def test_fit_stamps_attrs_and_data(mocked_fit: MeanModel) -> None:
    idata = mocked_fit.idata
    assert isinstance(idata, xr.DataTree)
    assert idata.attrs["model_type"] == "test_mean"
    assert idata.attrs["skillfit_version"] == __version__
    assert idata.attrs["id"] == mocked_fit.id and len(mocked_fit.id) == 16
    assert json.loads(idata.attrs["model_config"]) == mocked_fit.model_config
    assert idata.attrs["random_seed"] == 11
    pd.testing.assert_frame_equal(mocked_fit.fit_data, DATA)
    assert idata["fit_data"]["y"].shape == (30,)
    assert set(mocked_fit.posterior.data_vars) >= {"mu", "sigma"}


def test_id_depends_on_config() -> None:
    a, b = MeanModel(), MeanModel(model_config={"center": True})
    assert a.id != b.id and a.id == MeanModel().id
    assert a.id == MeanModel(sampler_config={"draws": 3}).id  # sampler settings don't change the model


def test_summary_uses_explicit_interval(mocked_fit: MeanModel) -> None:
    table = mocked_fit.summary()
    label = f"eti{round(CI_PROB * 100)}"  # the package's one convention: 89% equal-tailed
    assert {f"{label}_lb", f"{label}_ub", "r_hat", "ess_bulk"} <= set(table.columns)
    assert set(table.index) == {"mu", "sigma"}
    hdi = mocked_fit.summary(["mu"], ci_prob=0.5, ci_kind="hdi")
    assert {"hdi50_lb", "hdi50_ub"} <= set(hdi.columns) and list(hdi.index) == ["mu"]
    with pytest.raises(SkillfitError, match="ci_kind"):
        mocked_fit.summary(ci_kind="quantile")


def test_compute_log_likelihood(mocked_fit: MeanModel) -> None:
    idata = mocked_fit.compute_log_likelihood()
    assert idata["log_likelihood"]["y"].shape[-1] == 30


def test_fit_stores_log_likelihood_and_posterior_predictive(mocked_fit: MeanModel) -> None:
    """ArviZ users expect az.loo and posterior predictive plots to work on a fitted model."""
    import arviz as az

    idata = mocked_fit.idata
    assert idata["log_likelihood"]["y"].shape == (2, 50, 30)
    assert idata["posterior_predictive"]["y"].shape == (2, 50, 30)
    assert "y" in idata["observed_data"]
    assert np.isfinite(az.loo(idata, var_name="y")["elpd"])
    again = MeanModel()
    again.fit(DATA, random_seed=11)  # same seed, same groups
    xr.testing.assert_equal(again.idata["posterior_predictive"].to_dataset(),
                            idata["posterior_predictive"].to_dataset())
    xr.testing.assert_equal(again.idata["log_likelihood"].to_dataset(),
                            idata["log_likelihood"].to_dataset())
    skipped = MeanModel()
    skipped.fit(DATA, random_seed=11, predictive=False)
    assert "log_likelihood" not in skipped.idata and "posterior_predictive" not in skipped.idata


def test_save_load_round_trip(mocked_fit: MeanModel, tmp_path) -> None:
    path = mocked_fit.save(tmp_path / "m.nc")
    loaded = MeanModel.load(path)
    xr.testing.assert_identical(loaded.posterior, mocked_fit.posterior)
    for group in ("log_likelihood", "posterior_predictive", "observed_data"):
        xr.testing.assert_identical(loaded.idata[group].to_dataset(),
                                    mocked_fit.idata[group].to_dataset())
    assert loaded.idata.attrs["version"] == MeanModel.version == "1"
    assert loaded.model_config == mocked_fit.model_config
    assert loaded.sampler_config == mocked_fit.sampler_config
    assert loaded.id == mocked_fit.id
    pd.testing.assert_frame_equal(loaded.fit_data, mocked_fit.fit_data)
    assert loaded.model is not None


def test_load_foreign_and_mismatched_files(mocked_fit: MeanModel, tmp_path) -> None:
    foreign = tmp_path / "foreign.nc"
    xr.DataTree(xr.Dataset({"a": ("x", np.arange(3.0))})).to_netcdf(foreign, engine="h5netcdf")
    with pytest.raises(DifferentModelError, match="not saved by a skillfit model"):
        MeanModel.load(foreign)
    text = tmp_path / "text.nc"
    text.write_text("hello")
    with pytest.raises(DifferentModelError, match="not a netCDF file"):
        MeanModel.load(text)
    with pytest.raises(SkillfitError, match="no such model file"):
        MeanModel.load(tmp_path / "missing.nc")

    path = mocked_fit.save(tmp_path / "m.nc")

    class OtherModel(MeanModel):
        _model_type = "other"

    with pytest.raises(DifferentModelError, match="holds a 'test_mean' model, not 'other'"):
        OtherModel.load(path)

    tampered = mocked_fit.idata.copy()
    tampered.attrs["model_config"] = json.dumps(
        {**mocked_fit.model_config, "center": True}, sort_keys=True)
    tampered.to_netcdf(tmp_path / "t.nc", engine="h5netcdf")
    with pytest.raises(DifferentModelError, match=r"does not match its configuration.*check=False"):
        MeanModel.load(tmp_path / "t.nc")
    assert MeanModel.load(tmp_path / "t.nc", check=False).model_config["center"] is True


def test_id_ignores_package_version_but_not_model_version(monkeypatch) -> None:
    """Saved runs survive releases: the id hashes the class's model version, not skillfit's."""
    from skillfit.models import io

    before = MeanModel().id
    monkeypatch.setattr(io, "__version__", "99.0")
    assert MeanModel().id == before

    class NextMeanModel(MeanModel):
        version = "2"

    assert NextMeanModel().id != before


def _rewrite(src, dst, **attrs: Any):
    """Copy a saved run with root attributes replaced (None deletes one)."""
    with xr.open_datatree(src, engine="h5netcdf") as tree:
        tree = tree.load().copy()
    for key, value in attrs.items():
        if value is None:
            del tree.attrs[key]
        else:
            tree.attrs[key] = value
    tree.to_netcdf(dst, engine="h5netcdf")
    return dst


def test_load_other_model_version(mocked_fit: MeanModel, tmp_path) -> None:
    path = mocked_fit.save(tmp_path / "m.nc")

    class NextMeanModel(MeanModel):
        version = "2"

    with pytest.raises(DifferentModelError) as info:
        NextMeanModel.load(path)
    message = str(info.value)
    assert "\n" not in message
    assert str(path) in message and "model version 1" in message
    assert f"skillfit {__version__}" in message and "reads version 2" in message
    assert "refit" in message and "check=False" in message
    loaded = NextMeanModel.load(path, check=False)  # best effort: the graph is the same here
    xr.testing.assert_identical(loaded.posterior, mocked_fit.posterior)
    # a file from before model versions were recorded
    old = _rewrite(path, tmp_path / "old.nc", version=None, skillfit_version="0.0.9")
    with pytest.raises(DifferentModelError, match=r"model version unknown \(skillfit 0\.0\.9\)"):
        MeanModel.load(old)


@pytest.mark.parametrize(
    ("attrs", "match"),
    [
        ({"model_config": "{not json"}, r"attribute 'model_config' is not valid JSON"),
        ({"model_config": "[1, 2]"}, r"attribute 'model_config' must be a JSON object"),
        ({"model_config": None}, r"no 'model_config' attribute"),
        ({"sampler_config": "garbage"}, r"attribute 'sampler_config' is not valid JSON"),
        ({"sampler_config": json.dumps({"draws": -3})}, r"'sampler_config'.*'draws' must be"),
        ({"random_seed": None}, r"attribute 'random_seed' must be an integer"),
        ({"random_seed": "seven"}, r"attribute 'random_seed' must be an integer"),
    ],
)
def test_load_corrupt_attribute_is_one_line(mocked_fit: MeanModel, tmp_path, attrs, match) -> None:
    path = _rewrite(mocked_fit.save(tmp_path / "m.nc"), tmp_path / "bad.nc", **attrs)
    for check in (True, False):
        with pytest.raises(DifferentModelError, match=match) as info:
            MeanModel.load(path, check=check)
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_load_fit_data_missing_column(mocked_fit: MeanModel, tmp_path) -> None:
    with xr.open_datatree(mocked_fit.save(tmp_path / "m.nc"), engine="h5netcdf") as tree:
        tree = tree.load().copy()
    tree["fit_data"] = tree["fit_data"].to_dataset().rename_vars({"y": "z"})
    tree.to_netcdf(tmp_path / "bad.nc", engine="h5netcdf")
    with pytest.raises(DifferentModelError, match=r"bad\.nc: group 'fit_data' is not valid.*'y'") as info:
        MeanModel.load(tmp_path / "bad.nc")
    assert "\n" not in str(info.value)


# ------------------------------------------------------------------------------ diagnostics
def _fake_fit(divergent: int, shift_chain: float = 0.0, draws: int = 500) -> MeanModel:
    import arviz as az

    rng = np.random.default_rng(0)
    mu = rng.normal(size=(4, draws))
    mu[0] += shift_chain
    div = np.zeros((4, draws), bool)
    div.flat[:divergent] = True
    m = MeanModel()
    m._idata = az.from_dict({"posterior": {"mu": mu, "sigma": np.abs(rng.normal(size=(4, draws)))},
                             "sample_stats": {"diverging": div}})
    return m


def test_diagnostics_clean() -> None:
    d = _fake_fit(0).diagnostics()
    assert d["divergences"] == 0 and d["max_r_hat"] < 1.01 and d["min_ess_bulk"] > 400
    assert d["converged"] and set(d["parameters"]) == {"mu", "sigma"}
    assert _fake_fit(0).warnings() == []
    json.dumps(d)  # serialisable


def test_diagnostics_problems_give_advice() -> None:
    m = _fake_fit(7, shift_chain=2.0, draws=100)
    d = m.diagnostics()
    assert d["divergences"] == 7 and d["max_r_hat"] > 1.01 and not d["converged"]
    assert d["worst_r_hat"] == "mu"
    text = " ".join(m.warnings(d))
    assert "7 of 400 draws diverged" in text and "target_accept" in text
    assert "R-hat" in text and "chains disagree" in text
    assert "bulk ESS" in text and "more draws" in text
