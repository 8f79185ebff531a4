"""Fit every link of the joint model on the same data and compare them by PSIS-LOO.

Each link (``threshold``, ``independent``, ``logistic``) is fitted with the same configuration,
data and seed (:func:`fit_links`); the pointwise log-likelihood of the Skill-Mix observations
(``successes``, the part of the model the links change) is compared with ArviZ's ``compare``
(PSIS-LOO, stacking weights) in :func:`compare_links`. Pareto-k diagnostics are reported in plain
words by :func:`pareto_messages`: a cell with k > 0.7 makes that link's LOO estimate unreliable
there.

Examples
--------
>>> check_links("threshold,logistic")
['threshold', 'logistic']
>>> pareto_messages({"logistic": {"n_k_above_0.7": 0, "max_pareto_k": 0.3, "n_k_nan": 0,
...                                "n_obs": 34}})
[]
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillfit.errors import SkillfitError, did_you_mean

if TYPE_CHECKING:
    from skillfit.models.skill_graph import SkillGraphModel

__all__ = ["OBSERVED_VAR", "PARETO_K_MAX", "check_links", "compare_links", "fit_links",
           "pareto_messages", "verdict"]

#: Pareto-k above which a PSIS-LOO point is unreliable (Vehtari et al. 2024).
PARETO_K_MAX = 0.7
#: The observed variable whose pointwise log-likelihood the links are compared on.
OBSERVED_VAR = "successes"


def check_links(links: str | Iterable[str] | None, minimum: int = 2) -> list[str]:
    """Known links, in order, without repeats; ``None`` means all of them.

    ``links`` may be a comma-separated string (as on the command line) or a sequence.

    Raises
    ------
    SkillfitError
        If a link is unknown, or fewer than ``minimum`` different links are given.
    """
    from skillfit.models.links import LINKS

    if links is None:
        return list(LINKS)
    items = links.split(",") if isinstance(links, str) else list(links)
    names = [str(t).strip() for t in items if str(t).strip()]
    for name in names:
        if name not in LINKS:
            raise SkillfitError(f"--links: unknown link {name!r}{did_you_mean(name, LINKS)}; "
                                f"choose from {', '.join(LINKS)}")
    names = list(dict.fromkeys(names))
    if len(names) < minimum:
        raise SkillfitError("--links: give at least two different links to compare" if minimum == 2
                            else f"--links: give at least {minimum} different links")
    return names


def fit_links(links: Iterable[str], data: pd.DataFrame | None = None,
              model_config: Mapping[str, Any] | None = None,
              sampler_config: Mapping[str, Any] | None = None, random_seed: int | None = None,
              progressbar: bool | None = None,
              report: Callable[[str], None] | None = None) -> dict[str, SkillGraphModel]:
    """Fit one :class:`~skillfit.models.skill_graph.SkillGraphModel` per link.

    Parameters
    ----------
    links : iterable of str
        Link names (see :data:`skillfit.models.links.LINKS`).
    data : pandas.DataFrame, optional
        A combined joint table (default: the bundled tables).
    model_config, sampler_config : mapping, optional
        Shared by every fit; ``link`` in ``model_config`` is replaced per fit.
    random_seed : int, optional
        The same seed for every link.
    progressbar : bool, optional
        Show the sampler's progress bar.
    report : callable, optional
        Called with one line of text before and after each fit (e.g. ``print``).

    Returns
    -------
    dict
        ``{link: fitted model}`` in the order of ``links``.
    """
    from skillfit.models.skill_graph import SkillGraphModel

    say = report or (lambda _line: None)
    models: dict[str, SkillGraphModel] = {}
    for link in links:
        model = SkillGraphModel(model_config={**dict(model_config or {}), "link": link},
                                sampler_config=sampler_config)
        cfg = model.sampler_config
        say(f"fitting the {link} link: {cfg['chains']} chains x {cfg['draws']} draws after "
            f"{cfg['tune']} tuning steps, {cfg['nuts_sampler']} sampler")
        start = time.perf_counter()
        model.fit(data, random_seed=random_seed, progressbar=progressbar)
        say(f"  sampled in {time.perf_counter() - start:.1f} s")
        models[link] = model
    return models


def compare_links(models: Mapping[str, SkillGraphModel]) -> tuple[pd.DataFrame, dict[str, dict[str, Any]]]:
    """PSIS-LOO comparison of fitted models on their counted observations.

    The pointwise log-likelihood is ``successes``' (every benchmark's cells with trials); the
    cells of a benchmark whose rates come without trials are left out (their ``successes``
    term is 0 of 0).

    Returns
    -------
    table : pandas.DataFrame
        ArviZ's ``compare`` table (``rank, elpd, p, elpd_diff, weight, se, dse, ...``), best
        first, with the columns ``n_k_above_0.7`` and ``max_pareto_k`` added.
    pareto : dict
        Per link: ``n_k_above_0.7``, ``max_pareto_k``, ``n_k_nan``, ``n_obs``, ``good_k``.
    """
    import arviz as az

    pareto: dict[str, dict[str, Any]] = {}
    trees = {}
    for link, model in models.items():
        if "log_likelihood" not in model.idata:
            model.compute_log_likelihood()
        trees[link] = _counted_cells(model)
    with warnings.catch_warnings():
        # ArviZ's generic Pareto-k warning is replaced by pareto_messages(), in plain words.
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto")
        for link, tree in trees.items():
            loo = az.loo(tree, var_name=OBSERVED_VAR, pointwise=True)
            k = np.asarray(loo.pareto_k).ravel()
            pareto[link] = {
                "n_k_above_0.7": int(np.sum(k > PARETO_K_MAX)),
                "max_pareto_k": float(np.nanmax(k)) if np.isfinite(k).any() else float("nan"),
                "n_k_nan": int(np.sum(~np.isfinite(k))), "n_obs": int(k.size),
                "good_k": float(loo.good_k)}
        table = pd.DataFrame(az.compare(trees, var_name=OBSERVED_VAR, round_to="none"))
    for key in ("n_k_above_0.7", "max_pareto_k"):
        table[key] = [pareto[link][key] for link in table.index]
    return table, pareto


def _counted_cells(model: SkillGraphModel) -> Any:
    """``model.idata``, its ``successes`` log-likelihood without the cells of rates published
    without trials (the same tree when there are none)."""
    rated = model.inputs.rate_cells()
    if not rated.size:
        return model.idata
    tree = model.idata.copy()
    keep = np.setdiff1d(np.arange(tree["log_likelihood"].sizes["cell"]), rated)
    tree["log_likelihood"] = tree["log_likelihood"].isel(cell=keep)
    return tree


def pareto_messages(pareto: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Plain-words Pareto-k warnings, one per link with problems (see :func:`compare_links`)."""
    msgs = []
    for link, p in pareto.items():
        if p["n_k_above_0.7"]:
            msgs.append(
                f"{link}: {p['n_k_above_0.7']} of {p['n_obs']} Skill-Mix cells have Pareto k > "
                f"{PARETO_K_MAX} (max {p['max_pareto_k']:.2f}): leaving those cells out changes "
                "the posterior a lot, so this link's LOO estimate is unreliable there (treat "
                "small elpd differences with caution; exact LOO refits or K-fold would settle it)."
            )
        if p["n_k_nan"]:
            msgs.append(f"{link}: Pareto k could not be estimated for {p['n_k_nan']} cells "
                        "(too few draws?)")
    return msgs


def verdict(table: pd.DataFrame) -> str:
    """One line: which model is best and whether clearly (elpd difference > 2 standard errors).

    Examples
    --------
    >>> t = pd.DataFrame({"elpd_diff": [0.0, -4.1], "dse": [0.0, 3.9]}, index=["a", "b"])
    >>> verdict(t)
    'a is best; it is not clearly better than b (elpd difference 4.1 vs standard error 3.9)'
    """
    best = str(table.index[0])
    if len(table) < 2:
        return f"{best} is the only model compared"
    second = table.iloc[1]
    diff, dse = abs(float(second["elpd_diff"])), float(second["dse"])
    clearly = "clearly" if diff > 2 * dse else "not clearly"
    return (f"{best} is best; it is {clearly} better than {table.index[1]} "
            f"(elpd difference {diff:.1f} vs standard error {dse:.1f})")
