"""``skillfit curves``: printed table and its sources, Corollary 13, outputs, argument errors."""

from __future__ import annotations

import pandas as pd
import pytest

from skillfit.cli import main
from skillfit.theory import guaranteed_competence
from skillfit.theory.curves import CURVE_COLUMNS


def test_curves_prints_table_and_writes_outputs(tmp_path, capsys):
    out = tmp_path / "curves"
    code = main(["curves", "--theta", "0.1", "--degree", "8", "--k", "1", "2",
                 "--alpha", "0.1", "0.2", "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "Corollary 13 (an identity, not a test)" in text and "x0.70" in text
    table = pd.read_csv(out / "curves.csv")
    assert list(table.columns) == list(CURVE_COLUMNS)
    row = table[(table.k == 1) & (table.alpha == 0.1)].iloc[0]
    assert row.guaranteed_competence == pytest.approx(guaranteed_competence(0.1, 8, 0.1))
    assert row.source == "theorem"
    assert (out / "curves.png").stat().st_size > 10_000
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_markov_fills_the_gap_beyond_the_theorem(capsys):
    """The audit's example: 0.840 (theorem) then 0.900 (Markov), not a dash."""
    assert main(["curves", "--degree", "4", "--theta", "0.05", "--k", "1",
                 "--alpha", "0.3", "0.5", "--no-plot"]) == 0
    text = capsys.readouterr().out
    row = next(line for line in text.splitlines() if line.startswith("0.05"))
    assert row.split()[2:] == ["0.840", "T", "0.900", "M"]
    assert "–" not in row


def test_scaling_claim_is_printed_only_where_it_is_exact(capsys):
    assert main(["curves", "--no-plot", "--theta", "0.1", "--k", "2"]) == 0
    union = capsys.readouterr().out
    assert "theta = 1 - exp(-c·r) and union tuples" in union
    assert "k-tuples fare exactly like (0.49·k)-tuples before" in union
    assert main(["curves", "--no-plot", "--theta", "0.1", "--k", "2", "--mode", "linear"]) == 0
    linear = capsys.readouterr().out
    assert "fare exactly like" not in linear and "fall slightly short" in linear


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
