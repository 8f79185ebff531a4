"""Simulation-based calibration (Talts et al. 2018) of the Bayesian scaling-law model.

Run: .venv/bin/python benchmarks/sbc.py [--reps 100] [--draws 400] [--workers 2]

For each replication: draw parameters from the prior and a data set from the prior predictive
at the bundled design (the 240 Chinchilla (N, D) points), fit the model to it, and record the
rank of the true value among thinned posterior draws. If the inference is calibrated the ranks
are uniform; a chi-square test on ``BINS`` bins gives one p-value per parameter. Replications
run in ``--workers`` processes (each compiles the model once and reuses it through ``pm.set_data``).
For more replications, the same ``replicate`` function can be mapped over a Dask cluster
(``client.map(replicate, seeds)``), one task per seed.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import stats

PARAMS = ("E", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma", "nu")
BINS = 10
THIN_TO = 99  # posterior draws kept per replication: ranks fall in 0..99

_MODEL = None


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=100)
    ap.add_argument("--draws", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args()
    t0 = time.perf_counter()
    seeds = list(range(1, a.reps + 1))
    with ProcessPoolExecutor(a.workers) as pool:
        results = list(pool.map(replicate, seeds, [a.draws] * len(seeds)))
    wall = time.perf_counter() - t0
    print(f"SBC of ScalingLawModel: {a.reps} replications in {wall:.0f} s "
          f"({wall / a.reps:.1f} s each, {a.workers} workers); ranks 0..{THIN_TO}, {BINS} bins")
    worst = 1.0
    for p in PARAMS:
        ranks = np.array([r[p] for r in results])
        counts = np.histogram(ranks, bins=BINS, range=(0, THIN_TO + 1))[0]
        pval = stats.chisquare(counts).pvalue
        worst = min(worst, pval)
        print(f"  {p:13s} chi2 p = {pval:.3f}  counts {counts.tolist()}")
    print(f"smallest p-value {worst:.3f} (Bonferroni threshold for {len(PARAMS)} tests at 5%: "
          f"{0.05 / len(PARAMS):.4f})")


if __name__ == "__main__":
    main()
