"""Joint skill-graph fit: nutpie vs PyMC's NUTS, wall time and ESS per second (same process).

Run: .venv/bin/python benchmarks/joint_fit.py [--draws 1500 --tune 700 --chains 4]

Both samplers fit the default SkillGraphModel (threshold link) on the bundled data with the
same seed. Printed per sampler: wall time including compilation, divergences, max R-hat, min
bulk ESS over the shared parameters and theta, and min bulk ESS per second; then the ratio.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from skillfit.models.skill_graph import SkillGraphModel


def run(sampler: str, draws: int, tune: int, chains: int, seed: int) -> dict[str, float]:
    model = SkillGraphModel(sampler_config={"draws": draws, "tune": tune, "chains": chains,
                                            "nuts_sampler": sampler})
    t0 = time.perf_counter()
    model.fit(random_seed=seed, progressbar=False)
    wall = time.perf_counter() - t0
    d = model.diagnostics()
    return {"wall": wall, "divergences": d["divergences"], "max_r_hat": d["max_r_hat"],
            "min_ess_bulk": d["min_ess_bulk"], "ess_per_s": d["min_ess_bulk"] / wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--draws", type=int, default=1500)  # the default fit's settings
    ap.add_argument("--tune", type=int, default=700)
    ap.add_argument("--chains", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    results = {}
    for sampler in ("nutpie", "pymc"):
        r = run(sampler, a.draws, a.tune, a.chains, a.seed)
        results[sampler] = r
        print(f"{sampler:>6}: {r['wall']:6.1f} s, divergences {r['divergences']:.0f}, "
              f"max R-hat {r['max_r_hat']:.3f}, min bulk ESS {r['min_ess_bulk']:.0f}, "
              f"{r['ess_per_s']:.1f} ESS/s", flush=True)
    ratio = results["nutpie"]["ess_per_s"] / results["pymc"]["ess_per_s"]
    print(f"ESS/s ratio nutpie / pymc: {ratio:.2f}x; wall-time ratio pymc / nutpie: "
          f"{results['pymc']['wall'] / results['nutpie']['wall']:.2f}x")
    if not np.isfinite(ratio):
        raise SystemExit("non-finite ratio")


if __name__ == "__main__":
    main()
