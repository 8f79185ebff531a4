"""``skillfit backtest [SPEC]``: refit without the largest open LLMs and forecast them; or, for a
scaling-law spec, fit below compute cuts and predict the runs beyond.

Parses, calls :func:`skillfit.backtest.holdout_split`, :func:`skillfit.compare.fit_links` and
:func:`skillfit.backtest.backtest_models` (joint specs) or
:func:`skillfit.scaling_backtest.scaling_backtest` (scaling-law specs), and prints.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from skillfit.cli._common import (
    DEFAULT_SPEC,
    add_sampler_args,
    check_out_dir,
    load_joint_spec,
    print_table,
    sampler_overrides,
    say,
    show_progress,
)
from skillfit.intervals import CI_PROB, check_ci

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    from skillfit.backtest import HOLDOUT_LLMS

    p = sub.add_parser(
        "backtest",
        help="refit without the largest LLMs (or, for a scaling law, below compute cuts) and "
             "score the forecasts of what was left out",
        description=(
            "Joint spec (default: the bundled 'skillmix' spec): refit SPEC once per link "
            "without the Skill-Mix rows of the held-out LLMs (default: "
            + ", ".join(HOLDOUT_LLMS) + "), forecast their ratio of full marks at each observed "
            "k as new models of their size and family, and print CRPS and absolute error "
            "(points) and the coverage of the equal-tailed interval per link. "
            "Scaling-law spec (e.g. 'chinchilla'): fit below each compute cut (--cuts), "
            "predict the runs at >= --beyond times the cut, and print the median absolute "
            "relative error and the 50%/89% interval coverage next to an Epoch-style Huber "
            "point fit on the same runs."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help=f"spec name or .toml path (default: {DEFAULT_SPEC})")
    p.add_argument("--links", metavar="L1,L2", default=None,
                   help="comma-separated links (default: threshold,independent,logistic)")
    p.add_argument("--holdout", metavar="LLM", action="append",
                   help="an LLM to hold out (repeatable; default: the 70B+ open LLMs)")
    p.add_argument("--ci-prob", type=float, default=CI_PROB, metavar="P",
                   help=f"mass of the equal-tailed interval for coverage (default {CI_PROB})")
    p.add_argument("--cuts", metavar="C1,C2", default=None,
                   help="scaling-law specs: comma-separated compute cuts in FLOP "
                        "(default: 1e20,3e20)")
    p.add_argument("--beyond", type=float, default=3.0, metavar="X",
                   help="scaling-law specs: predict runs at >= X times the cut (default 3)")
    p.add_argument("--out", metavar="DIR",
                   help="write backtest.csv and backtest_summary.csv into DIR (a new folder)")
    p.add_argument("--force", action="store_true",
                   help="replace the --out folder whole if it already holds files")
    add_sampler_args(p)
    p.set_defaults(func=run)


def _cuts(text: str | None) -> tuple[float, ...]:
    from skillfit.errors import ArgumentError
    from skillfit.scaling_backtest import CUTS

    if text is None:
        return CUTS
    try:
        cuts = tuple(float(c) for c in text.split(",") if c.strip())
    except ValueError:
        raise ArgumentError(f"--cuts: expected comma-separated numbers of FLOP such as "
                            f"1e20,3e20, got {text!r}") from None
    if not cuts or any(not (c > 0 and c < float("inf")) for c in cuts):
        raise ArgumentError(f"--cuts: every cut must be a positive number of FLOP, got {text!r}")
    return cuts


def run_scaling(args: argparse.Namespace, spec: Any) -> int:
    """The compute-ordered backtest of a scaling-law spec (see the module docstring)."""
    from skillfit.errors import ArgumentError
    from skillfit.outputs import staged_dir
    from skillfit.scaling_backtest import scaling_backtest

    cuts = _cuts(args.cuts)
    if not (args.beyond >= 1 and args.beyond < float("inf")):
        raise ArgumentError(f"--beyond must be a number >= 1, got {args.beyond}")
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out, args.force)
    overrides = sampler_overrides(args)
    sampler = {**spec.sampler_config, **{k: v for k, v in overrides.items() if v is not None},
               "progressbar": show_progress(args)}
    seed = args.seed if args.seed is not None else spec.sampler_config.get("random_seed", 0)
    runs, summary = scaling_backtest(spec.load_data(), cuts, args.beyond, spec.model_config,
                                     sampler, int(seed), report=say)
    formats = {"median_are": "{:.2%}", "huber_median_are": "{:.2%}", "are_ratio": "{:.2f}",
               "coverage_50": "{:.2f}", "coverage_89": "{:.2f}", "max_r_hat": "{:.3f}",
               "min_ess_bulk": "{:.0f}", "divergences": "{:.0f}", "kappa": "{:.4f}"}
    shown = summary.assign(cut=summary["cut"].map("{:.0e}".format), **{
        col: summary[col].map(fmt.format) for col, fmt in formats.items()}).rename(columns={
        "n_train": "fit", "n_test": "predict", "median_are": "ARE posterior",
        "huber_median_are": "ARE Huber", "are_ratio": "ratio", "coverage_50": "50% cov.",
        "coverage_89": "89% cov.", "max_r_hat": "R-hat", "min_ess_bulk": "ESS",
        "divergences": "div."})
    print()
    print(f"Compute-ordered backtest of {spec.name}: fit below each cut, predict runs at "
          f">= {args.beyond:g}x it (median ARE = |forecast / observed - 1| of the posterior "
          "median and of the Huber point fit, ratio < 1: the posterior is better; coverage "
          "of the equal-tailed predictive interval)")
    print_table(shown.set_index("cut"))
    if not ((summary["max_r_hat"] <= 1.01) & (summary["divergences"] == 0)).all():
        print("warning: a fit did not converge cleanly (R-hat > 1.01 or divergences): "
              "its scores are less trustworthy; run more draws")
    if out is not None:
        with staged_dir(out, replace=args.force) as stage:
            runs.to_csv(stage / "scaling_backtest.csv", index=False)
            summary.to_csv(stage / "scaling_backtest_summary.csv", index=False)
        print(f"wrote {out}: scaling_backtest.csv, scaling_backtest_summary.csv")
    return 0


def run(args: argparse.Namespace) -> int:
    from skillfit.backtest import HOLDOUT_LLMS, backtest_models, holdout_llms, holdout_split
    from skillfit.compare import check_links, fit_links
    from skillfit.outputs import staged_dir
    from skillfit.specs import load_spec

    if args.spec is not None:
        named = load_spec(args.spec)
        if named.model_type == "scaling_law":
            return run_scaling(args, named)
    spec = load_joint_spec(args.spec)
    links = check_links(args.links, minimum=1)
    ci_prob, _ = check_ci(args.ci_prob, what="--ci-prob")
    overrides = sampler_overrides(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out, args.force)  # before the fits, not after
    names = list(dict.fromkeys(args.holdout or HOLDOUT_LLMS))
    data = spec.load_data()
    train, heldout = holdout_split(data, names)
    holdout_llms(data, names)  # fail before fitting if a held-out LLM has no known size
    metric = spec.model_config.get("metric", "ratio_of_full_marks")
    say(f"holding out the Skill-Mix rows of {', '.join(names)} "
        f"({int((heldout['metric'] == metric).sum())} cells)")
    sampler = {**spec.sampler_config, **{k: v for k, v in overrides.items() if v is not None}}
    models = fit_links(links, train, spec.model_config, sampler, args.seed, show_progress(args),
                       report=say)
    cells, summary = backtest_models(models, data, heldout, names, metric, ci_prob)

    pct = f"{ci_prob:.0%}"
    wide = cells.pivot_table(index=["llm", "k"], columns="link", values="median", sort=False)
    obs = cells.drop_duplicates(["llm", "k"]).set_index(["llm", "k"])["observed"]
    wide.insert(0, "observed", obs)
    wide.columns.name = None
    print()
    print("Held-out ratio of full marks: observed vs forecast median per link")
    print_table(wide[["observed", *links]])
    print()
    print(f"Backtest scores (lower CRPS/MAE is better; CRPS and MAE in points = x100; "
          f"coverage of the {pct} equal-tailed interval, nominal {ci_prob:.2f}):")
    shown = summary.rename(columns={"crps_points": "CRPS", "coverage": f"{pct} coverage",
                                    "mae_points": "MAE", "n_cells": "cells"})
    print_table(shown, ".3g")
    print(f"\nbest CRPS: {summary['crps_points'].idxmin()}")
    bad = [link for link in links if not (summary.at[link, "max_r_hat"] <= 1.01
                                          and summary.at[link, "divergences"] == 0)]
    if bad:
        print(f"warning: the fits of {', '.join(bad)} did not converge cleanly (R-hat > 1.01 or "
              "divergences): their scores are less trustworthy; run more draws")
    if out is not None:
        with staged_dir(out, replace=args.force) as stage:
            cells.to_csv(stage / "backtest.csv", index=False)
            summary.to_csv(stage / "backtest_summary.csv")
        print(f"wrote {out}: backtest.csv, backtest_summary.csv")
    return 0
