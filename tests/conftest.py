"""Shared pytest configuration: the ``slow`` marker opt-in and a mocked-sampling fixture."""

from __future__ import annotations

import matplotlib
import pytest
from pymc.testing import mock_sample_setup_and_teardown

matplotlib.use("Agg", force=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-slow", action="store_true", default=False,
        help="also run tests marked slow (parameter recovery, SBC, long real fits)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow test: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


#: ``pm.sample`` replaced by prior draws (pymc.testing.mock_sample) for plumbing tests.
mock_pymc_sample = pytest.fixture(scope="module")(mock_sample_setup_and_teardown)


@pytest.fixture
def sample_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """``pm.sample`` replaced by prior draws for this test; returns the list of the keyword
    arguments of every call, in order (what a model's ``fit`` passed to the sampler)."""
    import pymc as pm
    from pymc.testing import mock_sample

    calls: list[dict] = []

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return mock_sample(*args, **kwargs)

    monkeypatch.setattr(pm, "sample", spy)
    return calls


@pytest.fixture(scope="session")
def fixed_joint():
    """A SkillGraphModel 'fitted' (mocked: prior draws) with every shared parameter fixed and
    no family or fine-tuning spread (tests/_by_hand.py: FIXED), on the bundled data without the
    backtest's held-out LLMs. Every draw gives the same forecast for a new LLM of known size,
    so forecasts and the backtest have an exact answer (tests/_by_hand.py)."""
    import pymc as pm
    from _by_hand import FIXED
    from pymc.testing import mock_sample

    from skillfit.backtest import HOLDOUT_LLMS, holdout_split
    from skillfit.models.skill_graph import SkillGraphModel

    train, _ = holdout_split(SkillGraphModel.bundled_data(), HOLDOUT_LLMS)
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(dict(FIXED), sampler_config={"draws": 1000, "chains": 2})
        model.fit(train, random_seed=17)
    finally:
        pm.sample = original
    return model
