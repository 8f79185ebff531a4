"""``skillfit simulate``: check the emergence bound on a Monte Carlo skill graph.

Draws a random skill graph, a failure set of measure ``theta`` (random, or aimed at a set of
skills) and prints, for each ``alpha``, the empirical failure level that at most an ``alpha``
fraction of skills (or k-tuples) exceed, next to the theorem's ceiling ``min_beta * theta``
(with the graph's finite-size term ``|S|/|T|`` unless ``--no-finite-size``) and whether the
bound holds. The work is done by :func:`skillfit.theory.compare_with_bound`; see
``docs/theory.md``, section "Checking the bound by simulation".
Graphs of at least :data:`PROGRESS_EDGES` edges print one line per stage on stderr.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from skillfit.errors import SkillfitError
from skillfit.theory import compare_with_bound, random_skill_graph, violated_alphas, zipf_weights

__all__ = ["register", "run"]

#: Graphs with at least this many edges (text pieces x degree; a few seconds and up) report
#: their stages on stderr.
PROGRESS_EDGES = 5 * 10**7

_TABLE_COLUMNS = [
    "alpha",
    "empirical_failure",
    "bound_failure",
    "empirical_competence",
    "guaranteed_competence",
    "holds",
]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``simulate`` sub-command."""
    p = subparsers.add_parser(
        "simulate",
        help="Monte Carlo skill graph: empirical competence vs the guaranteed bound",
        description=(
            "Draw a random skill graph and a failed set of text pieces of measure THETA, and "
            "compare the empirical worst-alpha-fraction failure of skills (or k-tuples) with "
            "the theorem's ceiling min_beta*theta. Big graphs (|T| x degree >= 5e7 edges) "
            "report each stage on stderr."
        ),
    )
    p.add_argument("--skills", type=int, default=200, help="number of skills |S| (default 200)")
    p.add_argument(
        "--text", type=int, default=20000, help="number of text pieces |T| (default 20000)"
    )
    p.add_argument("--degree", type=int, default=8, help="skills per text piece (default 8)")
    p.add_argument(
        "--theta", type=float, default=0.1, help="measure of failed text, in (0,1) (default 0.1)"
    )
    p.add_argument(
        "--alpha", type=float, nargs="+", default=[0.05, 0.1, 0.2],
        help="fractions of skills allowed to fail, in (0,1) (default 0.05 0.1 0.2)",
    )
    p.add_argument(
        "--failure", choices=("random", "adversarial"), default="adversarial",
        help="failure set: uniform random, or aimed at a set of skills (default adversarial)",
    )
    p.add_argument(
        "--target", choices=("random", "frequent", "rare"), default="random",
        help="skills the adversary aims at: random ones, the most frequent or the rarest "
        "(default random)",
    )
    p.add_argument(
        "--without-replacement", action="store_true",
        help="distinct skills per piece (default: i.i.d. with replacement, as in the paper)",
    )
    p.add_argument(
        "--zipf", type=float, default=None, metavar="S",
        help="power-law skill frequencies proportional to rank**-S (default uniform)",
    )
    p.add_argument(
        "--measure", choices=("count", "weights"), default=None,
        help="how fractions of skills are measured: by count, or by skill frequency "
        "(default: weights with --zipf, else count)",
    )
    p.add_argument("--k", type=int, default=1, help="skills per tuple (default 1)")
    p.add_argument(
        "--tuples", type=int, default=2000, help="k-tuples sampled when k > 1 (default 2000)"
    )
    p.add_argument(
        "--pieces", type=int, default=None,
        help="sampled k-pieces per tuple (default: exact average over all k-pieces)",
    )
    p.add_argument(
        "--finite-size", action=argparse.BooleanOptionalAction, default=True,
        help="include the (|S|/|T|)·H(alpha) finite-size term in the bound (default); the "
        "theorem needs |T| >> |S|, and --no-finite-size drops the term (the paper's form)",
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.csv",
                   help="also write the full comparison table as CSV (atomically)")
    p.set_defaults(func=run)


#: Largest array (cells) a simulation may ask for; beyond it NumPy raises ValueError, not
#: MemoryError. Anything below that does not fit is reported as "not enough memory".
MAX_CELLS = 2**40


def _validate(args: argparse.Namespace) -> None:
    def bad(flag: str, rule: str, value: object) -> SkillfitError:
        return SkillfitError(f"{flag} must be {rule}, got {value}")

    if args.skills < 1:
        raise bad("--skills", ">= 1", args.skills)
    if args.skills >= 2**31 - 1:
        raise bad("--skills", "< 2**31 - 1", args.skills)
    if args.degree < 1:
        raise bad("--degree", ">= 1", args.degree)
    if args.text < args.degree:
        raise bad("--text", f">= --degree ({args.degree})", args.text)
    if not (0.0 < args.theta < 1.0):
        raise bad("--theta", "in (0, 1)", args.theta)
    m = round(args.theta * args.text)
    if not 1 <= m <= args.text - 1:
        raise SkillfitError(
            f"--theta {args.theta} x --text {args.text} rounds to {m} failed pieces; "
            "need at least 1 and fewer than --text"
        )
    for a in args.alpha:
        if not (0.0 < a < 1.0):
            raise bad("--alpha", "in (0, 1)", a)
    if args.zipf is not None and not (math.isfinite(args.zipf) and args.zipf >= 0):
        raise bad("--zipf", "finite and >= 0", args.zipf)
    if args.without_replacement and args.degree > args.skills:
        raise SkillfitError(
            f"--degree ({args.degree}) must be <= --skills ({args.skills}) "
            "with --without-replacement"
        )
    if args.k < 1:
        raise bad("--k", ">= 1", args.k)
    if args.k > args.skills:
        raise bad("--k", f"<= --skills ({args.skills})", args.k)
    if args.tuples < 1:
        raise bad("--tuples", ">= 1", args.tuples)
    if args.pieces is not None and args.pieces < 1:
        raise bad("--pieces", ">= 1", args.pieces)
    for flags, cells in (("--text x --degree", args.text * args.degree),
                         ("--tuples x --k", args.tuples * args.k),
                         ("--pieces x --k", (args.pieces or 1) * args.k)):
        if cells > MAX_CELLS:  # NumPy cannot even describe such an array (not a MemoryError)
            raise SkillfitError(f"{flags} must be at most 2**40, got {cells:.3g}")
    if args.seed < 0:
        raise bad("--seed", ">= 0", args.seed)
    if args.out is not None:
        parent = args.out.expanduser().resolve().parent
        if not parent.is_dir():
            raise SkillfitError(f"--out: directory {parent} does not exist")
        if args.out.is_dir():
            raise SkillfitError(f"--out: {args.out} is a directory")
        if not os.access(parent, os.W_OK):
            raise SkillfitError(f"--out: cannot write to directory {parent}: permission denied")


def _write_csv_atomic(df: pd.DataFrame, path: Path) -> None:
    path = path.expanduser()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.resolve().parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            df.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def run(args: argparse.Namespace) -> int:
    """Run the simulation and print the empirical-vs-guaranteed table; returns 0."""
    _validate(args)
    start = time.perf_counter()
    big = args.text * args.degree >= PROGRESS_EDGES

    def stage(msg: str) -> None:
        if big:
            sys.stderr.write(f"simulate: {msg} (after {time.perf_counter() - start:.1f} s)\n")
            sys.stderr.flush()

    stage(f"drawing the skill graph: {args.text:,} text pieces x {args.degree} skills")
    weights = None if args.zipf is None else zipf_weights(args.skills, args.zipf)
    try:
        graph = random_skill_graph(
            args.skills, args.text, args.degree, replace=not args.without_replacement,
            skill_weights=weights, seed=args.seed,
        )
    except MemoryError:
        raise SkillfitError(
            f"not enough memory for --text {args.text} x --degree {args.degree}"
        ) from None
    try:
        df = compare_with_bound(
            graph, args.theta, args.alpha, failure=args.failure, target=args.target, k=args.k,
            measure=args.measure, n_tuples=args.tuples, n_pieces=args.pieces,
            skills_over_text=None if args.finite_size else 0.0,  # None: the graph's |S|/|T|
            seed=args.seed + 1, progress=stage if big else None,
        )
    except MemoryError:
        raise SkillfitError(
            f"not enough memory for --tuples {args.tuples} x --k {args.k}"
            + (f" with --pieces {args.pieces}" if args.pieces else "")
        ) from None
    stage("done")

    sampling = "distinct" if args.without_replacement else "i.i.d."
    freq = "uniform" if args.zipf is None else f"zipf s={args.zipf:g}"
    failure = args.failure + (f" (targets {args.target} skills)" if args.failure == "adversarial"
                              else "")
    unit = "skills" if args.k == 1 else f"{args.k}-tuples ({args.tuples} sampled)"
    unit += f" measured by {df['measure'].iloc[0]}"
    print(
        f"skill graph: |S|={args.skills} |T|={args.text} degree={args.degree} "
        f"({sampling}, {freq}), seed={args.seed}"
    )
    print(
        f"failed text: theta={df['theta'].iloc[0]:.4g} {failure}; units: {unit}"
        + (f", theta_k={df['theta_k'].iloc[0]:.4g}" if args.k > 1 else "")
    )
    sot = float(df["skills_over_text"].iloc[0])
    print(f"bound: {'with' if sot > 0 else 'without'} the finite-size term, |S|/|T| = "
          f"{args.skills / args.text:.4g}"
          + ("" if sot > 0 else " (the paper's form; assumes |T| >> |S|)"))
    table = df[_TABLE_COLUMNS].copy()
    table["holds"] = table["holds"].astype(object).where(table["holds"].notna(), "n/a")
    print(table.to_string(index=False, float_format=lambda x: f"{x:.4f}", na_rep="nan"))
    violated = violated_alphas(df)
    if violated:
        print("bound VIOLATED at alpha = " + ", ".join(f"{a:g}" for a in violated))
    elif df["holds"].isna().all():
        print("the bound gives no guarantee (competence ceiling <= 0) at these alphas")
    else:
        print("bound holds at every alpha with a guarantee")
    if args.out is not None:
        _write_csv_atomic(df, args.out)
        print(f"wrote {args.out}")
    return 0
