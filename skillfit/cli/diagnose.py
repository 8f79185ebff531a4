"""``skillfit diagnose RUN``: convergence report and plots for a fitted run folder."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from skillfit.cli._common import print_report
from skillfit.errors import SkillfitError

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diagnose",
        help="print R-hat, ESS and divergences of a fitted run and write its check plots",
        description=(
            "Read RUN (a folder written by 'skillfit fit' or 'skillfit forecast', or its "
            "posterior.nc), print the summary and convergence diagnostics with advice, and "
            "(re)write its plots into the run folder: trace.png and rank.png (ArviZ), and the "
            "model's checks (scaling law: ppc_loss_vs_compute.png, posterior.png; joint model: "
            "prior_predictive.png, skillmix_kcurves.png)."
        ),
    )
    p.add_argument("run_dir", metavar="RUN", help="run folder (or a posterior.nc file)")
    p.add_argument("--no-plots", action="store_true", help="only print the report")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from skillfit.report import write_plots
    from skillfit.specs import load_model

    target = Path(args.run_dir)
    if target.is_dir():
        folder, nc = target, target / "posterior.nc"
        if not nc.is_file():
            raise SkillfitError(f"{target} has no posterior.nc (is it a 'skillfit fit' output folder?)")
    elif target.is_file():
        folder, nc = target.parent, target
    else:
        raise SkillfitError(f"no such run folder or file: {target}")
    model = load_model(nc)
    diag = model.diagnostics()
    print(f"{nc}: {model._model_type} model, id {model.id}, seed {model.idata.attrs.get('random_seed')}")
    print_report(model, diag, model.warnings(diag))
    if not args.no_plots:
        written = write_plots(model, folder, list(diag["parameters"]))
        print("wrote " + ", ".join(str(folder / name) for name in written))
    if (folder / "diagnostics.json").is_file():
        try:
            stored = json.loads((folder / "diagnostics.json").read_text())
            if "wall_time_s" in stored:
                print(f"(fit took {stored['wall_time_s']} s)")
        except (OSError, json.JSONDecodeError):
            pass
    return 0
