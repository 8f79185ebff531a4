"""Tests of skillfit.backtest: scoring from samples, the holdout split, and the backtest command."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pymc as pm
import pytest
from pymc.testing import mock_sample

from skillfit.backtest import (
    HOLDOUT_LLMS,
    crps_from_samples,
    holdout_llms,
    holdout_split,
    interval_coverage,
    mean_absolute_error,
    score_draws,
    score_table,
)
from _by_hand import crps_discrete, log_r_law, measured_rate, pi_by_hand, score_by_hand
from skillfit.errors import SkillfitError
from skillfit.models.skill_graph import SkillGraphModel

DATA = SkillGraphModel.bundled_data()


def _crps_brute(x: np.ndarray, y: float) -> float:
    return float(np.mean(np.abs(x - y)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :])))


# ------------------------------------------------------------------------------ CRPS
@pytest.mark.parametrize(("x", "y"), [(0.3, 0.5), (0.7, 0.1), (0.0, 0.0), (1.0, 0.2)])
def test_crps_point_mass_is_absolute_error(x: float, y: float) -> None:
    assert crps_from_samples(np.full(50, x), y) == pytest.approx(abs(x - y), abs=1e-12)


def test_crps_matches_definition_and_is_nonnegative() -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        x = rng.beta(2, 5, size=rng.integers(1, 200))
        y = float(rng.uniform())
        got = float(crps_from_samples(x, y))
        assert got == pytest.approx(_crps_brute(x, y), abs=1e-12)
        assert got >= 0


def test_crps_vectorised_and_properties() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(3, 4, 400))
    y = rng.normal(size=(3, 4))
    out = crps_from_samples(x, y)
    assert out.shape == (3, 4)
    assert out[1, 2] == pytest.approx(_crps_brute(x[1, 2], y[1, 2]), abs=1e-12)
    # a sharp, centred forecast beats a wide one; N(0,1) at 0 has CRPS (sqrt2 - 1)/sqrt(pi)
    wide = rng.normal(0, 3, 4000)
    sharp = rng.normal(0, 1, 4000)
    assert crps_from_samples(sharp, 0.0) < crps_from_samples(wide, 0.0)
    assert float(crps_from_samples(sharp, 0.0)) == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi), rel=0.05)
    with pytest.raises(SkillfitError, match="finite"):
        crps_from_samples(np.array([0.1, np.nan]), 0.2)


def test_coverage_and_mae_on_toy_arrays() -> None:
    samples = np.tile(np.linspace(0, 1, 101), (4, 1))  # quantiles = levels
    obs = np.array([0.5, 0.02, 0.97, 0.3])
    # 89% interval = [0.055, 0.945]: 0.5 and 0.3 inside, 0.02 and 0.97 outside
    assert interval_coverage(samples, obs, 0.89) == pytest.approx(0.5)
    assert interval_coverage(samples, obs, 0.99) == pytest.approx(1.0)
    assert mean_absolute_error(samples, obs) == pytest.approx(np.mean(np.abs(0.5 - obs)))
    # an observed 0 on a lower bound of exactly 0 counts as covered
    assert interval_coverage(np.zeros((1, 10)), np.array([0.0])) == 1.0
    s = score_table(samples, obs)
    assert s["n"] == 4 and s["coverage"] == pytest.approx(0.5)
    assert s["mae"] == pytest.approx(100 * np.mean(np.abs(0.5 - obs)))
    assert s["crps"] == pytest.approx(100 * np.mean(crps_from_samples(samples, obs)))
    with pytest.raises(SkillfitError, match="ci_prob must be a number in"):
        interval_coverage(samples, obs, 1.2)


# ------------------------------------------------------------------------------ holdout
def test_holdout_split_removes_exactly_the_skillmix_rows() -> None:
    train, held = holdout_split(DATA, HOLDOUT_LLMS)
    is_sm = DATA["table"] == "skillmix"
    removed = is_sm & DATA["llm"].isin(HOLDOUT_LLMS)
    assert len(held) == removed.sum() > 0 and set(held["llm"]) == set(HOLDOUT_LLMS)
    assert (held["table"] == "skillmix").all()
    assert len(train) == len(DATA) - len(held)
    assert not (train["table"].eq("skillmix") & train["llm"].isin(HOLDOUT_LLMS)).any()
    for table in ("catalog", "losses"):  # untouched
        pd.testing.assert_frame_equal(train[train["table"] == table].reset_index(drop=True),
                                      DATA[DATA["table"] == table].reset_index(drop=True))
    kept = DATA[is_sm & ~DATA["llm"].isin(HOLDOUT_LLMS)].reset_index(drop=True)
    pd.testing.assert_frame_equal(train[train["table"] == "skillmix"].reset_index(drop=True), kept)
    assert set(HOLDOUT_LLMS) <= set(train.loc[train["table"] == "catalog", "llm"])


def test_holdout_errors_and_llms() -> None:
    with pytest.raises(SkillfitError, match="no Skill-Mix rows for Llama-9"):
        holdout_split(DATA, ["Llama-9"])
    with pytest.raises(SkillfitError, match="every Skill-Mix LLM"):
        holdout_split(DATA, list(dict.fromkeys(DATA.loc[DATA["table"] == "skillmix", "llm"])))
    with pytest.raises(SkillfitError, match="'table'"):
        holdout_split(DATA.drop(columns="table"), HOLDOUT_LLMS)
    rows = holdout_llms(DATA, HOLDOUT_LLMS)
    by = {r["name"]: r for r in rows}
    assert by["Falcon-180B-Chat"] == {"name": "Falcon-180B-Chat", "params": 1.8e11,
                                      "tokens": 3.5e12, "family": "Falcon"}
    assert by["Xwin-LM-70B-V0.1"]["family"] == "Llama-2"
    with pytest.raises(SkillfitError, match="unknown params or tokens"):
        holdout_llms(DATA, ["GPT-4"])


# ------------------------------------------------------------------------------ with a model
@pytest.fixture(scope="module")
def mocked() -> SkillGraphModel:
    train, _ = holdout_split(DATA, HOLDOUT_LLMS)
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(sampler_config={"draws": 60, "chains": 2})
        model.fit(train, random_seed=5)
    finally:
        pm.sample = original
    return model


def test_score_draws_known_answer(fixed_joint: SkillGraphModel) -> None:
    """Expected score of the held-out LLMs from a model with fixed parameters, against the
    model's definition written out by hand (tests/_by_hand.py)."""
    assert not set(HOLDOUT_LLMS) & set(fixed_joint.inputs.llms)
    rows = holdout_llms(DATA, HOLDOUT_LLMS)
    ks = np.array([1.0, 2.0, 3.0, 4.0])
    draws = score_draws(fixed_joint, rows, ks)
    assert draws.shape == (4, 4, 2000)
    for i, row in enumerate(rows):
        want = score_by_hand(pi_by_hand(log_r_law(row["params"], row["tokens"]), ks))
        np.testing.assert_allclose(draws[i], np.broadcast_to(want[:, None], (4, 2000)),
                                   rtol=1e-9, err_msg=row["name"])
    # not a vacuous case: the scores span small to large
    assert draws.min() < 0.02 and draws.max() > 0.9


def test_score_draws_on_prior_draws_match_hand(mocked: SkillGraphModel) -> None:
    """With parameters varying draw by draw, each draw's expected score is the by-hand one."""
    rows = [{"name": "x", "params": 7e10, "tokens": 2e12, "family": "Llama-2"}]
    ks = np.array([2.0, 5.0])
    draws = score_draws(mocked, rows, ks)
    shared = mocked.shared_parameters()
    from skillfit.forecasting import resolve_llms

    _, log_r = resolve_llms(mocked, rows)
    # log r = law + the named family's fitted offset + a fresh fine-tuning offset sigma_tune * z
    fam = mocked.posterior["family_offset"].sel(family="Llama-2").values.reshape(-1)
    z = (log_r[0] - log_r_law(7e10, 2e12) - fam) / shared["sigma_tune"]
    assert abs(np.mean(z)) < 0.4 and 0.7 < np.std(z) < 1.3  # 120 draws: SE 0.09 and 0.065
    for s in range(0, shared["c"].size, 7):
        p = {name: float(shared[name][s]) for name in ("c", "eta", "degree", "tau", "tau_spread", "floor",
                                                      "gamma")}
        want = score_by_hand(pi_by_hand(log_r[0, s], ks, p), p["gamma"],
                             float(shared["per_tuple"][s]))
        np.testing.assert_allclose(draws[0, :, s], want, rtol=1e-9, atol=1e-12)


def test_backtest_command_mocked(tmp_path: Path, capsys, mock_pymc_sample) -> None:
    from skillfit.cli import main

    out = tmp_path / "bt"
    rc = main(["backtest", "--links", "threshold,logistic", "--draws", "20", "--tune", "10",
               "--chains", "2", "--out", str(out)])
    assert rc == 0
    stdout = capsys.readouterr().out
    assert "CRPS" in stdout and "coverage" in stdout and "MAE" in stdout
    summary = pd.read_csv(out / "backtest_summary.csv", index_col="link")
    assert list(summary.index) == ["threshold", "logistic"]
    assert (summary["crps_points"] >= 0).all() and summary["coverage"].between(0, 1).all()
    cells = pd.read_csv(out / "backtest.csv")
    n = int(((DATA["table"] == "skillmix") & DATA["llm"].isin(HOLDOUT_LLMS)
             & (DATA["metric"] == "ratio_of_full_marks")).sum())
    assert len(cells) == 2 * n
    assert (cells["lower"] <= cells["median"]).all() and (cells["median"] <= cells["upper"]).all()
    assert main(["backtest", "--holdout", "Nope-7B"]) == 1
    assert "no Skill-Mix rows for Nope-7B" in capsys.readouterr().err


def test_simulated_rates_scatter_like_measurements() -> None:
    """The backtest scores measured rates against simulate_rates: a small expected score must
    give exact zeros often (a measured 0/47 is then inside the interval), the right mean, and
    rates on the n-grid."""
    from skillfit.models.links import simulate_rates

    rng = np.random.default_rng(0)
    rates = simulate_rates(np.full(20000, 0.01), 30.0, 47, rng)
    assert (rates == 0).mean() > 0.5
    assert rates.mean() == pytest.approx(0.01, abs=0.002)
    assert np.allclose(rates * 47, np.round(rates * 47))
    lo, hi = np.quantile(rates, [0.055, 0.945])
    assert lo == 0.0 < hi


# ------------------------------------------------------------------------------ known answers
@pytest.mark.parametrize(("mu", "sigma", "y"), [(0.0, 1.0, 0.0), (0.3, 0.5, 1.1), (2.0, 0.2, 1.5)])
def test_crps_of_normal_closed_form(mu: float, sigma: float, y: float) -> None:
    """CRPS(N(mu, sigma), y) = sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)], z = (y-mu)/sigma
    (Gneiting & Raftery 2007), from 40,000 samples."""
    from scipy import stats

    z = (y - mu) / sigma
    exact = sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))
    x = np.random.default_rng(3).normal(mu, sigma, 40_000)
    # Monte Carlo error of E|X - y| is about sd|X - y| / sqrt(S) < sigma / 200: allow 4 of those
    assert float(crps_from_samples(x, y)) == pytest.approx(exact, abs=4 * sigma / 200)


def test_coverage_and_score_table_known_answer() -> None:
    """Hand-made samples: 0..99 (equal-tailed 80% interval [9.9, 89.1])."""
    samples = np.tile(np.arange(100.0), (5, 1))
    observed = np.array([50.0, 5.0, 95.0, 10.0, 89.0])  # inside, out, out, in, in
    assert interval_coverage(samples, observed, 0.8) == pytest.approx(3 / 5)
    table = score_table(samples / 100, observed / 100, 0.8)
    assert table["coverage"] == pytest.approx(3 / 5) and table["n"] == 5
    # MAE: |49.5 - y| averaged, in points (samples / 100 are ratios; x 100 = points)
    assert table["mae"] == pytest.approx(np.mean(np.abs(49.5 - observed)))
    # CRPS of the uniform on 0..99 at y (integer): sum_j (F(j) - 1{j >= y})^2, F(j) = (j+1)/100
    j = np.arange(100)
    exact = [np.sum(((j + 1) / 100 - (j >= y)) ** 2) / 100 for y in observed]  # ratio units
    assert table["crps"] == pytest.approx(100 * np.mean(exact), rel=1e-9)


def _cells() -> pd.DataFrame:
    """Held-out cells with chosen measured rates (expected scores in tests/_by_hand.py)."""
    rows = [("LLaMA-2-70B-Chat", 1, 45, 47), ("LLaMA-2-70B-Chat", 2, 12, 47),  # in, out
            ("LLaMA-2-70B-Chat", 3, 4, 47), ("LLaMA-2-70B-Chat", 4, 0, 47),   # in, in (0/47)
            ("Falcon-180B-Chat", 3, 23, 57), ("Falcon-180B-Chat", 5, 0, 100),  # in, in (0/100)
            ("Falcon-180B-Chat", 1, 30, 47)]                                    # out
    return pd.DataFrame({"table": "skillmix", "llm": [r[0] for r in rows],
                         "k": [float(r[1]) for r in rows], "metric": "ratio_of_full_marks",
                         "value": [r[2] / r[3] for r in rows],
                         "n_combinations": [r[3] for r in rows]})


def test_backtest_models_known_answer(fixed_joint: SkillGraphModel, monkeypatch) -> None:
    """backtest_models against the exact predictive of a measured rate: successes ~
    BetaBinomial(n, P kappa, (1 - P) kappa) with P the by-hand expected score. A measured 0/47
    at an expected score of about 0.01 is inside the interval (it would never be inside the
    expected score's), and a far-off measurement is outside."""
    from skillfit.backtest import backtest_models

    # every shared parameter is fixed, so the posterior has no scalar to diagnose
    monkeypatch.setattr(fixed_joint, "diagnostics",
                        lambda: {"max_r_hat": 1.0, "divergences": 0})
    held = _cells()
    names = ["LLaMA-2-70B-Chat", "Falcon-180B-Chat"]
    cells, summary = backtest_models({"threshold": fixed_joint}, DATA, held, names, ci_prob=0.89)
    assert len(cells) == len(held) and list(summary.index) == ["threshold"]
    size = {"LLaMA-2-70B-Chat": (7e10, 2e12), "Falcon-180B-Chat": (1.8e11, 3.5e12)}
    n_samples = 2000
    inside, crps, zeros_inside = [], [], 0
    for (_, cell), (_, obs) in zip(cells.iterrows(), held.iterrows(), strict=True):
        assert (cell["llm"], cell["k"]) == (obs["llm"], int(obs["k"]))
        score = float(score_by_hand(pi_by_hand(log_r_law(*size[obs["llm"]]), obs["k"])))
        n = int(obs["n_combinations"])
        y = int(round(obs["value"] * n))
        dist = measured_rate(score, n)
        # sample quantiles of 2000 draws: the exact quantile at a level within 4 SE
        for col, q in (("lower", 0.055), ("median", 0.5), ("upper", 0.945)):
            d = 4 * np.sqrt(q * (1 - q) / n_samples)
            lo, hi = dist.ppf(max(q - d, 0.0)) / n, dist.ppf(min(q + d, 1.0)) / n
            assert lo - 1e-12 <= cell[col] <= hi + 1e-12, (cell["llm"], cell["k"], col, cell[col],
                                                            lo, hi, score)
        exact = crps_discrete(dist, n, y)
        x = dist.rvs(size=200_000, random_state=1) / n
        tol = 5 * np.std(np.abs(x - y / n)) / np.sqrt(n_samples)
        assert cell["crps_points"] / 100 == pytest.approx(exact, abs=tol), (cell["llm"], cell["k"])
        lo_x, hi_x = dist.ppf(0.055) / n, dist.ppf(0.945) / n
        inside.append(lo_x <= y / n <= hi_x)
        crps.append(exact)
        if y == 0 and score < 0.02:  # a measured zero at an expected score of about 0.01
            assert cell["lower"] == 0.0 and score > 0.005
            zeros_inside += 1
    assert zeros_inside > 0
    # the pattern the exact Beta-Binomial quantiles of this loop give for FIXED (eta = 0.9):
    # pinned so that the scenario keeps cells on both sides of the interval
    assert inside == [True, True, False, True, False, True, False]
    s = summary.loc["threshold"]
    assert s["coverage"] == pytest.approx(np.mean(inside))
    assert s["n_cells"] == len(held)
    assert s["crps_points"] == pytest.approx(100 * np.mean(crps), rel=0.1)
    # every column is filled in: the link, the measured rate, the MAE of the cells' medians in
    # points, and the model's own diagnostics (the monkeypatched values above)
    assert (cells["link"] == "threshold").all()
    np.testing.assert_array_equal(cells["observed"], held["value"])
    mae = 100 * np.mean(np.abs(cells["median"] - held["value"]))
    assert s["mae_points"] == pytest.approx(mae, rel=1e-12) and s["mae_points"] > 1
    assert (s["max_r_hat"], s["divergences"]) == (1.0, 0)
    # the cells' CRPS are in points too: their mean is the summary's (a factor 1.01 is inside
    # the Monte Carlo tolerance above, not here)
    assert cells["crps_points"].mean() == pytest.approx(s["crps_points"], rel=1e-12)


def test_simulate_rates_is_the_beta_binomial() -> None:
    """simulate_rates(score, kappa, n) draws successes / n with successes ~ BetaBinomial(n,
    score kappa, (1 - score) kappa): chi-square goodness of fit on a fixed case, and the
    mean and variance of many draws."""
    from scipy import stats

    from skillfit.models.links import simulate_rates

    n, score, kappa, size = 20, 0.3, 8.0, 40_000
    rates = simulate_rates(np.full(size, score), kappa, n, np.random.default_rng(11))
    counts = np.bincount(np.rint(rates * n).astype(int), minlength=n + 1)
    expected = size * stats.betabinom.pmf(np.arange(n + 1), n, score * kappa, (1 - score) * kappa)
    keep = expected >= 5
    observed = np.append(counts[keep], counts[~keep].sum())
    expect = np.append(expected[keep], expected[~keep].sum())
    assert stats.chisquare(observed, expect * observed.sum() / expect.sum()).pvalue > 1e-4
    dist = stats.betabinom(n, score * kappa, (1 - score) * kappa)
    assert rates.mean() * n == pytest.approx(dist.mean(), abs=4 * dist.std() / np.sqrt(size))
    # variance: SE of a sample variance about sqrt(2/size) of it for a near-normal spread
    assert np.var(rates * n) == pytest.approx(dist.var(), rel=4 * np.sqrt(2 / size) + 0.01)
    # the swapped shapes or a plain binomial would be far off: not the same distribution
    assert abs(stats.betabinom(n, (1 - score) * kappa, score * kappa).mean() - dist.mean()) > 5
    assert stats.binom(n, score).var() < 0.5 * dist.var()


def test_mae_per_cell_median_on_the_last_axis() -> None:
    """MAE takes each cell's own median over its samples (the last axis), not a pooled one:
    cells with different medians, on a 3-D array (kills axis=None / axis=1 mutants)."""
    samples = np.arange(2 * 3 * 5, dtype=float).reshape(2, 3, 5)  # medians 2, 7, 12, ..., 27
    observed = np.full((2, 3), 10.0)
    medians = np.array([[2.0, 7.0, 12.0], [17.0, 22.0, 27.0]])
    assert mean_absolute_error(samples, observed) == pytest.approx(np.mean(np.abs(medians - 10)))
    assert mean_absolute_error(samples, observed) == pytest.approx(49 / 6)  # 8+3+2+7+12+17


# ------------------------------------------------------------------------------ mutation tests
# Each test below kills mutants that survived the tests above (docs/testing.md, "Mutation
# testing"): an input check, an error message, a default, a column that nothing read.
def test_crps_input_checks_and_single_sample() -> None:
    """No sample, or a non-finite sample or observation, is an error with its exact message;
    one sample is a point mass (CRPS = |x - y|), not an error."""
    with pytest.raises(SkillfitError, match=r"^CRPS needs at least one sample$"):
        crps_from_samples(np.empty((3, 0)), np.zeros(3))
    finite = r"^CRPS: samples and observations must be finite$"
    for samples, observed in ((np.array([0.1, np.nan]), 0.2), (np.array([0.1, 0.3]), np.inf),
                              (np.array([[0.1, 0.3], [0.2, 0.4]]), np.array([0.2, np.nan]))):
        with pytest.raises(SkillfitError, match=finite):
            crps_from_samples(samples, observed)
    assert float(crps_from_samples(np.array([0.7]), 0.2)) == pytest.approx(0.5, abs=1e-12)
    out = crps_from_samples(np.array([[0.7], [0.1]]), np.array([0.2, 0.4]))
    np.testing.assert_allclose(out, [0.5, 0.3], atol=1e-12)


#: The Skill-Mix LLMs of the bundled data, sorted (the holdout error lists them).
SKILLMIX_LLMS = ("Falcon-180B-Chat, GPT-3.5-turbo, GPT-4, LLaMA-2-13B-Chat, LLaMA-2-70B-Chat, "
                 "LLaMA-2-7B-Chat, Mistral-7B-Instruct-v0.1, Qwen-14B-Chat, Tigerbot-70B-Chat, "
                 "Xwin-LM-70B-V0.1")


def test_holdout_split_messages_and_plain_index() -> None:
    """Every holdout error word for word, and both tables come back with the input's columns
    and a fresh 0..n-1 index (no stray 'index' column)."""
    with pytest.raises(SkillfitError, match=r"^holdout: no LLMs to hold out$"):
        holdout_split(DATA, [])
    with pytest.raises(SkillfitError) as err:
        holdout_split(DATA, ["Llama-9", "LLaMA-2-70B-Chat", "Nope-1"])
    assert str(err.value) == ("holdout: no Skill-Mix rows for Llama-9, Nope-1; Skill-Mix LLMs: "
                              + SKILLMIX_LLMS)
    columns = "holdout: expected a combined joint table with 'table' and 'llm' columns"
    for drop in ("table", "llm"):
        with pytest.raises(SkillfitError) as err:
            holdout_split(DATA.drop(columns=drop), HOLDOUT_LLMS)
        assert str(err.value) == columns
    with pytest.raises(SkillfitError) as err:
        holdout_split(DATA, SKILLMIX_LLMS.split(", "))
    assert str(err.value) == "holdout: every Skill-Mix LLM would be held out; keep some to fit on"
    train, held = holdout_split(DATA.set_index(DATA.index + 1000), HOLDOUT_LLMS)
    for part in (train, held):
        assert list(part.columns) == list(DATA.columns)
        pd.testing.assert_index_equal(part.index, pd.RangeIndex(len(part)))


def test_holdout_llms_messages_and_missing_family() -> None:
    """A name without a catalog row, or with params known but tokens unknown (Mistral's), is an
    error with its exact message; a catalog row without a family gives family None."""
    with pytest.raises(SkillfitError) as err:
        holdout_llms(DATA, ["Nope-7B"])
    assert str(err.value) == "holdout: 'Nope-7B' has no catalog row"
    with pytest.raises(SkillfitError) as err:
        holdout_llms(DATA, ["Mistral-7B-Instruct-v0.1"])  # params 7.3e9, tokens unknown
    assert str(err.value) == ("holdout: 'Mistral-7B-Instruct-v0.1' has unknown params or tokens in "
                              "the catalog; only LLMs of known size can be forecast as new models")
    cat = pd.DataFrame({"table": ["catalog", "catalog"], "llm": ["A-1B", "B-2B"],
                        "params": [1e9, 2e9], "tokens": [2e10, 4e10], "family": [np.nan, "B"]})
    assert holdout_llms(cat, ["A-1B", "B-2B"]) == [
        {"name": "A-1B", "params": 1e9, "tokens": 2e10, "family": None},
        {"name": "B-2B", "params": 2e9, "tokens": 4e10, "family": "B"}]


def test_score_draws_uses_its_seed_and_integer_k(mocked: SkillGraphModel) -> None:
    """random_seed reaches the fresh fine-tuning offsets (seed 3 gives seed 3's log r, not seed
    0's), and integer k values give the same scores as the by-hand floats."""
    from skillfit.forecasting import resolve_llms

    rows = [{"name": "x", "params": 7e10, "tokens": 2e12, "family": "Llama-2"}]
    draws = score_draws(mocked, rows, np.array([2, 5]), random_seed=3)
    _, log_r = resolve_llms(mocked, rows, 3)
    shared = mocked.shared_parameters()
    for s in range(0, shared["c"].size, 11):
        p = {name: float(shared[name][s]) for name in ("c", "eta", "degree", "tau", "tau_spread", "floor",
                                                      "gamma")}
        want = score_by_hand(pi_by_hand(log_r[0, s], np.array([2.0, 5.0]), p), p["gamma"],
                             float(shared["per_tuple"][s]))
        np.testing.assert_allclose(draws[0, :, s], want, rtol=1e-9, atol=1e-12)
    assert np.abs(draws - score_draws(mocked, rows, [2.0, 5.0])).max() > 1e-3  # seed 0 differs


def test_score_draws_of_a_scaled_llm_use_its_own_gamma(mocked: SkillGraphModel,
                                                     monkeypatch) -> None:
    """An observed LLM scaled up keeps its own gamma (SkillGraphModel.llm_gamma, one per LLM
    with gamma_per_llm): score_draws scores it with those draws, not the shared gamma. Here
    llm_gamma is replaced by draws of 0.55 (the shared ones are the prior's, near 0.8)."""
    from skillfit.forecasting import resolve_llms

    shared = mocked.shared_parameters()
    asked = []

    def own(llm, benchmark=None):
        asked.append(llm)
        return np.full(shared["c"].size, 0.55)

    monkeypatch.setattr(mocked, "llm_gamma", own)
    rows = [{"name": "g", "of": "GPT-4", "factor": 10.0}]
    draws = score_draws(mocked, rows, [2.0, 5.0])
    assert asked == ["GPT-4"]
    _, log_r = resolve_llms(mocked, rows)
    for s in range(0, shared["c"].size, 11):
        p = {name: float(shared[name][s])
             for name in ("c", "eta", "degree", "tau", "tau_spread", "floor")}
        want = score_by_hand(pi_by_hand(log_r[0, s], np.array([2.0, 5.0]), p), 0.55,
                             float(shared["per_tuple"][s]))
        np.testing.assert_allclose(draws[0, :, s], want, rtol=1e-9, atol=1e-12)
    assert np.abs(shared["gamma"] - 0.55).min() > 1e-3


def test_backtest_models_defaults_interval_mass_and_errors(fixed_joint: SkillGraphModel,
                                                          monkeypatch) -> None:
    """The defaults are the 89% interval and seed 0; ci_prob sets the cells' interval and the
    summary's coverage (50%: quartiles of the exact predictive); the seed makes it
    reproducible; a metric without held-out rows is an error with its exact message."""
    from skillfit.backtest import backtest_models

    monkeypatch.setattr(fixed_joint, "diagnostics", lambda: {"max_r_hat": 1.0, "divergences": 0})
    held, names = _cells(), ["LLaMA-2-70B-Chat", "Falcon-180B-Chat"]
    models = {"threshold": fixed_joint}
    cells, summary = backtest_models(models, DATA, held, names)
    explicit = backtest_models(models, DATA, held, names, "ratio_of_full_marks", 0.89, 0)
    pd.testing.assert_frame_equal(cells, explicit[0])
    pd.testing.assert_frame_equal(summary, explicit[1])
    other_seed = backtest_models(models, DATA, held, names, random_seed=1)[0]
    assert not np.allclose(cells["crps_points"], other_seed["crps_points"])

    cells50, summary50 = backtest_models(models, DATA, held, names, ci_prob=0.5)
    size = {"LLaMA-2-70B-Chat": (7e10, 2e12), "Falcon-180B-Chat": (1.8e11, 3.5e12)}
    for (_, cell), (_, obs) in zip(cells50.iterrows(), held.iterrows(), strict=True):
        n = int(obs["n_combinations"])
        dist = measured_rate(float(score_by_hand(pi_by_hand(log_r_law(*size[obs["llm"]]),
                                                            obs["k"]))), n)
        for col, q in (("lower", 0.25), ("upper", 0.75)):
            d = 4 * np.sqrt(q * (1 - q) / 2000)  # 2000 draws: sample quantile within 4 SE
            assert dist.ppf(q - d) / n - 1e-12 <= cell[col] <= dist.ppf(q + d) / n + 1e-12
    inside50 = (cells50["lower"] <= cells50["observed"]) & (cells50["observed"] <= cells50["upper"])
    inside89 = (cells["lower"] <= cells["observed"]) & (cells["observed"] <= cells["upper"])
    assert summary50.loc["threshold", "coverage"] == pytest.approx(inside50.mean())
    assert summary.loc["threshold", "coverage"] == pytest.approx(inside89.mean())
    assert inside50.mean() < inside89.mean()  # not a vacuous case: the two differ

    with pytest.raises(SkillfitError) as err:
        backtest_models(models, DATA, held, names, metric="nope")
    assert str(err.value) == "backtest: the held-out LLMs have no 'nope' rows"
