"""A joint model 'fitted' with prior draws: ``pm.sample`` mocked by ``pymc.testing.mock_sample``
while fitting, for tests of what a fit reports and forecasts (tests/models is on sys.path)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from pymc.testing import mock_sample

from skillfit.models.skill_graph import SkillGraphModel


def mocked_joint_fit(data: pd.DataFrame, config: dict[str, Any] | None = None, draws: int = 50,
                     chains: int = 2, seed: int = 5) -> SkillGraphModel:
    """``SkillGraphModel(config)`` fitted on ``data`` with ``draws`` x ``chains`` prior draws."""
    import pymc as pm

    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(config or {}, sampler_config={"draws": draws, "chains": chains})
        model.fit(data, random_seed=seed)
    finally:
        pm.sample = original
    return model
