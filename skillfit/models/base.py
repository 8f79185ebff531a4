"""A slim ModelBuilder (after pymc-marketing's) shared by every skillfit PyMC model.

Lifecycle: ``Model(model_config=None, sampler_config=None)`` only stores validated settings (no
sampling); :meth:`ModelBuilder.build_model` makes the ``pm.Model`` from a DataFrame;
:meth:`ModelBuilder.sample_prior_predictive` works before fitting; :meth:`ModelBuilder.fit`
samples and returns an ``xarray.DataTree`` (also kept as ``.idata``) that also holds the
``log_likelihood`` and ``posterior_predictive`` groups ArviZ's ``loo`` and ``plot_ppc_dist``
read. Saving and loading (:meth:`~skillfit.models.io.ModelIO.save`,
:meth:`~skillfit.models.io.ModelIO.load`) live in the :class:`~skillfit.models.io.ModelIO`
mixin; this module holds configuration, sampling and diagnostics.

Subclasses implement :attr:`~ModelBuilder.default_model_config`,
:attr:`~ModelBuilder.default_sampler_config`, :meth:`~ModelBuilder.build_model` and
``_validate_data``, and set ``_model_type`` and ``version``.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import warnings
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import xarray as xr

from skillfit import __version__
from skillfit.errors import SpecError, did_you_mean
from skillfit.intervals import CI_KIND, CI_PROB, check_ci
from skillfit.models.io import ModelIO, frame_to_dataset
from skillfit.models.priors import validate_prior

__all__ = [
    "ESS_MIN",
    "MAX_SAMPLER_INT",
    "MAX_SEED",
    "RHAT_MAX",
    "SAMPLER_KEYS",
    "ModelBuilder",
    "available_cores",
    "check_seed",
    "default_nuts_sampler",
    "quiet_pymc",
]

#: Largest R-hat :meth:`ModelBuilder.diagnostics` accepts as converged (Vehtari et al. 2021).
RHAT_MAX: float = 1.01
#: Smallest bulk ESS :meth:`ModelBuilder.diagnostics` accepts: 400, i.e. 100 per chain for the
#: default 4 chains (Vehtari et al. 2021).
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
    """Return ``seed`` as an int if it is an integer in ``[0, 2**32 - 1]``.

    Raises
    ------
    SpecError
        Otherwise; the message names ``what``.

    Examples
    --------
    >>> check_seed(np.int64(7))
    7
    >>> check_seed(-1)
    Traceback (most recent call last):
    ...
    skillfit.errors.SpecError: random_seed must be an integer from 0 to 2**32 - 1, got -1
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed <= MAX_SEED:
        raise SpecError(f"{what} must be an integer from 0 to 2**32 - 1, got {seed!r}")
    return int(seed)


def default_nuts_sampler() -> str:
    """``"nutpie"`` when it can be imported, else ``"pymc"``.

    Examples
    --------
    >>> default_nuts_sampler() in ("nutpie", "pymc")
    True
    """
    try:
        import nutpie  # noqa: F401
    except ImportError:  # pragma: no cover - nutpie is a dependency
        return "pymc"
    return "nutpie"


def available_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one).

    PyMC's own default (``multiprocessing.cpu_count() // 2``, assuming half the CPUs are
    hyper-threads) is 1 on a 2-core machine, which made 4 chains run one after another.

    Examples
    --------
    >>> available_cores() >= 1
    True
    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


@contextlib.contextmanager
def quiet_pymc() -> Iterator[None]:
    """Context: no "Sampling: [...]" log line and no Numba object-mode notice while predictive
    draws are made (the Beta-Binomial RNG runs in object mode: slower, same draws).

    Examples
    --------
    >>> with quiet_pymc():
    ...     pass
    """
    log = logging.getLogger("pymc")
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Numba will use object mode")
            yield
    finally:
        log.setLevel(level)


class ModelBuilder(ModelIO, ABC):
    """Base class: configuration, fitting and diagnostics of a PyMC model.

    File handling (:attr:`~skillfit.models.io.ModelIO.id`, :meth:`~skillfit.models.io.ModelIO.save`,
    :meth:`~skillfit.models.io.ModelIO.load`) comes from :class:`~skillfit.models.io.ModelIO`.

    Parameters
    ----------
    model_config : mapping, optional
        Overrides of :attr:`default_model_config` (priors as plain dicts, see
        :mod:`skillfit.models.priors`, and model options). Unknown keys raise
        :class:`~skillfit.errors.SpecError`.
    sampler_config : mapping, optional
        Overrides of :attr:`default_sampler_config`; keys must be in :data:`SAMPLER_KEYS`.

    Attributes
    ----------
    version : str
        The model version (a class attribute, e.g. ``"1"``), hashed into the model id and
        stored in saved files. Bump it whenever the model graph changes (a variable, prior,
        parametrisation, likelihood or ``model_config`` key changes meaning), so that
        :meth:`~skillfit.models.io.ModelIO.load` refuses runs of the old graph instead of
        misreading them. Package releases that leave the graph alone keep it, and saved runs
        keep loading.
    summary_var_names : list of str or None
        Class attribute: the posterior variables :meth:`summary` reports (those present);
        ``None`` means every posterior variable without an observation dimension.
    model : pymc.Model or None
        The built model (after :meth:`build_model`, :meth:`fit` or ``load``).
    prior_idata : xarray.DataTree or None
        The last :meth:`sample_prior_predictive` result.
    """

    summary_var_names: ClassVar[list[str] | None] = None

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
        """Default priors and options (the keys a ``model_config`` may override)."""

    @property
    @abstractmethod
    def default_sampler_config(self) -> dict[str, Any]:
        """Default ``pm.sample`` settings (keys from :data:`SAMPLER_KEYS`)."""

    @abstractmethod
    def build_model(self, data: pd.DataFrame) -> Any:
        """Build ``self.model`` (a ``pm.Model``) from ``data`` and return it.

        Parameters
        ----------
        data : pandas.DataFrame
            The training table (validated by ``_validate_data``).

        Returns
        -------
        pymc.Model
        """

    @abstractmethod
    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        """Validate ``data`` and return a cleaned copy (raise DataValidationError)."""

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
        predictive: bool = True,
        **kwargs: Any,
    ) -> xr.DataTree:
        """Build the model on ``data``, sample the posterior and return it as a ``DataTree``.

        Parameters
        ----------
        data : pandas.DataFrame
            The training table.
        random_seed : int, optional
            Seed of the fit (default: ``sampler_config["random_seed"]``, else a fresh one),
            recorded in the root attribute ``random_seed``; the same seed gives the same
            posterior and the same ``posterior_predictive`` group.
        progressbar : bool, optional
            Show the sampler's progress bar (default: ``sampler_config``).
        predictive : bool, default True
            Also store the pointwise ``log_likelihood`` group (for ``az.loo`` and
            ``az.compare``) and a ``posterior_predictive`` group of the observed variables, one
            draw per posterior draw, seeded by ``random_seed`` (for ArviZ's posterior
            predictive plots). Both are saved with the run. ``False`` skips them (a few seconds
            on the default joint fit; useful for repeated refits such as calibration runs).
        **kwargs
            Override ``sampler_config`` for this call (same keys).

        Returns
        -------
        xarray.DataTree
            The fit, also kept as :attr:`idata`, with a ``fit_data`` group holding ``data``.

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> idata = m.fit(datasets.load("chinchilla"), random_seed=1)
        >>> sorted(g for g in idata.children if g in ("log_likelihood", "posterior_predictive"))
        ['log_likelihood', 'posterior_predictive']
        >>> idata.attrs["random_seed"]
        1
        """
        import pymc as pm

        self.build_model(data)
        sample_kwargs = self._sample_kwargs(random_seed, progressbar, kwargs)
        with self.model:
            idata = pm.sample(**sample_kwargs)
        self._idata = self._stamp(idata, sample_kwargs)
        if predictive:
            self.compute_log_likelihood()
            self.sample_posterior_predictive()
        return self._idata

    def _stamp(self, idata: xr.DataTree, sample_kwargs: Mapping[str, Any]) -> xr.DataTree:
        idata.attrs.update(self._file_attrs(sample_kwargs["random_seed"],
                                            sample_kwargs.get("nuts_sampler", "")))
        if "posterior" in idata:
            idata["posterior"].attrs["skillfit_version"] = __version__
            if self.model is not None and "obs" in self.model.coords:
                idata["posterior"].attrs["n_obs"] = len(self.model.coords["obs"])
        assert self._data is not None
        idata["fit_data"] = frame_to_dataset(self._data)
        return idata

    def sample_prior_predictive(
        self, data: pd.DataFrame | None = None, samples: int = 500, random_seed: Any = None
    ) -> xr.DataTree:
        """Draw from the prior and prior predictive (works before :meth:`fit`).

        With ``data`` the model is (re)built on it first; without, the built model is used.
        The result is kept as ``.prior_idata`` and, if the model is fitted, also added to
        ``.idata`` as the ``prior`` / ``prior_predictive`` groups.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            Training table to build the model on first.
        samples : int, default 500
            Number of prior draws.
        random_seed : int, optional
            Seed of the draws.

        Returns
        -------
        xarray.DataTree
            Groups ``prior``, ``prior_predictive`` and ``observed_data``.

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> prior = ScalingLawModel().sample_prior_predictive(
        ...     datasets.load("chinchilla"), samples=10, random_seed=0)
        >>> prior["prior_predictive"]["log_loss_obs"].shape
        (1, 10, 240)
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

    def sample_posterior_predictive(self, random_seed: int | None = None) -> xr.DataTree:
        """Add the ``posterior_predictive`` group: the observed variables redrawn per draw.

        :meth:`fit` calls it (unless ``predictive=False``); call it again to redraw with
        another seed. An existing group is replaced.

        Parameters
        ----------
        random_seed : int, optional
            Seed of the draws (default: the fit's ``random_seed``, so a fit and its saved copy
            give the same group).

        Returns
        -------
        xarray.DataTree
            :attr:`idata`, extended.

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1, predictive=False)
        >>> m.sample_posterior_predictive()["posterior_predictive"]["log_loss_obs"].shape
        (2, 20, 240)
        """
        import pymc as pm

        idata = self.idata
        seed = int(idata.attrs.get("random_seed", 0)) if random_seed is None else random_seed
        with self._require_model(), quiet_pymc():
            draws = pm.sample_posterior_predictive(
                idata, random_seed=seed, progressbar=False)
        idata["posterior_predictive"] = draws["posterior_predictive"].to_dataset()
        return idata

    def compute_log_likelihood(self) -> xr.DataTree:
        """Add the pointwise ``log_likelihood`` group (for ``az.loo`` / ``az.compare``).

        :meth:`fit` calls it (unless ``predictive=False``); an existing group is kept.

        Returns
        -------
        xarray.DataTree
            :attr:`idata`, extended.

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1)
        >>> m.compute_log_likelihood()["log_likelihood"]["log_loss_obs"].shape
        (2, 20, 240)
        """
        import pymc as pm

        idata = self.idata
        if "log_likelihood" not in idata:
            pm.compute_log_likelihood(
                idata, model=self._require_model(), extend_inferencedata=True, progressbar=False)
        return idata

    # ----------------------------------------------------------------- summaries and diagnostics
    def _summary_vars(self) -> list[str]:
        post = self.posterior
        if self.summary_var_names is not None:
            return [v for v in self.summary_var_names if v in post]
        return [v for v, da in post.data_vars.items() if set(da.dims) <= {"chain", "draw"}]

    def summary(self, var_names: Sequence[str] | None = None, ci_prob: float = CI_PROB,
                ci_kind: str = CI_KIND) -> pd.DataFrame:
        """``az.summary`` of the posterior with explicit interval settings.

        Parameters
        ----------
        var_names : sequence of str, optional
            Variables to report (default: the class attribute ``summary_var_names``, or every scalar one).
        ci_prob : float, default :data:`skillfit.intervals.CI_PROB` (0.89)
            Interval mass.
        ci_kind : {"eti", "hdi"}, default :data:`skillfit.intervals.CI_KIND` ("eti")
            Equal-tailed or highest-density interval: the same convention as forecasts and
            plots.

        Returns
        -------
        pandas.DataFrame
            One row per parameter: ``mean, sd``, the interval ends (e.g. ``eti89_lb``,
            ``eti89_ub``), ``ess_bulk, ess_tail, r_hat, mcse_mean, mcse_sd``.

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1, predictive=False)
        >>> [c for c in m.summary().columns if c.startswith("eti")]
        ['eti89_lb', 'eti89_ub']
        >>> "hdi50_lb" in m.summary(["E"], ci_prob=0.5, ci_kind="hdi").columns
        True
        """
        import arviz as az

        ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
        names = list(var_names) if var_names is not None else self._summary_vars()
        table = az.summary(self.idata, var_names=names, ci_kind=ci_kind, ci_prob=ci_prob)
        return pd.DataFrame(table)

    def diagnostics(self, var_names: Sequence[str] | None = None) -> dict[str, Any]:
        """Convergence checks: max R-hat, min bulk/tail ESS, divergences, per-parameter table.

        Parameters
        ----------
        var_names : sequence of str, optional
            Variables to check (default: every posterior variable without an observation
            dimension).

        Returns
        -------
        dict
            JSON-serialisable, with keys ``max_r_hat``, ``min_ess_bulk``, ``min_ess_tail``,
            ``divergences``, ``chains``, ``draws``, ``worst_r_hat``, ``worst_ess_bulk``,
            ``converged`` (R-hat <= :data:`RHAT_MAX`, bulk ESS >= :data:`ESS_MIN`, no
            divergences) and ``parameters`` (R-hat and ESS of each variable).

        Examples
        --------
        >>> from skillfit import datasets
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> m = ScalingLawModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1, predictive=False)
        >>> d = m.diagnostics()
        >>> d["chains"], d["draws"], "alpha" in d["parameters"]
        (2, 20, True)
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
        """Plain-words messages for each failed convergence check, saying what to do.

        Parameters
        ----------
        diagnostics : mapping, optional
            A :meth:`diagnostics` result (computed if not given).

        Returns
        -------
        list of str
            One message per failed check; empty when the fit converged.

        Examples
        --------
        >>> from skillfit.models.scaling_law import ScalingLawModel
        >>> d = {"chains": 4, "draws": 100, "divergences": 3, "max_r_hat": 1.0,
        ...      "min_ess_bulk": 900.0, "min_ess_tail": 900.0}
        >>> ScalingLawModel().warnings(d)[0][:35]
        '3 of 400 draws diverged: the sample'
        """
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
