"""What a saved run needs to be reproduced: package versions, the data's hash, seed and spec.

Every fit stamps :func:`versions` and :func:`data_sha256` into its ``DataTree`` attributes
(:meth:`skillfit.models.base.ModelBuilder.fit`); the CLI writes :func:`run_manifest` as
``run.json`` next to ``posterior.nc``. With the same data hash, seed, spec and versions a run
gives the same posterior and the same tables (``tests/test_provenance.py`` checks it, across
the CLI and the API).
"""

from __future__ import annotations

import hashlib
import json
import platform
import sys
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["PACKAGES", "data_sha256", "run_manifest", "versions"]

#: Packages whose versions decide a run's numbers.
PACKAGES = ("skillfit", "pymc", "pytensor", "nutpie", "arviz", "numpy", "scipy", "pandas",
            "xarray", "numba")


def versions() -> dict[str, str]:
    """Python and the versions of :data:`PACKAGES` (``"not installed"`` where missing).

    Examples
    --------
    >>> v = versions()
    >>> sorted(v)[:3]
    ['arviz', 'numba', 'numpy']
    """
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def data_sha256(data: pd.DataFrame) -> str:
    """SHA-256 of a table's content (columns, row order and values as CSV text).

    The index is ignored; the same rows in the same order give the same hash on any machine.

    Examples
    --------
    >>> import pandas as pd
    >>> a = data_sha256(pd.DataFrame({"x": [1.0, 2.0]}))
    >>> a == data_sha256(pd.DataFrame({"x": [1.0, 2.0]}, index=[5, 6]))
    True
    >>> a == data_sha256(pd.DataFrame({"x": [2.0, 1.0]}))
    False
    """
    text = data.to_csv(index=False, lineterminator="\n", float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()


def run_manifest(model: Any, spec: Any = None, extra: Mapping[str, Any] | None = None) -> dict:
    """The ``run.json`` of a fitted model: command, spec (path and text), seed, data hash,
    configurations and versions.

    Parameters
    ----------
    model : skillfit.models.base.ModelBuilder
        A fitted (or loaded) model; its ``idata`` root attributes are read.
    spec : skillfit.specs.Spec, optional
        The spec the run came from; its path and text are recorded.
    extra : mapping, optional
        More entries, added last.

    Returns
    -------
    dict
        JSON-serialisable: ``command, model_type, model_version, random_seed, nuts_sampler,
        data_sha256, model_config, sampler_config, versions`` (and ``spec``, ``spec_text``).

    Examples
    --------
    >>> from skillfit import datasets
    >>> from skillfit.models.scaling_law import ScalingLawModel
    >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
    >>> _ = m.fit(datasets.load("chinchilla"), random_seed=4, predictive=False)
    >>> manifest = run_manifest(m)
    >>> manifest["random_seed"], manifest["model_type"], manifest["model_version"]
    (4, 'scaling_law', '2')
    """
    attrs = model.idata.attrs
    manifest: dict[str, Any] = {
        "command": " ".join(["skillfit", *sys.argv[1:]]) if sys.argv else "",
        "model_type": attrs.get("model_type"),
        "model_version": attrs.get("version"),
        "random_seed": int(attrs["random_seed"]),
        "nuts_sampler": attrs.get("nuts_sampler"),
        "data_sha256": attrs.get("data_sha256"),
        "model_config": json.loads(attrs["model_config"]),
        "sampler_config": json.loads(attrs["sampler_config"]),
        "versions": json.loads(attrs["versions"]) if "versions" in attrs else versions(),
    }
    if spec is not None:
        path = getattr(spec, "path", None)
        manifest["spec"] = str(path) if path is not None else getattr(spec, "name", None)
        if path is not None and Path(path).is_file():
            manifest["spec_text"] = Path(path).read_text(encoding="utf-8")
    if extra:
        manifest.update(extra)
    return manifest
