"""Tests for ``skillfit fit`` and ``skillfit diagnose`` (in-process, mocked sampling)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import skillfit.cli as cli
from skillfit.cli import main

pytestmark = pytest.mark.usefixtures("mock_pymc_sample")
FAST = ["--draws", "30", "--chains", "2", "--tune", "10"]


@pytest.fixture(autouse=True)
def only_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only these sub-commands so that other commands' modules cannot break these tests."""
    assert {"fit", "diagnose"} <= set(cli.COMMANDS)
    monkeypatch.setattr(cli, "COMMANDS", ("fit", "diagnose"))


def _one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_fit_writes_run_folder_and_diagnose_reads_it(tmp_path: Path, capsys) -> None:
    out = tmp_path / "run"
    assert main(["fit", "models/chinchilla.toml", "--out", str(out), "--seed", "4", *FAST]) == 0
    stdout = capsys.readouterr().out
    assert "diagnostics" in stdout and "max R-hat" in stdout and f"wrote {out}" in stdout
    for name in ("posterior.nc", "summary.csv", "diagnostics.json", "trace.png", "rank.png",
                 "ppc_loss_vs_compute.png", "posterior.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    diag = json.loads((out / "diagnostics.json").read_text())
    assert diag["random_seed"] == 4 and diag["draws"] == 30 and diag["n_rows_used"] == 240
    assert "E" in (out / "summary.csv").read_text()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left

    (out / "trace.png").unlink()
    assert main(["diagnose", str(out)]) == 0
    assert (out / "trace.png").is_file()
    assert "divergences" in capsys.readouterr().out


def test_bundled_name_and_no_plots(tmp_path: Path) -> None:
    assert main(["fit", "chinchilla", "--out", str(tmp_path), "--no-plots", *FAST]) == 0
    assert (tmp_path / "posterior.nc").is_file() and not (tmp_path / "trace.png").exists()


def _spec(tmp_path: Path, text: str) -> str:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return str(path)


GOOD = '[model]\ntype = "scaling_law"\n[data]\ndataset = "chinchilla"\n'


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        (GOOD + "[sampler_config]\nnut_sampler = 'pymc'\n", ["nut_sampler", "did you mean 'nuts_sampler'"]),
        (GOOD + "[model_config]\nalpah = {dist = 'Normal', mu = 0.3, sigma = 0.1}\n", ["alpah", "did you mean 'alpha'"]),
        (GOOD + "[model_config]\nE = {dist = 'Nomal', mu = 1.8, sigma = 0.1}\n", ["Nomal", "did you mean 'Normal'"]),
        (GOOD + "[ouput]\ndir = 'x'\n", ["[ouput]", "did you mean 'output'"]),
        (GOOD.replace("scaling_law", "scaling_laws"), ["scaling_laws", "did you mean 'scaling_law'"]),
        (GOOD + "[model\n", ["not valid TOML"]),
        ('[model]\ntype = "scaling_law"\n[data]\n', ["[data] needs exactly one"]),
        (GOOD.replace('dataset = "chinchilla"', 'path = "nope.csv"'), ["nope.csv"]),
    ],
)
def test_bad_spec_is_one_line_exit_1(tmp_path: Path, capsys, text: str, needles: list[str]) -> None:
    assert main(["fit", _spec(tmp_path, text), "--out", str(tmp_path / "o"), *FAST]) == 1
    _one_error_line(capsys.readouterr().err, "skillfit fit: error:", *needles)
    assert not (tmp_path / "o" / "posterior.nc").exists()


def test_missing_spec_file_and_unknown_name(tmp_path: Path, capsys) -> None:
    assert main(["fit", str(tmp_path / "missing.toml")]) == 1
    _one_error_line(capsys.readouterr().err, "no such spec file")
    assert main(["fit", "chinchila"]) == 1
    _one_error_line(capsys.readouterr().err, "unknown model spec 'chinchila'", "did you mean 'chinchilla'")


def test_unwritable_out_dir(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    assert main(["fit", "chinchilla", "--out", str(blocker / "sub"), *FAST]) == 1
    _one_error_line(capsys.readouterr().err, "is not a folder")
    assert main(["fit", "chinchilla", "--out", str(blocker), *FAST]) == 1
    _one_error_line(capsys.readouterr().err, "not a folder")


def test_diagnose_errors(tmp_path: Path, capsys) -> None:
    assert main(["diagnose", str(tmp_path / "nope")]) == 1
    _one_error_line(capsys.readouterr().err, "no such run folder")
    assert main(["diagnose", str(tmp_path)]) == 1
    _one_error_line(capsys.readouterr().err, "no posterior.nc")
    (tmp_path / "posterior.nc").write_text("not netcdf")
    assert main(["diagnose", str(tmp_path)]) == 1
    _one_error_line(capsys.readouterr().err, "not a netCDF file saved by skillfit")
