"""Benchmark: does the Bayesian scaling law extrapolate as well as Epoch's Huber point fit, with
intervals that cover?

Fits :class:`skillfit.models.scaling_law.ScalingLawModel` (default settings) and the Huber point
fit to the bundled Chinchilla runs below each compute cut, predicts the runs at >= 3x the cut,
and prints per cut the median absolute relative error (ARE) of both, their ratio (posterior /
Huber: <= 1 is the goal) and the posterior's 50 % and 89 % interval coverage (goal for 89 %:
>= 0.8). Same computation as ``skillfit backtest chinchilla``.

Usage::

    .venv/bin/python benchmarks/scaling_backtest.py [--cuts 1e20,3e20] [--seed 20240417]
"""

from __future__ import annotations

import argparse
import time

from skillfit import datasets
from skillfit.scaling_backtest import CUTS, scaling_backtest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", default=",".join(f"{c:g}" for c in CUTS))
    parser.add_argument("--seed", type=int, default=20240417)
    args = parser.parse_args()
    cuts = [float(c) for c in args.cuts.split(",")]
    start = time.perf_counter()
    _, summary = scaling_backtest(datasets.load("chinchilla"), cuts, random_seed=args.seed)
    wall = time.perf_counter() - start
    for row in summary.itertuples():
        print(f"cut {row.cut:.0e} FLOP ({row.n_train} runs fitted, {row.n_test} predicted): "
              f"median ARE posterior {row.median_are:.2%} vs Huber {row.huber_median_are:.2%} "
              f"(ratio {row.are_ratio:.2f}); coverage 50% {row.coverage_50:.2f}, "
              f"89% {row.coverage_89:.2f}; kappa {row.kappa:.4f}; R-hat {row.max_r_hat:.3f}, "
              f"{row.divergences} divergences")
    print(f"wall time {wall:.0f} s")


if __name__ == "__main__":
    main()
