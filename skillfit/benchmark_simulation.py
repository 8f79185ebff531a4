"""Simulate another k-composition benchmark from a fitted joint model.

A fitted :class:`~skillfit.models.skill_graph.SkillGraphModel` knows each LLM's reducible loss
``r`` and the skill graph (``eta``, the link). A benchmark that tests another skill set with
another grader is, in the model, the same LLMs with their own scale ``c`` from loss to failed
text, grader strictness ``gamma`` and noise ``kappa`` (``docs/model.md``, section 6).
:func:`simulate_benchmark` draws such a benchmark's scores as a ``composition`` table: used to
test that a fit recovers a benchmark's parameters, and to make example data. Its rows are
made up: their ``grader`` and ``source`` say so.

Examples
--------
>>> from skillfit.models.skill_graph import SkillGraphModel
>>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
>>> _ = model.fit(random_seed=1, predictive=False)
>>> table = simulate_benchmark(model, "made-up", c=3.0, gamma=0.7, ks=(1, 2), trials=50)
>>> list(table.columns)
['benchmark', 'llm', 'k', 'metric', 'value', 'trials', 'generations', 'grader', 'source']
>>> len(table), sorted(set(table["k"])), table.attrs["truth"]["c"]
(20, [1, 2], 3.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillfit import scaling
from skillfit.errors import SkillfitError
from skillfit.models.links import (
    link_probability,
    score_probability,
    simulate_published_rates,
    simulate_rates,
)

if TYPE_CHECKING:
    from skillfit.models.skill_graph import SkillGraphModel

__all__ = ["simulate_benchmark"]


def _positive(value: Any, name: str, upper: float | None = None) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise SkillfitError(f"{name} must be a number, got {value!r}") from None
    if not np.isfinite(out) or out <= 0 or (upper is not None and out > upper):
        bound = f" and at most {upper:g}" if upper is not None else ""
        raise SkillfitError(f"{name} must be positive{bound}, got {value!r}")
    return out


def simulate_benchmark(model: SkillGraphModel, name: str, *, c: float, gamma: float,
                       kappa: float = 30.0, trials: int | None = 100, generations: int = 1,
                       ks: Sequence[int] = (1, 2, 3, 4, 5), llms: Sequence[str] | None = None,
                       random_seed: int | None = 0) -> pd.DataFrame:
    """Scores of a made-up benchmark drawn from one posterior draw of ``model``.

    For one posterior draw (chosen with ``random_seed``), each LLM's ``r``, ``eta`` and the
    link's parameters are the draw's; the benchmark's ``theta = 1 - exp(-c r^eta)``, its
    ``pi_k`` by the model's link, its expected score ``P`` best of ``generations`` (the
    draw's ``per_tuple``) with ``gamma``, and ``successes ~ BetaBinomial(trials, P kappa,
    (1 - P) kappa)``; with ``trials=None``, rates published without trials, ``Beta(P kappa,
    (1 - P) kappa)`` rounded to 2 decimals.

    Parameters
    ----------
    model : SkillGraphModel
        A fitted joint model.
    name : str
        The benchmark's name (not ``skillmix``).
    c, gamma, kappa : float
        The benchmark's scale from loss to failed text, grader strictness (in (0, 1]) and
        Beta-Binomial concentration.
    trials : int or None
        Items scored per (LLM, k); None: rates without trials (``kappa`` is then their
        precision).
    generations : int
        Generations per item (best kept).
    ks : sequence of int
        The k values scored.
    llms : sequence of str, optional
        LLMs of the fit to score (default: all of them).
    random_seed : int, optional
        Seed of the posterior draw and of the counts.

    Returns
    -------
    pandas.DataFrame
        A ``composition`` table (metric ``all_met``, ``grader`` ``simulated``); ``attrs["truth"]``
        holds ``c``, ``gamma``, ``kappa``, the draw's index and its ``r`` per LLM.

    Raises
    ------
    SkillfitError
        On a bad number, an empty name or ``skillmix``, or an LLM that is not in the fit.
    """
    if not isinstance(name, str) or not name.strip() or name == "skillmix":
        raise SkillfitError(f"name must be a benchmark name other than 'skillmix', got {name!r}")
    c, kappa = _positive(c, "c"), _positive(kappa, "kappa")
    gamma = _positive(gamma, "gamma", upper=1.0)
    for label, value in (("trials", trials), ("generations", generations)):
        if label == "trials" and value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            extra = " or None (rates without trials)" if label == "trials" else ""
            raise SkillfitError(f"{label} must be a whole number >= 1{extra}, got {value!r}")
    k_values = np.asarray([int(k) for k in ks], dtype=float)
    if not len(k_values) or np.any(k_values < 1):
        raise SkillfitError(f"ks must be whole numbers >= 1, got {list(ks)!r}")
    fitted = list(model.inputs.llms)
    names = fitted if llms is None else list(llms)
    unknown = [m for m in names if m not in fitted]
    if unknown:
        raise SkillfitError(f"llms: not in the fit: {', '.join(unknown)}; "
                            f"it has {', '.join(fitted)}")
    rng = np.random.default_rng(random_seed)
    shared = model.shared_parameters()
    s = int(rng.integers(shared["c"].size))
    post = model.posterior
    r_all = post["r"].values.reshape(-1, post.sizes["llm"])[s]
    r = np.array([r_all[fitted.index(m)] for m in names])
    params = {key: value[s] for key, value in shared.items()}
    theta = scaling.theta_expr(r, c, np, params["eta"])
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):  # as forecasts do
        pi = link_probability(model.link, theta[:, None], np.log(r)[:, None],
                              k_values[None, :], params, np)
    p = score_probability(pi, gamma, np, generations=int(generations),
                          per_tuple=params["per_tuple"])
    if trials is None:
        rates = simulate_published_rates(p, kappa, 0.005, rng)
    else:
        rates = simulate_rates(p, kappa, int(trials), rng)
    table = pd.DataFrame({
        "benchmark": name,
        "llm": np.repeat(names, len(k_values)),
        "k": np.tile(k_values.astype(int), len(names)),
        "metric": "all_met",
        "value": rates.ravel(),
        "trials": None if trials is None else int(trials),
        "generations": int(generations),
        "grader": "simulated",
        "source": f"made up: simulated by skillfit.benchmark_simulation (c={c:g}, "
                  f"gamma={gamma:g}, kappa={kappa:g}, posterior draw {s})",
    })
    table.attrs["truth"] = {"c": c, "gamma": gamma, "kappa": kappa, "draw": s,
                            "r": dict(zip(names, r.tolist(), strict=True))}
    return table
