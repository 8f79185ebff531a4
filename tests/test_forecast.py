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
    assert list(table.columns) == ["benchmark", "llm", "k", "quantity", "mean", "median",
                                   "lower", "upper"]
    assert set(table["benchmark"]) == {"skillmix"}
    names = [d["name"] for d in DEFAULT_HYPOTHETICAL_LLMS]
    assert list(dict.fromkeys(table["llm"])) == names
    assert set(table["quantity"]) == {"pi", "score", "measured", "P(score>=0.5)", "k_max_pi50"}
    assert table.attrs["trials"] == 100
    for q in ("pi", "score", "measured", "P(score>=0.5)"):
        sub = table[table["quantity"] == q]
        assert len(sub) == 6 * len(names)
        assert sorted(set(sub["k"].astype(int))) == list(range(1, 7))
    kmax = table[table["quantity"] == "k_max_pi50"]
    assert len(kmax) == len(names) and kmax["k"].isna().all()
    for q in ("pi", "score", "measured"):
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
def test_measured_rows_are_the_beta_binomial_of_a_new_evaluation(
        fixed_joint: SkillGraphModel) -> None:
    """Every shared parameter fixed: the expected score P is one number per k, so the measured
    rate of a new evaluation of n combinations is successes / n with successes ~
    BetaBinomial(n, P kappa, (1 - P) kappa) (scipy), sampled once per posterior draw."""
    from scipy import stats

    n_params, n_tokens = 7e10, 2e12
    ks = np.arange(1, 7, dtype=float)
    score = score_by_hand(pi_by_hand(log_r_law(n_params, n_tokens), ks))
    kap = FIXED["kappa"]
    for trials in (100, 7):
        table = forecast(fixed_joint, [{"name": "x", "params": n_params, "tokens": n_tokens}],
                         k_max=6, score_at_least=(), trials=trials)
        assert table.attrs["trials"] == trials
        sub = table[table["quantity"] == "measured"]
        assert list(sub["k"]) == list(range(1, 7))
        dist = stats.betabinom(trials, score * kap, (1 - score) * kap)
        draws = 2000  # fixed_joint: 2 chains x 1000
        # the mean is the expected score, up to Monte Carlo error (4 standard errors)
        np.testing.assert_array_less(np.abs(sub["mean"].to_numpy(float) - score),
                                     4 * dist.std() / trials / np.sqrt(draws))
        # median and 89% interval: the distribution's quantiles, to one count (the sample
        # quantile of 2,000 draws may land on a neighbouring count)
        for col, q in (("median", 0.5), ("lower", 0.055), ("upper", 0.945)):
            got = sub[col].to_numpy(float) * trials
            assert np.all(np.abs(got - dist.ppf(q)) <= 1.0), (trials, col, got, dist.ppf(q))
        # measured rates are whole counts out of the trials, and scatter more than the score
        assert np.allclose(sub[["median", "lower", "upper"]].to_numpy(float) * trials,
                           np.round(sub[["median", "lower", "upper"]].to_numpy(float) * trials))
        expected = table[table["quantity"] == "score"]
        width = sub["upper"].to_numpy() - sub["lower"].to_numpy()
        assert np.all(width >= expected["upper"].to_numpy() - expected["lower"].to_numpy())
        assert np.all(width[:3] > 0)  # the score's own interval is a point here


def test_measured_rows_of_a_zero_score_are_plus_zero(fixed_joint: SkillGraphModel) -> None:
    """A 1,000-parameter LLM scores about 0.003 at k = 8 (pi is FIXED's floor 0.004): one
    graded combination is a failure in over 94.5% of the draws, so the measured median and 89%
    interval are all 0 of 1, and the rows say 0.0, not -0.0 (which a table prints as
    '-0.00')."""
    table = forecast(fixed_joint, [{"name": "tiny", "params": 1e3, "tokens": 1e4}], k_max=8,
                     score_at_least=(), trials=1)
    row = table[(table["quantity"] == "measured") & (table["k"] == 8)]
    values = row[["median", "lower", "upper"]].to_numpy(float)
    assert np.all(values == 0.0) and not np.signbit(values).any()


def test_measured_rows_follow_the_seed_per_llm(models) -> None:
    rows = [{"name": "a", "compute": 1e24}, {"name": "b", "compute": 1e25}]
    one = forecast(models["threshold"], rows, k_max=3, score_at_least=(), random_seed=3)
    measured = one[one["quantity"] == "measured"]
    again = forecast(models["threshold"], rows, k_max=3, score_at_least=(), random_seed=3)
    pd_testing.assert_frame_equal(one, again)
    other = forecast(models["threshold"], rows, k_max=3, score_at_least=(), random_seed=4)
    assert not np.array_equal(measured["mean"], other[other["quantity"] == "measured"]["mean"])
    with pytest.raises(SkillfitError, match=r"^trials must be a whole number >= 1 or None, got 0$"):
        forecast(models["threshold"], rows, trials=0)
    with pytest.raises(SkillfitError, match=r"^trials must be a whole number >= 1 or None, got 2.5$"):
        forecast(models["threshold"], rows, trials=2.5)
    # one trial is a new evaluation too: its measured rate is 0 or 1
    single = forecast(models["threshold"], rows, k_max=3, score_at_least=(), trials=1)
    assert single.attrs["trials"] == 1
    rates = single.loc[single["quantity"] == "measured", ["median", "lower", "upper"]]
    assert len(rates) == 6 and set(np.unique(rates.to_numpy(float))) <= {0.0, 1.0}
    # None leaves the measured rows out and changes nothing else
    without = forecast(models["threshold"], rows, k_max=3, score_at_least=(), random_seed=3,
                       trials=None)
    assert "measured" not in set(without["quantity"]) and without.attrs["trials"] is None
    pd_testing.assert_frame_equal(without, one[one["quantity"] != "measured"].reset_index(drop=True))


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


# ------------------------------------------------------------------------------ tables (known answers)
#: The open Skill-Mix LLMs of fixed_joint (the backtest's training set) and their base's (N, D);
#: Mistral's tokens are unknown and GPT-3.5/GPT-4 are closed.
OPEN = {"LLaMA-2-7B-Chat": (7e9, 2e12), "LLaMA-2-13B-Chat": (1.3e10, 2e12),
        "Qwen-14B-Chat": (1.4e10, 3e12)}


def _optimal(c: float) -> tuple[float, float]:
    """Compute-optimal (N, D) of the Epoch law (Hoffmann et al. 2022, Eq. 4), by hand."""
    s = EPOCH_ALPHA + EPOCH_BETA
    g = (EPOCH_ALPHA * EPOCH_A / (EPOCH_BETA * EPOCH_B)) ** (1 / s)
    return g * (c / 6) ** (EPOCH_BETA / s), (c / 6) ** (EPOCH_ALPHA / s) / g


def test_observed_compute_and_points_known_answer(fixed_joint: SkillGraphModel,
                                                  monkeypatch) -> None:
    """6ND of the open LLMs only, and each one's own pi (or score) at the asked k, by hand;
    no open LLM gives an empty table with the same columns."""
    import skillfit.forecasting as fc

    seen = fc.observed_compute(fixed_joint)
    assert list(seen) == list(OPEN)
    for name, (n, d) in OPEN.items():
        assert seen[name] == pytest.approx(6 * n * d, rel=1e-12)
    for quantity in ("pi", "score"):
        pts = fc.observed_points(fixed_joint, [3, 2], quantity)
        assert list(pts.columns) == ["llm", "compute", "k", "median"]
        assert list(pts["llm"]) == [m for m in OPEN for _ in (2, 3)]
        assert list(pts["k"]) == [2, 3] * 3 and pts["k"].dtype == np.int64
        for (n, d), row in zip([OPEN[m] for m in pts["llm"]], pts.itertuples(), strict=True):
            assert row.compute == pytest.approx(6 * n * d, rel=1e-12)
            pi = pi_by_hand(log_r_law(n, d), float(row.k))
            want = pi if quantity == "pi" else score_by_hand(pi)
            assert row.median == pytest.approx(float(want), rel=1e-9)
    far = fc.observed_points(fixed_joint, [10])  # a k beyond forecast's default k_max
    np.testing.assert_allclose(far["median"], [pi_by_hand(log_r_law(n, d), 10.0) for n, d in
                                               OPEN.values()], rtol=1e-9)
    pd_testing.assert_frame_equal(fc.observed_points(fixed_joint, [2]),
                                  fc.observed_points(fixed_joint, [2], "pi"))
    monkeypatch.setattr(fc, "observed_compute", lambda model: {})
    empty = fc.observed_points(fixed_joint, [2])
    assert empty.empty and list(empty.columns) == ["llm", "compute", "k", "median"]


def test_observed_rates_are_the_published_cells(fixed_joint: SkillGraphModel) -> None:
    """The open LLMs' published full-marks rates at their 6ND, read from the bundled table."""
    import skillfit.forecasting as fc
    from skillfit import datasets

    sm = datasets.load("skillmix")
    sm = sm[sm["metric"] == "ratio_of_full_marks"].set_index(["llm", "k"])["value"]
    pts = fc.observed_rates(fixed_joint, [3, 2])
    assert list(pts.columns) == ["llm", "compute", "k", "median"]
    assert pts["k"].dtype == np.int64
    assert sorted(set(pts["llm"])) == sorted(OPEN) and sorted(set(pts["k"])) == [2, 3]
    for row in pts.itertuples():
        n, d = OPEN[row.llm]
        assert row.compute == pytest.approx(6 * n * d, rel=1e-12)
        assert row.median == pytest.approx(sm[(row.llm, row.k)], abs=1e-12)
    assert pts.set_index(["llm", "k"]).at[("LLaMA-2-7B-Chat", 2), "median"] == pytest.approx(0.03)
    assert fc.observed_rates(fixed_joint, [9]).empty  # no cell at k = 9


def test_observed_rates_keep_a_cell_of_one_trial() -> None:
    """A cell of a single trial (valid: trials >= 1) is a published rate like any other; k is
    a whole number. (The inputs are assembled by hand: observed_rates reads nothing else.)"""
    import pandas as pd

    import skillfit.forecasting as fc
    from skillfit import datasets
    from skillfit.models.skill_graph_data import assemble

    sm, cat, lo = (datasets.load(n) for n in ("skillmix", "llm_catalog", "llm_losses"))
    row = {"llm": "LLaMA-2-7B-Chat", "k": 7, "metric": "ratio_of_full_marks", "successes": 1,
           "trials": 1}
    model = SkillGraphModel()
    model._inputs = assemble(pd.concat([sm, pd.DataFrame([row])], ignore_index=True), cat, lo)
    model.model = "built"
    pts = fc.observed_rates(model, [7])
    assert pts["k"].dtype == np.int64
    assert pts.to_dict("list") == {"llm": ["LLaMA-2-7B-Chat"],
                                   "compute": [pytest.approx(6 * 7e9 * 2e12, rel=1e-12)],
                                   "k": [7], "median": [1.0]}


def test_kcurve_table_known_answer(fixed_joint: SkillGraphModel) -> None:
    """Each Skill-Mix LLM as itself: the open ones' expected score is one number per k, by hand;
    Mistral's (tokens unknown) interval is the quartiles of its own draws at ci_prob 0.5; k_max
    is raised to the largest observed k (6) and kept when larger."""
    from skillfit.forecasting import kcurve_table

    table = kcurve_table(fixed_joint, k_max=2, ci_prob=0.5)
    llms = fixed_joint.inputs.llms
    assert list(table.columns) == ["benchmark", "llm", "k", "quantity", "mean", "median",
                                   "lower", "upper"]
    assert set(table["benchmark"]) == {"skillmix"}
    assert (table["quantity"] == "score").all() and table.attrs["ci_prob"] == 0.5
    assert list(table["llm"]) == [m for m in llms for _ in range(6)]
    assert list(table["k"]) == list(range(1, 7)) * len(llms)
    ks = np.arange(1, 7, dtype=float)
    for name, (n, d) in OPEN.items():
        sub = table[table["llm"] == name]
        want = score_by_hand(pi_by_hand(log_r_law(n, d), ks))
        for col in ("mean", "median", "lower", "upper"):
            np.testing.assert_allclose(sub[col].to_numpy(float), want, rtol=1e-9)
    r = fixed_joint.posterior["r"].sel(llm="Mistral-7B-Instruct-v0.1").values.reshape(-1)[::10]
    draws = score_by_hand(pi_by_hand(np.log(r)[:, None], ks[None, :]))  # (200, 6), every 10th
    sub = table[table["llm"] == "Mistral-7B-Instruct-v0.1"]
    # every 10th of 2000 draws: its quartiles within a few percent of the full set's
    for col, q in (("lower", 0.25), ("median", 0.5), ("upper", 0.75)):
        np.testing.assert_allclose(sub[col].to_numpy(float), np.quantile(draws, q, axis=0),
                                   rtol=0.03, err_msg=col)
    assert (sub["upper"] - sub["lower"]).max() > 1e-3  # a real spread
    assert kcurve_table(fixed_joint, k_max=8)["k"].max() == 8
    default = kcurve_table(fixed_joint)  # k_max 6, the 89% interval
    assert default["k"].max() == 6 and default.attrs["ci_prob"] == 0.89


def test_fan_table_known_answer(fixed_joint: SkillGraphModel) -> None:
    """Along a compute grid the compute-optimal new LLM's pi (or score) by hand, sorted by k then
    compute, one lower/upper pair per mass; the defaults (k 2-5, 30 points 1e22-1e27, 50% and 89%
    bands); a wrong quantity is an error word for word."""
    from skillfit.forecasting import fan_table

    grid = [1e25, 1e23]
    for quantity in ("pi", "score"):
        t = fan_table(fixed_joint, ks=(3, 2), compute_grid=grid, quantity=quantity,
                      ci_probs=(0.5, 0.89))
        assert list(t.columns) == ["compute", "k", "median", "lower_0.5", "upper_0.5",
                                   "lower_0.89", "upper_0.89"]
        assert list(t["k"]) == [2, 2, 3, 3] and t["k"].dtype == np.int64
        assert list(t["compute"]) == [1e23, 1e25, 1e23, 1e25]
        for row in t.itertuples(index=False):
            pi = pi_by_hand(log_r_law(*_optimal(row.compute)), float(row.k))
            want = float(pi if quantity == "pi" else score_by_hand(pi))
            np.testing.assert_allclose(row[2:], want, rtol=1e-9)
        assert t.attrs == {"quantity": quantity, "ci_probs": (0.5, 0.89), "link": "threshold",
                           "benchmark": "skillmix", "trials": 100}
    t = fan_table(fixed_joint, ks=(10,), compute_grid=[1e25], ci_probs=(0.5,))  # k beyond 8
    assert list(t["k"]) == [10]
    assert t.at[0, "median"] == pytest.approx(float(pi_by_hand(log_r_law(*_optimal(1e25)), 10.0)),
                                              rel=1e-9)
    t = fan_table(fixed_joint)
    assert sorted(set(t["k"])) == [2, 3, 4, 5]
    np.testing.assert_allclose(t.loc[t["k"] == 2, "compute"], np.logspace(22, 27, 30), rtol=1e-12)
    assert list(t.columns[2:]) == ["median", "lower_0.5", "upper_0.5", "lower_0.89", "upper_0.89"]
    assert t.attrs["quantity"] == "pi"
    with pytest.raises(SkillfitError) as err:
        fan_table(fixed_joint, quantity="loss")
    assert str(err.value) == "quantity must be one of 'pi', 'score', 'measured', got 'loss'"
    measured = fan_table(fixed_joint, ks=(2,), compute_grid=grid, quantity="measured")
    assert measured.attrs["quantity"] == "measured"
    assert list(measured["compute"]) == [1e23, 1e25] and list(measured["k"]) == [2, 2]
    assert np.all(measured["upper_0.89"] > measured["lower_0.89"])  # the grading scatter
    counts = measured[["median", "lower_0.5", "upper_0.5", "lower_0.89", "upper_0.89"]] * 100
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-9)  # whole counts of 100
    # a grid of Python ints (beyond int64) is a grid of floats
    t = fan_table(fixed_joint, ks=(2,), compute_grid=[10**23, 10**25], ci_probs=(0.5,))
    assert t["compute"].dtype == np.float64 and list(t["compute"]) == [1e23, 1e25]


def test_fan_table_bands_are_the_draws_quantiles(models) -> None:
    """With spread (prior draws): the bands are the equal-tailed quantiles of the new LLM's pi
    draws at each mass (lower below upper, the 89% band around the 50% one)."""
    from skillfit.forecasting import fan_table

    model = models["threshold"]
    t = fan_table(model, ks=(2,), compute_grid=[1e24], ci_probs=(0.5, 0.89))
    _, log_r = resolve_llms(model, [{"name": "x", "compute": 1e24}])
    pi = pi_and_score_draws(model, log_r, np.array([2.0]))[0][0, 0]
    want = {"median": 0.5, "lower_0.5": 0.25, "upper_0.5": 0.75, "lower_0.89": 0.055,
            "upper_0.89": 0.945}
    for col, q in want.items():
        assert t.at[0, col] == pytest.approx(np.quantile(pi, q), rel=1e-12, abs=1e-15), col
    bands = [t.at[0, c] for c in ("lower_0.89", "lower_0.5", "upper_0.5", "upper_0.89")]
    assert bands == sorted(bands) and len(set(bands)) == 4


def test_hypothetical_compute_known_answer(fixed_joint: SkillGraphModel) -> None:
    """6ND of a new LLM, its compute as given, factor x an open LLM's 6ND (x1 without factor,
    by alias too), and nothing for a closed LLM."""
    from skillfit.forecasting import hypothetical_compute

    got = hypothetical_compute(fixed_joint, [
        {"name": "new", "params": 1e10, "tokens": 3e11},
        {"compute": 2e24, "tokens_per_param": 5.0},
        {"name": "x10", "of": "LLaMA-2-13B-Chat", "factor": 10.0},
        {"name": "x1", "of": "llama2-7b-chat"},
        {"name": "closed", "of": "GPT-4", "factor": 10.0}])
    assert list(got) == ["new", "llm2", "x10", "x1"]
    want = {"new": 1.8e22, "llm2": 2e24, "x10": 1.56e24, "x1": 8.4e22}
    for name, value in want.items():
        assert got[name] == pytest.approx(value, rel=1e-12), name


def test_extrapolation_warnings_word_for_word(fixed_joint: SkillGraphModel, monkeypatch) -> None:
    """The observed compute spans 8.4e22 (LLaMA-2-7B-Chat) to 2.52e23 (Qwen-14B-Chat) FLOP;
    1000x either way is still in range, beyond it is warned, as are a factor above 1000 and
    tokens per parameter outside 1-1e4 (each bound itself is inside)."""
    import skillfit.forecasting as fc

    seen = fc.observed_compute(fixed_joint)
    lo, hi = seen["LLaMA-2-7B-Chat"], seen["Qwen-14B-Chat"]
    quiet = [{"name": "a", "of": "LLaMA-2-7B-Chat", "factor": 1000.0},
             {"name": "b", "of": "GPT-4"},
             {"name": "c", "params": 1e10, "tokens": 1e10},  # 1 token per parameter
             {"name": "d", "params": 1e9, "tokens": 1e13},  # 1e4 tokens per parameter
             {"name": "e", "compute": lo / 1000, "tokens_per_param": 20.0},
             {"name": "f", "compute": hi * 1000, "tokens_per_param": 20.0},
             {"name": "g", "compute": 1e24}]
    assert fc.extrapolation_warnings(fixed_joint, quiet) == []
    loud = [{"name": "scaled", "of": "LLaMA-2-7B-Chat", "factor": 1e4},
            {"params": 2e12, "tokens": 7e10},
            {"name": "wide", "compute": 1e24, "tokens_per_param": 2e4},
            {"name": "huge", "compute": 1e28},
            {"name": "tiny", "params": 1e6, "tokens": 1e7},
            {"name": "both", "params": 1e3, "tokens": 1e2}]
    assert fc.extrapolation_warnings(fixed_joint, loud) == [
        "scaled: 10000 x the compute of LLaMA-2-7B-Chat is far beyond every LLM the model was "
        "fitted on; the forecast extrapolates the scaling law and the link",
        "llm2: 0.035 tokens per parameter (2e+12 params, 7e+10 tokens) is outside the range of "
        "trained LLMs (1-10000): are params and tokens swapped?",
        "wide: 2e+04 tokens per parameter (2.89e+09 params, 5.77e+13 tokens) is outside the range "
        "of trained LLMs (1-10000): are params and tokens swapped?",
        "huge: training compute 1e+28 FLOP is more than 1000x outside the observed LLMs' range "
        "(8.4e+22-2.5e+23 FLOP); the forecast extrapolates the scaling law and the link",
        "tiny: training compute 6e+13 FLOP is more than 1000x outside the observed LLMs' range "
        "(8.4e+22-2.5e+23 FLOP); the forecast extrapolates the scaling law and the link",
        "both: 0.1 tokens per parameter (1e+03 params, 100 tokens) is outside the range of "
        "trained LLMs (1-10000): are params and tokens swapped?",
        "both: training compute 6e+05 FLOP is more than 1000x outside the observed LLMs' range "
        "(8.4e+22-2.5e+23 FLOP); the forecast extrapolates the scaling law and the link"]
    monkeypatch.setattr(fc, "observed_compute", lambda model: {})  # no open LLM: no range
    assert fc.extrapolation_warnings(fixed_joint, loud[3:5]) == []


def test_resolve_llms_offsets_by_hand(models) -> None:
    """log r of a new LLM, draw by draw: the law, plus the named fitted family's offset or else
    sigma_family z_family (an unknown family name is a new family), plus sigma_tune z_tune,
    with (z_family, z_tune) the seed's two standard-normal vectors shared by every LLM."""
    model = models["threshold"]
    shared = model.shared_parameters()
    S = shared["c"].size
    rows = [{"name": "x", "params": 7e10, "tokens": 2e12},
            {"name": "y", "params": 7e10, "tokens": 2e12, "family": "Llama-2"},
            {"name": "z", "params": 7e10, "tokens": 2e12, "family": "NewFamily"},
            {"params": 1e10, "tokens": 2e11}, {"name": "", "params": 1e10, "tokens": 2e11}]
    names, log_r = resolve_llms(model, rows, 3)
    assert names == ["x", "y", "z", "llm4", "llm5"] and log_r.shape == (5, S)
    rng = np.random.default_rng(3)
    z_family, z_tune = rng.standard_normal(S), rng.standard_normal(S)
    tune = shared["sigma_tune"] * z_tune
    fam = model.posterior["family_offset"].sel(family="Llama-2").values.reshape(-1)
    new = shared["sigma_family"] * z_family
    law = log_r_law(7e10, 2e12)
    np.testing.assert_allclose(log_r[0], law + new + tune, rtol=1e-12)
    np.testing.assert_allclose(log_r[1], law + fam + tune, rtol=1e-12)
    np.testing.assert_allclose(log_r[2], law + new + tune, rtol=1e-12)
    np.testing.assert_allclose(log_r[3], log_r_law(1e10, 2e11) + new + tune, rtol=1e-12)
    assert np.std(new) > 0.01 and np.std(tune) > 0.01 and np.std(fam) > 0.01  # not vacuous


def test_resolve_llms_compute_paths_known_answer(fixed_joint: SkillGraphModel) -> None:
    """compute with tokens_per_param t: N = sqrt(C / 6t), D = t N (even below one parameter);
    'of' without a factor is the LLM itself; an LLM of known N but unknown D (Mistral) scales
    by the compute-optimal ratio f^(-ab/(a+b)) like a closed one; a compute so small that D
    underflows to 0 is an error word for word."""
    rows = [{"name": "t", "compute": 1e24, "tokens_per_param": 5.0},
            {"name": "small", "compute": 6.0, "tokens_per_param": 0.25},  # N = 2, D = 0.5
            {"name": "self", "of": "Qwen-14B-Chat"},
            {"name": "mistral", "of": "Mistral-7B-Instruct-v0.1", "factor": 10.0}]
    _, log_r = resolve_llms(fixed_joint, rows)
    n = np.sqrt(1e24 / 30)
    np.testing.assert_allclose(log_r[0], log_r_law(n, 5 * n), rtol=1e-12)
    np.testing.assert_allclose(log_r[1], log_r_law(2.0, 0.5), rtol=1e-12)
    np.testing.assert_allclose(log_r[2], log_r_law(1.4e10, 3e12), rtol=1e-12)
    r = fixed_joint.posterior["r"].sel(llm="Mistral-7B-Instruct-v0.1").values.reshape(-1)
    closed = -EPOCH_ALPHA * EPOCH_BETA / (EPOCH_ALPHA + EPOCH_BETA) * np.log(10.0)
    np.testing.assert_allclose(log_r[3], np.log(r) + closed, rtol=1e-10)
    with pytest.raises(SkillfitError) as err:
        resolve_llms(fixed_joint, [{"name": "tiny", "compute": 5e-324, "tokens_per_param": 5e-324}])
    assert str(err.value) == ("forecast 'tiny': compute 4.94066e-324 FLOP gives 0.408 params and "
                              "0 tokens, outside the range of floating-point numbers")
    with pytest.raises(SkillfitError) as err:
        resolve_llms(fixed_joint, [{"name": "a", "of": "LLaMA-3-400B", "factor": 10}])
    assert str(err.value).startswith("forecast 'a': 'of': unknown LLM 'LLaMA-3-400B'")


class _LinkStub:
    """What pi_and_score_draws reads from a model: its link and the shared parameter draws."""

    def __init__(self, link: str, draws: dict[str, np.ndarray]) -> None:
        self.link, self._draws = link, draws

    def shared_parameters(self) -> dict[str, np.ndarray]:
        return self._draws

    def benchmark_parameters(self, benchmark: str | None = None) -> dict[str, np.ndarray]:
        """One benchmark, Skill-Mix's best of 3."""
        return {**self._draws, "generations": np.full(self._draws["c"].size, 3.0)}


def test_pi_and_score_draws_logistic_by_hand_without_warnings() -> None:
    """The logistic link written out, pi = 1 / (1 + exp(-z)), z = a + b_r (log r - log 0.2) +
    b_k (k - 3), score = 1 - (1 - gamma pi)^3 (with weight per_tuple pi (1 - (1 - gamma)^3)),
    draw by draw; at log r = 400 exp(-z) overflows
    to inf (pi = 0), which is no RuntimeWarning."""
    import warnings

    draws = {"c": np.array([1.5, 2.0]), "eta": np.array([1.0, 0.8]), "gamma": np.array([0.8, 0.6]),
             "per_tuple": np.array([0.0, 0.4]),
             "logistic_intercept": np.array([0.5, -1.0]),
             "logistic_slope_r": np.array([-2.0, -3.0]), "logistic_slope_k": np.array([-0.7, -0.4])}
    log_r = np.array([[np.log(0.1), np.log(0.5)], [400.0, 400.0]])
    ks = np.array([1.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pi, score = pi_and_score_draws(_LinkStub("logistic", draws), log_r, ks)
    assert pi.shape == score.shape == (2, 2, 2)
    for i in range(2):
        for j, k in enumerate(ks):
            for s in range(2):
                z = (draws["logistic_intercept"][s]
                     + draws["logistic_slope_r"][s] * (log_r[i, s] - np.log(0.2))
                     + draws["logistic_slope_k"][s] * (k - 3.0))
                want = 1.0 / (1.0 + np.exp(-z)) if z > -700 else 0.0
                assert pi[i, j, s] == pytest.approx(want, rel=1e-12, abs=1e-300)
                g, w = draws["gamma"][s], draws["per_tuple"][s]
                best = (1 - w) * (1 - (1 - g * want) ** 3) + w * want * (1 - (1 - g) ** 3)
                assert score[i, j, s] == pytest.approx(best, rel=1e-12, abs=1e-300)
    assert pi[0].min() > 0.01 and pi[1].max() == 0.0


def test_pi_and_score_draws_tiny_llm_without_warnings(fixed_joint: SkillGraphModel) -> None:
    """A 1,000-parameter LLM: r = 115 nats/token, so theta = 1 - exp(-c r^eta) rounds to 1 and
    log(1 - theta) to -inf inside the threshold link. Every skill fails: nothing is guaranteed
    and pi is the floor, at every k, without a RuntimeWarning."""
    import warnings

    _, log_r = resolve_llms(fixed_joint, [{"name": "tiny", "params": 1e3, "tokens": 1e4}])
    ks = np.array([1.0, 3.0, 8.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pi, _ = pi_and_score_draws(fixed_joint, log_r, ks)
    assert 1.0 - np.exp(-FIXED["c"] * np.exp(FIXED["eta"] * log_r_law(1e3, 1e4))) == 1.0
    np.testing.assert_allclose(pi, FIXED["floor"], rtol=1e-12)
    # no k has a median pi of 0.5: k_max_pi50 is 0, not 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it is far outside the observed compute: warned
        table = forecast(fixed_joint, [{"name": "tiny", "params": 1e3, "tokens": 1e4}], k_max=3)
    assert table.loc[table["quantity"] == "k_max_pi50", "median"].tolist() == [0.0]


def _draws_by_hand(model: SkillGraphModel, row: dict, seed: int, ks: np.ndarray):
    """pi and score draws (K, S) of one hypothetical LLM: resolve_llms and pi_and_score_draws,
    each checked against the model's definition above."""
    _, log_r = resolve_llms(model, [row], seed)
    pi, score = pi_and_score_draws(model, log_r, ks)
    return pi[0], score[0]


def test_forecast_summaries_are_the_draws(models) -> None:
    """With the defaults (k 1-8, seed 0, 89% equal-tailed, P(score>=0.5)) every summary is the
    draws' mean, median or quantile, and k_max_pi50 the largest k whose median pi is 0.5 or
    more; the quantities come per LLM in the order pi, score, each P(score>=x) in the order
    given, k_max_pi50; a level equal to a draw counts it as reached (>=)."""
    model = models["threshold"]
    row = {"name": "x", "compute": 1e27}  # median pi >= 0.5 up to k = 3 (prior draws)
    table = forecast(model, [row])
    ks = np.arange(1.0, 9.0)
    pi, score = _draws_by_hand(model, row, 0, ks)
    assert table.attrs == {"ci_prob": 0.89, "ci_kind": "eti", "trials": 100, "without_trials": [],
                           "warnings": []}
    assert str(table["k"].dtype) == "Int64"  # whole k, and <NA> on the k_max_pi50 row
    for q, arr in (("pi", pi), ("score", score)):
        sub = table[table["quantity"] == q]
        assert list(sub["k"]) == list(range(1, 9))
        np.testing.assert_allclose(sub["mean"], arr.mean(axis=-1), rtol=1e-12)
        for col, level in (("median", 0.5), ("lower", 0.055), ("upper", 0.945)):
            np.testing.assert_allclose(sub[col], np.quantile(arr, level, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(table.loc[table["quantity"] == "P(score>=0.5)", "mean"],
                               (score >= 0.5).mean(axis=-1), rtol=1e-12)
    # measured: one Beta-Binomial(100) evaluation per draw, from the LLM's own stream of the seed
    rng = np.random.default_rng(np.random.SeedSequence(0).spawn(1)[0])
    p = np.clip(score, 1e-6, 1 - 1e-6)  # the model's SCORE_EPS
    kappa = model.shared_parameters()["kappa"]
    measured = rng.binomial(100, rng.beta(p * kappa, (1 - p) * kappa)) / 100
    sub = table[table["quantity"] == "measured"]
    np.testing.assert_allclose(sub["mean"], measured.mean(axis=-1), rtol=1e-12)
    # whole counts: the median rounded half up, the interval's ends rounded outward
    for col, level, snap in (("median", 0.5, lambda v: np.floor(v + 0.5)),
                             ("lower", 0.055, lambda v: np.floor(v + 1e-9)),
                             ("upper", 0.945, lambda v: np.ceil(v - 1e-9))):
        q = np.quantile(measured, level, axis=-1) * 100
        np.testing.assert_allclose(sub[col], snap(q) / 100, rtol=1e-12)
    above = ks[np.median(pi, axis=-1) >= 0.5]
    assert table.loc[table["quantity"] == "k_max_pi50", "median"].item() == above.max()
    assert 1 < above.max() < 8  # neither end: the search is tested

    pi, score = _draws_by_hand(model, row, 3, np.array([1.0, 2.0]))
    x = float(score[0, 0])  # a draw's own value
    other = forecast(model, [row, dict(row, name="y")], k_max=2, ci_prob=0.5,
                     score_at_least=[0.3, x], random_seed=3)
    label = f"P(score>={x:g})"
    assert list(other["quantity"]) == (["pi"] * 2 + ["score"] * 2 + ["measured"] * 2
                                       + ["P(score>=0.3)"] * 2 + [label] * 2 + ["k_max_pi50"]) * 2
    assert list(other["llm"]) == ["x"] * 11 + ["y"] * 11
    sub = other[other["llm"] == "x"]
    np.testing.assert_allclose(sub.loc[sub["quantity"] == "pi", "lower"],
                               np.quantile(pi, 0.25, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(sub.loc[sub["quantity"] == "score", "upper"],
                               np.quantile(score, 0.75, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(sub.loc[sub["quantity"] == label, "mean"],
                               (score >= x).mean(axis=-1), rtol=1e-12)
    assert (score[0] == x).sum() == 1  # so '>' would give 1/S less at k = 1


def test_forecast_hdi_kind_and_k_max_bounds(models) -> None:
    """ci_kind 'hdi' is used and recorded (an interval no wider than the equal-tailed one);
    k_max is any whole number from 1 to 100, anything else an error word for word."""
    model = models["threshold"]
    rows = [{"name": "x", "params": 7e10, "tokens": 2e12}]
    eti = forecast(model, rows, k_max=4)
    hdi = forecast(model, rows, k_max=4, ci_kind="hdi")
    assert hdi.attrs["ci_kind"] == "hdi"
    width = {name: (t["upper"] - t["lower"]).dropna() for name, t in (("eti", eti), ("hdi", hdi))}
    assert (width["hdi"] <= width["eti"] + 1e-12).all() and (width["hdi"] < width["eti"]).any()
    for k_max in (1, 100):
        assert forecast(model, rows, k_max=k_max, score_at_least=())["k"].max() == k_max
    for bad in (0, 101, 2.5, True, "x", None):
        with pytest.raises(SkillfitError) as err:
            forecast(model, rows, k_max=bad)
        assert str(err.value) == f"k_max must be an integer from 1 to 100, got {bad!r}"


def test_forecast_warns_the_caller(models) -> None:
    """A far extrapolation is an ExtrapolationWarning pointing past forecasting.py (at the
    caller; under mutmut's trampoline one frame deeper, so only 'not forecasting.py' is
    checked), and the same words are in table.attrs['warnings']."""
    from skillfit.errors import ExtrapolationWarning

    model = models["threshold"]
    with pytest.warns(ExtrapolationWarning) as record:
        table = forecast(model, [{"name": "huge", "compute": 1e32}], k_max=2)
    assert [str(w.message) for w in record] == table.attrs["warnings"]
    assert len(record) == 1 and not record[0].filename.endswith("forecasting.py")
    assert table.attrs["warnings"][0].startswith("huge: training compute 1e+32 FLOP is more than")


def test_forecast_warning_points_at_the_caller(models) -> None:
    """stacklevel=2: the ExtrapolationWarning names the file that called forecast (this one),
    not forecasting.py (level 1) nor pytest's (level 3). Not judged through mutmut's
    trampoline, which adds a frame: left out of the mutant runs (docs/testing.md)."""
    import warnings

    from skillfit.errors import ExtrapolationWarning

    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        forecast(models["threshold"], [{"name": "huge", "compute": 1e32}], k_max=2)
    assert [(w.category, w.filename) for w in record] == [(ExtrapolationWarning, __file__)]


def _crossing(k: int, level: float, tpp: float | None = None) -> float:
    """log10 of the compute where the new LLM's by-hand pi_k equals level (no spread)."""
    from scipy.optimize import brentq

    def pi_at(log10_c: float) -> float:
        c = 10.0 ** log10_c
        n = _optimal(c)[0] if tpp is None else np.sqrt(c / (6 * tpp))
        d = _optimal(c)[1] if tpp is None else tpp * n
        return float(pi_by_hand(log_r_law(n, d), k)) - level

    return brentq(pi_at, 20, 31)


def test_compute_for_interpolates_on_its_grid(fixed_joint: SkillGraphModel) -> None:
    """No spread: P(pi_k >= level) jumps from 0 to 1 between two neighbours of the 221-point
    grid 10^(20 + j/20); interpolating prob between them in log compute gives exactly
    10^(20 + (i - 1 + prob)/20), i the first grid point past the by-hand crossing C* (also at
    tokens_per_param 5: N = sqrt(C/30), D = 5N)."""
    from skillfit.forecasting import compute_for

    for tpp, prob in ((None, 0.5), (None, 0.3), (5.0, 0.5)):
        i = int(np.ceil((_crossing(2, 0.5, tpp) - 20) * 20))
        got = compute_for(fixed_joint, 2, 0.5, prob, tokens_per_param=tpp)
        assert got == pytest.approx(10 ** (20 + (i - 1 + prob) / 20), rel=1e-9), (tpp, prob)


def test_compute_for_range_ends_and_errors(fixed_joint: SkillGraphModel) -> None:
    """A range starting past C* gives its start, one ending before it NaN (k = 1 is allowed);
    a crossing between the range's first two points is interpolated; bad k, level, prob are
    errors word for word."""
    from skillfit.forecasting import compute_for

    star = _crossing(2, 0.5)
    start = compute_for(fixed_joint, 2, 0.5, compute_range=(10 ** (star + 1), 1e31))
    assert start == pytest.approx(10 ** (star + 1), rel=1e-12)  # 10**log10(C) rounds
    below = (1e20, 10 ** (_crossing(1, 0.5) - 1))
    assert np.isnan(compute_for(fixed_joint, 1, 0.5, compute_range=below))
    second = compute_for(fixed_joint, 2, 0.5, compute_range=(10 ** (star - 0.01), 1e31))
    assert 10 ** (star - 0.01) < second < 10 ** (star + 0.06)
    for kwargs, message in ((dict(k=0, level=0.5), "k must be at least 1, got 0"),
                            (dict(k=2, level=0.0), "level must be in (0, 1), got 0.0"),
                            (dict(k=2, level=1.0), "level must be in (0, 1), got 1.0"),
                            (dict(k=2, level=0.5, prob=0.0), "prob must be in (0, 1), got 0.0"),
                            (dict(k=2, level=0.5, prob=1.0), "prob must be in (0, 1), got 1.0")):
        with pytest.raises(SkillfitError) as err:
            compute_for(fixed_joint, **kwargs)
        assert str(err.value) == message


def test_compute_for_seed_family_and_last_grid_step(models, fixed_joint: SkillGraphModel) -> None:
    """With spread the answer is exact: P(pi_k >= level) of the asked LLM (a member of the
    asked family, drawn with the asked seed) at the 221 grid points by hand, then linear in
    log compute between the last point below prob and the first at or above it. A crossing
    in the range's last step is still interpolated."""
    from skillfit.forecasting import compute_for

    model, k, level, prob = models["threshold"], 2, 0.5, 0.313  # no multiple of 1/200
    grid = np.logspace(20, 31, 221)
    answers = []
    for family, seed in ((None, 0), (None, 3), ("Llama-2", 0)):
        rows = [{"name": str(c), "compute": c, "family": family} for c in grid]
        _, log_r = resolve_llms(model, rows, seed)
        p = (pi_and_score_draws(model, log_r, np.array([float(k)]))[0][:, 0, :] >= level).mean(-1)
        i = int(np.argmax(p >= prob))
        assert 0 < i and 0 < p[i - 1] < prob < p[i]  # w strictly between 0 and 1
        w = (prob - p[i - 1]) / (p[i] - p[i - 1])
        want = 10 ** (np.log10(grid[i - 1]) + w * (np.log10(grid[i]) - np.log10(grid[i - 1])))
        got = compute_for(model, k, level, prob, family=family, random_seed=seed)
        assert got == pytest.approx(want, rel=1e-12), (family, seed)
        answers.append(got)
    assert len(set(answers)) == 3  # the seed and the family matter
    star = np.log10(compute_for(fixed_joint, k, level))
    last = compute_for(fixed_joint, k, level, compute_range=(10 ** (star - 1), 10 ** (star + 0.01)))
    assert 10 ** (star - 1 / 20) < last < 10 ** (star + 0.01)


def test_gamma_draws_per_row_and_their_messages(fixed_joint: SkillGraphModel) -> None:
    """One shared gamma (fixed at FIXED's 0.8 here): every row, new or scaled from an observed
    LLM, gets its draws. An unknown 'of' is named with the row's name, or llm<position> (from
    1) for an unnamed row, in gamma_draws' own message (forecast resolves log r first)."""
    from skillfit.forecasting import gamma_draws

    s = fixed_joint.shared_parameters()["gamma"].size
    g = gamma_draws(fixed_joint, [{"name": "new", "params": 7e10, "tokens": 2e12},
                                  {"of": "LLaMA-2-13B-Chat", "factor": 10.0}])
    np.testing.assert_array_equal(g, np.full((2, s), FIXED["gamma"]))
    for rows, label in (([{"compute": 1e24}, {"of": "nope", "factor": 2.0}], "llm2"),
                        ([{"name": "b", "of": "nope", "factor": 2.0}], "b")):
        with pytest.raises(SkillfitError) as err:
            gamma_draws(fixed_joint, rows)
        assert str(err.value).startswith(
            f"forecast '{label}': 'of': unknown LLM 'nope'; Skill-Mix LLMs: LLaMA-2-7B-Chat, ")


def test_resolve_llm_name_word_for_word() -> None:
    """A Skill-Mix LLM by name or catalog alias, any case and spacing; a near miss gets a
    suggestion; a base model (a catalog row, not a Skill-Mix LLM) is unknown; the message
    lists the Skill-Mix LLMs in table order, under the default label 'of'."""
    from skillfit.forecasting import resolve_llm_name

    data = SkillGraphModel.bundled_data()
    assert resolve_llm_name(" LLAMA2-70B-CHAT ", data) == "LLaMA-2-70B-Chat"
    assert resolve_llm_name("tiiuae/falcon-180B-chat", data) == "Falcon-180B-Chat"
    with pytest.raises(SkillfitError, match=r"^'of': unknown LLM 'tiiuae/falcon-180B'"):
        resolve_llm_name("tiiuae/falcon-180B", data)  # the base model's alias: no Skill-Mix LLM
    known = ("LLaMA-2-7B-Chat, LLaMA-2-13B-Chat, LLaMA-2-70B-Chat, GPT-3.5-turbo, GPT-4, "
             "Mistral-7B-Instruct-v0.1, Qwen-14B-Chat, Xwin-LM-70B-V0.1, Falcon-180B-Chat, "
             "Tigerbot-70B-Chat")
    for name, hint in (("LLaMA-2-70B-Cht", " (did you mean 'LLaMA-2-70B-Chat'?)"),
                       ("Llama-2-70B", "")):
        with pytest.raises(SkillfitError) as err:
            resolve_llm_name(name, data)
        assert str(err.value) == f"'of': unknown LLM {name!r}{hint}; Skill-Mix LLMs: {known}"


def test_check_llms_word_for_word() -> None:
    """The rows come back as plain dicts (a DataFrame's too, NaN meaning absent); every input
    error is one message, word for word, naming the row ('llmN' when it has no name)."""
    import pandas as pd

    from skillfit.forecasting import check_llms

    frame = pd.DataFrame([{"name": "a", "params": 1e9, "tokens": 1e10, "compute": np.nan},
                          {"name": "b", "params": np.nan, "tokens": np.nan, "compute": 1e24}])
    assert [{k: v for k, v in r.items() if v == v} for r in check_llms(frame)] == [
        {"name": "a", "params": 1e9, "tokens": 1e10}, {"name": "b", "compute": 1e24}]
    assert check_llms(({"params": 1e9, "tokens": 1e10},)) == [{"params": 1e9, "tokens": 1e10}]
    example = "[{'name': 'big', 'params': 4e11, 'tokens': 1.5e13}]"
    cases = [
        ("big", f"forecast: hypothetical LLMs must be a list of dicts such as {example}, got str"),
        ({"name": "a"}, "forecast: hypothetical LLMs must be a list of dicts such as "
                        f"{example}, got dict"),
        (5, f"forecast: hypothetical LLMs must be a list of dicts such as {example}, got int"),
        ([], "forecast: no hypothetical LLMs given"),
        ([{"name": "a", "compute": 1e24}, 3],
         "forecast: hypothetical LLM #2 must be a dict, got int"),
        ([{"params": "big", "tokens": 1e12}],
         "forecast 'llm1': params must be a number, got 'big'"),
        ([{"name": "a", "params": 1e9, "tokens": -1}],
         "forecast 'a': tokens must be positive, got -1"),
        ([{"name": "a", "compute": 0}], "forecast 'a': compute must be positive, got 0"),
        ([{"name": "a", "compute": 1e24, "tokens_per_param": True}],
         "forecast 'a': tokens_per_param must be a number, got True"),
        ([{"name": "a", "of": "GPT-4", "factor": 0}],
         "forecast 'a': 'factor' must be positive, got 0"),
        ([{"name": "a", "of": 3}], "forecast 'a': 'of' must be an LLM name, got 3"),
        ([{"name": "a", "params": 7e10}], "forecast 'a': give params and tokens, or compute (and "
                                          "optionally tokens_per_param), or of and factor"),
        ([{"name": "a", "params": 1e9, "tokens": 1e10, "factor": 2}],
         "forecast 'a': 'factor' is only used with 'of'"),
        ([{"name": "a", "params": 1e9, "tokens": 1e10, "tokens_per_param": 20}],
         "forecast 'a': 'tokens_per_param' is only used with 'compute'"),
    ]
    for llms, message in cases:
        with pytest.raises(SkillfitError) as err:
            check_llms(llms)
        assert str(err.value) == message, llms


def test_quiet_forecast_hides_only_extrapolation_warnings(monkeypatch) -> None:
    """The plotting grids silence ExtrapolationWarning, and nothing else: another warning from
    inside forecast() still reaches the caller."""
    import warnings

    from types import SimpleNamespace

    import pandas as pd

    import skillfit.forecasting as forecasting
    from skillfit.errors import ExtrapolationWarning

    def noisy(model, rows, **kwargs):
        warnings.warn("far out", ExtrapolationWarning, stacklevel=2)
        warnings.warn("something else", RuntimeWarning, stacklevel=2)
        return pd.DataFrame({"n": [len(rows)]})

    monkeypatch.setattr(forecasting, "forecast", noisy)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = forecasting._quiet_forecast(SimpleNamespace(benchmarks=("skillmix",)), [{}, {}])
    assert out["n"].tolist() == [2]
    assert [w.category for w in caught] == [RuntimeWarning]


@pytest.fixture(scope="module")
def posterior_law() -> SkillGraphModel:
    """A mocked fit (prior draws) with ``law = "posterior"`` (every draw has its own law),
    the all-skills counts observed and one gamma per LLM."""
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel({"law": "posterior", "sigma_family": 0.0, "sigma_tune": 0.0,
                                 "all_skills": True, "gamma_per_llm": True},
                                sampler_config={"draws": 100, "chains": 2})
        model.fit(random_seed=5, predictive=False)
    finally:
        pm.sample = original
    return model


def _laws_by_hand(model: SkillGraphModel) -> tuple[np.ndarray, ...]:
    """Each draw's (A, B, alpha, beta) from its law_z: the stored posterior's mean + L z, with
    A = r_N N_ref^alpha and B = r_D D_ref^beta (skillfit.scaling.LawPosterior)."""
    from skillfit.scaling import POSTERIOR

    z = model.posterior["law_z"].values.reshape(-1, 4)
    lr_n, lr_d, alpha, beta = (np.asarray(POSTERIOR.mean)[:, None]
                               + np.linalg.cholesky(np.asarray(POSTERIOR.cov)) @ z.T)
    return (np.exp(lr_n) * POSTERIOR.ref_params ** alpha,
            np.exp(lr_d) * POSTERIOR.ref_tokens ** beta, alpha, beta)


def test_posterior_law_forecasts_use_each_draws_law(posterior_law) -> None:
    """With law = "posterior" a new LLM's log r is each draw's law at (N, D) (offsets 0 here),
    an observed LLM scaled by f moves by each draw's own ratio, a closed one by each draw's
    compute-optimal f^(-ab/(a+b)), and a compute-optimal LLM is split by each draw's law."""
    model = posterior_law
    big_a, big_b, alpha, beta = _laws_by_hand(model)
    assert np.std(alpha) > 0.005 and np.std(beta) > 0.005  # the draws' laws differ
    f, n, d, compute = 10.0, 7e10, 2e12, 1e24
    names, log_r = resolve_llms(model, [
        {"name": "new", "params": n, "tokens": d},
        {"name": "scaled", "of": "LLaMA-2-70B-Chat", "factor": f},
        {"name": "closed", "of": "GPT-4", "factor": f},
        {"name": "optimal", "compute": compute},
    ])
    assert names == ["new", "scaled", "closed", "optimal"]

    def law(nn, dd):
        return np.log(big_a * nn ** -alpha + big_b * dd ** -beta)

    np.testing.assert_allclose(log_r[0], law(n, d), rtol=1e-10)
    r = model.posterior["r"].values.reshape(-1, len(model.inputs.llms))
    llms = model.inputs.llms
    s = np.sqrt(f)
    np.testing.assert_allclose(
        log_r[1], np.log(r[:, llms.index("LLaMA-2-70B-Chat")]) + law(s * n, s * d) - law(n, d),
        rtol=1e-10)
    np.testing.assert_allclose(
        log_r[2], np.log(r[:, llms.index("GPT-4")]) - alpha * beta / (alpha + beta) * np.log(f),
        rtol=1e-10)
    # compute-optimal split: minimise the reducible loss at 6 N D = compute, draw by draw
    for j in (0, 57, 199):
        grid = np.logspace(9, 13, 4001)
        loss = big_a[j] * grid ** -alpha[j] + big_b[j] * (compute / (6 * grid)) ** -beta[j]
        assert np.exp(log_r[3, j]) == pytest.approx(loss.min(), rel=1e-5)
    # and the law's own draws are what SkillGraphModel.law() hands out
    fitted = model.law()
    np.testing.assert_allclose(fitted.A, big_a, rtol=1e-8)
    np.testing.assert_allclose(fitted.B, big_b, rtol=1e-8)
    np.testing.assert_allclose(fitted.a, alpha, rtol=1e-10)
    np.testing.assert_allclose(fitted.b, beta, rtol=1e-10)
    from skillfit.scaling import POSTERIOR

    assert fitted.E.shape == fitted.A.shape == (200,) and fitted.E.dtype == np.float64
    np.testing.assert_array_equal(fitted.E, np.full(200, POSTERIOR.E))  # its median E


def test_scaled_llm_keeps_its_gamma_new_llm_draws_one(posterior_law) -> None:
    """With one gamma per LLM, an observed LLM scaled by f keeps its own gamma draws and a new
    LLM gets the model's gamma (a new LLM's, drawn in the fit); the forecast's expected score
    is pi (1 - (1 - gamma)^3) with those draws."""
    from skillfit.forecasting import gamma_draws

    model = posterior_law
    post = model.posterior
    rows = [{"name": "g", "of": "GPT-4", "factor": 10.0},
            {"name": "new", "params": 7e10, "tokens": 2e12}]
    g = gamma_draws(model, rows)
    own = post["gamma_llm"].sel(llm="GPT-4").values.reshape(-1)
    new = post["gamma"].values.reshape(-1)
    np.testing.assert_array_equal(g[0], own)
    np.testing.assert_array_equal(g[1], new)
    # the new LLM's gamma is the logit-normal population's: sigmoid(mu + sigma z_new)
    mu, sigma = (post[k].values.reshape(-1) for k in ("gamma_logit_mu", "gamma_logit_sigma"))
    z = post["gamma_new_raw"].values.reshape(-1)
    np.testing.assert_allclose(new, 1.0 / (1.0 + np.exp(-(mu + sigma * z))), rtol=1e-10)
    assert np.mean(np.abs(own - new)) > 0.05  # the two differ, so a mix-up shows
    ks = np.arange(1.0, 5.0)
    _, log_r = resolve_llms(model, rows)
    pi, score = pi_and_score_draws(model, log_r, ks, g)
    np.testing.assert_allclose(score, pi * (1.0 - (1.0 - g[:, None, :]) ** 3), rtol=1e-12)
    # gamma draws stored in float32 are used in float64 (in float32, (1 - gamma)^3 is off by
    # ~1e-7 relative)
    g32 = g.astype(np.float32)
    _, score32 = pi_and_score_draws(model, log_r, ks, g32)
    np.testing.assert_allclose(
        score32, pi * (1.0 - (1.0 - g32.astype(float)[:, None, :]) ** 3), rtol=1e-12)
    table = forecast(model, rows, k_max=4, trials=None)
    got = table[table["quantity"] == "score"].set_index(["llm", "k"])["median"]
    for i, name in enumerate(["g", "new"]):
        np.testing.assert_allclose(got.loc[name].to_numpy(), np.median(score[i], axis=-1),
                                   rtol=1e-12)


def test_forecast_by_k_is_the_long_table_pivoted(fixed_joint: SkillGraphModel) -> None:
    """One row per (benchmark, LLM, k) holding the long table's numbers unchanged: score_* are
    the measured rows, expected_score_* the score rows, pi_* the pi rows; P(score>=x) and
    k_max_pi50 are spread over the LLM's rows. Without measured rows it refuses."""
    from skillfit.forecasting import forecast_by_k

    llms = [{"name": "a", "params": 7e10, "tokens": 2e12}, {"name": "b", "of": "GPT-4",
                                                            "factor": 3.0}]
    long = forecast(fixed_joint, llms, k_max=3, score_at_least=(0.2, 0.5))
    wide = forecast_by_k(long)
    assert len(wide) == 2 * 3 and wide.attrs == long.attrs
    for _, row in wide.iterrows():
        mine = long[(long["llm"] == row["llm"]) & (long["k"] == row["k"])].set_index("quantity")
        assert row["score_median"] == mine.loc["measured", "median"]
        assert row["score_upper"] == mine.loc["measured", "upper"]
        assert row["expected_score_lower"] == mine.loc["score", "lower"]
        assert row["pi_mean"] == mine.loc["pi", "mean"]
        assert row["P(expected_score>=0.2)"] == mine.loc["P(score>=0.2)", "mean"]
        k50 = long[(long["llm"] == row["llm"]) & (long["quantity"] == "k_max_pi50")]["median"]
        assert row["k_max_pi50"] == k50.iloc[0]
    assert list(wide.columns[-3:]) == ["P(expected_score>=0.2)", "P(expected_score>=0.5)",
                                       "k_max_pi50"]
    with pytest.raises(SkillfitError, match="needs the measured rows"):
        forecast_by_k(forecast(fixed_joint, llms, k_max=2, trials=None))
