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
    for cut, rows in summary.groupby("cut", sort=False):
        post, huber = rows.set_index("method").loc["posterior"], rows.set_index("method").loc["huber"]
        print(f"cut {cut:.0e} FLOP ({int(post['n_train'])} runs fitted, {int(post['n_test'])} "
              f"predicted): median ARE posterior {post['median_are']:.2%} vs Huber "
              f"{huber['median_are']:.2%} (ratio {post['median_are'] / huber['median_are']:.2f}); "
              f"coverage 50% {post['coverage_50']:.2f}, 89% {post['coverage_89']:.2f}; "
              f"kappa {post['kappa']:.4f}; R-hat {post['max_r_hat']:.3f}, "
              f"{int(post['divergences'])} divergences")
    print(f"wall time {wall:.0f} s")


if __name__ == "__main__":
    main()
