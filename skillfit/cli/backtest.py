"""``skillfit backtest [SPEC]``: refit without the largest open LLMs and forecast them.

For each link the joint model is refitted without the Skill-Mix rows of the held-out LLMs
(default: the 70B+ open models; their catalog and loss rows stay), each held-out LLM is
forecast as a *new* model of its (params, tokens, family), and the posterior draws of its
expected Skill-Mix ratio of full marks at every observed k are scored against the observed
values: CRPS and mean absolute error in points (x 100) and the coverage of the 89% interval,
side by side per link (the logistic link is the phenomenological baseline to beat).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import numpy as np

from skillfit.errors import SkillfitError
from skillfit.intervals import median_and_interval

__all__ = ["backtest_models", "register", "run"]


def register(sub: argparse._SubParsersAction) -> None:
    from skillfit.backtest import HOLDOUT_LLMS
    from skillfit.cli.forecast import DEFAULT_SPEC, add_sampler_args

    p = sub.add_parser(
        "backtest",
        help="refit each link without the largest open LLMs, forecast them, score CRPS/coverage/MAE",
        description=(
            "Refit SPEC (default: the bundled 'skillmix' spec) once per link without the "
            "Skill-Mix rows of the held-out LLMs (default: " + ", ".join(HOLDOUT_LLMS) + "), "
            "forecast their ratio of full marks at each observed k as new models of their "
            "size and family, and print CRPS and absolute error (points) and 89% interval "
            "coverage per link."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help=f"skill_graph spec name or .toml path (default: {DEFAULT_SPEC})")
    p.add_argument("--links", metavar="L1,L2", default=None,
                   help="comma-separated links (default: threshold,independent,logistic)")
    p.add_argument("--holdout", metavar="LLM", action="append",
                   help="an LLM to hold out (repeatable; default: the 70B+ open LLMs)")
    p.add_argument("--hdi-prob", type=float, default=0.89, metavar="P",
                   help="interval mass for coverage (default 0.89)")
    p.add_argument("--out", metavar="DIR", help="write backtest.csv and backtest_summary.csv")
    add_sampler_args(p)
    p.set_defaults(func=run)


def backtest_models(models: dict[str, Any], data: Any, heldout: Any, names: list[str],
                    metric: str, prob: float = 0.89) -> tuple[Any, Any]:
    """Score fitted ``{link: model}`` on the ``heldout`` Skill-Mix rows.

    Forecasts are the posterior predictive of the *measured* rate (expected score plus the
    Beta-Binomial scatter of ``n_combinations`` graded texts). Returns ``(cells, summary)``:
    one row per (link, llm, k) with the observed value, the predictive median and interval and
    the CRPS (points); one row per link with CRPS, coverage, MAE (points) and the number of
    cells.
    """
    import pandas as pd

    from skillfit.backtest import crps_from_samples, holdout_llms, score_draws, score_table
    from skillfit.models.links import simulate_rates

    obs = heldout[heldout["metric"] == metric]
    if obs.empty:
        raise SkillfitError(f"backtest: the held-out LLMs have no {metric!r} rows")
    llms = holdout_llms(data, names)
    k_all = np.arange(1, int(obs["k"].max()) + 1, dtype=float)
    cells, summary = [], []
    n_trials = obs["n_combinations"].to_numpy(int)[:, None]
    for link, model in models.items():
        draws = score_draws(model, llms, k_all)  # (n_llm, K, S)
        idx_l = np.array([names.index(m) for m in obs["llm"]])
        idx_k = obs["k"].to_numpy(int) - 1
        # The published value is a rate measured on n_k combinations: score it against the
        # predictive distribution of that rate (Beta-Binomial scatter included), not against
        # the expected score, whose interval a measured 0 of 47 can never fall inside.
        kappa = np.asarray(model.shared_parameters()["kappa"], float)[None, :]
        d = simulate_rates(draws[idx_l, idx_k, :], kappa, n_trials, np.random.default_rng(0))
        y = obs["value"].to_numpy(float)
        crps = crps_from_samples(d, y) * 100.0
        q = np.stack(median_and_interval(d, prob))
        for j, (name, k) in enumerate(zip(obs["llm"], obs["k"], strict=True)):
            cells.append({"link": link, "llm": name, "k": int(k), "observed": y[j],
                          "median": q[0, j], "lower": q[1, j], "upper": q[2, j],
                          "crps_points": crps[j]})
        s = score_table(d, y, prob)
        diag = model.diagnostics()
        summary.append({"link": link, "crps_points": s["crps"], "coverage": s["coverage"],
                        "mae_points": s["mae"], "n_cells": s["n"],
                        "max_r_hat": diag["max_r_hat"], "divergences": diag["divergences"]})
    return pd.DataFrame(cells), pd.DataFrame(summary).set_index("link")


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from skillfit.backtest import HOLDOUT_LLMS, holdout_llms, holdout_split
    from skillfit.cli.compare import fit_links, parse_links
    from skillfit.cli.fit import show_progress
    from skillfit.cli.forecast import check_out_dir, load_joint_spec, sampler_overrides
    from skillfit.outputs import staged_dir

    spec = load_joint_spec(args.spec)
    links = parse_links(args.links) if args.links else parse_links(None)
    if not 0 < args.hdi_prob < 1:
        raise SkillfitError(f"--hdi-prob must be in (0, 1), got {args.hdi_prob}")
    overrides = sampler_overrides(args)
    out = Path(args.out) if args.out else None
    if out is not None:
        check_out_dir(out)
    names = list(dict.fromkeys(args.holdout or HOLDOUT_LLMS))
    data = spec.load_data()
    train, heldout = holdout_split(data, names)
    holdout_llms(data, names)  # fail before fitting if a held-out LLM has no known size
    metric = spec.model_config.get("metric", "ratio_of_full_marks")
    print(f"holding out the Skill-Mix rows of {', '.join(names)} "
          f"({int((heldout['metric'] == metric).sum())} cells)", flush=True)
    models = fit_links(spec, links, overrides, args.seed, show_progress(args), data=train)
    cells, summary = backtest_models(models, data, heldout, names, metric, args.hdi_prob)

    pct = f"{args.hdi_prob:.0%}"
    wide = cells.pivot_table(index=["llm", "k"], columns="link", values="median", sort=False)
    obs = cells.drop_duplicates(["llm", "k"]).set_index(["llm", "k"])["observed"]
    wide.insert(0, "observed", obs)
    wide.columns.name = None
    print()
    print("Held-out ratio of full marks: observed vs forecast median per link")
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(wide[["observed", *links]].to_string(float_format=lambda v: f"{v:.2f}"))
    print()
    print(f"Backtest scores (lower CRPS/MAE is better; CRPS and MAE in points = x100; "
          f"coverage of the {pct} interval, nominal {args.hdi_prob:.2f}):")
    shown = summary.rename(columns={"crps_points": "CRPS", "coverage": f"{pct} coverage",
                                    "mae_points": "MAE", "n_cells": "cells"})
    with pd.option_context("display.width", 160, "display.max_columns", 20):
        print(shown.to_string(float_format=lambda v: f"{v:.3g}"))
    best = summary["crps_points"].idxmin()
    print(f"\nbest CRPS: {best}")
    bad = [link for link in links if not (summary.at[link, "max_r_hat"] <= 1.01
                                          and summary.at[link, "divergences"] == 0)]
    if bad:
        print(f"warning: the fits of {', '.join(bad)} did not converge cleanly (R-hat > 1.01 or "
              "divergences): their scores are less trustworthy; run more draws")
    if out is not None:
        with staged_dir(out) as stage:
            cells.to_csv(stage / "backtest.csv", index=False)
            summary.to_csv(stage / "backtest_summary.csv")
        print(f"wrote {out}: backtest.csv, backtest_summary.csv")
    return 0
