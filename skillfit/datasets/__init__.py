"""The curated datasets bundled with skillfit, loaded as validated DataFrames.

Each dataset is ``<name>.csv`` plus a datasheet ``<name>.md`` (origin, licence, columns, units,
derivations, caveats). They are read from ``skillfit/_bundled/datasets`` inside an installed wheel,
or from the repository's top-level ``datasets/`` folder in a source checkout / editable install.

=============  ==============================================================================
name           rows
=============  ==============================================================================
chinchilla     245 (N, D, loss) runs reconstructed by Epoch AI from Hoffmann et al. Fig. 4
skillmix       102 GPT-4-graded Skill-Mix scores (10 LLMs × k × 3 metrics), long format
llm_catalog    one row per LLM in any dataset: family, base model, N, D and their sources
llm_losses     held-out losses (bits/char, bits/byte) per LLM and corpus, long format
=============  ==============================================================================

Examples
--------
>>> from skillfit import datasets
>>> datasets.list_datasets()
['chinchilla', 'llm_catalog', 'llm_losses', 'skillmix']
>>> df = datasets.load("skillmix")
>>> df.loc[(df.llm == "GPT-4") & (df.k == 5) & (df.metric == "ratio_of_full_marks"), "value"].item()
0.12
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import pandas as pd

from skillfit.data import SCHEMAS, read_csv
from skillfit.errors import SkillfitError, UnknownDatasetError

__all__ = ["UnknownDatasetError", "data_dir", "datasheet", "description", "list_datasets",
           "load", "path"]


def data_dir() -> Path:
    """Folder that holds the bundled datasets.

    ``skillfit/_bundled/datasets`` when it exists (an installed wheel), else the repository's
    top-level ``datasets/`` next to the package (source checkout, editable install).
    """
    bundled = files("skillfit") / "_bundled" / "datasets"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parent.parent.parent / "datasets"


def list_datasets() -> list[str]:
    """Names of the bundled datasets (a CSV with a datasheet and a schema), sorted.

    Examples
    --------
    >>> from skillfit.datasets import list_datasets
    >>> "chinchilla" in list_datasets()
    True
    """
    folder = data_dir()
    if not folder.is_dir():
        return []
    return sorted(
        p.stem for p in folder.glob("*.csv") if p.stem in SCHEMAS and p.with_suffix(".md").is_file()
    )


def _check_name(name: str) -> str:
    names = list_datasets()
    if name not in names:
        raise UnknownDatasetError(
            f"unknown dataset {name!r}; available: {', '.join(names) or '(none found)'}"
        )
    return name


def path(name: str) -> Path:
    """Path of the CSV file of dataset ``name``.

    Examples
    --------
    >>> from skillfit.datasets import path
    >>> path("skillmix").name
    'skillmix.csv'
    """
    return data_dir() / f"{_check_name(name)}.csv"


def load(name: str) -> pd.DataFrame:
    """Load dataset ``name`` as a validated DataFrame (dtypes as in :mod:`skillfit.data.schema`).

    Raises
    ------
    UnknownDatasetError
        If no bundled dataset has that name (the message lists the available ones).

    Examples
    --------
    >>> from skillfit.datasets import load
    >>> load("chinchilla").shape
    (245, 5)
    """
    return read_csv(path(name), kind=name)


def datasheet(name: str) -> str:
    """The datasheet (Markdown) of dataset ``name``.

    Examples
    --------
    >>> from skillfit.datasets import datasheet
    >>> datasheet("chinchilla").startswith("# chinchilla")
    True
    """
    return (data_dir() / f"{_check_name(name)}.md").read_text(encoding="utf-8")


def description(name: str) -> str:
    """One-line description: the datasheet title after its em dash.

    Examples
    --------
    >>> from skillfit.datasets import description
    >>> description("skillmix").startswith("Skill-Mix")
    True
    """
    first = datasheet(name).splitlines()[0].lstrip("# ").strip()
    return first.split(" — ", 1)[1].strip() if " — " in first else first
