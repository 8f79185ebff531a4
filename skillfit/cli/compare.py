"""``skillfit compare [SPEC]``: fit every link on the same data and compare them by PSIS-LOO.

Parses, calls :mod:`skillfit.compare` and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skillfit.cli._common import (
    DEFAULT_SPEC,
    add_sampler_args,
    check_out_dir,
    diagnostics_line,
    load_joint_spec,
    print_table,
    sampler_overrides,
    say,
    show_progress,
)

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="fit the threshold, independent and logistic links and compare them by PSIS-LOO",
        description=(
            "Fit SPEC (default: the bundled 'skillmix' spec) once per link on the same data and "
            "seed, and print arviz.compare's PSIS-LOO table on the Skill-Mix observations with "
            "Pareto-k warnings. Three full fits: expect several minutes on 2 cores."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help=f"skill_graph spec name or .toml path (default: {DEFAULT_SPEC})")
    p.add_argument("--links", metavar="L1,L2", default=None,
                   help="comma-separated links to compare (default: all three)")
    p.add_argument("--out", metavar="DIR", help="write compare.csv into DIR (a new folder)")
    p.add_argument("--force", action="store_true",
                   help="replace the --out folder whole if it already holds files")
    add_sampler_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from skillfit.compare import check_links, compare_links, fit_links, pareto_messages, verdict
    from skillfit.outputs import staged_dir

    spec = load_joint_spec(args.spec)
    links = check_links(args.links)
    overrides = sampler_overrides(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out, args.force)  # before the fits, not after
    sampler = {**spec.sampler_config, **{k: v for k, v in overrides.items() if v is not None}}
    models = fit_links(links, spec.load_data(), spec.model_config, sampler, args.seed,
                       show_progress(args), report=say)
    table, pareto = compare_links(models)
    print()
    print("PSIS-LOO comparison on the Skill-Mix observations (higher elpd is better; elpd_diff "
          "and dse relative to the best link; weight = stacking weight):")
    cols = [c for c in ("rank", "elpd", "se", "elpd_diff", "dse", "p", "weight", "n_k_above_0.7")
            if c in table.columns]
    print_table(table[cols])
    print()
    print(verdict(table))
    print()
    for link, model in models.items():
        print(f"{link}: " + diagnostics_line(model.diagnostics()))
    for msg in pareto_messages(pareto):
        print(f"warning: {msg}")
    if out is not None:
        with staged_dir(out, replace=args.force) as stage:
            table.to_csv(stage / "compare.csv", index_label="link")
        print(f"wrote {out / 'compare.csv'}")
    return 0
