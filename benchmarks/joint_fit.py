"""Joint skill-graph fit: wall time and ESS per second of model variants, in one run.

Run: .venv/bin/python benchmarks/joint_fit.py [--configs diag,default]
     [--sampler nutpie|pymc] [--draws 1500 --tune 700 --chains 4 --seed 1]

Each configuration fits a ``SkillGraphModel`` on the bundled data with the same sampler
settings (the default fit's: 4 x 1500 draws after 700 tuning steps, target_accept 0.95) and
seed, one after the other in this process. Printed per configuration: wall time including
compilation, divergences, max R-hat, min bulk ESS over the shared parameters and theta, min
bulk ESS per second and the mean leapfrog steps per draw; then each one's ratios against the
first.

Configurations (``CONFIGS``: a model configuration and nutpie's mass-matrix adaptation):

- ``before``: the default model until 2026-11-28, one competence level (``tau_spread = 0``)
  and the floor ``Beta(1, 19)``, sampled with a diagonal mass matrix;
- ``diag``: the default model (the smooth link: ``tau_spread ~ HalfNormal(1)``, no floor)
  with a diagonal mass matrix, nutpie's default and the joint model's until 2026-11-28;
- ``default``: the class's defaults (the smooth link, nutpie's low-rank mass matrix,
  ``NUTPIE_ADAPTATION``);
- ``three``: the defaults with all three Skill-Mix metrics observed (``all_skills``,
  ``skill_fraction``) and one gamma per LLM.

``--sampler pymc`` ignores the adaptation (PyMC's NUTS adapts a diagonal mass matrix).
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np

from skillfit.models.skill_graph import SkillGraphModel

CONFIGS: dict[str, tuple[dict[str, Any], str | None]] = {
    "before": ({"tau_spread": 0.0, "floor": {"dist": "Beta", "alpha": 1.0, "beta": 19.0}},
               "diag"),
    "diag": ({}, "diag"),
    "default": ({}, None),
    "three": ({"all_skills": True, "skill_fraction": True, "gamma_per_llm": True}, None),
}


def run(config: tuple[dict[str, Any], str | None], sampler: str, draws: int, tune: int,
        chains: int, seed: int) -> dict[str, float]:
    model_config, adaptation = config
    sampler_config = {"draws": draws, "tune": tune, "chains": chains, "nuts_sampler": sampler,
                      "target_accept": 0.95}
    if adaptation is not None and sampler == "nutpie":
        sampler_config["nuts"] = {"adaptation": adaptation}
    model = SkillGraphModel(model_config, sampler_config=sampler_config)
    t0 = time.perf_counter()
    model.fit(random_seed=seed, progressbar=False, predictive=False)
    wall = time.perf_counter() - t0
    d = model.diagnostics()
    stats = model.idata["sample_stats"]
    steps = "n_steps" if "n_steps" in stats else "tree_size"
    return {"wall": wall, "divergences": d["divergences"], "max_r_hat": d["max_r_hat"],
            "min_ess_bulk": d["min_ess_bulk"], "ess_per_s": d["min_ess_bulk"] / wall,
            "steps": float(stats[steps].mean())}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--configs", default="diag,default",
                    help=f"comma-separated, from {', '.join(CONFIGS)}; ratios against the first")
    ap.add_argument("--sampler", default="nutpie", choices=("nutpie", "pymc"))
    ap.add_argument("--draws", type=int, default=1500)  # the default fit's settings
    ap.add_argument("--tune", type=int, default=700)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    names = [name.strip() for name in a.configs.split(",")]
    unknown = sorted(set(names) - set(CONFIGS))
    if unknown:
        raise SystemExit(f"unknown configuration(s) {', '.join(unknown)}; "
                         f"choose from {', '.join(CONFIGS)}")
    results = {}
    for name in names:
        r = run(CONFIGS[name], a.sampler, a.draws, a.tune, a.chains, a.seed)
        results[name] = r
        print(f"{name:>8}: {r['wall']:6.1f} s, divergences {r['divergences']:.0f}, "
              f"max R-hat {r['max_r_hat']:.3f}, min bulk ESS {r['min_ess_bulk']:.0f}, "
              f"{r['ess_per_s']:.1f} ESS/s, {r['steps']:.0f} leapfrog steps per draw",
              flush=True)
    first = results[names[0]]
    for name in names[1:]:
        r = results[name]
        ratio = r["ess_per_s"] / first["ess_per_s"]
        print(f"{name} / {names[0]}: ESS/s {ratio:.2f}x, wall time "
              f"{r['wall'] / first['wall']:.2f}x")
        if not np.isfinite(ratio):
            raise SystemExit("non-finite ratio")


if __name__ == "__main__":
    main()
