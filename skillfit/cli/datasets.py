"""``skillfit datasets``: list the bundled datasets, preview one, or print its datasheet."""

from __future__ import annotations

import argparse

import pandas as pd

from skillfit import datasets
from skillfit.errors import SkillfitError

PREVIEW_ROWS = 10


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "datasets",
        help="list the bundled datasets or show one",
        description=(
            "Without NAME: list the bundled datasets with their row counts and a one-line "
            "description. With NAME: print its shape and first rows (or the whole table with "
            "--all, or its datasheet with --datasheet)."
        ),
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="dataset to show")
    show = p.add_mutually_exclusive_group()
    show.add_argument("--all", action="store_true", help="print every row")
    show.add_argument("--rows", type=int, default=PREVIEW_ROWS, metavar="N",
                      help=f"rows to preview (default: {PREVIEW_ROWS})")
    show.add_argument("--datasheet", action="store_true",
                      help="print the datasheet (origin, licence, columns, caveats)")
    show.add_argument("--path", action="store_true", help="print the CSV file's path")
    p.set_defaults(func=run)


def _listing() -> str:
    names = datasets.list_datasets()
    width = max((len(n) for n in names), default=4)
    lines = [f"{'name':<{width}}  {'rows':>5}  description"]
    for name in names:
        rows = len(datasets.load(name))
        lines.append(f"{name:<{width}}  {rows:>5}  {datasets.description(name)}")
    lines.append("")
    lines.append("Show one with: skillfit datasets NAME [--all | --datasheet]")
    return "\n".join(lines)


def _preview(name: str, df: pd.DataFrame, rows: int | None) -> str:
    head = df if rows is None else df.head(rows)
    shown = "all rows" if rows is None or rows >= len(df) else f"first {len(head)} rows"
    with pd.option_context("display.max_colwidth", 60, "display.width", 200):
        table = head.to_string(max_colwidth=60)
    return (
        f"{name}: {df.shape[0]} rows x {df.shape[1]} columns ({shown})\n"
        f"{datasets.description(name)}\n\n{table}"
    )


def run(args: argparse.Namespace) -> int:
    if args.name is None:
        print(_listing())
        return 0
    if args.datasheet:
        print(datasets.datasheet(args.name), end="")
        return 0
    if args.path:
        print(datasets.path(args.name))
        return 0
    df = datasets.load(args.name)
    if not args.all and args.rows < 0:
        raise SkillfitError(f"--rows must be >= 0, got {args.rows}")
    print(_preview(args.name, df, None if args.all else args.rows))
    return 0
