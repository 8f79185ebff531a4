"""Run folders: what a fit or a forecast writes, as library calls.

The command line and a Python user write the same folder with the same functions:

- :func:`fit_report` — the diagnostics of a fitted model with plain-words warnings and the
  settings that reproduce it (``diagnostics.json``);
- :func:`write_plots` — trace and rank plots (ArviZ) and the model's own check plots;
- :func:`write_run` — a whole run folder (``posterior.nc``, ``summary.csv``,
  ``diagnostics.json``, ``run.json``, for the joint model ``ppc.csv``, optionally a forecast
  table and plots), assembled in a temporary folder and moved into place only on success.

A run folder holds one run: writing into a folder that holds files fails unless
``replace=True``, which replaces it whole (see :func:`skillfit.outputs.staged_dir`).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from skillfit.intervals import CI_PROB
from skillfit.outputs import staged_dir, write_text

__all__ = ["fit_report", "write_forecast_plots", "write_plots", "write_run"]


def fit_report(model: Any, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Diagnostics (see :meth:`~skillfit.models.base.ModelBuilder.diagnostics`) with plain-words
    ``warnings``, ``random_seed``, ``nuts_sampler``, for a joint fit with benchmarks published
    without trials their estimated precision (``rates_without_trials``), and ``extra`` merged
    in."""
    diag = model.diagnostics()
    report = dict(diag)
    report.update({"warnings": model.warnings(diag),
                   "random_seed": int(model.idata.attrs.get("random_seed", -1)),
                   "nuts_sampler": model.idata.attrs.get("nuts_sampler")})
    without = getattr(model, "rates_without_trials", None)
    if without is not None and len(table := without()):
        report["rates_without_trials"] = table.to_dict("records")
    report.update(dict(extra or {}))
    return report


def _save(fig: Any, path: Path) -> None:
    from skillfit.plots import save_png

    save_png(fig, path)


def write_plots(model: Any, folder: str | os.PathLike[str], var_names: Sequence[str] | None = None,
                ci_prob: float = CI_PROB) -> list[str]:
    """Write the diagnostics and check plots of a fitted ``model`` into ``folder``.

    ``trace.png`` (densities and traces per chain, divergences marked) and ``rank.png`` (rank
    ECDF-difference plots with a uniformity test) are ArviZ's; a scaling law adds
    ``ppc_loss_vs_compute.png`` and ``posterior.png``, the joint model ``prior_predictive.png``
    and ``skillmix_kcurves.png``. Returns the file names written.
    """
    import arviz_plots as ap

    from skillfit import checks

    folder = Path(folder)
    names = list(var_names) if var_names is not None else list(model.diagnostics()["parameters"])
    written = []
    for name, plot in (("trace.png", ap.plot_trace_dist), ("rank.png", ap.plot_rank_dist)):
        _save(plot(model.idata, var_names=names, backend="matplotlib"), folder / name)
        written.append(name)
    if model._model_type == "scaling_law":
        from skillfit.plots.scaling import (
            PUBLISHED,
            loss_vs_compute_figure,
            posterior_vs_published_figure,
        )

        refs = PUBLISHED if _is_bundled_chinchilla(model) else None
        runs = checks.scaling_runs(model, ci_prob)
        grid = _compute_grid(runs["compute"])
        _save(loss_vs_compute_figure(runs, checks.scaling_frontier(model, grid, ci_prob), refs),
              folder / "ppc_loss_vs_compute.png")
        _save(posterior_vs_published_figure(checks.scaling_draws(model), references=refs),
              folder / "posterior.png")
        written += ["ppc_loss_vs_compute.png", "posterior.png"]
    if model._model_type == "skill_graph":
        from skillfit.forecasting import kcurve_table
        from skillfit.plots.skillmix import kcurves_figure, prior_predictive_figure

        prior = checks.prior_predictive_cells(model)
        fitted = checks.fitted_cells(model, ci_prob)
        for i, bench in enumerate(model.benchmarks):  # one pair of figures per benchmark
            tag = "" if i == 0 else f"_{_file_tag(bench)}"
            kname = ("skillmix" if bench == "skillmix" else _file_tag(bench)) + "_kcurves.png"
            cells = prior[prior["benchmark"] == bench]
            cells.attrs.update(prior.attrs)
            _save(prior_predictive_figure(cells, benchmark=bench),
                  folder / f"prior_predictive{tag}.png")
            _save(kcurves_figure(kcurve_table(model, ci_prob=ci_prob, benchmark=bench),
                                 fitted[fitted["benchmark"] == bench], model.link,
                                 benchmark=bench), folder / kname)
            written += [f"prior_predictive{tag}.png", kname]
    return written


def _file_tag(name: str) -> str:
    """A benchmark name as part of a file name (letters, digits, ``-`` and ``_``)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "benchmark"


def write_forecast_plots(model: Any, folder: str | os.PathLike[str],
                         marked: pd.DataFrame | None = None) -> list[str]:
    """The fan charts of a new compute-optimal LLM along training compute, per benchmark.

    ``forecast_fan.png`` draws pi_k with the observed open LLMs' posterior medians;
    ``forecast_fan_measured.png`` the score a new evaluation would measure, with the published
    rates of the observed open LLMs. Those two are the fit's reference benchmark's; every other
    benchmark gets ``forecast_fan_NAME.png`` and ``forecast_fan_measured_NAME.png``. ``marked``
    LLMs (``llm, compute, k, median, lower, upper`` and ``quantity``, ``pi`` or ``measured``;
    optionally ``benchmark``, else the reference's) are drawn on the chart of their quantity
    (all on the pi chart when there is no ``quantity`` column).
    """
    from skillfit.forecasting import fan_table, observed_points, observed_rates
    from skillfit.plots.skillmix import fan_chart_figure

    ks = (2, 3, 4, 5)

    def of(quantity: str, bench: str) -> pd.DataFrame | None:
        if marked is None:
            return None
        rows = marked
        if "benchmark" in rows:
            rows = rows[rows["benchmark"] == bench].drop(columns="benchmark")
        elif bench != model.benchmarks[0]:
            return None
        if "quantity" not in rows:
            return rows if quantity == "pi" else None
        return rows[rows["quantity"] == quantity].drop(columns="quantity")

    written = []
    for i, bench in enumerate(model.benchmarks):
        tag = "" if i == 0 else f"_{_file_tag(bench)}"
        _save(fan_chart_figure(fan_table(model, ks, benchmark=bench),
                               observed_points(model, ks, benchmark=bench), of("pi", bench)),
              Path(folder) / f"forecast_fan{tag}.png")
        _save(fan_chart_figure(fan_table(model, ks, quantity="measured", benchmark=bench),
                               observed_rates(model, ks, benchmark=bench), of("measured", bench),
                               points_label="published"),
              Path(folder) / f"forecast_fan_measured{tag}.png")
        written += [f"forecast_fan{tag}.png", f"forecast_fan_measured{tag}.png"]
    return written


def write_run(model: Any, out: str | os.PathLike[str], *, spec: Any = None,
              report: Mapping[str, Any] | None = None, forecast: pd.DataFrame | None = None,
              marked: pd.DataFrame | None = None, plots: bool = True, replace: bool = False,
              ci_prob: float = CI_PROB, posterior: bool = True) -> list[str]:
    """Write a run folder for a fitted ``model`` at ``out``; return the file names written.

    Parameters
    ----------
    model : ModelBuilder
        A fitted model.
    out : path
        The run folder; it must not hold files unless ``replace`` (then it is replaced whole).
    spec : Spec, optional
        The spec the model came from (recorded in ``run.json``).
    report : mapping, optional
        ``diagnostics.json`` (default :func:`fit_report`).
    forecast : pandas.DataFrame, optional
        A forecast table, written as ``forecast.csv`` one row per (benchmark, LLM, k)
        (:func:`skillfit.forecasting.forecast_by_k`; with the fan charts of
        :func:`write_forecast_plots` if ``plots``).
    marked : pandas.DataFrame, optional
        LLMs to mark on the fan chart.
    plots : bool
        Write the PNG plots.
    replace : bool
        Replace an existing run folder whole.
    ci_prob : float
        Interval mass of the summary and checks.
    posterior : bool
        Write ``posterior.nc``, ``summary.csv``, ``run.json`` and the fit's check plots; false
        for a forecast from a saved run (its folder already holds them).
    """
    from skillfit.provenance import run_manifest

    written: list[str] = []
    report = dict(report) if report is not None else fit_report(model)
    with staged_dir(out, replace=replace) as stage:
        if posterior:
            model.save(stage / "posterior.nc")
            model.summary().to_csv(stage / "summary.csv", index_label="parameter")
            write_text(stage / "run.json",
                       json.dumps(run_manifest(model, spec), indent=2, default=str) + "\n")
            written += ["posterior.nc", "summary.csv", "run.json"]
            if model._model_type == "skill_graph":
                model.posterior_predictive_check(ci_prob, random_seed=0).to_csv(
                    stage / "ppc.csv", index=False)
                written.append("ppc.csv")
        write_text(stage / "diagnostics.json", json.dumps(report, indent=2, default=str) + "\n")
        written.append("diagnostics.json")
        if forecast is not None:
            from skillfit.forecasting import forecast_by_k

            forecast_by_k(forecast).to_csv(stage / "forecast.csv", index=False)
            written.append("forecast.csv")
        if plots:
            if posterior:
                written += write_plots(model, stage, ci_prob=ci_prob)
            if forecast is not None:
                written += write_forecast_plots(model, stage, marked)
    return written


def _compute_grid(compute: pd.Series) -> Any:
    import numpy as np

    return np.logspace(np.log10(float(compute.min())), np.log10(float(compute.max()) * 30), 60)


def _is_bundled_chinchilla(model: Any) -> bool:
    """Whether a scaling law was fitted on the bundled Chinchilla runs (or a subset of them):
    only then are the published fits of that corpus a meaningful reference."""
    from skillfit import datasets

    bundled = datasets.load("chinchilla")[["params", "tokens", "loss"]]
    mine = model.fit_data[["params", "tokens", "loss"]]
    keys = set(map(tuple, bundled.round(6).to_numpy()))
    return all(tuple(row) in keys for row in mine.round(6).to_numpy())
