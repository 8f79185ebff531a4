"""Tests for ``skillfit simulate`` (run in-process through skillfit.cli.main)."""

from __future__ import annotations

import pandas as pd
import pytest

import skillfit.cli as cli
from skillfit.cli import main

SMALL = ["simulate", "--skills", "100", "--text", "5000", "--degree", "6"]


@pytest.fixture(autouse=True)
def only_simulate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register only this sub-command so that other commands' modules cannot break these tests."""
    assert "simulate" in cli.COMMANDS
    monkeypatch.setattr(cli, "COMMANDS", ("simulate",))


def _table(out: str) -> pd.DataFrame:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["alpha"])
    rows = [line.split() for line in lines[start + 1 :] if line[:1] in (" ", "0", "1")]
    return pd.DataFrame(rows, columns=lines[start].split())


def test_default_run_prints_table_and_holds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "|S|=200 |T|=20000 degree=8" in out and "adversarial" in out
    table = _table(out)
    assert table["alpha"].astype(float).tolist() == [0.05, 0.1, 0.2]
    # ceilings with the graph's finite-size term |S|/|T| = 0.01 (0.676/0.450/0.307 without)
    assert "with the finite-size term, |S|/|T| = 0.01" in out
    assert table["bound_failure"].astype(float).round(3).tolist() == [0.678, 0.452, 0.308]
    emp = table["empirical_failure"].astype(float)
    assert (emp > 0.15).all() and (emp < table["bound_failure"].astype(float)).all()
    assert (table["holds"] == "True").all()
    assert "bound holds" in out


def test_same_seed_same_output_other_seed_differs(capsys) -> None:
    args = [*SMALL, "--failure", "random", "--alpha", "0.1"]
    assert main([*args, "--seed", "3"]) == 0
    a = capsys.readouterr().out
    assert main([*args, "--seed", "3"]) == 0
    b = capsys.readouterr().out
    assert main([*args, "--seed", "4"]) == 0
    c = capsys.readouterr().out
    assert a == b and a != c


def test_options_tuples_zipf_without_replacement(capsys) -> None:
    code = main(
        [*SMALL, "--k", "2", "--tuples", "300", "--pieces", "20", "--zipf", "1.0",
         "--without-replacement", "--target", "frequent", "--finite-size"]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "2-tuples (300 sampled)" in out and "measured by weights" in out
    assert "distinct, zipf s=1" in out and "theta_k=0.19" in out
    assert len(_table(out)) == 3


def test_out_writes_csv_atomically(tmp_path, capsys) -> None:
    dest = tmp_path / "sim.csv"
    dest.write_text("old content\n")
    assert main([*SMALL, "--alpha", "0.1", "0.2", "--out", str(dest)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {dest}" in out
    df = pd.read_csv(dest)
    assert df["alpha"].tolist() == [0.1, 0.2]
    assert {"empirical_failure", "bound_failure", "guaranteed_competence", "holds"} <= set(
        df.columns
    )
    assert df["holds"].all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sim.csv"]  # no temp file left


def test_no_finite_size_gives_the_paper_form(capsys) -> None:
    assert main(["simulate", "--no-finite-size"]) == 0
    out = capsys.readouterr().out
    assert "without the finite-size term" in out and "assumes |T| >> |S|" in out
    assert _table(out)["bound_failure"].astype(float).round(3).tolist() == [0.676, 0.450, 0.307]


def test_sparse_graph_rare_adversary_beats_only_the_paper_form(capsys) -> None:
    sparse = ["simulate", "--skills", "1000", "--text", "2000", "--degree", "2",
              "--theta", "0.05", "--alpha", "0.1", "--target", "rare"]
    assert main([*sparse, "--no-finite-size"]) == 0
    assert "bound VIOLATED at alpha = 0.1" in capsys.readouterr().out
    assert main(sparse) == 0
    out = capsys.readouterr().out
    assert "VIOLATED" not in out and "gives no guarantee" in out


@pytest.mark.parametrize(
    ("argv", "flag"),
    [
        (["--theta", "1.5"], "--theta"),
        (["--theta", "0"], "--theta"),
        (["--theta", "nan"], "--theta"),
        (["--degree", "0"], "--degree"),
        (["--alpha", "0.1", "1.2"], "--alpha"),
        (["--alpha", "0"], "--alpha"),
        (["--skills", "0"], "--skills"),
        (["--text", "5"], "--text"),
        (["--text", "100", "--theta", "0.001"], "--theta"),
        (["--zipf", "-1"], "--zipf"),
        (["--k", "0"], "--k"),
        (["--skills", "5", "--k", "6"], "--k"),
        (["--without-replacement", "--skills", "4"], "--degree"),
        (["--tuples", "0", "--k", "2"], "--tuples"),
        (["--pieces", "0", "--k", "2"], "--pieces"),
        (["--out", "/nonexistent-dir/x.csv"], "--out"),
    ],
)
def test_bad_values_exit_1_with_one_line(argv, flag, capsys) -> None:
    assert main(["simulate", *argv]) == 1
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and lines[0].startswith("skillfit simulate: error")
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize(
    "argv",
    [["--skills", "abc"], ["--failure", "worst"], ["--theta"], ["--target", "x"], ["--bogus"]],
)
def test_malformed_arguments_exit_2(argv, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["simulate", *argv])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_big_runs_report_stages_on_stderr(monkeypatch, capsys) -> None:
    import skillfit.cli.simulate as sim

    assert main(SMALL) == 0
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == ""  # small graphs: no stage lines
    monkeypatch.setattr(sim, "PROGRESS_EDGES", 5000 * 6)  # make SMALL count as big
    assert main(SMALL) == 0
    out, err = capsys.readouterr()
    assert out == quiet_out  # same results, stdout unchanged
    lines = err.splitlines()
    assert len(lines) == 5 and all(line.startswith("simulate: ") for line in lines)
    assert "drawing the skill graph: 5,000 text pieces x 6 skills" in lines[0]
    assert [a in lines[i + 1] for i, a in enumerate(("0.05", "0.1", "0.2"))] == [True] * 3
    assert "adversarial failure set for alpha=" in lines[1] and "done" in lines[-1]
    assert main([*SMALL, "--failure", "random", "--k", "2"]) == 0
    err = capsys.readouterr().err
    assert "random failure set, 2-tuple failure rates" in err and err.count("\n") == 3
