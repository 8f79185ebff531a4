"""Same seed, same posterior: a real (tiny) fit from the CLI and from the API.

Kept apart from ``test_provenance.py``, whose module-scoped sampling mock would replace the
real sampler here.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from skillfit import datasets
from skillfit.cli import main
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.specs import load_spec


def test_real_fit_same_seed_same_posterior_cli_and_api(tmp_path: Path) -> None:
    """A real (tiny) scaling-law fit: CLI and API with the same seed give the same posterior."""
    argv = ["--draws", "30", "--tune", "30", "--chains", "2", "--seed", "11"]
    out = tmp_path / "run"
    assert main(["fit", "chinchilla", "--out", str(out), "--no-plots", *argv]) == 0
    spec = load_spec("chinchilla")
    model = spec.make_model(draws=30, tune=30, chains=2)
    model.fit(datasets.load("chinchilla"), random_seed=11, progressbar=False)
    saved = ScalingLawModel.load(out / "posterior.nc")
    for name in ("E", "alpha", "beta", "sigma"):
        np.testing.assert_array_equal(saved.posterior[name].values, model.posterior[name].values)
    manifest = json.loads((out / "run.json").read_text())
    assert manifest["data_sha256"] == model.idata.attrs["data_sha256"]
