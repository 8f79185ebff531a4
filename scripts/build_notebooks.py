"""Write the notebooks in notebooks/ from the cell sources below (run, then execute them).

Keeping the sources here makes review diffs readable; `tests/test_notebooks.py` executes the
written .ipynb files. Usage: .venv/bin/python scripts/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parent.parent / "notebooks"

VERSION_CELL = """import sys, numpy, pandas, pymc, arviz, skillfit
print(f"Python {sys.version.split()[0]} | numpy {numpy.__version__} | pandas {pandas.__version__} | "
      f"PyMC {pymc.__version__} | ArviZ {arviz.__version__} | skillfit {skillfit.__version__}")"""

MOCK_CELL = """# When the test suite runs this notebook it sets SKILLFIT_NOTEBOOK_MOCK=1: pm.sample then draws
# from the prior (pymc.testing.mock_sample) so the notebook's plumbing is checked in seconds.
# Run it yourself without the variable for the real fit.
import os
import pymc as pm
if os.environ.get("SKILLFIT_NOTEBOOK_MOCK") == "1":
    from pymc.testing import mock_sample
    # prior draws in place of MCMC, at most 100 per chain: the plumbing, not the numbers
    pm.sample = lambda *args, **kwargs: mock_sample(
        *args, **{**kwargs, "draws": min(int(kwargs.get("draws", 10)), 100)})
    print("mocked sampling: numbers below are prior draws, not a fit")"""

THEORY = [
    ("md", """# The theory: performance curves, Corollary 13 and "10× scale ≈ 2× k"

Arora & Goyal (arXiv 2307.15936) connect a model's loss to its competence on skills through a
random bipartite graph between skills and text pieces. This notebook evaluates their theorem with
`skillfit.theory` (NumPy only), checks Corollary 13, works through the scaling arithmetic and
tests the bound with a Monte Carlo skill graph. Natural logs throughout."""),
    ("code", """%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from skillfit import theory
from skillfit.scaling import HOFFMANN, EPOCH
from skillfit.plots.theory import plot_performance_curves"""),
    ("md", """## The theorem

For a failed set of text of measure θ, with high probability at most an α fraction of skills fail
on ≥ βθ of their text whenever `H(θ) < degree·θ·KL(αβ ‖ α)`. `min_beta` finds the smallest such β,
and the *performance curve* is the guaranteed competence `1 − β*θ` for a `1 − α` fraction of
skills."""),
    ("code", """for alpha in (0.05, 0.1, 0.2):
    b = theory.min_beta(0.1, 8, alpha)
    print(f"alpha={alpha:<5} beta*={b:.3f}  ceiling beta*·theta={0.1*b:.3f}  "
          f"competence >= {theory.guaranteed_competence(0.1, 8, alpha):.3f} for {1-alpha:.0%} of skills")"""),
    ("code", """fig = plot_performance_curves([0.05, 0.1, 0.2], degree=8, ks=(1, 2, 4))
plt.close(fig)
fig"""),
    ("md", """## Corollary 13: k-tuples after the loss falls k-fold

A k-tuple of skills behaves like a single skill at `θ_k = k·θ` (the paper's linear form) or
`1 − (1 − θ)^k` (exact union). So if scaling divides θ by k, the k-tuple curve of the big model
equals the single-skill curve of the small one (linear form), or beats it (union form)."""),
    ("code", """alphas = np.linspace(0.02, 0.5, 50)
for k in (2, 4, 8):
    before = theory.guaranteed_competence(0.1, 8, alphas)
    linear = theory.guaranteed_competence(theory.tuple_theta(0.1 / k, k, "linear"), 8, alphas)
    union = theory.guaranteed_competence(theory.tuple_theta(0.1 / k, k, "union"), 8, alphas)
    ok = np.isfinite(before)
    print(f"k={k}: max |linear - single| = {np.nanmax(np.abs(linear - before)):.1e}; "
          f"union at least as good: {np.all(union[ok] >= before[ok] - 1e-12)}")"""),
    ("md", """## "10× scale ≈ twice as many skills combined" — and why 10× *compute* is not that

Scaling **both** N and D by 10 (100× compute) multiplies the reducible loss by about one half:
that is the paper's "one order of scaling up". Spending 10× **compute** compute-optimally moves
N and D by only ~3× each, and the reducible loss by `10^(−ab/(a+b))`."""),
    ("code", """for law, name in ((HOFFMANN, "Hoffmann"), (EPOCH, "Epoch")):
    both = law.reducible_ratio_scaled(7e9, 2e12, 10)
    comp = law.reducible_ratio_compute(10)
    halve = law.compute_factor_for_ratio(0.5)
    print(f"{name:9s} N,D x10: x{both:.2f}   compute x10: x{comp:.2f}   compute to halve: x{halve:.0f}")"""),
    ("code", """# Half the failed measure lets 2k-tuples reach the old k-tuple level (linear form):
theta = 0.08
for k in (1, 2, 3):
    old = theory.competent_fraction(theta, 8, 0.5, k, mode="linear")
    new = theory.competent_fraction(theta / 2, 8, 0.5, 2 * k, mode="linear")
    print(f"k={k}: fraction of k-tuples >= 50% competent before {old:.3f}; 2k-tuples after halving {new:.3f}")"""),
    ("md", """## Monte Carlo: does the bound hold on a random graph?

200 skills, 20,000 text pieces, 8 distinct skills per piece, θ = 0.1. The adversary picks a set of
α·|S| skills and fails the text pieces with the most of them: the worst α-fraction of skills then
fails far more than under random failures, and still less than the theorem's ceiling."""),
    ("code", """from skillfit.theory import random_skill_graph, compare_with_bound
graph = random_skill_graph(200, 20_000, 8, replace=False, seed=0)
table = compare_with_bound(graph, 0.1, [0.05, 0.1, 0.2], failure="adversarial", seed=0)
table[["alpha", "empirical_failure", "bound_failure", "empirical_competence", "guaranteed_competence", "holds"]]"""),
    ("code", """assert table["holds"].all()
random_fail = compare_with_bound(graph, 0.1, [0.05, 0.1, 0.2], failure="random", seed=0)
print("random failures, worst alpha-fraction:", random_fail["empirical_failure"].round(3).tolist())"""),
    ("code", VERSION_CELL),
]

SCALING = [
    ("md", """# A Bayesian Chinchilla law on the bundled data

`ScalingLawModel` fits `L(N, D) = E + A·N^−α + B·D^−β` to Epoch AI's 240 reconstructed Chinchilla
runs with a Student-t likelihood on log loss. We check the priors, fit, diagnose, look at the
posterior predictive and compare with the published fits (Epoch 2024, Hoffmann 2022)."""),
    ("code", MOCK_CELL),
    ("code", """%matplotlib inline
import numpy as np
import arviz_plots as azp
from skillfit import ScalingLawModel, datasets
from skillfit.scaling import EPOCH, HOFFMANN
data = datasets.load("chinchilla")
data.describe()"""),
    ("md", "## Prior predictive: do the priors allow sensible losses?"),
    ("code", """model = ScalingLawModel()
prior = model.sample_prior_predictive(data, samples=300, random_seed=1)
loss_draws = np.exp(prior["prior_predictive"]["log_loss_obs"].values.ravel())
print("prior predictive loss (nats/token), 5/50/95%:", np.quantile(loss_draws, [0.05, 0.5, 0.95]).round(2))
print("observed loss range:", data["loss"].min().round(2), "-", data["loss"].max().round(2))"""),
    ("md", "## Fit and diagnostics"),
    ("code", """idata = model.fit(data, random_seed=20240417, progressbar=False)
diag = model.diagnostics()
print({k: diag[k] for k in ("max_r_hat", "min_ess_bulk", "divergences")})
for message in model.warnings():
    print("WARNING:", message)
model.summary()"""),
    ("md", """Rank plots: each chain's ranks against the uniform distribution (ArviZ). Flat curves inside
the envelope, and a uniformity p-value that is not tiny, mean the chains mix."""),
    ("code", """azp.plot_rank_dist(model.idata, var_names=["E", "alpha", "beta", "sigma", "nu"], backend="matplotlib");"""),
    ("md", "## Posterior predictive: loss against compute"),
    ("md", """The figures draw tables that `skillfit.checks` computes, so you can plot your own. The
published fits are drawn because these are their runs (MassiveText); for another corpus leave
`references` out."""),
    ("code", """from skillfit import checks
from skillfit.plots.scaling import PUBLISHED, loss_vs_compute_figure, posterior_vs_published_figure
runs = checks.scaling_runs(model)
frontier = checks.scaling_frontier(model, np.logspace(18, 25, 60))
fig = loss_vs_compute_figure(runs, frontier, references=PUBLISHED)
fig"""),
    ("md", """## Against the published fits

Epoch's Huber fit: E 1.817, α 0.348, β 0.366. Hoffmann's: E 1.69, α 0.34, β 0.28. See
`docs/scaling_law.md` for the discussion (the data reject Hoffmann's constants, as Epoch found)."""),
    ("code", """post = model.posterior
for name, epoch, hoff in (("E", EPOCH.E, HOFFMANN.E), ("alpha", EPOCH.a, HOFFMANN.a), ("beta", EPOCH.b, HOFFMANN.b)):
    lo, med, hi = np.quantile(post[name].values, [0.025, 0.5, 0.975])
    print(f"{name:6s} posterior {med:.3f} [{lo:.3f}, {hi:.3f}]   Epoch {epoch:.3f}   Hoffmann {hoff:.3f}")
fig = posterior_vs_published_figure(checks.scaling_draws(model), references=PUBLISHED)
fig"""),
    ("code", """model.optimal_allocation([1e22, 1e24, 1e26])"""),
    ("md", """## Beyond the data: the extrapolation discrepancy

A law fitted to runs up to ~1e22 FLOP is asked about much larger runs. Inside the data, the
predictive interval is noise, a new size's offset and the law's uncertainty. Beyond it, the
model adds a discrepancy whose scale per e-fold of compute, κ, was calibrated by a
compute-ordered backtest inside these runs (`skillfit.extrapolation`). The interval therefore
widens with distance. `skillfit backtest chinchilla` checks that it covers (docs/scaling_law.md)."""),
    ("code", """print(f"kappa = {model.discrepancy_scale:.4f} log loss per e-fold beyond {model.max_compute:.2g} FLOP")
n = np.array([1e9, 7e10, 1e12])
pred = model.predict(n, 20 * n)   # 20 tokens per parameter
pred.assign(compute=6 * pred["params"] * pred["tokens"], width=pred["upper"] / pred["lower"] - 1)"""),
    ("code", VERSION_CELL),
]


JOINT = [
    ("md", """# The joint skill-graph model: losses + Skill-Mix → k-skill forecasts

`SkillGraphModel` links per-LLM held-out losses and Skill-Mix scores through the Arora–Goyal skill
graph (every assumption: `docs/model.md`). We fit it, check convergence and the posterior
predictive, compare the three links by PSIS-LOO, forecast larger models and backtest on the
70B+ open models. To keep this notebook quick the fits here use 2 chains × 1000 draws; the CLI
(`skillfit forecast`, `skillfit compare`, `skillfit backtest`) runs the full 4 × 1500."""),
    ("code", MOCK_CELL),
    ("code", """%matplotlib inline
import numpy as np
import pandas as pd
import arviz as az
import arviz_plots as azp
from skillfit import SkillGraphModel, checks, compute_for, forecast
from skillfit.forecasting import (DEFAULT_HYPOTHETICAL_LLMS, fan_table, kcurve_table,
                                  observed_points, observed_rates)
from skillfit.plots.skillmix import kcurves_figure, fan_chart_figure, prior_predictive_figure
SAMPLER = {"draws": 1000, "tune": 700, "chains": 2}
data = SkillGraphModel.bundled_data()
data[data["table"] == "skillmix"].query("metric == 'ratio_of_full_marks'").pivot(index="llm", columns="k", values="value")"""),
    ("md", """## Prior predictive: do the priors allow the Skill-Mix scores?

Ratios of full marks simulated from the priors alone (no fitting): the black observed points
should sit inside the bands, and the bands should not be stuck at 0 or 1 for every LLM."""),
    ("code", """prior_model = SkillGraphModel()
prior_model.build_model(data)
cells = checks.prior_predictive_cells(prior_model, draws=500, random_seed=0)
fig = prior_predictive_figure(cells)
fig"""),
    ("md", "## Fit (threshold link) and diagnostics"),
    ("code", """model = SkillGraphModel(sampler_config=SAMPLER)
model.fit(data, random_seed=1, progressbar=False)
diag = model.diagnostics()
print({k: diag[k] for k in ("max_r_hat", "min_ess_bulk", "divergences")})
for message in model.warnings():
    print("WARNING:", message)
model.summary(["c", "eta", "degree", "gamma", "kappa", "sigma_family", "sigma_tune"])"""),
    ("code", """azp.plot_rank_dist(model.idata, var_names=["c", "eta", "degree", "gamma", "sigma_family", "sigma_tune"], backend="matplotlib");"""),
    ("md", "## Posterior predictive check of every Skill-Mix cell"),
    ("code", """ppc = model.posterior_predictive_check(ci_prob=0.89)
print(f"coverage of the 89% equal-tailed predictive intervals: {ppc.attrs['coverage']:.0%} of {len(ppc)} cells")
ppc[~ppc["inside"]]"""),
    ("code", """fig = kcurves_figure(kcurve_table(model), checks.fitted_cells(model), model.link)
fig"""),
    ("md", """## Which link? PSIS-LOO on the Skill-Mix observations

`threshold` is the theory, `independent` the geometric law `m^k`, `logistic` the phenomenological
baseline. Pareto-k above 0.7 means LOO is unreliable for that cell (few cells, strong ones)."""),
    ("code", """fits = {"threshold": model}
for link in ("independent", "logistic"):
    m = SkillGraphModel({"link": link}, sampler_config=SAMPLER)
    m.fit(data, random_seed=1, progressbar=False)
    fits[link] = m
import warnings
with warnings.catch_warnings():  # the table's diag columns report the Pareto-k counts
    warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
    table = az.compare({link: m.idata for link, m in fits.items()}, var_name="successes")
table"""),
    ("md", "## Forecasts for larger models"),
    ("md", """Three quantities per LLM and k: `pi` (the chance a random k-tuple is handled, the
theory's quantity, not observable), `score` (the *expected* ratio of full marks, best of 3
generations) and `measured` (the ratio a new Skill-Mix evaluation of 100 combinations would
measure: the expected score plus its grading scatter). A published rate is to be held against
`measured`."""),
    ("code", """table = forecast(model, DEFAULT_HYPOTHETICAL_LLMS, k_max=6)
wide = table[table["quantity"] == "pi"].pivot(index="llm", columns="k", values="median").round(2)
wide"""),
    ("code", """gpt4 = table[(table["llm"] == "GPT-4 x10 compute") & table["quantity"].isin(["pi", "score", "measured"])]
gpt4[gpt4["k"] >= 4].pivot(index="k", columns="quantity", values=["median", "lower", "upper"]).round(2)"""),
    ("code", """table[table["quantity"] == "k_max_pi50"][["llm", "median"]]"""),
    ("code", """flop = compute_for(model, k=4, level=0.5, prob=0.5)
print(f"compute for a typical new compute-optimal chat model to reach median pi_4 >= 0.5: {flop:.2g} FLOP")
ks = (2, 3, 4, 5)
fig = fan_chart_figure(fan_table(model, ks), observed_points(model, ks))
fig"""),
    ("code", """# the same fan for the rate a new evaluation would measure, with the published rates
fig = fan_chart_figure(fan_table(model, ks, quantity="measured"), observed_rates(model, ks),
                       points_label="published")
fig"""),
    ("md", """## Backtest: hold out the 70B+ open models

Refit without LLaMA-2-70B-Chat, Xwin-LM-70B, Falcon-180B-Chat and Tigerbot-70B-Chat and forecast
them as new models of their size and family. CRPS and MAE are in points (×100)."""),
    ("code", """from skillfit.backtest import HOLDOUT_LLMS, backtest_models, holdout_split
names = list(HOLDOUT_LLMS)
train, heldout = holdout_split(data, names)
bt = {}
for link in ("threshold", "independent", "logistic"):
    m = SkillGraphModel({"link": link}, sampler_config=SAMPLER)
    m.fit(train, random_seed=1, progressbar=False)
    bt[link] = m
cells, summary = backtest_models(bt, data, heldout, names, "ratio_of_full_marks")
summary"""),
    ("code", VERSION_CELL),
]


def write(name: str, cells: list[tuple[str, str]]) -> Path:
    nb = nbf.v4.new_notebook()
    nb.cells = [nbf.v4.new_markdown_cell(src) if kind == "md" else nbf.v4.new_code_cell(src)
                for kind, src in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = ROOT / name
    nbf.write(nb, path)
    return path


if __name__ == "__main__":
    ROOT.mkdir(exist_ok=True)
    import sys

    books = {"01_theory.ipynb": THEORY, "02_scaling_law.ipynb": SCALING,
             "03_joint_model.ipynb": JOINT}
    for name in sys.argv[1:] or books:
        print("wrote", write(name, books[name]))
