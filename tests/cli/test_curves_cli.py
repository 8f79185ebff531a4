"""``skillfit curves``: printed table, Corollary 13 check, outputs, and argument errors."""

from __future__ import annotations

import pandas as pd
import pytest

from skillfit.cli import main
from skillfit.theory import guaranteed_competence


def test_curves_prints_table_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "curves"
    code = main(["curves", "--theta", "0.1", "--degree", "8", "--k", "1", "2",
                 "--alpha", "0.1", "0.2", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Corollary 13" in text and "x0.70" in text
    table = pd.read_csv(out / "curves.csv")
    row = table[(table.k == 1) & (table.alpha == 0.1)].iloc[0]
    assert row.guaranteed_competence == pytest.approx(guaranteed_competence(0.1, 8, 0.1))
    assert (out / "curves.png").stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_corollary13_linear_rows_are_exact(capsys):
    assert main(["curves", "--theta", "0.05", "--k", "2", "4", "--no-plot"]) == 0
    from skillfit.cli.curves import corollary13

    table = corollary13([0.05, 0.1], 8.0, [2, 4], [0.05, 0.1, 0.2])
    assert (table[table["mode"] == "linear"].max_abs_difference == 0).all()
    assert table.k_tuples_at_least_as_good.all()


@pytest.mark.parametrize(("argv", "needle"), [
    (["--theta", "1.5"], "--theta must be in (0, 1)"),
    (["--degree", "0"], "--degree must be a positive"),
    (["--k", "0"], "--k must be an integer >= 1"),
    (["--alpha", "0"], "--alpha must be in (0, 1)"),
])
def test_bad_arguments_one_line_nonzero(argv, needle, capsys):
    code = main(["curves", "--no-plot", *argv])
    err = capsys.readouterr().err
    assert code == 1
    assert needle in err and err.count("\n") == 1


def test_malformed_number_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["curves", "--theta", "abc"])
    assert exc.value.code == 2
    assert "invalid float value" in capsys.readouterr().err
