"""``skillfit forecast [SPEC]``: fit the joint model and forecast k-skill competence.

With no arguments it fits the bundled ``skillmix`` spec (threshold link) on the bundled tables
and prints, for each hypothetical LLM of the spec's ``[forecast]`` section (or
:data:`skillfit.forecasting.DEFAULT_HYPOTHETICAL_LLMS`), the posterior median and interval of
``pi_k`` (chance a random k-tuple of skills is handled) and of the expected Skill-Mix score,
``P(score >= 0.5)`` and the largest k with median ``pi_k >= 0.5``, followed by the convergence
diagnostics in plain words. Parses, calls :func:`skillfit.forecasting.forecast` and
:func:`skillfit.report.write_run`, and prints. ``--from-run DIR`` forecasts from a saved
posterior instead of refitting, into a new folder.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from skillfit.cli._common import (
    DEFAULT_SPEC,
    add_output_args,
    add_sampler_args,
    diagnostics_line,
    load_joint_spec,
    output_folder,
    sampler_overrides,
    say,
    show_progress,
)
from skillfit.errors import SkillfitError

__all__ = ["format_forecast", "parse_compute", "parse_compute_for", "parse_llm", "parse_scale",
           "register", "run"]


# ----------------------------------------------------------------------------- argument parsing
def _number(text: str, what: str, positive: bool = True) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SkillfitError(f"{what} must be a number, got {text!r}") from None
    if not math.isfinite(value) or (positive and value <= 0):
        raise SkillfitError(f"{what} must be a positive number, got {text!r}")
    return value


def parse_llm(text: str) -> dict[str, Any]:
    """``NAME:PARAMS:TOKENS`` (e.g. ``big:4e11:1.5e13``) -> a new hypothetical LLM."""
    parts = text.rsplit(":", 2)
    if len(parts) != 3 or not parts[0]:
        raise SkillfitError(f"--llm expects NAME:PARAMS:TOKENS (e.g. big:4e11:1.5e13), got {text!r}")
    name, n, d = parts
    return {"name": name, "params": _number(n, f"--llm {name}: PARAMS"),
            "tokens": _number(d, f"--llm {name}: TOKENS")}


def parse_compute(text: str) -> dict[str, Any]:
    """``C`` or ``C:TOKENS_PER_PARAM`` (FLOP) -> a compute-optimal (or fixed-ratio) LLM."""
    head, sep, tpp = text.partition(":")
    compute = _number(head, "--compute")
    row: dict[str, Any] = {"name": f"compute {compute:.3g} FLOP", "compute": compute}
    if sep:  # "1e24:" is a missing ratio, not a compute-optimal LLM
        row["tokens_per_param"] = _number(tpp, "--compute TOKENS_PER_PARAM")
        row["name"] += f", {row['tokens_per_param']:g} tokens/param"
    return row


def parse_scale(text: str) -> dict[str, Any]:
    """``LLM:FACTOR`` (e.g. ``GPT-4:10``) -> an observed LLM trained with FACTOR x compute."""
    name, sep, factor = text.rpartition(":")
    if not sep or not name:
        raise SkillfitError(f"--scale expects LLM:FACTOR (e.g. GPT-4:10), got {text!r}")
    value = _number(factor, f"--scale {name}: FACTOR")
    return {"name": f"{name} x{value:g} compute", "of": name, "factor": value}


def parse_compute_for(text: str) -> tuple[int, float, float]:
    """``K:LEVEL[:PROB]`` -> ``(k, level, prob)`` for :func:`skillfit.forecasting.compute_for`."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise SkillfitError(f"--compute-for expects K:LEVEL[:PROB] (e.g. 4:0.5:0.9), got {text!r}")
    try:
        k = int(parts[0])
    except ValueError:
        raise SkillfitError(f"--compute-for: K must be an integer, got {parts[0]!r}") from None
    level = _number(parts[1], "--compute-for LEVEL")
    prob = _number(parts[2], "--compute-for PROB") if len(parts) == 3 else 0.5
    if k < 1 or not 0 < level < 1 or not 0 < prob < 1:
        raise SkillfitError(f"--compute-for: need K >= 1 and LEVEL, PROB in (0, 1), got {text!r}")
    return k, level, prob


def _hypothetical(args: argparse.Namespace, spec: Any) -> list[dict[str, Any]]:
    from skillfit.forecasting import DEFAULT_HYPOTHETICAL_LLMS

    given = ([parse_llm(t) for t in args.llm or []] + [parse_compute(t) for t in args.compute or []]
             + [parse_scale(t) for t in args.scale or []])
    if given:
        rows = given
    elif spec.forecast.get("llms"):
        rows = [dict(r) for r in spec.forecast["llms"]]
    else:
        rows = [dict(r) for r in DEFAULT_HYPOTHETICAL_LLMS]
    names = [r["name"] for r in rows]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise SkillfitError(f"hypothetical LLM names must be unique; repeated: {', '.join(dupes)}")
    return rows


# ----------------------------------------------------------------------------- output
def _fmt(v: float) -> str:
    return "  nan" if not math.isfinite(v) else f"{v:.2f}"


def format_forecast(table: Any, ci_prob: float, level: float = 0.5) -> str:
    """The compact text table printed by ``skillfit forecast``: per LLM and k, the median and
    interval of pi, of the expected score and of the score a new evaluation would measure."""
    pct = f"{ci_prob:.0%}"
    prob_q = f"P(score>={level:g})"
    trials = table.attrs["trials"]
    lines = []
    benchmarks = list(dict.fromkeys(table["benchmark"])) if "benchmark" in table else [None]
    for bench in benchmarks:
        part = table if bench is None else table[table["benchmark"] == bench]
        if len(benchmarks) > 1:
            lines.append(f"== benchmark {bench} ==")
        # a benchmark published without trials: a new published rate, not a count out of n
        measured = ("measured rate" if bench in table.attrs.get("without_trials", ())
                    else f"measured /{trials}")
        heads = [f"pi [{pct}]", f"expected score [{pct}]", f"{measured} [{pct}]"]
        lines.extend(_format_llms(part, heads, prob_q))
    return "\n".join(lines).rstrip() + "\n"


def _format_llms(table: Any, heads: list[str], prob_q: str) -> list[str]:
    """:func:`format_forecast`'s lines of one benchmark."""
    lines = []
    for name in dict.fromkeys(table["llm"]):
        t = table[table["llm"] == name]
        rows = [t[t["quantity"] == q].set_index("k") for q in ("pi", "score", "measured")]
        prob = t[t["quantity"] == prob_q].set_index("k")
        kmax = t[t["quantity"] == "k_max_pi50"]["median"].iloc[0]
        lines.append(name)
        lines.append(f"  {'k':>2}  " + "".join(f"{h:<24}" for h in heads)
                     + (prob_q if len(prob) else ""))
        for k in rows[0].index:
            cols = f"  {int(k):>2}  "
            for r in rows:
                m, lo, hi = r.loc[k, "median"], r.loc[k, "lower"], r.loc[k, "upper"]
                cols += f"{_fmt(m) + ' [' + _fmt(lo) + ', ' + _fmt(hi) + ']':<24}"
            if len(prob):
                cols += f"{prob.loc[k, 'mean']:.2f}"
            lines.append(cols.rstrip())
        lines.append(f"  largest k with median pi >= 0.5: {int(kmax) if kmax > 0 else 'none'}")
        lines.append("")
    return lines


# ----------------------------------------------------------------------------- the command
def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "forecast",
        help="fit the joint skill-graph model and forecast k-skill competence of larger LLMs",
        description=(
            "Fit SPEC (default: the bundled 'skillmix' spec, threshold link, bundled data) and "
            "print, for each hypothetical LLM, the posterior median and 89% equal-tailed "
            "interval of pi_k (chance a random k-tuple of skills is handled), of the "
            "expected Skill-Mix score and of the score a new evaluation of 100 combinations "
            "would measure (with its grading scatter), P(expected score >= 0.5) and the "
            "largest k with median pi_k >= 0.5. Writes a new run folder: posterior.nc, "
            "summary.csv, ppc.csv, forecast.csv, diagnostics.json, run.json and plots. "
            "Hypothetical LLMs come from --llm/--compute/--scale, else the spec's [forecast] "
            "section. The default fit (4 chains x 1500 draws) takes about 2 minutes on 2 cores. "
            "With --from-run RUN the saved posterior is used instead and forecast.csv, "
            "diagnostics.json and the fan chart go to a new folder (default RUN-forecast)."
        ),
    )
    p.add_argument("spec", metavar="SPEC", nargs="?", default=None,
                   help=f"skill_graph spec name or .toml path (default: {DEFAULT_SPEC})")
    add_output_args(p, "the spec's [output] dir; with --from-run, RUN-forecast")
    add_sampler_args(p)
    p.add_argument("--k-max", type=int, metavar="K", help="forecast k = 1..K (default: spec or 8)")
    p.add_argument("--ci-prob", type=float, metavar="P",
                   help="mass of the equal-tailed intervals (default: spec or 0.89)")
    p.add_argument("--llm", action="append", metavar="NAME:PARAMS:TOKENS",
                   help="a new LLM with PARAMS parameters and TOKENS training tokens (repeatable)")
    p.add_argument("--compute", action="append", metavar="C[:TPP]",
                   help="a compute-optimal LLM trained with C FLOP (optionally at TPP tokens "
                        "per parameter) (repeatable)")
    p.add_argument("--scale", action="append", metavar="LLM:FACTOR",
                   help="an observed Skill-Mix LLM (its name or a catalog alias, e.g. "
                        "llama2-70b-chat) trained with FACTOR x its compute (repeatable)")
    p.add_argument("--compute-for", action="append", metavar="K:LEVEL[:PROB]",
                   help="also print the training compute a new compute-optimal LLM needs for "
                        "P(pi_K >= LEVEL) >= PROB (default PROB 0.5) (repeatable)")
    p.add_argument("--from-run", metavar="RUN_DIR",
                   help="forecast from a saved run (folder with posterior.nc) instead of refitting")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.set_defaults(func=run)


def _load_run(target: Path) -> tuple[Any, Path]:
    from skillfit.specs import load_model

    nc = target / "posterior.nc" if target.is_dir() else target
    if not nc.is_file():
        raise SkillfitError(f"--from-run: no posterior.nc in {target} (is it a forecast/fit output folder?)")
    model = load_model(nc)
    if model._model_type != "skill_graph":
        raise SkillfitError(f"--from-run: {nc} holds a {model._model_type!r} model, not skill_graph")
    return model, nc.parent


def _benchmarks(spec: Any) -> list[str] | None:
    """``[forecast] benchmark`` of the spec (None: every benchmark of the fit)."""
    named = spec.forecast.get("benchmark")
    if named is None:
        return None
    return [named] if isinstance(named, str) else list(named)


def _marked(model: Any, table: Any, rows: list[dict[str, Any]]) -> Any:
    """The asked-for LLMs of known compute as fan-chart marks: median and interval per k of pi
    and of the measured score (column ``quantity``) on each benchmark forecast."""
    from skillfit.forecasting import hypothetical_compute

    compute = hypothetical_compute(model, rows)
    rows_ = table[table["quantity"].isin(["pi", "measured"]) & table["llm"].isin(list(compute))]
    return rows_.assign(compute=rows_["llm"].map(compute))[
        ["benchmark", "llm", "compute", "k", "median", "lower", "upper", "quantity"]]


def run(args: argparse.Namespace) -> int:
    import warnings as pywarnings

    from skillfit.errors import ExtrapolationWarning
    from skillfit.forecasting import K_MAX_LIMIT, compute_for, forecast, resolve_llm_name
    from skillfit.intervals import check_ci, interval_label
    from skillfit.report import fit_report, write_run

    spec = load_joint_spec(args.spec)
    overrides = sampler_overrides(args)
    k_max = args.k_max if args.k_max is not None else int(spec.forecast.get("k_max", 8))
    if k_max < 1:
        raise SkillfitError(f"--k-max must be at least 1, got {k_max}")
    if k_max > K_MAX_LIMIT:
        raise SkillfitError(f"--k-max must be at most {K_MAX_LIMIT}, got {k_max}")
    ci = args.ci_prob if args.ci_prob is not None else float(spec.forecast.get("ci_prob", 0.89))
    ci, _ = check_ci(ci, what="--ci-prob")
    levels = [float(v) for v in spec.forecast.get("score_at_least", [0.5])]
    rows = _hypothetical(args, spec)
    targets = [parse_compute_for(t) for t in args.compute_for or []]

    run_dir = None
    if args.from_run:
        model, run_dir = _load_run(Path(args.from_run))
        out, replace = output_folder(args, run_dir.parent / f"{run_dir.name}-forecast")
        data = model.fit_data
    else:
        out, replace = output_folder(args, spec.output_dir())
        data = spec.load_data()
    for row in rows:  # every 'of' names a Skill-Mix LLM (checked before the long fit)
        if row.get("of") is not None:
            resolve_llm_name(row["of"], data, what=f"--scale {row['of']}")
    wall = None
    if run_dir is None:
        model = spec.make_model(**overrides)
        cfg = model.sampler_config
        n_llms = data.loc[data["table"] == "skillmix", "llm"].nunique()
        say(f"fitting {spec.name} ({model.link} link; {n_llms} Skill-Mix LLMs): "
            f"{cfg['chains']} chains x {cfg['draws']} draws after {cfg['tune']} tuning steps, "
            f"{cfg['nuts_sampler']} sampler")
        start = time.perf_counter()
        model.fit(data, random_seed=args.seed, progressbar=show_progress(args))
        wall = time.perf_counter() - start
        say(f"sampled in {wall:.1f} s")
    else:
        say(f"forecasting from {run_dir / 'posterior.nc'} ({model.link} link, seed "
            f"{model.idata.attrs.get('random_seed')})")

    with pywarnings.catch_warnings():
        pywarnings.simplefilter("ignore", ExtrapolationWarning)  # printed below, in words
        table = forecast(model, rows, k_max=k_max, ci_prob=ci, score_at_least=levels,
                         benchmark=_benchmarks(spec))
    print()
    several = len(model.benchmarks) > 1
    score_words = ("the benchmark's score (Skill-Mix: ratio of full marks)" if several
                   else "Skill-Mix ratio of full marks")
    print(f"Forecast ({model.link} link): posterior median [{interval_label(ci)}]. pi = chance a "
          f"random k-tuple of skills is handled (not observable); expected score = {score_words} "
          "averaged over infinitely many combinations; measured /"
          f"{table.attrs['trials']} = the ratio a new evaluation of {table.attrs['trials']} "
          "combinations would measure (the expected score plus its grading scatter: compare "
          "published rates with this one)"
          + ("; measured rate (benchmarks published without trials: "
             f"{', '.join(table.attrs['without_trials'])}) = a new published rate, the expected "
             "score plus the scatter the fit estimates for that benchmark's rates"
             if table.attrs["without_trials"] else ""))
    print()
    sys.stdout.write(format_forecast(table, ci, levels[0] if levels else 0.5))
    for note in table.attrs["warnings"]:
        print(f"warning: {note}")
    inverse = []
    for k, level, prob in targets:
        flop = compute_for(model, k, level, prob)
        inverse.append({"k": k, "level": level, "prob": prob, "compute_flop": flop})
        where = f"{flop:.3g} FLOP" if math.isfinite(flop) else "not reached below 1e31 FLOP"
        print(f"compute for P(pi_{k} >= {level:g}) >= {prob:g} (new compute-optimal LLM): {where}")
    ppc = model.posterior_predictive_check(ci, random_seed=0)
    missed = ppc.loc[~ppc["inside"], ["benchmark", "llm", "k", "observed", "lower", "upper"]]
    print()
    cells = (f"cells ({', '.join(model.benchmarks)})" if several else "Skill-Mix cells")
    print(f"posterior predictive check: {ppc.attrs['coverage']:.0%} of the {len(ppc)} observed "
          f"{cells} lie inside their {interval_label(ci)} of the measured rate"
          + ("" if missed.empty else "; outside: " + ", ".join(
              f"{r.llm} k={r.k}{' (' + r.benchmark + ')' if several else ''} "
              f"({r.observed:.2f} vs [{r.lower:.2f}, {r.upper:.2f}])"
              for r in missed.itertuples())))
    report = fit_report(model, {
        "link": model.link, "spec": str(spec.path), "ppc_coverage": ppc.attrs["coverage"],
        "hypothetical_llms": rows, "k_max": k_max, "ci_prob": ci, "ci_kind": "eti",
        "forecast_warnings": table.attrs["warnings"]})
    print(diagnostics_line(report))
    for row in report.get("rates_without_trials", ()):
        print(f"note: benchmark {row['benchmark']!r} gives rates without trials: they are fitted "
              f"as Beta(score kappa, (1 - score) kappa) with a precision kappa the fit "
              f"estimates, {row['kappa_median']:.3g} [{row['kappa_lower']:.3g}, "
              f"{row['kappa_upper']:.3g}] ({row['cells']} cells; 0 stands for below "
              f"{row['half']:g}, 1 for above {1 - row['half']:g})")
    for msg in report["warnings"]:
        print(f"warning: {msg}")
    if not report["warnings"]:
        print("no convergence warnings: R-hat, ESS and divergences are within the thresholds")
    if inverse:
        report["compute_for"] = inverse
    if wall is not None:
        report["wall_time_s"] = round(wall, 2)
    if run_dir is not None:
        report["from_run"] = str(run_dir)
    plots = not args.no_plots and spec.output.get("plots", True)
    written = write_run(model, out, spec=spec, report=report, forecast=table,
                        marked=_marked(model, table, rows) if plots else None, plots=plots,
                        replace=replace, ci_prob=ci, posterior=run_dir is None)
    print(f"wrote {out}: {', '.join(written)}")
    return 0
