"""``skillfit fit SPEC``: fit a model spec and write a run folder.

Parses, calls the model's ``fit`` and :func:`skillfit.report.write_run`, and prints. The run
folder (default: the spec's ``[output] dir``) gets ``posterior.nc`` (the fitted DataTree with
configuration and data; reload with ``skillfit.load_model``), ``summary.csv``,
``diagnostics.json``, ``run.json``, for the joint model ``ppc.csv``, and PNG plots.
"""

from __future__ import annotations

import argparse
import time

from skillfit.cli._common import (
    add_output_args,
    add_sampler_args,
    output_folder,
    print_report,
    sampler_overrides,
    say,
    show_progress,
)

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "fit",
        help="fit a model spec (TOML) and write posterior, summary, diagnostics and plots",
        description=(
            "Fit the model described by SPEC (a bundled spec name such as 'chinchilla', or a "
            "path to a .toml file) and write posterior.nc, summary.csv, diagnostics.json, "
            "run.json (joint model: ppc.csv) and plots to a new run folder. The first fit in a "
            "process compiles the model (about 10 s with nutpie)."
        ),
    )
    p.add_argument("spec", metavar="SPEC", help="bundled spec name or path to a .toml spec")
    add_output_args(p, "the spec's [output] dir")
    add_sampler_args(p)
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from skillfit.report import fit_report, write_run
    from skillfit.specs import load_spec

    spec = load_spec(args.spec)
    out, replace = output_folder(args, spec.output_dir())
    model = spec.make_model(**sampler_overrides(args))
    data = spec.load_data()
    cfg = model.sampler_config
    say(f"fitting {spec.name} ({spec.model_type}, {len(data)} rows): {cfg['chains']} chains x "
        f"{cfg['draws']} draws after {cfg['tune']} tuning steps, {cfg['nuts_sampler']} sampler")
    start = time.perf_counter()
    model.fit(data, random_seed=args.seed, progressbar=show_progress(args))
    wall = time.perf_counter() - start
    n_used = int(model.idata["posterior"].attrs.get("n_obs", 0)) or len(data)
    report = fit_report(model, {"wall_time_s": round(wall, 2), "spec": str(spec.path),
                                "n_rows": len(data), "n_rows_used": n_used})
    write_run(model, out, spec=spec, report=report, replace=replace,
              plots=not args.no_plots and spec.output.get("plots", True))
    print(f"sampled in {wall:.1f} s ({n_used} of {len(data)} rows used)")
    print_report(model, model.diagnostics(), report["warnings"])
    print(f"wrote {out}")
    return 0
