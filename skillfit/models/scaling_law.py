r"""Bayesian Chinchilla scaling law ``L(N, D) = E + A N^-alpha + B D^-beta`` with robust noise.

**Model.** For training runs ``i`` with ``N_i`` parameters, ``D_i`` tokens and final loss ``L_i`` (nats)::

    log L_i ~ StudentT(nu, mu_i, sigma)
    mu_i    = log(E + r_N * (N_i / N_ref)^-alpha + r_D * (D_i / D_ref)^-beta)

so ``A = r_N N_ref^alpha`` and ``B = r_D D_ref^beta`` (exposed as Deterministics; the reducible
part is :func:`skillfit.scaling.reducible_expr`, evaluated on centred logs).

Parametrisation. ``A`` and ``B`` are nearly unidentifiable on their own scale: they are the
reducible terms extrapolated to N = 1 and D = 1, eight to ten orders of magnitude below the
data, so they correlate almost perfectly with the exponents (log A ≈ const + alpha log N̄). The
model therefore samples ``r_params_ref`` = A·N_ref^-alpha and ``r_tokens_ref`` = B·D_ref^-beta,
the two reducible terms **at a reference run inside the data** (defaults N_ref = 1e9 parameters,
D_ref = 2e10 tokens, near the geometric means 0.85e9 and 1.7e10 of the bundled runs), with
LogNormal priors (so NUTS works in their logs). Those are nearly uncorrelated with alpha and beta.

Likelihood. Residuals are on log loss, as in Hoffmann et al. and Epoch's Huber fit. The
bundled losses were decoded from a colour bar (99 distinct values in 245 rows: quantisation of a
few 0.1 %) and a few runs are far off the law; Epoch therefore used a Huber loss (δ = 1e-3).
The Bayesian analogue is a Student-t with **free** ``nu``: a Gaussian core for the quantisation
noise, heavy tails for the outliers, and the data — not us — decide how heavy (prior
Gamma(2, 0.1), Juárez & Steel 2010: mean 20, covering ν from about 1 to 50). Setting
``nu`` in ``model_config`` to a number fixes it instead (e.g. ``nu = 4``).

Priors (defaults; all overridable in ``model_config``):

=================  ==============================================  ==============================
name               prior                                           why
=================  ==============================================  ==============================
E                  TruncatedNormal(1.75, 0.3, lower=0)             1.6–1.9 nats on MassiveText
                                                                   (Hoffmann 1.69, Epoch 1.82);
                                                                   sd 0.3 lets the data move it
alpha, beta        TruncatedNormal(0.33, 0.1, lower=0, upper=1)    published exponents 0.25–0.40
r_params_ref,      LogNormal(log 0.35, 1)                          a few tenths of a nat at a
r_tokens_ref                                                       1B-param / 20B-token run,
                                                                   within a factor e either way
sigma              HalfNormal(0.05)                                log-loss scatter (a few %)
nu                 Gamma(2, 0.1)                                   see above
=================  ==============================================  ==============================

Data. ``exclude_epoch_outliers = True`` (default) drops the 5 rows flagged ``excluded_by_epoch``
(the 5 highest losses, all at tiny D), giving Epoch's 240-point headline sample, so the
posterior is directly comparable with their fit. The Student-t would also tolerate them; set it
to false to use all 245.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from skillfit.data import validate_chinchilla
from skillfit.errors import DataValidationError, SpecError
from skillfit.intervals import CI_KIND, CI_PROB, check_ci, median_and_interval
from skillfit.models.base import ModelBuilder
from skillfit.models.priors import make_prior
from skillfit.scaling import ChinchillaLaw, reducible_expr

__all__ = ["ScalingLawModel"]

#: The five law constants, as named in the posterior.
LAW_VARS = ("E", "A", "B", "alpha", "beta")


class _LawDraws(ChinchillaLaw):
    """:class:`ChinchillaLaw` holding arrays of posterior draws (no scalar validation).

    Lets the posterior reuse ChinchillaLaw's formulas (loss, optimal_allocation) vectorised over
    draws instead of re-deriving them.
    """

    def __post_init__(self) -> None:  # arrays: the scalar checks do not apply
        pass


class ScalingLawModel(ModelBuilder):
    """Bayesian fit of ``L(N, D) = E + A N^-alpha + B D^-beta`` to (params, tokens, loss) runs.

    See the module docstring for the model, priors and the choice of likelihood.

    Parameters
    ----------
    model_config : mapping, optional
        Overrides of :attr:`default_model_config`: the priors of ``E, alpha, beta,
        r_params_ref, r_tokens_ref, sigma, nu`` (or a number for ``nu``), the reference run
        ``ref_params``/``ref_tokens`` and ``exclude_epoch_outliers``.
    sampler_config : mapping, optional
        ``pm.sample`` settings (see :data:`skillfit.models.base.SAMPLER_KEYS`).

    Examples
    --------
    >>> from skillfit import datasets
    >>> m = ScalingLawModel(sampler_config={"draws": 50, "tune": 50, "chains": 2})
    >>> idata = m.fit(datasets.load("chinchilla"), random_seed=1)
    >>> list(m.predict(70e9, 1.4e12).columns)
    ['params', 'tokens', 'mean', 'median', 'lower', 'upper']
    >>> sorted(set(m.optimal_allocation([1e21, 1e24])["quantity"]))
    ['loss', 'params', 'tokens', 'tokens_per_param']
    """

    _model_type: ClassVar[str] = "scaling_law"
    version: ClassVar[str] = "1"
    summary_var_names: ClassVar[list[str] | None] = [
        "E", "A", "B", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma", "nu"
    ]

    @property
    def default_model_config(self) -> dict[str, Any]:
        """Default priors (see the module docstring's table) and data options."""
        return {
            "E": {"dist": "TruncatedNormal", "mu": 1.75, "sigma": 0.3, "lower": 0.0},
            "alpha": {"dist": "TruncatedNormal", "mu": 0.33, "sigma": 0.1, "lower": 0.0, "upper": 1.0},
            "beta": {"dist": "TruncatedNormal", "mu": 0.33, "sigma": 0.1, "lower": 0.0, "upper": 1.0},
            "r_params_ref": {"dist": "LogNormal", "mu": float(np.log(0.35)), "sigma": 1.0},
            "r_tokens_ref": {"dist": "LogNormal", "mu": float(np.log(0.35)), "sigma": 1.0},
            "sigma": {"dist": "HalfNormal", "sigma": 0.05},
            "nu": {"dist": "Gamma", "alpha": 2.0, "beta": 0.1},
            "ref_params": 1e9,
            "ref_tokens": 2e10,
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
        out = super()._check_model_config_value(key, value, default)
        if key in ("ref_params", "ref_tokens") and not (np.isfinite(out) and out > 0):
            raise SpecError(f"model_config {key!r} must be a positive number, got {value!r}")
        if key != "nu" and isinstance(default, dict) and not isinstance(out, dict):
            raise SpecError(f"model_config {key!r} must be a prior table, not a fixed number")
        if key == "nu" and not isinstance(out, dict) and not out > 0:
            raise SpecError(f"model_config 'nu' must be > 0 when fixed, got {value!r}")
        return out

    # ----------------------------------------------------------------- data + model
    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        if not isinstance(data, pd.DataFrame):
            raise DataValidationError(
                f"data must be a pandas DataFrame with columns params, tokens, loss; "
                f"got {type(data).__name__}"
            )
        return validate_chinchilla(data, source="data").reset_index(drop=True)

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
        cfg = self.model_config
        log_n_ref = float(np.log(cfg["ref_params"]))
        log_d_ref = float(np.log(cfg["ref_tokens"]))
        coords = {"obs": used.index.to_numpy()}
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
            pm.StudentT("log_loss_obs", nu=nu, mu=mu, sigma=sigma, observed=log_loss, dims="obs")
        self.model = model
        self._data = df
        return model

    # ----------------------------------------------------------------- posterior use
    def _draws(self, name: str) -> np.ndarray:
        return np.asarray(self.posterior[name].stack(sample=("chain", "draw")).values, float)

    def posterior_laws(self) -> dict[str, np.ndarray]:
        """Flattened posterior draws (chain-major) of E, A, B, alpha, beta, sigma and nu.

        Returns
        -------
        dict of str to numpy.ndarray
            One array of ``chains * draws`` values per name (``nu`` repeated when fixed).
        """
        out = {name: self._draws(name) for name in LAW_VARS + ("sigma",)}
        if "nu" in self.posterior:
            out["nu"] = self._draws("nu")
        else:
            out["nu"] = np.full_like(out["E"], float(self.model_config["nu"]))
        return out

    def law_draws(self, extra_dims: int = 0) -> tuple[ChinchillaLaw, dict[str, np.ndarray]]:
        """The posterior as a :class:`~skillfit.scaling.ChinchillaLaw` of arrays.

        Parameters
        ----------
        extra_dims : int, default 0
            Length-1 axes appended after the draws axis, for broadcasting against points.

        Returns
        -------
        law : ChinchillaLaw
            Its constants are arrays with the draws on axis 0.
        draws : dict of str to numpy.ndarray
            :meth:`posterior_laws`.
        """
        d = self.posterior_laws()
        shape = (-1,) + (1,) * extra_dims
        law = _LawDraws(
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
            ``"predictive"`` includes the observation noise (a new run's loss as it would be
            recorded); ``"mean"`` is the law ``L(N, D)`` itself.
        random_seed : int, optional
            Seed of the noise (default: the fit's seed), so the result is reproducible.
        ci_kind : {"eti", "hdi"}, default :data:`skillfit.intervals.CI_KIND` ("eti")
            Interval kind.

        Returns
        -------
        pandas.DataFrame
            Columns ``params, tokens, mean, median, lower, upper``, one row per point.

        Notes
        -----
        The noise uses common random numbers: one Student-t draw per posterior draw, shared by
        every point. A point's prediction therefore does not depend on which other points are
        asked for with it.

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
        if kind == "predictive":
            rng = np.random.default_rng(self._seed(random_seed))
            t = rng.standard_t(draws["nu"])[:, None]  # (S, 1): one draw shared by every point
            loss = np.exp(np.log(loss) + draws["sigma"][:, None] * t)
        median, lower, upper = median_and_interval(loss, ci_prob, axis=0, ci_kind=ci_kind)
        return pd.DataFrame(
            {"params": n, "tokens": d, "mean": loss.mean(axis=0),
             "median": median, "lower": lower, "upper": upper}
        )

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
