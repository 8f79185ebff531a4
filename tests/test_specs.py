"""Spec keys owned by the models: [forecast] ci_prob (renamed from hdi_prob) and load_model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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


def test_user_catalog_and_losses_extend_the_bundled_ones(tmp_path) -> None:
    """A catalog CSV of three new chat models adds them to the bundled catalog (a row for a
    bundled LLM replaces it); losses likewise; bundled = false uses only the user's tables."""
    from skillfit import datasets

    cat = datasets.load("llm_catalog")
    row = cat[cat["llm"] == "LLaMA-2-7B-Chat"].iloc[0]
    mine = pd.DataFrame([
        {**row.to_dict(), "llm": f"New-{i}-Chat", "aliases": None} for i in range(3)
    ] + [{**row.to_dict(), "notes": "replaced by the user"}])
    mine.to_csv(tmp_path / "cat.csv", index=False)
    (tmp_path / "loss.csv").write_text("llm,corpus,unit,value\n"
                                       "New-0-Chat,hkust_average,bits/char,0.61\n")
    text = ('[model]\ntype = "skill_graph"\n[data]\ncatalog = "cat.csv"\n'
            'losses = "loss.csv"\n')
    (tmp_path / "s.toml").write_text(text)
    data = load_spec(tmp_path / "s.toml").load_data()
    got = data[data["table"] == "catalog"]
    assert len(got) == len(cat) + 3
    assert got["llm"].is_unique
    assert got.loc[got["llm"] == "LLaMA-2-7B-Chat", "notes"].tolist() == ["replaced by the user"]
    losses = data[data["table"] == "losses"]
    assert len(losses) == len(datasets.load("llm_losses")) + 1
    # only the user's tables: their whole catalog, one loss
    pd.concat([cat, mine.iloc[:3]]).to_csv(tmp_path / "cat.csv", index=False)
    datasets.load("skillmix").to_csv(tmp_path / "sm.csv", index=False)
    (tmp_path / "only.toml").write_text(text.replace("[data]\n", "[data]\nbundled = false\n")
                                        + 'skillmix = "sm.csv"\n')
    alone = load_spec(tmp_path / "only.toml").load_data()
    assert len(alone[alone["table"] == "catalog"]) == len(cat) + 3
    assert alone.loc[alone["table"] == "losses", "llm"].tolist() == ["New-0-Chat"]


def test_bundled_key_checked(tmp_path) -> None:
    def message(data: str) -> str:
        (tmp_path / "s.toml").write_text(f'[model]\ntype = "skill_graph"\n[data]\n{data}')
        with pytest.raises(SpecError) as exc:
            load_spec(tmp_path / "s.toml")
        return str(exc.value)

    where = tmp_path / "s.toml"
    assert message('bundled = "no"\ncatalog = "c.csv"\n') == (
        f"{where}: [data] bundled must be true or false, got 'no'")
    assert message('bundled = false\ncatalog = "c.csv"\n') == (
        f"{where}: [data] bundled = false uses only your tables: give skillmix = 'FILE.csv', "
        "losses = 'FILE.csv' too")
    assert message("bundled = true\n") == (
        f"{where}: [data] bundled = true needs dataset = \"bundled\" or skillmix/catalog/losses "
        "CSV paths")


def test_composition_csv_adds_a_benchmark(tmp_path) -> None:
    """[data] composition = FILE adds another benchmark's scores (a composition CSV, in
    percent refused with its fix); [model_config] benchmarks picks the ones to fit; a table the
    model cannot use is named by its file before any fitting."""
    from skillfit.errors import DataValidationError
    from skillfit.models.skill_graph import SkillGraphModel

    rows = "\n".join(f"bench-a,GPT-4,{k},all_met,{v},40" for k, v in ((1, 0.9), (2, 0.7)))
    (tmp_path / "comp.csv").write_text("benchmark,llm,k,metric,value,trials\n" + rows + "\n")
    text = '[model]\ntype = "skill_graph"\n[data]\ndataset = "bundled"\ncomposition = "comp.csv"\n'
    (tmp_path / "s.toml").write_text(text)
    spec = load_spec(tmp_path / "s.toml")
    data = spec.load_data()
    assert (data["table"] == "composition").sum() == 2
    assert len(data[data["table"] == "skillmix"]) == len(datasets.load("skillmix"))
    model = spec.make_model()
    model.build_model(data)
    assert model.benchmarks == ("skillmix", "bench-a")
    alone = load_spec(tmp_path / "s.toml")
    alone.model_config["benchmarks"] = ["bench-a"]
    one = alone.make_model()
    one.build_model(data)
    assert one.benchmarks == ("bench-a",) and one.inputs.llms == ["GPT-4"]
    assert isinstance(one, SkillGraphModel)
    # in percent: the file, the lines and the fix
    (tmp_path / "comp.csv").write_text("benchmark,llm,k,metric,value,trials\n"
                                       "bench-a,GPT-4,1,all_met,90,40\n"
                                       "bench-a,GPT-4,2,all_met,70,40\n")
    with pytest.raises(DataValidationError, match="looks like percent: divide by 100") as exc:
        spec.load_data()
    assert str(tmp_path / "comp.csv") in str(exc.value)
    # trials in some rows only: named by file, before any fitting
    (tmp_path / "comp.csv").write_text("benchmark,llm,k,metric,value,trials\n"
                                       "bench-a,GPT-4,1,all_met,0.9,\n"
                                       "bench-a,GPT-4,2,all_met,0.7,40\n")
    with pytest.raises(DataValidationError) as exc:
        spec.load_data()
    assert str(exc.value) == (f"{tmp_path / 'comp.csv'}: benchmark 'bench-a' has trials for "
                              "some of its all_met rows but not for GPT-4 k=1: give them for "
                              "every row, or for none (its rates are then fitted with a "
                              "precision the model estimates)")
    # no trials at all: loads
    (tmp_path / "comp.csv").write_text("benchmark,llm,k,metric,value\nbench-a,GPT-4,1,all_met,0.9\n")
    assert len(spec.load_data()) > 0
    # an LLM missing from the catalog: file and line
    (tmp_path / "comp.csv").write_text("benchmark,llm,k,metric,value,trials\n"
                                       "bench-a,Nobody,1,all_met,0.9,40\n")
    with pytest.raises(DataValidationError, match=r"comp\.csv.*line 2.*Nobody"):
        spec.load_data()
