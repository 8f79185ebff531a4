"""Exception types shared by every layer of skillfit.

All errors that a user can cause by bad input derive from :class:`SkillfitError`, so that the
command line can turn them into one clear line and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

__all__ = [
    "DataValidationError",
    "DifferentModelError",
    "SkillfitError",
    "SpecError",
]


class SkillfitError(Exception):
    """Base class for every error skillfit raises on bad input or state."""


class DataValidationError(SkillfitError, ValueError):
    """A table (bundled, user CSV or DataFrame) does not satisfy its schema.

    The message names the source (file or argument), the column and the offending row(s).
    """


class SpecError(SkillfitError, ValueError):
    """A model specification (TOML file or ``model_config``/``sampler_config``) is invalid."""


class DifferentModelError(SkillfitError):
    """A saved file belongs to another model type, configuration or skillfit version."""
