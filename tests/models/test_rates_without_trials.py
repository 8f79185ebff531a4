"""A benchmark whose rates come without trials: observed as Beta rates with an estimated precision.

The joint model's term for such rates is checked by hand in ``test_likelihood_by_hand.py``
(configuration ``rates``); here: the maths (NumPy and PyTensor faces, SciPy, gradients, the
tail's underflow), the simulated rates, the cells, and what a fit reports and forecasts for
such a benchmark (mocked sampling).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor
import pytensor.tensor as pt
import pytest
from _mocked import mocked_joint_fit
from scipy import special, stats

from skillfit import datasets
from skillfit.data.validate import rate_resolution
from skillfit.forecasting import forecast
from skillfit.models.links import (
    rate_log_likelihood,
    simulate_published_rates,
)
from skillfit.models.pytensor_face import PT
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.models.skill_graph_data import assemble, combine

TABLES = ("skillmix", "llm_catalog", "llm_losses")

VALUES = np.array([0.0, 0.3, 1.0, 0.55, 0.0, 0.07, 1.0])
SCORES = np.array([0.4, 0.2, 0.9, 0.5, 0.03, 0.1, 0.6])
KAPPAS = np.array([20.0, 5.0, 40.0, 300.0, 12.0, 60.0, 8.0])


def made_up_rates() -> pd.DataFrame:
    """A made-up benchmark ``rated`` without trials (2 decimals, a 0 and a 1 among them)."""
    rows = [{"benchmark": "rated", "llm": llm, "k": k, "metric": "all_met", "value": value}
            for llm, values in (("GPT-4", (1.0, 0.82, 0.64)), ("Llama-2-70B", (0.55, 0.21, 0.0)))
            for k, value in zip((1, 2, 3), values, strict=True)]
    return pd.DataFrame(rows)


def tables() -> list[pd.DataFrame]:
    return [datasets.load(name) for name in TABLES]


def test_rate_log_likelihood_is_the_censored_beta() -> None:
    """Interior rates: the Beta density; 0: P(X <= half); 1: P(X >= 1 - half) (SciPy)."""
    got = rate_log_likelihood(VALUES, SCORES, KAPPAS, 0.005, np)
    a, b = SCORES * KAPPAS, (1 - SCORES) * KAPPAS
    want = np.where(VALUES == 0, stats.beta.logcdf(0.005, a, b),
                    np.where(VALUES == 1, stats.beta.logsf(0.995, a, b),
                             stats.beta.logpdf(np.clip(VALUES, 0.005, 0.995), a, b)))
    np.testing.assert_allclose(got, want, rtol=1e-9)
    # a per-value resolution: the 0 at 0.05 has more mass than at 0.005
    coarse = rate_log_likelihood(VALUES, SCORES, KAPPAS, np.where(VALUES == 0, 0.05, 0.005), np)
    assert np.all(coarse[VALUES == 0] > got[VALUES == 0])
    np.testing.assert_array_equal(coarse[VALUES > 0], got[VALUES > 0])
    # swapping the Beta's shapes or the tails is visible
    swapped = rate_log_likelihood(1 - VALUES, 1 - SCORES, KAPPAS, 0.005, np)
    np.testing.assert_allclose(swapped, got, rtol=1e-9)  # the mirror image is the same
    assert np.all(np.abs(rate_log_likelihood(VALUES, 1 - SCORES, KAPPAS, 0.005, np)
                         - got)[[0, 1, 2, 4, 5, 6]] > 0.1)


def test_rate_log_likelihood_faces_and_gradient_agree() -> None:
    """PyTensor face = NumPy face; its gradient = finite differences of the NumPy face."""
    s, k = pt.dvector("s"), pt.dvector("k")
    out = rate_log_likelihood(VALUES, s, k, 0.005, PT)
    fn = pytensor.function([s, k], [out, *pt.grad(out.sum(), [s, k])])
    value, d_s, d_k = fn(SCORES, KAPPAS)
    np.testing.assert_allclose(value, rate_log_likelihood(VALUES, SCORES, KAPPAS, 0.005, np),
                               rtol=1e-10)
    eps = 1e-6
    for grad, which in ((d_s, 0), (d_k, 1)):
        for i in range(len(VALUES)):
            up = [SCORES.copy(), KAPPAS.copy()]
            down = [SCORES.copy(), KAPPAS.copy()]
            step = eps * (1.0 if which == 0 else KAPPAS[i])
            up[which][i] += step
            down[which][i] -= step
            fd = (rate_log_likelihood(VALUES, *up, 0.005, np)
                  - rate_log_likelihood(VALUES, *down, 0.005, np)).sum() / (2 * step)
            assert grad[i] == pytest.approx(fd, rel=1e-4, abs=1e-6), (which, i)


def test_rate_tail_is_exact_and_differentiable_where_betainc_is_not() -> None:
    """The censored tail's series equals log I_h(a, b) (SciPy) to 1e-9 over a grid of shapes
    and resolutions (b h up to 20); it stays finite where I_h underflows; and its gradient is
    finite and right where PyTensor's betainc gradient is NaN (small a, large b: a published 0
    with a small expected score)."""
    from skillfit.models.links import _log_lower_tail

    for h in (0.0005, 0.005, 0.05):
        for a in np.geomspace(1e-3, 300, 12):
            for b in np.geomspace(1e-2, 2000, 12):
                exact = special.betainc(a, b, h)
                if b * h > 20 or exact < 1e-290:
                    continue
                got = _log_lower_tail(np.array(a), np.array(b), h, special.betaln(a, b), np)
                assert got == pytest.approx(np.log(exact), abs=1e-9), (h, a, b)
    big = rate_log_likelihood([0.0], 0.97, 400.0, 0.005, np)
    assert special.betainc(388.0, 12.0, 0.005) == 0.0 and np.isfinite(big).all()
    # the series' first term bounds it below; its terms shrink at least by the first ratio r,
    # so it is at most that term / (1 - r)
    first = 388 * np.log(0.005) + 12 * np.log1p(-0.005) - np.log(388) - special.betaln(388, 12)
    ratio = 400 * 0.005 / 389
    assert first <= big[0] <= first - np.log1p(-ratio)
    a_, b_ = pt.dvector("a"), pt.dvector("b")
    nan_grad = pytensor.function([a_, b_], pt.grad(pt.betainc(a_, b_, 0.0005).sum(), a_))
    assert np.isnan(nan_grad(np.array([0.01]), np.array([300.0]))).all()  # why the series
    s = pt.dvector("s")
    out = rate_log_likelihood([0.0, 0.0], s, 300.0, 0.0005, PT)
    grad = pytensor.function([s], pt.grad(out.sum(), s))(np.array([3e-5, 0.97]))
    assert np.isfinite(grad).all()
    step = 1e-9
    fd = (rate_log_likelihood([0.0], 3e-5 + step, 300.0, 0.0005, np)
          - rate_log_likelihood([0.0], 3e-5 - step, 300.0, 0.0005, np)) / (2 * step)
    assert grad[0] == pytest.approx(fd[0], rel=1e-5)


def test_published_rates_are_beta_draws_rounded_to_the_decimals() -> None:
    rng = np.random.default_rng(3)
    draws = simulate_published_rates(np.full(40_000, 0.3), 20.0, 0.005, rng)
    np.testing.assert_allclose(draws * 100, np.rint(draws * 100), atol=1e-9)
    assert draws.mean() == pytest.approx(0.3, abs=0.005)
    assert draws.var() == pytest.approx(0.3 * 0.7 / 21, rel=0.05)
    low = simulate_published_rates(np.full(20_000, 0.01), 5.0, 0.005, rng)
    assert (low == 0).mean() == pytest.approx(stats.beta.cdf(0.005, 0.05, 4.95), abs=0.01)


def test_rate_resolution_is_half_the_last_decimal() -> None:
    assert rate_resolution([0.5, 0.25]) == 0.005
    assert rate_resolution(made_up_rates()["value"]) == 0.005
    assert rate_resolution([0.123]) == 0.0005


def test_assemble_keeps_the_rates_as_rates() -> None:
    """Cells of a benchmark without trials: 0 of 0 (the Beta-Binomial adds 0), their rate the
    published value at its resolution; the other benchmarks' cells unchanged."""
    x = assemble(*tables(), composition=made_up_rates())
    assert x.benchmarks == ("skillmix", "rated") and x.benchmark_half == (None, 0.005)
    assert list(x.rate_cells()) == list(range(34, 40))
    assert (x.cell_n[34:] == 0).all() and (x.cell_successes[34:] == 0).all()
    np.testing.assert_array_equal(x.observed_rates()[34:], made_up_rates()["value"])
    plain = assemble(*tables())
    np.testing.assert_array_equal(x.observed_rates()[:34],
                                  plain.cell_successes / plain.cell_n)
    assert plain.rate_cells().size == 0 and np.isnan(plain.cell_half()).all()


@pytest.fixture(scope="module")
def rated() -> SkillGraphModel:
    return mocked_joint_fit(combine(*tables(), composition=made_up_rates()), draws=60)


def test_fit_observes_the_rates_and_reports_their_precision(rated) -> None:
    from skillfit.report import fit_report

    assert "rate" in rated.idata["log_likelihood"]
    assert rated.idata["log_likelihood"]["rate"].sizes["rate_cell"] == 6
    table = rated.rates_without_trials(0.89)
    assert table["benchmark"].tolist() == ["rated"] and table["cells"].tolist() == [6]
    kappa = rated.posterior["kappa_benchmark"].sel(benchmark="rated").values.reshape(-1)
    assert table["kappa_median"].iloc[0] == pytest.approx(np.median(kappa))
    assert table["kappa_lower"].iloc[0] < table["kappa_median"].iloc[0] < table["kappa_upper"].iloc[0]
    report = fit_report(rated)
    assert report["rates_without_trials"][0]["benchmark"] == "rated"


def test_compare_scores_the_counted_cells_only(rated) -> None:
    """LOO is over the cells with trials: the 0-of-0 cells of the rates are left out."""
    from skillfit.compare import compare_links

    table, pareto = compare_links({"one": rated, "same": rated})
    assert pareto["one"]["n_obs"] == 34 and pareto["one"]["n_k_nan"] == 0
    assert rated.idata["log_likelihood"].sizes["cell"] == 40  # the fit itself is untouched
    assert table.loc["one", "elpd"] == pytest.approx(table.loc["same", "elpd"])


def test_cell_rates_are_counts_or_published_rates(rated) -> None:
    """simulate_cell_rates: a cell with trials scatters as its Beta-Binomial count out of 100,
    a rate without trials as the Beta itself (variance p(1 - p)/(kappa + 1)), rounded to its
    2 decimals."""
    n_cell = len(rated.inputs.cell_n)
    sims = rated.simulate_cell_rates(np.full((5000, n_cell), 0.4), np.full((5000, 1), 30.0),
                                     np.random.default_rng(7))
    counted, rates = sims[:, :34], sims[:, 34:]
    np.testing.assert_allclose(counted * 100, np.rint(counted * 100), atol=1e-9)
    np.testing.assert_allclose(rates * 100, np.rint(rates * 100), atol=1e-9)
    assert counted.var(axis=0).mean() == pytest.approx(0.24 * (1 / 100 + 99 / 3100), rel=0.03)
    assert rates.var(axis=0).mean() == pytest.approx(0.24 / 31, rel=0.03)


def test_checks_hold_the_published_rates(rated) -> None:
    """The predictive checks compare each rate with simulated *rates*, rounded as published."""
    from skillfit.checks import prior_predictive_cells

    ppc = rated.posterior_predictive_check()
    part = ppc[ppc["benchmark"] == "rated"]
    np.testing.assert_array_equal(part["observed"], made_up_rates()["value"])
    assert part[["median", "lower", "upper"]].notna().all().all()
    np.testing.assert_allclose(part["lower"] * 100, np.rint(part["lower"] * 100), atol=1e-9)
    prior = prior_predictive_cells(rated, draws=200)
    block = prior[prior["benchmark"] == "rated"]
    assert block[["median", "lower_0.89", "upper_0.89"]].notna().all().all()
    assert ((block["lower_0.89"] >= 0) & (block["upper_0.89"] <= 1)).all()


def test_forecast_of_rates_is_a_new_published_rate(rated) -> None:
    """On the benchmark without trials, 'measured' is a new rate at its decimals (not a count
    out of 100), and the table and the printed header say so."""
    from skillfit.cli.forecast import format_forecast

    llms = [{"name": "big", "params": 7e10, "tokens": 2e12}]
    table = forecast(rated, llms, k_max=3, score_at_least=())
    assert table.attrs["without_trials"] == ["rated"]
    measured = table[(table["benchmark"] == "rated") & (table["quantity"] == "measured")]
    score = table[(table["benchmark"] == "rated") & (table["quantity"] == "score")]
    np.testing.assert_allclose(measured["median"] * 100, np.rint(measured["median"] * 100),
                               atol=1e-9)
    # the Beta scatter around the expected score: the same mean, up to Monte Carlo error
    # (120 draws of a prior-wide score; the scatter's sd is at most 0.5)
    np.testing.assert_allclose(measured["mean"], score["mean"], atol=0.15)
    # with 7 trials, Skill-Mix's measured rates are sevenths and the rates still hundredths
    odd = forecast(rated, llms, k_max=3, score_at_least=(), trials=7)
    sk = odd[(odd["benchmark"] == "skillmix") & (odd["quantity"] == "measured")]
    rt = odd[(odd["benchmark"] == "rated") & (odd["quantity"] == "measured")]
    cols = ["median", "lower", "upper"]
    np.testing.assert_allclose(sk[cols] * 7, np.rint(sk[cols] * 7), atol=1e-9)
    np.testing.assert_allclose(rt[cols] * 100, np.rint(rt[cols] * 100), atol=1e-9)
    assert not np.allclose(rt[cols] * 7, np.rint(rt[cols] * 7), atol=1e-6)
    text = format_forecast(table, 0.89)
    assert "measured rate [89%]" in text and "measured /100 [89%]" in text


@pytest.mark.slow
def test_rates_without_trials_are_recovered() -> None:
    """A benchmark drawn from a Skill-Mix fit as rates without trials (c = 4, gamma = 0.6,
    precision 40, k = 1..5, every LLM, 2 decimals) and fitted with Skill-Mix: its precision and
    c are inside their 99% intervals."""
    from skillfit.benchmark_simulation import simulate_benchmark

    sm = SkillGraphModel(sampler_config={"draws": 1000, "tune": 700, "chains": 4})
    sm.fit(random_seed=11, predictive=False)
    table = simulate_benchmark(sm, "sim", c=4.0, gamma=0.6, kappa=40.0, trials=None,
                               random_seed=3)
    assert table["trials"].isna().all()
    joint = SkillGraphModel(sampler_config={"draws": 1000, "tune": 700, "chains": 4})
    joint.fit(combine(*tables(), composition=table), random_seed=12, predictive=False)
    assert joint.diagnostics()["divergences"] == 0
    post = joint.posterior
    for name, truth in (("kappa_benchmark", 40.0), ("c_benchmark", 4.0)):
        draws = post[name].sel(benchmark="sim").values.reshape(-1)
        lo, hi = np.quantile(draws, [0.005, 0.995])
        assert lo <= truth <= hi, (name, lo, hi)
