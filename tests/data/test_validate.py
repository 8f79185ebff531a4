"""Every error path of skillfit.data: the message must name source, column and row/line."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

from skillfit.data import (
    SCHEMAS,
    check_known_llms,
    read_csv,
    validate,
    validate_chinchilla,
    validate_composition,
    validate_llm_catalog,
    validate_llm_losses,
    validate_skillmix,
)
from skillfit.data.validate import whole_count_possible
from skillfit.errors import DataValidationError, DataWarning, SkillfitError


def raises(pattern: str) -> pytest.RaisesExc[DataValidationError]:
    """``pytest.raises(DataValidationError, match=pattern)``."""
    return pytest.raises(DataValidationError, match=pattern)


def chinchilla(**over: object) -> pd.DataFrame:
    data = {"params": [1e8, 2e8, 4e8], "tokens": [2e9, 4e9, 8e9], "loss": [3.1, 2.9, 2.7]}
    data.update(over)
    return pd.DataFrame(data)


def skillmix(**over: object) -> pd.DataFrame:
    data = {
        "llm": ["A", "A", "B"],
        "k": [2, 3, 2],
        "metric": ["ratio_of_full_marks"] * 3,
        "value": [0.5, 0.25, 0.1],
    }
    data.update(over)
    return pd.DataFrame(data)


def catalog(**over: object) -> pd.DataFrame:
    data = {
        "llm": ["Base-7B", "Base-7B-Chat", "Closed"],
        "family": ["F", "F", "G"],
        "base_model": [None, "Base-7B", None],
        "params": [7e9, 7e9, np.nan],
        "tokens": [2e12, 2e12, np.nan],
        "kind": ["base", "chat", "chat"],
    }
    data.update(over)
    return pd.DataFrame(data)


def losses(**over: object) -> pd.DataFrame:
    data = {
        "llm": ["A", "A", "B"],
        "corpus": ["c1", "c2", "c1"],
        "unit": ["bits/char", "bits/char", "bits/byte"],
        "value": [0.5, 0.6, 0.7],
    }
    data.update(over)
    return pd.DataFrame(data)


# --- valid input: cleaned dtypes ------------------------------------------------------------


def test_valid_tables_come_back_with_documented_dtypes() -> None:
    c = validate_chinchilla(chinchilla(params=["1e8", "2e8", "4e8"]))
    assert c["params"].dtype == np.float64 and c["params"].iloc[0] == 1e8
    assert c["flops"].tolist() == [6 * 1e8 * 2e9, 6 * 2e8 * 4e9, 6 * 4e8 * 8e9]
    s = validate_skillmix(skillmix(k=[2.0, 3.0, 2.0], n_combinations=[100, None, 100]))
    assert s["k"].dtype == np.int64
    assert str(s["n_combinations"].dtype) == "Int64" and s["n_combinations"].isna().sum() == 1
    cat = validate_llm_catalog(catalog())
    assert cat["base_model"].isna().tolist() == [True, False, True]
    assert list(validate_llm_losses(losses()).columns) == ["llm", "corpus", "unit", "value"]


def test_extra_columns_are_kept_after_the_known_ones() -> None:
    out = validate_llm_losses(losses(note=["x", "y", "z"], source=["s"] * 3))
    assert list(out.columns) == ["llm", "corpus", "unit", "value", "source", "note"]


def test_validate_does_not_modify_its_input() -> None:
    df = chinchilla(params=["1e8", "2e8", "4e8"])
    validate_chinchilla(df)
    assert df["params"].tolist() == ["1e8", "2e8", "4e8"] and "flops" not in df


def test_generic_validate_matches_specific_validators() -> None:
    pd.testing.assert_frame_equal(validate(skillmix(), "skillmix"), validate_skillmix(skillmix()))
    assert set(SCHEMAS) == {"chinchilla", "skillmix", "llm_catalog", "llm_losses", "composition"}


def test_unknown_kind_is_rejected() -> None:
    with raises("unknown table kind 'scores'"):
        validate(skillmix(), "scores")


def test_errors_are_skillfit_errors() -> None:
    assert issubclass(DataValidationError, SkillfitError)


# --- error paths ------------------------------------------------------------------------------


def test_missing_column() -> None:
    with raises(r"^mine: missing column 'loss'"):
        validate_chinchilla(chinchilla().drop(columns="loss"), source="mine")


def test_repeated_column_names() -> None:
    df = pd.DataFrame([[1e9, 1e10, 2.0, 3.0]], columns=["params", "tokens", "loss", "loss"])
    with raises("repeated column names: 'loss'"):
        validate_chinchilla(df)


def test_empty_table() -> None:
    with raises("DataFrame: is an empty table"):
        validate_skillmix(skillmix().iloc[:0])


@pytest.mark.parametrize("column", ["params", "tokens", "loss"])
def test_nan_in_required_column(column: str) -> None:
    df = chinchilla(**{column: [1.0, np.nan, 2.0]})
    with raises(rf"column '{column}' has missing values.* row 1$"):
        validate_chinchilla(df)


@pytest.mark.parametrize("column", ["params", "tokens", "loss", "flops"])
@pytest.mark.parametrize("bad", [0.0, -2.5])
def test_non_positive_values(column: str, bad: float) -> None:
    df = chinchilla(flops=[1e18, 1e18, 1e18])
    df.loc[2, column] = bad
    with raises(rf"column '{column}' must be > 0.*at row 2"):
        validate_chinchilla(df)


def test_inf_is_rejected() -> None:
    with raises(r"column 'loss' has infinite values at row 0"):
        validate_chinchilla(chinchilla(loss=[math.inf, 2.9, 2.7]))


def test_non_numeric_values_are_named() -> None:
    with raises(r"column 'tokens' has non-numeric values at row 1 \(value: 'lots'\)"):
        validate_chinchilla(chinchilla(tokens=[2e9, "lots", 8e9]))


@pytest.mark.parametrize("bad", [1.2, -0.01])
def test_score_outside_unit_interval(bad: float) -> None:
    with raises(r"column 'value' must lie in \[0, 1\].*row 1"):
        validate_skillmix(skillmix(value=[0.5, bad, 0.1]))


@pytest.mark.parametrize("bad, problem", [(0, "must be >= 1"), (-3, "must be >= 1"),
                                          (2.5, "must hold whole numbers")])
def test_bad_k(bad: float, problem: str) -> None:
    with raises(rf"column 'k' {problem}.*row 2"):
        validate_skillmix(skillmix(k=[2, 3, bad]))


def test_duplicate_key_rows() -> None:
    df = skillmix(llm=["A", "A", "A"], k=[2, 3, 2])
    with raises(r"duplicate rows on the key \(llm, k, metric\).*rows 0, 2"):
        validate_skillmix(df)


def test_duplicate_llm_in_catalog() -> None:
    with raises(r"key \(llm\).*rows 0, 1"):
        validate_llm_catalog(catalog(llm=["X", "X", "Y"], base_model=[None, None, None]))


def test_successes_above_trials() -> None:
    df = skillmix(successes=[3, 12, 1], trials=[10, 10, 10])
    with raises(r"column 'successes' exceeds 'trials' at row 1 \(value: '12 > 10'\)"):
        validate_skillmix(df)


def test_value_is_derived_from_counts_when_absent() -> None:
    df = skillmix(successes=[3, 0, 1], trials=[4, 5, 10]).drop(columns="value")
    assert validate_skillmix(df)["value"].tolist() == [0.75, 0.0, 0.1]


def test_value_cannot_be_derived_without_counts() -> None:
    df = skillmix(successes=[3, None, 1], trials=[4, 5, 10]).drop(columns="value")
    with raises(r"column 'value' is absent.*row 1"):
        validate_skillmix(df)


def test_negative_successes() -> None:
    with raises(r"column 'successes' must be >= 0.*row 0"):
        validate_skillmix(skillmix(successes=[-1, 0, 1], trials=[4, 5, 10]))


def test_unknown_metric_name() -> None:
    with raises(r"column 'metric' has unknown values.*row 1 \(value: 'accuracy'\)"):
        validate_skillmix(skillmix(metric=["skill_fraction", "accuracy", "skill_fraction"]))


def test_unknown_unit_name() -> None:
    allowed = r"\(allowed: bits/char, bits/byte, nats/token\)"
    with raises(rf"column 'unit' has unknown values {allowed} at row 2"):
        validate_llm_losses(losses(unit=["bits/char", "bits/char", "bpc"]))


def test_unknown_kind_of_llm() -> None:
    with raises(r"column 'kind' has unknown values.*row 1"):
        validate_llm_catalog(catalog(kind=["base", "rlhf", "chat"]))


def test_base_model_must_be_a_catalog_row() -> None:
    with raises(r"column 'base_model' names LLMs that are not rows.*row 1 \(value: 'Nope'\)"):
        validate_llm_catalog(catalog(base_model=[None, "Nope", None]))


def test_non_positive_params_in_catalog_but_nan_allowed() -> None:
    with raises(r"column 'params' must be > 0.*row 1"):
        validate_llm_catalog(catalog(params=[7e9, 0.0, np.nan]))


def test_bool_column_rejects_garbage() -> None:
    with raises(r"column 'excluded_by_epoch' must be true/false at row 0"):
        validate_chinchilla(chinchilla(excluded_by_epoch=["maybe", True, False]))


def test_bool_column_accepts_text_and_01() -> None:
    out = validate_chinchilla(chinchilla(excluded_by_epoch=["True", 0, "false"]))
    assert out["excluded_by_epoch"].dtype == bool
    assert out["excluded_by_epoch"].tolist() == [True, False, False]


def test_dataframe_rows_are_named_by_index_label() -> None:
    df = chinchilla(loss=[3.0, -1.0, 2.0])
    df.index = ["a", "b", "c"]
    with raises(r"at row b \(value: -1.0\)"):
        validate_chinchilla(df)


def test_many_bad_rows_are_summarised() -> None:
    df = pd.DataFrame({"params": [-1.0] * 9, "tokens": [1.0] * 9, "loss": [1.0] * 9})
    with raises(r"rows 0, 1, 2, 3, 4 and 4 more"):
        validate_chinchilla(df)


def test_check_known_llms() -> None:
    check_known_llms(skillmix(llm=["Base-7B"] * 3), catalog())
    with raises(r"^scores: column 'llm' names LLMs missing from the catalogue at rows 0, 1"):
        check_known_llms(skillmix(llm=["Q", "Q", "Base-7B"]), catalog(), "scores")


# --- files: errors name the file and the 1-based CSV line ------------------------------------


def test_read_csv_reports_file_and_line(tmp_path) -> None:
    f = tmp_path / "scores.csv"
    f.write_text("llm,k,metric,value\nA,2,skill_fraction,0.5\nA,3,skill_fraction,1.5\n")
    with raises(rf"^{re.escape(str(f))}: column 'value' must lie in \[0, 1\].* at line 3 "):
        read_csv(f, "skillmix")


def test_read_csv_valid_file(tmp_path) -> None:
    f = tmp_path / "runs.csv"
    f.write_text("params,tokens,loss\n1e8,2e9,3.0\n2e8,4e9,2.8\n")
    out = read_csv(f, "chinchilla")
    assert out.shape == (2, 4) and out["flops"].iloc[1] == 6 * 2e8 * 4e9


def test_read_csv_missing_file(tmp_path) -> None:
    f = tmp_path / "nope.csv"
    with raises(rf"{re.escape(str(f))}: file not found"):
        read_csv(f, "skillmix")


def test_read_csv_empty_file(tmp_path) -> None:
    f = tmp_path / "empty.csv"
    f.write_text("")
    with raises(rf"{re.escape(str(f))}: is empty"):
        read_csv(f, "skillmix")


def test_read_csv_header_only(tmp_path) -> None:
    f = tmp_path / "header.csv"
    f.write_text("llm,corpus,unit,value\n")
    with raises(rf"{re.escape(str(f))}: is an empty table"):
        read_csv(f, "llm_losses")


def test_read_csv_ragged_file(tmp_path) -> None:
    f = tmp_path / "ragged.csv"
    f.write_text("llm,corpus,unit,value\nA,c,bits/char,0.5\nA,c,bits/char,0.5,9,9\n")
    with raises(rf"{re.escape(str(f))}: not a readable CSV file.*line 3"):
        read_csv(f, "llm_losses")


def test_read_csv_binary_file(tmp_path) -> None:
    f = tmp_path / "bin.csv"
    f.write_bytes(b"\xff\xfe\x00\x81\x00garbage")
    with raises(rf"{re.escape(str(f))}: not a UTF-8 text file"):
        read_csv(f, "llm_losses")


def test_rows_without_bookkeeping_columns_can_be_appended() -> None:
    """Rows with only the documented columns get the bookkeeping defaults (False) and the
    derived columns (flops = 6·N·D, value = successes/trials) per row."""
    from skillfit import datasets

    chin = datasets.load("chinchilla")
    out = validate_chinchilla(pd.concat(
        [chin, pd.DataFrame([{"params": 1e9, "tokens": 2e10, "loss": 2.5}])], ignore_index=True))
    last = out.iloc[-1]
    assert last["flops"] == 6 * 1e9 * 2e10 and last["excluded_by_epoch"] is np.False_
    assert out["excluded_by_epoch"].dtype == bool
    assert out["flops"].iloc[:-1].tolist() == chin["flops"].tolist()  # given values kept

    sm = datasets.load("skillmix")
    row = {"llm": "GPT-4", "k": 7, "metric": "skill_fraction", "successes": 3, "trials": 40}
    out = validate_skillmix(pd.concat([sm, pd.DataFrame([row])], ignore_index=True))
    assert out["value"].iloc[-1] == 3 / 40 and not out["n_combinations_derived"].iloc[-1]
    assert out["value"].iloc[:-1].tolist() == sm["value"].tolist()
    row["successes"] = None  # no score and no count to derive it from
    with raises(r"column 'value' is absent and cannot be derived.*row 102"):
        validate_skillmix(pd.concat([sm, pd.DataFrame([row])], ignore_index=True))


# --- rates that no whole count gives: a warning naming the rows --------------------------------


def test_whole_count_possible_by_hand() -> None:
    # 0.95 of 69: 65/69 = 0.942, 66/69 = 0.957, both more than 0.005 away; 95/100 exact
    assert whole_count_possible(np.array([0.95, 0.95]), np.array([69, 100])).tolist() == [
        False, True]
    # precision is the column's: 0.4 beside 0.95 means 0.40, and 28/69 = 0.4058 misses it;
    # alone, 0.4 means 0.35..0.45 and 28/69 is inside
    assert not whole_count_possible(np.array([0.4, 0.95]), np.array([69, 100]))[0]
    assert whole_count_possible(np.array([0.4]), np.array([69])).tolist() == [True]
    # the boundary is inclusive: 1/8 = 0.125 rounds to 0.12 or 0.13 (half either way)
    assert whole_count_possible(np.array([0.12, 0.13]), np.array([8, 8]), 2).tolist() == [
        True, True]
    assert not whole_count_possible(np.array([0.12]), np.array([8]), 3)[0]
    # 1/3 at full precision is a count out of 3; 0.3333 is at 4 decimals, 0.3334 is not; and
    # beside a full-precision 1/3, 0.3333 is read at 12 decimals
    assert whole_count_possible(np.array([1 / 3]), np.array([3])).tolist() == [True]
    assert whole_count_possible(np.array([0.3333, 0.3334]), np.array([3, 3])).tolist() == [
        True, False]
    assert whole_count_possible(np.array([1 / 3, 0.3333]), np.array([3, 3])).tolist() == [
        True, False]


def test_impossible_rates_warn_naming_the_lines(tmp_path) -> None:
    path = tmp_path / "sm.csv"
    path.write_text("llm,k,metric,value,n_combinations\n"
                    "A,2,ratio_of_full_marks,0.95,69\n"      # impossible
                    "A,2,ratio_of_all_skills,0.94,69\n"      # 65/69 = 0.942
                    "A,2,skill_fraction,0.95,69\n"           # out of 138 skill points: 131
                    "B,2,ratio_of_full_marks,0.40,69\n"      # impossible
                    "B,2,ratio_of_all_skills,0.40,100\n")
    with pytest.warns(DataWarning) as record:
        out = read_csv(path, "skillmix")
    assert len(out) == 5 and len(record) == 1  # still returned, one warning for the table
    msg = str(record[0].message)
    assert msg.startswith(f"{path}: column 'value'") and "at lines 2, 5 " in msg
    assert "'0.95 of 69', '0.40 of 69'" in msg and "2 decimals" in msg


def test_trials_win_over_n_combinations_and_successes_are_not_checked() -> None:
    df = skillmix(value=[0.95, 0.95, 0.5], n_combinations=[69, 69, 69], trials=[100, None, None],
                  successes=[None, None, 1])
    with pytest.warns(DataWarning, match=r"at row 1 \(value: '0.95 of 69'\)$"):
        validate_skillmix(df.assign(trials=df["trials"].astype("Int64"),
                                    successes=df["successes"].astype("Int64")))


def test_possible_rates_do_not_warn() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        validate_skillmix(skillmix(n_combinations=[100, 4, 10]))  # 0.5, 0.25, 0.1
        validate_skillmix(skillmix())                             # no trials at all


# ----------------------------------------------------------------------------- composition
def composition_csv(tmp_path, rows: str) -> object:
    path = tmp_path / "bench.csv"
    path.write_text("benchmark,llm,k,metric,value,trials\n" + rows)
    return path


def test_composition_percent_values_say_divide_by_100(tmp_path) -> None:
    """A value column in percent is named as such, with the lines; a fraction column with one
    value above 100 (or below 0) is not called percent."""
    path = composition_csv(tmp_path, "ifb,A,1,all_met,0.875,40\nifb,A,3,all_met,42.5,40\n"
                                     "ifb,B,3,all_met,87.5,40\n")
    with pytest.raises(DataValidationError) as exc:
        read_csv(path, "composition")
    assert str(exc.value) == (
        f"{path}: column 'value' looks like percent: divide by 100 (values must lie in [0, 1]); "
        "values above 1 at lines 3, 4 (values: 42.5, 87.5)")
    for bad in ("142.5", "-2.5"):
        df = pd.DataFrame({"benchmark": ["b"] * 2, "llm": ["A", "B"], "k": [1, 2],
                           "metric": ["all_met"] * 2, "value": [50.0, float(bad)]})
        with pytest.raises(DataValidationError) as exc:
            validate_composition(df)
        assert str(exc.value).startswith("DataFrame: column 'value' must lie in [0, 1]")
    # the same hint for a Skill-Mix table in percent
    with pytest.raises(DataValidationError, match="looks like percent: divide by 100"):
        validate_skillmix(skillmix(value=[30.0, 12.0, 5.0]))


def test_composition_schema_checks_metric_key_and_trials(tmp_path) -> None:
    ok = validate_composition(pd.DataFrame({
        "benchmark": ["fb", "fb", "fb"], "llm": ["A", "A", "A"], "k": [1, 2, 2],
        "metric": ["all_met", "all_met", "fraction_met"], "value": [0.9, 0.5, 0.75]}))
    assert ok["k"].dtype == "int64" and "trials" not in ok  # trials may be unknown
    with pytest.raises(DataValidationError) as exc:
        validate_composition(ok.assign(metric=["all_met", "hard", "soft"]))
    assert str(exc.value) == ("DataFrame: column 'metric' has unknown values (allowed: all_met, "
                              "fraction_met, full_marks) at rows 1, 2 (values: 'hard', 'soft')")
    with raises(r"duplicate"):
        validate_composition(ok.assign(metric="all_met"))
    with raises(r"column 'trials' must be >= 1"):
        validate_composition(ok.assign(trials=[10, 0, 4]))
    # a rate no whole count out of the trials rounds to; fraction_met counts k per item
    path = composition_csv(tmp_path, "fb,A,2,all_met,0.5,7\nfb,A,2,fraction_met,0.5,7\n"
                                     "fb,A,3,all_met,0.25,8\n")
    with pytest.warns(DataWarning) as record:
        read_csv(path, "composition")
    assert len(record) == 1
    msg = str(record[0].message)
    assert msg.startswith(f"{path}: column 'value' holds rates that no whole count")
    assert "at line 2 (value: '0.50 of 7')" in msg


def test_skillmix_reads_into_composition_and_back() -> None:
    """The bundled table: benchmark skillmix, metrics renamed, trials 100, generations 3,
    grader and source kept, and back unchanged; user rows with successes/trials too."""
    from skillfit import datasets
    from skillfit.data.composition import from_skillmix, to_skillmix

    sm = datasets.load("skillmix")
    comp = from_skillmix(sm)
    assert len(comp) == len(sm) == 102 and set(comp["benchmark"]) == {"skillmix"}
    gpt4 = comp[(comp["llm"] == "GPT-4") & (comp["k"] == 4)].set_index("metric")
    assert gpt4["value"].to_dict() == {"full_marks": 0.48, "all_met": 0.5, "fraction_met": 0.85}
    assert set(comp["trials"]) == {100} and set(comp["generations"]) == {3}
    assert set(comp["grader"]) == {"GPT-4"}
    pd.testing.assert_frame_equal(to_skillmix(comp), sm)
    user = validate_skillmix(skillmix(value=[0.5, 0.25, 0.1]).assign(
        successes=pd.array([5, None, None], "Int64"), trials=pd.array([10, None, None], "Int64"),
        n_combinations=pd.array([None, 4, 10], "Int64")))
    back = to_skillmix(from_skillmix(user))
    pd.testing.assert_frame_equal(back[user.columns], user)
    assert from_skillmix(user)["trials"].tolist() == [10, 4, 10]


def test_one_value_above_1_among_shares_is_not_called_percent() -> None:
    """Most non-zero values above 1 make a column percent; a stray 1.5 among shares is a bad
    value like any other, named as such."""
    with pytest.raises(DataValidationError) as exc:
        validate_skillmix(skillmix(value=[0.3, 1.5, 0.05]))
    assert "must lie in [0, 1]; bad values at row 1 (value: 1.5)" in str(exc.value)
    with pytest.raises(DataValidationError, match="looks like percent"):
        validate_skillmix(skillmix(value=[0.0, 12.0, 5.0]))  # zeros do not count either way


def test_composition_conversions_name_their_source() -> None:
    """from_skillmix and to_skillmix validate what they read and what they return, naming the
    table in every error and warning: by default 'skillmix table' and 'composition table',
    else the source given. A rate no whole count out of 10 trials gives (0.33) warns from
    both validations; every warning names the source."""
    from skillfit.data.composition import from_skillmix, to_skillmix

    sm = skillmix(value=[0.5, 0.33, 0.1], n_combinations=[10, 10, 10])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        comp = from_skillmix(sm)
    for convert, table, default in ((from_skillmix, sm, "skillmix table"),
                                    (to_skillmix, comp, "composition table")):
        bad = table.assign(value=[0.5, 1.5, 0.1])
        for given, name in (({}, default), ({"source": "mine.csv"}, "mine.csv")):
            with pytest.raises(DataValidationError) as err:
                convert(bad, **given)
            assert str(err.value) == (
                f"{name}: column 'value' must lie in [0, 1]; bad values at row 1 (value: 1.5)")
            with warnings.catch_warnings(record=True) as record:
                warnings.simplefilter("always")
                convert(table, **given)
            assert record and {w.category for w in record} == {DataWarning}
            assert {str(w.message).split(": column 'value' holds rates")[0]
                    for w in record} == {name}
