"""k-curves and fan chart of the joint model, on a mocked fit (prior draws, no MCMC): panel
grid, shared labels and legend (plots.skillmix._finish_grid), observed points from the data,
and figures drawn from hand-made tables (computing and drawing are separate steps)."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from pymc.testing import mock_sample

import pandas as pd

from skillfit.checks import fitted_cells
from skillfit.forecasting import fan_table, kcurve_table, observed_points
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.plots.skillmix import fan_chart_figure, kcurves_figure


@pytest.fixture(scope="module")
def mocked() -> SkillGraphModel:
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(sampler_config={"draws": 40, "chains": 2})
        model.fit(random_seed=2)
    finally:
        pm.sample = original
    return model


def test_kcurves_grid_labels_and_observed_points(mocked) -> None:
    x = mocked.inputs
    fig = kcurves_figure(kcurve_table(mocked), fitted_cells(mocked), mocked.link,
                         ncols=4)  # 10 LLMs on a 3 x 4 grid: 2 panels hidden
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(x.llms)
    assert len(fig.axes) - len(visible) == 2
    ylabels = [ax.get_ylabel() for ax in fig.axes]
    assert ylabels[::4] == ["ratio of full marks"] * 3 and not any(ylabels[1:4])
    xlabelled = [ax.get_title() for ax in visible if ax.get_xlabel() == "k (skills per task)"]
    assert xlabelled == list(x.llms)[6:]  # the last row plus the panels above the hidden ones
    for i, ax in enumerate(visible):
        (obs,) = [ln for ln in ax.get_lines() if ln.get_label() == "observed (Skill-Mix)"]
        sel = np.flatnonzero(x.cell_llm == i)
        np.testing.assert_allclose(obs.get_ydata(), x.cell_value[sel])
    (legend,) = fig.legends
    assert "observed (Skill-Mix)" in [t.get_text() for t in legend.get_texts()]


def test_fan_chart_one_panel_per_k(mocked) -> None:
    ks = (2, 3, 4)
    fig = fan_chart_figure(fan_table(mocked, ks), observed_points(mocked, ks))  # 2 x 2, one hidden
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["k = 2", "k = 3", "k = 4"]
    assert [ax.get_xlabel() for ax in visible][1:] == ["training compute C = 6ND (FLOP)"] * 2
    assert len(fig.legends) == 1


def test_figures_draw_a_users_own_tables() -> None:
    """No model needed: a hand-made forecast table is drawn as given."""
    fan = pd.DataFrame({"compute": [1e22, 1e24, 1e26] * 2, "k": [2] * 3 + [3] * 3,
                        "median": [0.2, 0.5, 0.8, 0.1, 0.3, 0.6],
                        "lower_0.89": [0.1, 0.3, 0.6, 0.0, 0.1, 0.4],
                        "upper_0.89": [0.3, 0.7, 0.9, 0.2, 0.5, 0.8]})
    marked = pd.DataFrame({"llm": ["mine"], "compute": [1e25], "k": [2], "median": [0.66],
                           "lower": [0.5], "upper": [0.8]})
    fig = fan_chart_figure(fan, marked=marked)
    ax = fig.axes[0]
    (median,) = [ln for ln in ax.get_lines() if ln.get_label() == "median"]
    np.testing.assert_allclose(median.get_ydata(), [0.2, 0.5, 0.8])
    assert [t.get_text() for t in ax.texts] == ["mine"]  # the asked-for LLM is marked on k = 2
    assert not fig.axes[1].texts
    curves = pd.DataFrame({"llm": ["a"] * 3, "k": [1, 2, 3], "median": [0.9, 0.6, 0.3],
                           "lower": [0.8, 0.5, 0.2], "upper": [1.0, 0.7, 0.4]})
    cells = pd.DataFrame({"llm": ["a", "a"], "k": [2, 3], "observed": [0.55, 0.35],
                          "median": [0.6, 0.3], "lower": [0.5, 0.2], "upper": [0.7, 0.4]})
    fig = kcurves_figure(curves, cells, "threshold")
    (obs,) = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == "observed (Skill-Mix)"]
    np.testing.assert_allclose(obs.get_ydata(), [0.55, 0.35])


# ------------------------------------------------ the quantity named; points with their label
def _fan(quantity: str) -> pd.DataFrame:
    compute = np.logspace(22, 26, 5)
    rows = []
    for k in (2, 3):
        med = np.linspace(0.1, 0.9, 5) / k
        rows.append(pd.DataFrame({"compute": compute, "k": k, "median": med,
                                  "lower_0.89": med / 2, "upper_0.89": np.minimum(1, med * 1.5)}))
    fan = pd.concat(rows, ignore_index=True)
    fan.attrs.update({"quantity": quantity, "link": "threshold", "trials": 100})
    return fan


@pytest.mark.parametrize(("quantity", "title", "ylabel"), [
    ("pi", "Forecast pi_k vs training compute", "pi_k: chance a random k-tuple is handled"),
    ("score", "Forecast expected score vs", "expected Skill-Mix ratio of full marks"),
    ("measured", "Forecast measured score of a new evaluation vs",
     "measured ratio of full marks (100 combinations)"),
])
def test_title_and_axis_name_the_quantity(quantity, title, ylabel) -> None:
    fig = fan_chart_figure(_fan(quantity))
    assert fig.get_suptitle().startswith(title) and "threshold link" in fig.get_suptitle()
    assert fig.axes[0].get_ylabel() == ylabel


def test_points_are_drawn_where_given_with_their_label() -> None:
    points = pd.DataFrame({"llm": ["A", "A"], "compute": [1e23, 1e23], "k": [2, 3],
                           "median": [0.03, 0.0]})
    fig = fan_chart_figure(_fan("measured"), points, points_label="published")
    for ax, k in zip(fig.axes[:2], (2, 3), strict=True):
        line = next(ln for ln in ax.get_lines() if ln.get_label() == "A (published)")
        assert line.get_xdata().tolist() == [1e23]
        assert line.get_ydata().tolist() == points.loc[points["k"] == k, "median"].tolist()
    default = fan_chart_figure(_fan("pi"), points)
    assert "A (posterior median)" in [ln.get_label() for ln in default.axes[0].get_lines()]
