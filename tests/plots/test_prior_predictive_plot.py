"""The joint model's prior predictive figure (prior draws only: no MCMC)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.figure import Figure

from skillfit import datasets
from skillfit.checks import prior_predictive_cells
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.plots.skillmix import prior_predictive_figure

DRAWS = 120
OBSERVED = "observed (successes / n)"


@pytest.fixture(scope="module")
def built() -> tuple[SkillGraphModel, Figure]:
    model = SkillGraphModel()  # not built: the table builds it on the bundled data
    fig = prior_predictive_figure(prior_predictive_cells(model, draws=DRAWS, random_seed=0))
    return model, fig


def _panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible()]


def _line(ax, label: str):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line


def test_one_labelled_panel_per_llm(built) -> None:
    model, fig = built
    x = model.inputs
    panels = _panels(fig)
    assert [ax.get_title() for ax in panels] == list(x.llms)
    assert len(fig.axes) == 10  # 10 LLMs fill 2 x 5 exactly: no hidden panels
    assert {ax.get_ylabel() for ax in panels[::5]} == {"ratio of full marks"}
    assert {ax.get_xlabel() for ax in panels[-5:]} == {"k (skills per task)"}
    for ax in panels:
        assert ax.get_ylim() == pytest.approx((-0.03, 1.03))
        assert len(ax.collections) == 2  # 89% and 50% bands
    title = fig.get_suptitle()
    assert "Prior predictive" in title and "priors alone" in title and "threshold link" in title
    assert f"{DRAWS} draws" in title
    labels = fig.legends[0].get_texts()
    assert OBSERVED in [t.get_text() for t in labels]


def test_observed_points_are_the_data(built) -> None:
    model, fig = built
    sm = datasets.load("skillmix")
    sm = sm[sm["metric"] == "ratio_of_full_marks"]
    for ax in _panels(fig):
        rows = sm[sm["llm"] == ax.get_title()].sort_values("k")
        line = _line(ax, OBSERVED)
        k, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
        np.testing.assert_array_equal(k, rows["k"].to_numpy(float))
        n = rows["n_combinations"].to_numpy(float)
        # successes / n with successes = round(value * n): a whole count, within half a count
        np.testing.assert_allclose(y * n, np.rint(y * n), atol=1e-9)
        assert np.all(np.abs(y - rows["value"].to_numpy(float)) <= 0.5 / n + 1e-12), ax.get_title()
    gpt4 = _line(_panels(fig)[list(model.inputs.llms).index("GPT-4")], OBSERVED)
    assert gpt4.get_ydata()[3] == pytest.approx(12 / 100)  # k=5: 0.12 x 100 = 12 successes


def test_median_and_count_come_from_the_prior_draws(built) -> None:
    model, fig = built
    x = model.inputs
    sims = model.prior_idata["prior_predictive"]["successes"].values.reshape(DRAWS, -1) / x.cell_n
    assert sims.shape == (DRAWS, len(x.cell_k))
    for i, ax in enumerate(_panels(fig)):
        sel = np.flatnonzero(x.cell_llm == i)
        sel = sel[np.argsort(x.cell_k[sel])]
        med = _line(ax, "prior predictive median").get_ydata()
        np.testing.assert_allclose(med, np.median(sims[:, sel], axis=0))
    lo, hi = np.quantile(sims, [0.055, 0.945], axis=0)
    obs = x.cell_successes / x.cell_n
    inside = int(((obs >= lo) & (obs <= hi)).sum())
    m = re.search(r"(\d+) of (\d+) observed cells lie inside", fig.get_suptitle())
    assert m and (int(m[1]), int(m[2])) == (inside, len(obs))


def test_same_seed_same_figure_other_link() -> None:
    a = prior_predictive_figure(prior_predictive_cells(SkillGraphModel({"link": "logistic"}),
                                                       draws=40, random_seed=5))
    b = prior_predictive_figure(prior_predictive_cells(SkillGraphModel({"link": "logistic"}),
                                                       draws=40, random_seed=5))
    med = [_line(ax, "prior predictive median").get_ydata() for ax in _panels(a)]
    np.testing.assert_array_equal(
        np.concatenate(med),
        np.concatenate([_line(ax, "prior predictive median").get_ydata() for ax in _panels(b)]))
    assert "logistic link" in a.get_suptitle()
