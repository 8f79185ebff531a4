"""``skillfit fit SPEC``: fit a model spec and write a run folder.

The run folder gets ``posterior.nc`` (the fitted DataTree with config and data; reload with
``ScalingLawModel.load``), ``summary.csv``, ``diagnostics.json`` and PNG plots. It is assembled
in a temporary sibling folder and moved into place only when everything succeeded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from skillfit.errors import SkillfitError

from skillfit.cli._common import (
    add_sampler_args,
    check_out_dir,
    print_report,
    sampler_overrides,
    show_progress,
    write_plots,
)

__all__ = ["register", "run"]


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
