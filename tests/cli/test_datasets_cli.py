"""``skillfit datasets`` and ``skillfit validate``, run in-process through the real entry point."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillfit import datasets
from skillfit.cli import main


def test_datasets_lists_names_with_row_counts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1] for line in out.splitlines()[1:] if line.strip()}
    assert rows["chinchilla"] == "245"
    assert rows["skillmix"] == "102"
    assert rows["llm_catalog"] == str(len(datasets.load("llm_catalog")))
    assert rows["llm_losses"] == str(len(datasets.load("llm_losses")))
    assert datasets.description("skillmix") in out


def test_datasets_preview_shows_shape_and_head(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "skillmix", "--rows", "4"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("skillmix: 102 rows x 9 columns (first 4 rows)")
    assert "LLaMA-2-7B-Chat" in out and "GPT-3.5-turbo" not in out  # its rows come later
    table_lines = out.split("\n\n", 1)[1].strip().splitlines()
    assert len(table_lines) == 1 + 4  # header + 4 rows


def test_datasets_all_prints_every_row(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "chinchilla", "--all"]) == 0
    out = capsys.readouterr().out
    table_lines = out.split("\n\n", 1)[1].strip().splitlines()
    assert len(table_lines) == 1 + 245


def test_datasets_datasheet(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "llm_losses", "--datasheet"]) == 0
    assert capsys.readouterr().out == datasets.datasheet("llm_losses")


def test_datasets_unknown_name_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["datasets", "mmlu"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "unknown dataset 'mmlu'" in err and "skillmix" in err


def test_validate_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "runs.csv"
    f.write_text("params,tokens,loss\n1e8,2e9,3.0\n2e8,4e9,2.8\n3e8,6e9,2.7\n")
    assert main(["validate", str(f), "--as", "chinchilla"]) == 0
    assert capsys.readouterr().out == f"OK: {f} is a valid chinchilla table (3 rows)\n"


def test_validate_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    f = datasets.path("skillmix")
    assert main(["validate", str(f), "--as", "skillmix"]) == 0
    assert "(102 rows)" in capsys.readouterr().out


def test_validate_warns_on_impossible_rates_and_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "scores.csv"
    f.write_text("llm,k,metric,value,trials\nA,2,ratio_of_full_marks,0.95,69\n"
                 "A,3,ratio_of_full_marks,0.66,100\n")
    assert main(["validate", str(f), "--as", "skillmix"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"OK: {f} is a valid skillmix table (2 rows)\n"
    assert captured.err.startswith(f"skillfit validate: warning: {f}: column 'value' ")
    assert captured.err.count("\n") == 1 and "at line 2 (value: '0.95 of 69')" in captured.err


def test_validate_bad_csv_names_column_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "scores.csv"
    f.write_text("llm,k,metric,value\nA,2,skill_fraction,0.5\nA,0,skill_fraction,0.2\n")
    assert main(["validate", str(f), "--as", "skillmix"]) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert str(f) in captured.err and "column 'k'" in captured.err and "line 3" in captured.err


def test_validate_missing_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "losses.csv"
    f.write_text("llm,corpus,value\nA,c,0.5\n")
    assert main(["validate", str(f), "--as", "llm_losses"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing column 'unit'" in err


def test_validate_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "absent.csv"
    assert main(["validate", str(f), "--as", "skillmix"]) == 1
    err = capsys.readouterr().err
    assert err == f"skillfit validate: error: {f}: file not found\n"


def test_validate_requires_a_known_kind(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["validate", str(tmp_path / "x.csv"), "--as", "mmlu"])
    assert exc.value.code == 2
    assert "invalid choice: 'mmlu'" in capsys.readouterr().err


def test_validate_composition_table_in_percent_says_divide_by_100(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A k-composition benchmark table given in percent: exit 1, one line naming the file, the
    column and the lines, and how to fix it; divided by 100 it passes."""
    f = tmp_path / "followbench.csv"
    f.write_text("benchmark,llm,k,metric,value\nfollowbench,A,1,all_met,91.0\n"
                 "followbench,A,5,all_met,38.5\n")
    assert main(["validate", str(f), "--as", "composition"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert f"{f}: column 'value' looks like percent: divide by 100" in captured.err
    assert "at lines 2, 3 (values: 91.0, 38.5)" in captured.err
    f.write_text("benchmark,llm,k,metric,value\nfollowbench,A,1,all_met,0.91\n"
                 "followbench,A,5,all_met,0.385\n")
    assert main(["validate", str(f), "--as", "composition"]) == 0
    assert capsys.readouterr().out == f"OK: {f} is a valid composition table (2 rows)\n"


def test_validate_composition_notes_what_the_model_cannot_fit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A valid composition table with trials in some of a benchmark's rows only passes, with a
    note naming the benchmark and cells the joint model cannot use; without trials, a note that
    the model estimates their precision; with trials, no note."""
    f = tmp_path / "mine.csv"
    f.write_text("benchmark,llm,k,metric,value,trials\nmine,GPT-4,1,all_met,0.9,40\n"
                 "mine,GPT-4,2,all_met,0.7,\n")
    assert main(["validate", str(f), "--as", "composition"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"OK: {f} is a valid composition table (2 rows)\n"
    assert captured.err == (f"skillfit validate: note: the joint model cannot fit it as it is: "
                            f"{f}: benchmark 'mine' has trials for some of its all_met rows but "
                            "not for GPT-4 k=2: give them for every row, or for none (its rates "
                            "are then fitted with a precision the model estimates)\n")
    f.write_text("benchmark,llm,k,metric,value\nmine,GPT-4,1,all_met,0.9\n")
    assert main(["validate", str(f), "--as", "composition"]) == 0
    assert capsys.readouterr().err == (
        "skillfit validate: note: benchmark 'mine' gives no trials: the joint model fits its "
        "rates with a precision it estimates (trials, where known, say more)\n")
    f.write_text("benchmark,llm,k,metric,value,trials\nmine,GPT-4,1,all_met,0.9,40\n")
    assert main(["validate", str(f), "--as", "composition"]) == 0
    assert capsys.readouterr().err == ""


def test_readme_example_benchmark_walk_through(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The README's made-up benchmark: refused as percent with the fix, then valid with no note
    once divided by 100, and it says it is made up."""
    import pandas as pd

    example = Path(__file__).resolve().parents[2] / "examples" / "made_up_benchmark.csv"
    assert main(["validate", str(example), "--as", "composition"]) != 0
    assert "looks like percent: divide by 100" in capsys.readouterr().err
    table = pd.read_csv(example)
    assert table["source"].str.startswith("made up").all()
    table["value"] /= 100
    mine = tmp_path / "my_benchmark.csv"
    table.to_csv(mine, index=False)
    assert main(["validate", str(mine), "--as", "composition"]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"OK: {mine} is a valid composition table (24 rows)\n"
    assert captured.err == ""
