"""Spec keys owned by the models: [forecast] ci_prob (renamed from hdi_prob) and load_model."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

from skillfit import datasets
from skillfit.errors import DifferentModelError, SpecError
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.specs import load_model, load_spec, resolve_spec


def _joint_spec(tmp_path: Path, forecast_line: str) -> Path:
    text = resolve_spec("skillmix").read_text(encoding="utf-8")
    text = text.replace("ci_prob = 0.89", forecast_line)
    path = tmp_path / "spec.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_spec_uses_ci_prob() -> None:
    assert load_spec("skillmix").forecast["ci_prob"] == 0.89


def test_old_hdi_prob_key_says_it_was_renamed(tmp_path: Path) -> None:
    path = _joint_spec(tmp_path, "hdi_prob = 0.8")
    with pytest.raises(SpecError, match=r"\[forecast\] hdi_prob was renamed to ci_prob.*ci_prob = 0\.8"):
        load_spec(path)


@pytest.mark.parametrize("value", ["0", "1", "1.5", "true", "'x'"])
def test_bad_ci_prob(tmp_path: Path, value: str) -> None:
    with pytest.raises(SpecError, match=r"\[forecast\] ci_prob must be in \(0, 1\)"):
        load_spec(_joint_spec(tmp_path, f"ci_prob = {value}"))


@pytest.fixture(scope="module")
def saved(mock_pymc_sample, tmp_path_factory) -> Path:
    m = ScalingLawModel(sampler_config={"draws": 10, "chains": 2})
    m.fit(datasets.load("chinchilla"), random_seed=2)
    return m.save(tmp_path_factory.mktemp("run") / "fit.nc")


def test_load_model_passes_check_through(saved: Path, monkeypatch) -> None:
    assert isinstance(load_model(saved), ScalingLawModel)
    monkeypatch.setattr(ScalingLawModel, "version", "3")
    with pytest.raises(DifferentModelError, match=r"model version 2 .*reads version 3.*check=False"):
        load_model(saved)
    assert load_model(saved, check=False).idata.attrs["version"] == "2"


def test_load_model_corrupt_config_is_one_line(saved: Path, tmp_path: Path) -> None:
    with xr.open_datatree(saved, engine="h5netcdf") as tree:
        tree = tree.load().copy()
    tree.attrs["model_config"] = "{oops"
    bad = tmp_path / "bad.nc"
    tree.to_netcdf(bad, engine="h5netcdf")
    with pytest.raises(DifferentModelError, match=r"bad\.nc: attribute 'model_config' is not valid JSON") as info:
        load_model(bad)
    assert "\n" not in str(info.value)
