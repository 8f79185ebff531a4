"""Plain-dict prior specifications turned into PyMC variables.

A prior is written as a small dict, the same in Python, in a TOML spec and in a saved model's
attributes::

    {"dist": "Normal", "mu": 0.35, "sigma": 0.1}
    {"dist": "TruncatedNormal", "mu": 1.75, "sigma": 0.3, "lower": 0.0}

:func:`make_prior` checks the distribution name and its parameters and creates the variable
inside the current ``pm.Model``. No pymc-extras dependency: the supported families are listed in
:data:`SUPPORTED` with their allowed (required, optional) parameters.

Examples
--------
>>> import pymc as pm
>>> with pm.Model() as m:
...     x = make_prior("x", {"dist": "HalfNormal", "sigma": 2.0})
>>> m["x"].owner.op.__class__.__name__
'HalfNormalRV'
>>> validate_prior("y", {"dist": "Normal", "mean": 0})
Traceback (most recent call last):
...
skillfit.errors.SpecError: prior 'y': unknown parameter 'mean' for Normal (did you mean 'mu'?); allowed: mu, sigma
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from skillfit.errors import SpecError, did_you_mean

__all__ = ["SUPPORTED", "make_prior", "validate_prior"]

#: distribution name -> (required parameters, optional parameters)
SUPPORTED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Normal": (("mu", "sigma"), ()),
    "HalfNormal": (("sigma",), ()),
    "LogNormal": (("mu", "sigma"), ()),
    "TruncatedNormal": (("mu", "sigma"), ("lower", "upper")),
    "Gamma": (("alpha", "beta"), ()),
    "Exponential": (("lam",), ()),
    "StudentT": (("nu", "mu", "sigma"), ()),
    "Beta": (("alpha", "beta"), ()),
    "Uniform": (("lower", "upper"), ()),
}

_POSITIVE = {"sigma", "alpha", "beta", "lam", "nu"}


#: common names from other libraries (numpy, scipy, Stan) -> PyMC's parameter names
_ALIASES = {"mean": "mu", "loc": "mu", "sd": "sigma", "std": "sigma", "scale": "sigma",
            "df": "nu", "rate": "lam", "low": "lower", "high": "upper", "a": "alpha", "b": "beta"}


def _suggest(word: str, options: list[str]) -> str:
    return did_you_mean(word, options, aliases=_ALIASES)


def validate_prior(name: str, spec: Any) -> dict[str, Any]:
    """Check a prior spec and return a normalised copy (floats, ``dist`` first).

    Parameters
    ----------
    name : str
        The variable's name (used in messages).
    spec : mapping
        ``{"dist": NAME, parameter: number, ...}`` with NAME in :data:`SUPPORTED`.

    Returns
    -------
    dict
        ``dist`` then the parameters as floats.

    Raises
    ------
    SpecError
        If ``spec`` is not a mapping, names an unknown distribution, misses a required parameter,
        has an unknown one, or a parameter is not a finite number (or is not positive where it
        must be, or ``lower >= upper``).

    Examples
    --------
    >>> validate_prior("E", {"dist": "TruncatedNormal", "mu": 1, "sigma": 0.3, "lower": 0})
    {'dist': 'TruncatedNormal', 'mu': 1.0, 'sigma': 0.3, 'lower': 0.0}
    """
    if not isinstance(spec, Mapping):
        raise SpecError(
            f"prior {name!r}: expected a table like {{dist = \"Normal\", mu = 0, sigma = 1}}, "
            f"got {spec!r}"
        )
    if "dist" not in spec:
        raise SpecError(f"prior {name!r}: missing 'dist' (one of {', '.join(SUPPORTED)})")
    dist = spec["dist"]
    if dist not in SUPPORTED:
        raise SpecError(
            f"prior {name!r}: unknown distribution {dist!r}{_suggest(str(dist), list(SUPPORTED))}; "
            f"supported: {', '.join(SUPPORTED)}"
        )
    required, optional = SUPPORTED[dist]
    allowed = list(required + optional)
    out: dict[str, Any] = {"dist": dist}
    for key, value in spec.items():
        if key == "dist":
            continue
        if key not in allowed:
            raise SpecError(
                f"prior {name!r}: unknown parameter {key!r} for {dist}{_suggest(key, allowed)}; "
                f"allowed: {', '.join(allowed)}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            raise SpecError(f"prior {name!r}: parameter {key!r} must be a number, got {value!r}")
        value = float(value)
        if not np.isfinite(value):
            raise SpecError(f"prior {name!r}: parameter {key!r} must be finite, got {value!r}")
        if key in _POSITIVE and value <= 0:
            raise SpecError(f"prior {name!r}: parameter {key!r} must be > 0, got {value!r}")
        out[key] = value
    missing = [p for p in required if p not in out]
    if missing:
        raise SpecError(f"prior {name!r}: {dist} needs parameter(s) {', '.join(missing)}")
    if "lower" in out and "upper" in out and out["lower"] >= out["upper"]:
        raise SpecError(f"prior {name!r}: lower ({out['lower']}) must be below upper ({out['upper']})")
    return out


def make_prior(name: str, spec: Mapping[str, Any], **kwargs: Any) -> Any:
    """Create the PyMC random variable ``name`` from a prior spec (inside a model context).

    Parameters
    ----------
    name : str
        Variable name.
    spec : mapping
        Prior spec, checked by :func:`validate_prior`.
    **kwargs
        Passed to the distribution (e.g. ``dims``, ``shape``).

    Returns
    -------
    pytensor.tensor.TensorVariable
        The model's random variable.

    Examples
    --------
    >>> import pymc as pm
    >>> with pm.Model(coords={"g": ["a", "b"]}) as m:
    ...     x = make_prior("x", {"dist": "Normal", "mu": 0, "sigma": 1}, dims="g")
    >>> m["x"].eval().shape
    (2,)
    """
    import pymc as pm

    clean = validate_prior(name, spec)
    dist = clean.pop("dist")
    return getattr(pm, dist)(name, **clean, **kwargs)
