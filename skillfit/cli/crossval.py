"""``skillfit crossval [SPEC]``: exact-refit cross-validation against null baselines.

Parses, calls :func:`skillfit.crossval.crossval` and :func:`skillfit.crossval.sensitivity` on a
:class:`skillfit.runner.Runner`, prints the tables and writes the run folder.
"""

from __future__ import annotations

import argparse
import json
import time

from skillfit.cli._common import (
    OUTPUT_ROOT,
    add_output_args,
    add_sampler_args,
    load_joint_spec,
    output_folder,
    print_table,
    sampler_overrides,
    say,
)

__all__ = ["register", "run"]

#: ``--quick``: fewer chains, draws and tuning steps (numbers noisier; for a first look).
QUICK = {"chains": 2, "draws": 100, "tune": 150}
#: Default sampler settings of the crossval refits (each fold is one of ~50 refits).
CROSSVAL_SAMPLER = {"chains": 4, "draws": 500, "tune": 400}


def register(sub: argparse._SubParsersAction) -> None:
    from skillfit.crossval import SCHEMES

    p = sub.add_parser(
        "crossval",
        help="cross-validate every link against null baselines (exact refits per fold) and "
             "check the default fit's sensitivity",
        description=(
            "Refit SPEC (default: the bundled 'skillmix' spec) per fold and link for the "
            "schemes " + ", ".join(SCHEMES) + " (leave one LLM out; hold out every LLM's top "
            "k; hold out LLMs above a compute cut), score the held-out measured rates (elpd, "
            "CRPS, MAE, 50%/89% coverage) beside two null baselines (per-k mean; per-k "
            "logistic in log compute) with paired differences and standard errors, then run "
            "the sensitivity checks (power-scaling; tau, law, loss-only families). Refits run "
            "on a Dask cluster (local by default). See docs/validation.md."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help="skill_graph spec name or .toml path (default: skillmix)")
    p.add_argument("--schemes", metavar="S1,S2", default=",".join(SCHEMES),
                   help=f"comma-separated schemes (default: {','.join(SCHEMES)})")
    p.add_argument("--links", metavar="L1,L2", default=None,
                   help="comma-separated links (default: threshold,independent,logistic)")
    p.add_argument("--quick", action="store_true",
                   help=f"{QUICK['chains']} chains x {QUICK['draws']} draws after "
                        f"{QUICK['tune']} tuning steps per refit (default "
                        f"{CROSSVAL_SAMPLER['chains']} x {CROSSVAL_SAMPLER['draws']} after "
                        f"{CROSSVAL_SAMPLER['tune']})")
    p.add_argument("--no-sensitivity", dest="sensitivity", action="store_false",
                   help="skip the sensitivity fits")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="address of a running dask.distributed scheduler (default: start a "
                        "local cluster with one worker process per core)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="workers of the local cluster (default: available cores)")
    p.add_argument("--serial", action="store_true", help="run the refits in this process")
    p.add_argument("--baseline", metavar="DIR",
                   help="folder of an earlier crossval run: also print each link's paired "
                        "difference against the same link there (the cells both hold out)")
    add_output_args(p, str(OUTPUT_ROOT / "crossval"))
    add_sampler_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from skillfit import provenance
    from skillfit.compare import check_links
    from skillfit.crossval import (
        SCHEMES,
        check_sensitivity_data,
        crossval,
        paired_differences,
        paired_runs,
        read_folds,
        sensitivity,
        summarise,
        summary_with_paired,
        with_open_only,
    )
    from skillfit.errors import SkillfitError
    from skillfit.outputs import staged_dir
    from skillfit.plots import save_png
    from skillfit.plots.crossval import calibration_figure, llm_errors_figure
    from skillfit.runner import Runner

    start = time.perf_counter()
    spec = load_joint_spec(args.spec)
    links = check_links(args.links, minimum=1)
    schemes = [s.strip() for s in args.schemes.split(",") if s.strip()]
    for s in schemes:
        if s not in SCHEMES:
            raise SkillfitError(f"--schemes: unknown scheme {s!r}; choose from "
                                f"{', '.join(SCHEMES)}")
    overrides = {k: v for k, v in sampler_overrides(args).items() if v is not None}
    sampler = {**spec.sampler_config, **(QUICK if args.quick else CROSSVAL_SAMPLER), **overrides}
    seed = args.seed if args.seed is not None else int(spec.sampler_config.get("random_seed") or 0)
    out, replace = output_folder(args, OUTPUT_ROOT / "crossval")
    baseline = read_folds(args.baseline) if args.baseline else None
    data = spec.load_data()
    if args.sensitivity:
        check_sensitivity_data(data)  # before hours of refits
    model_config = {k: v for k, v in spec.model_config.items() if k != "link"}

    with Runner(scheduler=args.scheduler, n_workers=args.workers, serial=args.serial,
                report=say) as runner:
        say(f"running refits {runner.description}")
        folds = crossval(data, schemes, links, model_config, sampler, seed, runner, report=say)
        psense = variants = None
        if args.sensitivity:
            say("sensitivity: default fit (power-scaling) and structural variants")
            psense, variants = sensitivity(data, model_config, sampler, seed, runner, report=say)
    scored = with_open_only(folds)
    summary = summarise(scored)
    paired = paired_differences(scored)
    against = paired_runs(scored, with_open_only(baseline)) if baseline is not None else None

    for scheme in dict.fromkeys(summary["scheme"]):
        part = summary[summary["scheme"] == scheme].set_index("method")
        print()
        print(f"Scheme {scheme}: {int(part['cells'].iloc[0])} held-out cells "
              "(elpd = sum of log predictive densities; CRPS, MAE in points; coverage of the "
              "measured rate)")
        print_table(part.drop(columns=["scheme"]), ".3g")
        print("paired differences, model - null:")
        for line in paired.loc[paired["scheme"] == scheme, "verdict"]:
            print(f"  {line}")
    if against is not None:
        print()
        print(f"Against the baseline run {args.baseline} (this run - baseline, paired over the "
              "cells both hold out):")
        for _, row in against.iterrows():
            print(f"  {row['scheme']} ({row['cells']} cells): {row['verdict']}")
    if psense is not None:
        print()
        print("Power-scaling sensitivity of the default fit (arviz_stats.psense_summary):")
        print_table(psense, ".3f")
        flagged = [str(i) for i, d in psense["diagnosis"].items() if d != "✓"]
        print(f"flagged: {', '.join(flagged) if flagged else 'none'}")
        moved = variants[(variants["variant"] != "default") & variants["moved"]]
        print()
        print("Structural variants: default-LLM score forecasts whose median moved by more than "
              "the default's 89% half-width:")
        if moved.empty:
            print("  none")
        else:
            print_table(moved[["variant", "llm", "k", "default_median", "median",
                               "default_half_width"]].set_index("variant"), ".3f")
    wall = time.perf_counter() - start
    manifest = {
        "command": "skillfit crossval " + " ".join(
            f"--{k.replace('_', '-')}={v}" for k, v in sorted(vars(args).items())
            if k not in ("func", "command") and v not in (None, False)),
        "spec": spec.name, "benchmark": folds.attrs.get("benchmark"), "schemes": schemes,
        "links": links, "random_seed": seed,
        "sampler_config": {k: v for k, v in sampler.items() if k in
                           ("draws", "tune", "chains", "target_accept", "nuts_sampler")},
        "model_config": json.loads(json.dumps(model_config, default=str)),
        "data_sha256": provenance.data_sha256(data), "versions": provenance.versions(),
        "runner": runner.description, "wall_seconds": round(wall, 1),
    }
    with staged_dir(out, replace) as stage:
        folds.to_csv(stage / "folds.csv", index=False)
        summary_with_paired(summary, paired).to_csv(stage / "summary.csv", index=False)
        paired.to_csv(stage / "paired.csv", index=False)
        if against is not None:
            against.to_csv(stage / "baseline.csv", index=False)
        if psense is not None:
            variants.to_csv(stage / "sensitivity.csv", index=False)
            psense.to_csv(stage / "psense.csv")
        save_png(calibration_figure(folds), stage / "calibration.png", dpi=120)
        save_png(llm_errors_figure(folds), stage / "llm_errors.png", dpi=120)
        (stage / "run.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")
    print(f"\nwrote {out} (wall time {wall / 60:.1f} min)")
    return 0
