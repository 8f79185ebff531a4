"""``skillfit curves``: the paper's performance curves, Corollary 13 and the scaling arithmetic."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from skillfit.errors import SkillfitError
from skillfit.scaling import HOFFMANN
from skillfit.theory import guaranteed_competence, tuple_theta

DEFAULT_OUT = Path("skillfit-out") / "curves"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "curves",
        help="performance curves of the emergence theorem and Corollary 13",
        description=(
            "Print (and plot) the guaranteed competence 1 - beta*·theta_k for a 1 - alpha "
            "fraction of skills or k-tuples, check Corollary 13 (the k-tuple curve after the "
            "failed measure falls k-fold equals the single-skill curve before), and show what "
            "'10x scale' means for the reducible loss."
        ),
    )
    p.add_argument("--theta", type=float, nargs="+", default=[0.05, 0.1, 0.2],
                   help="failed-text measures theta in (0, 1) (default: 0.05 0.1 0.2)")
    p.add_argument("--degree", type=float, default=8.0,
                   help="skills per text piece, the paper's k (default: 8)")
    p.add_argument("--k", type=int, nargs="+", default=[1, 2, 4],
                   help="numbers of skills combined (default: 1 2 4)")
    p.add_argument("--alpha", type=float, nargs="+", default=[0.01, 0.05, 0.1, 0.2, 0.5],
                   help="fractions of skills allowed to fail, in (0, 1)")
    p.add_argument("--mode", choices=("union", "linear"), default="union",
                   help="theta_k = 1-(1-theta)^k (union, default) or k*theta (linear, the paper's)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT,
                   help=f"folder for curves.csv and curves.png (default: {DEFAULT_OUT})")
    p.add_argument("--no-plot", action="store_true", help="print only; write nothing")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> None:
    for t in args.theta:
        if not 0 < t < 1:
            raise SkillfitError(f"--theta must be in (0, 1), got {t:g}")
    if not (args.degree > 0 and np.isfinite(args.degree)):
        raise SkillfitError(f"--degree must be a positive number, got {args.degree:g}")
    for k in args.k:
        if k < 1:
            raise SkillfitError(f"--k must be an integer >= 1, got {k}")
        if k > 2**53:  # beyond, k is not exact as a float (and not an int64 in curves.csv)
            raise SkillfitError(f"--k must be at most 2**53, got {k}")
    for a in args.alpha:
        if not 0 < a < 1:
            raise SkillfitError(f"--alpha must be in (0, 1), got {a:g}")
    if not args.no_plot:
        from skillfit.cli.fit import check_out_dir

        check_out_dir(args.out)  # before printing anything


def curves_table(thetas, degree, ks, alphas, mode) -> pd.DataFrame:
    """Guaranteed competence for every (theta, k, alpha): the rows ``skillfit curves`` prints."""
    th, kk, al = np.meshgrid(np.asarray(thetas, float), np.asarray(ks, float),
                             np.asarray(alphas, float), indexing="ij")
    theta_k = tuple_theta(th, kk, mode)
    comp = guaranteed_competence(theta_k, degree, al)
    return pd.DataFrame({
        "theta": th.ravel(), "k": kk.ravel().astype(int), "alpha": al.ravel(),
        "theta_k": np.ravel(theta_k), "guaranteed_competence": np.ravel(comp),
    })


def corollary13(thetas, degree, ks, alphas) -> pd.DataFrame:
    """Curve of k-tuples after theta falls k-fold vs the single-skill curve before.

    In ``linear`` mode the two are identical (Corollary 13); in ``union`` mode the k-tuple
    curve is at least as good, since ``1 - (1 - theta/k)^k <= theta``.
    """
    rows = []
    al = np.asarray(alphas, float)
    for theta in thetas:
        single = guaranteed_competence(theta, degree, al)
        for k in ks:
            for mode in ("linear", "union"):
                tup = guaranteed_competence(tuple_theta(theta / k, k, mode), degree, al)
                diff = np.asarray(tup) - np.asarray(single)
                both = np.isfinite(diff)
                rows.append({
                    "theta": theta, "k": k, "mode": mode,
                    "max_abs_difference": float(np.max(np.abs(diff[both]))) if both.any() else np.nan,
                    "k_tuples_at_least_as_good": bool(np.all(diff[both] >= -1e-12)),
                })
    return pd.DataFrame(rows)


def run(args: argparse.Namespace) -> int:
    _check(args)
    table = curves_table(args.theta, args.degree, args.k, args.alpha, args.mode)
    wide = table.pivot_table(index=["theta", "k"], columns="alpha",
                             values="guaranteed_competence", dropna=False)
    wide.columns = [f"1-α={1 - a:g}" for a in wide.columns]
    print(f"Guaranteed competence 1 - beta*·theta_k (degree {args.degree:g}, {args.mode} tuples;"
          " NaN = no guarantee)")
    print(wide.to_string(float_format=lambda v: f"{v:.3f}", na_rep="–"))

    cor = corollary13(args.theta, args.degree, [k for k in args.k if k > 1] or [2], args.alpha)
    print("\nCorollary 13: k-tuples after theta -> theta/k vs single skills at theta")
    print(cor.to_string(index=False, formatters={"theta": "{:g}".format,
                                                 "max_abs_difference": "{:.2e}".format}))

    law = HOFFMANN
    n, d = 7e9, 2e12
    print("\nWhat '10x scale' does to the reducible loss (Hoffmann et al. 2022 law):")
    print(f"  N and D both x10 (from 7B params, 2T tokens): x{law.reducible_ratio_scaled(n, d, 10):.2f}"
          "  -> about half the excess loss: k-tuples reach the old (k/2)-tuple level")
    print(f"  compute x10, split compute-optimally:        x{law.reducible_ratio_compute(10):.2f}")
    s_half = law.compute_factor_for_ratio(0.5)
    print(f"  compute needed to halve it compute-optimally: x{s_half:.0f}")

    if not args.no_plot:
        from skillfit.outputs import staged_dir
        from skillfit.plots import save_png
        from skillfit.plots.theory import plot_performance_curves

        with staged_dir(args.out) as stage:
            table.to_csv(stage / "curves.csv", index=False)
            save_png(plot_performance_curves(args.theta, args.degree, args.k, args.mode),
                     stage / "curves.png")
        print(f"\nWrote {args.out / 'curves.csv'} and {args.out / 'curves.png'}")
    return 0
