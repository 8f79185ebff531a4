"""Exception types shared by every layer of skillfit, and the one "did you mean" helper.

All errors that a user can cause by bad input derive from :class:`SkillfitError`, so that the
command line can turn them into one clear line and a non-zero exit instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

__all__ = [
    "ArgumentError",
    "DataValidationError",
    "DataWarning",
    "DifferentModelError",
    "ExtrapolationWarning",
    "SimulationError",
    "SkillfitError",
    "SpecError",
    "UnknownDatasetError",
    "did_you_mean",
]


class SkillfitError(Exception):
    """Base class for every error skillfit raises on bad input or state."""


class ArgumentError(SkillfitError, ValueError):
    """An argument of a library function (theory, scaling law) that no value can make valid,
    such as a negative ratio of set sizes; the message names the argument."""


class DataValidationError(SkillfitError, ValueError):
    """A table (bundled, user CSV or DataFrame) does not satisfy its schema.

    The message names the source (file or argument), the column and the offending row(s).
    """


class SpecError(SkillfitError, ValueError):
    """A model specification (TOML file or ``model_config``/``sampler_config``) is invalid."""


class DifferentModelError(SkillfitError):
    """A saved file belongs to another model type, configuration or model version."""


class SimulationError(SkillfitError, ValueError):
    """Invalid argument to the skill-graph simulator; the message names the argument."""


class UnknownDatasetError(SkillfitError, KeyError):
    """No bundled dataset has the requested name."""

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0]) if self.args else ""


class DataWarning(UserWarning):
    """A table is valid but a value in it looks inconsistent (it is still used); names the rows."""


class ExtrapolationWarning(UserWarning):
    """A forecast asked far outside the data the model was fitted on (it is still computed)."""


def did_you_mean(word: object, options: Iterable[str],
                 aliases: Mapping[str, str] | None = None) -> str:
    """``" (did you mean 'x'?)"`` for the option closest to ``word``, or ``""`` if none is close.

    ``aliases`` maps common other names to an option (e.g. ``{"mean": "mu"}``); an alias wins
    over spelling when its target is among ``options``.

    Examples
    --------
    >>> did_you_mean("nut_sampler", ["nuts_sampler", "draws"])
    " (did you mean 'nuts_sampler'?)"
    >>> did_you_mean("mean", ["mu", "sigma"], aliases={"mean": "mu"})
    " (did you mean 'mu'?)"
    >>> did_you_mean("zzz", ["mu", "sigma"])
    ''
    """
    opts = [str(o) for o in options]
    alias = (aliases or {}).get(str(word))
    if alias in opts:
        return f" (did you mean {alias!r}?)"
    close = difflib.get_close_matches(str(word), sorted(opts), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
