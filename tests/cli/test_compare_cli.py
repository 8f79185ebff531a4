"""Tests for ``skillfit compare`` (in-process, mocked sampling: prior draws, not MCMC)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from skillfit.cli import main
from skillfit.compare import pareto_messages

pytestmark = pytest.mark.usefixtures("mock_pymc_sample")


def test_compare_two_links(tmp_path: Path, capsys) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", "--links", "threshold,independent", "--draws", "40", "--tune", "10",
                 "--chains", "2", "--seed", "2", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "PSIS-LOO" in stdout and "elpd" in stdout and "weight" in stdout
    assert "threshold: diagnostics" in stdout and "independent: diagnostics" in stdout
    table = pd.read_csv(out / "compare.csv", index_col="link")
    assert set(table.index) == {"threshold", "independent"}
    assert table["rank"].tolist() == [0, 1]
    assert table["elpd"].iloc[0] >= table["elpd"].iloc[1]
    assert table["weight"].sum() == pytest.approx(1.0, abs=1e-6)
    assert {"n_k_above_0.7", "max_pareto_k"} <= set(table.columns)


@pytest.mark.parametrize(("argv", "needle"), [
    (["--links", "threshold,probit"], "unknown link 'probit'"),
    (["--links", "threshold"], "at least two different links"),
    (["--chains", "0"], "--chains must be at least 1"),
])
def test_compare_bad_arguments(argv, needle, capsys) -> None:
    assert main(["compare", *argv]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0]


def test_pareto_messages() -> None:
    msgs = pareto_messages({
        "threshold": {"n_k_above_0.7": 0, "max_pareto_k": 0.4, "n_k_nan": 0, "n_obs": 34},
        "logistic": {"n_k_above_0.7": 3, "max_pareto_k": 1.2, "n_k_nan": 0, "n_obs": 34},
    })
    assert len(msgs) == 1 and msgs[0].startswith("logistic: 3 of 34 Skill-Mix cells have Pareto k > 0.7")


def test_occupied_out_folder_is_refused_before_any_fit(tmp_path: Path, capsys) -> None:
    """An --out that already holds a run must fail before minutes of sampling, not after."""
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "old.csv").write_text("an earlier run")
    for command in ("compare", "backtest"):
        assert main([command, "--out", str(out), "--draws", "10", "--chains", "2"]) == 1
        captured = capsys.readouterr()
        assert "already holds a run" in captured.err and "--force" in captured.err
        assert "fitting" not in captured.out
    assert [p.name for p in out.iterdir()] == ["old.csv"]
