"""k-curves and fan chart of the joint model, on a mocked fit (prior draws, no MCMC): panel
grid, shared labels and legend (plots.skillmix._finish_grid), observed points from the data."""

from __future__ import annotations

import numpy as np
import pymc as pm
import pytest
from pymc.testing import mock_sample

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
    fig = kcurves_figure(mocked, ncols=4)  # 10 LLMs on a 3 x 4 grid: 2 panels hidden
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
    fig = fan_chart_figure(mocked, ks=(2, 3, 4))  # 2 x 2 grid, one hidden
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == ["k = 2", "k = 3", "k = 4"]
    assert [ax.get_xlabel() for ax in visible][1:] == ["training compute C = 6ND (FLOP)"] * 2
    assert len(fig.legends) == 1
