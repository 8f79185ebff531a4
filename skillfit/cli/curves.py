"""``skillfit curves``: the paper's performance curves, Corollary 13 and the scaling arithmetic."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from skillfit.cli._common import OUTPUT_ROOT, add_output_args, output_folder
from skillfit.errors import SkillfitError
from skillfit.scaling import HOFFMANN
from skillfit.theory import corollary13, curves_table

DEFAULT_OUT = OUTPUT_ROOT / "curves"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "curves",
        help="performance curves of the emergence theorem and Corollary 13",
        description=(
            "Print (and plot) the competence guaranteed to a 1 - alpha fraction of skills or "
            "k-tuples -- the best of the emergence theorem (over alpha' <= alpha) and Markov's "
            "inequality, saying which one gives it -- work out Corollary 13 (an identity: the "
            "k-tuple curve after the failed measure falls k-fold), and show what '10x scale' "
            "means for the reducible loss."
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
    add_output_args(p, str(DEFAULT_OUT))
    p.add_argument("--no-plot", action="store_true", help="print only; write nothing")
    p.set_defaults(func=run)


def _check(args: argparse.Namespace) -> tuple[Path, bool] | None:
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
    if args.no_plot:
        return None
    return output_folder(args, DEFAULT_OUT)  # checked before printing anything


def run(args: argparse.Namespace) -> int:
    checked = _check(args)
    table = curves_table(args.theta, args.degree, args.k, args.alpha, args.mode)
    wide = table.pivot_table(index=["theta", "k"], columns="alpha",
                             values="guaranteed_competence", dropna=False)
    source = table.pivot_table(index=["theta", "k"], columns="alpha", values="source",
                               aggfunc="first", dropna=False)
    cells = wide.map(lambda v: "–" if np.isnan(v) else f"{v:.3f}")
    cells = cells + source.map({"theorem": " T", "markov": " M", "none": "  "}.get)
    cells.columns = [f"1-α={1 - a:g}" for a in wide.columns]
    print(f"Guaranteed competence for a 1-α fraction (degree {args.degree:g}, {args.mode} "
          "tuples; – = no guarantee)")
    print("  T = emergence theorem (best over α' <= α), M = Markov's inequality, 1 - theta_k/α")
    print(cells.to_string())

    cor = corollary13(args.theta, args.degree, [k for k in args.k if k > 1] or [2], args.alpha)
    print("\nCorollary 13 (an identity, not a test): after theta -> theta/k, linear k-tuples "
          "have theta_k = k·theta/k = theta, so their curve IS the single-skill curve before;")
    print("union k-tuples have theta_k = 1-(1-theta/k)^k < theta, a higher curve "
          "(union_gain_max: largest gain in guaranteed competence over the α above)")
    print(cor.to_string(index=False, formatters={
        "theta": "{:g}".format, "theta_after": "{:.4g}".format,
        "theta_k_linear": "{:.4g}".format, "theta_k_union": "{:.4g}".format,
        "union_gain_max": "{:.3f}".format}))

    law = HOFFMANN
    n, d = 7e9, 2e12
    both = law.reducible_ratio_scaled(n, d, 10)
    print("\nWhat '10x scale' does to the reducible loss r (Hoffmann et al. 2022 law):")
    print(f"  N and D both x10 (from 7B params, 2T tokens): x{both:.2f}")
    print(f"  compute x10, split compute-optimally:        x{law.reducible_ratio_compute(10):.2f}")
    s_half = law.compute_factor_for_ratio(0.5)
    print(f"  compute needed to halve it compute-optimally: x{s_half:.0f}")
    if args.mode == "union":
        print("  With skillfit's map theta = 1 - exp(-c·r) and union tuples, theta_k = "
              "1 - exp(-c·k·r) depends on k·r only:")
        print(f"  after r -> x{both:.2f}·r, k-tuples fare exactly like ({both:.2f}·k)-tuples "
              "before" + (", so 2k-tuples at least as well as k-tuples did." if both <= 0.5
                          else "."))
    else:
        print("  (linear tuples: 'the loss halves, so 2k-tuples reach the old k-tuple level' is "
              "exact only with theta proportional to r, as in the paper; with skillfit's "
              "theta = 1 - exp(-c·r) they fall slightly short; use --mode union)")

    if checked is not None:
        out, replace = checked
        from skillfit.outputs import staged_dir
        from skillfit.plots import save_png
        from skillfit.plots.theory import plot_performance_curves

        with staged_dir(out, replace=replace) as stage:
            table.to_csv(stage / "curves.csv", index=False)
            save_png(plot_performance_curves(args.theta, args.degree, args.k, args.mode),
                     stage / "curves.png")
        print(f"\nWrote {out / 'curves.csv'} and {out / 'curves.png'}")
    return 0
