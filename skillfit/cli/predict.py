"""``skillfit predict RUN``: predictions from a fitted scaling law.

Parses, calls :meth:`~skillfit.models.scaling_law.ScalingLawModel.predict` (loss of runs of
given size) or :meth:`~skillfit.models.scaling_law.ScalingLawModel.optimal_allocation` (the
compute-optimal split of given budgets), and prints the table. The joint model's forecasts are
``skillfit forecast --from-run RUN``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skillfit.cli._common import print_table
from skillfit.errors import SkillfitError
from skillfit.intervals import CI_PROB, check_ci, interval_label

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "predict",
        help="predict losses (or the compute-optimal split) from a fitted scaling-law run",
        description=(
            "Read RUN (a folder written by 'skillfit fit' for a scaling_law spec, or its "
            "posterior.nc) and print the posterior median and equal-tailed interval of the loss "
            "of runs with --params N and --tokens D (paired; one of them may be a single value), "
            "or, with --compute C, the compute-optimal parameters, tokens, tokens per parameter "
            "and loss for each budget. A point gets the same prediction whatever other points "
            "are asked with it."
        ),
    )
    p.add_argument("run_dir", metavar="RUN", help="run folder (or its posterior.nc)")
    p.add_argument("--params", type=float, nargs="+", metavar="N", help="parameters N")
    p.add_argument("--tokens", type=float, nargs="+", metavar="D", help="training tokens D")
    p.add_argument("--compute", type=float, nargs="+", metavar="C",
                   help="training compute C = 6ND (FLOP): print the compute-optimal split")
    p.add_argument("--kind", choices=("predictive", "mean"), default="predictive",
                   help="predictive: a new run's recorded loss (with noise, default); mean: the "
                        "law L(N, D) itself")
    p.add_argument("--ci-prob", type=float, default=CI_PROB, metavar="P",
                   help=f"mass of the equal-tailed interval (default {CI_PROB})")
    p.add_argument("--out", metavar="FILE.csv", help="also write the table as CSV")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from skillfit.outputs import atomic_path
    from skillfit.specs import load_model

    ci, _ = check_ci(args.ci_prob, what="--ci-prob")
    by_size = args.params is not None or args.tokens is not None
    if by_size == (args.compute is not None):
        raise SkillfitError("give --params and --tokens, or --compute (not both)")
    if by_size and (args.params is None or args.tokens is None):
        raise SkillfitError("--params and --tokens go together")
    if by_size and len(args.params) != len(args.tokens) and 1 not in (len(args.params),
                                                                       len(args.tokens)):
        raise SkillfitError(f"--params has {len(args.params)} values and --tokens "
                            f"{len(args.tokens)}: give as many of each, or one of either")
    target = Path(args.run_dir)
    nc = target / "posterior.nc" if target.is_dir() else target
    if not nc.is_file():
        raise SkillfitError(f"no posterior.nc in {target} (is it a 'skillfit fit' run folder?)")
    model = load_model(nc)
    if model._model_type != "scaling_law":
        raise SkillfitError(f"{nc} holds a {model._model_type!r} model; predict reads scaling-law "
                            "runs (for the joint model use: skillfit forecast --from-run RUN)")
    if by_size:
        table = model.predict(args.params, args.tokens, ci, kind=args.kind)
        table = table.drop(columns=["mean"], errors="ignore")
        what = "loss of a new run" if args.kind == "predictive" else "law L(N, D)"
    else:
        table = model.optimal_allocation(args.compute, ci)
        table = table.drop(columns=["mean"], errors="ignore").pivot_table(
            index="compute", columns="quantity", values=["median", "lower", "upper"], sort=False)
        table.columns = [f"{q}_{stat}" for stat, q in table.columns]
        order = [f"{q}_{s}" for q in ("params", "tokens", "tokens_per_param", "loss")
                 for s in ("median", "lower", "upper")]
        table = table[[c for c in order if c in table.columns]].reset_index()
        what = "compute-optimal split"
    print(f"{what}: posterior median [{interval_label(ci)}] ({nc})")
    print_table(table, ".4g", index=False)
    if args.out:
        with atomic_path(args.out) as tmp:
            table.to_csv(tmp, index=False)
        print(f"wrote {args.out}")
    return 0
