"""Benchmark: the Monte Carlo skill graph at 10^7 text pieces x degree 8.

Target: every stage in seconds, peak memory < 2 GB. Each stage is timed on the full problem
(|S| = 10^4 skills, |T| = 10^7 pieces, degree 8) and compared with a naive implementation run
in the same process on a 10^5-piece sample (per-piece Python loop for the graph,
``np.add.at`` for the per-skill counts, a full ``argsort`` for the adversary), scaled per piece.
Peak memory is the tracemalloc peak of each stage (NumPy reports its buffers to tracemalloc),
including the graph held from the first stage, plus the process's max RSS at the end.

Run: ``.venv/bin/python benchmarks/simulator.py``
"""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from skillfit.theory import (
    adversarial_failure_set,
    random_failure_set,
    random_skill_graph,
    skill_failure_rates,
    tuple_failure_rates,
    zipf_weights,
)

N_SKILLS = 10_000
N_TEXT = 10_000_000
DEGREE = 8
THETA = 0.1
ALPHA = 0.1
SAMPLE = 100_000
TARGET_SECONDS = 10.0
TARGET_BYTES = 2 * 1024**3


def measure(fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """Run ``fn`` once; return (result, seconds, tracemalloc peak bytes during the call)."""
    tracemalloc.reset_peak()
    t0 = time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    return out, seconds, peak


# ------------------------------------------------------------------------------ naive baselines


def naive_graph(n_text: int, rng: np.random.Generator, replace: bool) -> np.ndarray:
    out = np.empty((n_text, DEGREE), dtype=np.int32)
    for t in range(n_text):  # one draw per piece
        out[t] = rng.choice(N_SKILLS, size=DEGREE, replace=replace)
    return out


def naive_random_set(n_text: int, rng: np.random.Generator) -> np.ndarray:
    failed = np.zeros(n_text, dtype=bool)
    failed[rng.permutation(n_text)[: round(THETA * n_text)]] = True
    return failed


def naive_rates(skills: np.ndarray, failed: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Per-skill failure rates with np.add.at (skill degrees given, as in the graph object)."""
    bad = np.zeros(N_SKILLS)
    np.add.at(bad, skills[failed].ravel(), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return bad / deg


def naive_adversary(skills: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    z = rng.choice(N_SKILLS, size=int(ALPHA * N_SKILLS) + 1, replace=False)
    counts = np.isin(skills, z).sum(axis=1)
    key = counts + rng.random(skills.shape[0])
    failed = np.zeros(skills.shape[0], dtype=bool)
    failed[np.argsort(-key)[: round(THETA * skills.shape[0])]] = True
    return failed


# ------------------------------------------------------------------------------ main


def main() -> int:
    print(
        f"skill-graph simulator: |S|={N_SKILLS:,} |T|={N_TEXT:,} degree={DEGREE} "
        f"theta={THETA} alpha={ALPHA}"
    )
    print(f"targets: each stage < {TARGET_SECONDS:g} s ('in seconds'), peak < 2 GB\n")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    rng = np.random.default_rng(0)
    scale = N_TEXT / SAMPLE

    # naive baselines on the sample (same process), seconds per piece
    g_small = random_skill_graph(N_SKILLS, SAMPLE, DEGREE, seed=1)
    sk, deg = g_small.skills, g_small.skill_degrees
    base = {}
    _, t, _ = measure(lambda: naive_graph(SAMPLE, rng, True))
    base["graph (i.i.d.)"] = t * scale
    _, t, _ = measure(lambda: naive_graph(SAMPLE, rng, False))
    base["graph (distinct)"] = t * scale
    _, t, _ = measure(lambda: naive_rates(sk, naive_random_set(SAMPLE, rng), deg))
    base["random Y + rates"] = t * scale
    _, t, _ = measure(lambda: naive_rates(sk, naive_adversary(sk, rng), deg))
    base["adversarial Y + rates"] = t * scale
    del g_small, sk, deg

    rows: list[tuple[str, float, int, float | None]] = []
    naive_rows: set[str] = set()

    def stage(name: str, fn: Callable[[], Any], baseline: str | None = None) -> Any:
        out, t, peak = measure(fn)
        ref = base.get(baseline) if baseline else None
        rows.append((name, t, peak, ref))
        return out

    def naive_full(name: str, fn: Callable[[], Any]) -> None:
        _, t, peak = measure(fn)
        label = f"  (naive, full size: {name})"
        naive_rows.add(label)
        rows.append((label, t, peak, None))

    g = stage(
        "graph (i.i.d., uniform)",
        lambda: random_skill_graph(N_SKILLS, N_TEXT, DEGREE, seed=0),
        "graph (i.i.d.)",
    )
    stage(
        "random Y + per-skill rates",
        lambda: skill_failure_rates(g, random_failure_set(g, THETA, seed=1)),
        "random Y + rates",
    )
    y = stage(
        "adversarial Y + per-skill rates",
        lambda: (lambda yy: (skill_failure_rates(g, yy), yy)[1])(
            adversarial_failure_set(g, THETA, ALPHA, seed=2)
        ),
        "adversarial Y + rates",
    )
    full_rng = np.random.default_rng(5)
    naive_full(
        "random Y + rates",
        lambda: naive_rates(g.skills, naive_random_set(N_TEXT, full_rng), g.skill_degrees),
    )
    naive_full(
        "adversarial Y + rates",
        lambda: naive_rates(g.skills, naive_adversary(g.skills, full_rng), g.skill_degrees),
    )
    stage(
        "3-tuples exact (2000 tuples)",
        lambda: tuple_failure_rates(g, y, 3, n_tuples=2000, seed=3),
    )
    stage(
        "3-tuples sampled (2000 x 100 k-pieces)",
        lambda: tuple_failure_rates(g, y, 3, n_tuples=2000, n_pieces=100, seed=3),
    )
    del g, y
    g = stage(
        "graph (distinct, uniform)",
        lambda: random_skill_graph(N_SKILLS, N_TEXT, DEGREE, replace=False, seed=0),
        "graph (distinct)",
    )
    del g
    w = zipf_weights(N_SKILLS, 1.0)
    g = stage(
        "graph (i.i.d., zipf s=1)",
        lambda: random_skill_graph(N_SKILLS, N_TEXT, DEGREE, skill_weights=w, seed=0),
    )
    del g
    g = stage(
        "graph (distinct, zipf s=1)",
        lambda: random_skill_graph(
            N_SKILLS, N_TEXT, DEGREE, replace=False, skill_weights=w, seed=0
        ),
    )
    del g
    tracemalloc.stop()
    rss_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024

    print(f"{'stage':44s} {'seconds':>8s} {'peak MB':>8s} {'naive s*':>9s} {'speed-up':>9s}")
    ok = True
    for name, t, peak, ref in rows:
        ref_s = f"{ref:9.1f}" if ref else f"{'-':>9s}"
        ratio = f"{ref / t:8.1f}x" if ref else f"{'-':>9s}"
        print(f"{name:44s} {t:8.2f} {peak / 2**20:8.0f} {ref_s} {ratio}")
        if name not in naive_rows:
            ok &= t < TARGET_SECONDS and peak < TARGET_BYTES
    print(
        f"\n* naive = per-piece Python loop (graph) / permutation + np.add.at (rates) / "
        f"np.isin + full argsort (adversary) on {SAMPLE:,} pieces, scaled x{scale:g} per piece"
        "\n  (the sample fits in cache, so the scaled naive times flatter the baseline)"
    )
    print(f"max RSS growth over the run: {rss_mb:.0f} MB (target < 2048 MB)")
    ok &= rss_mb < 2048
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
