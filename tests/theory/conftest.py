"""Shared fixtures of the theory tests."""

from __future__ import annotations

import pytest

from skillfit.theory.graph import SkillGraph, random_skill_graph


@pytest.fixture(scope="module")
def graph200() -> SkillGraph:
    """|S| = 200, |T| = 20,000, 8 distinct uniform skills per piece (``docs/theory.md``,
    section "Checking the bound by simulation")."""
    return random_skill_graph(200, 20_000, 8, replace=False, seed=0)
