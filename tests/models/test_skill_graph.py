"""SkillGraphModel: data assembly, graph, links, bad input, save/load (mocked sampling)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pymc as pm
import pytensor.tensor as pt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymc.testing import mock_sample
from scipy import stats

from skillfit import datasets, theory
from skillfit.errors import DataValidationError, DifferentModelError, SpecError
from skillfit.models.links import link_probability
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.models.skill_graph_data import assemble, combine, split


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return datasets.load("skillmix"), datasets.load("llm_catalog"), datasets.load("llm_losses")


@pytest.fixture(scope="module")
def mocked() -> Iterator[SkillGraphModel]:
    """A model 'fitted' with prior draws (pm.sample mocked only while fitting)."""
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(sampler_config={"draws": 30, "chains": 2})
        model.fit(random_seed=3)
    finally:
        pm.sample = original
    yield model


def test_assemble_bundled_tables(tables):
    x = assemble(*tables)
    assert len(x.llms) == 10 and len(x.cell_k) == 34
    # successes = round(value * n), n = 100: GPT-4 k=5 0.12 -> 12, k=2 0.95 -> 95
    gpt4 = np.array(x.llms)[x.cell_llm] == "GPT-4"
    assert x.cell_n.tolist() == [100] * 34
    assert x.cell_successes[gpt4 & (x.cell_k == 5)].tolist() == [12]
    assert x.cell_successes[gpt4 & (x.cell_k == 2)].tolist() == [95]
    # chat models point to their base; closed models are their own base
    b = x.bases[x.base_of_llm[x.llms.index("Xwin-LM-70B-V0.1")]]
    assert b == "Llama-2-70B"
    assert x.own_loss_llm[x.llms.index("GPT-4")] and not x.own_loss_llm[x.llms.index("LLaMA-2-7B-Chat")]
    assert np.isnan(x.log_params[x.bases.index("GPT-4")])


@pytest.mark.parametrize("row", [
    {"llm": "GPT-4", "k": 7, "metric": "ratio_of_full_marks", "value": 0.05, "n_combinations": 40},
    {"llm": "Xwin-LM-70B-V0.1", "k": 6, "metric": "ratio_of_full_marks", "successes": 3,
     "trials": 40},
])
def test_rows_with_documented_columns_only_can_be_appended(tables, row):
    """A user row without the bundled table's bookkeeping columns (n_combinations_derived,
    grader, generations, source) validates, assembles and builds the model."""
    from skillfit.data import validate_skillmix

    sm = pd.concat([tables[0], pd.DataFrame([row])], ignore_index=True)
    clean = validate_skillmix(sm)
    assert not clean["n_combinations_derived"].iloc[-1]  # the bookkeeping default
    x = assemble(sm, tables[1], tables[2])
    assert len(x.cell_k) == 35 and x.cell_k[-1] == row["k"]
    assert x.cell_n[-1] == 40 and x.cell_successes[-1] == row.get("successes", 2)  # 0.05 * 40
    model = SkillGraphModel().build_model(combine(sm, *tables[1:]))
    assert len(model.coords["cell"]) == 35
    # and as a saved run's fit_data group reads it back
    from skillfit.models.io import dataset_to_frame, frame_to_dataset

    stored = dataset_to_frame(frame_to_dataset(combine(sm, *tables[1:])))
    again = assemble(*split(stored))
    np.testing.assert_array_equal(again.cell_successes, x.cell_successes)


def test_cell_without_any_count_is_named(tables):
    row = {"llm": "GPT-4", "k": 7, "metric": "ratio_of_full_marks", "value": 0.05}
    sm = pd.concat([tables[0], pd.DataFrame([row])], ignore_index=True)
    with pytest.raises(DataValidationError, match="no n_combinations or trials for GPT-4 k=7"):
        assemble(sm, tables[1], tables[2])


def test_cell_counts_from_successes_and_trials_first(tables):
    """A row's counts are its successes out of trials when both are given (even beside an
    n_combinations and a rounded rate that disagree); else n_combinations, else trials, with
    round(value * n) successes. Missing counts are named, the first five, word for word."""
    rows = [
        {"llm": "GPT-4", "k": 7, "metric": "ratio_of_full_marks", "value": 0.1,
         "successes": 3, "trials": 40, "n_combinations": 100},  # 3 of 40, not 10 of 100
        {"llm": "GPT-4", "k": 8, "metric": "ratio_of_full_marks", "value": 0.1,
         "successes": 3, "n_combinations": 40},  # no trials: 4 = round(0.1 * 40) of 40
        {"llm": "GPT-4", "k": 9, "metric": "ratio_of_full_marks", "value": 0.05, "trials": 60},
    ]
    sm = pd.concat([tables[0], pd.DataFrame(rows)], ignore_index=True)
    x = assemble(sm, tables[1], tables[2])
    assert x.cell_n[-3:].tolist() == [40, 40, 60]
    assert x.cell_successes[-3:].tolist() == [3, 4, 3]
    assert x.cell_n.dtype.kind == "i" and x.cell_successes.dtype.kind == "i"
    bare = [{"llm": "GPT-4", "k": k, "metric": "ratio_of_full_marks", "value": 0.05}
            for k in (11, 12, 13, 14, 15, 16)]
    for extra, tail in ((bare[:5], ""), (bare, " and more")):
        sm = pd.concat([tables[0], pd.DataFrame(extra)], ignore_index=True)
        with pytest.raises(DataValidationError) as err:
            assemble(sm, tables[1], tables[2])
        assert str(err.value) == (
            "skillmix data: no n_combinations or trials for GPT-4 k=11, GPT-4 k=12, GPT-4 k=13, "
            f"GPT-4 k=14, GPT-4 k=15{tail} (the model needs the number of graded combinations "
            "behind each score)")


def test_assemble_messages_word_for_word(tables):
    """An unknown corpus, an LLM missing from the catalog (Skill-Mix or losses), no rows of
    the metric, and split() of a table without a 'table' column, each in full."""
    sm, cat, lo = tables
    available = ", ".join(sorted(set(lo["corpus"])))
    with pytest.raises(DataValidationError) as err:
        assemble(sm, cat, lo, corpora=["hkust_python", "nope", "also_not"])
    assert str(err.value) == f"losses: no rows for corpus also_not, nope; available: {available}"
    for table, source in ((0, "skillmix data"), (2, "losses")):
        parts = [sm, cat, lo]
        row = parts[table].iloc[[0]].copy()
        row["llm"] = "Mystery-1T"
        parts[table] = pd.concat([parts[table], row, row.assign(llm="Enigma-2")],
                                 ignore_index=True)
        with pytest.raises(DataValidationError) as err:
            assemble(*parts)
        assert str(err.value) == (
            f"{source}: LLM(s) not in the catalog: Enigma-2, Mystery-1T "
            "(add a catalog row with family, base_model, params, tokens)")
    with pytest.raises(DataValidationError) as err:
        assemble(sm[sm["metric"] != "ratio_of_all_skills"], cat, lo, metric="ratio_of_all_skills")
    assert str(err.value) == "skillmix data: no rows with metric 'ratio_of_all_skills'"
    with pytest.raises(DataValidationError) as err:
        split(combine(sm, cat, lo).drop(columns="table"))
    assert str(err.value) == (
        "joint data: expected a 'table' column (use skillfit.models.skill_graph_data.combine)")


def _assert_refused(cases, cat, lo, **option) -> None:
    """Each ``(skillmix table, metric, message)`` of ``cases`` is refused by ``assemble`` with
    ``option`` with exactly that message."""
    for table, metric, message in cases:
        with pytest.raises(DataValidationError) as err:
            assemble(table, cat, lo, metric=metric, **option)
        assert str(err.value) == message


def test_assemble_all_skills_counts_and_messages(tables):
    """all_skills reads each full-marks cell's ratio_of_all_skills successes (same LLM and k,
    round(value * n)); a missing row, other trials, fewer all-skills successes than full marks
    and another metric are refused, each message in full."""
    sm, cat, lo = tables
    x = assemble(sm, cat, lo, all_skills=True)
    assert assemble(sm, cat, lo).cell_all_successes is None
    cells = np.array(x.llms)[x.cell_llm]
    # Tigerbot k=2: 0.12 all skills, 0.03 full marks; GPT-4 k=4: 0.50 and 0.48 (of 100)
    tiger = (cells == "Tigerbot-70B-Chat") & (x.cell_k == 2)
    gpt4 = (cells == "GPT-4") & (x.cell_k == 4)
    assert x.cell_all_successes[tiger].tolist() == [12] and x.cell_successes[tiger].tolist() == [3]
    assert x.cell_all_successes[gpt4].tolist() == [50] and x.cell_successes[gpt4].tolist() == [48]
    assert np.all(x.cell_all_successes >= x.cell_successes)
    assert x.cell_all_successes.sum() > x.cell_successes.sum()
    assert x.cell_all_successes.dtype.kind == x.cell_successes.dtype.kind == "i"  # counts
    is_all = sm["metric"] == "ratio_of_all_skills"
    one = is_all & (sm["llm"] == "GPT-4") & (sm["k"] == 6)
    with pytest.raises(DataValidationError) as err:
        assemble(sm[~one], cat, lo, all_skills=True)
    assert str(err.value) == (
        "skillmix data: no ratio_of_all_skills row for GPT-4 k=6 (all_skills needs one for "
        "every full-marks cell; set all_skills = false to fit the full marks alone)")
    # no all-skills row at all: the first full-marks cell is named, as for one missing row
    with pytest.raises(DataValidationError) as err:
        assemble(sm[~is_all], cat, lo, all_skills=True)
    assert str(err.value) == (
        "skillmix data: no ratio_of_all_skills row for LLaMA-2-7B-Chat k=2 (all_skills needs "
        "one for every full-marks cell; set all_skills = false to fit the full marks alone)")
    wrong = [  # (table, metric, message)
        (sm.assign(n_combinations=sm["n_combinations"].where(~one, 50)), "ratio_of_full_marks",
         "skillmix data: GPT-4 k=6 has 50 trials for ratio_of_all_skills but 100 for "
         "ratio_of_full_marks (the two count the same graded texts)"),
        (sm.assign(value=sm["value"].where(~one, 0.05)), "ratio_of_full_marks",
         "skillmix data: GPT-4 k=6 has fewer all-skills successes (5) than full marks (8), "
         "but full marks need every skill shown"),
        (sm, "skill_fraction",
         "skillmix data: all_skills needs metric 'ratio_of_full_marks' (the full marks are the "
         "subset of the all-skills texts), got 'skill_fraction'"),
    ]
    _assert_refused(wrong, cat, lo, all_skills=True)


def test_assemble_skill_fraction_points_and_messages(tables):
    """skill_fraction reads each full-marks cell's skill fraction as skill points
    round(value n k) out of n k (GPT-4: 0.98 at k = 2 is 196 of 200, 0.79 at k = 5 is 395 of
    500); a missing row, other trials, a fraction below the full marks and another metric are
    refused, each message in full."""
    sm, cat, lo = tables
    x = assemble(sm, cat, lo, skill_fraction=True)
    assert assemble(sm, cat, lo).cell_fraction_points is None
    cells = np.array(x.llms)[x.cell_llm]
    gpt4 = cells == "GPT-4"
    assert dict(zip(x.cell_k[gpt4].tolist(), x.cell_fraction_points[gpt4].tolist(),
                    strict=True)) == {2: 196, 3: 264, 4: 340, 5: 395, 6: 456}
    assert x.cell_fraction_points.dtype.kind == "i"
    # a text with full marks shows every skill: k x full marks <= skill points in every cell
    assert np.all(x.cell_fraction_points >= x.cell_k * x.cell_successes)
    is_frac = sm["metric"] == "skill_fraction"
    one = is_frac & (sm["llm"] == "GPT-4") & (sm["k"] == 6)
    full = (sm["metric"] == "ratio_of_full_marks") & (sm["llm"] == "GPT-4") & (sm["k"] == 6)
    wrong = [  # (table, metric, message)
        (sm[~one], "ratio_of_full_marks",
         "skillmix data: no skill_fraction row for GPT-4 k=6 (skill_fraction needs one for every "
         "full-marks cell; set skill_fraction = false to fit without it)"),
        (sm.assign(n_combinations=sm["n_combinations"].where(~one, 50)), "ratio_of_full_marks",
         "skillmix data: GPT-4 k=6 has 50 trials for skill_fraction but 100 for "
         "ratio_of_full_marks (the two count the same graded texts)"),
        (sm.assign(value=sm["value"].where(~one, 0.05)), "ratio_of_full_marks",
         "skillmix data: GPT-4 k=6 has a skill fraction (0.05) below its ratio of full marks "
         "(0.08), but a text with full marks counts 1 in both"),
        (sm, "ratio_of_all_skills",
         "skillmix data: skill_fraction needs metric 'ratio_of_full_marks' (the model predicts "
         "both from the same handled tuples), got 'ratio_of_all_skills'"),
    ]
    _assert_refused(wrong, cat, lo, skill_fraction=True)
    # a fraction equal to the full marks is accepted (possible: every text with some skill
    # shown has full marks)
    eq = sm.assign(value=sm["value"].where(~full, 0.76))
    assert assemble(eq, cat, lo, skill_fraction=True).cell_fraction_points is not None


def test_assemble_names_each_table_in_its_messages(tables):
    """A bad value in each table is reported under that table's name ("skillmix data",
    "catalog", "losses"), word for word."""
    sm, cat, lo = tables
    bad = [
        [sm.assign(value=sm["value"].where(sm.index != 3, 1.5)), cat, lo],
        [sm, cat.assign(params=cat["params"].where(cat.index != 2, -1.0)), lo],
        [sm, cat, lo.assign(value=lo["value"].where(lo.index != 4, -2.0))],
    ]
    expected = [
        "skillmix data: column 'value' must lie in [0, 1]; bad values at row 3 (value: 1.5)",
        "catalog: column 'params' must be > 0; bad values at row 2 (value: -1.0)",
        "losses: column 'value' must be > 0; bad values at row 4 (value: -2.0)",
    ]
    for parts, message in zip(bad, expected, strict=True):
        with pytest.raises(DataValidationError) as err:
            assemble(*parts)
        assert str(err.value) == message


def test_assemble_ignores_extra_columns_whatever_their_names(tables):
    """Extra Skill-Mix columns are kept by the validator and not read by assemble, even
    ones named like the columns pandas would add for an index ('index', 'level_0')."""
    sm, cat, lo = tables
    extra = sm.assign(index=np.arange(len(sm)), level_0="x")
    x, y = assemble(sm, cat, lo, all_skills=True), assemble(extra, cat, lo, all_skills=True)
    for field in ("cell_llm", "cell_k", "cell_n", "cell_successes", "cell_value",
                  "cell_all_successes"):
        np.testing.assert_array_equal(getattr(y, field), getattr(x, field))
    cells = np.array(y.llms)[y.cell_llm]  # Tigerbot k=2: 0.12 of 100 show every skill
    assert y.cell_all_successes[(cells == "Tigerbot-70B-Chat") & (y.cell_k == 2)].tolist() == [12]


def test_combine_by_hand():
    """Three small tables stacked: a 'table' column first, then the union of the columns in
    order of appearance; rows in order with a fresh 0..n-1 index; NaN where a table lacks
    a column; a column of Python objects (here a grader given as a string and as a number)
    as strings, missing where missing (not the string 'nan')."""
    sm = pd.DataFrame({"llm": ["A", "A"], "k": [2, 3], "metric": ["skill_fraction"] * 2,
                       "value": [0.5, 0.25], "grader": pd.Series(["gpt-4", 7], dtype=object)})
    cat = pd.DataFrame({"llm": ["A"], "family": ["f"], "params": [1e9]}, index=[7])
    lo = pd.DataFrame({"llm": ["A"], "corpus": ["c"], "value": [0.6]}, index=[7])
    out = combine(sm, cat, lo)
    assert list(out.columns) == ["table", "llm", "k", "metric", "value", "grader", "family",
                                 "params", "corpus"]
    assert list(out.index) == [0, 1, 2, 3]
    assert out["table"].tolist() == ["skillmix", "skillmix", "catalog", "losses"]
    assert out["llm"].tolist() == ["A"] * 4
    np.testing.assert_array_equal(out["k"].to_numpy(float), [2.0, 3.0, np.nan, np.nan])
    np.testing.assert_array_equal(out["value"].to_numpy(float), [0.5, 0.25, np.nan, 0.6])
    np.testing.assert_array_equal(out["params"].to_numpy(float), [np.nan, np.nan, 1e9, np.nan])
    grader = out["grader"].tolist()
    assert grader[:2] == ["gpt-4", "7"] and pd.isna(grader[2]) and pd.isna(grader[3])
    assert out["family"].isna().tolist() == [True, True, False, True]
    assert out["family"].iloc[2] == "f" and out["corpus"].iloc[3] == "c"


def test_combine_split_round_trip(tables):
    sm, cat, lo = split(combine(*tables))
    assert list(sm.columns) == list(tables[0].columns)
    assert len(sm) == len(tables[0]) and len(cat) == len(tables[1]) and len(lo) == len(tables[2])
    pd.testing.assert_series_equal(sm["value"], tables[0]["value"], check_names=False)


@pytest.mark.parametrize("link", ["threshold", "independent", "logistic"])
def test_graph_logp_finite(link):
    model = SkillGraphModel({"link": link}).build_model()
    logps = model.point_logps()
    assert all(np.isfinite(v) for v in logps.values()), logps
    assert set(model.named_vars) >= {"theta", "r", "pi", "successes", "loss"}


def test_built_model_coords_dims_and_data():
    """The built graph's coordinates, each variable's dims and shape, and the observed data
    (what the posterior's labels and cross-validation's pm.Data swaps rely on)."""
    model = SkillGraphModel()
    pm_model = model.build_model()
    x = model.inputs
    assert set(pm_model.coords) == {"llm", "base", "family", "corpus", "cell", "loss_obs"}
    assert list(pm_model.coords["llm"]) == x.llms and list(pm_model.coords["base"]) == x.bases
    assert list(pm_model.coords["family"]) == x.families
    assert list(pm_model.coords["corpus"]) == x.corpora == ["hkust_average"]
    assert list(pm_model.coords["cell"]) == list(range(34))
    assert list(pm_model.coords["loss_obs"]) == list(range(len(x.loss_value)))
    dims = {name: pm_model.named_vars_to_dims.get(name) for name in pm_model.named_vars}
    want = {
        "family_offset_raw": ("family",), "family_offset": ("family",), "r_base": ("base",),
        "loss_entropy": ("corpus",), "loss_scale": ("corpus",), "loss_sigma": ("corpus",),
        "loss_observed": ("loss_obs",), "loss": ("loss_obs",),
        "tune_offset_raw": ("llm",), "tune_offset": ("llm",), "r": ("llm",), "theta": ("llm",),
        "pi": ("cell",), "successes_observed": ("cell",), "trials_observed": ("cell",),
        "successes": ("cell",),
    }
    assert {name: dims[name] for name in want} == want
    has_n, has_d = np.isfinite(x.log_params), np.isfinite(x.log_tokens)
    point = pm_model.initial_point()
    assert point["log_r_closed_raw"].shape == ((~has_n).sum(),) == (2,)  # GPT-4, GPT-3.5
    assert point["log_tokens_unknown_raw"].shape == ((has_n & ~has_d).sum(),)
    assert (has_n & ~has_d).sum() > 0
    assert {v.name for v in pm_model.free_RVs} == {
        "sigma_family", "family_offset_raw", "log_tokens_unknown_raw", "log_r_closed_raw",
        "loss_entropy", "loss_scale", "loss_sigma", "sigma_tune", "tune_offset_raw",
        "log_c_ref", "eta", "degree", "tau_spread", "gamma", "kappa"}  # tau, floor fixed
    np.testing.assert_array_equal(pm_model["successes_observed"].get_value(), x.cell_successes)
    np.testing.assert_array_equal(pm_model["trials_observed"].get_value(), x.cell_n)
    np.testing.assert_array_equal(pm_model["loss_observed"].get_value(), x.loss_value)
    assert pm_model is model.model


def test_built_variants_coords_dims_and_data():
    """The all-skills counts with one gamma per LLM and the law drawn from its posterior: the
    three outcomes of a graded text as a coordinate, the counts per cell and outcome (full
    marks, all skills only, not all skills), the new variables' names and dims."""
    model = SkillGraphModel({"all_skills": True, "gamma_per_llm": True, "law": "posterior"})
    pm_model = model.build_model()
    x = model.inputs
    assert set(pm_model.coords) == {"llm", "base", "family", "corpus", "cell", "loss_obs",
                                    "outcome"}
    assert list(pm_model.coords["outcome"]) == ["full_marks", "all_skills_only",
                                                "not_all_skills"]
    dims = {name: pm_model.named_vars_to_dims.get(name) for name in pm_model.named_vars}
    want = {"successes": ("cell", "outcome"), "successes_observed": ("cell",),
            "trials_observed": ("cell",), "all_skills_observed": ("cell",), "score": ("cell",),
            "gamma_llm_raw": ("llm",), "gamma_llm": ("llm",), "gamma": None,
            "gamma_new_raw": None, "law_z": None, "law_A": None, "law_alpha": None}
    assert {name: dims.get(name) for name in want} == want
    assert {v.name for v in pm_model.free_RVs} >= {
        "law_z", "gamma_logit_mu", "gamma_logit_sigma", "gamma_llm_raw", "gamma_new_raw"}
    assert "gamma" not in {v.name for v in pm_model.free_RVs}
    assert pm_model.initial_point()["law_z"].shape == (4,)
    f, a, n = x.cell_successes, x.cell_all_successes, x.cell_n
    np.testing.assert_array_equal(pm_model["all_skills_observed"].get_value(), a)
    counts = pm_model.rvs_to_values[pm_model["successes"]].eval()
    np.testing.assert_array_equal(counts, np.column_stack([f, a - f, n - a]))
    assert counts.shape == (34, 3) and (counts[:, 1] > 0).any()
    # cross-validation's data for held-out cells 3 and 9 (whole-number floats are indices
    # too): 0 of 0 in every observed array there, the rest untouched and the inputs kept
    held = model.held_out_data(np.array([3.0, 9.0]))
    assert sorted(held) == ["all_skills_observed", "successes_observed", "trials_observed"]
    keep = np.delete(np.arange(34), [3, 9])
    for name, full in (("successes_observed", f), ("trials_observed", n),
                       ("all_skills_observed", a)):
        assert held[name][[3, 9]].tolist() == [0, 0] and full[[3, 9]].min() > 0, name
        np.testing.assert_array_equal(held[name][keep], full[keep])
    assert model.inputs.cell_n[[3, 9]].min() > 0  # a copy was masked, not the inputs
    # the law at the posterior mean, for what needs one law: A = r_N N_ref^a, B = r_D D_ref^b
    from skillfit.scaling import POSTERIOR

    lr_n, lr_d, alpha, beta = POSTERIOR.mean
    point = model.point_law()
    assert (point.a, point.b, point.E) == (alpha, beta, POSTERIOR.E)
    assert point.A == pytest.approx(np.exp(lr_n) * POSTERIOR.ref_params ** alpha, rel=1e-12)
    assert point.B == pytest.approx(np.exp(lr_d) * POSTERIOR.ref_tokens ** beta, rel=1e-12)
    # the skill fraction's points: their own data (points out of n k), held out the same way
    fmodel = SkillGraphModel({"skill_fraction": True})
    fm = fmodel.build_model()
    x = fmodel.inputs
    assert "skill_fraction" not in {v.name for v in fm.free_RVs}
    assert {name: fm.named_vars_to_dims.get(name) for name in (
        "skill_points", "skill_fraction", "fraction_observed", "fraction_trials_observed")} == {
        name: ("cell",) for name in ("skill_points", "skill_fraction", "fraction_observed",
                                     "fraction_trials_observed")}
    assert {"partial_weight", "kappa_fraction"} <= {v.name for v in fm.free_RVs}
    np.testing.assert_array_equal(fm["fraction_trials_observed"].get_value(),
                                  x.cell_n * x.cell_k)
    np.testing.assert_array_equal(fm["fraction_observed"].get_value(),
                                  x.cell_fraction_points)
    held = fmodel.held_out_data([3, 9])
    assert sorted(held) == ["fraction_observed", "fraction_trials_observed",
                            "successes_observed", "trials_observed"]
    for name in ("fraction_observed", "fraction_trials_observed"):
        assert held[name][[3, 9]].tolist() == [0, 0], name
        np.testing.assert_array_equal(np.delete(held[name], [3, 9]),
                                      np.delete(fm[name].get_value(), [3, 9]))


def test_law_and_point_law_of_a_fixed_law():
    """A fixed law (any case) is its published constants, as law() and as point_law()."""
    for name, want in (("HOFFMANN", (1.69, 406.4, 410.7, 0.34, 0.28)),
                       (None, (1.8172, 482.01, 2085.43, 0.3478, 0.3658))):  # default: Epoch
        model = SkillGraphModel({} if name is None else {"law": name})
        for law in (model.law(), model.point_law()):
            assert (law.E, law.A, law.B, law.a, law.b) == want


def test_c_sampled_at_the_reference_loss_keeps_its_prior():
    """c is a deterministic of log c_ref = log c + eta log 0.16: prior draws of log c are
    still Normal(1, 1) independent of eta (LogNormal(0, 0.3)); a c fixed, a non-LogNormal c
    or a fixed eta leave c a plain variable."""
    model = SkillGraphModel().build_model()
    assert "c" in [v.name for v in model.deterministics]
    log_c, eta = pm.draw([pt.log(model["c"]), model["eta"]], draws=20000, random_seed=7)
    assert abs(log_c.mean() - 1.0) < 0.03 and abs(log_c.std() - 1.0) < 0.03
    assert abs(np.log(eta).mean()) < 0.01 and abs(np.log(eta).std() - 0.3) < 0.01
    assert abs(np.corrcoef(log_c, eta)[0, 1]) < 0.03
    assert stats.kstest(log_c, stats.norm(1.0, 1.0).cdf).pvalue > 0.01
    for config in ({"c": 2.0}, {"eta": 1.0}, {"c": {"dist": "Gamma", "alpha": 2.0, "beta": 1.0}}):
        built = SkillGraphModel(config).build_model()
        assert "log_c_ref" not in built.named_vars, config


def test_c_ref_prior_uses_the_c_prior_by_hand():
    """With c ~ LogNormal(0.5, 0.4) (not the default sigma 1, which Normal's default would
    match) and eta = 1.2: log c_ref has density Normal(0.5 + 1.2 ln 0.16, 0.4) (scipy) and
    c = exp(log c_ref - 1.2 ln 0.16). (The logistic link: the cheapest model to build.)"""
    model = SkillGraphModel({"link": "logistic",
                             "c": {"dist": "LogNormal", "mu": 0.5, "sigma": 0.4}}).build_model()
    point = model.initial_point()
    point["log_c_ref"] = np.array(0.3)
    point["eta_log__"] = np.array(np.log(1.2))
    logp, c = model.compile_fn(
        [model.logp(vars=[model["log_c_ref"]], jacobian=False),
         model.replace_rvs_by_values([model["c"]])[0]],
        inputs=model.value_vars, on_unused_input="ignore", mode="FAST_COMPILE")(point)
    assert float(logp) == pytest.approx(
        stats.norm(0.5 + 1.2 * np.log(0.16), 0.4).logpdf(0.3), rel=1e-9)
    assert float(c) == pytest.approx(np.exp(0.3 - 1.2 * np.log(0.16)), rel=1e-9)


def test_threshold_gradient_compiles_and_is_finite():
    from skillfit.models.pytensor_face import theory_mode

    model = SkillGraphModel().build_model()
    dlogp = model.compile_dlogp(mode=theory_mode())(model.initial_point())
    assert np.all(np.isfinite(dlogp)) and np.any(dlogp != 0)


def test_links_agree_with_theory_numpy_face():
    theta = np.array([0.01, 0.05, 0.2])
    params = {"degree": 8.0, "tau": 0.5}
    pi = link_probability("threshold", theta, np.log(theta), 3.0, params, np)
    np.testing.assert_allclose(pi, theory.competent_fraction(theta, 8.0, 0.5, 3.0))
    ind = link_probability("independent", theta, np.log(theta), 3.0, {"degree": 8.0}, np)
    np.testing.assert_allclose(ind, (1 + np.log1p(-theta) / 8.0) ** 3)


@settings(max_examples=60, deadline=None)
@given(theta=st.floats(1e-4, 0.999), floor=st.floats(0.0, 0.5), k=st.integers(1, 8),
       degree=st.floats(1.0, 50.0))
def test_threshold_floor_mixes_guarantee_and_floor(theta, floor, k, degree):
    """pi = floor + (1 - floor) * guaranteed fraction: never below the floor, the guarantee
    alone at floor 0, and exactly the floor where the theorem guarantees nothing."""
    params = {"degree": degree, "tau": 0.5}
    guaranteed = link_probability("threshold", theta, np.log(theta), float(k), params, np)
    pi = link_probability("threshold", theta, np.log(theta), float(k), {**params, "floor": floor},
                          np)
    assert pi == pytest.approx(floor + (1 - floor) * guaranteed, abs=1e-12)
    assert floor - 1e-12 <= pi <= 1.0 + 1e-12
    if 1 - (1 - theta) ** k >= 0.5:  # beta = (1 - tau)/theta_k <= 1: no guarantee at all
        assert guaranteed == 0.0 and pi == pytest.approx(floor)


#: The threshold link before 2026-11-28: one competence level and a floor with a prior.
FLOOR_CONFIG = {"tau_spread": 0.0, "floor": {"dist": "Beta", "alpha": 1.0, "beta": 19.0}}


def _beyond_the_guarantee(config):
    """logp, dlogp and pi at c = 20 (theta close to 1 for every LLM: the theorem guarantees no
    tuple at any k, theta_k > 1 - tau), with the rest of the model at its initial point."""
    from skillfit.models.pytensor_face import theory_mode

    model = SkillGraphModel(config).build_model()
    point = model.initial_point()
    # c = 20, sampled as log c_ref = log c + eta log 0.16
    eta = np.exp(point["eta_log__"])
    point["log_c_ref"] = np.asarray(np.log(20.0) + eta * np.log(0.16))
    logp = model.compile_logp(mode=theory_mode())(point)
    dlogp = model.compile_dlogp(mode=theory_mode())(point)
    [pi_of_values] = model.replace_rvs_by_values([model["pi"]])
    pi = model.compile_fn(pi_of_values, inputs=model.value_vars, mode=theory_mode(),
                          on_unused_input="ignore")(point)
    return point, logp, dlogp, pi


def test_full_mark_beyond_the_guarantee_has_finite_likelihood_with_the_floor():
    """A success where the guarantee is 0 must cost a finite log-likelihood and a finite
    gradient: the floor turns the wall the sampler met into a slope, and pi_k is the floor."""
    point, logp, dlogp, pi = _beyond_the_guarantee(FLOOR_CONFIG)
    floor = 1.0 / (1.0 + np.exp(-point["floor_logodds__"]))
    np.testing.assert_allclose(pi, floor, rtol=1e-6)
    assert np.isfinite(logp) and np.all(np.isfinite(dlogp))


def test_full_mark_beyond_the_guarantee_has_finite_likelihood_with_the_spread():
    """The default (a competence level per tuple, no floor): where the single level guarantees
    nothing, pi is the tuples whose own level is low enough, Phi(z*) E[cf | z < z*] > 0, and
    logp and its gradient are finite without any floor."""
    point, logp, dlogp, pi = _beyond_the_guarantee({})
    assert "floor_logodds__" not in point
    assert np.all(pi > 0) and np.all(pi < 0.5)
    assert np.isfinite(logp) and np.all(np.isfinite(dlogp))
    single = _beyond_the_guarantee({"tau_spread": 0.0})[3]
    np.testing.assert_array_equal(single, 0.0)  # one level, no floor: exactly nothing


def test_bad_config_rejected():
    with pytest.raises(SpecError, match="link"):
        SkillGraphModel({"link": "probit"})
    with pytest.raises(SpecError, match="did you mean 'degree'"):
        SkillGraphModel({"degre": {"dist": "LogNormal", "mu": 2, "sigma": 1}})


def test_config_values_checked_word_for_word():
    """Each check of SkillGraphModel's model_config: the messages in full, the case-blind law
    name, corpora as a name, list or tuple, and every bound of a fixed number on both sides."""
    def message(cfg):
        with pytest.raises(SpecError) as err:
            SkillGraphModel(cfg)
        return str(err.value)

    assert message({"link": "probit"}) == (
        "model_config 'link' must be one of threshold, independent, logistic, got 'probit'")
    assert message({"law": "gpt"}) == (
        "model_config 'law' must be one of hoffmann, epoch, posterior, got 'gpt'")
    assert SkillGraphModel({"law": "Hoffmann"}).model_config["law"] == "hoffmann"
    assert SkillGraphModel({"law": "Posterior"}).model_config["law"] == "posterior"
    for key in ("all_skills", "gamma_per_llm", "skill_fraction"):
        assert message({key: 1}) == f"model_config {key!r} must be true or false, got 1"
        assert SkillGraphModel({key: True}).model_config[key] is True
    assert message({"metric": "x"}) == ("model_config 'metric' must be one of ratio_of_full_marks, "
                                        "ratio_of_all_skills, skill_fraction, got 'x'")
    assert SkillGraphModel({"metric": "skill_fraction"}).model_config["metric"] == "skill_fraction"
    for corpora in ("hkust_average", ["hkust_average"], ("hkust_average",)):
        assert SkillGraphModel({"corpora": corpora}).model_config["corpora"] == ["hkust_average"]
    for bad in ([1], 3, ["a", None]):
        assert message({"corpora": bad}) == (
            "model_config 'corpora' must be a corpus name or a list of names")
    # open bounds reject the bound itself, closed ones accept it
    assert message({"c": 0.0}) == "model_config 'c' must be > 0, got 0.0"
    assert message({"eta": 0.0}) == "model_config 'eta' must be > 0, got 0.0"
    assert message({"per_tuple": 1.5}) == "model_config 'per_tuple' must be in [0, 1], got 1.5"
    assert message({"tau_spread": -0.1}) == "model_config 'tau_spread' must be >= 0, got -0.1"
    assert SkillGraphModel({"tau_spread": 0.0}).model_config["tau_spread"] == 0.0
    # tau, tau_spread and per_tuple are fixed by default but may be given a prior
    for key in ("tau", "tau_spread", "per_tuple"):
        prior = {"dist": "Beta", "alpha": 2.0, "beta": 3.0}
        assert SkillGraphModel({key: prior}).model_config[key] == prior
    assert message({"per_tuple": {"dist": "Bta"}}).startswith("prior 'per_tuple': unknown")
    assert message({"tau": 1.0}) == "model_config 'tau' must be in [0, 1), got 1.0"
    assert message({"floor": 1}) == "model_config 'floor' must be in [0, 1), got 1"
    assert message({"gamma": 0.0}) == "model_config 'gamma' must be in (0, 1], got 0.0"
    assert message({"gamma": 1.5}) == "model_config 'gamma' must be in (0, 1], got 1.5"
    assert message({"sigma_family": -0.1}) == "model_config 'sigma_family' must be >= 0, got -0.1"
    assert message({"kappa": "big"}) == ("prior 'kappa': expected a table like "
                                         "{dist = \"Normal\", mu = 0, sigma = 1}, got 'big'")
    fine = {"c": 1e-9, "tau": 0.0, "floor": 0.0, "gamma": 1.0, "per_tuple": 1.0,
            "sigma_family": 0.0, "sigma_tune": 0.0, "degree": 1e6, "closed_log_r_mu": -5.0}
    cfg = SkillGraphModel(fine).model_config
    assert {k: cfg[k] for k in fine} == fine and all(type(cfg[k]) is float for k in fine)


def test_sample_kwargs_give_pymc_the_theory_mode():
    """PyMC's NUTS compiles in NUMBA mode without the looping rewrite unless the caller passes
    compile_kwargs; nutpie gets none (compile_mode_for_theory covers it); seed and progress bar
    reach the sampler."""
    from skillfit.models.pytensor_face import EXCLUDED_REWRITES

    model = SkillGraphModel(sampler_config={"nuts_sampler": "pymc"})
    cfg = model._sample_kwargs(5, False, {})
    assert cfg["random_seed"] == 5 and cfg["progressbar"] is False
    mode = cfg["compile_kwargs"]["mode"]
    assert set(EXCLUDED_REWRITES) <= set(mode.provided_optimizer.exclude)
    assert "Numba" in type(mode.linker).__name__
    mine = {"mode": "FAST_COMPILE"}
    assert model._sample_kwargs(5, None, {"compile_kwargs": mine})["compile_kwargs"] is mine
    nutpie = model._sample_kwargs(None, None, {"nuts_sampler": "nutpie", "random_seed": 8})
    assert "compile_kwargs" not in nutpie and nutpie["random_seed"] == 8


def test_sample_kwargs_give_nutpie_the_low_rank_mass_matrix():
    """nutpie adapts a low-rank mass matrix (NUTPIE_ADAPTATION) unless the sampler config's
    nuts table says otherwise; other NUTS settings are kept beside it; PyMC's NUTS gets none."""
    from skillfit.models.skill_graph import NUTPIE_ADAPTATION

    assert NUTPIE_ADAPTATION == "low_rank"
    model = SkillGraphModel(sampler_config={"nuts_sampler": "nutpie"})
    assert model._sample_kwargs(1, None, {})["nuts"] == {"adaptation": "low_rank",
                                                          "target_accept": 0.95}
    mine = model._sample_kwargs(1, None, {"nuts": {"adaptation": "diag"}})
    assert mine["nuts"]["adaptation"] == "diag"
    pymc = SkillGraphModel(sampler_config={"nuts_sampler": "pymc"})._sample_kwargs(1, None, {})
    assert "adaptation" not in pymc.get("nuts", {})


def _with(tables, **changes):
    sm, cat, lo = (t.copy() for t in tables)
    for key, fn in changes.items():
        if key == "skillmix":
            sm = fn(sm)
        elif key == "catalog":
            cat = fn(cat)
    return combine(sm, cat, lo)


def test_unknown_llm_in_skillmix_rejected(tables):
    def add_unknown(sm):
        row = sm.iloc[[0]].copy()
        row["llm"] = "Mystery-1T"
        return pd.concat([sm, row], ignore_index=True)

    with pytest.raises(DataValidationError, match="Mystery-1T"):
        SkillGraphModel().build_model(_with(tables, skillmix=add_unknown))


@pytest.mark.parametrize(("column", "value", "needle"), [
    ("k", 0, "k"),
    ("value", 1.3, "value"),
    ("value", -0.1, "value"),
])
def test_bad_skillmix_values_rejected(tables, column, value, needle):
    def spoil(sm):
        sm.loc[0, column] = value
        return sm

    with pytest.raises(DataValidationError, match=needle):
        SkillGraphModel().build_model(_with(tables, skillmix=spoil))


def test_metric_corpora_and_index_reach_the_inputs(tables):
    """model_config's metric and corpora choose the rows assembled; the data's own index is
    dropped, not kept as a column."""
    data = combine(*tables)
    model = SkillGraphModel({"metric": "skill_fraction",
                             "corpora": ["hkust_python", "hkust_arxiv_math"]})
    pm_model = model.build_model(data.set_axis(np.arange(len(data)) + 100))
    x = model.inputs
    sm = tables[0]
    assert sorted(x.cell_value) == sorted(sm.loc[sm["metric"] == "skill_fraction", "value"])
    assert sorted(x.corpora) == ["hkust_arxiv_math", "hkust_python"] and len(x.loss_value) == 56
    assert list(pm_model.coords["corpus"]) == x.corpora
    stored = model.fit_data
    assert list(stored.index) == list(range(len(data))) and list(stored.columns) == list(data.columns)


def test_fit_passes_data_seed_and_options(tables, sample_calls):
    """fit() fits the data given (the bundled tables only by default), with the seed, progress
    bar, predictive groups and sampler overrides asked for."""
    sm, cat, lo = tables
    small = combine(sm, cat, lo[lo["corpus"] == "hkust_average"].iloc[:10])
    seen = sample_calls
    model = SkillGraphModel(sampler_config={"draws": 5, "chains": 1})
    idata = model.fit(small, random_seed=11, progressbar=False, draws=4)
    default = SkillGraphModel({"link": "logistic", "sigma_tune": 0.0},
                              sampler_config={"draws": 3, "chains": 1})
    bare = default.fit(random_seed=12, predictive=False)
    assert len(model.inputs.loss_value) == 10 and len(default.inputs.loss_value) == 28
    assert idata.attrs["random_seed"] == 11 and seen[0]["progressbar"] is False
    assert idata["posterior"].sizes["draw"] == 4
    assert {"posterior_predictive", "log_likelihood"} <= set(idata.children)
    assert not {"posterior_predictive", "log_likelihood"} & set(bare.children)
    assert bare.attrs["random_seed"] == 12 and "progressbar" not in seen[1]
    # the logistic link's shared parameters; numbers fixed in model_config repeated
    shared = default.shared_parameters()
    assert set(shared) == {"c", "eta", "tau", "floor", "gamma", "per_tuple",
                           "kappa", "logistic_intercept", "logistic_slope_r", "logistic_slope_k",
                           "sigma_family", "sigma_tune"}
    for name in ("logistic_intercept", "logistic_slope_r", "logistic_slope_k", "sigma_family"):
        np.testing.assert_array_equal(shared[name], bare["posterior"][name].values[0])
    np.testing.assert_array_equal(shared["sigma_tune"], np.zeros(3))


def test_mocked_fit_has_named_dims(mocked):
    post = mocked.posterior
    assert list(post["theta"].coords["llm"].values) == mocked.inputs.llms
    assert post["pi"].sizes["cell"] == 34
    assert "fit_data" in mocked.idata
    shared = mocked.shared_parameters()
    assert np.all(shared["tau"] == 0.5)  # fixed by default


def test_fit_stores_arviz_groups(mocked):
    """az.loo and arviz_plots' plot_ppc_dist work on a fitted model, per observed variable."""
    import arviz as az
    from arviz_plots import plot_ppc_dist

    idata = mocked.idata
    for group in ("log_likelihood", "posterior_predictive", "observed_data"):
        assert set(idata[group].data_vars) == {"successes", "loss"}, group
    assert idata["posterior_predictive"]["successes"].shape == (2, 30, 34)
    assert idata["log_likelihood"]["loss"].dims == ("chain", "draw", "loss_obs")
    with pytest.warns(UserWarning):  # prior draws as a posterior: Pareto k is poor
        assert np.isfinite(az.loo(idata, var_name="successes")["elpd"])
    plot_ppc_dist(idata, var_names=["successes"])
    n = mocked.inputs.cell_n
    assert (idata["posterior_predictive"]["successes"].values <= n).all()


def test_save_load_round_trip(mocked, tmp_path):
    import xarray as xr

    path = mocked.save(tmp_path / "joint.nc")
    loaded = SkillGraphModel.load(path)
    for group in ("log_likelihood", "posterior_predictive"):
        xr.testing.assert_identical(loaded.idata[group].to_dataset(),
                                    mocked.idata[group].to_dataset())
    np.testing.assert_array_equal(loaded.posterior["theta"].values, mocked.posterior["theta"].values)
    assert loaded.model_config == mocked.model_config
    assert loaded.inputs.llms == mocked.inputs.llms
    np.testing.assert_array_equal(loaded.inputs.cell_successes, mocked.inputs.cell_successes)


def test_load_other_model_type_fails(tmp_path):
    from skillfit.models.scaling_law import ScalingLawModel

    original = pm.sample
    pm.sample = mock_sample
    try:
        other = ScalingLawModel(sampler_config={"draws": 10, "chains": 1})
        other.fit(datasets.load("chinchilla"), random_seed=1)
    finally:
        pm.sample = original
    path = other.save(tmp_path / "scaling.nc")
    with pytest.raises(DifferentModelError, match="scaling_law"):
        SkillGraphModel.load(path)


def test_posterior_predictive_check_table(mocked):
    table = mocked.posterior_predictive_check(ci_prob=0.89, random_seed=1)
    x = mocked.inputs
    assert len(table) == len(x.cell_k)
    np.testing.assert_allclose(table["observed"], x.cell_successes / x.cell_n)
    assert (table["lower"] <= table["median"]).all() and (table["median"] <= table["upper"]).all()
    assert table.attrs["coverage"] == pytest.approx(table["inside"].mean())
    assert table.attrs["ci_prob"] == 0.89 and table.attrs["ci_kind"] == "eti"
    hdi = mocked.posterior_predictive_check(ci_prob=0.5, ci_kind="hdi", random_seed=1)
    assert hdi.attrs["ci_kind"] == "hdi" and (hdi["upper"] - hdi["lower"]).sum() < (
        table["upper"] - table["lower"]).sum()
    # the same seed gives the same table
    pd.testing.assert_frame_equal(table, mocked.posterior_predictive_check(random_seed=1))


def test_shared_parameters_are_the_flattened_draws(mocked):
    """Chain-major draws of each free shared parameter; a fixed one (tau) repeated; the other
    links' parameters absent."""
    post = mocked.posterior
    shared = mocked.shared_parameters()
    assert set(shared) == {"c", "eta", "degree", "tau", "tau_spread", "floor", "gamma",
                           "per_tuple", "kappa", "sigma_family", "sigma_tune"}
    for name in shared.keys() - {"tau", "floor", "per_tuple"}:
        want = np.concatenate([post[name].values[0], post[name].values[1]])
        np.testing.assert_array_equal(shared[name], want, err_msg=name)
    np.testing.assert_array_equal(shared["tau"], np.full(60, 0.5))
    np.testing.assert_array_equal(shared["per_tuple"], np.ones(60))
    np.testing.assert_array_equal(shared["floor"], np.zeros(60))


def test_posterior_predictive_check_by_hand(mocked):
    """Every column from the observation model written out: P = pi (1 - (1 - gamma)^3) per draw,
    rates successes/n with successes ~ BetaBinomial(n, P kappa, (1 - P) kappa) drawn in the
    order of the seeded generator, then the median and the equal-tailed 89% interval."""
    x = mocked.inputs
    post = mocked.posterior
    pi = np.concatenate([post["pi"].values[0], post["pi"].values[1]])  # (60, cells)
    gamma = np.concatenate([post["gamma"].values[0], post["gamma"].values[1]])[:, None]
    kappa = np.concatenate([post["kappa"].values[0], post["kappa"].values[1]])[:, None]
    score = pi * (1.0 - (1.0 - gamma) ** 3)  # the default: handling fixed per tuple
    # the model's score deterministic (clipped to [1e-6, 1 - 1e-6]) is that of its pi to ~5e-6
    # relative (measured on this fixture with the smooth link; 1e-12 with a single level); the
    # measured rates below are drawn from the model's own score, so that the draws match bit
    # for bit
    model_score = np.concatenate([post["score"].values[0], post["score"].values[1]])
    np.testing.assert_allclose(model_score, np.clip(score, 1e-6, 1 - 1e-6), rtol=1e-5, atol=1e-9)
    rng = np.random.default_rng(4)
    clipped = np.clip(model_score, 1e-6, 1 - 1e-6)
    q = rng.beta(clipped * kappa, (1 - clipped) * kappa)
    rates = rng.binomial(np.broadcast_to(x.cell_n, q.shape), q) / x.cell_n
    table = mocked.posterior_predictive_check(random_seed=4)
    assert list(table.columns) == ["benchmark", "llm", "k", "observed", "published", "median",
                                   "lower", "upper", "expected_score", "inside"]
    assert set(table["benchmark"]) == {"skillmix"}
    assert list(table["llm"]) == [x.llms[i] for i in x.cell_llm]
    assert table["k"].dtype == np.int64 and list(table["k"]) == [int(k) for k in x.cell_k]
    np.testing.assert_allclose(table["observed"], x.cell_successes / x.cell_n, rtol=1e-15)
    np.testing.assert_array_equal(table["published"], x.cell_value)
    np.testing.assert_allclose(table["expected_score"], score.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(table["median"], np.median(rates, axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["lower"], np.quantile(rates, 0.055, axis=0), rtol=1e-12)
    np.testing.assert_allclose(table["upper"], np.quantile(rates, 0.945, axis=0), rtol=1e-12)
    inside = (table["observed"] >= table["lower"]) & (table["observed"] <= table["upper"])
    assert list(table["inside"]) == list(inside)
    assert table.attrs == {"coverage": float(inside.mean()), "ci_prob": 0.89, "ci_kind": "eti"}
    # narrow intervals leave some cells out
    observed = x.cell_successes / x.cell_n
    for prob in (0.1, 0.3, 0.5):
        narrow = mocked.posterior_predictive_check(ci_prob=prob, random_seed=4)
        lower = np.quantile(rates, (1 - prob) / 2, axis=0)
        upper = np.quantile(rates, (1 + prob) / 2, axis=0)
        inside = (observed >= lower) & (observed <= upper)
        assert list(narrow["inside"]) == list(inside) and 0 < inside.sum() < len(inside)
        assert narrow.attrs["coverage"] == pytest.approx(inside.mean(), abs=1e-15)
    # the hdi is the package's hdi of these draws (not the equal-tailed interval)
    from skillfit.intervals import interval_bounds

    hdi = mocked.posterior_predictive_check(ci_prob=0.5, ci_kind="hdi", random_seed=4)
    lower, upper = interval_bounds(rates, 0.5, axis=0, ci_kind="hdi")
    np.testing.assert_allclose(hdi["lower"], lower, rtol=1e-12)
    np.testing.assert_allclose(hdi["upper"], upper, rtol=1e-12)
    assert not np.allclose(lower, np.quantile(rates, 0.25, axis=0))
    # the default seed is 0
    pd.testing.assert_frame_equal(mocked.posterior_predictive_check(),
                                  mocked.posterior_predictive_check(random_seed=0))
    other = mocked.posterior_predictive_check()
    assert not other[["median", "lower", "upper"]].equals(table[["median", "lower", "upper"]])


def test_posterior_predictive_check_bounds_count_as_inside(mocked, monkeypatch):
    """An observation exactly on either bound of its interval is inside: simulated rates
    equal to the observed rate (lower = upper = observed) for the first cells, one point above
    it for the others (lower > observed)."""
    import skillfit.models.skill_graph as skill_graph

    x = mocked.inputs
    observed = x.cell_successes / x.cell_n
    shift = np.where(np.arange(len(observed)) < 20, 0.0, 0.01)

    def fake(p, kappa, n, rng):
        return np.broadcast_to(observed + shift, p.shape).copy()

    monkeypatch.setattr(skill_graph, "simulate_rates", fake)
    table = mocked.posterior_predictive_check(ci_prob=0.5)
    np.testing.assert_array_equal(table["lower"], observed + shift)
    np.testing.assert_array_equal(table["upper"], observed + shift)
    assert list(table["inside"]) == [True] * 20 + [False] * (len(observed) - 20)
    assert table.attrs["coverage"] == 20 / len(observed)


def test_posterior_predictive_check_counts_both_bounds_inside(monkeypatch):
    """An observed rate exactly on the interval's upper bound (or lower bound) is inside. A
    hand-made posterior (pi = 0.5 in every cell, gamma = 0.9, so score 1 - (1 - 0.45)^3, kappa =
    40; 2 chains x 30 draws)
    and hand-made simulated rates, half of them the observed rate and half 0.1 below it: the
    89% equal-tailed interval is [observed - 0.1, observed] in every cell; with every draw at
    the observed rate it is the single point [observed, observed]."""
    import xarray as xr

    import skillfit.models.skill_graph as skill_graph

    model = SkillGraphModel()
    model._inputs = x = assemble(*split(SkillGraphModel.bundled_data()))
    model.model = "built"  # the arrays above are all the check reads from the built model
    cells = len(x.cell_k)
    # the model's expected score P (its "score" deterministic): 1 - (1 - gamma pi)^3
    score = 1 - (1 - 0.9 * 0.5) ** 3
    model._idata = xr.DataTree.from_dict({"posterior": xr.Dataset({
        "pi": (("chain", "draw", "cell"), np.full((2, 30, cells), 0.5)),
        "score": (("chain", "draw", "cell"), np.full((2, 30, cells), score)),
        "gamma": (("chain", "draw"), np.full((2, 30), 0.9)),
        "kappa": (("chain", "draw"), np.full((2, 30), 40.0))})})
    observed = x.cell_successes / x.cell_n
    half = 0.1 * (np.arange(60) % 2)[:, None]  # 60 draws: 30 at observed, 30 at observed - 0.1
    seen = []

    def on_upper(p, kappa, n, rng):
        seen.append((p, kappa, n))
        return observed[None, :] - half

    monkeypatch.setattr(skill_graph, "simulate_rates", on_upper)
    table = model.posterior_predictive_check()
    p, kappa, n = seen[0]
    np.testing.assert_allclose(p, np.full((60, cells), 1 - (1 - 0.45) ** 3), rtol=1e-15)
    np.testing.assert_array_equal(kappa, np.full((60, 1), 40.0))
    np.testing.assert_array_equal(n, x.cell_n[None, :])
    np.testing.assert_array_equal(table["observed"], observed)
    np.testing.assert_allclose(table["upper"], observed, rtol=0, atol=1e-15)
    np.testing.assert_allclose(table["lower"], observed - 0.1, rtol=0, atol=1e-15)
    np.testing.assert_allclose(table["median"], observed - 0.05, rtol=0, atol=1e-15)
    assert (table["upper"] == table["observed"]).all() and (table["lower"] < table["upper"]).all()
    assert table["inside"].all() and table.attrs["coverage"] == 1.0

    monkeypatch.setattr(skill_graph, "simulate_rates",
                        lambda p, kappa, n, rng: np.broadcast_to(observed, p.shape))
    point = model.posterior_predictive_check()
    assert (point["lower"] == point["observed"]).all() and (point["upper"] == point["observed"]).all()
    assert point["inside"].all() and point.attrs["coverage"] == 1.0

    # the check simulates from the model's own expected score (its "score" deterministic,
    # which the by-hand likelihood tests pin), not from pi and gamma recomputed here: another
    # score in the posterior is what reaches the simulation
    posterior = model._idata["posterior"].to_dataset()
    posterior["score"] = (("chain", "draw", "cell"), np.full((2, 30, cells), 0.37))
    model._idata = xr.DataTree.from_dict({"posterior": posterior})
    seen.clear()
    monkeypatch.setattr(skill_graph, "simulate_rates", on_upper)
    model.posterior_predictive_check()
    np.testing.assert_array_equal(seen[0][0], np.full((60, cells), 0.37))


@pytest.mark.slow
def test_parameter_recovery_on_simulated_data():
    """Simulate Skill-Mix and loss data from the model at known parameters, refit, and check
    the truth lies in the 95% posterior interval of the shared parameters."""
    truth = {"c": 1.5, "eta": 1.0, "degree": 6.0, "gamma": 0.7}
    fixed = SkillGraphModel({k: v for k, v in truth.items()})
    model = fixed.build_model()
    with model:
        draw = pm.sample_prior_predictive(draws=1, random_seed=11)
    sims = draw["prior_predictive"]
    succ = sims["successes"].values.reshape(-1)
    loss = sims["loss"].values.reshape(-1)
    sm, cat, lo = split(fixed.bundled_data())
    x = fixed.inputs
    sm = sm[sm["metric"] == "ratio_of_full_marks"].reset_index(drop=True)
    sm["value"] = succ / x.cell_n
    lo = lo[lo["corpus"] == "hkust_average"].reset_index(drop=True)
    lo["value"] = loss
    free = SkillGraphModel(sampler_config={"draws": 500, "tune": 700, "chains": 2})
    free.fit(combine(sm, cat, lo), random_seed=5, progressbar=False)
    post = free.posterior
    for name, value in truth.items():
        lo_q, hi_q = np.quantile(post[name].values, [0.025, 0.975])
        assert lo_q <= value <= hi_q, (name, value, lo_q, hi_q)


def test_a_fit_with_all_three_metrics_keeps_its_outputs():
    """With the all-skills counts, the skill points and one gamma per LLM (prior draws as the
    posterior): the stored log-likelihood and predictive groups hold each observation, the
    skill fraction's expectation stays within its clip, and the predictive check and a forecast
    still read the full marks."""
    from skillfit.forecasting import forecast

    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel({"all_skills": True, "gamma_per_llm": True,
                                 "skill_fraction": True},
                                sampler_config={"draws": 20, "chains": 2})
        model.fit(random_seed=7)
    finally:
        pm.sample = original
    x = model.inputs
    assert set(model.idata["log_likelihood"].data_vars) == {"successes", "skill_points", "loss"}
    points = model.idata["posterior_predictive"]["skill_points"].values
    assert points.shape == (2, 20, 34)
    assert np.all((points >= 0) & (points <= x.cell_n * x.cell_k))
    frac = model.posterior["skill_fraction"].values
    assert np.all((frac >= 1e-6) & (frac <= 1 - 1e-6))
    table = model.posterior_predictive_check(random_seed=1)
    np.testing.assert_allclose(table["observed"], x.cell_successes / x.cell_n)
    out = forecast(model, [{"name": "big", "of": "GPT-4", "factor": 10.0}], k_max=3)
    pi = out[out["quantity"] == "pi"]
    assert pi["k"].tolist() == [1, 2, 3] and pi["median"].between(0, 1).all()
