"""Figures of the joint model's fits and forecasts, drawn from tables (never from a model).

Each figure takes the tables that :mod:`skillfit.forecasting` and :mod:`skillfit.checks` compute,
so computing and drawing are separate steps and a user can plot their own tables:

- :func:`kcurves_figure`: per Skill-Mix LLM, the observed ratio of full marks against k with the
  posterior expected score — per observed cell (:func:`skillfit.checks.fitted_cells`) and as a
  curve over k (:func:`skillfit.forecasting.kcurve_table`).
- :func:`fan_chart_figure`: the forecast ``pi_k`` of a new compute-optimal LLM against training
  compute (:func:`skillfit.forecasting.fan_table`), with the observed open LLMs
  (:func:`skillfit.forecasting.observed_points`) and, optionally, the LLMs a user asked about.
- :func:`prior_predictive_figure`: per Skill-Mix LLM, the prior predictive of the ratio of full
  marks (:func:`skillfit.checks.prior_predictive_cells`) against k, with the observed values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from skillfit.intervals import interval_label

__all__ = ["fan_chart_figure", "kcurves_figure", "prior_predictive_figure"]

_MARKERS = "osD^v<>pPX*h"


def _panel_grid(n: int, ncols: int, width: float, height: float, extra: float
                ) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels (shared axes), ``ncols`` per row; axes flattened."""
    nrows = int(np.ceil(n / ncols))
    fig = Figure(figsize=(width * ncols, height * nrows + extra), layout="constrained")
    return fig, np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, sharey=True)).ravel()


def _finish_grid(fig: Figure, axes: np.ndarray, n: int, ncols: int, xlabel: str, ylabel: str,
                 label_size: float = 8) -> None:
    """Hide unused panels, label the outer axes, put one legend (of panel 0) below."""
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[::ncols]:
        ax.set_ylabel(ylabel, fontsize=label_size)
    for ax in axes[max(0, n - ncols):n]:
        ax.set_xlabel(xlabel, fontsize=label_size)
        ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=4, fontsize=8, frameon=False)


def kcurves_figure(curves: pd.DataFrame, cells: pd.DataFrame, link: str = "",
                   ncols: int = 5, benchmark: str = "skillmix") -> Figure:
    """Observed score vs k per LLM, with the posterior expected score, on one benchmark
    (Skill-Mix's ratio of full marks by default).

    Parameters
    ----------
    curves : pandas.DataFrame
        Expected score per LLM and k: columns ``llm, k, median, lower, upper`` (e.g.
        :func:`skillfit.forecasting.kcurve_table`); ``attrs["ci_prob"]`` labels the band.
    cells : pandas.DataFrame
        Observed cells: ``llm, k, observed`` (or ``published``, drawn when present) and the
        fitted ``median, lower, upper`` (e.g. :func:`skillfit.checks.fitted_cells`). Panels
        follow the order of ``cells["llm"]``.
    link : str
        Named in the title.
    ncols : int
        Panels per row.
    benchmark : str
        The benchmark the cells are of (named in the title and legend).
    """
    skillmix = benchmark == "skillmix"
    llms = list(dict.fromkeys(cells["llm"]))
    band = interval_label(curves.attrs.get("ci_prob", 0.89))
    k_max = int(max(curves["k"].max(), cells["k"].max()))
    fig, axes = _panel_grid(len(llms), ncols, 3.1, 2.9, 0.8)
    for ax, name in zip(axes, llms, strict=False):
        curve = curves[curves["llm"] == name]
        ks = curve["k"].to_numpy(float)
        ax.fill_between(ks, curve["lower"], curve["upper"], color="C0", alpha=0.18, lw=0,
                        label=f"expected score, {band} (any k)")
        ax.plot(ks, curve["median"], color="C0", lw=1.2, label="posterior median")
        c = cells[cells["llm"] == name]
        kk = c["k"].to_numpy(float)
        ax.errorbar(kk + 0.08, c["median"], yerr=[c["median"] - c["lower"], c["upper"] - c["median"]],
                    fmt="s", ms=3.5, color="C1", lw=1.2, capsize=2,
                    label="fitted cell: median and interval")
        shown = c["published"] if "published" in c else c["observed"]
        ax.plot(kk - 0.08, shown, "o", color="k", ms=4.5,
                label=f"observed ({'Skill-Mix' if skillmix else benchmark})")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xticks(np.arange(1, k_max + 1))
        ax.grid(alpha=0.3, lw=0.4)
        ax.tick_params(labelsize=8)
    _finish_grid(fig, axes, len(llms), ncols, "k (skills per task)",
                 "ratio of full marks" if skillmix else "score")
    notes = [f"{link} link"] if link else []
    notes += ["best of 3 generations"] if skillmix else []
    fig.suptitle(f"{'Skill-Mix' if skillmix else benchmark} k-curves: observed vs posterior "
                 f"expected score" + (f" ({', '.join(notes)})" if notes else ""), fontsize=11)
    return fig


def fan_chart_figure(fan: pd.DataFrame, points: pd.DataFrame | None = None,
                     marked: pd.DataFrame | None = None, ncols: int = 2,
                     points_label: str = "posterior median") -> Figure:
    """Forecast ``pi_k`` (``score``, ``measured``) of a new compute-optimal LLM vs compute.

    Parameters
    ----------
    fan : pandas.DataFrame
        :func:`skillfit.forecasting.fan_table`: ``compute, k, median`` and ``lower_P``/``upper_P``
        per interval mass P (drawn as nested bands); ``attrs["quantity"]``, ``attrs["link"]``
        and ``attrs["benchmark"]`` (default Skill-Mix) label the axes.
    points : pandas.DataFrame, optional
        Observed LLMs to place: ``llm, compute, k, median`` (e.g.
        :func:`skillfit.forecasting.observed_points`, or the published rates of
        :func:`skillfit.forecasting.observed_rates`).
    marked : pandas.DataFrame, optional
        LLMs to mark (e.g. the ones a user asked to forecast): ``llm, compute, k, median`` and
        optionally ``lower, upper`` (drawn as an error bar).
    ncols : int
        Panels per row.
    points_label : str
        What the ``points`` are, in the legend (``"LLM (points_label)"``).
    """
    quantity = fan.attrs.get("quantity", "pi")
    ks = sorted(int(k) for k in fan["k"].unique())
    probs = sorted({float(c.split("_", 1)[1]) for c in fan.columns if c.startswith("lower_")},
                   reverse=True)
    ncols = max(1, min(ncols, len(ks)))
    fig, axes = _panel_grid(len(ks), ncols, 6.2, 4.0, 0.9)
    bench = fan.attrs.get("benchmark", "skillmix")
    if bench == "skillmix":
        ylabel = {"pi": "pi_k: chance a random k-tuple is handled",
                  "score": "expected Skill-Mix ratio of full marks",
                  "measured": "measured ratio of full marks"
                              + (f" ({fan.attrs['trials']} combinations)"
                                 if fan.attrs.get("trials") else "")}.get(quantity, quantity)
    else:
        trials = fan.attrs.get("trials")
        ylabel = {"pi": f"pi_k on {bench}: chance a random k-tuple is handled",
                  "score": f"expected score on {bench}",
                  "measured": f"measured score on {bench}"
                              + (f" ({trials} items)" if trials else " (a new published rate)")
                  }.get(quantity, quantity)
    for ax, k in zip(axes, ks, strict=False):
        sel = fan[fan["k"] == k].sort_values("compute")
        for j, prob in enumerate(probs):
            ax.fill_between(sel["compute"], sel[f"lower_{prob:g}"], sel[f"upper_{prob:g}"],
                            color="C0", alpha=0.15 * (j + 1), lw=0,
                            label=f"new compute-optimal LLM: {interval_label(prob)}")
        ax.plot(sel["compute"], sel["median"], color="C0", lw=1.8, label="median")
        if points is not None and len(points):
            pts = points[points["k"] == k]
            for j, name in enumerate(dict.fromkeys(points["llm"])):
                row = pts[pts["llm"] == name]
                ax.plot(row["compute"], row["median"], _MARKERS[j % len(_MARKERS)], ms=6,
                        color=f"C{(j + 1) % 10}", mec="k", mew=0.5,
                        label=f"{name} ({points_label})")
        if marked is not None and len(marked):
            mk = marked[marked["k"] == k]
            for _, row in mk.iterrows():
                if {"lower", "upper"} <= set(mk.columns):
                    ax.errorbar(row["compute"], row["median"], fmt="*", ms=11, color="C3",
                                mec="k", mew=0.5, lw=1.2, capsize=3,
                                yerr=[[row["median"] - row["lower"]], [row["upper"] - row["median"]]])
                else:
                    ax.plot(row["compute"], row["median"], "*", ms=11, color="C3", mec="k", mew=0.5)
                ax.annotate(str(row["llm"]), (row["compute"], row["median"]), fontsize=7,
                            xytext=(4, 4), textcoords="offset points")
            ax.plot([], [], "*", ms=11, color="C3", mec="k", mew=0.5,
                    label="asked for (median and interval)")
        ax.set_xscale("log")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"k = {k}", fontsize=10)
        ax.grid(alpha=0.3, which="both", lw=0.4)
        ax.tick_params(labelsize=8)
    _finish_grid(fig, axes, len(ks), ncols, "training compute C = 6ND (FLOP)", ylabel,
                 label_size=9)
    link = fan.attrs.get("link")
    what = {"pi": "pi_k", "score": "expected score",
            "measured": "measured score of a new evaluation"}.get(quantity, quantity)
    on = "" if bench == "skillmix" else f" on {bench}"
    fig.suptitle(f"Forecast {what}{on} vs training compute ({link + ' link; ' if link else ''}"
                 "closed LLMs and LLMs of unknown size not shown)", fontsize=11)
    return fig


def prior_predictive_figure(cells: pd.DataFrame, ncols: int = 5,
                            benchmark: str = "skillmix") -> Figure:
    """Prior predictive check of one benchmark's observations (Skill-Mix by default), one
    panel per LLM.

    ``cells`` is :func:`skillfit.checks.prior_predictive_cells`: per observed cell (LLM, k) the
    median and equal-tailed 50% and 89% bands of the measured rate simulated from the priors,
    and the observed rate. Bands that miss the observations mean the priors rule the data out;
    bands that fill 0..1 everywhere mean they say little (neither is wrong by itself, but both
    deserve a look). The title counts the observed cells inside their 89% prior band.
    """
    llms = list(dict.fromkeys(cells["llm"]))
    ncols = max(1, min(int(ncols), len(llms)))
    fig, axes = _panel_grid(len(llms), ncols, 3.1, 2.9, 1.0)
    k_lo, k_hi = int(cells["k"].min()), int(cells["k"].max())
    for ax, name in zip(axes, llms, strict=False):
        c = cells[cells["llm"] == name].sort_values("k", kind="stable")
        kk = c["k"].to_numpy(float)
        ax.fill_between(kk, c["lower_0.89"], c["upper_0.89"], color="C0", alpha=0.15, lw=0,
                        label="prior predictive 89% interval")
        ax.fill_between(kk, c["lower_0.5"], c["upper_0.5"], color="C0", alpha=0.3, lw=0,
                        label="prior predictive 50% interval")
        ax.plot(kk, c["median"], color="C0", lw=1.5, marker=".", ms=4,
                label="prior predictive median")
        ax.plot(kk, c["observed"], "o", color="k", ms=4.5, zorder=3,
                label="observed (successes / n)")
        ax.set_title(name, fontsize=9)
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlim(k_lo - 0.3, k_hi + 0.3)
        ax.set_xticks(np.arange(k_lo, k_hi + 1))
        ax.grid(alpha=0.3, lw=0.4)
        ax.tick_params(labelsize=8)
    skillmix = benchmark == "skillmix"
    _finish_grid(fig, axes, len(llms), ncols, "k (skills per task)",
                 "ratio of full marks" if skillmix else "score")
    link = cells.attrs.get("link")
    draws = cells.attrs.get("draws")
    inside = cells["inside"] if "inside" in cells else (
        (cells["observed"] >= cells["lower_0.89"]) & (cells["observed"] <= cells["upper_0.89"]))
    fig.suptitle(
        "Prior predictive check: "
        + ("Skill-Mix ratio of full marks" if skillmix else f"{benchmark} score")
        + " simulated from the priors alone"
        + (f" ({link} link" if link else " (") + (f", {draws} draws)" if draws else ")")
        + f"\n{int(inside.sum())} of {len(cells)} observed cells lie inside their 89% prior "
        "predictive interval (equal-tailed)", fontsize=11)
    return fig
