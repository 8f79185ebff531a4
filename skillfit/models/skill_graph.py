"""The joint skill-graph model: per-LLM losses + Skill-Mix scores -> k-skill competence.

Generative story (every assumption and its reason is in ``docs/model.md``):

1. **Reducible loss per model.** For each model ``j`` with a latent reducible loss (the bases
   of the Skill-Mix LLMs and every model with an observed loss):
   ``log r_j = log r_law(N_j, D_j) + u_family(j)``, with the Chinchilla law fixed at a published
   fit (default Epoch AI's) or drawn from the Bayesian law's posterior (``law = "posterior"``),
   and a per-family offset ``u`` (data quality differs across families).
   Unknown ``D`` is latent (``log D ~ Normal(log 2e12, 1)``); models with unknown ``N`` and ``D``
   (GPT-4, GPT-3.5-turbo) get ``log r ~ Normal(closed_log_r_mu, closed_log_r_sigma)``.
2. **Observed losses.** ``loss_jc ~ Normal(e_c + s_c r_j, sigma_c)`` per corpus ``c``
   (an entropy ``e_c`` and a unit scale ``s_c`` per corpus, e.g. bits/char vs nats/token).
3. **Skill-Mix LLMs.** ``log r_i = log r_base(i) + v_i`` for fine-tuned models (chat/instruct
   training changes behaviour beyond the base loss, ``v ~ Normal(0, sigma_tune)``);
   ``theta_i = 1 - exp(-c r_i^eta)``, with the exponent ``eta`` learned around the paper's 1.
4. **Link.** ``pi_ik``, the chance a random k-tuple is handled: ``threshold`` (Arora-Goyal
   competent fraction on a graph of ``degree`` skills per piece, averaged over a competence
   level that varies across tuples, ``logit tau_t ~ Normal(logit tau, tau_spread)``; a
   ``floor``, 0 by default, lifts the tuples without the guarantee),
   ``independent`` (``m^k``, ``m = 1 + ln(1 - theta)/degree``) or ``logistic`` (sigmoid in
   ``log r`` and ``k``).
5. **Observation.** A tuple is handled with probability ``pi`` (a property of the tuple) and a
   handled text earns full marks with probability ``gamma``; the best of ``G = 3`` generations
   is kept, only the grading redrawn: ``P = pi (1 - (1 - gamma)^3)`` (``per_tuple = 1``, the
   default; with weight ``1 - per_tuple`` the handling is redrawn per generation too,
   ``1 - (1 - gamma pi)^3``); successes out of ``n_k`` combinations are
   Beta-Binomial(``n_k``, ``P kappa``, ``(1 - P) kappa``). Optionally the same texts' other
   two metrics too: the all-skills counts (``all_skills``; the three outcomes of a text are
   Dirichlet-multinomial) and the skill fraction (``skill_fraction``; the skill points out of
   ``n_k k`` are Beta-Binomial around :func:`~skillfit.models.links.skill_fraction_probability`).
6. **Several benchmarks** (a ``composition`` table beside Skill-Mix): each benchmark ``b`` has
   its own ``c_b`` (``theta_ib = 1 - exp(-c_b r_i^eta)``), ``gamma_b``, ``kappa_b`` and best of
   ``G_b``; the LLMs' losses, ``eta`` and the link are shared. The first benchmark (Skill-Mix
   when fitted) keeps the names ``c``, ``gamma``, ``kappa``. A benchmark whose rates come
   without trials has them observed as ``Beta(P kappa_b, (1 - P) kappa_b)``, censored at
   their rounding (:func:`~skillfit.models.links.rate_log_likelihood`): ``kappa_b`` is then
   their estimated precision.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from skillfit import datasets, scaling
from skillfit.data import SKILLMIX_METRICS
from skillfit.errors import SpecError
from skillfit.intervals import CI_KIND, CI_PROB, check_ci, median_and_interval
from skillfit.models.base import ModelBuilder, default_nuts_sampler
from skillfit.models.links import (
    LINKS,
    SCORE_EPS,
    link_probability,
    rate_log_likelihood,
    score_probability,
    simulate_published_rates,
    simulate_rates,
    skill_fraction_probability,
)
from skillfit.models.priors import make_prior, validate_prior
from skillfit.models.skill_graph_data import (
    JointInputs,
    assemble,
    combine,
    split,
    split_composition,
)

#: Allowed range of a number fixed in ``model_config`` (instead of a prior), as
#: ``((low, open?), (high, open?), words)``: outside it the model has no valid starting point.
_INF = float("inf")
_FIXED_DOMAINS: dict[str, tuple[tuple[float, bool], tuple[float, bool], str]] = {
    **{k: ((0.0, True), (_INF, True), "> 0")
       for k in ("c", "eta", "degree", "kappa", "kappa_fraction", "loss_scale", "loss_sigma")},
    **{k: ((0.0, False), (_INF, True), ">= 0")
       for k in ("sigma_family", "sigma_tune", "closed_log_r_sigma", "unknown_tokens_log_sigma")},
    "tau": ((0.0, False), (1.0, True), "in [0, 1)"),
    "floor": ((0.0, False), (1.0, True), "in [0, 1)"),
    "gamma": ((0.0, True), (1.0, False), "in (0, 1]"),
    "per_tuple": ((0.0, False), (1.0, False), "in [0, 1]"),
    "partial_weight": ((0.0, False), (1.0, False), "in [0, 1]"),
    "tau_spread": ((0.0, False), (_INF, True), ">= 0"),
}

#: Reducible loss (nats/token) at which ``c r^eta`` is sampled (see ``build_model``): about the
#: geometric mean of the Skill-Mix LLMs' posterior losses (0.05-0.25), where the scores pin it.
C_REFERENCE_LOSS = 0.16

#: nutpie's mass-matrix adaptation for the joint model (``sampler_config`` ``nuts =
#: {adaptation = ...}`` overrides it): a diagonal plus low-rank mass matrix learned from the
#: draws and gradients, which takes in the posterior's correlated directions (c with the
#: fine-tuning offsets, the loss intercept with its scale). On the bundled data it cut the
#: leapfrog steps per draw from 56 to 23 and the default fit's wall time from 214 s to 121 s
#: (docs/model.md, "Speed of the default fit").
NUTPIE_ADAPTATION = "low_rank"

#: The scaling laws ``model_config["law"]`` may name: a published fit, fixed
#: (``skillfit.scaling.PRESETS``), or ``"posterior"``, the Bayesian fit's posterior on the
#: bundled Chinchilla runs as the law's prior (:data:`skillfit.scaling.POSTERIOR`).
LAWS: tuple[str, ...] = (*scaling.PRESETS, "posterior")

#: Parameters fixed by default (a number) that ``model_config`` may give a prior instead.
_MAY_BE_PRIORS = ("tau", "tau_spread", "floor", "per_tuple", "partial_weight")

#: The joint model's shared scalar parameters (every link's; a fit has those of its link, and
#: the ones fixed in ``model_config`` only as numbers): what ``shared_parameters()`` returns,
#: the summary reports, and cross-validation diagnoses.
SHARED_PARAMETERS: tuple[str, ...] = (
    "c", "eta", "degree", "tau", "tau_spread", "floor", "gamma", "per_tuple", "kappa",
    "partial_weight", "kappa_fraction", "sigma_family",
    "sigma_tune", "gamma_logit_mu", "gamma_logit_sigma", "logistic_intercept",
    "logistic_slope_r", "logistic_slope_k",
)

__all__ = ["LAWS", "LINKS", "NUTPIE_ADAPTATION", "SHARED_PARAMETERS", "SkillGraphModel"]


class SkillGraphModel(ModelBuilder):
    """Joint Bayesian model of LLM losses and Skill-Mix scores through the skill graph.

    Parameters
    ----------
    model_config : mapping, optional
        Overrides of :attr:`default_model_config`: ``link``, priors (plain dicts such as
        ``{"dist": "LogNormal", "mu": 0, "sigma": 1}``, or a number to fix a parameter), the
        scaling-law preset, the Skill-Mix metric and loss corpora.
    sampler_config : mapping, optional
        ``pm.sample`` settings (see :data:`skillfit.models.base.SAMPLER_KEYS`).

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> model = SkillGraphModel({"link": "independent"})
    >>> model.model_config["link"]
    'independent'
    >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
    >>> idata = model.fit(random_seed=1)
    >>> idata["posterior"]["theta"].sizes["llm"], "successes" in idata["log_likelihood"]
    (10, True)
    """

    _model_type: ClassVar[str] = "skill_graph"
    version: ClassVar[str] = "3"
    summary_var_names: ClassVar[list[str] | None] = [
        *SHARED_PARAMETERS, "theta", "r", "gamma_llm", "loss_scale", "loss_entropy",
        "loss_sigma",
    ]

    # ----------------------------------------------------------------- configuration
    @property
    def default_model_config(self) -> dict[str, Any]:
        """Default link, data choices and priors (each explained in ``docs/model.md``)."""
        return {
            "link": "threshold",
            "metric": "ratio_of_full_marks",
            "corpora": "hkust_average",
            # the benchmarks to fit (None: every one in the data, Skill-Mix first); each other
            # benchmark gets its own c, gamma and kappa (docs/model.md, "Several benchmarks")
            "benchmarks": None,
            "law": "epoch",
            # theta = 1 - exp(-c r^eta): c scales the reducible loss (nats/token) to failed text.
            "c": {"dist": "LogNormal", "mu": 1.0, "sigma": 1.0},
            # the paper says theta is about proportional to the excess loss (eta = 1); how
            # close is for the data to say: sd 0.3 on log eta puts 0.5 and 1.5 at about 2 sd.
            "eta": {"dist": "LogNormal", "mu": 0.0, "sigma": 0.3},
            # skills per text piece; the paper's k.
            "degree": {"dist": "LogNormal", "mu": 2.0, "sigma": 0.75},
            # competence level counted as "handled"; fixed by default: it trades off against
            # every theta along a ridge (docs/model.md, section 4).
            "tau": 0.5,
            # spread of logit tau across tuples (a competence level per tuple): the competent
            # fraction averaged over levels, smooth where a single level (0) has a kink; learned
            # (posterior ~0.25 on the bundled data). It replaced the floor as the default when
            # cross-validation preferred it in every scheme (docs/model.md, section 4).
            "tau_spread": {"dist": "HalfNormal", "sigma": 1.0},
            # threshold link: chance a k-tuple *without* the theorem's guarantee is handled anyway
            # (the guarantee is a lower bound; docs/model.md, "The floor"); 0 by default, where
            # tau_spread smooths the kink the floor was there to soften.
            "floor": 0.0,
            # chance a competent text earns full marks from the grader.
            "gamma": {"dist": "Beta", "alpha": 8.0, "beta": 2.0},
            # also observe ratio_of_all_skills: the full marks are the subset of the
            # all-skills texts that also meet the other demands (docs/model.md, section 5)
            "all_skills": False,
            # each LLM its own gamma (instruction following), logit-normal around a shared mean
            "gamma_per_llm": False,
            # also observe skill_fraction (the mean share of a tuple's skills shown): the one
            # metric that is not 0 for the small LLMs (docs/model.md, section 5)
            "skill_fraction": False,
            # chance of showing j < k skills: weight of pi_1 (each skill as often as alone)
            # against pi_j (one handled j-tuple among them)
            "partial_weight": {"dist": "Beta", "alpha": 1.0, "beta": 1.0},
            # Beta-Binomial concentration of the skill points (grader noise, skills of one
            # text shown together)
            "kappa_fraction": {"dist": "LogNormal", "mu": 3.5, "sigma": 1.0},
            "gamma_logit_mu": {"dist": "Normal", "mu": 1.4, "sigma": 1.0},
            "gamma_logit_sigma": {"dist": "HalfNormal", "sigma": 1.0},
            # best of 3 generations: weight of "handled is a property of the tuple, only the
            # grading is redrawn" against "handling redrawn per generation"; 1 (the tuple's
            # property) beat 0 and a learned weight in cross-validation (docs/model.md)
            "per_tuple": 1.0,
            "kappa": {"dist": "LogNormal", "mu": 3.5, "sigma": 1.0},
            "sigma_family": {"dist": "HalfNormal", "sigma": 0.3},
            "sigma_tune": {"dist": "HalfNormal", "sigma": 0.5},
            "loss_scale": {"dist": "HalfNormal", "sigma": 2.0},
            "loss_sigma": {"dist": "HalfNormal", "sigma": 0.05},
            "closed_log_r_mu": -2.3,
            "closed_log_r_sigma": 0.75,
            "unknown_tokens_log_mu": float(np.log(2e12)),
            "unknown_tokens_log_sigma": 1.0,
            # logistic link only
            "logistic_intercept": {"dist": "Normal", "mu": 0.0, "sigma": 3.0},
            # <= 0: a lower loss never makes a tuple harder, as in the theory links. Unbounded,
            # one chain in four settled in a mirror mode (slope +3.4, the fine-tuning offsets
            # carrying the ordering; R-hat 1.53) on the bundled data.
            "logistic_slope_r": {"dist": "TruncatedNormal", "mu": -3.0, "sigma": 3.0,
                                 "upper": 0.0},
            "logistic_slope_k": {"dist": "Normal", "mu": -1.0, "sigma": 1.5},
        }

    @property
    def default_sampler_config(self) -> dict[str, Any]:
        """4 chains of 1500 draws after 700 tuning steps, target_accept 0.95, nutpie."""
        return {
            # c mixes slowly (it trades off against every fine-tuning offset): 4 x 1000 draws
            # left max R-hat between 1.009 and 1.015 across runs, 4 x 1500 after 700 tuning
            # steps 1.003-1.007 with bulk ESS 750-960, in about the same time (docs/model.md).
            "draws": 1500,
            "tune": 700,
            "chains": 4,
            # With the threshold link's floor, 0.9 gave no divergences on the bundled data for
            # each of the seeds tried, 0.8 an occasional one; with the per-tuple best of 3, 0.9
            # left 1 divergent draw in 6,000 at the spec's seed and 0.95 none; with the smooth
            # link (tau_spread, no floor) 0.95 none either.
            "target_accept": 0.95,
            "nuts_sampler": default_nuts_sampler(),
        }

    def _check_model_config_value(self, key: str, value: Any, default: Any) -> Any:
        if key == "link" and value not in LINKS:
            raise SpecError(f"model_config 'link' must be one of {', '.join(LINKS)}, got {value!r}")
        if key == "law":
            if str(value).lower() not in LAWS:
                raise SpecError(
                    f"model_config 'law' must be one of {', '.join(LAWS)}, got {value!r}"
                )
            return str(value).lower()
        if key == "metric" and value not in SKILLMIX_METRICS:
            raise SpecError(
                f"model_config 'metric' must be one of {', '.join(SKILLMIX_METRICS)}, got {value!r}"
            )
        if key in _MAY_BE_PRIORS and isinstance(value, Mapping):
            return validate_prior(key, value)
        if key in ("all_skills", "gamma_per_llm", "skill_fraction"):
            if not isinstance(value, bool):
                raise SpecError(f"model_config {key!r} must be true or false, got {value!r}")
            return value
        if key == "benchmarks":
            if value is None:
                return None
            if isinstance(value, str):
                value = [value]
            if (not isinstance(value, list | tuple) or not value
                    or not all(isinstance(v, str) and v.strip() for v in value)):
                raise SpecError("model_config 'benchmarks' must be a benchmark name or a "
                                f"non-empty list of names, got {value!r}")
            return list(value)
        if key == "corpora":
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
                raise SpecError("model_config 'corpora' must be a corpus name or a list of names")
            return list(value)
        out = super()._check_model_config_value(key, value, default)
        if isinstance(out, float) and key in _FIXED_DOMAINS:
            (low, low_open), (high, high_open), words = _FIXED_DOMAINS[key]
            if (out <= low if low_open else out < low) or (out >= high if high_open else out > high):
                raise SpecError(f"model_config {key!r} must be {words}, got {value!r}")
        return out

    @property
    def link(self) -> str:
        """The link from theta to the chance a k-tuple is handled (``model_config["link"]``).

        Examples
        --------
        >>> SkillGraphModel().link
        'threshold'
        """
        return str(self.model_config["link"])

    # ----------------------------------------------------------------- data
    @staticmethod
    def bundled_data() -> pd.DataFrame:
        """The bundled Skill-Mix, catalog and loss tables, combined.

        Returns
        -------
        pandas.DataFrame
            :func:`skillfit.models.skill_graph_data.combine` of the ``skillmix``,
            ``llm_catalog`` and ``llm_losses`` datasets.

        Examples
        --------
        >>> sorted(set(SkillGraphModel.bundled_data()["table"]))
        ['catalog', 'losses', 'skillmix']
        """
        return combine(datasets.load("skillmix"), datasets.load("llm_catalog"),
                       datasets.load("llm_losses"))

    def _validate_data(self, data: pd.DataFrame) -> pd.DataFrame:
        skillmix, catalog, losses = split(data)
        cfg = self.model_config
        self._inputs = assemble(skillmix, catalog, losses, metric=cfg["metric"],
                                corpora=cfg["corpora"], all_skills=cfg["all_skills"],
                                skill_fraction=cfg["skill_fraction"],
                                composition=split_composition(data),
                                benchmarks=cfg["benchmarks"])
        if len(self._inputs.benchmarks) > 1 and cfg["gamma_per_llm"]:
            raise SpecError("model_config 'gamma_per_llm' is for one benchmark; with several "
                            f"({', '.join(self._inputs.benchmarks)}) each has its own gamma")
        return data.reset_index(drop=True)

    @property
    def inputs(self) -> JointInputs:
        """The assembled arrays of the built model (RuntimeError before it is built).

        Examples
        --------
        >>> model = SkillGraphModel()
        >>> _ = model.build_model()
        >>> len(model.inputs.llms)
        10
        """
        self._require_model()
        return self._inputs

    def fit(self, data: pd.DataFrame | None = None, random_seed: int | None = None,
            progressbar: bool | None = None, predictive: bool = True, **kwargs: Any):
        """Fit on ``data`` (default: the bundled tables, see :meth:`bundled_data`).

        Same as :meth:`skillfit.models.base.ModelBuilder.fit` (parameters, the stored
        ``log_likelihood`` and ``posterior_predictive`` groups of ``successes`` and ``loss``),
        compiled with the rewrites the theory's kernels need.

        Returns
        -------
        xarray.DataTree

        Examples
        --------
        >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> idata = model.fit(random_seed=1)
        >>> sorted(idata["posterior_predictive"].data_vars)
        ['loss', 'successes']
        """
        from skillfit.models.pytensor_face import compile_mode_for_theory

        with compile_mode_for_theory():
            return super().fit(self.bundled_data() if data is None else data,
                               random_seed=random_seed, progressbar=progressbar,
                               predictive=predictive, **kwargs)

    def _sample_kwargs(self, random_seed: Any, progressbar: bool | None,
                       overrides: Mapping[str, Any]) -> dict[str, Any]:
        from skillfit.models.pytensor_face import theory_mode

        cfg = super()._sample_kwargs(random_seed, progressbar, overrides)
        if cfg.get("nuts_sampler") == "pymc" and "compile_kwargs" not in cfg:
            cfg["compile_kwargs"] = {"mode": theory_mode()}
        if cfg.get("nuts_sampler") == "nutpie":
            cfg["nuts"] = {"adaptation": NUTPIE_ADAPTATION, **(cfg.get("nuts") or {})}
        return cfg

    # ----------------------------------------------------------------- the model
    def _param(self, name: str, **kwargs: Any) -> Any:
        spec = self.model_config[name]
        if isinstance(spec, float):
            return spec  # fixed by configuration
        return make_prior(name, spec, **kwargs)

    def build_model(self, data: pd.DataFrame | None = None) -> Any:
        """Build the PyMC model on ``data`` (default: the bundled tables).

        Parameters
        ----------
        data : pandas.DataFrame, optional
            The three tables stacked by :func:`skillfit.models.skill_graph_data.combine`.

        Returns
        -------
        pymc.Model
            Observed variables ``successes`` (dimension ``cell``; ``cell`` x ``outcome`` with
            ``all_skills``), ``loss`` (``loss_obs``) and, with ``skill_fraction``,
            ``skill_points`` (``cell``), and with a benchmark whose rates come without trials
            ``rate`` (``rate_cell``). With several benchmarks the cells are every
            benchmark's (Skill-Mix's first), and ``c_benchmark``, ``gamma_benchmark``,
            ``kappa_benchmark`` (``benchmark``) and ``theta_benchmark`` (``llm`` x
            ``benchmark``) are kept.

        Examples
        --------
        >>> model = SkillGraphModel().build_model()
        >>> sorted(v.name for v in model.observed_RVs)
        ['loss', 'successes']
        """
        import pymc as pm
        import pytensor.tensor as pt

        from skillfit.models import pytensor_face as ptf

        data = self.bundled_data() if data is None else data
        self._data = self._validate_data(data)
        x = self._inputs
        cfg = self.model_config
        coords = {"llm": x.llms, "base": x.bases, "family": x.families, "corpus": x.corpora,
                  "cell": np.arange(len(x.cell_k)), "loss_obs": np.arange(len(x.loss_value))}
        has_n = np.isfinite(x.log_params)
        has_d = np.isfinite(x.log_tokens)
        closed = ~has_n
        missing_d = has_n & ~has_d
        with pm.Model(coords=coords) as model:
            # 1. latent reducible loss of every base model
            sigma_family = self._param("sigma_family")
            # Offsets sum to zero: the *average* family follows the law. Free offsets would let
            # their mean, the loss scale and c slide along a ridge (same fit, any r scale).
            u_raw = pm.ZeroSumNormal("family_offset_raw", sigma=1.0, dims="family")
            u = pm.Deterministic("family_offset", sigma_family * u_raw, dims="family")
            log_d = pt.as_tensor_variable(np.where(has_d, x.log_tokens, 0.0))
            if missing_d.any():
                z = pm.Normal("log_tokens_unknown_raw", 0.0, 1.0, shape=int(missing_d.sum()))
                fill = cfg["unknown_tokens_log_mu"] + cfg["unknown_tokens_log_sigma"] * z
                log_d = pt.set_subtensor(log_d[np.flatnonzero(missing_d)], fill)
            log_n = np.where(has_n, x.log_params, 0.0)
            r_law = scaling.reducible_expr(log_n, log_d, *self._law_constants(), ptf.PT)
            log_r_base = pt.log(r_law) + u[x.family_of_base]
            if closed.any():
                zc = pm.Normal("log_r_closed_raw", 0.0, 1.0, shape=int(closed.sum()))
                log_r_base = pt.set_subtensor(
                    log_r_base[np.flatnonzero(closed)],
                    cfg["closed_log_r_mu"] + cfg["closed_log_r_sigma"] * zc,
                )
            r_base = pm.Deterministic("r_base", pt.exp(log_r_base), dims="base")

            # 2. observed losses
            if len(x.loss_value):
                med = np.array([np.median(x.loss_value[x.loss_corpus == c])
                                for c in range(len(x.corpora))])
                entropy = pm.Normal("loss_entropy", mu=med, sigma=0.5 * med, dims="corpus")
                scale = self._param("loss_scale", dims="corpus")
                noise = self._param("loss_sigma", dims="corpus")
                mu_loss = entropy[x.loss_corpus] + scale[x.loss_corpus] * r_base[x.loss_base]
                # observations as pm.Data so a compiled model can be refit on new values
                # (simulation-based calibration, benchmarks/sbc.py)
                loss_obs = pm.Data("loss_observed", x.loss_value, dims="loss_obs")
                pm.Normal("loss", mu=mu_loss, sigma=noise[x.loss_corpus],
                          observed=loss_obs, dims="loss_obs")

            # 3. Skill-Mix LLMs
            sigma_tune = self._param("sigma_tune")
            v_raw = pm.Normal("tune_offset_raw", 0.0, 1.0, dims="llm")
            v = pm.Deterministic("tune_offset",
                                 pt.where(x.own_loss_llm, 0.0, sigma_tune * v_raw), dims="llm")
            log_r = log_r_base[x.base_of_llm] + v
            r = pm.Deterministic("r", pt.exp(log_r), dims="llm")
            c, eta = self._scale_and_exponent()
            theta = pm.Deterministic("theta", ptf.theta_from_reducible(r, c, eta), dims="llm")

            # 4. link (theta of each cell's LLM on each cell's benchmark)
            n_bench = len(x.benchmarks)
            bench = x.benchmark_of_cell()
            if n_bench > 1:
                model.add_coord("benchmark", list(x.benchmarks))
                model.add_coord("other_benchmark", list(x.benchmarks[1:]))
                c_all = self._per_benchmark("c", c, self._other_scales(eta))
                theta_all = pm.Deterministic(
                    "theta_benchmark", ptf.theta_from_reducible(r[:, None], c_all[None, :], eta),
                    dims=("llm", "benchmark"))
                pi = self._link_expr(theta_all[x.cell_llm, bench], log_r[x.cell_llm], x.cell_k)
            elif x.cell_fraction_points is None:
                pi = self._link_expr(theta[x.cell_llm], log_r[x.cell_llm], x.cell_k)
            else:
                # pi_j of every LLM for j = 1 .. its largest k: the cells' pi and the skill
                # fractions' terms, each evaluated once (44 on the bundled data, against 34
                # cells), padded with 0 to an (LLM, j) table (the fractions never read the pads)
                pi_levels = self._pi_levels(theta, log_r)
                pi = pi_levels[x.cell_llm, x.cell_k.astype(int) - 1]
            pm.Deterministic("pi", pi, dims="cell")

            # 5. observation
            gamma = self._gamma()
            gamma_cell = gamma[x.cell_llm] if self.model_config["gamma_per_llm"] else gamma
            kappa = self._param("kappa")
            generations: Any = x.benchmark_generations[0]
            if n_bench > 1:
                gamma_cell = self._per_benchmark("gamma", gamma, self._other("gamma"))[bench]
                kappa = self._per_benchmark("kappa", kappa, self._other("kappa"))[bench]
                generations = np.asarray(x.benchmark_generations, dtype=float)[bench]
            per_tuple = self._param("per_tuple")
            p = score_probability(pi, gamma_cell, ptf.PT, generations=generations,
                                  per_tuple=per_tuple)
            p = pm.Deterministic("score", pt.clip(p, SCORE_EPS, 1.0 - SCORE_EPS), dims="cell")
            successes_obs = pm.Data("successes_observed", x.cell_successes, dims="cell")
            # trials as pm.Data too: a cell set to 0 successes of 0 trials adds exactly 0 to the
            # log-likelihood, so cross-validation (skillfit.crossval) holds cells out of one
            # compiled graph instead of rebuilding it per fold
            trials = pm.Data("trials_observed", x.cell_n, dims="cell")
            if x.cell_all_successes is None:
                pm.BetaBinomial("successes", n=trials, alpha=p * kappa, beta=(1.0 - p) * kappa,
                                observed=successes_obs, dims="cell")
            else:
                # each graded text: full marks (all skills and the other demands), all skills
                # only, or not all skills. P(all skills) is the score with gamma = 1; a
                # Dirichlet-multinomial over the three keeps the full marks' margin the
                # Beta-Binomial(n, P kappa, (1 - P) kappa) above
                model.add_coord("outcome", ["full_marks", "all_skills_only", "not_all_skills"])
                p_all = pt.clip(score_probability(pi, 1.0, ptf.PT, per_tuple=per_tuple),
                                SCORE_EPS, 1.0 - SCORE_EPS)
                all_obs = pm.Data("all_skills_observed", x.cell_all_successes, dims="cell")
                counts = pt.stack([successes_obs, all_obs - successes_obs, trials - all_obs],
                                  axis=1)
                shares = pt.stack([p, pt.maximum(p_all - p, SCORE_EPS), 1.0 - p_all], axis=1)
                pm.DirichletMultinomial("successes", n=trials, a=kappa * shares,
                                        observed=counts, dims=("cell", "outcome"))
            rated = x.rate_cells()
            if rated.size:
                self._rate_observation(model, p, kappa, rated)
            if x.cell_fraction_points is not None:
                # the skill points shown, sum of s over the n texts, out of n k: their mean
                # share is the skill fraction (docs/model.md, section 5)
                frac = skill_fraction_probability(
                    pi_levels[x.cell_llm], x.cell_k, gamma_cell,
                    self._param("partial_weight"), ptf.PT, per_tuple=per_tuple)
                frac = pm.Deterministic("skill_fraction",
                                        pt.clip(frac, SCORE_EPS, 1.0 - SCORE_EPS), dims="cell")
                kappa_f = self._param("kappa_fraction")
                points = pm.Data("fraction_observed", x.cell_fraction_points, dims="cell")
                points_n = pm.Data("fraction_trials_observed",
                                   x.cell_n * x.cell_k.astype(int), dims="cell")
                pm.BetaBinomial("skill_points", n=points_n, alpha=frac * kappa_f,
                                beta=(1.0 - frac) * kappa_f, observed=points, dims="cell")
        self.model = model
        return model

    def _rate_observation(self, model: Any, p: Any, kappa: Any, rated: np.ndarray) -> None:
        """``rate`` (dimension ``rate_cell``): the rates of benchmarks published without
        trials, ``Beta(P kappa_b, (1 - P) kappa_b)`` censored at their rounding
        (:func:`~skillfit.models.links.rate_log_likelihood`; the Beta-Binomial gets 0 of 0
        for these cells). The rates are constants of the graph, not ``pm.Data``: which of them
        are 0 or 1 decides the term each gets."""
        import pymc as pm

        from skillfit.models import pytensor_face as ptf

        x = self._inputs
        half = x.cell_half()[rated]
        values = x.cell_value[rated]
        model.add_coord("rate_cell", rated)
        kappa_rated = kappa[rated] if getattr(kappa, "ndim", 0) else kappa

        def logp(value: Any, score: Any, conc: Any, h: Any) -> Any:
            return rate_log_likelihood(values, score, conc, half, ptf.PT)

        def random(score: Any, conc: Any, h: Any, rng: Any = None, size: Any = None) -> Any:
            return simulate_published_rates(score, conc, h, rng, size)

        pm.CustomDist("rate", p[rated], kappa_rated, half, logp=logp, random=random,
                      observed=values, dims="rate_cell")

    def _gamma(self) -> Any:
        """``gamma``: one shared value, or (``gamma_per_llm``) one per LLM.

        Per LLM, ``logit gamma_i = gamma_logit_mu + gamma_logit_sigma z_i`` (non-centred); the
        deterministic ``gamma`` is then that of a *new* LLM (its own ``z``, drawn from the prior
        inside the fit), which forecasts of new LLMs use, and ``gamma_llm`` the fitted LLMs'.
        """
        import pymc as pm
        import pytensor.tensor as pt

        if not self.model_config["gamma_per_llm"]:
            return self._param("gamma")
        mu = self._param("gamma_logit_mu")
        sigma = self._param("gamma_logit_sigma")
        z = pm.Normal("gamma_llm_raw", 0.0, 1.0, dims="llm")
        z_new = pm.Normal("gamma_new_raw", 0.0, 1.0)
        pm.Deterministic("gamma", pt.sigmoid(mu + sigma * z_new))
        return pm.Deterministic("gamma_llm", pt.sigmoid(mu + sigma * z), dims="llm")

    def _law_constants(self) -> tuple[Any, Any, Any, Any]:
        """``(log A, log B, a, b)`` of the scaling law: a preset's numbers, or random variables.

        With ``law = "posterior"`` the law's reducible part is uncertain: its coordinates
        ``(log r_N, log r_D, a, b)`` (:class:`skillfit.scaling.LawPosterior`) are
        ``mean + L z`` with ``z ~ Normal(0, I)`` (non-centred; ``L`` the Cholesky factor of
        the posterior covariance), and ``law_A``, ``law_B``, ``law_alpha``, ``law_beta`` are
        kept as deterministics for forecasts.
        """
        import pymc as pm
        import pytensor.tensor as pt

        name = self.model_config["law"]
        if name != "posterior":
            law = scaling.ChinchillaLaw.preset(name)
            return float(np.log(law.A)), float(np.log(law.B)), law.a, law.b
        prior = scaling.POSTERIOR
        z = pm.Normal("law_z", 0.0, 1.0, shape=4)
        coords = np.asarray(prior.mean) + pt.dot(prior.cholesky(), z)
        log_a, log_b, a, b = prior.constants([coords[i] for i in range(4)])
        pm.Deterministic("law_A", pt.exp(log_a))
        pm.Deterministic("law_B", pt.exp(log_b))
        pm.Deterministic("law_alpha", a)
        pm.Deterministic("law_beta", b)
        return log_a, log_b, a, b

    def law(self) -> scaling.ChinchillaLaw:
        """The scaling law of the fitted model, as draws when it is uncertain.

        Returns
        -------
        skillfit.scaling.ChinchillaLaw
            The preset for a fixed law; for ``law = "posterior"`` a
            :class:`skillfit.scaling.LawDraws` of the fit's posterior draws (chain x draw
            flattened, as :meth:`shared_parameters`).

        Examples
        --------
        >>> SkillGraphModel().law().a
        0.3478
        """
        name = self.model_config["law"]
        if name != "posterior":
            return scaling.ChinchillaLaw.preset(name)
        post = self.posterior
        flat = {k: post[f"law_{k}"].values.reshape(-1) for k in ("A", "B", "alpha", "beta")}
        return scaling.LawDraws(E=np.full_like(flat["A"], scaling.POSTERIOR.E), A=flat["A"],
                                B=flat["B"], a=flat["alpha"], b=flat["beta"])

    def point_law(self) -> scaling.ChinchillaLaw:
        """One law for what needs a single number (e.g. a compute-optimal split in a warning).

        Examples
        --------
        >>> SkillGraphModel({"law": "hoffmann"}).point_law().a
        0.34
        """
        name = self.model_config["law"]
        return scaling.POSTERIOR.point() if name == "posterior" else scaling.ChinchillaLaw.preset(name)

    def _scale_and_exponent(self) -> tuple[Any, Any]:
        """``c`` and ``eta`` of ``theta = 1 - exp(-c r^eta)``.

        The scores pin ``c r^eta`` near the LLMs' losses, not ``c`` (its value at r = 1, far
        outside them): sampled as they are, log c and eta were 0.96 correlated (bulk ESS of eta
        429 in 6,000 draws). With a LogNormal prior on ``c`` and a prior on ``eta`` the sampler
        instead sees ``log c_ref = log c + eta log r_ref`` (r_ref = :data:`C_REFERENCE_LOSS`),
        with ``log c_ref | eta ~ Normal(mu + eta log r_ref, sigma)``: a shear of (log c, eta)
        with Jacobian 1, so the prior and the posterior are the same as sampling ``c``
        directly; ``c`` is kept as a deterministic.
        """
        eta = self._param("eta")
        return self._c_at_reference("c", "log_c_ref", eta, self._param), eta

    def _c_at_reference(self, name: str, ref_name: str, eta: Any, plain: Any,
                        **dims: Any) -> Any:
        """``c`` (``name``) with ``c``'s prior, sampled as ``ref_name`` = log c + eta log r_ref
        when the prior is LogNormal and ``eta`` is sampled (see :meth:`_scale_and_exponent`);
        else ``plain(name)``."""
        import pymc as pm
        import pytensor.tensor as pt

        spec_c = self.model_config["c"]
        if isinstance(spec_c, float) or isinstance(eta, float) or spec_c["dist"] != "LogNormal":
            return plain(name)
        shift = eta * float(np.log(C_REFERENCE_LOSS))
        log_c_ref = pm.Normal(ref_name, mu=spec_c["mu"] + shift, sigma=spec_c["sigma"], **dims)
        return pm.Deterministic(name, pt.exp(log_c_ref - shift), **dims)

    def _pi_levels(self, theta: Any, log_r: Any) -> Any:
        """``pi_j`` of each LLM for ``j = 1`` to its largest observed k, as an (LLM, j) table
        padded with 0."""
        import pytensor.tensor as pt

        x = self._inputs
        n_llm, top = len(x.llms), int(x.cell_k.max())
        largest = np.zeros(n_llm, dtype=int)
        np.maximum.at(largest, x.cell_llm, x.cell_k.astype(int))
        pair_llm = np.repeat(np.arange(n_llm), largest)
        pair_k = np.concatenate([np.arange(1, m + 1) for m in largest]).astype(float)
        index = np.full((n_llm, top), len(pair_llm))
        index[pair_llm, pair_k.astype(int) - 1] = np.arange(len(pair_llm))
        values = self._link_expr(theta[pair_llm], log_r[pair_llm], pair_k)
        table = pt.concatenate([values, pt.zeros((1,))])[index]
        return pt.specify_shape(table, (n_llm, top))

    def _link_expr(self, theta: Any, log_r: Any, k: np.ndarray) -> Any:
        """The link's pi at matching ``theta``, ``log r`` and ``k`` (one entry per cell)."""
        from skillfit.models import pytensor_face as ptf

        names = {"threshold": ("degree", "tau", "tau_spread", "floor"), "independent": ("degree",),
                 "logistic": ("logistic_intercept", "logistic_slope_r", "logistic_slope_k")}
        params = {name: self._param(name) for name in names[self.link]}
        return link_probability(self.link, theta, log_r, k, params, ptf.PT)

    def _other_scales(self, eta: Any) -> Any:
        """``c`` of every benchmark but the reference (dimension ``other_benchmark``), each with
        ``c``'s prior, sampled as :meth:`_scale_and_exponent` samples ``c``."""
        return self._c_at_reference("c_other", "log_c_ref_other", eta,
                                    lambda _name: self._other("c"), dims="other_benchmark")

    @staticmethod
    def _per_benchmark(name: str, reference: Any, others: Any) -> Any:
        """``{name}_benchmark`` (dimension ``benchmark``): the reference's value, then the other
        benchmarks' ``others``."""
        import pymc as pm
        import pytensor.tensor as pt

        return pm.Deterministic(f"{name}_benchmark",
                                pt.concatenate([pt.stack([pt.as_tensor(reference)]), others]),
                                dims="benchmark")

    def _other(self, name: str) -> Any:
        """``name`` (``c``, ``gamma`` or ``kappa``) of every benchmark but the reference, each
        with the reference's prior (or its fixed value): ``{name}_other``."""
        import pytensor.tensor as pt

        spec = self.model_config[name]
        n_other = len(self._inputs.benchmarks) - 1
        if isinstance(spec, float):
            return pt.as_tensor(np.full(n_other, spec))
        return make_prior(f"{name}_other", spec, dims="other_benchmark")

    # ----------------------------------------------------------------- summaries
    def shared_parameters(self) -> Mapping[str, Any]:
        """Posterior draws (chain x draw flattened) of the link's shared parameters.

        Returns
        -------
        dict of str to numpy.ndarray
            One array per parameter of the model (``c``, ``eta``, ``gamma``, ``kappa``, the link's
            parameters, ``sigma_family``, ``sigma_tune``); a parameter fixed in
            ``model_config`` is repeated.

        Examples
        --------
        >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = model.fit(random_seed=1, predictive=False)
        >>> shared = model.shared_parameters()
        >>> shared["c"].shape, float(shared["tau"][0])
        ((40,), 0.5)
        """
        post = self.posterior
        out = {}
        for name in SHARED_PARAMETERS:
            if name in post:
                out[name] = post[name].values.reshape(-1)
            elif isinstance(self.model_config.get(name), float):
                out[name] = np.full(post.sizes["chain"] * post.sizes["draw"],
                                    self.model_config[name])
        return out

    def cell_scores(self) -> np.ndarray:
        """Posterior draws of every observed cell's expected score ``P`` (full marks).

        Returns
        -------
        numpy.ndarray
            ``(draws, cell)``, chain x draw flattened: the model's ``score`` deterministic,
            ``score_probability(pi, gamma, per_tuple)`` with each cell's LLM's ``gamma``.
        """
        post = self.posterior
        return post["score"].values.reshape(-1, post.sizes["cell"])

    def held_out_data(self, held: Any) -> dict[str, np.ndarray]:
        """Values of the model's observed-cell data with the cells ``held`` set to 0 of 0.

        Such a cell adds exactly 0 to the log-likelihood, so one compiled model serves every
        cross-validation fold (``pm.set_data`` or nutpie's ``with_data``).

        Parameters
        ----------
        held : array_like of int
            Cell indices to hold out.

        Returns
        -------
        dict of str to numpy.ndarray
            ``successes_observed``, ``trials_observed`` (and ``all_skills_observed`` with
            ``all_skills``).

        Examples
        --------
        >>> model = SkillGraphModel()
        >>> _ = model.build_model()
        >>> data = model.held_out_data([0, 1])
        >>> data["trials_observed"][:3].tolist(), model.inputs.cell_n[:3].tolist()
        ([0, 0, 100], [100, 100, 100])
        """
        x = self.inputs
        out = {"successes_observed": x.cell_successes.copy(), "trials_observed": x.cell_n.copy()}
        if x.cell_all_successes is not None:
            out["all_skills_observed"] = x.cell_all_successes.copy()
        if x.cell_fraction_points is not None:
            out["fraction_observed"] = x.cell_fraction_points.copy()
            out["fraction_trials_observed"] = x.cell_n * x.cell_k.astype(int)
        idx = np.asarray(held, dtype=int)
        for values in out.values():
            values[idx] = 0
        return out

    @property
    def benchmarks(self) -> tuple[str, ...]:
        """The benchmarks of the built model, the reference first.

        Examples
        --------
        >>> model = SkillGraphModel()
        >>> _ = model.build_model()
        >>> model.benchmarks
        ('skillmix',)
        """
        return tuple(self.inputs.benchmarks)

    def benchmark_parameters(self, benchmark: str | None = None) -> dict[str, np.ndarray]:
        """:meth:`shared_parameters` with ``c``, ``gamma`` and ``kappa`` of ``benchmark``.

        Parameters
        ----------
        benchmark : str, optional
            A benchmark of the fit (default: the reference, the first of :attr:`benchmarks`).

        Returns
        -------
        dict of str to numpy.ndarray
            The shared parameters' draws, and ``generations`` (the benchmark's best-of-G,
            repeated per draw).

        Raises
        ------
        SkillfitError
            If ``benchmark`` is not one of the fit's.
        """
        from skillfit.errors import SkillfitError, did_you_mean

        names = self.benchmarks
        name = names[0] if benchmark is None else benchmark
        if name not in names:
            raise SkillfitError(f"benchmark {name!r} is not in the fit"
                                f"{did_you_mean(str(name), names)}; it has {', '.join(names)}")
        out = dict(self.shared_parameters())
        j = names.index(name)
        if len(names) > 1:
            post = self.posterior
            for key in ("c", "gamma", "kappa"):
                out[key] = post[f"{key}_benchmark"].isel(benchmark=j).values.reshape(-1)
        out["generations"] = np.full(out["c"].size, float(self.inputs.benchmark_generations[j]))
        return out

    def rate_resolution(self, benchmark: str | None = None) -> float | None:
        """Half the last decimal place of ``benchmark``'s rates (default the reference) when
        they were published without trials, else None (its rates are counts of trials).

        Examples
        --------
        >>> model = SkillGraphModel()
        >>> _ = model.build_model()
        >>> model.rate_resolution() is None
        True
        """
        names = self.benchmarks
        return self.inputs.benchmark_half[names.index(names[0] if benchmark is None
                                                      else benchmark)]

    def rates_without_trials(self, ci_prob: float = CI_PROB) -> pd.DataFrame:
        """The benchmarks whose rates were published without trials, and their precision.

        Such rates are observed as ``Beta(score kappa_b, (1 - score) kappa_b)``, censored at
        their rounding (:func:`~skillfit.models.links.rate_log_likelihood`): ``kappa_b``, which
        the fit estimates, is how closely a published rate follows the expected score.

        Parameters
        ----------
        ci_prob : float
            Mass of the equal-tailed interval of ``kappa_b``.

        Returns
        -------
        pandas.DataFrame
            One row per such benchmark: ``benchmark, half`` (a rate of 0 stands for any below
            ``half``, 1 for any above ``1 - half``), ``cells``, ``kappa_median``,
            ``kappa_lower``, ``kappa_upper``. Empty when every benchmark has trials.

        Examples
        --------
        >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = model.fit(random_seed=1, predictive=False)
        >>> len(model.rates_without_trials())
        0
        """
        ci_prob, _ = check_ci(ci_prob, "eti")
        x = self.inputs
        rows = []
        bench = x.benchmark_of_cell()
        for j, (name, half) in enumerate(zip(x.benchmarks, x.benchmark_half, strict=True)):
            if half is None:
                continue
            kappa = self.benchmark_parameters(name)["kappa"]
            med, lo, hi = median_and_interval(kappa, ci_prob)
            rows.append({"benchmark": name, "half": half, "cells": int((bench == j).sum()),
                         "kappa_median": float(med), "kappa_lower": float(lo),
                         "kappa_upper": float(hi)})
        columns = ["benchmark", "half", "cells", "kappa_median", "kappa_lower", "kappa_upper"]
        return pd.DataFrame(rows, columns=columns)

    def cell_kappa(self) -> np.ndarray:
        """Posterior draws of every observed cell's Beta-Binomial concentration: ``(S, n_cell)``
        with several benchmarks (one ``kappa`` each), else the shared ``kappa`` as ``(S, 1)``."""
        if "kappa_benchmark" in self.posterior:
            kappa = self.posterior["kappa_benchmark"].values
            kappa = kappa.reshape(-1, kappa.shape[-1])
            return kappa[:, self.inputs.benchmark_of_cell()]
        return self.shared_parameters()["kappa"][:, None]

    def llm_gamma(self, llm: str, benchmark: str | None = None) -> np.ndarray:
        """Posterior draws of ``gamma`` for the fitted LLM ``llm`` on ``benchmark`` (default the
        reference): its own with ``gamma_per_llm`` (one benchmark), else the benchmark's,
        chain x draw flattened."""
        if "gamma_llm" in self.posterior:
            return self.posterior["gamma_llm"].sel(llm=llm).values.reshape(-1)
        return self.benchmark_parameters(benchmark)["gamma"]

    def simulate_cell_rates(self, score: np.ndarray, kappa: np.ndarray,
                            rng: np.random.Generator) -> np.ndarray:
        """Rates of every observed cell drawn from the observation model, ``(S, n_cell)``.

        A cell with trials: successes out of its trials
        (:func:`~skillfit.models.links.simulate_rates`); a rate published without trials: the
        Beta draw rounded to its benchmark's decimals
        (:func:`~skillfit.models.links.simulate_published_rates`).

        Parameters
        ----------
        score : numpy.ndarray
            ``(S, n_cell)`` expected scores.
        kappa : numpy.ndarray
            ``(S, n_cell)`` or ``(S, 1)`` concentrations (:meth:`cell_kappa`).
        rng : numpy.random.Generator
            Random stream.

        Returns
        -------
        numpy.ndarray
            ``(S, n_cell)`` simulated rates.
        """
        x = self.inputs
        rated = x.rate_cells()
        if not rated.size:
            return simulate_rates(score, kappa, x.cell_n[None, :], rng)
        counted = np.setdiff1d(np.arange(len(x.cell_n)), rated)

        def part(kappa_: np.ndarray, cells: np.ndarray) -> np.ndarray:
            return kappa_[:, cells] if kappa_.shape[1] > 1 else kappa_

        sims = np.empty(score.shape)
        sims[:, counted] = simulate_rates(score[:, counted], part(kappa, counted),
                                          x.cell_n[None, counted], rng)
        sims[:, rated] = simulate_published_rates(score[:, rated], part(kappa, rated),
                                                  x.cell_half()[rated], rng)
        return sims

    # ----------------------------------------------------------------- posterior checks
    def posterior_predictive_check(self, ci_prob: float = CI_PROB, ci_kind: str = CI_KIND,
                                   random_seed: int | None = 0) -> pd.DataFrame:
        """Posterior predictive of every observed Skill-Mix cell, with its coverage.

        For each posterior draw, successes are simulated from the Beta-Binomial observation
        model; the table gives the observed rate and the predictive median and interval of
        ``successes / n`` per cell, and whether the observation is inside.

        Parameters
        ----------
        ci_prob : float, default :data:`skillfit.intervals.CI_PROB` (0.89)
            Interval mass.
        ci_kind : {"eti", "hdi"}, default :data:`skillfit.intervals.CI_KIND` ("eti")
            Interval kind.
        random_seed : int or None, default 0
            Seed of the simulated successes.

        Returns
        -------
        pandas.DataFrame
            Columns ``benchmark, llm, k, observed, published, median, lower, upper,
            expected_score, inside``; ``attrs["coverage"]`` is the fraction of cells inside, and
            ``attrs["ci_prob"]``/``attrs["ci_kind"]`` the interval used.

        Examples
        --------
        >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
        >>> _ = model.fit(random_seed=1, predictive=False)
        >>> table = model.posterior_predictive_check(ci_prob=0.5)
        >>> len(table), table.attrs["ci_prob"], table.attrs["ci_kind"]
        (34, 0.5, 'eti')
        """
        ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
        x = self.inputs
        p = self.cell_scores()
        sims = self.simulate_cell_rates(p, self.cell_kappa(), np.random.default_rng(random_seed))
        med, lo, hi = median_and_interval(sims, ci_prob, axis=0, ci_kind=ci_kind)
        observed = x.observed_rates()
        table = pd.DataFrame({
            "benchmark": np.array(x.benchmarks)[x.benchmark_of_cell()],
            "llm": np.array(x.llms)[x.cell_llm], "k": x.cell_k.astype(int),
            "observed": observed, "published": x.cell_value,
            "median": med, "lower": lo, "upper": hi,
            "expected_score": p.mean(axis=0),
        })
        table["inside"] = (table["observed"] >= table["lower"]) & (table["observed"] <= table["upper"])
        table.attrs["coverage"] = float(table["inside"].mean())
        table.attrs["ci_prob"] = ci_prob
        table.attrs["ci_kind"] = ci_kind
        return table
