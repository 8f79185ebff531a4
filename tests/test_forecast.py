"""Tests of skillfit.forecasting on SkillGraphModel posteriors from mocked sampling (prior draws).

Mocked draws come from the prior, so these tests check structure and invariants that hold
draw by draw (ordering of quantiles, monotonicity in compute, the inverse crossing), not values.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas.testing as pd_testing
import pymc as pm
import pytest
from pymc.testing import mock_sample

from _by_hand import (EPOCH_A, EPOCH_ALPHA, EPOCH_B, EPOCH_BETA, FIXED, log_r_law, pi_by_hand,
                      score_by_hand)
from skillfit.errors import SkillfitError, SpecError
from skillfit.forecasting import DEFAULT_HYPOTHETICAL_LLMS, pi_and_score_draws, compute_for, forecast, resolve_llms
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.specs import load_spec

GRID = np.logspace(22, 27, 30)


def _mock_fit(link: str, seed: int) -> SkillGraphModel:
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel({"link": link}, sampler_config={"draws": 100, "chains": 2})
        model.fit(random_seed=seed)
    finally:
        pm.sample = original
    return model


@pytest.fixture(scope="module")
def models() -> Iterator[dict[str, SkillGraphModel]]:
    yield {"threshold": _mock_fit("threshold", 11), "independent": _mock_fit("independent", 12)}


def test_table_structure(models) -> None:
    table = forecast(models["threshold"], DEFAULT_HYPOTHETICAL_LLMS, k_max=6)
    assert list(table.columns) == ["llm", "k", "quantity", "mean", "median", "lower", "upper"]
    names = [d["name"] for d in DEFAULT_HYPOTHETICAL_LLMS]
    assert list(dict.fromkeys(table["llm"])) == names
    assert set(table["quantity"]) == {"pi", "score", "P(score>=0.5)", "k_max_pi50"}
    for q in ("pi", "score", "P(score>=0.5)"):
        sub = table[table["quantity"] == q]
        assert len(sub) == 6 * len(names)
        assert sorted(set(sub["k"].astype(int))) == list(range(1, 7))
    kmax = table[table["quantity"] == "k_max_pi50"]
    assert len(kmax) == len(names) and kmax["k"].isna().all()
    for q in ("pi", "score"):
        sub = table[table["quantity"] == q]
        assert (sub["lower"] <= sub["median"] + 1e-12).all()
        assert (sub["median"] <= sub["upper"] + 1e-12).all()
        assert sub[["lower", "upper"]].apply(lambda c: c.between(0, 1)).all().all()
    prob = table[table["quantity"] == "P(score>=0.5)"]
    assert prob["mean"].between(0, 1).all() and prob["lower"].isna().all()
    # k_max_pi50 agrees with the pi medians
    for name in names:
        med = table[(table["llm"] == name) & (table["quantity"] == "pi")].set_index("k")["median"]
        k = kmax.set_index("llm").at[name, "median"]
        above = [int(i) for i, v in med.items() if v >= 0.5]
        assert k == (max(above) if above else 0)


@pytest.mark.parametrize("link", ["threshold", "independent"])
def test_pi_non_decreasing_in_compute(models, link: str) -> None:
    rows = [{"name": f"C{i}", "compute": c} for i, c in enumerate(GRID)]
    table = forecast(models[link], rows, k_max=5, score_at_least=())
    for k in (2, 3, 5):
        med = table[(table["quantity"] == "pi") & (table["k"] == k)]["median"].to_numpy()
        assert med.size == GRID.size
        assert np.all(np.diff(med) >= -1e-12), (link, k, med)
    # and every draw too (common random numbers): the law lowers r as compute grows
    _, log_r = resolve_llms(models[link], rows)
    assert np.all(np.diff(log_r, axis=0) <= 1e-12)


def test_pi_non_increasing_in_k(models) -> None:
    table = forecast(models["threshold"], [{"name": "x", "params": 7e10, "tokens": 2e12}], k_max=8)
    med = table[table["quantity"] == "pi"]["median"].to_numpy()
    assert np.all(np.diff(med) <= 1e-12)


def test_scaling_up_helps(models) -> None:
    rows = [{"name": "x1", "of": "LLaMA-2-70B-Chat", "factor": 1.0},
            {"name": "x100", "of": "LLaMA-2-70B-Chat", "factor": 100.0}]
    _, log_r = resolve_llms(models["threshold"], rows)
    assert np.all(log_r[1] < log_r[0])
    # factor 1 is the fitted LLM itself
    r = models["threshold"].posterior["r"].sel(llm="LLaMA-2-70B-Chat").values.reshape(-1)
    np.testing.assert_allclose(np.exp(log_r[0]), r, rtol=1e-10)


@pytest.mark.parametrize(("rows", "match"), [
    ([{"name": "a", "of": "LLaMA-3-400B", "factor": 10}], "'of': unknown LLM 'LLaMA-3-400B'"),
    ([{"name": "a", "compute": -1e24}], "compute must be positive"),
    ([{"name": "a", "params": 7e10}], "give params and tokens"),
    ([{"name": "a", "params": "big", "tokens": 1e12}], "params must be a number"),
    ([{"name": "a", "of": "GPT-4", "factor": 0}], "'factor' must be positive"),
    ([], "no hypothetical LLMs"),
])
def test_bad_inputs(models, rows, match) -> None:
    with pytest.raises(SkillfitError, match=match):
        forecast(models["threshold"], rows)


def test_bad_options(models) -> None:
    rows = [{"name": "a", "params": 7e10, "tokens": 2e12}]
    with pytest.raises(SkillfitError, match="ci_prob"):
        forecast(models["threshold"], rows, ci_prob=1.5)
    with pytest.raises(SkillfitError, match="ci_kind"):
        forecast(models["threshold"], rows, ci_kind="widest")
    with pytest.raises(SkillfitError, match="k_max"):
        forecast(models["threshold"], rows, k_max=0)
    with pytest.raises(SkillfitError, match="level"):
        compute_for(models["threshold"], 2, level=1.5)


def test_compute_for_crosses_prob(models) -> None:
    model, k, level, prob = models["threshold"], 2, 0.5, 0.3
    c = compute_for(model, k, level, prob)
    assert np.isfinite(c) and 1e20 < c < 1e31

    def reach(compute: float) -> float:
        _, log_r = resolve_llms(model, [{"name": "x", "compute": compute}])
        pi, _ = pi_and_score_draws(model, log_r, np.array([float(k)]))
        return float((pi[0, 0] >= level).mean())

    assert reach(c * 1.2) >= prob
    assert reach(c / 1.2) < prob
    # a higher level needs at least as much compute
    assert compute_for(model, k, 0.7, prob) >= c or np.isnan(compute_for(model, k, 0.7, prob))


# ------------------------------------------------------------------------------ the spec
def test_skillmix_spec_loads() -> None:
    spec = load_spec("skillmix")
    assert spec.model_type == "skill_graph" and spec.data == {"dataset": "bundled"}
    assert spec.forecast["k_max"] == 8 and spec.forecast["ci_prob"] == 0.89
    assert [r["name"] for r in spec.forecast["llms"]] == [d["name"] for d in DEFAULT_HYPOTHETICAL_LLMS]
    model = spec.make_model()
    assert model.model_config == SkillGraphModel().model_config  # mirrors the defaults
    default = SkillGraphModel().sampler_config
    assert model.sampler_config["chains"] == default["chains"]
    assert model.sampler_config["target_accept"] == default["target_accept"]
    data = spec.load_data()
    assert set(data["table"]) == {"skillmix", "catalog", "losses"}


def _spec(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(text)
    return path


BASE = '[model]\ntype = "skill_graph"\n[data]\ndataset = "bundled"\n'


def test_spec_unknown_keys_suggest(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"unknown key 'k_maxx' in \[forecast\] \(did you mean 'k_max'\?\)"):
        load_spec(_spec(tmp_path, BASE + "[forecast]\nk_maxx = 3\n"))
    with pytest.raises(SpecError, match=r"unknown key 'skilmix' in \[data\] \(did you mean 'skillmix'\?\)"):
        load_spec(_spec(tmp_path, '[model]\ntype = "skill_graph"\n[data]\nskilmix = "a.csv"\n'))
    with pytest.raises(SpecError, match=r"'factr'.*did you mean 'factor'"):
        load_spec(_spec(tmp_path, BASE + '[[forecast.llms]]\nname = "a"\nof = "GPT-4"\nfactr = 2\n'))
    with pytest.raises(SpecError, match=r"unknown model_config key 'gama' \(did you mean 'gamma'\?\)"):
        load_spec(_spec(tmp_path, BASE + "[model_config]\ngama = 0.5\n"))


def test_spec_data_variants(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match='must be "bundled"'):
        load_spec(_spec(tmp_path, '[model]\ntype = "skill_graph"\n[data]\ndataset = "chinchilla"\n'))
    with pytest.raises(SpecError, match="only valid for skill_graph"):
        load_spec(_spec(tmp_path, '[model]\ntype = "scaling_law"\n[data]\ndataset = "chinchilla"\n'
                                  "[forecast]\nk_max = 3\n"))
    with pytest.raises(SpecError, match="k_max must be a positive integer"):
        load_spec(_spec(tmp_path, BASE + "[forecast]\nk_max = 0\n"))
    # a user CSV for one table, the others bundled; validated by skillfit.data
    from skillfit import datasets

    sm = datasets.load("skillmix")
    sm[sm["llm"] != "GPT-4"].to_csv(tmp_path / "sm.csv", index=False)
    spec = load_spec(_spec(tmp_path, '[model]\ntype = "skill_graph"\n[data]\nskillmix = "sm.csv"\n'))
    data = spec.load_data()
    assert "GPT-4" not in set(data.loc[data["table"] == "skillmix", "llm"])
    assert "GPT-4" in set(data.loc[data["table"] == "catalog", "llm"])
    (tmp_path / "bad.csv").write_text("llm,k,metric,value\nx,0,skill_fraction,0.5\n")
    spec = load_spec(_spec(tmp_path, '[model]\ntype = "skill_graph"\n[data]\nskillmix = "bad.csv"\n'))
    with pytest.raises(SkillfitError, match="'k'"):
        spec.load_data()


def test_chunked_forecast_equals_one_pass(models, monkeypatch) -> None:
    """forecast() evaluates LLMs in chunks to bound memory; chunking must not change a value,
    and the k_max_pi50 row must match the median-pi column it summarises."""
    import skillfit.forecasting as fc

    rows = [{"name": f"C{i}", "compute": float(c)} for i, c in enumerate(GRID)]
    whole = forecast(models["threshold"], rows, k_max=5, score_at_least=[0.3, 0.5])
    monkeypatch.setattr(fc, "FORECAST_CHUNK", 7)  # one LLM per chunk
    pd_testing.assert_frame_equal(whole, forecast(models["threshold"], rows, k_max=5,
                                                  score_at_least=[0.3, 0.5]))
    pi = whole[whole["quantity"] == "pi"]
    k50 = whole[whole["quantity"] == "k_max_pi50"].set_index("llm")["median"]
    for name, sub in pi.groupby("llm"):
        above = sub.loc[sub["median"] >= 0.5, "k"]
        assert k50[name] == (above.max() if len(above) else 0)


# ------------------------------------------------------------------------------ known answers
def test_forecast_known_answer(fixed_joint: SkillGraphModel) -> None:
    """Every shared parameter fixed, no offsets: pi and score of a new LLM are one number per k,
    the model's definition written out by hand (tests/_by_hand.py)."""
    n, d = 7e10, 2e12
    table = forecast(fixed_joint, [{"name": "x", "params": n, "tokens": d}], k_max=6,
                     score_at_least=[0.05, 0.5])
    ks = np.arange(1, 7, dtype=float)
    pi = pi_by_hand(log_r_law(n, d), ks)
    score = score_by_hand(pi)
    for q, want in (("pi", pi), ("score", score)):
        sub = table[table["quantity"] == q]
        assert list(sub["k"]) == list(range(1, 7))
        for col in ("mean", "median", "lower", "upper"):
            np.testing.assert_allclose(sub[col].to_numpy(float), want, rtol=1e-9, err_msg=(q, col))
    # best of three generations lifts the score above gamma pi where pi is small
    assert np.all(score > FIXED["gamma"] * pi)
    for x in (0.05, 0.5):
        got = table[table["quantity"] == f"P(score>={x:g})"]["mean"].to_numpy(float)
        np.testing.assert_array_equal(got, (score >= x).astype(float))
    k50 = table[table["quantity"] == "k_max_pi50"]["median"].item()
    assert k50 == ks[pi >= 0.5].max() == 1



def test_fine_tuning_offset_spreads_new_llms() -> None:
    """A new LLM is a typical fine-tuned model: log r = law + sigma_tune z (family spread 0
    here), so the draws of log r have mean log r_law and standard deviation sigma_tune."""
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel({"sigma_family": 0.0, "sigma_tune": 0.5},
                                sampler_config={"draws": 1000, "chains": 2})
        model.fit(random_seed=4)
    finally:
        pm.sample = original
    _, log_r = resolve_llms(model, [{"name": "x", "params": 7e10, "tokens": 2e12},
                                    {"name": "y", "params": 7e10, "tokens": 2e12,
                                     "family": "Llama-2"}])
    S = log_r.shape[1]
    assert S == 2000
    for row in log_r:  # a fitted family's offset is 0 too (sigma_family = 0)
        assert np.mean(row) == pytest.approx(log_r_law(7e10, 2e12), abs=4 * 0.5 / np.sqrt(S))
        assert np.std(row) == pytest.approx(0.5, abs=4 * 0.5 / np.sqrt(2 * S))


def test_scaled_llm_known_answer(models) -> None:
    """'of' with factor f: N and D each times sqrt(f), so log r shifts by
    log(r_law(sqrt(f) N, sqrt(f) D) / r_law(N, D)) in every draw; a closed model (no N, D) by
    the compute-optimal ratio f^(-ab/(a+b))."""
    model = models["threshold"]
    f = 10.0
    _, log_r = resolve_llms(model, [{"name": "a", "of": "LLaMA-2-70B-Chat", "factor": f},
                                    {"name": "b", "of": "GPT-4", "factor": f}])
    r = model.posterior["r"].values.reshape(-1, len(model.inputs.llms))
    x = model.inputs.llms
    shift = log_r_law(np.sqrt(f) * 7e10, np.sqrt(f) * 2e12) - log_r_law(7e10, 2e12)
    np.testing.assert_allclose(log_r[0], np.log(r[:, x.index("LLaMA-2-70B-Chat")]) + shift,
                               rtol=1e-10)
    closed = -EPOCH_ALPHA * EPOCH_BETA / (EPOCH_ALPHA + EPOCH_BETA) * np.log(f)
    np.testing.assert_allclose(log_r[1], np.log(r[:, x.index("GPT-4")]) + closed, rtol=1e-10)


def test_compute_for_known_answer(fixed_joint: SkillGraphModel) -> None:
    """With no spread, P(pi_k >= level) jumps from 0 to 1 at the compute C* where the
    compute-optimal LLM's pi_k equals level; compute_for finds C* to within its grid step
    (221 points over 11 decades: a factor 1.12)."""
    from scipy.optimize import brentq

    k, level = 2, 0.5
    s = EPOCH_ALPHA + EPOCH_BETA
    g = (EPOCH_ALPHA * EPOCH_A / (EPOCH_BETA * EPOCH_B)) ** (1 / s)

    def pi_at(log10_c: float) -> float:
        c = 10.0 ** log10_c
        n, d = g * (c / 6) ** (EPOCH_BETA / s), (c / 6) ** (EPOCH_ALPHA / s) / g
        return float(pi_by_hand(log_r_law(n, d), k)) - level

    c_star = 10 ** brentq(pi_at, 20, 31)
    got = compute_for(fixed_joint, k, level, prob=0.5)
    assert got == pytest.approx(c_star, rel=0.13)
