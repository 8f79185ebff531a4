"""Tests for ``skillfit forecast`` (in-process, mocked sampling: prior draws, not MCMC)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from skillfit.cli import main
from skillfit.cli.forecast import parse_compute, parse_llm, parse_scale
from skillfit.errors import SkillfitError

pytestmark = pytest.mark.usefixtures("mock_pymc_sample")
FAST = ["--draws", "20", "--tune", "20", "--chains", "2"]
FILES = ("posterior.nc", "summary.csv", "ppc.csv", "run.json", "forecast.csv", "diagnostics.json",
         "trace.png", "rank.png", "prior_predictive.png", "skillmix_kcurves.png",
         "forecast_fan.png", "forecast_fan_measured.png")


def _one_error_line(err: str, *needles: str) -> None:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fc") / "run"
    assert main(["forecast", "--out", str(out), *FAST]) == 0
    return out


def test_default_forecast_writes_run_folder(run_dir: Path) -> None:
    for name in FILES:
        assert (run_dir / name).is_file() and (run_dir / name).stat().st_size > 0, name
    table = pd.read_csv(run_dir / "forecast.csv")
    # one row per (benchmark, LLM, k): the measured score first, then the expected score, pi,
    # P(expected score >= 0.5) and the largest k with median pi >= 0.5
    assert list(table.columns) == [
        "benchmark", "llm", "k", "score_median", "score_lower", "score_upper",
        "expected_score_mean", "expected_score_median", "expected_score_lower",
        "expected_score_upper", "pi_mean", "pi_median", "pi_lower", "pi_upper",
        "P(expected_score>=0.5)", "k_max_pi50"]
    assert len(table) == 4 * 8 and set(table["benchmark"]) == {"skillmix"}
    assert (table["score_lower"] <= table["score_median"]).all()
    assert (table["score_median"] <= table["score_upper"]).all()
    assert list(dict.fromkeys(table["llm"])) == [
        "LLaMA-2-70B-Chat x10 compute", "LLaMA-2-70B-Chat x100 compute",
        "405B params, 15T tokens", "GPT-4 x10 compute"]
    assert table["k"].max() == 8  # the spec's k_max
    diag = json.loads((run_dir / "diagnostics.json").read_text())
    assert diag["draws"] == 20 and diag["chains"] == 2 and diag["random_seed"] == 20231027
    assert diag["link"] == "threshold" and "max_r_hat" in diag and isinstance(diag["warnings"], list)
    assert not [p for p in run_dir.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_printed_table(tmp_path: Path, capsys) -> None:
    out = tmp_path / "r"
    assert main(["forecast", "--out", str(out), *FAST, "--k-max", "3", "--no-plots",
                 "--llm", "big:4e11:1.5e13", "--compute", "1e25", "--scale", "GPT-4:10",
                 "--seed", "3", "--compute-for", "2:0.5:0.3"]) == 0
    stdout = capsys.readouterr().out
    for needle in ("big", "compute 1e+25 FLOP", "GPT-4 x10 compute", "pi [89%]",
                   "expected score [89%]", "measured /100 [89%]", "P(score>=0.5)", "largest k with median pi >= 0.5",
                   "diagnostics (", "max R-hat", "compute for P(pi_2 >= 0.5) >= 0.3", "divergences", f"wrote {out}"):
        assert needle in stdout, needle
    table = pd.read_csv(out / "forecast.csv")
    assert set(table["llm"]) == {"big", "compute 1e+25 FLOP", "GPT-4 x10 compute"}
    assert table["k"].max() == 3
    assert not (out / "forecast_fan.png").exists()
    assert json.loads((out / "diagnostics.json").read_text())["random_seed"] == 3


def test_from_run(run_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "again"
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(out), "--no-plots",
                 "--scale", "Xwin-LM-70B-V0.1:10"]) == 0
    stdout = capsys.readouterr().out
    assert "forecasting from" in stdout and "sampled in" not in stdout
    table = pd.read_csv(out / "forecast.csv")
    assert set(table["llm"]) == {"Xwin-LM-70B-V0.1 x10 compute"}
    # same posterior, same forecast: the saved run reproduces the original table's rows
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(tmp_path / "same"),
                 "--no-plots"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "same" / "forecast.csv"),
                                  pd.read_csv(run_dir / "forecast.csv"))


@pytest.mark.parametrize(("argv", "needles", "code"), [
    (["--draws", "0"], ["--draws must be at least 1"], 1),
    (["--k-max", "0"], ["--k-max must be at least 1"], 1),
    (["--k-max", "two"], ["invalid int value"], 2),
    (["--llm", "big:4e11"], ["NAME:PARAMS:TOKENS"], 1),
    (["--llm", "big:-4e11:1e12"], ["PARAMS must be a positive number"], 1),
    (["--compute=-1e24"], ["--compute must be a positive number"], 1),
    (["--compute-for", "2:1.5"], ["LEVEL, PROB in (0, 1)"], 1),
    (["--scale", "GPT-5:10"], ["unknown LLM 'GPT-5'", "did you mean 'GPT-4'"], 1),
    (["--ci-prob", "1.5"], ["--ci-prob must be a number in (0, 1)"], 1),
    (["--scale", "GPT-4"], ["LLM:FACTOR"], 1),
    (["--scale", "GPT-4:0"], ["FACTOR must be a positive number"], 1),
    (["chinchilla"], ["this command needs a skill_graph spec"], 1),
    (["nosuchspec"], ["unknown model spec 'nosuchspec'"], 1),
    (["--from-run", "/nonexistent/run"], ["no posterior.nc"], 1),
])
def test_bad_arguments_one_line(argv, needles, code, tmp_path: Path, capsys) -> None:
    if code == 2:  # argparse errors exit from the parser
        with pytest.raises(SystemExit) as exc:
            main(["forecast", "--out", str(tmp_path / "o"), *argv])
        assert exc.value.code == 2
    else:
        assert main(["forecast", "--out", str(tmp_path / "o"), *argv]) == code
    captured = capsys.readouterr()
    _one_error_line(captured.err, *needles)
    assert not (tmp_path / "o").exists()


def test_unwritable_out_dir(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["forecast", "--out", str(blocker), *FAST]) == 1
    _one_error_line(capsys.readouterr().err, "is not a folder")
    assert main(["forecast", "--out", str(blocker / "sub"), *FAST]) == 1
    _one_error_line(capsys.readouterr().err, "not a folder")


def test_parsers() -> None:
    assert parse_llm("a:b:1e9:2e10") == {"name": "a:b", "params": 1e9, "tokens": 2e10}
    assert parse_compute("1e25:20") == {"name": "compute 1e+25 FLOP, 20 tokens/param",
                                        "compute": 1e25, "tokens_per_param": 20.0}
    assert parse_scale("LLaMA-2-70B-Chat:10")["of"] == "LLaMA-2-70B-Chat"
    with pytest.raises(SkillfitError, match="must be a number"):
        parse_compute("lots")


def test_scale_accepts_catalog_aliases(run_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "alias"
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(out), "--no-plots",
                 "--scale", "llama2-70b-chat:10"]) == 0
    by_alias = pd.read_csv(out / "forecast.csv")
    canonical = pd.read_csv(run_dir / "forecast.csv")
    canonical = canonical[canonical["llm"] == "LLaMA-2-70B-Chat x10 compute"]
    columns = ["k", "score_median", "score_lower", "score_upper", "pi_median", "pi_lower",
               "pi_upper"]
    pd.testing.assert_frame_equal(by_alias[columns].reset_index(drop=True),
                                  canonical[columns].reset_index(drop=True))


def test_from_run_writes_a_new_folder_and_leaves_the_run_alone(run_dir: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()}
    assert main(["forecast", "--from-run", str(run_dir), "--no-plots", "--k-max", "2"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in run_dir.iterdir()} == before
    new = run_dir.parent / f"{run_dir.name}-forecast"
    assert pd.read_csv(new / "forecast.csv")["k"].max() == 2
    assert json.loads((new / "diagnostics.json").read_text())["from_run"] == str(run_dir)
    assert main(["forecast", "--from-run", str(run_dir), "--no-plots", "--k-max", "3"]) == 0
    assert pd.read_csv(run_dir.parent / f"{run_dir.name}-forecast-2" / "forecast.csv")["k"].max() == 3


def test_out_folder_holding_a_run_needs_force(run_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "mine"
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(out), "--no-plots"]) == 0
    (out / "stale.png").write_text("a plot of an earlier run")
    capsys.readouterr()
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(out), "--no-plots"]) == 1
    _one_error_line(capsys.readouterr().err, "already holds a run", "--force")
    assert (out / "stale.png").exists()
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(out), "--no-plots",
                 "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["diagnostics.json", "forecast.csv"]


def test_far_extrapolation_is_warned(run_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["forecast", "--from-run", str(run_dir), "--out", str(tmp_path / "w"),
                 "--no-plots", "--k-max", "2", "--compute", "1e30",
                 "--llm", "swapped:15e12:405e9"]) == 0
    warned = [ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("warning:")]
    assert any("compute 1e+30 FLOP" in ln and "outside the observed LLMs' range" in ln
               for ln in warned), warned
    assert any("swapped" in ln and "params and tokens swapped?" in ln for ln in warned), warned
    assert not any("LLaMA" in ln for ln in warned)


def test_failure_after_sampling_leaves_the_previous_run_untouched(run_dir: Path, tmp_path: Path,
                                                                  monkeypatch, capsys) -> None:
    """A failure after the fit (here: while drawing the plots) must not touch the old run,
    even with --force; a successful --force rerun then replaces it whole."""
    import shutil

    import skillfit.report as report

    old = tmp_path / "old"
    shutil.copytree(run_dir, old)
    (old / "stale_extra.txt").write_text("from an earlier run")
    before = {p.name: p.read_bytes() for p in old.iterdir()}

    def boom(*args, **kwargs):
        raise SkillfitError("disk full while drawing the fan chart")

    # the fit's own check plots are not what this test is about: skip them (they are slow)
    monkeypatch.setattr(report, "write_plots", lambda *args, **kwargs: [])
    monkeypatch.setattr(report, "write_forecast_plots", boom)
    assert main(["forecast", "--out", str(old), "--force", *FAST, "--k-max", "2"]) == 1
    assert "disk full" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in old.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    monkeypatch.setattr(report, "write_forecast_plots", lambda *args, **kwargs: [])
    assert main(["forecast", "--out", str(old), "--force", *FAST, "--k-max", "2"]) == 0
    assert not (old / "stale_extra.txt").exists()
    assert pd.read_csv(old / "forecast.csv")["k"].max() == 2


def _composition_spec(folder: Path, name: str, values: tuple, trials: int | None) -> Path:
    """A spec beside a composition CSV of benchmark ``name`` (GPT-4 and LLaMA-2-7B-Chat at
    k = 1, 2; ``trials`` per cell, or none), forecasting one LLM."""
    llms = ("GPT-4", "LLaMA-2-7B-Chat")
    cells = [(m, k, v) for m, vs in zip(llms, (values[:2], values[2:]), strict=True)
             for k, v in zip((1, 2), vs, strict=True)]
    tail = "" if trials is None else f",{trials}"
    rows = "\n".join(f"{name},{m},{k},all_met,{v}{tail}" for m, k, v in cells)
    head = "benchmark,llm,k,metric,value" + ("" if trials is None else ",trials")
    (folder / f"{name}.csv").write_text(head + "\n" + rows + "\n")
    spec = folder / "s.toml"
    spec.write_text(f'[model]\ntype = "skill_graph"\nname = "{name}"\n[data]\n'
                    f'dataset = "bundled"\ncomposition = "{name}.csv"\n[[forecast.llms]]\n'
                    'name = "big"\nparams = 7e10\ntokens = 2e12\n')
    return spec


def test_forecast_of_a_spec_with_another_benchmark(tmp_path: Path, capsys) -> None:
    """A spec with [data] composition: one printed block per benchmark, forecast.csv rows of
    both, the predictive check over every benchmark's cells; [forecast] benchmark picks one."""
    spec = _composition_spec(tmp_path, "bench-a", (0.9, 0.7, 0.5, 0.1), trials=40)
    out = tmp_path / "run"
    assert main(["forecast", str(spec), "--out", str(out), *FAST, "--k-max", "2"]) == 0
    stdout = capsys.readouterr().out
    # the k-curves, prior predictive check and fan charts of each benchmark
    for name in ("skillmix_kcurves.png", "bench-a_kcurves.png", "prior_predictive.png",
                 "prior_predictive_bench-a.png", "forecast_fan.png", "forecast_fan_bench-a.png",
                 "forecast_fan_measured_bench-a.png"):
        assert (out / name).stat().st_size > 0, name
    assert "== benchmark skillmix ==" in stdout and "== benchmark bench-a ==" in stdout
    assert "expected score = the benchmark's score (Skill-Mix: ratio of full marks)" in stdout
    assert "of the 38 observed cells (skillmix, bench-a) lie inside" in stdout
    table = pd.read_csv(out / "forecast.csv")
    assert table[["benchmark", "k"]].values.tolist() == [["skillmix", 1], ["skillmix", 2],
                                                         ["bench-a", 1], ["bench-a", 2]]
    spec.write_text(spec.read_text().replace("[[forecast.llms]]",
                                             '[forecast]\nbenchmark = "bench-a"\n[[forecast.llms]]'))
    assert main(["forecast", str(spec), "--out", str(tmp_path / "one"), *FAST, "--no-plots",
                 "--k-max", "2"]) == 0
    assert "==" not in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "one" / "forecast.csv")["benchmark"]) == {"bench-a"}


def test_forecast_of_a_benchmark_without_trials(tmp_path: Path, capsys) -> None:
    """Rates without trials: the fit's note gives the estimated precision and the rounding, the
    printed column is a measured rate, diagnostics.json holds the precision."""
    spec = _composition_spec(tmp_path, "bench-r", (0.9, 0.7, 0.5, 0.0), trials=None)
    out = tmp_path / "run"
    assert main(["forecast", str(spec), "--out", str(out), *FAST, "--k-max", "2",
                 "--no-plots"]) == 0
    stdout = capsys.readouterr().out
    note = [line for line in stdout.splitlines() if line.startswith("note: benchmark 'bench-r'")]
    assert len(note) == 1 and "(4 cells; 0 stands for below 0.05, 1 for above 0.95)" in note[0]
    assert "measured rate [89%]" in stdout and "measured /100 [89%]" in stdout
    diag = json.loads((out / "diagnostics.json").read_text())
    row = diag["rates_without_trials"][0]
    assert row["benchmark"] == "bench-r" and row["kappa_lower"] < row["kappa_upper"]
