"""The ``skillfit`` command line.

Each sub-command lives in its own module ``skillfit.cli.<name>`` exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a callable taking the parsed
arguments and returning an exit code. :func:`main` turns every :class:`skillfit.errors.SkillfitError`
(and argument errors) into one line on stderr and a non-zero exit, and shows every
:class:`skillfit.errors.DataWarning` as one ``warning:`` line (the command still runs).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from skillfit import __version__
from skillfit.errors import DataWarning, SkillfitError

#: Sub-command modules, in the order ``skillfit --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "curves",
    "simulate",
    "datasets",
    "validate",
    "fit",
    "diagnose",
    "predict",
    "forecast",
    "compare",
    "backtest",
    "crossval",
)


def _one_line(text: str) -> str:
    """An error message as one line: line breaks inside names or values are shown escaped."""
    return text.replace("\r", "\\r").replace("\n", "\\n")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump) and exit with code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        prog = self.prog
        sys.stderr.write(f"{prog}: error: {_one_line(message)}\n")
        raise SystemExit(2)


def _headless_matplotlib() -> None:
    """The CLI only writes PNG files: use the Agg backend unless the user chose one."""
    import os

    if not os.environ.get("MPLBACKEND"):
        import matplotlib

        matplotlib.use("Agg")


def _data_warning_printer(command: str, fallback: Callable[..., None]) -> Callable[..., None]:
    """Show a :class:`~skillfit.errors.DataWarning` as one ``skillfit CMD: warning:`` line."""

    def show(message: Warning | str, category: type[Warning], *args: Any, **kwargs: Any) -> None:
        if issubclass(category, DataWarning):
            sys.stderr.write(f"skillfit {command}: warning: {_one_line(str(message))}\n")
        else:
            fallback(message, category, *args, **kwargs)

    return show


def build_parser() -> argparse.ArgumentParser:
    """Build the top-level parser with every sub-command registered."""
    parser = _Parser(
        prog="skillfit",
        description="Bayesian fitting and forecasting of LLM k-skill competence.",
    )
    parser.add_argument("--version", action="version", version=f"skillfit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        importlib.import_module(f"skillfit.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code.

    Examples
    --------
    >>> from skillfit.cli import main
    >>> main(["curves", "--theta", "0.1", "--degree", "8", "--no-plot"])  # doctest: +SKIP
    0
    """
    _headless_matplotlib()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", DataWarning)
            warnings.showwarning = _data_warning_printer(args.command, warnings.showwarning)
            return int(args.func(args) or 0)
    except SkillfitError as exc:
        sys.stderr.write(f"skillfit {args.command}: error: {_one_line(str(exc))}\n")
        return 1
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        sys.stderr.write("skillfit: interrupted\n")
        return 130


def entry() -> None:  # pragma: no cover - thin wrapper for the console script
    raise SystemExit(main())
