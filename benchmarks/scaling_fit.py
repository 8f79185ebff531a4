"""Benchmark: full Bayesian posterior vs Epoch's 4,000-resample Huber/L-BFGS bootstrap.

Both run in this process on the same data (the bundled ``chinchilla`` runs, Epoch's 240-point
sample). Printed: wall times, their ratio (the standard in docs/scaling_law.md: the posterior
should be faster), and the 95% intervals of E, A, B, alpha, beta and the compute-optimal tokens
per parameter side by side.

Epoch's estimator (:mod:`skillfit.huber`; Besiroglu et al. 2024, after Hoffmann et al. 2022):
minimise ``sum Huber_delta(LSE(a - alpha log N, b - beta log D, e) - log L)`` with
delta = 1e-3, A = e^a, B = e^b, E = e^e, by L-BFGS from a grid of initialisations. The full-data
fit uses Epoch's full grid (5,400 starts); each bootstrap resample starts from the full-data
optimum only (the usual shortcut; it rarely changes the optimum on this well-conditioned
problem).

Usage::

    .venv/bin/python benchmarks/scaling_fit.py [--resamples 4000] [--sampler nutpie|pymc]
"""

from __future__ import annotations

import os

# Single-threaded BLAS: on this 2-core machine a multi-threaded OpenBLAS makes every tiny L-BFGS
# step ~100x slower (thread spin-up), which would flatter the posterior. Set before numpy loads.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from skillfit import datasets  # noqa: E402
from skillfit.huber import EPOCH_STARTS, fit_huber  # noqa: E402
from skillfit.models.scaling_law import ScalingLawModel  # noqa: E402
from skillfit.scaling import ChinchillaLaw  # noqa: E402

COMPUTE = 1e24


def fit_raw(n, d, loss, starts) -> np.ndarray:
    """:func:`skillfit.huber.fit_huber` as the raw vector (log A, log B, log E, alpha, beta)."""
    law = fit_huber(n, d, loss, starts)
    return np.array([np.log(law.A), np.log(law.B), np.log(law.E), law.a, law.b])


def to_law(theta: np.ndarray) -> dict[str, float]:
    a, b, e, alpha, beta = theta
    return {"E": np.exp(e), "A": np.exp(a), "B": np.exp(b), "alpha": alpha, "beta": beta}


def tokens_per_param(E, A, B, alpha, beta, compute=COMPUTE):
    n, d = ChinchillaLaw(E=E, A=A, B=B, a=alpha, b=beta).optimal_allocation(compute)
    return d / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=4000)
    parser.add_argument("--sampler", choices=["nutpie", "pymc"], default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    df = datasets.load("chinchilla")
    used = df[~df["excluded_by_epoch"]].reset_index(drop=True)
    n, d, y = (used[c].to_numpy() for c in ("params", "tokens", "loss"))

    # ---------------------------------------------------------------- Bayesian posterior
    cfg = {} if args.sampler is None else {"nuts_sampler": args.sampler}
    t0 = time.perf_counter()
    model = ScalingLawModel(sampler_config=cfg)
    model.fit(df, random_seed=args.seed)
    t_bayes = time.perf_counter() - t0
    diag = model.diagnostics()
    laws = model.posterior_laws()
    law_arr, _ = model.law_draws(0)
    n_opt, d_opt = law_arr.optimal_allocation(np.asarray(COMPUTE))
    laws["tokens_per_param"] = np.asarray(d_opt) / np.asarray(n_opt)

    # ---------------------------------------------------------------- Huber bootstrap
    t0 = time.perf_counter()
    grid = EPOCH_STARTS  # Epoch's grid: 5,400 starts
    t_grid0 = time.perf_counter()
    point = fit_raw(n, d, y, grid)
    t_grid = time.perf_counter() - t_grid0
    rng = np.random.default_rng(args.seed)
    boot = np.empty((args.resamples, 5))
    for i in range(args.resamples):
        idx = rng.integers(0, len(used), len(used))
        boot[i] = fit_raw(n[idx], d[idx], y[idx], [point])
    t_boot = time.perf_counter() - t0
    bl = {k: np.asarray(v) for k, v in to_law(boot.T).items()}
    bl["tokens_per_param"] = np.array([tokens_per_param(*(bl[k][i] for k in
                                       ("E", "A", "B", "alpha", "beta")))
                                       for i in range(args.resamples)])
    pt = to_law(point)
    pt["tokens_per_param"] = tokens_per_param(*(pt[k] for k in ("E", "A", "B", "alpha", "beta")))

    # ---------------------------------------------------------------- report
    print(f"data: {len(used)} runs (Epoch's sample); sampler: {model.idata.attrs['nuts_sampler']}")
    print(f"Bayesian posterior (4 chains x 1000 draws, incl. compile): {t_bayes:7.1f} s   "
          f"[max R-hat {diag['max_r_hat']:.4f}, min bulk ESS {diag['min_ess_bulk']:.0f}, "
          f"divergences {diag['divergences']}]")
    print(f"Huber/L-BFGS bootstrap ({args.resamples} resamples + {len(grid)}-start grid "
          f"[{t_grid:.1f} s]): {t_boot:7.1f} s")
    print(f"ratio bootstrap / posterior: {t_boot / t_bayes:.1f}x "
          f"({'posterior faster' if t_bayes < t_boot else 'bootstrap faster'}); "
          f"resamples alone (no grid): {(t_boot - t_grid) / t_bayes:.1f}x")
    print()
    print(f"{'':18s} {'posterior median [95% ETI]':>36s}   {'Huber point [95% bootstrap]':>36s}")
    for k in ("E", "A", "B", "alpha", "beta", "tokens_per_param"):
        q = np.percentile(laws[k], [2.5, 50, 97.5])
        bq = np.percentile(bl[k], [2.5, 97.5])
        print(f"{k:18s} {q[1]:10.4g} [{q[0]:9.4g}, {q[2]:9.4g}]   "
              f"{pt[k]:10.4g} [{bq[0]:9.4g}, {bq[1]:9.4g}]")
    print(f"(tokens_per_param = D_opt/N_opt at C = {COMPUTE:.0e} FLOP)")


if __name__ == "__main__":
    main()
