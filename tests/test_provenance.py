"""Reproducibility: saved runs record versions, seed, data hash and spec; the same seed gives
the same posterior and forecast table from the CLI and from the API."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillfit.cli import main
from skillfit.forecasting import forecast, forecast_by_k
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.provenance import PACKAGES, data_sha256, run_manifest, versions


def test_versions_name_every_package() -> None:
    v = versions()
    assert set(v) == {"python", *PACKAGES}
    assert v["pymc"].split(".")[0] == "6" and v["arviz"].split(".")[0] == "1"


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=2,
                max_size=20, unique=True))
def test_data_hash_sees_values_and_order_not_index(values: list[float]) -> None:
    df = pd.DataFrame({"x": values, "name": [f"m{i}" for i in range(len(values))]})
    h = data_sha256(df)
    assert h == data_sha256(df.set_axis(np.arange(len(df)) + 100))
    assert h != data_sha256(df.iloc[::-1])
    changed = df.copy()
    changed.loc[0, "x"] = np.nextafter(changed.loc[0, "x"], np.inf)  # one ulp is a change
    assert h != data_sha256(changed)


def test_fit_stamps_hash_and_versions_and_cli_writes_run_json(
        mock_pymc_sample, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main(["forecast", "--out", str(out), "--draws", "20", "--tune", "20", "--chains", "2",
                 "--seed", "5", "--no-plots"]) == 0
    manifest = json.loads((out / "run.json").read_text())
    model = SkillGraphModel.load(out / "posterior.nc")
    assert manifest["random_seed"] == 5 == model.idata.attrs["random_seed"]
    assert manifest["data_sha256"] == data_sha256(model.fit_data) == model.idata.attrs["data_sha256"]
    assert manifest["versions"] == json.loads(model.idata.attrs["versions"])
    assert manifest["spec"].endswith("skillmix.toml")
    assert manifest["spec_text"] == Path(manifest["spec"]).read_text(encoding="utf-8")
    assert manifest["model_config"]["link"] == "threshold"
    assert manifest["sampler_config"]["draws"] == 20
    assert manifest["command"].startswith("skillfit")
    assert run_manifest(model)["data_sha256"] == manifest["data_sha256"]


def test_forecast_table_same_from_cli_and_api(mock_pymc_sample, tmp_path: Path) -> None:
    """A saved run forecast by the CLI and by the API gives identical tables."""
    run = tmp_path / "run"
    assert main(["forecast", "--out", str(run), "--draws", "20", "--tune", "20", "--chains", "2",
                 "--seed", "9", "--no-plots", "--scale", "GPT-4:10", "--k-max", "4"]) == 0
    cli = pd.read_csv(run / "forecast.csv")
    model = SkillGraphModel.load(run / "posterior.nc")
    api = forecast(model, [{"name": "GPT-4 x10 compute", "of": "GPT-4", "factor": 10.0}],
                   k_max=4, ci_prob=0.89, score_at_least=[0.5])
    api = forecast_by_k(api).astype({"k": float})
    pd.testing.assert_frame_equal(cli, api, check_dtype=False, rtol=1e-12)
