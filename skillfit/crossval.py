"""Cross-validation of the joint model against null baselines, and its sensitivity.

``skillfit crossval`` generalises ``skillfit backtest`` (one split) to three schemes of exact
refits, each scored against two size-aware/size-blind null baselines fitted on the same folds:

- ``llm``: leave one Skill-Mix LLM out (10 folds) and forecast its cells as a new model of its
  family and size. A *closed* LLM (GPT-4, GPT-3.5-turbo: no known N, D) keeps its lowest-k
  cell (k = 2) in the fit, so its latent loss is re-inferred from it, and its cells above that
  k are forecast;
- ``top-k``: hold out every LLM's highest observed k at once (extrapolation in k); the LLMs
  stay in the fit and are forecast as themselves at that k;
- ``size``: fit on the LLMs below a training-compute cut and forecast those above, for every
  cut that holds out at least 2 LLMs and keeps at least 2 LLMs of known compute in the fit.

**How a cell is held out.** The model's observations are ``pm.Data`` (successes *and* trials);
a held-out cell is set to 0 successes out of 0 trials, which adds exactly 0 to the
log-likelihood. The posterior of every parameter is then the posterior given the training
cells alone, and the model's own posterior of the held-out cell's ``pi`` *is* the forecast:
for a fully held-out LLM its fine-tuning offset is drawn from its fitted hierarchical prior
and its family offset is its family's (a new model of its family and size, as
``skillfit.forecasting.resolve_llms``); for a top-k cell it is the fitted LLM at that k (as
``{"of": llm, "factor": 1}``). One compiled graph per link therefore serves every fold: each
worker compiles it once (cached per link, configuration and data) and refits with new data.

**Other benchmarks.** With other benchmarks' scores in the data (a composition table), the
cells scored are the fit's *reference* benchmark's (the first of ``model_config["benchmarks"]``,
Skill-Mix by default), and the other benchmarks' cells stay in every refit:
``benchmarks = ["mine"]`` cross-validates a benchmark alone, ``["mine", "skillmix"]`` asks
whether Skill-Mix's scores help forecast it (the ``size`` scheme then fits the benchmark's
smaller LLMs, and Skill-Mix whole, and forecasts its larger ones). A benchmark whose rates come
without trials cannot be the one scored.

**Scores.** Each held-out cell gets the predictive distribution of its *measured* count:
a Beta-Binomial(``n``, ``P kappa``, ``(1 - P) kappa``) mixed over posterior draws (the nulls:
one Beta-Binomial with a dispersion fitted on the training cells). From that exact pmf:
the log score ``log mean_s p(y | theta_s)`` (elpd), the CRPS of the measured rate
(:func:`crps_discrete`), the median, and the 50% and 89% equal-tailed intervals.

**Nulls.** ``per-k mean``: each k's mean rate over the training LLMs (size-blind).
``per-k logistic``: per k, a sigmoid in log10 training compute (Owen 2024), fitted by
penalised maximum likelihood (see :func:`null_means`).

Examples
--------
>>> import numpy as np
>>> pmf = np.array([0.5, 0.5])  # a fair coin, scored at 1 success of 1
>>> round(float(crps_discrete(pmf, 1)), 6)
0.25
"""

from __future__ import annotations

import json
import os
import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skillfit.errors import SkillfitError
from skillfit.models.skill_graph import NUTPIE_ADAPTATION, SHARED_PARAMETERS

__all__ = ["MIN_LOGISTIC_CELLS", "NULLS", "PSENSE_VARS", "SCHEMES", "UNKNOWN_TOKENS",
           "VARIANTS", "Fold", "cell_table", "check_sensitivity_data", "crossval",
           "crps_discrete", "drop_loss_only_families", "fit_dispersion", "fit_fold_task", "make_folds",
           "mixture_pmf", "null_means", "paired_differences", "paired_runs", "read_folds",
           "pmf_scores", "sensitivity", "sensitivity_task", "summarise",
           "summary_with_paired",
           "with_open_only"]

#: Cross-validation schemes, in the order they run.
SCHEMES: tuple[str, ...] = ("llm", "top-k", "size")
#: Null baselines, always scored beside the links.
NULLS: tuple[str, ...] = ("per-k mean", "per-k logistic")
#: Training tokens assumed for an LLM of known size but undisclosed data (Mistral-7B) in the
#: logistic null and the size cuts: the joint model's prior centre ``unknown_tokens_log_mu``.
UNKNOWN_TOKENS = 2e12
#: A training-cell count below which the per-k logistic null falls back to the per-k mean.
MIN_LOGISTIC_CELLS = 3


# --------------------------------------------------------------------------- cells and folds
def cell_table(data: pd.DataFrame, metric: str = "ratio_of_full_marks",
               benchmarks: Sequence[str] | None = None) -> pd.DataFrame:
    """The cells cross-validation scores: the fit's reference benchmark's, in model order.

    The reference is the first of ``benchmarks`` (default: Skill-Mix, else the first
    benchmark of the data); the other benchmarks' cells stay in every refit.

    Parameters
    ----------
    data : pandas.DataFrame
        A combined joint table (:func:`skillfit.models.skill_graph_data.combine`).
    metric : str
        The Skill-Mix metric.
    benchmarks : sequence of str, optional
        The benchmarks fitted (``model_config["benchmarks"]``).

    Returns
    -------
    pandas.DataFrame
        One row per cell: ``llm, k, n, successes, observed`` (``successes / n``),
        ``log10_compute`` (of ``6 N D``; NaN for closed LLMs; undisclosed ``D`` taken as
        :data:`UNKNOWN_TOKENS`), ``compute_known``, ``closed`` (no known N) and ``cell`` (the
        cell's index in the joint model). ``attrs["benchmark"]`` names the reference,
        ``attrs["kept"]`` the other benchmarks fitted.

    Raises
    ------
    SkillfitError
        If the reference's rates come without trials (they are not counts a refit can hold
        out and score).

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> cells = cell_table(SkillGraphModel.bundled_data())
    >>> len(cells), int(cells["closed"].sum()), cells.attrs["benchmark"]
    (34, 9, 'skillmix')
    """
    from skillfit.models.skill_graph_data import assemble, split, split_composition

    x = assemble(*split(data), metric=metric, composition=split_composition(data),
                 benchmarks=None if benchmarks is None else list(benchmarks))
    if x.benchmark_half[0] is not None:
        raise SkillfitError(
            f"crossval: benchmark {x.benchmarks[0]!r} gives rates without trials, which a "
            "refit cannot hold out and score as counts; cross-validate a benchmark with trials "
            "(the first of model_config 'benchmarks')"
        )
    cell = np.flatnonzero(x.benchmark_of_cell() == 0)
    base = x.base_of_llm[x.cell_llm[cell]]
    log_n, log_d = x.log_params[base], x.log_tokens[base]
    closed = ~np.isfinite(log_n)
    known = np.isfinite(log_n) & np.isfinite(log_d)
    log_d = np.where(np.isfinite(log_d), log_d, np.log(UNKNOWN_TOKENS))
    log10c = np.where(closed, np.nan, (np.log(6.0) + log_n + log_d) / np.log(10.0))
    out = pd.DataFrame({
        "llm": np.array(x.llms)[x.cell_llm[cell]], "k": x.cell_k[cell].astype(int),
        "n": x.cell_n[cell].astype(int), "successes": x.cell_successes[cell].astype(int),
        "observed": x.observed_rates()[cell], "log10_compute": log10c,
        "compute_known": known, "closed": closed, "cell": cell,
    })
    out.attrs["benchmark"] = x.benchmarks[0]
    out.attrs["kept"] = list(x.benchmarks[1:])
    return out


@dataclass(frozen=True)
class Fold:
    """One cross-validation fold: the held-out cells (row positions in :func:`cell_table`)."""

    scheme: str
    name: str
    heldout: tuple[int, ...]


def make_folds(cells: pd.DataFrame, scheme: str) -> list[Fold]:
    """The folds of ``scheme`` (see the module docstring) over :func:`cell_table` rows.

    Raises
    ------
    SkillfitError
        For an unknown scheme.

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> cells = cell_table(SkillGraphModel.bundled_data())
    >>> [len(f.heldout) for f in make_folds(cells, "top-k")]
    [10]
    >>> [f.name for f in make_folds(cells, "size")][0]
    'compute > 9e+23'
    """
    if scheme not in SCHEMES:
        raise SkillfitError(f"unknown scheme {scheme!r}; choose from {', '.join(SCHEMES)}")
    llms = list(dict.fromkeys(cells["llm"]))
    folds: list[Fold] = []
    if scheme == "llm":
        for name in llms:
            rows = cells.index[cells["llm"] == name]
            if bool(cells.loc[rows, "closed"].iloc[0]):
                kmin = cells.loc[rows, "k"].min()  # re-infer the latent loss from the lowest k
                rows = rows[cells.loc[rows, "k"] > kmin]
            if len(rows):
                folds.append(Fold("llm", name, tuple(int(i) for i in rows)))
    elif scheme == "top-k":
        top = cells.groupby("llm", sort=False)["k"].transform("max")
        folds.append(Fold("top-k", "every LLM's top k",
                          tuple(int(i) for i in cells.index[cells["k"] == top])))
    else:
        per_llm = cells.groupby("llm", sort=False).agg(c=("log10_compute", "first"),
                                                       known=("compute_known", "first"))
        sized = per_llm[per_llm["c"].notna()]
        known = per_llm[per_llm["known"]]
        for cut in sorted(set(sized["c"]), reverse=True):
            out = sized.index[sized["c"] >= cut]
            keep_known = known.index[known["c"] < cut]
            if len(out) < 2:
                continue
            if len(keep_known) < 2:
                break
            below = sized["c"][sized["c"] < cut].max()
            mid = 10 ** ((cut + below) / 2) if np.isfinite(below) else 10 ** cut
            rows = cells.index[cells["llm"].isin(out)]
            name = f"compute > {mid:.2g}"
            if folds and set(folds[-1].heldout) == {int(i) for i in rows}:
                continue
            folds.append(Fold("size", name, tuple(int(i) for i in rows)))
    return folds


# --------------------------------------------------------------------------- predictive scores
def mixture_pmf(n: int, score: Any, kappa: Any) -> np.ndarray:
    """pmf of the successes (0..n) under Beta-Binomial(n, P kappa, (1 - P) kappa), averaged
    over the draws of ``score`` (P) and ``kappa`` (arrays that broadcast; scalars for a null).

    Examples
    --------
    >>> mixture_pmf(2, 0.5, 1e9).round(3)
    array([0.25, 0.5 , 0.25])
    """
    from scipy import stats

    from skillfit.models.links import SCORE_EPS

    p = np.clip(np.atleast_1d(np.asarray(score, float)), SCORE_EPS, 1.0 - SCORE_EPS)
    kap = np.broadcast_to(np.atleast_1d(np.asarray(kappa, float)), p.shape)
    j = np.arange(int(n) + 1)[:, None]
    pmf = stats.betabinom.pmf(j, int(n), (p * kap)[None, :], ((1.0 - p) * kap)[None, :])
    out = pmf.mean(axis=1)
    return out / out.sum()


def crps_discrete(pmf: Any, y: int) -> float:
    """Exact CRPS of the measured rate ``j / n`` (``j ~ pmf`` over 0..n) at ``y / n``.

    ``CRPS = sum_j (F(j/n) - 1[y <= j])^2 / n``: the integral of the squared difference of
    the step functions. A point mass at ``j`` scores ``|j - y| / n``.

    Examples
    --------
    >>> crps_discrete([0.0, 0.0, 1.0], 0)
    1.0
    """
    pmf = np.asarray(pmf, float)
    n = pmf.size - 1
    if n < 1:
        raise SkillfitError("crps_discrete: need at least one trial")
    cdf = np.cumsum(pmf)[:-1]
    step = (np.arange(n) >= int(y)).astype(float)
    return float(np.sum((cdf - step) ** 2) / n)


def _quantile(cdf: np.ndarray, q: float) -> int:
    return int(np.searchsorted(cdf, q - 1e-12, side="left"))


def pmf_scores(pmf: Any, y: int, probs: Sequence[float] = (0.5, 0.89)) -> dict[str, float]:
    """Scores of one held-out cell from its predictive pmf over 0..n successes.

    Returns
    -------
    dict
        ``log_score`` (natural log of the predictive probability of ``y``), ``crps_points``
        (x100), ``median``, ``abs_err_points`` (x100), and per mass P in ``probs`` the
        equal-tailed interval of the rate ``lower_P``/``upper_P`` and ``inside_P``.

    Examples
    --------
    >>> s = pmf_scores([0.25, 0.5, 0.25], 1, probs=(0.5,))
    >>> s["median"], s["lower_50"], s["upper_50"], s["inside_50"]
    (0.5, 0.0, 0.5, True)
    """
    pmf = np.asarray(pmf, float)
    n = pmf.size - 1
    cdf = np.cumsum(pmf)
    med = _quantile(cdf, 0.5) / n
    out: dict[str, Any] = {
        "log_score": float(np.log(max(pmf[int(y)], 1e-300))),
        "crps_points": 100.0 * crps_discrete(pmf, y),
        "median": med,
        "abs_err_points": 100.0 * abs(med - y / n),
    }
    for prob in probs:
        tag = f"{round(prob * 100):d}"
        lo = _quantile(cdf, (1.0 - prob) / 2.0) / n
        hi = _quantile(cdf, 1.0 - (1.0 - prob) / 2.0) / n
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
        out[f"inside_{tag}"] = bool(lo - 1e-12 <= y / n <= hi + 1e-12)
    return out


# --------------------------------------------------------------------------- nulls
def fit_dispersion(successes: Any, n: Any, mean: Any) -> float:
    """Maximum-likelihood Beta-Binomial concentration kappa given each cell's mean.

    Searched in [0.5, 1e4] (log scale): with few cells the likelihood can be flat towards
    the binomial limit; the upper bound keeps that case finite.

    Examples
    --------
    >>> kappa = fit_dispersion([0, 10, 0, 10], [10, 10, 10, 10], [0.5, 0.5, 0.5, 0.5])
    >>> kappa < 1.0  # all-or-nothing counts: strongly overdispersed
    True
    """
    from scipy import optimize, stats

    s, n = np.asarray(successes, int), np.asarray(n, int)
    m = np.clip(np.asarray(mean, float), 1e-4, 1 - 1e-4)

    def nll(log_kappa: float) -> float:
        kap = np.exp(log_kappa)
        return -float(np.sum(stats.betabinom.logpmf(s, n, m * kap, (1 - m) * kap)))

    res = optimize.minimize_scalar(nll, bounds=(np.log(0.5), np.log(1e4)), method="bounded")
    return float(np.exp(res.x))


def _per_k_mean(train: pd.DataFrame, ks: Iterable[int]) -> dict[int, float]:
    """Mean training rate per k; a k without training cells takes the nearest lower k's mean
    (else the nearest higher one)."""
    means = train.groupby("k")["observed"].mean()
    out = {}
    for k in ks:
        if k in means.index:
            out[k] = float(means[k])
        else:
            lower = means.index[means.index < k]
            out[k] = float(means[lower.max()] if len(lower) else means[means.index.min()])
    return out


def _fit_logistic(x: np.ndarray, s: np.ndarray, n: np.ndarray) -> tuple[float, float, float]:
    """Penalised binomial logistic fit ``logit P = a + b (x - centre)``: ``(a, b, centre)``.

    Priors (penalties) Normal(0, 5) on ``a`` and Normal(0, 2.5) on ``b`` keep the fit finite
    when every count at a k is 0 (perfect separation)."""
    from scipy import optimize
    from scipy.special import expit, log_expit

    centre = float(np.mean(x))

    def nll(w: np.ndarray) -> float:
        z = w[0] + w[1] * (x - centre)
        ll = s * log_expit(z) + (n - s) * log_expit(-z)
        return -float(ll.sum()) + w[0] ** 2 / (2 * 25.0) + w[1] ** 2 / (2 * 6.25)

    def grad(w: np.ndarray) -> np.ndarray:
        z = w[0] + w[1] * (x - centre)
        r = s - n * expit(z)
        return -np.array([r.sum() - w[0] / 25.0, (r * (x - centre)).sum() - w[1] / 6.25])

    res = optimize.minimize(nll, np.zeros(2), jac=grad, method="BFGS")
    return float(res.x[0]), float(res.x[1]), centre


def null_means(null: str, train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Expected rates of a null baseline fitted on ``train`` cells: ``(train_mean, test_mean)``.

    ``per-k mean``: the mean training rate at each k (a k absent from the training cells takes
    the nearest lower k's). ``per-k logistic``: per k,
    ``logit P = a_k + b_k (log10 C - mean log10 C)``
    fitted on the training cells of known (or :data:`UNKNOWN_TOKENS`-imputed) compute by
    penalised maximum likelihood; a k with fewer than :data:`MIN_LOGISTIC_CELLS` such cells
    falls back to the per-k mean. A closed LLM (no compute) gets an *effective* log compute
    from its lowest-k training cell, inverting that k's fitted sigmoid (clipped to two decades
    beyond the training range); without such a cell, or with a flat sigmoid, it falls back to
    the per-k mean.

    Examples
    --------
    >>> train = pd.DataFrame({"k": [2, 2, 3], "observed": [0.2, 0.4, 0.1],
    ...                       "successes": [2, 4, 1], "n": [10, 10, 10], "llm": ["a", "b", "a"],
    ...                       "log10_compute": [23.0, 24.0, 23.0]})
    >>> test = pd.DataFrame({"k": [2, 4], "llm": ["c", "c"], "log10_compute": [24.0, 24.0]})
    >>> [round(float(v), 2) for v in null_means("per-k mean", train, test)[1]]
    [0.3, 0.1]
    """
    from scipy.special import expit, logit

    ks = sorted(set(train["k"]) | set(test["k"]))
    base = _per_k_mean(train, ks)
    mean_of = lambda df: np.array(df["k"].map(base), dtype=float)  # noqa: E731
    if null == "per-k mean":
        return mean_of(train), mean_of(test)
    if null != "per-k logistic":
        raise SkillfitError(f"unknown null {null!r}; choose from {', '.join(NULLS)}")
    sized = train[train["log10_compute"].notna()]
    fits: dict[int, tuple[float, float, float]] = {}
    for k, part in sized.groupby("k"):
        if len(part) >= MIN_LOGISTIC_CELLS:
            fits[int(k)] = _fit_logistic(part["log10_compute"].to_numpy(float),
                                         part["successes"].to_numpy(float),
                                         part["n"].to_numpy(float))
    xs = sized["log10_compute"]
    lo_x, hi_x = (xs.min(), xs.max()) if len(sized) else (0.0, 0.0)
    # effective compute of LLMs without one, from their lowest-k training cell
    eff: dict[str, float] = {}
    for name in set(train["llm"]) | set(test["llm"]):
        rows = train[(train["llm"] == name) & train["log10_compute"].isna()]
        if rows.empty:
            continue
        row = rows.loc[rows["k"].idxmin()]
        fit = fits.get(int(row["k"]))
        if fit is None or fit[1] < 1e-2:
            continue
        y = np.clip((row["successes"] + 0.5) / (row["n"] + 1.0), 1e-3, 1 - 1e-3)
        eff[name] = float(np.clip(fit[2] + (logit(y) - fit[0]) / fit[1], lo_x - 2, hi_x + 2))

    def predict(df: pd.DataFrame) -> np.ndarray:
        out = mean_of(df)
        x = df["log10_compute"].to_numpy(float).copy()
        for i, name in enumerate(df["llm"]):
            if not np.isfinite(x[i]) and name in eff:
                x[i] = eff[name]
        for i, k in enumerate(df["k"]):
            fit = fits.get(int(k))
            if fit is not None and np.isfinite(x[i]):
                out[i] = expit(fit[0] + fit[1] * (x[i] - fit[2]))
        return out

    return predict(train), predict(test)


def _null_pmfs(null: str, train: pd.DataFrame,
               test: pd.DataFrame) -> tuple[list[np.ndarray], float]:
    """Predictive pmfs of the held-out cells: Beta-Binomial with the null's mean and a
    dispersion fitted on the training cells. Cells where the logistic null falls back to the
    per-k mean use the per-k mean's dispersion (and the logistic's is fitted without them)."""
    m_train, m_test = null_means(null, train, test)
    kappa = fit_dispersion(train["successes"], train["n"], m_train)
    kappas = np.full(len(test), kappa)
    if null == "per-k logistic":
        b_train, b_test = null_means("per-k mean", train, test)
        kappa_mean = kappa if null == "per-k mean" else fit_dispersion(
            train["successes"], train["n"], b_train)
        fitted = m_train != b_train
        if fitted.any():
            kappa = fit_dispersion(train["successes"][fitted], train["n"][fitted], m_train[fitted])
        kappas = np.where(m_test != b_test, kappa, kappa_mean)
    return [mixture_pmf(int(n), m, kap)
            for n, m, kap in zip(test["n"], m_test, kappas, strict=True)], kappa


# --------------------------------------------------------------------------- fitting (worker side)
_CACHE: dict[Any, Any] = {}


def _cache_key(link: str, model_config: Mapping[str, Any], data: pd.DataFrame, sampler: str) -> Any:
    from skillfit.provenance import data_sha256

    return (link, json.dumps(dict(model_config), sort_keys=True, default=str),
            data_sha256(data), sampler)


def _compiled(link: str, model_config: Mapping[str, Any], data: pd.DataFrame, sampler: str) -> Any:
    """``(SkillGraphModel, pm.Model, nutpie compiled model or None)``, built once per process."""
    key = _cache_key(link, model_config, data, sampler)
    if key not in _CACHE:
        from skillfit.models.pytensor_face import compile_mode_for_theory
        from skillfit.models.skill_graph import SkillGraphModel

        model = SkillGraphModel(model_config={**dict(model_config), "link": link},
                                sampler_config={"nuts_sampler": sampler})
        with compile_mode_for_theory():
            pm_model = model.build_model(data)
            compiled = None
            if sampler == "nutpie":
                import nutpie

                compiled = nutpie.compile_pymc_model(pm_model, backend="numba")
        _CACHE[key] = (model, pm_model, compiled)
    return _CACHE[key]


def _diagnostics(idata: Any) -> tuple[float, int]:
    import arviz as az

    post = idata["posterior"]
    names = [v for v in SHARED_PARAMETERS if v in post]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = pd.DataFrame(az.summary(idata, var_names=names, kind="diagnostics"))
    r_hat = float(table["r_hat"].astype(float).max()) if len(table) else float("nan")
    div = 0
    if "sample_stats" in idata and "diverging" in idata["sample_stats"]:
        div = int(np.asarray(idata["sample_stats"]["diverging"]).astype(bool).sum())
    return r_hat, div


def fit_fold_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Refit one link with the fold's cells held out; return the held-out cells' draws.

    ``task`` holds ``link, data, model_config, sampler_config, seed, heldout`` (cell rows of
    :func:`cell_table`). Runs on a worker; the compiled model is cached per process.

    Returns
    -------
    dict
        ``score`` (held-out cells x draws: the expected score ``P``), ``kappa`` (draws),
        ``max_r_hat``, ``divergences``, ``seconds``.
    """
    import pymc as pm

    start = time.perf_counter()
    cfg = dict(task["sampler_config"])
    sampler = cfg.get("nuts_sampler") or "nutpie"
    model, pm_model, compiled = _compiled(task["link"], task["model_config"], task["data"], sampler)
    x = model.inputs
    held = np.asarray(task["heldout"], int)
    data = model.held_out_data(held)
    draws, tune, chains = int(cfg["draws"]), int(cfg["tune"]), int(cfg["chains"])
    target = float(cfg.get("target_accept", 0.9))
    seed = int(task["seed"])
    if compiled is not None:
        import nutpie

        adaptation = (cfg.get("nuts") or {}).get("adaptation", NUTPIE_ADAPTATION)
        idata = nutpie.sample(compiled.with_data(**data),
                              draws=draws, tune=tune, chains=chains, cores=1, seed=seed,
                              progress_bar=False, target_accept=target, adaptation=adaptation)
    else:
        from skillfit.models.pytensor_face import compile_mode_for_theory, theory_mode

        with compile_mode_for_theory(), pm_model:
            pm.set_data(data)
            idata = pm.sample(draws=draws, tune=tune, chains=chains, cores=1, random_seed=seed,
                              progressbar=False, target_accept=target,
                              compute_convergence_checks=False,
                              compile_kwargs={"mode": theory_mode()})
    post = idata["posterior"]
    n_draws = post.sizes["chain"] * post.sizes["draw"]

    def flat(name: str) -> np.ndarray:
        if name in post:
            return np.asarray(post[name].values, float).reshape(n_draws, *post[name].shape[2:])
        return np.full(n_draws, float(model.model_config[name]))

    score = flat("score")[:, held].T
    r_hat, div = _diagnostics(idata)
    return {"score": score, "kappa": flat("kappa"), "max_r_hat": r_hat, "divergences": div,
            "seconds": time.perf_counter() - start}


# --------------------------------------------------------------------------- cross-validation
def _seed(seed: int, *parts: str) -> int:
    """A task's seed: ``seed`` mixed with its fold and link (stable across runs and machines)."""
    return int((seed + zlib.crc32("/".join(parts).encode())) % (2**32 - 1))


def crossval(data: pd.DataFrame, schemes: Sequence[str] = SCHEMES,
             links: Sequence[str] = ("threshold", "independent", "logistic"),
             model_config: Mapping[str, Any] | None = None,
             sampler_config: Mapping[str, Any] | None = None, seed: int = 0,
             runner: Any = None, report: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Score every link and null on every held-out cell of every fold of ``schemes``.

    Parameters
    ----------
    data : pandas.DataFrame
        A combined joint table.
    schemes : sequence of str
        From :data:`SCHEMES`.
    links : sequence of str
        Links to refit per fold.
    model_config, sampler_config : mapping, optional
        Shared by every refit (``link`` is set per task).
    seed : int
        Base seed; each (fold, link) task gets its own derived seed.
    runner : skillfit.runner.Runner, optional
        Where the refits run (default: serially in this process).
    report : callable, optional
        Progress lines.

    Returns
    -------
    pandas.DataFrame
        One row per held-out cell x method (each link, then each null): ``scheme, fold, llm,
        k, n, observed, closed, method, kind`` (``model``/``baseline``: not "null", which
        CSV readers take for a missing value) and the :func:`pmf_scores`
        columns,
        plus ``max_r_hat``, ``divergences`` of the refit (NaN for nulls). The cells are the
        fit's reference benchmark's (``attrs["benchmark"]``; :func:`cell_table`): with other
        benchmarks in ``data``, their cells stay in every refit.

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> table = crossval(SkillGraphModel.bundled_data(), ["top-k"], ["logistic"],
    ...                  sampler_config={"nuts_sampler": "pymc", "draws": 10, "tune": 10,
    ...                                  "chains": 1})
    >>> sorted(set(table["method"]))
    ['logistic', 'per-k logistic', 'per-k mean']
    """
    from skillfit.models.skill_graph import SkillGraphModel
    from skillfit.models.skill_graph_data import split_composition
    from skillfit.runner import Runner

    say = report or (lambda _line: None)
    model_config = {k: v for k, v in dict(model_config or {}).items() if k != "link"}
    sampler = SkillGraphModel(sampler_config=sampler_config).sampler_config
    sampler = {k: sampler[k] for k in ("draws", "tune", "chains", "target_accept", "nuts_sampler",
                                       "nuts")
               if k in sampler}
    metric = model_config.get("metric", "ratio_of_full_marks")
    cells = cell_table(data, metric, model_config.get("benchmarks"))
    if split_composition(data) is not None:
        kept = cells.attrs["kept"]
        say(f"scoring benchmark {cells.attrs['benchmark']!r}"
            + (f"; kept whole in every refit: {', '.join(kept)}" if kept else " alone"))
    folds = [f for s in schemes for f in make_folds(cells, s)]
    tasks, labels = [], []
    for fold in folds:
        for link in links:
            # the fold's cells as the joint model's cell indices
            held = tuple(int(c) for c in cells.loc[list(fold.heldout), "cell"])
            tasks.append({"link": link, "data": data, "model_config": model_config,
                          "sampler_config": sampler, "heldout": held,
                          "seed": _seed(seed, fold.scheme, fold.name, link)})
            labels.append(f"{fold.scheme}: {fold.name} [{link}]")
    say(f"{len(folds)} folds x {len(links)} links = {len(tasks)} refits "
        f"({sampler['chains']} chains x {sampler['draws']} draws after {sampler['tune']} tuning "
        f"steps each)")
    own = runner is None
    runner = runner or Runner(serial=True, report=say)
    if own:
        runner.__enter__()
    try:
        results = runner.map(fit_fold_task, tasks, labels)
    finally:
        if own:
            runner.__exit__(None, None, None)
    rows = []
    it = iter(results)
    for fold in folds:
        held = list(fold.heldout)
        test = cells.loc[held]
        train = cells.drop(index=held)
        methods: list[tuple[str, str, list[np.ndarray], float, float]] = []
        for link in links:
            res = next(it)
            pmfs = [mixture_pmf(int(n), res["score"][j], res["kappa"])
                    for j, n in enumerate(test["n"])]
            methods.append((link, "model", pmfs, res["max_r_hat"], res["divergences"]))
        for null in NULLS:
            pmfs, _ = _null_pmfs(null, train, test)
            methods.append((null, "baseline", pmfs, np.nan, np.nan))
        for method, kind, pmfs, r_hat, div in methods:
            for j, (_, cell) in enumerate(test.iterrows()):
                rows.append({"scheme": fold.scheme, "fold": fold.name, "llm": cell["llm"],
                             "k": int(cell["k"]), "n": int(cell["n"]),
                             "observed": float(cell["observed"]), "closed": bool(cell["closed"]),
                             "method": method, "kind": kind,
                             **pmf_scores(pmfs[j], int(cell["successes"])),
                             "max_r_hat": r_hat, "divergences": div})
    out = pd.DataFrame(rows)
    out.attrs["benchmark"] = cells.attrs["benchmark"]
    return out


def with_open_only(folds: pd.DataFrame) -> pd.DataFrame:
    """``folds`` plus its ``llm``-scheme rows of open LLMs again, as scheme ``llm (open)``.

    The closed LLMs' cells (GPT-4's especially) are far from every training LLM and can
    dominate the ``llm`` scheme's sums; the extra scheme shows the comparison without them.
    """
    if "closed" not in folds.columns:
        return folds
    extra = folds[(folds["scheme"] == "llm") & ~folds["closed"].astype(bool)]
    return pd.concat([folds, extra.assign(scheme="llm (open)")], ignore_index=True)


def summarise(folds: pd.DataFrame) -> pd.DataFrame:
    """Per scheme and method: ``cells, elpd`` (sum of log scores), mean ``crps_points``,
    ``mae_points``, ``coverage_50``, ``coverage_89``, worst ``max_r_hat``, ``divergences``."""
    g = folds.groupby(["scheme", "method"], sort=False)
    out = g.agg(kind=("kind", "first"), cells=("log_score", "size"), elpd=("log_score", "sum"),
                crps_points=("crps_points", "mean"), mae_points=("abs_err_points", "mean"),
                coverage_50=("inside_50", "mean"), coverage_89=("inside_89", "mean"),
                max_r_hat=("max_r_hat", "max"), divergences=("divergences", "sum"))
    out.loc[out["kind"] == "baseline", ["max_r_hat", "divergences"]] = np.nan
    return out.reset_index()


def summary_with_paired(summary: pd.DataFrame, paired: pd.DataFrame) -> pd.DataFrame:
    """:func:`summarise`'s rows with each model's paired differences against each null beside
    them (the run folder's ``summary.csv``).

    A model's row appears once per null (columns ``null, d_elpd, se_elpd, d_crps_points,
    se_crps_points, verdict``); a null's row once, with those columns empty. The paired
    differences' ``cells`` is the model row's own ``cells`` (both count the scheme's held-out
    cells), so it is not repeated.

    Examples
    --------
    >>> summary = pd.DataFrame({"scheme": "s", "method": ["m", "null"],
    ...                         "kind": ["model", "baseline"], "cells": 2, "elpd": [-2.0, -5.0]})
    >>> paired = pd.DataFrame({"scheme": ["s"], "model": ["m"], "null": ["null"], "cells": [2],
    ...                        "d_elpd": [3.0], "se_elpd": [1.0], "d_crps_points": [-1.0],
    ...                        "se_crps_points": [0.0], "verdict": ["beats"]})
    >>> table = summary_with_paired(summary, paired)
    >>> table.columns.tolist()[:5], table["d_elpd"].tolist()
    (['scheme', 'method', 'kind', 'cells', 'elpd'], [3.0, nan])
    """
    extra = paired.drop(columns="cells").rename(columns={"model": "method"})
    return summary.merge(extra, how="left", on=["scheme", "method"])


def paired_differences(folds: pd.DataFrame) -> pd.DataFrame:
    """Model minus null, paired over the held-out cells of each scheme.

    ``d_elpd`` is the summed log-score difference with standard error ``sd(d_i) sqrt(n)``
    (positive: the model is better); ``d_crps_points`` the mean CRPS difference per cell with
    ``sd(d_i) / sqrt(n)`` (negative: the model is better; the same z-ratio as the sum and its
    ``sd sqrt(n)``). ``verdict`` says it in words: "beats" needs ``d_elpd > 2 se``.

    Examples
    --------
    >>> f = pd.DataFrame({"scheme": "s", "fold": "f", "llm": ["a", "b"] * 2, "k": 2,
    ...                   "method": ["m", "m", "null", "null"],
    ...                   "kind": ["model"] * 2 + ["baseline"] * 2,
    ...                   "log_score": [-1.0, -1.0, -2.0, -3.0], "crps_points": [1.0, 1, 2, 3]})
    >>> paired_differences(f)[["d_elpd", "se_elpd"]].round(2).values.tolist()
    [[3.0, 1.0]]
    """
    rows = []
    for scheme, part in folds.groupby("scheme", sort=False):
        models = list(dict.fromkeys(part.loc[part["kind"] == "model", "method"]))
        nulls = list(dict.fromkeys(part.loc[part["kind"] == "baseline", "method"]))
        for m in models:
            a = part[part["method"] == m].set_index(_CELL_KEY)
            for nl in nulls:
                b = part[part["method"] == nl].set_index(_CELL_KEY).loc[a.index]
                diff = _paired(a, b)
                rows.append({"scheme": scheme, "model": m, "null": nl, **diff,
                             "verdict": _verdict(m, nl, *(diff[c] for c in _PAIRED_COLUMNS[1:]))})
    return pd.DataFrame(rows)


#: The columns that identify a held-out cell of a fold.
_CELL_KEY = ["scheme", "fold", "llm", "k"]
#: What :func:`_paired` returns, in order.
_PAIRED_COLUMNS = ("cells", "d_elpd", "se_elpd", "d_crps_points", "se_crps_points")


def _paired(a: pd.DataFrame, b: pd.DataFrame) -> dict[str, float]:
    """``a`` minus ``b`` over aligned cells: summed log-score difference with standard error
    ``sd(d) sqrt(n)``, mean CRPS difference with ``sd / sqrt(n)`` (NaN errors for one cell)."""
    d = (a["log_score"] - b["log_score"]).to_numpy(float)
    c = (a["crps_points"] - b["crps_points"]).to_numpy(float)
    n = d.size
    sd_d = float(np.std(d, ddof=1)) if n > 1 else float("nan")
    sd_c = float(np.std(c, ddof=1)) if n > 1 else float("nan")
    return {"cells": n, "d_elpd": float(d.sum()), "se_elpd": sd_d * np.sqrt(n),
            "d_crps_points": float(c.mean()), "se_crps_points": sd_c / np.sqrt(n)}


def paired_runs(new: pd.DataFrame, old: pd.DataFrame) -> pd.DataFrame:
    """Each model of ``new`` minus the same model of ``old``, paired over the cells both score.

    For comparing two versions of the model (a changed default, a new prior) on the same
    folds: ``new`` and ``old`` are :func:`crossval` tables (a run folder's ``folds.csv``,
    see :func:`read_folds`), and a cell counts when both hold it out in the same scheme and
    fold. Differences as in :func:`paired_differences` (positive ``d_elpd``, negative
    ``d_crps_points``: ``new`` is better).

    Returns
    -------
    pandas.DataFrame
        ``scheme, model, cells, d_elpd, se_elpd, d_crps_points, se_crps_points, verdict``, one
        row per scheme and model (link) scored in both runs.

    Raises
    ------
    SkillfitError
        If the two runs share no model and held-out cell.

    Examples
    --------
    >>> old = pd.DataFrame({"scheme": "s", "fold": "f", "llm": ["a", "b"], "k": 2,
    ...                     "method": "threshold", "kind": "model",
    ...                     "log_score": [-2.0, -3.0], "crps_points": [2.0, 3.0]})
    >>> new = old.assign(log_score=[-1.0, -1.0], crps_points=[1.0, 1.0])
    >>> paired_runs(new, old)[["model", "cells", "d_elpd", "se_elpd"]].values.tolist()
    [['threshold', 2, 3.0, 1.0]]
    """
    rows = []
    for scheme, part in new.groupby("scheme", sort=False):
        before = old[old["scheme"] == scheme]
        models = [m for m in dict.fromkeys(part.loc[part["kind"] == "model", "method"])
                  if m in set(before.loc[before["kind"] == "model", "method"])]
        for m in models:
            a = part[part["method"] == m].set_index(_CELL_KEY)
            b = before[before["method"] == m].set_index(_CELL_KEY)
            both = a.index.intersection(b.index)
            if both.empty:
                continue
            diff = _paired(a.loc[both], b.loc[both])
            rows.append({"scheme": scheme, "model": m, **diff,
                         "verdict": _verdict(f"{m} (this run)", "the baseline run",
                                             *(diff[c] for c in _PAIRED_COLUMNS[1:]))})
    if not rows:
        raise SkillfitError("the two cross-validation runs share no link and held-out cell")
    return pd.DataFrame(rows)


def read_folds(folder: str | os.PathLike[str]) -> pd.DataFrame:
    """The per-cell scores (``folds.csv``) of a ``skillfit crossval`` run folder.

    Raises
    ------
    SkillfitError
        Naming the file if it is missing, unreadable or lacks a column :func:`paired_runs`
        needs.

    Examples
    --------
    >>> read_folds("no/such/run")
    Traceback (most recent call last):
    ...
    skillfit.errors.SkillfitError: no/such/run/folds.csv: not found (give the folder of a skillfit crossval run)
    """
    path = Path(folder) / "folds.csv"
    if not path.is_file():
        raise SkillfitError(f"{path}: not found (give the folder of a skillfit crossval run)")
    try:
        table = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise SkillfitError(f"{path}: not a readable CSV ({exc})") from None
    needed = [*_CELL_KEY, "method", "kind", "log_score", "crps_points"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise SkillfitError(f"{path}: missing column(s) {', '.join(missing)} of a crossval run")
    return table


def _verdict(model: str, null: str, de: float, se: float, dc: float, sec: float) -> str:
    if de > 2 * se:
        head = f"{model} beats {null} by {de:.1f} ± {se:.1f} elpd"
    elif de > 0:
        head = f"{model} does not clearly beat {null} ({de:+.1f} ± {se:.1f} elpd)"
    else:
        head = f"{model} does not beat {null} ({de:+.1f} ± {se:.1f} elpd)"
    return f"{head}; CRPS {dc:+.2f} ± {sec:.2f} points per cell"


# --------------------------------------------------------------------------- sensitivity
#: Structural variants compared with the default fit: ``(name, model_config overrides, drop
#: the loss-only families?)``.
VARIANTS: tuple[tuple[str, dict[str, Any], bool], ...] = (
    ("tau=0.3", {"tau": 0.3}, False),
    ("tau=0.7", {"tau": 0.7}, False),
    ("law=hoffmann", {"law": "hoffmann"}, False),
    ("no loss-only families", {}, True),
)
#: Scalar parameters reported by the power-scaling diagnostic.
PSENSE_VARS = SHARED_PARAMETERS


def drop_loss_only_families(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` without the loss rows of families that have no Skill-Mix LLM.

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> d = SkillGraphModel.bundled_data()
    >>> n_loss = lambda t: int((t["table"] == "losses").sum())
    >>> n_loss(d) > n_loss(drop_loss_only_families(d))
    True
    """
    cat = data[data["table"] == "catalog"].set_index("llm")
    sm = set(data.loc[data["table"] == "skillmix", "llm"])
    fams = {str(cat.at[m, "family"]) for m in sm if m in cat.index}
    fam_of = cat["family"].astype(str)
    is_loss = data["table"] == "losses"
    keep = ~is_loss | data["llm"].map(fam_of).isin(fams)
    return data[keep].reset_index(drop=True)


def sensitivity_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Fit one variant on a worker; its default-LLM forecasts (and, for the default fit, the
    power-scaling table). ``task``: ``name, data, model_config, sampler_config, seed, psense``."""
    import pymc as pm

    from skillfit.forecasting import DEFAULT_HYPOTHETICAL_LLMS, _quiet_forecast
    from skillfit.models.skill_graph import SkillGraphModel

    start = time.perf_counter()
    model = SkillGraphModel(model_config=task["model_config"],
                            sampler_config={**task["sampler_config"], "cores": 1})
    model.fit(task["data"], random_seed=int(task["seed"]), progressbar=False,
              predictive=bool(task["psense"]))
    table = _quiet_forecast(model, list(DEFAULT_HYPOTHETICAL_LLMS), k_max=6)
    table = table[table["quantity"] == "score"][["llm", "k", "median", "lower", "upper"]]
    out: dict[str, Any] = {"forecast": table.reset_index(drop=True)}
    if task["psense"]:
        from arviz_stats import psense_summary

        idata = model.idata
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.stats.compute_log_prior(idata, model=model.model, extend_inferencedata=True,
                                       progressbar=False)
            names = [v for v in PSENSE_VARS if v in idata["posterior"]]
            out["psense"] = pd.DataFrame(psense_summary(idata, var_names=names))
    diag = model.diagnostics()
    out.update({"max_r_hat": diag["max_r_hat"], "divergences": diag["divergences"],
                "seconds": time.perf_counter() - start})
    return out


def check_sensitivity_data(data: pd.DataFrame) -> None:
    """Refuse data that :func:`sensitivity` does not cover: scores of other benchmarks (its
    variants and the default LLMs' forecasts are Skill-Mix's).

    Raises
    ------
    SkillfitError
        If ``data`` holds a composition table.
    """
    from skillfit.models.skill_graph_data import split_composition

    if split_composition(data) is not None:
        raise SkillfitError(
            "sensitivity: its structural variants and the default LLMs' forecasts are "
            "Skill-Mix's; with other benchmarks' scores, cross-validate with --no-sensitivity"
        )


def sensitivity(data: pd.DataFrame, model_config: Mapping[str, Any] | None = None,
                sampler_config: Mapping[str, Any] | None = None, seed: int = 0,
                runner: Any = None, report: Callable[[str], None] | None = None
                ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Power-scaling sensitivity of the default fit and structural variants side by side.

    Returns
    -------
    psense : pandas.DataFrame
        ``arviz_stats.psense_summary`` of the default fit (prior and likelihood sensitivity
        per parameter, and its diagnosis).
    variants : pandas.DataFrame
        One row per variant x default hypothetical LLM x k: the variant's forecast score
        ``median, lower, upper`` (89%), the default's, and ``moved`` (the median moved by
        more than the default's 89% interval half-width).
    """
    from skillfit.models.skill_graph import SkillGraphModel
    from skillfit.runner import Runner

    check_sensitivity_data(data)
    base_cfg = dict(model_config or {})
    sampler = SkillGraphModel(sampler_config=sampler_config).sampler_config
    sampler = {k: sampler[k] for k in ("draws", "tune", "chains", "target_accept", "nuts_sampler",
                                       "nuts")
               if k in sampler}
    tasks = [{"name": "default", "data": data, "model_config": base_cfg,
              "sampler_config": sampler, "seed": seed, "psense": True}]
    for name, cfg, drop in VARIANTS:
        tasks.append({"name": name, "data": drop_loss_only_families(data) if drop else data,
                      "model_config": {**base_cfg, **cfg}, "sampler_config": sampler,
                      "seed": seed, "psense": False})
    own = runner is None
    runner = runner or Runner(serial=True, report=report)
    if own:
        runner.__enter__()
    try:
        results = runner.map(sensitivity_task, tasks, [f"sensitivity: {t['name']}" for t in tasks])
    finally:
        if own:
            runner.__exit__(None, None, None)
    default = results[0]["forecast"].set_index(["llm", "k"])
    rows = []
    for task, res in zip(tasks, results, strict=True):
        f = res["forecast"].set_index(["llm", "k"])
        for (llm, k), row in f.iterrows():
            d = default.loc[(llm, k)]
            half = (d["upper"] - d["lower"]) / 2.0
            rows.append({"variant": task["name"], "llm": llm, "k": int(k),
                         "median": row["median"], "lower": row["lower"], "upper": row["upper"],
                         "default_median": d["median"], "default_half_width": half,
                         "shift": row["median"] - d["median"],
                         "moved": bool(abs(row["median"] - d["median"]) > half),
                         "max_r_hat": res["max_r_hat"], "divergences": res["divergences"]})
    return results[0]["psense"], pd.DataFrame(rows)
