"""skillfit.runner: Dask results equal serial ones, in task order; a killed worker's task is
retried."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from skillfit.errors import SkillfitError
from skillfit.runner import Runner


def seeded_draws(seed: int) -> np.ndarray:
    """A stand-in for a seeded fit: its result depends only on the seed."""
    return np.random.default_rng(seed).standard_normal(5)


def die_once(marker: str) -> int:
    """Kill the worker process the first time (as an OOM kill would), succeed when retried."""
    path = Path(marker)
    if not path.exists():
        path.write_text("died")
        os._exit(1)
    return os.getpid()


def test_serial_runner_in_order() -> None:
    lines: list[str] = []
    with Runner(serial=True, report=lines.append) as r:
        out = r.map(seeded_draws, [3, 1, 2], labels=["a", "b", "c"])
    for seed, got in zip([3, 1, 2], out, strict=True):
        np.testing.assert_array_equal(got, seeded_draws(seed))
    assert len(lines) == 3 and "[3/3] c" in lines[-1]


def test_runner_arguments() -> None:
    with pytest.raises(SkillfitError):
        Runner(serial=True, scheduler="tcp://x:1")
    with pytest.raises(SkillfitError):
        Runner(n_workers=0)


def test_dask_equals_serial_and_retries_a_killed_worker(tmp_path: Path) -> None:
    seeds = list(range(6))
    with Runner(serial=True) as r:
        serial = r.map(seeded_draws, seeds)
    with Runner(n_workers=1, retries=2) as r:
        assert "local Dask cluster" in r.description
        dask = r.map(seeded_draws, seeds)
        pid = r.map(die_once, [str(tmp_path / "marker")])[0]
    for a, b in zip(serial, dask, strict=True):
        np.testing.assert_array_equal(a, b)
    assert (tmp_path / "marker").exists() and pid != os.getpid()
