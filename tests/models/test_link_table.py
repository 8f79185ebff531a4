"""The threshold link tabulated per posterior draw (skillfit.models.link_table) against the
exact link: its error bound, its fallback, and forecasts through it."""

from __future__ import annotations

import numpy as np
import pytest

from skillfit.models.link_table import TABLE_TOL, ThresholdTable
from skillfit.models.links import link_probability
from skillfit.theory import kernels

KS = np.arange(1.0, 9.0)
DRAWS = 300


def _params(kind: str, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Link parameters of ``DRAWS`` draws: degree from the joint model's prior, tau anywhere
    in [0.2, 0.8], and the level spread from its prior (``prior``), none (``single``: the
    kinks at theta_k = 1 - tau and at the theorem-Markov switch), nearly none (``narrow``)
    or none with a floor (``floor``)."""
    params = {"degree": np.exp(rng.normal(2.0, 0.75, DRAWS)), "tau": rng.uniform(0.2, 0.8, DRAWS)}
    if kind == "prior":
        params["tau_spread"] = np.abs(rng.normal(0.0, 1.0, DRAWS))
    elif kind == "narrow":
        params["tau_spread"] = rng.uniform(0.0, 0.05, DRAWS)
    elif kind == "floor":
        params["floor"] = rng.beta(1.0, 19.0, DRAWS)
    return params


def _queries(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """theta of 60 LLMs per draw, and their theta_k at k = 1..8 as (queries, draws)."""
    theta = rng.uniform(0.001, 0.9, (60, DRAWS))
    theta_k = kernels.tuple_theta(theta[:, None, :], KS[None, :, None], "union", np)
    return theta, theta_k.reshape(-1, DRAWS)


def _exact(theta_k: np.ndarray, params: dict[str, np.ndarray]) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return link_probability("threshold", theta_k, None, 1.0, params, np)


@pytest.mark.parametrize("kind", ["prior", "single", "narrow", "floor"])
def test_table_is_within_twice_its_tolerance_of_the_exact_link(kind: str) -> None:
    rng = np.random.default_rng(["prior", "single", "narrow", "floor"].index(kind))
    params = _params(kind, rng)
    theta, theta_k = _queries(rng)
    table = ThresholdTable.for_queries(theta, KS, params)
    error = np.abs(table(theta_k) - _exact(theta_k, params))
    assert error.max() <= 2 * TABLE_TOL
    # the spline does the work: most intervals need no fallback (2-9% fell back while the
    # table was built, over these four kinds)
    assert table.fallback.mean() < 0.2


def test_the_fallback_is_what_holds_the_bound_at_the_kinks() -> None:
    """With a single level the spline alone misses by far more than the bound near the kinks;
    the intervals that fall back are where it would."""
    rng = np.random.default_rng(1)
    params = _params("single", rng)
    theta, theta_k = _queries(rng)
    table = ThresholdTable.for_queries(theta, KS, params)
    exact = _exact(theta_k, params)
    assert table.fallback.any()
    table.fallback[:] = False
    assert np.abs(table(theta_k) - exact).max() > 10 * TABLE_TOL


def test_queries_outside_the_tabulated_range_are_exact() -> None:
    rng = np.random.default_rng(2)
    params = _params("prior", rng)
    table = ThresholdTable(np.full(DRAWS, 0.2), np.full(DRAWS, 0.4), params)
    outside = np.array([[0.05] * DRAWS, [0.7] * DRAWS, [np.nan] * DRAWS])
    got = table(outside)
    exact = _exact(outside, params)
    np.testing.assert_array_equal(got[:2], exact[:2])
    assert np.isnan(got[2]).all()


def test_forecast_of_many_llms_through_the_table_matches_the_exact_forecast(monkeypatch) -> None:
    """A forecast of 80 LLMs x k = 1..8 tabulates the link; each quantile of pi and of the
    expected score is then within the table's bound of the exact forecast's (a quantile moves
    by at most the largest change of the draws)."""
    from _mocked import mocked_joint_fit

    from skillfit import forecasting
    from skillfit.models.skill_graph import SkillGraphModel

    model = mocked_joint_fit(SkillGraphModel.bundled_data(), draws=100, seed=3)
    llms = [{"name": f"C={c:.3g}", "compute": float(c)} for c in np.logspace(22, 27, 80)]
    built = []
    original = forecasting.link_table

    def spy(*args, **kwargs):
        built.append(original(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(forecasting, "link_table", spy)
    forecasting.forecast(model, llms[:1], k_max=8, trials=None)
    # one LLM's 8 k per draw: a table would cost more than the exact link
    assert built == [None]
    tabulated = forecasting.forecast(model, llms, k_max=8, trials=None)
    monkeypatch.setattr(forecasting, "link_table", lambda *args, **kwargs: None)
    exact = forecasting.forecast(model, llms, k_max=8, trials=None)
    assert isinstance(built[1], ThresholdTable)
    for quantity in ("pi", "score"):
        a = tabulated[tabulated["quantity"] == quantity]
        b = exact[exact["quantity"] == quantity]
        for column in ("mean", "median", "lower", "upper"):
            np.testing.assert_allclose(a[column].to_numpy(), b[column].to_numpy(),
                                       rtol=0, atol=2 * TABLE_TOL)
