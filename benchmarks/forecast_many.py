"""Forecast of 1,000 hypothetical LLMs: one vectorised call vs one call per LLM (same process).

Run: .venv/bin/python benchmarks/forecast_many.py [--llms 1000] [--baseline 50]

The posterior is a stand-in with the default fit's size (4 chains x 1500 draws of the default
threshold-link SkillGraphModel, drawn from the prior by ``pymc.testing.mock_sample``): the cost
of a forecast depends on the number of draws, LLMs and k, not on where the draws came from.
The LLMs are compute-optimal models from 1e22 to 1e27 FLOP, k = 1..8. Printed: time per LLM of
``forecast(model, all_llms)`` and of a loop of ``forecast(model, [llm])`` over the first
``--baseline`` LLMs, their ratio, and the peak memory of the vectorised call (tracemalloc, which
sees NumPy's allocations). One call for many LLMs tabulates the threshold link once per draw
(:class:`skillfit.models.link_table.ThresholdTable`); one LLM's 8 k per draw are too few for a
table to pay, so the loop evaluates the link exactly, as before. Printed too: the largest
difference between the two in the forecast pi and expected score of the loop's LLMs (within
the table's bound, 2 x ``TABLE_TOL``).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd
import pymc as pm
from pymc.testing import mock_sample

from skillfit.forecasting import forecast
from skillfit.models.link_table import TABLE_TOL
from skillfit.models.skill_graph import SkillGraphModel


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--llms", type=int, default=1000)
    ap.add_argument("--baseline", type=int, default=50)
    a = ap.parse_args()
    original = pm.sample
    pm.sample = mock_sample
    try:
        model = SkillGraphModel(sampler_config={"draws": 1500, "chains": 4})
        model.fit(random_seed=1, progressbar=False)
    finally:
        pm.sample = original
    rows = [{"name": f"C={c:.3g}", "compute": float(c)}
            for c in np.logspace(22, 27, a.llms)]
    n_draws = model.posterior.sizes["chain"] * model.posterior.sizes["draw"]

    start = time.perf_counter()
    looped = [forecast(model, [row], k_max=8) for row in rows[: a.baseline]]
    per_loop = (time.perf_counter() - start) / a.baseline

    tracemalloc.start()
    start = time.perf_counter()
    table = forecast(model, rows, k_max=8)
    per_vec = (time.perf_counter() - start) / a.llms
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    print(f"forecast of {a.llms} hypothetical LLMs x k = 1..8 x {n_draws} posterior draws "
          f"({len(table)} table rows)")
    print(f"  one call per LLM (first {a.baseline}): {1e3 * per_loop:8.1f} ms per LLM")
    print(f"  one call for all {a.llms}:        {1e3 * per_vec:8.1f} ms per LLM "
          f"({per_vec * a.llms:.1f} s in all), peak memory {peak / 2**20:.0f} MiB")
    print(f"  ratio (per-LLM loop / vectorised): {per_loop / per_vec:.1f}x")
    names = [row["name"] for row in rows[: a.baseline]]
    wanted = table["quantity"].isin(["pi", "score"]) & table["llm"].isin(names)
    exact = pd.concat(looped, ignore_index=True)
    exact = exact[exact["quantity"].isin(["pi", "score"])]
    cols = ["mean", "median", "lower", "upper"]
    gap = np.abs(table.loc[wanted, cols].to_numpy() - exact[cols].to_numpy()).max()
    print(f"  largest difference, one call vs loop, in pi and score (mean, median, interval "
          f"ends) of the loop's LLMs: {gap:.1e} (bound {2 * TABLE_TOL:.0e})")


if __name__ == "__main__":
    main()
