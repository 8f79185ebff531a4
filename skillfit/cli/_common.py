"""Flags and helpers shared by the sub-commands (parse, check, print — no modelling).

Every command module imports from here, never from another command's module.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from skillfit.errors import SkillfitError

__all__ = ["DEFAULT_SPEC", "OUTPUT_ROOT", "add_sampler_args", "check_out_dir",
           "diagnostics_line", "load_joint_spec", "print_table", "sampler_overrides",
           "add_output_args", "output_folder", "print_report", "say",
           "show_progress"]

#: The joint-model spec used when a command is given none.
DEFAULT_SPEC = "skillmix"
#: Every command writes under this folder by default (``runs/<command or spec>``).
OUTPUT_ROOT = Path("runs")


def say(line: str = "") -> None:
    """Print one line and flush (progress lines must appear before a long fit starts)."""
    print(line, flush=True)


def add_sampler_args(p: argparse.ArgumentParser) -> None:
    """``--seed --draws --tune --chains --sampler --progress/--no-progress``."""
    p.add_argument("--seed", type=int, metavar="N", help="random seed (overrides the spec)")
    p.add_argument("--draws", type=int, metavar="N", help="posterior draws per chain")
    p.add_argument("--tune", type=int, metavar="N", help="tuning steps per chain")
    p.add_argument("--chains", type=int, metavar="N", help="number of chains")
    p.add_argument("--sampler", choices=["nutpie", "pymc"], help="NUTS implementation")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="show or hide the sampler's progress bar (default: shown when run "
                        "in a terminal, hidden when output is redirected or piped)")


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # None, or a closed stream
        return False


def show_progress(args: argparse.Namespace) -> bool:
    """The ``--progress/--no-progress`` choice; unset, shown only in an interactive terminal.

    PyMC draws its progress bar on stdout and, when stdout is not a terminal, still writes its
    final state there; so unset means "stderr *and* stdout are terminals", which keeps
    ``skillfit forecast > out.txt`` free of progress bars.
    """
    choice = getattr(args, "progress", None)
    if choice is not None:
        return bool(choice)
    return _isatty(sys.stderr) and _isatty(sys.stdout)


def sampler_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Validated sampler overrides from :func:`add_sampler_args` options (None = spec value)."""
    from skillfit.models.base import MAX_SAMPLER_INT, MAX_SEED

    overrides = {"draws": args.draws, "tune": args.tune, "chains": args.chains,
                 "nuts_sampler": args.sampler}
    for key in ("draws", "chains"):
        if overrides[key] is not None and overrides[key] < 1:
            raise SkillfitError(f"--{key} must be at least 1")
    if args.tune is not None and args.tune < 0:
        raise SkillfitError("--tune must be >= 0")
    for key in ("draws", "tune", "chains"):
        if overrides[key] is not None and overrides[key] > MAX_SAMPLER_INT:
            raise SkillfitError(f"--{key} must be at most 2**31 - 1, got {overrides[key]}")
    seed = getattr(args, "seed", None)
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise SkillfitError(f"--seed must be an integer from 0 to 2**32 - 1, got {seed}")
    return overrides


def check_out_dir(out: Path, replace: bool = False) -> None:
    """Fail early (before any sampling) if ``out`` cannot become the output folder."""
    from skillfit.outputs import check_new_dir

    check_new_dir(out, replace=replace)


def add_output_args(p: argparse.ArgumentParser, default: str) -> None:
    """``--out DIR`` and ``--force`` (a run folder holds one run)."""
    p.add_argument("--out", metavar="DIR",
                   help=f"output folder (default: {default}, or {default}-2, ... if taken); it "
                        "must not hold files unless --force")
    p.add_argument("--force", action="store_true",
                   help="replace the --out folder whole if it already holds a run")


def output_folder(args: argparse.Namespace, default: Path) -> tuple[Path, bool]:
    """``(folder, replace)`` from ``--out``/``--force``, checked before any work.

    Without ``--out`` the first free ``default``, ``default-2``, ... is used, so a second run
    never mixes with the first; with ``--out`` an occupied folder is an error unless ``--force``.
    """
    from skillfit.outputs import fresh_dir

    if getattr(args, "out", None):
        out, replace = Path(args.out), bool(getattr(args, "force", False))
    else:
        out, replace = fresh_dir(default), False
    check_out_dir(out, replace)
    return out, replace


def load_joint_spec(name: str | None) -> Any:
    """Load a spec (default :data:`DEFAULT_SPEC`) and check it is a ``skill_graph`` spec."""
    from skillfit.specs import load_spec

    spec = load_spec(name or DEFAULT_SPEC)
    if spec.model_type != "skill_graph":
        raise SkillfitError(
            f"spec {spec.name!r} is a {spec.model_type!r} model; this command needs a skill_graph "
            f"spec (e.g. the bundled {DEFAULT_SPEC!r})"
        )
    return spec


def diagnostics_line(diag: dict[str, Any]) -> str:
    """One plain-words line: converged or not, max R-hat, min ESS, divergences."""
    status = "converged" if diag["converged"] else "NOT converged"
    return (
        f"diagnostics ({status}): max R-hat {diag['max_r_hat']:.3f} ({diag['worst_r_hat']}), "
        f"min bulk ESS {diag['min_ess_bulk']:.0f} ({diag['worst_ess_bulk']}), "
        f"min tail ESS {diag['min_ess_tail']:.0f}, {diag['divergences']} divergences "
        f"({diag['chains']} chains x {diag['draws']} draws)"
    )


def print_table(table: Any, digits: str = ".2f", **kwargs: Any) -> None:
    """Print a DataFrame wide enough not to wrap, numbers with format ``digits``."""
    import pandas as pd

    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(table.to_string(float_format=lambda v: format(v, digits), **kwargs))


def print_report(model: Any, diag: dict[str, Any], warnings: list[str]) -> None:
    """Print the summary table, the convergence diagnostics and plain-words warnings."""
    print_table(model.summary(), ".4g")
    print()
    print(diagnostics_line(diag))
    for msg in warnings:
        print(f"warning: {msg}")
