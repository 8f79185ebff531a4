"""SkillGraphModel: data assembly, graph, links, bad input, save/load (mocked sampling)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymc.testing import mock_sample

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


def test_full_mark_beyond_the_guarantee_has_finite_likelihood():
    """A success where the guarantee is 0 (theta_k > 1 - tau) must cost a finite log-likelihood
    and a finite gradient: the floor turns the wall the sampler met into a slope."""
    from skillfit.models.pytensor_face import theory_mode

    model = SkillGraphModel().build_model()
    point = model.initial_point()
    point["c_log__"] = np.asarray(np.log(20.0))  # theta close to 1 for every LLM: pi_k = floor
    logp = model.compile_logp(mode=theory_mode())(point)
    dlogp = model.compile_dlogp(mode=theory_mode())(point)
    [pi_of_values] = model.replace_rvs_by_values([model["pi"]])
    pi = model.compile_fn(pi_of_values, inputs=model.value_vars, mode=theory_mode(),
                          on_unused_input="ignore")(point)
    floor = 1.0 / (1.0 + np.exp(-point["floor_logodds__"]))
    np.testing.assert_allclose(pi, floor, rtol=1e-6)
    assert np.isfinite(logp) and np.all(np.isfinite(dlogp))


def test_bad_config_rejected():
    with pytest.raises(SpecError, match="link"):
        SkillGraphModel({"link": "probit"})
    with pytest.raises(SpecError, match="did you mean 'degree'"):
        SkillGraphModel({"degre": {"dist": "LogNormal", "mu": 2, "sigma": 1}})


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


@pytest.mark.slow
def test_parameter_recovery_on_simulated_data():
    """Simulate Skill-Mix and loss data from the model at known parameters, refit, and check
    the truth lies in the 95% posterior interval of the shared parameters."""
    truth = {"c": 1.5, "degree": 6.0, "gamma": 0.7}
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
