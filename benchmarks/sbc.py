"""Simulation-based calibration (Talts et al. 2018) of the scaling-law and joint models.

Run: .venv/bin/python benchmarks/sbc.py [--model scaling|joint] [--reps 100] [--draws 400]
     [--workers 2]

For each replication: draw parameters from the prior and a data set from the prior predictive
at the bundled design, fit the model to it, and record the rank of the true value among thinned
posterior draws. If the inference is calibrated the ranks are uniform; a chi-square test on
``BINS`` bins gives one p-value per parameter.

- ``scaling``: ``ScalingLawModel`` at the 240 Chinchilla (N, D) points, PyMC's NUTS, refit
  through ``pm.set_data``.
- ``joint``: a ``SkillGraphModel`` spec (``--spec``, default the bundled ``skillmix``) at
  the spec's design (the 34 Skill-Mix cells with their numbers of combinations, the 28
  observed losses, the catalogue's N and D): simulated successes and losses (and the
  all-skills counts and skill points when the spec observes them), refit with nutpie
  on the model compiled once per worker (``compiled.with_data``), 2 chains at the spec's
  ``target_accept`` and the model's mass-matrix adaptation (``--adaptation``). Ranked: every shared parameter the spec samples (``c``, ``eta``,
  ``degree``, ``gamma``, ``kappa``, ``sigma_family``, ``sigma_tune``, and ``floor``,
  ``tau_spread``, ... when they have a prior), ``theta`` of GPT-4 and LLaMA-2-70B-Chat, and
  the forecast ``pi`` at k = 4 for GPT-4 with 10x its compute (``pi4[GPT-4 x10]``, computed
  from the true parameters and from each posterior draw by the package's own forecast code).
  Its divergences per replication are reported too.

Replications are tasks of :class:`skillfit.runner.Runner`: a local Dask cluster of
``--workers`` single-threaded processes, or an existing cluster with ``--scheduler ADDRESS``
(one chain at a time per task; a killed worker's replication is retried). Each worker compiles
the model once (module-level cache) and refits it with new data; every replication carries its
own seed, so the ranks do not depend on where it ran.
"""

from __future__ import annotations

import argparse
import time
from functools import partial

import numpy as np
from scipy import stats

PARAMS = ("E", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma", "nu")
THETA_LLMS = ("GPT-4", "LLaMA-2-70B-Chat")
FORECAST = {"name": "GPT-4 x10", "of": "GPT-4", "factor": 10.0}
FORECAST_K = 4.0
BINS = 10
THIN_TO = 99  # posterior draws kept per replication: ranks fall in 0..99

_MODEL = None
_JOINT = None


def _model():
    global _MODEL
    if _MODEL is None:
        from skillfit import datasets
        from skillfit.models.scaling_law import ScalingLawModel

        m = ScalingLawModel(sampler_config={"nuts_sampler": "pymc"})
        m.build_model(datasets.load("chinchilla"))
        _MODEL = m.model
    return _MODEL


def replicate(seed: int, draws: int = 400) -> dict[str, int]:
    """Rank of each true parameter among ``THIN_TO`` posterior draws for one simulated data set."""
    import pymc as pm

    model = _model()
    with model:
        prior = pm.sample_prior_predictive(draws=1, random_seed=seed)
    truth = {p: float(prior["prior"][p].values.ravel()[0]) for p in PARAMS}
    y = prior["prior_predictive"]["log_loss_obs"].values.reshape(-1)
    with model:
        pm.set_data({"log_loss": y})
        idata = pm.sample(draws=draws, tune=500, chains=2, random_seed=seed, progressbar=False,
                          quiet=True, compute_convergence_checks=False, target_accept=0.9)
    ranks = {}
    for p in PARAMS:
        post = idata["posterior"][p].values.reshape(-1)
        keep = post[np.linspace(0, post.size - 1, THIN_TO).astype(int)]
        ranks[p] = int(np.sum(keep < truth[p]))
    return ranks


def _build(spec: str):
    """The spec's model built on its data, the shared parameters it samples and its
    ``target_accept``."""
    from skillfit.models.pytensor_face import compile_mode_for_theory
    from skillfit.models.skill_graph import SHARED_PARAMETERS
    from skillfit.specs import load_spec

    loaded = load_spec(spec)
    m = loaded.make_model()
    with compile_mode_for_theory():
        model = m.build_model(loaded.load_data())
    # shared scalars that are random (sampled, or a transform of what is, as c of log_c_ref);
    # fixed ones are plain numbers in the config
    random = {v.name for v in model.free_RVs} | {d.name for d in model.deterministics}
    params = [p for p in SHARED_PARAMETERS
              if p in random and model.named_vars[p].ndim == 0]
    return m, model, params, float(loaded.sampler_config.get("target_accept", 0.9))


def _joint(spec: str):
    """:func:`_build`, compiled with nutpie once per process (the workers' cache)."""
    global _JOINT
    if _JOINT is None:
        import nutpie

        from skillfit.models.pytensor_face import compile_mode_for_theory

        m, model, params, target = _build(spec)
        with compile_mode_for_theory():
            compiled = nutpie.compile_pymc_model(model, backend="numba")
        _JOINT = (m, model, compiled, params, target)
    return _JOINT


def joint_params(spec: str = "skillmix") -> list[str]:
    """Names ranked by :func:`replicate_joint` for ``spec``."""
    params = _build(spec)[2]
    return [*params, *(f"theta[{name}]" for name in THETA_LLMS),
            f"pi{FORECAST_K:g}[{FORECAST['name']}]"]


def _forecast_pi(m, group) -> np.ndarray:
    """Draws of the forecast pi of :data:`FORECAST` at k = :data:`FORECAST_K` from ``group``
    (a posterior or a one-draw prior), through the package's forecast code."""
    import xarray as xr

    from skillfit import forecasting

    m._idata = xr.DataTree.from_dict({"posterior": group})
    _, log_r = forecasting.resolve_llms(m, [FORECAST])
    pi, _ = forecasting.pi_and_score_draws(m, log_r, np.array([FORECAST_K]),
                                           forecasting.gamma_draws(m, [FORECAST]))
    return pi[0, 0]


def simulated_data(sims) -> dict[str, np.ndarray]:
    """The joint model's observed data from one prior-predictive draw ``sims``: the full-marks
    successes (with the all-skills counts, the first of the three outcomes; the all-skills
    successes are the first two), the skill points (``skill_fraction``) and the losses."""
    successes = sims["successes"].values[0, 0]
    out = {"loss_observed": sims["loss"].values.reshape(-1)}
    if successes.ndim == 2:  # (cell, outcome): full marks, all skills only, not all skills
        out["successes_observed"] = successes[:, 0]
        out["all_skills_observed"] = successes[:, 0] + successes[:, 1]
    else:
        out["successes_observed"] = successes
    if "skill_points" in sims:
        out["fraction_observed"] = sims["skill_points"].values.reshape(-1)
    return out


def replicate_joint(seed: int, draws: int = 400, spec: str = "skillmix",
                    adaptation: str | None = None) -> dict[str, int]:
    """Ranks of the joint model's shared parameters, two LLMs' theta and one forecast pi for
    one simulated data set (and the number of divergent transitions, under
    ``"divergences"``); ``adaptation`` is nutpie's mass-matrix adaptation (default the
    model's, :data:`skillfit.models.skill_graph.NUTPIE_ADAPTATION`)."""
    import nutpie
    import pymc as pm

    from skillfit.models.skill_graph import NUTPIE_ADAPTATION

    m, model, compiled, params, target = _joint(spec)
    with model:
        prior = pm.sample_prior_predictive(draws=1, random_seed=seed)
    sims = prior["prior_predictive"]
    fitted = compiled.with_data(**simulated_data(sims))
    idata = nutpie.sample(fitted, draws=draws, tune=500, chains=2, cores=1, seed=seed,
                          progress_bar=False, target_accept=target,
                          adaptation=adaptation or NUTPIE_ADAPTATION)
    truth, post = {}, {}
    for p in params:
        truth[p] = float(prior["prior"][p].values.ravel()[0])
        post[p] = idata["posterior"][p].values.reshape(-1)
    for name in THETA_LLMS:
        key = f"theta[{name}]"
        truth[key] = float(prior["prior"]["theta"].sel(llm=name).values.ravel()[0])
        post[key] = idata["posterior"]["theta"].sel(llm=name).values.reshape(-1)
    key = f"pi{FORECAST_K:g}[{FORECAST['name']}]"
    truth[key] = float(_forecast_pi(m, prior["prior"].to_dataset())[0])
    post[key] = _forecast_pi(m, idata["posterior"].to_dataset())
    ranks = {}
    for p, values in post.items():
        keep = values[np.linspace(0, values.size - 1, THIN_TO).astype(int)]
        ranks[p] = int(np.sum(keep < truth[p]))
    diverging = idata["sample_stats"]["diverging"].values.reshape(-1).astype(bool)
    ranks["divergences"] = int(diverging.sum())
    # where the replication was: its true values, and the posterior medians over all draws
    # and over the divergent ones (written by --save, to find the prior's hard corners)
    ranks["truth"] = truth
    ranks["median"] = {p: float(np.median(v)) for p, v in post.items()}
    ranks["median_divergent"] = {p: float(np.median(v[diverging])) if diverging.any()
                                 else float("nan") for p, v in post.items()}
    return ranks


def save_replications(path: str, seeds: list[int], results: list[dict]) -> None:
    """One row per replication: seed, divergences, and for every ranked name its true value,
    posterior median, median over the divergent draws and rank (CSV at ``path``)."""
    import pandas as pd

    rows = []
    for seed, r in zip(seeds, results, strict=True):
        row: dict = {"seed": seed, "divergences": r["divergences"]}
        for p in r["truth"]:
            row[f"{p}:truth"] = r["truth"][p]
            row[f"{p}:median"] = r["median"][p]
            row[f"{p}:median_divergent"] = r["median_divergent"][p]
            row[f"{p}:rank"] = r[p]
        rows.append(row)
    pd.DataFrame(rows).to_csv(path, index=False)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", choices=["scaling", "joint"], default="scaling")
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--spec", default="skillmix",
                    help="joint model: spec name or .toml path (default: skillmix)")
    ap.add_argument("--workers", type=int, default=None,
                    help="local Dask workers (default: available cores)")
    ap.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    ap.add_argument("--adaptation", default=None, choices=("diag", "low_rank"),
                    help="joint model: nutpie's mass-matrix adaptation (default: the model's)")
    ap.add_argument("--save", default=None, metavar="CSV",
                    help="joint model: write each replication's true values, posterior medians "
                         "(all draws and divergent ones), ranks and divergences to CSV")
    ap.add_argument("--first-seed", type=int, default=1,
                    help="seed of the first replication (then consecutive; default 1)")
    a = ap.parse_args()
    t0 = time.perf_counter()
    seeds = list(range(a.first_seed, a.first_seed + a.reps))
    if a.model == "scaling":
        fn, params, name = partial(replicate, draws=a.draws), PARAMS, "ScalingLawModel"
    else:
        fn = partial(replicate_joint, draws=a.draws, spec=a.spec, adaptation=a.adaptation)
        params, name = joint_params(a.spec), f"SkillGraphModel (spec {a.spec})"
    from skillfit.runner import Runner

    with Runner(scheduler=a.scheduler, n_workers=a.workers,
                report=lambda line: print(line, flush=True)) as runner:
        workers = runner.description
        results = runner.map(fn, seeds,
                             labels=[f"replication {s}" for s in seeds])
    wall = time.perf_counter() - t0
    print(f"SBC of {name}: {a.reps} replications in {wall:.0f} s "
          f"({wall / a.reps:.1f} s each, {workers}); ranks 0..{THIN_TO}, {BINS} bins")
    if a.model == "joint":
        div = np.array([r["divergences"] for r in results])
        print(f"  divergences: {int((div > 0).sum())} of {a.reps} replications had any "
              f"(total {int(div.sum())}, max {int(div.max())} in one)")
        if a.save:
            save_replications(a.save, seeds, results)
            print(f"  replications written to {a.save}")
    worst = 1.0
    for p in params:
        ranks = np.array([r[p] for r in results])
        counts = np.histogram(ranks, bins=BINS, range=(0, THIN_TO + 1))[0]
        pval = stats.chisquare(counts).pvalue
        worst = min(worst, pval)
        print(f"  {p:24s} chi2 p = {pval:.3f}  counts {counts.tolist()}")
    print(f"smallest p-value {worst:.3f} (Bonferroni threshold for {len(params)} tests at 5%: "
          f"{0.05 / len(params):.4f})")


if __name__ == "__main__":
    main()
