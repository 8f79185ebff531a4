"""``skillfit validate FILE --as KIND``: check a CSV table against a skillfit schema."""

from __future__ import annotations

import argparse

from skillfit.data import SCHEMAS, read_csv


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate",
        help="check a CSV file against a table schema",
        description=(
            "Read FILE as a table of the given kind and check every column, value and key. "
            "Prints one OK line and exits 0, or prints the first problem (file, column, line) "
            "and exits 1. Line numbers are 1-based, the header being line 1. A composition "
            "table the joint model cannot fit as it is (e.g. trials in some of a benchmark's "
            "rows only), or one without trials, gets a note."
        ),
    )
    p.add_argument("file", metavar="FILE", help="CSV file (comma-separated, one header line)")
    p.add_argument("--as", dest="kind", required=True, choices=sorted(SCHEMAS),
                   help="table kind to check against")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from skillfit.errors import DataValidationError

    df = read_csv(args.file, args.kind)
    print(f"OK: {args.file} is a valid {args.kind} table ({len(df)} rows)")
    if args.kind == "composition":
        from skillfit.models.skill_graph_data import check_composition

        try:
            without = check_composition(df, args.file)
        except DataValidationError as exc:
            print(f"skillfit validate: note: the joint model cannot fit it as it is: {exc}",
                  file=sys.stderr)
        else:
            for name in without:
                print(f"skillfit validate: note: benchmark {name!r} gives no trials: the joint "
                      "model fits its rates with a precision it estimates (trials, where "
                      "known, say more)", file=sys.stderr)
    return 0
