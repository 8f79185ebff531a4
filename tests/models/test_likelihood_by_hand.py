"""The models' log-densities written out once more by hand, term by term, with scipy.stats.

Each test builds the PyMC model on the bundled data, evaluates the log-density of every
variable (observed and prior, ``jacobian=False``) at chosen parameter values, and compares it
with the same quantity computed here from the model's *definition* (docs/model.md and the
module docstrings), not from the package's helpers: the loss model, the fine-tuning offsets'
role in ``log r``, best-of-G generations, the Beta-Binomial parametrisation and the priors.
Only the theory's competent fraction (guarded in tests/theory) is borrowed.

A test that checks the log-density is *finite* passes with the loss term's sign flipped, the
fine-tuning offsets dropped or the Beta-Binomial's shapes swapped; these do not.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytensor.tensor as pt
import pytest
from scipy import stats

from skillfit import datasets, scaling
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.models.skill_graph import SkillGraphModel
from _by_hand import guaranteed_by_hand

#: Published Epoch AI law (Besiroglu et al. 2024), the joint model's default ``law``.
EPOCH_A, EPOCH_B, EPOCH_ALPHA, EPOCH_BETA = 482.01, 2085.43, 0.3478, 0.3658

#: The reference loss at which the joint model samples c (skill_graph.C_REFERENCE_LOSS).
R_REF = 0.16

#: Values of the joint model's shared parameters at which the log-density is checked.
SHARED = {"c": 1.5, "eta": 1.3, "degree": 7.0, "floor": 0.04, "gamma": 0.75, "kappa": 35.0,
          "c_other": np.array([0.6, 4.0]), "gamma_other": np.array([0.55, 0.9]),
          "kappa_other": np.array([12.0, 80.0]),
          "per_tuple": 0.35, "gamma_logit_mu": 1.1, "gamma_logit_sigma": 0.7, "tau_spread": 0.6,
          "sigma_family": 0.25, "sigma_tune": 0.4, "partial_weight": 0.3, "kappa_fraction": 45.0,
          "logistic_intercept": 0.3, "logistic_slope_r": -2.5, "logistic_slope_k": -0.8}


def transformed_point(pm_model: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """A point for ``pm_model``'s compiled functions from values of every free variable on
    their own (untransformed) scale."""
    point = {}
    for rv in pm_model.free_RVs:
        value = np.asarray(values[rv.name], dtype=float)
        transform = pm_model.rvs_to_transforms[rv]
        if transform is not None:
            value = transform.forward(pt.as_tensor(value), *rv.owner.inputs).eval()
        point[pm_model.rvs_to_values[rv].name] = np.asarray(value, dtype=float)
    return point


def term_logps(pm_model: Any, point: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Elementwise log-density of every variable (no Jacobian) at ``point``, by name."""
    rvs = pm_model.free_RVs + pm_model.observed_RVs
    fn = pm_model.compile_fn(pm_model.logp(vars=rvs, jacobian=False, sum=False),
                             inputs=pm_model.value_vars, on_unused_input="ignore",
                             mode="FAST_COMPILE")
    return {rv.name: np.asarray(v) for rv, v in zip(rvs, fn(point), strict=True)}


# ------------------------------------------------------------------------------ joint model
def joint_values(pm_model: Any, link: str) -> dict[str, np.ndarray]:
    """Chosen values of every free variable of the joint model (offsets from a fixed seed)."""
    rng = np.random.default_rng(20240617)
    values: dict[str, np.ndarray] = {}
    for rv in pm_model.free_RVs:
        shape = tuple(int(s) for s in pm_model.initial_point()[pm_model.rvs_to_values[rv].name]
                      .shape) if rv.name != "family_offset_raw" else None
        if rv.name in SHARED:
            values[rv.name] = np.asarray(SHARED[rv.name])
        elif rv.name in ("log_c_ref", "log_c_ref_other"):  # c sampled at the reference loss
            c = SHARED["c" if rv.name == "log_c_ref" else "c_other"]
            values[rv.name] = np.asarray(np.log(c) + SHARED["eta"] * np.log(R_REF))
        elif rv.name == "family_offset_raw":
            n = len(pm_model.coords["family"])
            u = rng.normal(size=n)
            values[rv.name] = u - u.mean()
        elif rv.name in ("log_tokens_unknown_raw", "log_r_closed_raw", "tune_offset_raw",
                         "law_z", "gamma_llm_raw", "gamma_new_raw"):
            values[rv.name] = rng.normal(size=shape)
        elif rv.name == "loss_entropy":
            values[rv.name] = np.full(shape, 0.47)
        elif rv.name == "loss_scale":
            values[rv.name] = np.full(shape, 1.3)
        elif rv.name == "loss_sigma":
            values[rv.name] = np.full(shape, 0.03)
        else:  # pragma: no cover - a new variable needs a value here
            raise AssertionError(f"no chosen value for {rv.name}")
    return values


def joint_by_hand(model: SkillGraphModel, v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Every term of the joint model's log-density, from its definition (skill_graph docstring)."""
    v = {**{name: np.asarray(value) for name, value in SHARED.items()}, **v}
    x = model.inputs
    cfg = model.model_config
    has_n, has_d = np.isfinite(x.log_params), np.isfinite(x.log_tokens)
    closed, missing_d = ~has_n, has_n & ~has_d
    # 1. reducible loss of every base: Epoch's law at (N, D), unknown D latent, plus the
    #    family offset; closed models (no N) drawn around closed_log_r_mu
    log_d = x.log_tokens.copy()
    log_d[missing_d] = np.log(2e12) + 1.0 * v["log_tokens_unknown_raw"]
    n_base = np.exp(x.log_params[~closed])
    d_base = np.exp(log_d[~closed])
    log_r_base = np.empty(len(x.bases))
    if cfg["law"] == "posterior":
        # the law's reducible terms at the reference run and its exponents, mean + L z, with
        # L the Cholesky factor of the stored posterior covariance; A = r_N N_ref^alpha
        law = scaling.POSTERIOR
        lr_n, lr_d, alpha, beta = np.asarray(law.mean) + np.linalg.cholesky(law.cov) @ v["law_z"]
        big_a, big_b = np.exp(lr_n) * law.ref_params ** alpha, np.exp(lr_d) * law.ref_tokens ** beta
    else:
        big_a, big_b, alpha, beta = EPOCH_A, EPOCH_B, EPOCH_ALPHA, EPOCH_BETA
    log_r_base[~closed] = np.log(big_a * n_base ** -alpha + big_b * d_base ** -beta)
    u = v["sigma_family"] * v["family_offset_raw"]
    log_r_base[~closed] += u[x.family_of_base[~closed]]
    log_r_base[closed] = -2.3 + 0.75 * v["log_r_closed_raw"]
    r_base = np.exp(log_r_base)
    # 2. observed losses: entropy + scale * reducible loss, Normal noise, per corpus
    c_ = x.loss_corpus
    mu_loss = v["loss_entropy"][c_] + v["loss_scale"][c_] * r_base[x.loss_base]
    loss = stats.norm.logpdf(x.loss_value, mu_loss, v["loss_sigma"][c_])
    # 3. Skill-Mix LLMs: fine-tuned ones add their own offset to the base's log r
    tune = np.where(x.own_loss_llm, 0.0, v["sigma_tune"] * v["tune_offset_raw"])
    log_r = log_r_base[x.base_of_llm] + tune
    theta = 1.0 - np.exp(-v["c"] * np.exp(v["eta"] * log_r))
    # 4. link, per cell; with several benchmarks, theta of the cell's benchmark: its own c
    #    (Skill-Mix, the reference, has c; the others c_other in their order)
    bench = [BENCHMARKS.index(b) for b in np.array(x.benchmarks)[x.benchmark_of_cell()]]
    several = len(x.benchmarks) > 1
    c_cell = np.r_[v["c"], v["c_other"]][bench] if several else v["c"]
    th = 1.0 - np.exp(-c_cell * np.exp(v["eta"] * log_r[x.cell_llm]))
    k, lr = x.cell_k, log_r[x.cell_llm]
    spread = cfg["tau_spread"] if isinstance(cfg["tau_spread"], float) else v["tau_spread"]
    floor = cfg["floor"] if isinstance(cfg["floor"], float) else v["floor"]
    if model.link == "threshold":
        # spread > 0: a competence level per tuple, logit tau_t ~ Normal(logit tau, spread),
        # averaged by 16-point Gauss-Legendre (tests/_by_hand.guaranteed_by_hand)
        guaranteed = np.array([guaranteed_by_hand(t, v["degree"], cfg["tau"], kk, spread)
                               for t, kk in zip(th, k, strict=True)])
        pi = floor + (1.0 - floor) * guaranteed
    elif model.link == "independent":
        pi = (1.0 + np.log(1.0 - th) / v["degree"]) ** k
    else:
        z = (v["logistic_intercept"] + v["logistic_slope_r"] * (lr - np.log(0.2))
             + v["logistic_slope_k"] * (k - 3.0))
        pi = 1.0 / (1.0 + np.exp(-z))
    # 5. observation: full marks with chance gamma*pi, best of 3 generations (handling redrawn
    #    per generation, or with weight per_tuple fixed per tuple), Beta-Binomial
    w = cfg["per_tuple"] if isinstance(cfg["per_tuple"], float) else v["per_tuple"]
    if cfg["gamma_per_llm"]:  # logit gamma_i = mu + sigma z_i, per LLM
        gamma = 1.0 / (1.0 + np.exp(-(v["gamma_logit_mu"]
                                      + v["gamma_logit_sigma"] * v["gamma_llm_raw"])))
        gamma = gamma[x.cell_llm]
    else:
        gamma = np.r_[v["gamma"], v["gamma_other"]][bench] if several else v["gamma"]
    # best of G generations: Skill-Mix 3, the made-up benchmarks 1 and 2 (GENERATIONS)
    big_g = np.array([GENERATIONS[b] for b in np.array(BENCHMARKS)[bench]])
    p_full = ((1.0 - w) * (1.0 - (1.0 - gamma * pi) ** big_g)
              + w * pi * (1.0 - (1.0 - gamma) ** big_g))
    p_full = np.clip(p_full, 1e-6, 1 - 1e-6)
    kappa = np.r_[v["kappa"], v["kappa_other"]][bench] if several else v["kappa"]
    if cfg["all_skills"]:
        # every skill shown: the same form with gamma = 1; texts split three ways (full marks,
        # all skills only, not all skills), Dirichlet-multinomial with concentration kappa
        p_all = np.clip((1.0 - w) * (1.0 - (1.0 - pi) ** 3) + w * pi, 1e-6, 1 - 1e-6)
        f, s_all, n = x.cell_successes, x.cell_all_successes, x.cell_n
        successes = np.array([
            stats.dirichlet_multinomial.logpmf(
                [f[i], s_all[i] - f[i], n[i] - s_all[i]],
                v["kappa"] * np.array([p_full[i], max(p_all[i] - p_full[i], 1e-6),
                                       1.0 - p_all[i]]), n[i])
            for i in range(len(f))])
    else:
        a, b = p_full * kappa, (1.0 - p_full) * kappa
        successes = stats.betabinom.logpmf(x.cell_successes, x.cell_n, a, b)
    rate = None
    rated = np.array([b == "bench-b" for b in np.array(BENCHMARKS)[bench]]) if several else None
    if rated is not None and x.benchmark_half[BENCHMARKS.index("bench-b")] is not None:
        # bench-b published without trials (configuration "rates"): its cells add 0 to the
        # Beta-Binomial (0 of 0) and each rate is Beta(P kappa_b, (1 - P) kappa_b), a rate of 0
        # meaning below half the last decimal place (0.005) and 1 above 1 - 0.005
        assert (x.cell_n[rated] == 0).all() and (successes[rated] == 0).all()
        a, b, value = p_full[rated] * kappa[rated], (1 - p_full[rated]) * kappa[rated], x.cell_value[rated]
        rate = np.where(value == 0.0, stats.beta.logcdf(0.005, a, b),
                        np.where(value == 1.0, stats.beta.logsf(0.995, a, b),
                                 stats.beta.logpdf(np.clip(value, 0.005, 0.995), a, b)))
    fraction = None
    if cfg["skill_fraction"]:
        # skill points ~ BetaBinomial(n k, F kappa_f, (1 - F) kappa_f): F = (1/k) sum_j S(rho_j),
        # S the full-marks score above as a function of pi, rho_k = pi_k, and for j < k
        # rho_j = w pi_1 + (1 - w) pi_j (pi_j: the link at the cell's theta with j skills)
        def score(p: float, g: float) -> float:
            return (1.0 - w) * (1.0 - (1.0 - g * p) ** 3) + w * p * (1.0 - (1.0 - g) ** 3)

        lam = v["partial_weight"]
        g_cell = np.broadcast_to(gamma, th.shape)
        fraction = np.empty(len(th))
        for i, (t, kk) in enumerate(zip(th, k, strict=True)):
            pis = [floor + (1.0 - floor) * guaranteed_by_hand(t, v["degree"], cfg["tau"], j, spread)
                   for j in range(1, int(kk) + 1)]
            rhos = [lam * pis[0] + (1.0 - lam) * pj for pj in pis[:-1]] + [pis[-1]]
            fraction[i] = sum(score(r, g_cell[i]) for r in rhos) / kk
        fraction = np.clip(fraction, 1e-6, 1 - 1e-6)
        kf = v["kappa_fraction"]
        skill_points = stats.betabinom.logpmf(x.cell_fraction_points, x.cell_n * k.astype(int),
                                              fraction * kf, (1.0 - fraction) * kf)
    # priors (defaults of SkillGraphModel.default_model_config)
    med = np.array([np.median(x.loss_value[x.loss_corpus == c]) for c in range(len(x.corpora))])
    family = v["family_offset_raw"]
    priors = {
        "sigma_family": stats.halfnorm.logpdf(v["sigma_family"], scale=0.3),
        # a standard normal on the (n - 1)-dimensional zero-sum subspace
        "family_offset_raw": stats.norm.logpdf(family).sum() + 0.5 * np.log(2 * np.pi),
        "log_tokens_unknown_raw": stats.norm.logpdf(v["log_tokens_unknown_raw"]),
        "log_r_closed_raw": stats.norm.logpdf(v["log_r_closed_raw"]),
        "loss_entropy": stats.norm.logpdf(v["loss_entropy"], med, 0.5 * med),
        "loss_scale": stats.halfnorm.logpdf(v["loss_scale"], scale=2.0),
        "loss_sigma": stats.halfnorm.logpdf(v["loss_sigma"], scale=0.05),
        "sigma_tune": stats.halfnorm.logpdf(v["sigma_tune"], scale=0.5),
        "tune_offset_raw": stats.norm.logpdf(v["tune_offset_raw"]),
        "c": stats.lognorm.logpdf(v["c"], s=1.0, scale=np.exp(1.0)),
        # log c ~ Normal(1, 1) sampled as log c_ref = log c + eta log r_ref (a shear, Jacobian 1)
        "log_c_ref": stats.norm.logpdf(np.log(v["c"]) + v["eta"] * np.log(R_REF),
                                       1.0 + v["eta"] * np.log(R_REF), 1.0),
        # every other benchmark's c, gamma and kappa with the reference's prior
        "log_c_ref_other": stats.norm.logpdf(np.log(v["c_other"]) + v["eta"] * np.log(R_REF),
                                             1.0 + v["eta"] * np.log(R_REF), 1.0),
        "gamma_other": stats.beta.logpdf(v["gamma_other"], 8.0, 2.0),
        "kappa_other": stats.lognorm.logpdf(v["kappa_other"], s=1.0, scale=np.exp(3.5)),
        "eta": stats.lognorm.logpdf(v["eta"], s=0.3, scale=1.0),
        "law_z": stats.norm.logpdf(v["law_z"]) if "law_z" in v else 0.0,
        "gamma_logit_mu": stats.norm.logpdf(v["gamma_logit_mu"], 1.4, 1.0),
        "tau_spread": stats.halfnorm.logpdf(v["tau_spread"], scale=1.0),
        "gamma_logit_sigma": stats.halfnorm.logpdf(v["gamma_logit_sigma"], scale=1.0),
        "gamma_llm_raw": stats.norm.logpdf(v["gamma_llm_raw"]) if "gamma_llm_raw" in v else 0.0,
        "gamma_new_raw": stats.norm.logpdf(v["gamma_new_raw"]) if "gamma_new_raw" in v else 0.0,
        "degree": stats.lognorm.logpdf(v["degree"], s=0.75, scale=np.exp(2.0)),
        "floor": stats.beta.logpdf(v["floor"], 1.0, 19.0),
        "gamma": stats.beta.logpdf(v["gamma"], 8.0, 2.0),
        "per_tuple": stats.beta.logpdf(v["per_tuple"], 2.0, 2.0),
        "kappa": stats.lognorm.logpdf(v["kappa"], s=1.0, scale=np.exp(3.5)),
        "partial_weight": stats.beta.logpdf(v["partial_weight"], 1.0, 1.0),
        "kappa_fraction": stats.lognorm.logpdf(v["kappa_fraction"], s=1.0, scale=np.exp(3.5)),
        "logistic_intercept": stats.norm.logpdf(v["logistic_intercept"], 0.0, 3.0),
        "logistic_slope_r": stats.truncnorm.logpdf(v["logistic_slope_r"], -np.inf, (0 + 3.0) / 3.0,
                                                   loc=-3.0, scale=3.0),
        "logistic_slope_k": stats.norm.logpdf(v["logistic_slope_k"], -1.0, 1.5),
    }
    # deterministics kept for forecasts: the score (the clipped P), a new LLM's gamma and the
    # fitted LLMs' (per LLM), the posterior law's constants
    det = {"score": p_full}
    if several:
        det.update(c_benchmark=np.r_[v["c"], v["c_other"]],
                   gamma_benchmark=np.r_[v["gamma"], v["gamma_other"]],
                   kappa_benchmark=np.r_[v["kappa"], v["kappa_other"]],
                   theta_benchmark=1.0 - np.exp(-np.r_[v["c"], v["c_other"]][None, :]
                                                * np.exp(v["eta"] * log_r)[:, None]))
    if cfg["gamma_per_llm"]:
        det["gamma"] = 1.0 / (1.0 + np.exp(-(v["gamma_logit_mu"]
                                             + v["gamma_logit_sigma"] * v["gamma_new_raw"])))
        det["gamma_llm"] = 1.0 / (1.0 + np.exp(-(v["gamma_logit_mu"]
                                                 + v["gamma_logit_sigma"] * v["gamma_llm_raw"])))
    if cfg["law"] == "posterior":
        det.update(law_A=big_a, law_B=big_b, law_alpha=alpha, law_beta=beta)
    if fraction is not None:
        det["skill_fraction"] = fraction
    return {"loss": loss, "successes": successes, "pi": pi, "log_r": log_r, "det": det,
            **({"skill_points": skill_points} if fraction is not None else {}),
            **({"rate": rate} if rate is not None else {}), **priors}


#: The model configurations checked: each link with the defaults (the threshold link's: a
#: competence level spread across tuples, tau_spread with a prior, and no floor), the threshold
#: link with a single competence level and the floor given a prior (the default before
#: 2026-11-28), with the best-of-3 weight per_tuple given a prior (its default is a fixed 1),
#: and with the law drawn from the Chinchilla posterior instead of fixed at Epoch's fit, and
#: the all-skills counts observed beside the full marks with one gamma per LLM, without and
#: with the skill fraction's points; two made-up benchmarks beside Skill-Mix, with trials
#: ("benchmarks") and one of them published without ("rates").
JOINT_CONFIGS = {"threshold": {"link": "threshold"}, "independent": {"link": "independent"},
                 "logistic": {"link": "logistic"},
                 "floor": {"link": "threshold", "tau_spread": 0.0,
                           "floor": {"dist": "Beta", "alpha": 1.0, "beta": 19.0}},
                 "per_tuple": {"link": "threshold",
                               "per_tuple": {"dist": "Beta", "alpha": 2.0, "beta": 2.0}},
                 "law_posterior": {"link": "threshold", "law": "posterior"},
                 "all_skills": {"link": "threshold", "all_skills": True, "gamma_per_llm": True,
                                "per_tuple": {"dist": "Beta", "alpha": 2.0, "beta": 2.0}},
                 "skill_fraction": {"link": "threshold", "all_skills": True, "gamma_per_llm": True,
                                    "skill_fraction": True,
                                    "per_tuple": {"dist": "Beta", "alpha": 2.0, "beta": 2.0}},
                 "benchmarks": {"link": "threshold",
                                "per_tuple": {"dist": "Beta", "alpha": 2.0, "beta": 2.0}},
                 "rates": {"link": "threshold"}}

#: The benchmarks of the "benchmarks" configuration, in the model's order (Skill-Mix, the
#: reference, first), and the generations each keeps the best of.
BENCHMARKS = ["skillmix", "bench-a", "bench-b"]
GENERATIONS = {"skillmix": 3, "bench-a": 1, "bench-b": 2}


def made_up_benchmarks(rates: bool = False) -> Any:
    """Two made-up k-composition benchmarks (a composition table): bench-a (best of 1, 40
    items per cell) and bench-b (best of 2, 25 items), on Skill-Mix LLMs and on base models
    that have no Skill-Mix scores. ``rates``: bench-b without trials, with a 0 and a 1 among
    its rates (given to 2 decimals)."""
    import pandas as pd

    rows = []
    for name, llms, trials in (("bench-a", ["LLaMA-2-7B-Chat", "GPT-4", "Llama-2-70B"], 40),
                               ("bench-b", ["LLaMA-2-70B-Chat", "Qwen-14B", "GPT-4"], 25)):
        for i, llm in enumerate(llms):
            for k in (1, 2, 3):
                rows.append({"benchmark": name, "llm": llm, "k": k, "metric": "all_met",
                             "value": round((9 - 2 * k - i) / 10, 2), "trials": trials,
                             "generations": GENERATIONS[name]})
    table = pd.DataFrame(rows)
    if rates:
        b = table["benchmark"] == "bench-b"
        table.loc[b, "trials"] = None
        table.loc[b & (table["llm"] == "Qwen-14B") & (table["k"] == 3), "value"] = 0.0
        table.loc[b & (table["llm"] == "GPT-4") & (table["k"] == 1), "value"] = 1.0
        table.loc[b & (table["llm"] == "GPT-4") & (table["k"] == 2), "value"] = 0.63
    return table


def joint_data(name: str) -> Any:
    """The data of configuration ``name``: the bundled tables (and the made-up benchmarks)."""
    from skillfit.models.skill_graph_data import combine

    tables = [datasets.load(n) for n in ("skillmix", "llm_catalog", "llm_losses")]
    comp = (made_up_benchmarks(rates=name == "rates") if name in ("benchmarks", "rates")
            else None)
    return combine(*tables, composition=comp)


@pytest.fixture(scope="module", params=list(JOINT_CONFIGS))
def joint(request) -> tuple[SkillGraphModel, dict[str, np.ndarray], dict[str, np.ndarray]]:
    model = SkillGraphModel(JOINT_CONFIGS[request.param])
    pm_model = model.build_model(joint_data(request.param))
    values = joint_values(pm_model, request.param)
    point = transformed_point(pm_model, values)
    got = term_logps(pm_model, point)
    names = [rv.name for rv in pm_model.free_RVs]
    # the deterministics this configuration must have, by name (JOINT_CONFIGS, not the model)
    config = JOINT_CONFIGS[request.param]
    kept = ["score", *(["gamma", "gamma_llm"] if config.get("gamma_per_llm") else []),
            *(["c_benchmark", "gamma_benchmark", "kappa_benchmark", "theta_benchmark"]
              if request.param in ("benchmarks", "rates") else []),
            *(["skill_fraction"] if config.get("skill_fraction") else []),
            *(["law_A", "law_B", "law_alpha", "law_beta"] if config.get("law") == "posterior"
              else [])]
    outs = pm_model.replace_rvs_by_values([pm_model["pi"], pm_model["r"],
                                           *(pm_model[name] for name in kept),
                                           *pm_model.free_RVs])
    det = pm_model.compile_fn(outs, inputs=pm_model.value_vars,
                              on_unused_input="ignore", mode="FAST_COMPILE")(point)
    got["pi"], got["log_r"] = np.asarray(det[0]), np.log(np.asarray(det[1]))
    got["det"] = {name: np.asarray(value) for name, value in zip(kept, det[2:], strict=False)}
    # the values the model sees (the transforms round-trip to ~1e-7): the by-hand terms use these;
    # priors agree to 1e-6 (PyTensor's betaln differs from scipy's by ~5e-7 at Beta(8, 2))
    seen = {name: np.asarray(value)
            for name, value in zip(names, det[2 + len(kept):], strict=True)}
    for name in names:
        np.testing.assert_allclose(seen[name], values[name], rtol=1e-6, atol=1e-9, err_msg=name)
    return model, seen, got


def test_joint_model_sees_the_chosen_values(joint) -> None:
    """The point really sets the values (a mistake here would make every check vacuous)."""
    model, values, got = joint
    want = joint_by_hand(model, values)
    np.testing.assert_allclose(got["log_r"], want["log_r"], rtol=1e-10, atol=1e-12)
    # the fine-tuning offsets are not zero at this point (else dropping them goes unseen)
    assert np.ptp(values["tune_offset_raw"]) > 0.5 and values["sigma_tune"] > 0


def test_joint_link_pi_by_hand(joint) -> None:
    model, values, got = joint
    want = joint_by_hand(model, values)
    np.testing.assert_allclose(got["pi"], want["pi"], rtol=1e-7, atol=1e-10)


def test_joint_deterministics_by_hand(joint) -> None:
    """What forecasts and the predictive check read from a fit: the expected score P of every
    cell (clipped, with each cell's LLM's gamma), a new LLM's gamma and the fitted LLMs' (one
    gamma per LLM), the posterior law's A, B, alpha, beta (law = "posterior")."""
    model, values, got = joint
    want = joint_by_hand(model, values)["det"]
    assert set(got["det"]) == set(want)
    for name, value in want.items():
        assert got["det"][name].shape == np.shape(value), name
        np.testing.assert_allclose(got["det"][name], value, rtol=1e-9, atol=1e-12, err_msg=name)


def test_joint_skillmix_observation_by_hand(joint) -> None:
    """Successes ~ BetaBinomial(n, P kappa, (1 - P) kappa), P = 1 - (1 - gamma pi)^3."""
    model, values, got = joint
    want = joint_by_hand(model, values)
    assert got["successes"].shape == want["successes"].shape == (len(model.inputs.cell_k),)
    np.testing.assert_allclose(got["successes"], want["successes"], rtol=1e-7, atol=1e-8)


def test_joint_skill_points_observation_by_hand(joint) -> None:
    """With skill_fraction, skill points ~ BetaBinomial(n k, F kappa_f, (1 - F) kappa_f), F the
    mean over j = 1..k of the score at rho_j (rho_k = pi_k, rho_j = w pi_1 + (1 - w) pi_j);
    without it, no such term."""
    model, values, got = joint
    want = joint_by_hand(model, values)
    assert ("skill_points" in got) is ("skill_points" in want) is model.model_config["skill_fraction"]
    if "skill_points" in want:
        assert got["skill_points"].shape == (len(model.inputs.cell_k),)
        np.testing.assert_allclose(got["skill_points"], want["skill_points"], rtol=1e-7,
                                   atol=1e-8)


def test_joint_rate_observation_by_hand(joint) -> None:
    """A benchmark published without trials (configuration "rates"): each rate is Beta(P
    kappa_b, (1 - P) kappa_b), its 0 and 1 censored at the rounding; without one, no such
    term."""
    model, values, got = joint
    want = joint_by_hand(model, values)
    assert ("rate" in got) is ("rate" in want)
    if "rate" in want:
        assert got["rate"].shape == (9,) and np.isfinite(got["rate"]).all()
        np.testing.assert_allclose(got["rate"], want["rate"], rtol=1e-7, atol=1e-8)


def test_joint_loss_observation_by_hand(joint) -> None:
    """loss ~ Normal(entropy + scale * r_base, sigma) per corpus."""
    model, values, got = joint
    want = joint_by_hand(model, values)
    assert got["loss"].shape == (len(model.inputs.loss_value),)
    np.testing.assert_allclose(got["loss"], want["loss"], rtol=1e-9, atol=1e-9)


def test_joint_priors_by_hand(joint) -> None:
    model, values, got = joint
    want = joint_by_hand(model, values)
    priors = [name for name in got
              if name not in ("loss", "successes", "skill_points", "rate", "pi", "log_r",
                              "det")]
    per_llm = model.model_config["gamma_per_llm"]
    gammas = ({"gamma_logit_mu", "gamma_logit_sigma", "gamma_llm_raw", "gamma_new_raw"}
              if per_llm else {"gamma"})
    assert {"log_c_ref", "eta", "kappa", "sigma_tune", "tune_offset_raw",
            "family_offset_raw"} | gammas <= set(priors)
    assert ("gamma" in priors) is not per_llm
    for name in priors:
        np.testing.assert_allclose(np.sum(got[name]), np.sum(want[name]), rtol=1e-6, atol=1e-6,
                                   err_msg=name)


def test_observation_model_discriminates() -> None:
    """The by-hand observation model is not blind to the breakages it guards against: best of 1
    instead of 3, or swapped Beta-Binomial shapes, change the log-likelihood of a plain cell."""
    n, y, gamma, pi, kappa = 47, 35, 0.8, 0.5, 30.0
    p3 = 1 - (1 - gamma * pi) ** 3
    right = stats.betabinom.logpmf(y, n, p3 * kappa, (1 - p3) * kappa)
    assert abs(right - stats.betabinom.logpmf(y, n, gamma * pi * kappa, (1 - gamma * pi) * kappa)) > 1
    assert abs(right - stats.betabinom.logpmf(y, n, (1 - p3) * kappa, p3 * kappa)) > 1


def test_expected_score_kept_off_0_and_1() -> None:
    """The Beta-Binomial's mean P is clipped to [1e-6, 1 - 1e-6]: at pi = 1 with gamma = 1
    (logistic link far above its centre) P is 1 - 1e-6, at pi ~ 0 it is 1e-6, and the
    log-likelihood is the Beta-Binomial's at those means."""
    model = SkillGraphModel({"link": "logistic", "gamma": 1.0, "kappa": 20.0})
    pm_model = model.build_model()
    _, _, n, alpha, beta = pm_model["successes"].owner.inputs
    [alpha, beta] = pm_model.replace_rvs_by_values([alpha, beta])
    fn = pm_model.compile_fn([alpha, beta, pm_model.logp(vars=[pm_model["successes"]], sum=False)[0]],
                             inputs=pm_model.value_vars, on_unused_input="ignore",
                             mode="FAST_COMPILE")
    x = model.inputs
    for intercept, p in ((60.0, 1.0 - 1e-6), (-60.0, 1e-6)):
        point = {**pm_model.initial_point(), "logistic_intercept": np.asarray(intercept)}
        a, b, logp = fn(point)
        np.testing.assert_allclose(a, np.full(len(x.cell_k), p * 20.0), rtol=1e-12)
        np.testing.assert_allclose(b, np.full(len(x.cell_k), (1.0 - p) * 20.0), rtol=1e-9)
        want = stats.betabinom.logpmf(x.cell_successes, x.cell_n, p * 20.0, (1.0 - p) * 20.0)
        np.testing.assert_allclose(logp, want, rtol=1e-7, atol=1e-10)


def test_all_skills_shares_kept_off_0_and_1() -> None:
    """With the all-skills counts the three shares (full marks, all skills only, not all
    skills) are P, max(P_all - P, 1e-6) and 1 - P_all, both scores clipped to
    [1e-6, 1 - 1e-6]: at pi = 1 with gamma = 1 (logistic link far above its centre) they are
    1 - 1e-6, 1e-6, 1e-6 (P_all not 1, else the last share is 0), at pi ~ 0 they are 1e-6,
    1e-6, 1 - 1e-6; the Dirichlet-multinomial's concentrations are kappa times the shares."""
    model = SkillGraphModel({"link": "logistic", "gamma": 1.0, "kappa": 20.0,
                             "all_skills": True})
    pm_model = model.build_model()
    conc = pm_model["successes"].owner.inputs[3]
    [conc] = pm_model.replace_rvs_by_values([conc])
    fn = pm_model.compile_fn([conc, pm_model.logp(vars=[pm_model["successes"]], sum=False)[0]],
                             inputs=pm_model.value_vars, on_unused_input="ignore",
                             mode="FAST_COMPILE")
    x = model.inputs
    counts = np.column_stack([x.cell_successes, x.cell_all_successes - x.cell_successes,
                              x.cell_n - x.cell_all_successes])
    for intercept, shares in ((60.0, [1.0 - 1e-6, 1e-6, 1e-6]), (-60.0, [1e-6, 1e-6, 1.0 - 1e-6])):
        point = {**pm_model.initial_point(), "logistic_intercept": np.asarray(intercept)}
        a, logp = fn(point)
        np.testing.assert_allclose(a, np.tile(20.0 * np.array(shares), (len(x.cell_k), 1)),
                                   rtol=1e-9)
        want = [stats.dirichlet_multinomial.logpmf(c, 20.0 * np.array(shares), c.sum())
                for c in counts]
        np.testing.assert_allclose(logp, want, rtol=1e-7)


# ------------------------------------------------------------------------------ scaling law
LAW_VALUES = {"E": 1.8, "alpha": 0.34, "beta": 0.37, "r_params_ref": 0.42, "r_tokens_ref": 0.31,
              "sigma": 0.012, "nu": 6.5, "size_sigma": 0.004}


@pytest.fixture(scope="module")
def law_terms() -> tuple[Any, dict[str, np.ndarray], dict[str, Any]]:
    data = datasets.load("chinchilla")
    model = ScalingLawModel()
    pm_model = model.build_model(data)
    n_sizes = len(pm_model.coords["size"])
    z = np.linspace(-1.5, 1.5, n_sizes) ** 3
    values = {**LAW_VALUES, "size_z": z - z.mean()}  # a zero-sum vector
    got = term_logps(pm_model, transformed_point(pm_model, values))
    used = data[~data["excluded_by_epoch"].astype(bool)]
    return used, got, values


def test_scaling_law_likelihood_by_hand(law_terms) -> None:
    """log L_i ~ StudentT(nu, log(E + r_N (N/N_ref)^-alpha + r_D (D/D_ref)^-beta) + u_size(i),
    sigma), with N_ref, D_ref the geometric means and u = size_sigma * size_z per model size."""
    used, got, v = law_terms
    n, d = used["params"].to_numpy(float), used["tokens"].to_numpy(float)
    n_ref, d_ref = np.exp(np.mean(np.log(n))), np.exp(np.mean(np.log(d)))
    sizes = sorted({float(f"{x:.4g}") for x in n})
    assert len(sizes) == len(v["size_z"]) == 43
    offset = v["size_sigma"] * v["size_z"][[sizes.index(float(f"{x:.4g}")) for x in n]]
    mu = np.log(v["E"] + v["r_params_ref"] * (n / n_ref) ** -v["alpha"]
                + v["r_tokens_ref"] * (d / d_ref) ** -v["beta"]) + offset
    want = stats.t.logpdf(np.log(used["loss"].to_numpy(float)), df=v["nu"], loc=mu,
                          scale=v["sigma"])
    assert got["log_loss_obs"].shape == want.shape == (240,)
    np.testing.assert_allclose(got["log_loss_obs"], want, rtol=1e-9, atol=1e-9)


def test_scaling_law_priors_by_hand(law_terms) -> None:
    """The default priors, with the 'auto' ones derived from the runs by hand: E below the
    lowest loss L_min, the reducible terms around (median loss - 0.75 L_min) / 2."""
    used, got, v = law_terms
    low, mid = used["loss"].min(), used["loss"].median()
    half = (mid - 0.75 * low) / 2
    z = v["size_z"]
    want = {
        "E": stats.truncnorm.logpdf(v["E"], -3.0, 1.0, loc=0.75 * low, scale=0.25 * low),
        "alpha": stats.truncnorm.logpdf(v["alpha"], -0.33 / 0.1, 0.67 / 0.1, loc=0.33, scale=0.1),
        "beta": stats.truncnorm.logpdf(v["beta"], -0.33 / 0.1, 0.67 / 0.1, loc=0.33, scale=0.1),
        "r_params_ref": stats.lognorm.logpdf(v["r_params_ref"], s=1.0, scale=half),
        "r_tokens_ref": stats.lognorm.logpdf(v["r_tokens_ref"], s=1.0, scale=half),
        "sigma": stats.halfnorm.logpdf(v["sigma"], scale=0.05),
        "nu": stats.gamma.logpdf(v["nu"], a=2.0, scale=1 / 0.1),
        "size_sigma": stats.halfnorm.logpdf(v["size_sigma"], scale=0.02),
        # a standard normal on the (n - 1)-dimensional zero-sum subspace
        "size_z": -0.5 * np.sum(z**2) - 0.5 * (z.size - 1) * np.log(2 * np.pi),
    }
    assert set(got) == set(want) | {"log_loss_obs"}
    for name, value in want.items():
        assert float(np.sum(got[name])) == pytest.approx(value, rel=1e-6, abs=1e-6), name
