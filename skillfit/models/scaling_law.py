r"""Bayesian Chinchilla scaling law ``L(N, D) = E + A N^-alpha + B D^-beta`` with robust noise.

**Model.** For training runs ``i`` with ``N_i`` parameters, ``D_i`` tokens and final loss ``L_i`` (nats)::

    log L_i ~ StudentT(nu, mu_i + u_size(i), sigma)
    mu_i    = log(E + r_N * (N_i / N_ref)^-alpha + r_D * (D_i / D_ref)^-beta)
    u_s     = size_sigma * z_s,   z ~ ZeroSumNormal(1)     (one offset per model size)

so ``A = r_N N_ref^alpha`` and ``B = r_D D_ref^beta`` (exposed as Deterministics; the reducible
part is :func:`skillfit.scaling.reducible_expr`, evaluated on centred logs). Runs of one model
size share their errors (architecture, set-up); the offsets let the posterior count sizes, not
runs, as the independent evidence. Predictions beyond the fitted compute add a calibrated
model-discrepancy term (:mod:`skillfit.extrapolation`, :meth:`ScalingLawModel.predict`).

Parametrisation. ``A`` and ``B`` are nearly unidentifiable on their own scale: they are the
reducible terms extrapolated to N = 1 and D = 1, eight to ten orders of magnitude below the
data, so they correlate almost perfectly with the exponents (log A ≈ const + alpha log N̄). The
model therefore samples ``r_params_ref`` = A·N_ref^-alpha and ``r_tokens_ref`` = B·D_ref^-beta,
the two reducible terms **at a reference run inside the data** (default ``"auto"``: the
geometric means of the runs' N and D, 8.5e8 and 1.7e10 on the bundled runs), with LogNormal
priors (so NUTS works in their logs). Those are nearly uncorrelated with alpha and beta.

Likelihood. Residuals are on log loss, as in Hoffmann et al. and Epoch's Huber fit. The
bundled losses were decoded from a colour bar (99 distinct values in 245 rows: quantisation of a
few 0.1 %) and a few runs are far off the law; Epoch therefore used a Huber loss (δ = 1e-3).
The Bayesian analogue is a Student-t with **free** ``nu``: a Gaussian core for the quantisation
noise, heavy tails for the outliers, and the data — not us — decide how heavy (prior
Gamma(2, 0.1), Juárez & Steel 2010: mean 20, covering ν from about 1 to 50). Setting
``nu`` in ``model_config`` to a number fixes it instead (e.g. ``nu = 4``).

Priors (defaults; all overridable in ``model_config``). ``"auto"`` priors take their scale from
the fitted runs (:meth:`ScalingLawModel.resolved_config`), so the defaults serve any corpus and
tokenizer; L_min is the lowest loss and L̃ the median:

=================  ==============================================  ==============================
name               prior                                           why
=================  ==============================================  ==============================
E                  ``"auto"``: TruncatedNormal(0.75 L_min,         below every run, most likely
                   0.25 L_min, lower=0, upper=L_min)               well below
alpha, beta        TruncatedNormal(0.33, 0.1, lower=0, upper=1)    published exponents 0.25–0.40
r_params_ref,      ``"auto"``: LogNormal(log(R / 2), 1),           the reducible loss at the
r_tokens_ref       R = L̃ − 0.75 L_min (≥ 5 % of L̃)                 reference run, split evenly,
                                                                   within a factor e either way
sigma              HalfNormal(0.05)                                log-loss scatter (a few %)
nu                 Gamma(2, 0.1)                                   see above
size_sigma         HalfNormal(0.02); 0 = no size offsets           per-size shifts of a few 0.1 %
discrepancy        ``"calibrate"``, or a number ≥ 0                see :mod:`skillfit.extrapolation`
=================  ==============================================  ==============================

Sampling. With nutpie the model asks for its low-rank mass-matrix adaptation: the size offsets
make a ridge with E and alpha that the diagonal adaptation crosses slowly.

Data. ``exclude_epoch_outliers = True`` (default) drops the 5 rows flagged ``excluded_by_epoch``
(the 5 highest losses, all at tiny D), giving Epoch's 240-point headline sample, so the
posterior is directly comparable with their fit. The Student-t would also tolerate them; set it
to false to use all 245.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from skillfit.data import validate_chinchilla
from skillfit.errors import DataValidationError, SpecError
from skillfit.extrapolation import calibrate_discrepancy, compute_distance
from skillfit.intervals import CI_KIND, CI_PROB, check_ci, median_and_interval
from skillfit.models.base import ModelBuilder
from skillfit.models.priors import make_prior, validate_prior
from skillfit.scaling import LawDraws, LawPosterior, reducible_expr, training_compute

__all__ = ["ScalingLawModel"]

#: The five law constants, as named in the posterior.
LAW_VARS = ("E", "A", "B", "alpha", "beta")

#: Priors whose default ``"auto"`` is derived from the fitted runs (:meth:`ScalingLawModel.resolved_config`).
_AUTO_PRIORS = ("E", "r_params_ref", "r_tokens_ref")


def size_groups(params: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Model sizes of the runs (to 4 significant digits) and each run's size index.

    Runs of one size share an architecture and a training set-up, and so their errors: the
    scaling-law model gives each size its own offset.

    Examples
    --------
    >>> sizes, idx = size_groups([1.0e9, 7e10, 1.00001e9])
    >>> sizes.tolist(), idx.tolist()
    ([1000000000.0, 70000000000.0], [0, 1, 0])
    """
    n = np.asarray(params, float).ravel()
    keys = np.array([float(f"{v:.4g}") for v in n])
    sizes, idx = np.unique(keys, return_inverse=True)
    return sizes, idx


class ScalingLawModel(ModelBuilder):
    """Bayesian fit of ``L(N, D) = E + A N^-alpha + B D^-beta`` to (params, tokens, loss) runs.

    See the module docstring for the model, priors and the choice of likelihood.

    Parameters
    ----------
    model_config : mapping, optional
        Overrides of :attr:`default_model_config`: the priors of ``E, alpha, beta,
        r_params_ref, r_tokens_ref, sigma, nu, size_sigma`` (``"auto"`` where the default is
        derived from the runs; a number for ``nu``; 0 for ``size_sigma`` to drop the size
        offsets), ``discrepancy`` (``"calibrate"`` or a number), the reference run
        ``ref_params``/``ref_tokens`` (``"auto"`` or numbers) and ``exclude_epoch_outliers``.
    sampler_config : mapping, optional
        ``pm.sample`` settings (see :data:`skillfit.models.base.SAMPLER_KEYS`).

    Examples
    --------
    >>> from skillfit import datasets
    >>> m = ScalingLawModel(sampler_config={"draws": 50, "tune": 50, "chains": 2})
    >>> idata = m.fit(datasets.load("chinchilla"), random_seed=1)
    >>> list(m.predict(70e9, 1.4e12).columns)
    ['params', 'tokens', 'median', 'lower', 'upper']
    >>> sorted(set(m.optimal_allocation([1e21, 1e24])["quantity"]))
    ['loss', 'params', 'tokens', 'tokens_per_param']
    """

    _model_type: ClassVar[str] = "scaling_law"
    version: ClassVar[str] = "2"
    summary_var_names: ClassVar[list[str] | None] = [
        "E", "A", "B", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma", "nu",
        "size_sigma",
    ]

    @property
    def default_model_config(self) -> dict[str, Any]:
        """Default priors (see the module docstring's table) and data options."""
        return {
            "E": "auto",
            "alpha": {"dist": "TruncatedNormal", "mu": 0.33, "sigma": 0.1, "lower": 0.0, "upper": 1.0},
            "beta": {"dist": "TruncatedNormal", "mu": 0.33, "sigma": 0.1, "lower": 0.0, "upper": 1.0},
            "r_params_ref": "auto",
            "r_tokens_ref": "auto",
            "sigma": {"dist": "HalfNormal", "sigma": 0.05},
            "nu": {"dist": "Gamma", "alpha": 2.0, "beta": 0.1},
            "size_sigma": {"dist": "HalfNormal", "sigma": 0.02},
            "discrepancy": "calibrate",
            "ref_params": "auto",
            "ref_tokens": "auto",
            "exclude_epoch_outliers": True,
        }

    @property
    def default_sampler_config(self) -> dict[str, Any]:
        """4 chains of 1000 draws after 1000 tuning steps, target_accept 0.9, nutpie."""
        return {
            "draws": 1000,
            "tune": 1000,
            "chains": 4,
            "cores": 2,
            "target_accept": 0.9,
            "nuts_sampler": None,  # nutpie if installed, else pymc
            "progressbar": False,
        }

    def _check_model_config_value(self, key: str, value: Any, default: Any) -> Any:
        if default == "auto" and key in _AUTO_PRIORS:
            if isinstance(value, str) and value == "auto":
                return value
            if not isinstance(value, Mapping):
                raise SpecError(f"model_config {key!r} must be a prior table or 'auto', "
                                f"got {value!r}")
            return validate_prior(key, value)
        if key in ("ref_params", "ref_tokens"):
            if isinstance(value, str) and value == "auto":
                return value
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    np.isfinite(value) and value > 0):
                raise SpecError(f"model_config {key!r} must be a positive number or 'auto', "
                                f"got {value!r}")
            return float(value)
        if key == "discrepancy":
            if isinstance(value, str) and value == "calibrate":
                return value
            if isinstance(value, bool) or not isinstance(value, int | float) or not (
                    np.isfinite(value) and value >= 0):
                raise SpecError("model_config 'discrepancy' must be 'calibrate' or a number "
                                f">= 0 (log loss per e-fold of compute), got {value!r}")
            return float(value)
        out = super()._check_model_config_value(key, value, default)
        if key not in ("nu", "size_sigma") and isinstance(default, dict) and not isinstance(out, dict):
            raise SpecError(f"model_config {key!r} must be a prior table, not a fixed number")
        if key == "nu" and not isinstance(out, dict) and not out > 0:
            raise SpecError(f"model_config 'nu' must be > 0 when fixed, got {value!r}")
        if key == "size_sigma" and not isinstance(out, dict) and out != 0:
            raise SpecError("model_config 'size_sigma' must be a prior table or 0 (no size "
                            f"effects), got {value!r}")
        return out

    # ----------------------------------------------------------------- data + model
    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise DataValidationError(
                f"data must be a pandas DataFrame with columns params, tokens, loss; "
                f"got {type(data).__name__}"
            )
        return validate_chinchilla(data, source="data").reset_index(drop=True)

    def rows_used(self, data: pd.DataFrame | None = None) -> pd.DataFrame:
        """The runs a fit on ``data`` uses (default: the fitted data).

        ``data`` validated as :meth:`fit` does, without the runs Epoch AI excluded when
        ``exclude_epoch_outliers`` is set (the default); the index is that of the validated
        table, 0 to n - 1 in the order given.

        Raises
        ------
        DataValidationError
            If ``data`` is invalid or fewer than 6 runs are left.

        Examples
        --------
        >>> from skillfit import datasets
        >>> runs = datasets.load("chinchilla")
        >>> len(runs), len(ScalingLawModel().rows_used(runs))  # 5 excluded by Epoch AI
        (245, 240)
        >>> len(ScalingLawModel(model_config={"exclude_epoch_outliers": False}).rows_used(runs))
        245
        """
        df = self.fit_data if data is None else self._validate_data(data)
        return self._rows_used(df)

    def _rows_used(self, df: pd.DataFrame) -> pd.DataFrame:
        if self.model_config["exclude_epoch_outliers"] and "excluded_by_epoch" in df:
            df = df[~df["excluded_by_epoch"].astype(bool)]
        if len(df) < 6:
            raise DataValidationError(
                f"data: need at least 6 runs to fit 7 parameters with priors sensibly, got {len(df)}"
            )
        return df

    def build_model(self, data: pd.DataFrame) -> Any:
        """Build the PyMC model on ``data`` (validated; see the module docstring).

        Parameters
        ----------
        data : pandas.DataFrame
            Training runs with columns ``params``, ``tokens``, ``loss`` (optional
            ``excluded_by_epoch``), checked by :func:`skillfit.data.validate_chinchilla`.

        Returns
        -------
        pymc.Model
            Observed variable ``log_loss_obs`` on dimension ``obs``.

        Examples
        --------
        >>> from skillfit import datasets
        >>> model = ScalingLawModel().build_model(datasets.load("chinchilla"))
        >>> len(model.coords["obs"]), model.observed_RVs[0].name
        (240, 'log_loss_obs')
        """
        import pymc as pm

        from skillfit.models.pytensor_face import PT

        df = self._validate_data(data)
        used = self._rows_used(df)
        cfg = self.resolved_config(used)
        log_n_ref = float(np.log(cfg["ref_params"]))
        log_d_ref = float(np.log(cfg["ref_tokens"]))
        sizes, size_idx = size_groups(used["params"])
        coords = {"obs": used.index.to_numpy(), "size": sizes}
        with pm.Model(coords=coords) as model:
            log_n = pm.Data("log_params", np.log(used["params"].to_numpy()), dims="obs")
            log_d = pm.Data("log_tokens", np.log(used["tokens"].to_numpy()), dims="obs")
            log_loss = pm.Data("log_loss", np.log(used["loss"].to_numpy()), dims="obs")
            E = make_prior("E", cfg["E"])
            alpha = make_prior("alpha", cfg["alpha"])
            beta = make_prior("beta", cfg["beta"])
            r_n = make_prior("r_params_ref", cfg["r_params_ref"])
            r_d = make_prior("r_tokens_ref", cfg["r_tokens_ref"])
            sigma = make_prior("sigma", cfg["sigma"])
            nu = make_prior("nu", cfg["nu"]) if isinstance(cfg["nu"], dict) else cfg["nu"]
            pm.Deterministic("A", r_n * pm.math.exp(alpha * log_n_ref))
            pm.Deterministic("B", r_d * pm.math.exp(beta * log_d_ref))
            reducible = reducible_expr(
                log_n - log_n_ref, log_d - log_d_ref, pm.math.log(r_n), pm.math.log(r_d),
                alpha, beta, PT,
            )
            mu = pm.math.log(E + reducible)
            if isinstance(cfg["size_sigma"], dict):  # one offset per model size, non-centred
                size_sigma = make_prior("size_sigma", cfg["size_sigma"])
                # Zero-sum: the offsets' mean would only trade off against E (level ridge).
                size_z = pm.ZeroSumNormal("size_z", sigma=1.0, dims="size")
                offset = pm.Deterministic("size_offset", size_sigma * size_z, dims="size")
                mu = mu + offset[size_idx]
            pm.StudentT("log_loss_obs", nu=nu, mu=mu, sigma=sigma, observed=log_loss, dims="obs")
        self.model = model
        self._data = df
        return model

    def resolved_config(self, used: pd.DataFrame | None = None) -> dict[str, Any]:
        """``model_config`` with every ``"auto"`` entry made concrete from the fitted runs.

        * ``ref_params``, ``ref_tokens``: the geometric means of the runs' N and D.
        * ``E``: TruncatedNormal(0.75 L_min, 0.25 L_min, lower 0, upper L_min), with L_min the
          lowest loss: the irreducible loss lies below every run, most likely well below.
        * ``r_params_ref``, ``r_tokens_ref``: LogNormal(log(R/2), 1) with R = median loss −
          0.75 L_min (at least 5 % of the median loss), the reducible loss expected at the
          reference run, split evenly between the two terms; within a factor e either way.

        Parameters
        ----------
        used : pandas.DataFrame, optional
            The runs the model is fitted to (default: those of the fitted data).

        Returns
        -------
        dict
            A copy of ``model_config`` with priors and reference values only.

        Examples
        --------
        >>> from skillfit import datasets
        >>> cfg = ScalingLawModel().resolved_config(datasets.load("chinchilla"))
        >>> cfg["E"]["dist"], round(cfg["E"]["upper"], 3), f"{cfg['ref_params']:.2g}"
        ('TruncatedNormal', 2.077, '8.5e+08')
        """
        if used is None:
            used = self._rows_used(self.fit_data)
        elif self.model_config["exclude_epoch_outliers"] and "excluded_by_epoch" in used:
            used = self._rows_used(used)
        cfg = dict(self.model_config)
        loss = used["loss"].to_numpy(float)
        low, mid = float(loss.min()), float(np.median(loss))
        if cfg["ref_params"] == "auto":
            cfg["ref_params"] = float(np.exp(np.log(used["params"].to_numpy(float)).mean()))
        if cfg["ref_tokens"] == "auto":
            cfg["ref_tokens"] = float(np.exp(np.log(used["tokens"].to_numpy(float)).mean()))
        if cfg["E"] == "auto":
            cfg["E"] = {"dist": "TruncatedNormal", "mu": 0.75 * low, "sigma": 0.25 * low,
                        "lower": 0.0, "upper": low}
        reducible = max(mid - 0.75 * low, 0.05 * mid)
        for key in ("r_params_ref", "r_tokens_ref"):
            if cfg[key] == "auto":
                cfg[key] = {"dist": "LogNormal", "mu": float(np.log(reducible / 2.0)),
                            "sigma": 1.0}
        return cfg

    @property
    def max_compute(self) -> float:
        """The largest training compute ``6ND`` among the fitted runs (FLOP)."""
        used = self._rows_used(self.fit_data)
        return float(np.max(training_compute(used["params"], used["tokens"])))

    @property
    def discrepancy_scale(self) -> float:
        """``kappa``: the extrapolation discrepancy's scale, log loss per e-fold of compute.

        ``model_config["discrepancy"]`` if it is a number; otherwise calibrated once on the
        fitted runs by :func:`skillfit.extrapolation.calibrate_discrepancy` and kept in the
        fit's attribute ``discrepancy_scale`` (so a saved run keeps it).
        """
        setting = self.model_config["discrepancy"]
        if setting != "calibrate":
            return float(setting)
        attrs = self.idata.attrs
        if "discrepancy_scale" not in attrs:
            used = self._rows_used(self.fit_data)
            attrs["discrepancy_scale"] = calibrate_discrepancy(
                used["params"], used["tokens"], used["loss"])
        return float(attrs["discrepancy_scale"])

    def fit(self, data: pd.DataFrame, random_seed: int | None = None,
            progressbar: bool | None = None, predictive: bool = True, **kwargs: Any) -> Any:
        """Fit as :meth:`ModelBuilder.fit <skillfit.models.base.ModelBuilder.fit>`, then
        calibrate :attr:`discrepancy_scale` (kept with the run)."""
        idata = super().fit(data, random_seed=random_seed, progressbar=progressbar,
                            predictive=predictive, **kwargs)
        _ = self.discrepancy_scale
        return idata

    def _sample_kwargs(self, random_seed: Any, progressbar: bool | None,
                       overrides: Mapping[str, Any]) -> dict[str, Any]:
        cfg = super()._sample_kwargs(random_seed, progressbar, overrides)
        if cfg.get("nuts_sampler") == "nutpie":
            # The size offsets trade off against E and alpha (a ridge the diagonal mass matrix
            # crosses slowly: R-hat 1.05, bulk ESS 63); nutpie's low-rank adaptation follows it.
            cfg["nuts"] = {"adaptation": "low_rank", **dict(cfg.get("nuts") or {})}
        return cfg

    # ----------------------------------------------------------------- posterior use
    def _draws(self, name: str) -> np.ndarray:
        return np.asarray(self.posterior[name].stack(sample=("chain", "draw")).values, float)

    def posterior_laws(self) -> dict[str, np.ndarray]:
        """Flattened posterior draws (chain-major) of E, A, B, alpha, beta, sigma, size_sigma, nu.

        Returns
        -------
        dict of str to numpy.ndarray
            One array of ``chains * draws`` values per name (``nu`` repeated when fixed,
            ``size_sigma`` zeros without size offsets).
        """
        out = {name: self._draws(name) for name in LAW_VARS + ("sigma",)}
        out["size_sigma"] = (self._draws("size_sigma") if "size_sigma" in self.posterior
                             else np.zeros_like(out["E"]))
        if "nu" in self.posterior:
            out["nu"] = self._draws("nu")
        else:
            out["nu"] = np.full_like(out["E"], float(self.model_config["nu"]))
        return out

    def law_posterior(self) -> LawPosterior:
        """A normal summary of the posterior of the law's reducible part.

        Mean and covariance of ``(log r_params_ref, log r_tokens_ref, alpha, beta)`` over the
        draws, with the fit's reference run: what the joint model's ``law = "posterior"``
        takes as its prior for the law (:data:`skillfit.scaling.POSTERIOR` is this, for the
        bundled runs).

        Returns
        -------
        skillfit.scaling.LawPosterior
        """
        cfg = self.resolved_config()
        coords = np.vstack([np.log(self._draws("r_params_ref")),
                            np.log(self._draws("r_tokens_ref")),
                            self._draws("alpha"), self._draws("beta")])
        cov = np.cov(coords)
        return LawPosterior(
            ref_params=float(cfg["ref_params"]), ref_tokens=float(cfg["ref_tokens"]),
            mean=tuple(float(v) for v in coords.mean(axis=1)),
            cov=tuple(tuple(float(v) for v in row) for row in cov),
            E=float(np.median(self._draws("E"))),
        )

    def law_draws(self, extra_dims: int = 0) -> tuple[LawDraws, dict[str, np.ndarray]]:
        """The posterior as a :class:`~skillfit.scaling.ChinchillaLaw` of arrays.

        Parameters
        ----------
        extra_dims : int, default 0
            Length-1 axes appended after the draws axis, for broadcasting against points.

        Returns
        -------
        law : skillfit.scaling.LawDraws
            Its constants are arrays with the draws on axis 0.
        draws : dict of str to numpy.ndarray
            :meth:`posterior_laws`.
        """
        d = self.posterior_laws()
        shape = (-1,) + (1,) * extra_dims
        law = LawDraws(
            E=d["E"].reshape(shape), A=d["A"].reshape(shape), B=d["B"].reshape(shape),
            a=d["alpha"].reshape(shape), b=d["beta"].reshape(shape),
        )
        return law, d

    def _seed(self, random_seed: int | None) -> int:
        if random_seed is not None:
            return random_seed
        return int(self.idata.attrs.get("random_seed", 0))

    def predict(
        self,
        params: ArrayLike,
        tokens: ArrayLike,
        ci_prob: float = CI_PROB,
        kind: Literal["predictive", "mean"] = "predictive",
        random_seed: int | None = None,
        ci_kind: str = CI_KIND,
    ) -> pd.DataFrame:
        """Posterior prediction of the loss of runs with ``params`` and ``tokens`` (broadcast).

        Parameters
        ----------
        params, tokens : array_like
            Parameters N and training tokens D of the runs (positive; broadcast together).
        ci_prob : float, default :data:`skillfit.intervals.CI_PROB` (0.89)
            Interval mass.
        kind : {"predictive", "mean"}, default "predictive"
            ``"predictive"``: the loss a new run of a new model size would record, i.e. the
            law plus the Student-t noise, a new size offset and, beyond the fitted compute,
            the extrapolation discrepancy (see Notes). ``"mean"``: the law ``L(N, D)`` itself.
        random_seed : int, optional
            Seed of the noise (default: the fit's seed), so the result is reproducible.
        ci_kind : {"eti", "hdi"}, default :data:`skillfit.intervals.CI_KIND` ("eti")
            Interval kind.

        Returns
        -------
        pandas.DataFrame
            One row per point. ``kind="predictive"``: columns ``params, tokens, median, lower,
            upper``; the median is the point forecast. There is no ``mean`` column: the
            predictive's Student-t noise on log loss makes the mean of the loss infinite.
            ``kind="mean"``: also ``mean``, the posterior mean of the law.

        Notes
        -----
        The predictive log loss is ``log L_law(N, D) + e + u + delta`` with noise
        ``e ~ StudentT(nu, 0, sigma)``, a new size offset ``u ~ Normal(0, size_sigma)`` and the
        discrepancy ``delta ~ Normal(0, kappa * d)`` at ``d`` e-folds of compute beyond the
        fitted runs (:mod:`skillfit.extrapolation`; ``d = 0`` inside them). Each uses common
        random numbers: one draw per posterior draw, shared by every point, so a point's
        prediction does not depend on which other points are asked for with it. Medians and
        intervals are computed on log loss and exponentiated (the same as on the loss scale
        for the median and equal-tailed intervals, and never overflowing).

        Examples
        --------
        >>> from skillfit import datasets
        >>> m = ScalingLawModel(sampler_config={"draws": 50, "tune": 50, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1, predictive=False)
        >>> both = m.predict([1e9, 7e10], [2e10, 1.4e12])
        >>> both.iloc[[1]].reset_index(drop=True).equals(m.predict(7e10, 1.4e12))
        True
        """
        if kind not in ("predictive", "mean"):
            raise ValueError(f"kind must be 'predictive' or 'mean', got {kind!r}")
        ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
        n, d = np.broadcast_arrays(np.atleast_1d(np.asarray(params, float)),
                                   np.atleast_1d(np.asarray(tokens, float)))
        n, d = n.ravel(), d.ravel()
        if np.any(~np.isfinite(n) | (n <= 0)) or np.any(~np.isfinite(d) | (d <= 0)):
            raise DataValidationError("predict: params and tokens must be positive finite numbers")
        law, draws = self.law_draws(1)
        loss = np.asarray(law.loss(n[None, :], d[None, :]))  # (S, K)
        if kind == "mean":
            median, lower, upper = median_and_interval(loss, ci_prob, axis=0, ci_kind=ci_kind)
            return pd.DataFrame({"params": n, "tokens": d, "mean": loss.mean(axis=0),
                                 "median": median, "lower": lower, "upper": upper})
        rng = np.random.default_rng(self._seed(random_seed))
        size = draws["E"].size
        # One draw of each error per posterior draw, shared by every point (see Notes).
        noise = draws["sigma"] * rng.standard_t(draws["nu"], size=size)
        offset = draws["size_sigma"] * rng.standard_normal(size)
        excess = rng.standard_normal(size)
        distance = compute_distance(n, d, self.max_compute)
        log_loss = (np.log(loss) + (noise + offset)[:, None]
                    + self.discrepancy_scale * distance[None, :] * excess[:, None])
        median, lower, upper = median_and_interval(log_loss, ci_prob, axis=0, ci_kind=ci_kind)
        return pd.DataFrame({"params": n, "tokens": d, "median": np.exp(median),
                             "lower": np.exp(lower), "upper": np.exp(upper)})

    def optimal_allocation(self, compute: ArrayLike, ci_prob: float = CI_PROB,
                           ci_kind: str = CI_KIND) -> pd.DataFrame:
        """Posterior of the compute-optimal split for budgets ``compute`` (FLOP, C = 6ND).

        Uses :meth:`~skillfit.scaling.ChinchillaLaw.optimal_allocation` vectorised over draws.

        Parameters
        ----------
        compute : array_like
            Training budgets in FLOP (positive).
        ci_prob : float, default :data:`skillfit.intervals.CI_PROB` (0.89)
            Interval mass.
        ci_kind : {"eti", "hdi"}, default :data:`skillfit.intervals.CI_KIND` ("eti")
            Interval kind.

        Returns
        -------
        pandas.DataFrame
            One row per (compute, quantity) with ``quantity`` in ``params`` (N_opt),
            ``tokens`` (D_opt), ``tokens_per_param`` (D_opt/N_opt) and ``loss`` (L at the
            optimum), and columns ``mean, median, lower, upper``.

        Examples
        --------
        >>> from skillfit import datasets
        >>> m = ScalingLawModel(sampler_config={"draws": 50, "tune": 50, "chains": 2})
        >>> _ = m.fit(datasets.load("chinchilla"), random_seed=1, predictive=False)
        >>> table = m.optimal_allocation([1e21, 1e24])
        >>> len(table), list(table.columns)
        (8, ['compute', 'quantity', 'mean', 'median', 'lower', 'upper'])
        """
        ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
        c = np.atleast_1d(np.asarray(compute, float)).ravel()
        if np.any(~np.isfinite(c) | (c <= 0)):
            raise DataValidationError("optimal_allocation: compute must be positive finite FLOP")
        law, _ = self.law_draws(1)
        n_opt, d_opt = law.optimal_allocation(c[None, :])
        quantities = {
            "params": np.asarray(n_opt),
            "tokens": np.asarray(d_opt),
            "tokens_per_param": np.asarray(d_opt) / np.asarray(n_opt),
            "loss": np.asarray(law.loss(n_opt, d_opt)),
        }
        rows = []
        for name, arr in quantities.items():
            median, lower, upper = median_and_interval(arr, ci_prob, axis=0, ci_kind=ci_kind)
            mean = arr.mean(axis=0)
            for j, cj in enumerate(c):
                rows.append({"compute": cj, "quantity": name, "mean": mean[j],
                             "median": median[j], "lower": lower[j], "upper": upper[j]})
        return pd.DataFrame(rows)
