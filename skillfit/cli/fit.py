"""``skillfit fit SPEC``: fit a model spec and write a run folder.

The run folder gets ``posterior.nc`` (the fitted DataTree with config and data; reload with
``ScalingLawModel.load``), ``summary.csv``, ``diagnostics.json`` and PNG plots. It is assembled
in a temporary sibling folder and moved into place only when everything succeeded.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from skillfit.errors import SkillfitError

__all__ = ["add_sampler_args", "check_out_dir", "print_report", "register", "run",
           "sampler_overrides", "show_progress", "write_plots"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a model spec (TOML) and write posterior, summary, diagnostics and plots",
        description=(
            "Fit the model described by SPEC (a bundled spec name such as 'chinchilla', or a "
            "path to a .toml file) and write posterior.nc, summary.csv, diagnostics.json and "
            "plots to the output folder. The first fit in a process compiles the model "
            "(about 10 s with nutpie)."
        ),
    )
    p.add_argument("spec", metavar="SPEC", help="bundled spec name or path to a .toml spec")
    p.add_argument("--out", metavar="DIR", help="output folder (default: the spec's [output] dir)")
    add_sampler_args(p)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


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
    overrides = {"draws": args.draws, "tune": args.tune, "chains": args.chains,
                 "nuts_sampler": args.sampler}
    from skillfit.models.base import MAX_SAMPLER_INT, MAX_SEED

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


def check_out_dir(out: Path) -> None:
    """Fail early (before any sampling) if ``out`` cannot be created or written."""
    if out.exists() and not out.is_dir():
        raise SkillfitError(f"output folder {out} exists and is not a folder")
    probe = out if out.exists() else out.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise SkillfitError(f"cannot create output folder {out}: {probe} is not a folder")
    if not os.access(probe, os.W_OK):
        raise SkillfitError(f"cannot write to output folder {out}: permission denied")


def write_plots(model: Any, folder: Path, diag: dict[str, Any]) -> list[str]:
    """Write the diagnostics and model plots for ``model`` into ``folder``; return file names."""
    from skillfit.plots import save_png
    from skillfit.plots.diagnostics import trace_rank_figure

    written = []
    save_png(trace_rank_figure(model.idata, list(diag["parameters"]), diagnostics=diag),
             folder / "trace_rank.png")
    written.append("trace_rank.png")
    if model._model_type == "scaling_law":
        from skillfit.plots.scaling import loss_vs_compute_figure, posterior_vs_published_figure

        save_png(loss_vs_compute_figure(model), folder / "ppc_loss_vs_compute.png")
        save_png(posterior_vs_published_figure(model), folder / "posterior_vs_published.png")
        written += ["ppc_loss_vs_compute.png", "posterior_vs_published.png"]
    if model._model_type == "skill_graph":
        from skillfit.plots.skillmix import prior_predictive_figure

        save_png(prior_predictive_figure(model), folder / "prior_predictive.png")
        written.append("prior_predictive.png")
    return written


def print_report(model: Any, diag: dict[str, Any], warnings: list[str], out: Path | None = None) -> None:
    """Print the summary table, the convergence diagnostics and plain-words warnings."""
    import pandas as pd

    summary = model.summary()
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(summary.to_string(float_format=lambda v: f"{v:.4g}"))
    print()
    status = "converged" if diag["converged"] else "NOT converged"
    print(
        f"diagnostics ({status}): max R-hat {diag['max_r_hat']:.4f} ({diag['worst_r_hat']}), "
        f"min bulk ESS {diag['min_ess_bulk']:.0f} ({diag['worst_ess_bulk']}), "
        f"min tail ESS {diag['min_ess_tail']:.0f}, divergences {diag['divergences']} "
        f"({diag['chains']} chains x {diag['draws']} draws)"
    )
    for msg in warnings:
        print(f"warning: {msg}")
    if out is not None:
        print(f"wrote {out}")


def run(args: argparse.Namespace) -> int:
    from skillfit.outputs import staged_dir, write_text
    from skillfit.provenance import run_manifest
    from skillfit.specs import load_spec

    spec = load_spec(args.spec)
    out = Path(args.out) if args.out else spec.output_dir()
    check_out_dir(out)
    model = spec.make_model(**sampler_overrides(args))
    data = spec.load_data()
    cfg = model.sampler_config
    print(
        f"fitting {spec.name} ({spec.model_type}, {len(data)} rows): {cfg['chains']} chains x "
        f"{cfg['draws']} draws after {cfg['tune']} tuning steps, {cfg['nuts_sampler']} sampler",
        flush=True,
    )
    start = time.perf_counter()
    model.fit(data, random_seed=args.seed, progressbar=show_progress(args))
    wall = time.perf_counter() - start
    diag = model.diagnostics()
    warnings = model.warnings(diag)
    report = {k: v for k, v in diag.items()}
    n_used = int(model.idata["posterior"].attrs.get("n_obs", 0)) or len(data)
    report.update({"warnings": warnings, "wall_time_s": round(wall, 2),
                   "spec": str(spec.path), "random_seed": int(model.idata.attrs["random_seed"]),
                   "nuts_sampler": model.idata.attrs["nuts_sampler"],
                   "n_rows": len(data), "n_rows_used": n_used})
    with staged_dir(out) as stage:
        model.save(stage / "posterior.nc")
        model.summary().to_csv(stage / "summary.csv", index_label="parameter")
        write_text(stage / "diagnostics.json", json.dumps(report, indent=2) + "\n")
        write_text(stage / "run.json",
                   json.dumps(run_manifest(model, spec), indent=2, default=str) + "\n")
        if not args.no_plots and spec.output.get("plots", True):
            write_plots(model, stage, diag)
    print(f"sampled in {wall:.1f} s ({n_used} of {len(data)} rows used)")
    print_report(model, diag, warnings, out)
    sys.stdout.flush()
    return 0
