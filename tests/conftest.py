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
