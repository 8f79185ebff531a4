"""``skillfit predict RUN``: predictions from a saved scaling-law run (mocked sampling)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillfit.cli import main
from skillfit.specs import load_model

pytestmark = pytest.mark.usefixtures("mock_pymc_sample")
FAST = ["--draws", "30", "--tune", "10", "--chains", "2", "--no-plots"]


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pred") / "run"
    assert main(["fit", "chinchilla", "--out", str(out), "--seed", "3", *FAST]) == 0
    return out


def test_predict_by_size_matches_the_model_and_ignores_other_points(run: Path, tmp_path: Path,
                                                                     capsys) -> None:
    csv = tmp_path / "p.csv"
    assert main(["predict", str(run), "--params", "7e10", "1e9", "--tokens", "1.4e12", "2e10",
                 "--out", str(csv)]) == 0
    out = capsys.readouterr().out
    assert "loss of a new run: posterior median [89% equal-tailed interval]" in out
    table = pd.read_csv(csv)
    assert list(table.columns) == ["params", "tokens", "median", "lower", "upper"]
    expected = load_model(run / "posterior.nc").predict([7e10, 1e9], [1.4e12, 2e10])
    np.testing.assert_allclose(table["median"], expected["median"])
    assert main(["predict", str(run), "--params", "7e10", "--tokens", "1.4e12", "--out",
                 str(tmp_path / "one.csv")]) == 0
    alone = pd.read_csv(tmp_path / "one.csv")
    np.testing.assert_array_equal(alone.loc[0, ["median", "lower", "upper"]].to_numpy(float),
                                  table.loc[0, ["median", "lower", "upper"]].to_numpy(float))


def test_predict_compute_optimal_split(run: Path, capsys) -> None:
    assert main(["predict", str(run), "--compute", "1e21", "1e24", "--kind", "mean"]) == 0
    out = capsys.readouterr().out
    assert "compute-optimal split" in out and "tokens_per_param_median" in out
    assert "1e+24" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["--params", "1e9"], "--params and --tokens go together"),
    (["--params", "1e9", "2e9", "--tokens", "1e10", "2e10", "3e10"], "give as many of each"),
    (["--compute", "1e21", "--params", "1e9", "--tokens", "1e10"], "not both"),
    ([], "give --params and --tokens, or --compute"),
    (["--compute", "1e21", "--ci-prob", "2"], "--ci-prob must be a number in (0, 1)"),
])
def test_bad_arguments_one_line(run: Path, argv, needle, capsys) -> None:
    assert main(["predict", str(run), *argv]) == 1
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(err) == 1 and needle in err[0], err


def test_not_a_scaling_run(tmp_path: Path, capsys) -> None:
    assert main(["predict", str(tmp_path), "--compute", "1e21"]) == 1
    assert "no posterior.nc" in capsys.readouterr().err
