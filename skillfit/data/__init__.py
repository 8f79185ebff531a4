"""Validated tables: schemas, validators and a CSV reader shared by bundled and user data.

Five table kinds are known (:data:`SCHEMAS`): ``chinchilla`` (N, D, loss training runs),
``skillmix`` (Skill-Mix scores, long format), ``llm_catalog`` (one row per LLM with N, D and
sources), ``llm_losses`` (held-out losses, long format) and ``composition`` (any k-composition
benchmark's scores, long format; :mod:`skillfit.data.composition` reads Skill-Mix into it).
Every validator returns a cleaned copy with documented dtypes and raises
:class:`skillfit.errors.DataValidationError` with one message naming the source, the column and
the rows: DataFrame index labels ("row 3") for DataFrames, 1-based CSV line numbers ("line 5",
header = line 1) for files.

Examples
--------
>>> import pandas as pd
>>> from skillfit.data import validate_skillmix
>>> df = pd.DataFrame({"llm": ["m", "m"], "k": [2, 0], "metric": ["skill_fraction"] * 2,
...                    "value": [0.5, 0.4]})
>>> validate_skillmix(df, source="scores")
Traceback (most recent call last):
...
skillfit.errors.DataValidationError: scores: column 'k' must be >= 1; bad values at row 1 (value: 0)
"""

from __future__ import annotations

from skillfit.data.io import read_csv
from skillfit.data.schema import (
    COMPOSITION_METRICS,
    LLM_KINDS,
    LOSS_UNITS,
    SCHEMAS,
    SKILLMIX_METRICS,
    Column,
    Schema,
)
from skillfit.data.validate import (
    check_known_llms,
    validate,
    validate_chinchilla,
    validate_composition,
    validate_llm_catalog,
    validate_llm_losses,
    validate_skillmix,
)

__all__ = [
    "COMPOSITION_METRICS",
    "LLM_KINDS",
    "LOSS_UNITS",
    "SCHEMAS",
    "SKILLMIX_METRICS",
    "Column",
    "Schema",
    "check_known_llms",
    "read_csv",
    "validate",
    "validate_chinchilla",
    "validate_composition",
    "validate_llm_catalog",
    "validate_llm_losses",
    "validate_skillmix",
]
