"""A slim ModelBuilder (after pymc-marketing's) shared by every skillfit PyMC model.

Lifecycle: ``Model(model_config=None, sampler_config=None)`` only stores validated settings (no
sampling); :meth:`ModelBuilder.build_model` makes the ``pm.Model`` from a DataFrame;
:meth:`ModelBuilder.sample_prior_predictive` works before fitting; :meth:`ModelBuilder.fit`
samples and returns an ``xarray.DataTree`` (also kept as ``.idata``); :meth:`ModelBuilder.save`
and :meth:`ModelBuilder.load` round-trip the posterior, the configuration and the training data
through one netCDF file.

Subclasses implement :attr:`~ModelBuilder.default_model_config`,
:attr:`~ModelBuilder.default_sampler_config`, :meth:`~ModelBuilder.build_model` and
:meth:`~ModelBuilder._validate_data`, and set ``_model_type``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd
import xarray as xr

from skillfit import __version__
from skillfit.errors import DifferentModelError, SkillfitError, SpecError, did_you_mean
from skillfit.models.priors import validate_prior
from skillfit.outputs import atomic_path
from skillfit.provenance import data_sha256, versions

__all__ = [
    "CI_KIND",
    "ESS_MIN",
    "HDI_PROB",
    "RHAT_MAX",
    "SAMPLER_KEYS",
    "ModelBuilder",
    "default_nuts_sampler",
]

#: Credible-interval mass used by :meth:`ModelBuilder.summary` (explicit, not ArviZ's rcParams).
HDI_PROB: float = 0.89
#: Interval kind used by :meth:`ModelBuilder.summary`.
CI_KIND: str = "hdi"
#: Convergence thresholds used by :meth:`ModelBuilder.diagnostics` (DESIGN §8).
RHAT_MAX: float = 1.01
ESS_MIN: float = 400.0

#: ``sampler_config`` keys accepted (a typo such as ``nut_sampler`` is an error, not ignored).
SAMPLER_KEYS: frozenset[str] = frozenset(
    {
        "draws",
        "tune",
        "chains",
        "cores",
        "target_accept",
        "max_treedepth",
        "nuts",
        "nuts_sampler",
        "random_seed",
        "progressbar",
        "quiet",
        "init",
        "n_init",
        "jitter_max_retries",
        "compute_convergence_checks",
        "discard_tuned_samples",
        "blas_cores",
        "backend",
        "compile_kwargs",
        "idata_kwargs",
    }
)
_NUTS_KEYS = ("target_accept", "max_treedepth")
#: Largest draws/tune/chains/cores accepted (the samplers count in 32-bit integers).
MAX_SAMPLER_INT: int = 2**31 - 1
#: Random seeds are integers in [0, MAX_SEED] (what every NUTS sampler accepts).
MAX_SEED: int = 2**32 - 1


def _finite(value: int | float) -> bool:
    """``math.isfinite`` that says False (not OverflowError) for ints beyond float range."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def check_seed(seed: Any, what: str = "random_seed") -> int:
    """Return ``seed`` if it is an integer in ``[0, 2**32 - 1]``; SpecError naming ``what``."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise SpecError(f"{what} must be an integer from 0 to 2**32 - 1, got {seed!r}")
    return int(seed)


def default_nuts_sampler() -> str:
    """``"nutpie"`` when it can be imported, else ``"pymc"``."""
    try:
        import nutpie  # noqa: F401
    except ImportError:  # pragma: no cover - nutpie is a dependency
        return "pymc"
    return "nutpie"


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one).

    PyMC's own default (``multiprocessing.cpu_count() // 2``, assuming half the CPUs are
    hyper-threads) is 1 on a 2-core machine, which made 4 chains run one after another.
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _frame_to_dataset(df: pd.DataFrame) -> xr.Dataset:
    """A DataFrame as a Dataset on dim ``obs`` that survives netCDF (bools as int8, str as vlen)."""
    data_vars = {}
    for col in df.columns:
        values = df[col].to_numpy()
        attrs: dict[str, str] = {}
        if pd.api.types.is_bool_dtype(df[col].dtype):
            values = values.astype("int8")
            attrs["skillfit_dtype"] = "bool"
        elif not pd.api.types.is_numeric_dtype(df[col].dtype):
            values = np.array([None if pd.isna(v) else str(v) for v in values], dtype=object)
            attrs["skillfit_dtype"] = "str"
        data_vars[str(col)] = xr.Variable(("obs",), values, attrs=attrs)
    return xr.Dataset(data_vars, coords={"obs": np.arange(len(df))})


def _dataset_to_frame(ds: xr.Dataset) -> pd.DataFrame:
    cols = {}
    for name, var in ds.data_vars.items():
        values = var.values
        kind = var.attrs.get("skillfit_dtype")
        if kind == "bool":
            values = values.astype(bool)
        elif kind == "str":
            values = pd.array([None if v is None else str(v) for v in values], dtype="str")
        cols[str(name)] = values
    return pd.DataFrame(cols)


class ModelBuilder(ABC):
    """Base class: configuration, fitting, diagnostics and netCDF save/load of a PyMC model.

    Parameters
    ----------
    model_config : mapping, optional
        Overrides of :attr:`default_model_config` (priors as plain dicts, see
        :mod:`skillfit.models.priors`, and model options). Unknown keys raise
        :class:`~skillfit.errors.SpecError`.
    sampler_config : mapping, optional
        Overrides of :attr:`default_sampler_config`; keys must be in :data:`SAMPLER_KEYS`.
    """

    _model_type: ClassVar[str] = "base"

    def __init__(
        self,
        model_config: Mapping[str, Any] | None = None,
        sampler_config: Mapping[str, Any] | None = None,
    ) -> None:
        self.model_config: dict[str, Any] = self._merge_model_config(model_config or {})
        self.sampler_config: dict[str, Any] = self._merge_sampler_config(sampler_config or {})
        self.model: Any = None
        self._idata: xr.DataTree | None = None
        self._data: pd.DataFrame | None = None
        self.prior_idata: xr.DataTree | None = None

    # ----------------------------------------------------------------- to implement
    @property
    @abstractmethod
    def default_model_config(self) -> dict[str, Any]:
        """Default priors and options."""

    @property
    @abstractmethod
    def default_sampler_config(self) -> dict[str, Any]:
        """Default ``pm.sample`` settings."""

    @abstractmethod
    def build_model(self, data: pd.DataFrame) -> Any:
        """Build ``self.model`` (a ``pm.Model``) from ``data``; return it."""

    @abstractmethod
    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        """Validate ``data`` and return a cleaned copy (raise DataValidationError)."""

    #: posterior variables reported by :meth:`summary` and checked by :meth:`diagnostics`;
    #: ``None`` = every posterior variable without an observation dimension.
    summary_var_names: ClassVar[list[str] | None] = None

    # ----------------------------------------------------------------- configuration
    def _check_model_config_value(self, key: str, value: Any, default: Any) -> Any:
        """Validate one merged ``model_config`` entry (priors via :func:`validate_prior`)."""
        if isinstance(default, Mapping) and "dist" in default:
            if isinstance(value, int | float) and not isinstance(value, bool):
                if not _finite(value):
                    raise SpecError(f"model_config {key!r} must be finite, got {value!r}")
                return float(value)  # a fixed value instead of a prior (where allowed)
            return validate_prior(key, value)
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise SpecError(f"model_config {key!r} must be true or false, got {value!r}")
            return value
        if isinstance(default, int | float):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SpecError(f"model_config {key!r} must be a number, got {value!r}")
            if not _finite(value):
                raise SpecError(f"model_config {key!r} must be finite, got {value!r}")
            return type(default)(value) if isinstance(default, float) else value
        return value

    def _merge_model_config(self, user: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(user, Mapping):
            raise SpecError(f"model_config must be a mapping, got {type(user).__name__}")
        defaults = self.default_model_config
        unknown = [k for k in user if k not in defaults]
        if unknown:
            key = unknown[0]
            raise SpecError(
                f"unknown model_config key {key!r}{did_you_mean(key, list(defaults))}; "
                f"valid keys: {', '.join(defaults)}"
            )
        merged = dict(defaults)
        merged.update(user)
        return {k: self._check_model_config_value(k, v, defaults[k]) for k, v in merged.items()}

    def _merge_sampler_config(self, user: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(user, Mapping):
            raise SpecError(f"sampler_config must be a mapping, got {type(user).__name__}")
        self._check_sampler_keys(user)
        merged = dict(self.default_sampler_config)
        merged.update({k: v for k, v in user.items() if v is not None})  # None = the default
        if merged.get("nuts_sampler") is None:
            merged["nuts_sampler"] = default_nuts_sampler()
        return merged

    @staticmethod
    def _check_sampler_keys(cfg: Mapping[str, Any]) -> None:
        for key in cfg:
            if key not in SAMPLER_KEYS:
                raise SpecError(
                    f"unknown sampler_config key {key!r}{did_you_mean(key, sorted(SAMPLER_KEYS))}; "
                    f"valid keys: {', '.join(sorted(SAMPLER_KEYS))}"
                )
        for key in ("draws", "tune", "chains", "cores", "max_treedepth"):
            if key in cfg and cfg[key] is not None:
                value = cfg[key]
                if isinstance(value, bool) or not isinstance(value, int | np.integer) or not (
                    (0 if key == "tune" else 1) <= value <= MAX_SAMPLER_INT
                ):
                    raise SpecError(f"sampler_config {key!r} must be a positive integer "
                                    f"(at most 2**31 - 1), got {value!r}")
        if cfg.get("nuts") is not None and not isinstance(cfg["nuts"], Mapping):
            raise SpecError(f"sampler_config 'nuts' must be a table of NUTS settings, got {cfg['nuts']!r}")
        if "random_seed" in cfg and cfg["random_seed"] is not None:
            check_seed(cfg["random_seed"], "sampler_config 'random_seed'")
        if "target_accept" in cfg:
            value = cfg["target_accept"]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
                raise SpecError(f"sampler_config 'target_accept' must be in (0, 1), got {value!r}")
        if cfg.get("nuts_sampler") not in (None, "pymc", "nutpie", "numpyro", "blackjax"):
            raise SpecError(
                f"sampler_config 'nuts_sampler' must be 'pymc' or 'nutpie', got {cfg['nuts_sampler']!r}"
            )

    @property
    def id(self) -> str:
        """16 hex digits of SHA-256 over model type, model_config (JSON) and skillfit version."""
        text = self._model_type + json.dumps(_jsonable(self.model_config), sort_keys=True) + __version__
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    # ----------------------------------------------------------------- state accessors
    @property
    def is_fitted(self) -> bool:
        """Whether :meth:`fit` (or :meth:`load`) has produced a posterior."""
        return self._idata is not None

    @property
    def idata(self) -> xr.DataTree:
        """The fitted ``DataTree``; RuntimeError before :meth:`fit`."""
        if self._idata is None:
            raise RuntimeError(f"{type(self).__name__} has not been fitted yet: call .fit() first")
        return self._idata

    @property
    def posterior(self) -> xr.Dataset:
        """The posterior group as an ``xarray.Dataset``; RuntimeError before :meth:`fit`."""
        return self.idata["posterior"].to_dataset()

    @property
    def fit_data(self) -> pd.DataFrame:
        """The training data as validated (stored in the ``fit_data`` group)."""
        if self._data is None:
            raise RuntimeError(f"{type(self).__name__} has no data yet: call .fit() first")
        return self._data.copy()

    def _require_model(self) -> Any:
        if self.model is None:
            raise RuntimeError(
                f"{type(self).__name__} has not been built yet: call .build_model(data) or .fit(data)"
            )
        return self.model

    # ----------------------------------------------------------------- sampling
    def _sample_kwargs(
        self, random_seed: Any, progressbar: bool | None, overrides: Mapping[str, Any]
    ) -> dict[str, Any]:
        self._check_sampler_keys(overrides)
        cfg = dict(self.sampler_config)
        cfg.update(overrides)
        nuts = dict(cfg.pop("nuts", None) or {})
        for key in _NUTS_KEYS:
            if key in cfg:
                nuts[key] = cfg.pop(key)
        if cfg.get("nuts_sampler") == "nutpie" and "max_treedepth" in nuts:
            nuts["maxdepth"] = nuts.pop("max_treedepth")
        if nuts:
            cfg["nuts"] = nuts
        if random_seed is not None:
            cfg["random_seed"] = random_seed
        if cfg.get("random_seed") is None:
            cfg["random_seed"] = int(np.random.SeedSequence().generate_state(1)[0])
        if progressbar is not None:
            cfg["progressbar"] = progressbar
        if cfg.get("cores") is None:
            cfg["cores"] = min(int(cfg.get("chains") or 4), available_cores())
        return cfg

    def fit(
        self,
        data: pd.DataFrame,
        random_seed: int | None = None,
        progressbar: bool | None = None,
        **kwargs: Any,
    ) -> xr.DataTree:
        """Build the model on ``data``, sample the posterior and return it as a ``DataTree``.

        ``kwargs`` override ``sampler_config`` for this call (same keys). ``random_seed``
        (default: ``sampler_config["random_seed"]``, else a fresh one) is recorded in the
        root attribute ``random_seed``; the same seed gives the same posterior.
        """
        import pymc as pm

        self.build_model(data)
        sample_kwargs = self._sample_kwargs(random_seed, progressbar, kwargs)
        with self.model:
            idata = pm.sample(**sample_kwargs)
        self._idata = self._stamp(idata, sample_kwargs)
        return self._idata

    def _stamp(self, idata: xr.DataTree, sample_kwargs: Mapping[str, Any]) -> xr.DataTree:
        attrs = {
            "model_type": self._model_type,
            "skillfit_version": __version__,
            "id": self.id,
            "model_config": json.dumps(_jsonable(self.model_config), sort_keys=True),
            "sampler_config": json.dumps(_jsonable(self.sampler_config), sort_keys=True),
            "random_seed": int(sample_kwargs["random_seed"]),
            "nuts_sampler": str(sample_kwargs.get("nuts_sampler", "")),
            "data_sha256": data_sha256(self._data) if self._data is not None else "",
            "versions": json.dumps(versions(), sort_keys=True),
        }
        idata.attrs.update(attrs)
        if "posterior" in idata:
            idata["posterior"].attrs["skillfit_version"] = __version__
            if self.model is not None and "obs" in self.model.coords:
                idata["posterior"].attrs["n_obs"] = len(self.model.coords["obs"])
        assert self._data is not None
        idata["fit_data"] = _frame_to_dataset(self._data)
        return idata

    def sample_prior_predictive(
        self, data: pd.DataFrame | None = None, samples: int = 500, random_seed: Any = None
    ) -> xr.DataTree:
        """Draw from the prior and prior predictive (works before :meth:`fit`).

        With ``data`` the model is (re)built on it first; without, the built model is used.
        The result is kept as ``.prior_idata`` and, if the model is fitted, also added to
        ``.idata`` as the ``prior`` / ``prior_predictive`` groups.
        """
        import pymc as pm

        if data is not None:
            self.build_model(data)
        model = self._require_model()
        with model:
            prior = pm.sample_prior_predictive(draws=samples, random_seed=random_seed)
        self.prior_idata = prior
        if self._idata is not None:
            for group in ("prior", "prior_predictive"):
                if group in prior:
                    self._idata[group] = prior[group].to_dataset()
        return prior

    def compute_log_likelihood(self) -> xr.DataTree:
        """Add the pointwise ``log_likelihood`` group (for ``az.loo`` / ``az.compare``)."""
        import pymc as pm

        idata = self.idata
        pm.compute_log_likelihood(
            idata, model=self._require_model(), extend_inferencedata=True, progressbar=False
        )
        return idata

    # ----------------------------------------------------------------- diagnostics
    def _summary_vars(self) -> list[str]:
        post = self.posterior
        if self.summary_var_names is not None:
            return [v for v in self.summary_var_names if v in post]
        return [v for v, da in post.data_vars.items() if set(da.dims) <= {"chain", "draw"}]

    def summary(self, var_names: Sequence[str] | None = None) -> pd.DataFrame:
        """``az.summary`` of the posterior with a :data:`HDI_PROB` HDI (explicit settings)."""
        import arviz as az

        names = list(var_names) if var_names is not None else self._summary_vars()
        table = az.summary(self.idata, var_names=names, ci_kind=CI_KIND, ci_prob=HDI_PROB)
        return pd.DataFrame(table)

    def diagnostics(self, var_names: Sequence[str] | None = None) -> dict[str, Any]:
        """Convergence checks: max R-hat, min bulk/tail ESS, divergences, per-parameter table.

        Returns a JSON-serialisable dict with keys ``max_r_hat``, ``min_ess_bulk``,
        ``min_ess_tail``, ``divergences``, ``chains``, ``draws``, ``converged`` (R-hat ≤
        :data:`RHAT_MAX`, bulk ESS ≥ :data:`ESS_MIN`, no divergences) and ``parameters``.
        """
        import arviz as az

        post = self.posterior
        if var_names is None:
            var_names = [v for v, da in post.data_vars.items() if set(da.dims) <= {"chain", "draw"}]
        table = pd.DataFrame(
            az.summary(self.idata, var_names=list(var_names), kind="diagnostics")
        )
        divergences = 0
        if "sample_stats" in self.idata and "diverging" in self.idata["sample_stats"]:
            divergences = int(np.asarray(self.idata["sample_stats"]["diverging"]).astype(bool).sum())
        r_hat = table["r_hat"].astype(float)
        ess_bulk = table["ess_bulk"].astype(float)
        ess_tail = table["ess_tail"].astype(float)
        out: dict[str, Any] = {
            "max_r_hat": float(r_hat.max()),
            "min_ess_bulk": float(ess_bulk.min()),
            "min_ess_tail": float(ess_tail.min()),
            "divergences": divergences,
            "chains": int(post.sizes["chain"]),
            "draws": int(post.sizes["draw"]),
            "worst_r_hat": str(r_hat.idxmax()) if r_hat.notna().any() else None,
            "worst_ess_bulk": str(ess_bulk.idxmin()) if ess_bulk.notna().any() else None,
            "parameters": {
                str(name): {
                    "r_hat": float(row["r_hat"]),
                    "ess_bulk": float(row["ess_bulk"]),
                    "ess_tail": float(row["ess_tail"]),
                }
                for name, row in table.iterrows()
            },
        }
        out["converged"] = bool(
            out["max_r_hat"] <= RHAT_MAX and out["min_ess_bulk"] >= ESS_MIN and divergences == 0
        )
        return out

    def warnings(self, diagnostics: Mapping[str, Any] | None = None) -> list[str]:
        """Plain-words messages for each failed convergence check, saying what to do."""
        d = dict(diagnostics) if diagnostics is not None else self.diagnostics()
        msgs: list[str] = []
        n = d["chains"] * d["draws"]
        if d["divergences"]:
            msgs.append(
                f"{d['divergences']} of {n} draws diverged: the sampler could not follow the "
                "posterior's geometry there, so the posterior may be biased. Raise target_accept "
                "(e.g. 0.95 or 0.99); if divergences remain, tighten the priors or reparametrise."
            )
        if not np.isfinite(d["max_r_hat"]):
            msgs.append("R-hat could not be computed (fewer than 2 chains?): run at least 2 chains.")
        elif d["max_r_hat"] > RHAT_MAX:
            msgs.append(
                f"R-hat is {d['max_r_hat']:.3f} for {d['worst_r_hat']} (should be <= {RHAT_MAX}): "
                "the chains disagree. Run more tuning and draws, and check the trace/rank plots "
                "for a chain stuck in another mode."
            )
        if np.isfinite(d["min_ess_bulk"]) and d["min_ess_bulk"] < ESS_MIN:
            msgs.append(
                f"bulk ESS is only {d['min_ess_bulk']:.0f} for {d['worst_ess_bulk']} (want >= "
                f"{ESS_MIN:.0f}): posterior means and intervals are noisy. Run more draws."
            )
        if np.isfinite(d["min_ess_tail"]) and d["min_ess_tail"] < ESS_MIN:
            msgs.append(
                f"tail ESS is only {d['min_ess_tail']:.0f} (want >= {ESS_MIN:.0f}): interval "
                "ends are unreliable. Run more draws."
            )
        return msgs

    # ----------------------------------------------------------------- save / load
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted ``DataTree`` (config, data and version in it) to netCDF atomically."""
        idata = self.idata
        target = Path(path)
        with atomic_path(target) as tmp:
            idata.to_netcdf(tmp, engine="h5netcdf")
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Self:
        """Rebuild a fitted model from :meth:`save`'s file.

        Raises
        ------
        DifferentModelError
            If the file is not a skillfit model, is of another model type, or its id (model
            type + configuration + skillfit version) differs from the rebuilt model's.
        """
        path = Path(path)
        if not path.is_file():
            raise SkillfitError(f"no such model file: {path}")
        try:
            with xr.open_datatree(path, engine="h5netcdf") as tree:
                idata = tree.load().copy()
        except (OSError, ValueError) as exc:
            raise DifferentModelError(
                f"{path} is not a netCDF file saved by skillfit ({type(exc).__name__})"
            ) from None
        attrs = idata.attrs
        if "model_type" not in attrs or "id" not in attrs or "fit_data" not in idata:
            raise DifferentModelError(
                f"{path} was not saved by a skillfit model (no model_type/id attributes or "
                "fit_data group)"
            )
        if attrs["model_type"] != cls._model_type:
            raise DifferentModelError(
                f"{path} holds a {attrs['model_type']!r} model, not {cls._model_type!r}; "
                f"load it with the matching class"
            )
        try:
            model = cls(
                model_config=json.loads(attrs["model_config"]),
                sampler_config=json.loads(attrs["sampler_config"]),
            )
        except (SpecError, json.JSONDecodeError, KeyError) as exc:
            raise DifferentModelError(f"{path}: stored configuration is not valid: {exc}") from None
        if model.id != attrs["id"]:
            raise DifferentModelError(
                f"{path} does not match this model: stored id {attrs['id']} (skillfit "
                f"{attrs.get('skillfit_version', '?')}) != rebuilt id {model.id} (skillfit "
                f"{__version__}); the configuration or the skillfit version differs"
            )
        model.build_model(_dataset_to_frame(idata["fit_data"].to_dataset()))
        model._idata = idata
        return model
