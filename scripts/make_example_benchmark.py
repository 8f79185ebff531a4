"""Write ``examples/made_up_benchmark.csv``: a made-up k-composition benchmark, in percent.

The README's "Your own benchmark" walk-through starts from this file. It is **made up**: drawn
by :func:`skillfit.benchmark_simulation.simulate_benchmark` from the default joint fit on the
bundled data, as a benchmark with its own scale from loss to failed text (``c = 0.5``: easier
than Skill-Mix), a grader that credits a handled item with chance 0.85, best of 1, 60 items per
cell, k = 1..4, scored on six of the Skill-Mix LLMs (none of 70B or more, so the
walk-through's forecast for LLaMA-2-70B-Chat is out of sample), and written in percent as many
leaderboards publish it.
No real LLM was evaluated. To regenerate it::

    skillfit fit skillmix --out runs/skillmix-fit
    python scripts/make_example_benchmark.py runs/skillmix-fit
"""

from __future__ import annotations

import sys
from pathlib import Path

from skillfit.benchmark_simulation import simulate_benchmark
from skillfit.specs import load_model

LLMS = ("LLaMA-2-7B-Chat", "LLaMA-2-13B-Chat", "Mistral-7B-Instruct-v0.1", "Qwen-14B-Chat",
        "GPT-3.5-turbo", "GPT-4")
OUT = Path(__file__).resolve().parent.parent / "examples" / "made_up_benchmark.csv"


def main(run: str) -> None:
    path = Path(run)
    model = load_model(path / "posterior.nc" if path.is_dir() else path)
    table = simulate_benchmark(model, "made-up-bench", c=0.5, gamma=0.85, kappa=40.0,
                               trials=60, generations=1, ks=(1, 2, 3, 4), llms=LLMS,
                               random_seed=2026)
    table["value"] = (100 * table["value"]).round(1)  # in percent, as published
    table["source"] = "made up (scripts/make_example_benchmark.py); not a real evaluation"
    OUT.parent.mkdir(exist_ok=True)
    table.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(table)} rows); truth: {table.attrs['truth']}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/skillmix")
