"""Forecasts of k-skill competence for hypothetical LLMs from a fitted joint model.

The model is a fitted :class:`~skillfit.models.skill_graph.SkillGraphModel`.

Every forecast is computed per posterior draw in NumPy with the same link code the model
samples with (:mod:`skillfit.models.links`, hence :mod:`skillfit.theory.kernels`), vectorised
over draws, LLMs and k. A hypothetical LLM is given in one of three ways:

- ``{"name": ..., "params": N, "tokens": D}`` (optionally ``"family"``): a new model;
- ``{"name": ..., "compute": C}`` (optionally ``"tokens_per_param"``): compute-optimal under
  the model's scaling law, or at the given tokens-per-parameter ratio;
- ``{"name": ..., "of": "LLaMA-2-70B-Chat", "factor": 10}``: an observed Skill-Mix LLM trained
  with ``factor`` times its compute at its own tokens-per-parameter ratio (N and D each times
  ``sqrt(factor)``), keeping its family and fine-tuning offsets. For closed models (no N, D) the
  reducible loss is scaled by the law's compute-optimal ratio ``factor**(-ab/(a+b))``.

New models (the first two ways) draw a fresh family offset (unless ``family`` names a fitted
family) and a fresh fine-tuning offset from their fitted hierarchical priors: they are
forecast as "a typical chat-tuned model of that size", with that spread in the interval.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillfit import scaling
from skillfit.errors import ExtrapolationWarning, SkillfitError, did_you_mean
from skillfit.intervals import CI_KIND, CI_PROB, check_ci, median_and_interval
from skillfit.models.links import (
    link_probability,
    score_probability,
    simulate_published_rates,
    simulate_rates,
)
from skillfit.models.link_table import ThresholdTable
from skillfit.theory import kernels

if TYPE_CHECKING:
    from skillfit.models.skill_graph import SkillGraphModel

__all__ = ["COMPUTE_SPAN_WARN", "DEFAULT_HYPOTHETICAL_LLMS", "FORECAST_QUANTITIES",
           "K_MAX_LIMIT", "NEW_EVALUATION_TRIALS", "TOKENS_PER_PARAM_RANGE", "check_llms",
           "compute_for", "extrapolation_warnings", "fan_table", "forecast", "forecast_by_k",
           "gamma_draws",
           "hypothetical_compute", "kcurve_table", "link_table", "llm_aliases", "observed_compute",
           "observed_points", "observed_rates", "pi_and_score_draws", "resolve_llm_name",
           "resolve_llms"]

#: Graded combinations of the new evaluation whose measured score :func:`forecast` predicts
#: (the ``measured`` rows): Skill-Mix grades 100 per (LLM, k).
NEW_EVALUATION_TRIALS = 100

#: The quantities of :func:`forecast` that have a median and an interval.
FORECAST_QUANTITIES = ("pi", "score", "measured")

#: Values (LLMs x k x posterior draws) evaluated at once by :func:`forecast`: memory stays flat
#: however many LLMs, and the competent fraction's temporaries stay in cache (per-LLM time on
#: 100 LLMs x 8 k x 6,000 draws: 10.4 ms at 1e5, 12.8 at 2e5, 20.5 at 5e5).
FORECAST_CHUNK = 100_000

#: Largest ``k_max`` of a forecast (the draws are arrays of LLMs x k_max x posterior draws).
K_MAX_LIMIT = 100

#: The documented default set printed by ``skillfit forecast``.
DEFAULT_HYPOTHETICAL_LLMS: tuple[dict[str, Any], ...] = (
    {"name": "LLaMA-2-70B-Chat x10 compute", "of": "LLaMA-2-70B-Chat", "factor": 10.0},
    {"name": "LLaMA-2-70B-Chat x100 compute", "of": "LLaMA-2-70B-Chat", "factor": 100.0},
    {"name": "405B params, 15T tokens", "params": 405e9, "tokens": 15e12},
    {"name": "GPT-4 x10 compute", "of": "GPT-4", "factor": 10.0},
)


#: A forecast more than this factor beyond the observed LLMs' training compute (either way) is
#: an extrapolation the data say little about: it gets an :class:`ExtrapolationWarning`.
COMPUTE_SPAN_WARN = 1e3
#: Tokens per parameter outside this range is no trained LLM's (swapped ``params``/``tokens``?).
TOKENS_PER_PARAM_RANGE = (1.0, 1e4)


def _flat(post: Any, name: str) -> np.ndarray:
    da = post[name]
    values = da.values
    return values.reshape(values.shape[0] * values.shape[1], *values.shape[2:])


def _shared(model: SkillGraphModel, benchmark: str | None = None) -> dict[str, np.ndarray]:
    """The shared parameters' draws, with ``c``, ``gamma``, ``kappa`` and ``generations`` of
    ``benchmark`` (default the fit's reference benchmark)."""
    return {k: np.asarray(v, float) for k, v in model.benchmark_parameters(benchmark).items()}


def _given(row: Mapping[str, Any]) -> set[str]:
    """Keys of ``row`` with a value (None and NaN count as absent, as in a DataFrame row)."""
    return {k for k, v in row.items() if v is not None and not (isinstance(v, float) and np.isnan(v))}


def check_llms(llms: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[dict[str, Any]]:
    """Check the hypothetical LLMs (without a model) and return them as a list of dicts.

    Each row is ``{name, params, tokens[, family]}``, ``{name, compute[, tokens_per_param]}`` or
    ``{name, of[, factor]}`` (see the module docstring); numbers must be positive and finite.
    Whether ``of`` names a fitted LLM is checked by :func:`resolve_llms`.
    """
    if isinstance(llms, pd.DataFrame):
        rows: list[Any] = llms.to_dict("records")
    elif isinstance(llms, str | bytes | Mapping) or not isinstance(llms, Iterable):
        raise SkillfitError(
            "forecast: hypothetical LLMs must be a list of dicts such as "
            f"[{{'name': 'big', 'params': 4e11, 'tokens': 1.5e13}}], got {type(llms).__name__}"
        )
    else:
        rows = list(llms)
    if not rows:
        raise SkillfitError("forecast: no hypothetical LLMs given")
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise SkillfitError(
                f"forecast: hypothetical LLM #{i + 1} must be a dict, got {type(row).__name__}"
            )
        row = dict(row)
        name = str(row.get("name") or f"llm{i + 1}")
        keys = _given(row)
        for key in ("params", "tokens", "compute", "tokens_per_param", "factor"):
            if key in keys:
                _positive(row, key, name, label="'factor'" if key == "factor" else key)
        if "of" in keys:
            if not isinstance(row["of"], str):
                raise SkillfitError(f"forecast {name!r}: 'of' must be an LLM name, got {row['of']!r}")
        elif not ("compute" in keys or {"params", "tokens"} <= keys):
            raise SkillfitError(
                f"forecast {name!r}: give params and tokens, or compute (and optionally "
                "tokens_per_param), or of and factor"
            )
        for key, needs in (("factor", "of"), ("tokens_per_param", "compute")):
            if key in keys and needs not in keys:
                raise SkillfitError(f"forecast {name!r}: {key!r} is only used with {needs!r}")
        out.append(row)
    return out


def llm_aliases(data: pd.DataFrame) -> dict[str, str]:
    """Every name that refers to an LLM scored in a combined joint table, lower-cased.

    Maps the LLM's own name and the catalog's ``aliases`` (``;``-separated, e.g.
    ``llama2-70b-chat``) to the LLM's name in the Skill-Mix table (or in the composition
    table, for an LLM scored only on another benchmark).

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> llm_aliases(SkillGraphModel.bundled_data())["llama2-70b-chat"]
    'LLaMA-2-70B-Chat'
    """
    llms = list(dict.fromkeys(data.loc[data["table"].isin(["skillmix", "composition"]), "llm"]
                              .astype(str)))
    out = {name.casefold(): name for name in llms}
    if "aliases" in data.columns:
        cat = data[(data["table"] == "catalog") & data["llm"].isin(llms)]
        for name, aliases in zip(cat["llm"], cat["aliases"], strict=True):
            if isinstance(aliases, str):
                for alias in aliases.split(";"):
                    out.setdefault(alias.strip().casefold(), str(name))
    return out


def resolve_llm_name(name: Any, data: pd.DataFrame, what: str = "'of'") -> str:
    """The scored LLM that ``name`` (its name or a catalog alias, any case) refers to.

    Raises
    ------
    SkillfitError
        If no LLM scored in ``data`` has that name or alias; the message suggests the
        closest name.
    """
    aliases = llm_aliases(data)
    hit = aliases.get(str(name).strip().casefold())
    if hit is None:
        known = list(dict.fromkeys(aliases.values()))
        which = ("Skill-Mix LLMs" if not (data["table"] == "composition").any()
                 else "scored LLMs")
        raise SkillfitError(f"{what}: unknown LLM {name!r}{did_you_mean(name, known)}; "
                            f"{which}: {', '.join(known)}")
    return hit


def resolve_llms(model: SkillGraphModel, llms: Iterable[Mapping[str, Any]] | pd.DataFrame,
                 random_seed: int | None = 0) -> tuple[list[str], np.ndarray]:
    """Posterior draws of ``log r`` (nats/token) for each hypothetical LLM: ``(names, (n, S))``."""
    rows = check_llms(llms)
    post = model.posterior
    x = model.inputs
    law = model.law()
    shared = _shared(model)
    n_draws = shared["c"].size
    # Common random numbers: every new LLM shares the same standard-normal offset draws, so
    # forecasts along a compute grid differ only by compute (smooth curves, exact inverses).
    rng = np.random.default_rng(random_seed)
    z_family, z_tune = rng.standard_normal(n_draws), rng.standard_normal(n_draws)
    fam_offset = _flat(post, "family_offset")  # (S, n_family)
    log_r_llm = np.log(_flat(post, "r"))  # (S, n_llm)
    names, out = [], []
    for i, row in enumerate(rows):
        name = str(row.get("name") or f"llm{i + 1}")
        keys = _given(row)
        if "of" in keys:
            base = resolve_llm_name(row["of"], model.fit_data, what=f"forecast {name!r}: 'of'")
            if base not in x.llms:  # scored only on a benchmark this fit left out
                raise SkillfitError(f"forecast {name!r}: 'of': {base!r} is not in the fit (it "
                                    f"is scored only on benchmarks it left out); it has "
                                    f"{', '.join(x.llms)}")
            factor = float(row["factor"]) if "factor" in keys else 1.0
            j = x.llms.index(base)
            b = x.base_of_llm[j]
            log_n, log_d = x.log_params[b], x.log_tokens[b]
            if np.isfinite(log_n) and np.isfinite(log_d):
                ratio = law.reducible_ratio_scaled(np.exp(log_n), np.exp(log_d), np.sqrt(factor))
            else:
                ratio = law.reducible_ratio_compute(factor)
            draws = log_r_llm[:, j] + np.log(ratio)
        else:
            if "compute" in keys:
                compute = _positive(row, "compute", name)
                if "tokens_per_param" in keys:
                    tpp = _positive(row, "tokens_per_param", name)
                    n = np.sqrt(compute / (6.0 * tpp))
                    d = tpp * n
                else:
                    n, d = law.optimal_allocation(compute)
                if not all(np.all(np.isfinite(v) & (v > 0)) for v in (n, d)):
                    raise SkillfitError(
                        f"forecast {name!r}: compute {compute:g} FLOP gives "
                        f"{np.max(n):.3g} params and {np.max(d):.3g} tokens, outside the range "
                        "of floating-point numbers"
                    )
            elif {"params", "tokens"} <= keys:
                n, d = _positive(row, "params", name), _positive(row, "tokens", name)
            else:
                raise SkillfitError(
                    f"forecast {name!r}: give params and tokens, or compute (and optionally "
                    "tokens_per_param), or of and factor"
                )
            family = row.get("family")
            if family is not None and family in x.families:
                u = fam_offset[:, x.families.index(family)]
            else:
                u = z_family * shared["sigma_family"]
            v = z_tune * shared["sigma_tune"]
            draws = np.log(law.reducible(n, d)) + u + v
        names.append(name)
        out.append(draws)
    return names, np.vstack(out)


def _positive(row: Mapping[str, Any], key: str, name: str, label: str | None = None) -> float:
    label = label or key
    try:
        if isinstance(row[key], bool):
            raise TypeError
        value = float(row[key])
    except (TypeError, ValueError, OverflowError):
        raise SkillfitError(f"forecast {name!r}: {label} must be a number, got {row[key]!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise SkillfitError(f"forecast {name!r}: {label} must be positive, got {row[key]!r}")
    return value


def gamma_draws(model: SkillGraphModel, llms: Iterable[Mapping[str, Any]] | pd.DataFrame,
                benchmark: str | None = None) -> np.ndarray:
    """Posterior draws of ``gamma`` for each hypothetical LLM on ``benchmark``, ``(n, S)``.

    An observed LLM scaled by ``factor`` keeps its own ``gamma`` (instruction following is a
    property of the LLM; with ``gamma_per_llm``); a new LLM gets the model's ``gamma``, that
    of a new LLM drawn from the population. With several benchmarks, each has its own
    ``gamma`` (``benchmark``: default the fit's reference benchmark).
    """
    rows = check_llms(llms)
    new = _shared(model, benchmark)["gamma"]
    out = []
    for i, row in enumerate(rows):
        if "of" in _given(row):
            name = str(row.get("name") or f"llm{i + 1}")
            base = resolve_llm_name(row["of"], model.fit_data, what=f"forecast {name!r}: 'of'")
            out.append(np.asarray(model.llm_gamma(base, benchmark), float))
        else:
            out.append(new)
    return np.vstack(out) if out else np.empty((0, new.size))


def pi_and_score_draws(model: SkillGraphModel, log_r: np.ndarray, ks: np.ndarray,
                       gamma: np.ndarray | None = None, benchmark: str | None = None,
                       table: ThresholdTable | None = None):
    """Posterior draws of pi and of the expected score, each ``(n, K, S)``, from ``log r``
    draws of shape ``(n, S)`` (see :func:`resolve_llms`) at the k values ``ks``; ``gamma``
    ``(n, S)`` (see :func:`gamma_draws`; default the model's ``gamma`` for every row), on
    ``benchmark`` (its ``c``, ``gamma`` and generations; default the fit's reference).
    ``table`` (threshold link): pi from this tabulated link (:func:`link_table`) instead of
    the exact one."""
    shared = _shared(model, benchmark)
    theta = _theta_draws(shared, log_r)
    params = {k: v[None, None, :] for k, v in shared.items()}
    if table is not None:
        pi = table(kernels.tuple_theta(theta[:, None, :], ks[None, :, None], "union", np))
    else:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            pi = link_probability(model.link, theta[:, None, :], log_r[:, None, :],
                                  ks[None, :, None], params, np)
    pi = np.broadcast_to(pi, (log_r.shape[0], ks.size, log_r.shape[1]))
    g = shared["gamma"][None, None, :] if gamma is None else np.asarray(gamma, float)[:, None, :]
    score = score_probability(pi, g, np, generations=shared["generations"][None, None, :],
                              per_tuple=shared["per_tuple"][None, None, :])
    return pi, score


def link_table(model: SkillGraphModel, log_r: np.ndarray, ks: np.ndarray,
               benchmark: str | None = None) -> ThresholdTable | None:
    """The threshold link tabulated per posterior draw over every ``theta_k`` that ``log r``
    draws ``(n, S)`` reach at ``ks`` (:class:`~skillfit.models.link_table.ThresholdTable`),
    or None where evaluating them exactly is cheaper (few LLMs x k, another link)."""
    if model.link != "threshold" or not ThresholdTable.worth_it(log_r.shape[0] * ks.size):
        return None
    shared = _shared(model, benchmark)
    return ThresholdTable.for_queries(_theta_draws(shared, log_r), ks, shared)


def _theta_draws(shared: Mapping[str, np.ndarray], log_r: np.ndarray) -> np.ndarray:
    """theta ``(n, S)`` of ``log r`` draws ``(n, S)`` under a benchmark's ``c`` and ``eta``."""
    return scaling.theta_expr(np.exp(log_r), shared["c"], np, shared["eta"])


def observed_compute(model: SkillGraphModel) -> dict[str, float]:
    """Training compute 6ND (FLOP) of each Skill-Mix LLM whose base has known N and D."""
    x = model.inputs
    out = {}
    for i, name in enumerate(x.llms):
        b = x.base_of_llm[i]
        if np.isfinite(x.log_params[b]) and np.isfinite(x.log_tokens[b]):
            out[name] = float(6.0 * np.exp(x.log_params[b] + x.log_tokens[b]))
    return out


def hypothetical_compute(model: SkillGraphModel,
                         llms: Iterable[Mapping[str, Any]] | pd.DataFrame) -> dict[str, float]:
    """Training compute 6ND (FLOP) of each hypothetical LLM where it is known.

    New LLMs have theirs; an observed LLM scaled by ``factor`` has ``factor`` times its own
    (left out for closed LLMs, whose N and D are unknown).
    """
    seen = observed_compute(model)
    out: dict[str, float] = {}
    for i, row in enumerate(check_llms(llms)):
        name = str(row.get("name") or f"llm{i + 1}")
        keys = _given(row)
        if "of" in keys:
            base = resolve_llm_name(row["of"], model.fit_data)
            if base in seen:
                out[name] = seen[base] * (float(row["factor"]) if "factor" in keys else 1.0)
        elif "compute" in keys:
            out[name] = float(row["compute"])
        else:
            out[name] = scaling.training_compute(float(row["params"]), float(row["tokens"]))
    return out


def extrapolation_warnings(model: SkillGraphModel,
                           llms: Iterable[Mapping[str, Any]] | pd.DataFrame) -> list[str]:
    """Plain-words warnings for hypothetical LLMs far outside what the data cover.

    A new LLM whose training compute lies more than :data:`COMPUTE_SPAN_WARN` times beyond the
    range of the observed LLMs' compute, whose tokens per parameter lie outside
    :data:`TOKENS_PER_PARAM_RANGE` (``params`` and ``tokens`` swapped?), or an observed LLM
    scaled by a factor above :data:`COMPUTE_SPAN_WARN`, gets one line. The forecast is still
    computed: the law and the link are extrapolated, and their intervals do not know it.
    """
    rows = check_llms(llms)
    seen = observed_compute(model)
    lo, hi = (min(seen.values()), max(seen.values())) if seen else (np.nan, np.nan)
    law = model.point_law()
    out = []
    for i, row in enumerate(rows):
        name = str(row.get("name") or f"llm{i + 1}")
        keys = _given(row)
        if "of" in keys:
            factor = float(row["factor"]) if "factor" in keys else 1.0
            if factor > COMPUTE_SPAN_WARN:
                out.append(f"{name}: {factor:g} x the compute of {row['of']} is far beyond every "
                           "LLM the model was fitted on; the forecast extrapolates the scaling "
                           "law and the link")
            continue
        if "compute" in keys:
            compute = float(row["compute"])
            if "tokens_per_param" in keys:
                n = np.sqrt(compute / (6.0 * float(row["tokens_per_param"])))
                d = float(row["tokens_per_param"]) * n
            else:
                n, d = law.optimal_allocation(compute)
        else:
            n, d = float(row["params"]), float(row["tokens"])
            compute = scaling.training_compute(n, d)
        tpp = float(d) / float(n)
        if not TOKENS_PER_PARAM_RANGE[0] <= tpp <= TOKENS_PER_PARAM_RANGE[1]:
            out.append(f"{name}: {tpp:.3g} tokens per parameter ({float(n):.3g} params, "
                       f"{float(d):.3g} tokens) is outside the range of trained LLMs "
                       f"({TOKENS_PER_PARAM_RANGE[0]:g}-{TOKENS_PER_PARAM_RANGE[1]:g}): are params "
                       "and tokens swapped?")
        if np.isfinite(hi) and not lo / COMPUTE_SPAN_WARN <= compute <= hi * COMPUTE_SPAN_WARN:
            out.append(f"{name}: training compute {compute:.3g} FLOP is more than "
                       f"{COMPUTE_SPAN_WARN:g}x outside the observed LLMs' range "
                       f"({lo:.2g}-{hi:.2g} FLOP); the forecast extrapolates the scaling law and "
                       "the link")
    return out


def forecast(model: SkillGraphModel, llms: Iterable[Mapping[str, Any]] | pd.DataFrame,
             k_max: int = 8, ci_prob: float = CI_PROB, score_at_least: Sequence[float] = (0.5,),
             random_seed: int | None = 0, ci_kind: str = CI_KIND,
             trials: int | None = NEW_EVALUATION_TRIALS,
             benchmark: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Tidy forecast table for hypothetical LLMs, k = 1..k_max, on each benchmark of the fit.

    Parameters
    ----------
    model : SkillGraphModel
        A fitted joint model.
    llms : list of dict or pandas.DataFrame
        Hypothetical LLMs (see the module docstring).
    k_max : int
        Forecast k = 1..k_max.
    ci_prob, ci_kind : float, str
        Interval mass and kind (``"eti"`` equal-tailed, or ``"hdi"``).
    score_at_least : sequence of float
        Levels x of the ``P(score>=x)`` rows.
    random_seed : int, optional
        Seed of the new LLMs' family and fine-tuning offsets (common to every LLM) and of the
        grading scatter of the ``measured`` rows (one stream per LLM, by its position).
    trials : int or None
        Graded combinations of the new evaluation whose measured score the ``measured`` rows
        predict; ``None`` leaves those rows out (their simulation about doubles the time of a
        forecast for many LLMs).
    benchmark : str or sequence of str, optional
        The benchmark(s) to forecast (default: every benchmark of the fit, in its order). An
        LLM's reducible loss is the same on every benchmark; each benchmark has its own
        ``c``, ``gamma``, ``kappa`` and generations.

    Returns
    -------
    pandas.DataFrame
        Columns ``benchmark, llm, k, quantity, mean, median, lower, upper``, one block per
        benchmark. Quantities:

        - ``pi``: chance a random k-tuple is handled (the theory's quantity, not observable);
        - ``score``: *expected* score (Skill-Mix: ratio of full marks, best of 3 generations;
          another benchmark: its observed metric), what infinitely many graded items would
          average to;
        - ``measured``: the ratio of full marks a new evaluation of ``trials`` combinations
          would *measure*: the expected score plus the Beta-Binomial scatter of its
          ``trials`` graded texts (one simulated evaluation per posterior draw). This is the
          quantity to hold a published rate against; its interval is wider than ``score``'s.
          Its median and interval are whole counts out of ``trials`` (ends rounded outward).
          On a benchmark whose rates were published without trials (``attrs["without_trials"]``)
          it is a new published rate instead: the expected score's Beta scatter with the
          benchmark's precision, rounded to its decimals (so are its median and interval);
        - ``P(score>=x)``: posterior probability that the expected score is at least x (in
          ``mean``; interval columns NaN);
        - one ``k_max_pi50`` row per LLM: largest k whose median pi is at least 0.5 (``k`` NaN).

        ``table.attrs`` holds ``ci_prob``, ``ci_kind``, ``trials``, ``without_trials`` and
        ``warnings`` (see
        :func:`extrapolation_warnings`; each is also issued as an
        :class:`~skillfit.errors.ExtrapolationWarning`).
    """
    ci_prob, ci_kind = check_ci(ci_prob, ci_kind)
    try:
        whole = not isinstance(k_max, bool) and int(k_max) == k_max
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not (whole and 1 <= int(k_max) <= K_MAX_LIMIT):
        raise SkillfitError(f"k_max must be an integer from 1 to {K_MAX_LIMIT}, got {k_max!r}")
    if trials is not None and (isinstance(trials, bool) or not isinstance(trials, int | np.integer)
                               or trials < 1):
        raise SkillfitError(f"trials must be a whole number >= 1 or None, got {trials!r}")
    fitted = model.benchmarks
    chosen = (list(fitted) if benchmark is None
              else [benchmark] if isinstance(benchmark, str) else list(benchmark))
    for name in chosen:
        if name not in fitted:
            raise SkillfitError(f"benchmark {name!r} is not in the fit"
                                f"{did_you_mean(str(name), fitted)}; it has {', '.join(fitted)}")
    names, log_r = resolve_llms(model, llms, random_seed)
    notes = extrapolation_warnings(model, llms)
    for note in notes:
        warnings.warn(note, ExtrapolationWarning, stacklevel=2)
    ks = np.arange(1, int(k_max) + 1, dtype=float)
    # one grading stream per (benchmark, LLM): its measured rows do not depend on how LLMs are
    # chunked; the first benchmark of the fit gets the first len(names) streams
    streams = np.random.SeedSequence(random_seed).spawn(len(names) * len(fitted))
    tables = []
    for name in chosen:
        j = fitted.index(name)
        table = _forecast_benchmark(model, llms, names, log_r, ks, ci_prob, ci_kind,
                                    list(score_at_least), trials, name,
                                    streams[j * len(names):(j + 1) * len(names)])
        table.insert(0, "benchmark", name)
        tables.append(table)
    table = pd.concat(tables, ignore_index=True)
    table.attrs.update({"ci_prob": ci_prob, "ci_kind": ci_kind,
                        "trials": None if trials is None else int(trials),
                        "without_trials": [b for b in chosen
                                           if model.rate_resolution(b) is not None],
                        "warnings": notes})
    return table


def forecast_by_k(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`forecast`'s table with one row per (benchmark, LLM, k): what ``forecast.csv`` holds.

    Parameters
    ----------
    table : pandas.DataFrame
        A table of :func:`forecast` with its ``measured`` rows (``trials`` not None).

    Returns
    -------
    pandas.DataFrame
        Columns ``benchmark, llm, k``, then ``score_median, score_lower, score_upper`` (the
        score a new evaluation of ``attrs["trials"]`` items would *measure*, or on a benchmark
        of ``attrs["without_trials"]`` a new published rate: the ``measured`` rows),
        ``expected_score_mean, _median, _lower, _upper`` (the expected score),
        ``pi_mean, _median, _lower, _upper``, one ``P(expected_score>=x)`` column per level
        and ``k_max_pi50`` (the LLM's largest k with median pi >= 0.5, repeated on its rows).
        ``attrs`` are the table's.

    Raises
    ------
    SkillfitError
        If ``table`` has no ``measured`` rows.

    Examples
    --------
    >>> from skillfit.models.skill_graph import SkillGraphModel
    >>> model = SkillGraphModel(sampler_config={"draws": 20, "tune": 20, "chains": 2})
    >>> _ = model.fit(random_seed=1, predictive=False)
    >>> wide = forecast_by_k(forecast(model, [{"name": "big", "params": 7e10,
    ...                                         "tokens": 2e12}], k_max=2))
    >>> list(wide.columns[:6]), len(wide)
    (['benchmark', 'llm', 'k', 'score_median', 'score_lower', 'score_upper'], 2)
    """
    if not (table["quantity"] == "measured").any():
        raise SkillfitError("forecast_by_k needs the measured rows: forecast with trials")
    keys = ["benchmark", "llm", "k"]
    cells = table[table["quantity"] == "pi"][keys].reset_index(drop=True)
    out = cells.copy()
    for quantity, prefix, stats in (("measured", "score", ("median", "lower", "upper")),
                                    ("score", "expected_score", ("mean", "median", "lower",
                                                                 "upper")),
                                    ("pi", "pi", ("mean", "median", "lower", "upper"))):
        part = table[table["quantity"] == quantity][keys + list(stats)]
        part = part.rename(columns={s: f"{prefix}_{s}" for s in stats})
        out = out.merge(part, on=keys, how="left", validate="one_to_one")
    for quantity in dict.fromkeys(table["quantity"]):
        if str(quantity).startswith("P(score>="):
            level = str(quantity)[len("P(score>="):-1]
            part = table[table["quantity"] == quantity][keys + ["mean"]]
            out = out.merge(part.rename(columns={"mean": f"P(expected_score>={level})"}),
                            on=keys, how="left", validate="one_to_one")
    k50 = table[table["quantity"] == "k_max_pi50"][["benchmark", "llm", "median"]]
    out = out.merge(k50.rename(columns={"median": "k_max_pi50"}), on=["benchmark", "llm"],
                    how="left", validate="many_to_one")
    out.attrs.update(table.attrs)
    return out


def _forecast_benchmark(model: SkillGraphModel, llms: Any, names: list[str], log_r: np.ndarray,
                        ks: np.ndarray, ci_prob: float, ci_kind: str, levels: list[float],
                        trials: int | None, benchmark: str, streams: list[Any]) -> pd.DataFrame:
    """:func:`forecast`'s table of one benchmark (without its ``benchmark`` column)."""
    gamma = gamma_draws(model, llms, benchmark)
    n, K = len(names), ks.size
    # Summaries per LLM x k: pi, score and measured (mean, median, interval), P(score >= x),
    # k_max_pi50.
    quantities = FORECAST_QUANTITIES if trials is not None else ("pi", "score")
    stats = {q: np.empty((n, K, 4)) for q in quantities}
    # a benchmark published without trials: a new published rate, rounded as its rates are
    half = model.rate_resolution(benchmark)
    if trials is not None:
        kappa = _shared(model, benchmark)["kappa"]
    prob = np.empty((n, len(levels), K))
    k50 = np.empty(n)
    # many LLMs: the link tabulated once per draw for all of them
    table = link_table(model, log_r, ks, benchmark)
    # LLMs in chunks of about FORECAST_CHUNK values (LLMs x k x draws), see its comment
    step = max(1, FORECAST_CHUNK // (K * log_r.shape[1]))
    for lo in range(0, n, step):
        sl = slice(lo, min(n, lo + step))
        pi, score = pi_and_score_draws(model, log_r[sl], ks, gamma[sl], benchmark, table)
        draws = [pi, score]
        if trials is not None and half is not None:
            draws.append(np.stack([simulate_published_rates(score[i], kappa, half,
                                                             np.random.default_rng(seq))
                                   for i, seq in enumerate(streams[sl])]))
        elif trials is not None:
            draws.append(np.stack([simulate_rates(score[i], kappa, trials,
                                                  np.random.default_rng(seq))
                                   for i, seq in enumerate(streams[sl])]))
        for q, arr in zip(quantities, draws, strict=True):
            stats[q][sl, :, 0] = arr.mean(axis=-1)
            stats[q][sl, :, 1:] = np.stack(median_and_interval(arr, ci_prob, -1, ci_kind), axis=-1)
        if trials is not None:
            # a measured rate is a whole count out of the trials (a published rate: a whole
            # number of its last decimal place): the median rounded to one (half up), the
            # interval's ends rounded outward (its mass is then >= ci_prob)
            units = trials if half is None else round(0.5 / half)
            counts = stats["measured"][sl, :, 1:] * units
            counts[..., 0] = np.floor(counts[..., 0] + 0.5)
            counts[..., 1] = np.floor(counts[..., 1] + 1e-9)
            # + 0.0: ceil(-1e-9) is -0.0, which tables print as '-0.00'
            counts[..., 2] = np.ceil(counts[..., 2] - 1e-9) + 0.0
            stats["measured"][sl, :, 1:] = counts / units
        for j, x in enumerate(levels):
            prob[sl, j] = (score >= x).mean(axis=-1)
        above = stats["pi"][sl, :, 1] >= 0.5  # median pi
        last = K - 1 - np.argmax(above[:, ::-1], axis=1)
        k50[sl] = np.where(above.any(axis=1), ks[last], 0.0)
    blocks = []
    for q in quantities:
        blocks.append(pd.DataFrame({
            "llm": np.repeat(names, K), "k": np.tile(ks, n), "quantity": q,
            "mean": stats[q][..., 0].ravel(), "median": stats[q][..., 1].ravel(),
            "lower": stats[q][..., 2].ravel(), "upper": stats[q][..., 3].ravel()}))
    for j, x in enumerate(levels):
        blocks.append(pd.DataFrame({
            "llm": np.repeat(names, K), "k": np.tile(ks, n), "quantity": f"P(score>={x:g})",
            "mean": prob[:, j].ravel(), "median": np.nan, "lower": np.nan, "upper": np.nan}))
    blocks.append(pd.DataFrame({"llm": names, "k": np.nan, "quantity": "k_max_pi50",
                                "mean": k50, "median": k50, "lower": np.nan, "upper": np.nan}))
    table = pd.concat(blocks, ignore_index=True)
    # one block per LLM, in the order: pi (k = 1..K), score, measured, each P(score>=x),
    # k_max_pi50
    order = {"pi": 0, "score": 1, "measured": 2,
             **{f"P(score>={x:g})": 3 + j for j, x in enumerate(levels)},
             "k_max_pi50": 3 + len(levels)}
    table["_llm"] = table["llm"].map({name: i for i, name in enumerate(names)})
    table["_q"] = table["quantity"].map(order)
    table = table.sort_values(["_llm", "_q", "k"], kind="stable", na_position="last")
    table = table.drop(columns=["_llm", "_q"]).reset_index(drop=True)
    table["k"] = table["k"].astype("Int64")
    return table


def compute_for(model: SkillGraphModel, k: int, level: float, prob: float = 0.5,
                tokens_per_param: float | None = None, family: str | None = None,
                compute_range: tuple[float, float] = (1e20, 1e31),
                random_seed: int | None = 0) -> float:
    """Smallest training compute (FLOP) with ``P(pi_k >= level) >= prob`` for a new LLM.

    The LLM is compute-optimal under the model's law (or at ``tokens_per_param``) and a typical
    fine-tuned member of ``family`` (or of a new family). Returns NaN if ``compute_range`` does
    not reach the target.
    """
    if int(k) < 1:
        raise SkillfitError(f"k must be at least 1, got {k}")
    for label, value in (("level", level), ("prob", prob)):
        if not 0 < value < 1:
            raise SkillfitError(f"{label} must be in (0, 1), got {value}")
    grid = np.logspace(np.log10(compute_range[0]), np.log10(compute_range[1]), 221)
    rows = [{"name": f"C={c:.3g}", "compute": c, "tokens_per_param": tokens_per_param,
             "family": family} for c in grid]
    # Common random numbers (see resolve_llms): the same new model at every compute.
    _, log_r = resolve_llms(model, rows, random_seed)
    pi, _ = pi_and_score_draws(model, log_r, np.array([float(k)]))
    reach = (pi[:, 0, :] >= level).mean(axis=-1)
    hit = np.flatnonzero(reach >= prob)
    if hit.size == 0:
        return float("nan")
    i = hit[0]
    if i == 0:
        return float(grid[0])
    # interpolate in log compute between the last miss and the first hit
    lo, hi = reach[i - 1], reach[i]
    w = (prob - lo) / (hi - lo) if hi > lo else 1.0
    return float(10 ** (np.log10(grid[i - 1]) + w * (np.log10(grid[i]) - np.log10(grid[i - 1]))))


def _quiet_forecast(model: SkillGraphModel, rows: list[dict[str, Any]],
                    **kwargs: Any) -> pd.DataFrame:
    """:func:`forecast` without extrapolation warnings (for plotting grids that span far), of
    one benchmark (default the fit's reference)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExtrapolationWarning)
        return forecast(model, rows, **{"score_at_least": (), "trials": None,
                                        "benchmark": model.benchmarks[0], **kwargs})


def kcurve_table(model: SkillGraphModel, k_max: int = 6, ci_prob: float = CI_PROB,
                 benchmark: str | None = None) -> pd.DataFrame:
    """Expected score of every LLM scored on ``benchmark`` *as itself* at k = 1..k_max (the
    fitted k-curves; default the fit's reference benchmark).

    Rows of :func:`forecast` with ``quantity == "score"`` for ``{"of": llm, "factor": 1}``;
    ``k_max`` is raised to the largest k observed on the benchmark.
    """
    x = model.inputs
    name = model.benchmarks[0] if benchmark is None else benchmark
    on = x.benchmark_of_cell() == (model.benchmarks.index(name) if name in model.benchmarks
                                   else -1)
    if not on.any():
        raise SkillfitError(f"benchmark {name!r} is not in the fit; it has "
                            f"{', '.join(model.benchmarks)}")
    llms = [m for i, m in enumerate(x.llms) if (on & (x.cell_llm == i)).any()]
    k_max = max(int(k_max), int(np.max(x.cell_k[on])))
    table = _quiet_forecast(model, [{"name": m, "of": m, "factor": 1.0} for m in llms],
                            k_max=k_max, ci_prob=ci_prob, benchmark=name)
    out = table[table["quantity"] == "score"].reset_index(drop=True)
    out.attrs.update(table.attrs)
    return out


def fan_table(model: SkillGraphModel, ks: Sequence[int] = (2, 3, 4, 5),
              compute_grid: Any = None, quantity: str = "pi",
              ci_probs: Sequence[float] = (0.5, 0.89),
              benchmark: str | None = None) -> pd.DataFrame:
    """Forecast ``pi_k`` (or ``score``, or ``measured``; see :func:`forecast`) of a new
    compute-optimal LLM along a compute grid, on ``benchmark`` (default the fit's reference).

    Returns
    -------
    pandas.DataFrame
        Columns ``compute, k, median`` and ``lower_P``/``upper_P`` for each mass P of
        ``ci_probs`` (e.g. ``lower_0.5``), equal-tailed. The new LLM has a typical family and
        fine-tuning offset (their posterior spread is in the bands); common random numbers make
        the curves smooth in compute. ``attrs``: ``quantity``, ``ci_probs``, ``link``,
        ``benchmark`` and ``trials`` (None for a benchmark published without trials, whose
        measured score is a new published rate).
    """
    name = model.benchmarks[0] if benchmark is None else benchmark
    if quantity not in FORECAST_QUANTITIES:
        raise SkillfitError(f"quantity must be one of {', '.join(map(repr, FORECAST_QUANTITIES))}, "
                            f"got {quantity!r}")
    grid = np.logspace(22, 27, 30) if compute_grid is None else np.asarray(compute_grid, float)
    ks = [int(k) for k in ks]
    rows = [{"name": f"C={c:.6g}", "compute": float(c)} for c in grid]
    out = None
    for prob in ci_probs:
        t = _quiet_forecast(model, rows, k_max=max(ks), ci_prob=prob, benchmark=name,
                            trials=NEW_EVALUATION_TRIALS if quantity == "measured" else None)
        t = t[(t["quantity"] == quantity) & t["k"].isin(ks)]
        t = t.assign(compute=t["llm"].map(dict(zip([r["name"] for r in rows], grid,
                                                    strict=True))))
        part = t[["compute", "k", "median", "lower", "upper"]].rename(
            columns={"lower": f"lower_{prob:g}", "upper": f"upper_{prob:g}"})
        out = part if out is None else out.merge(part.drop(columns="median"), on=["compute", "k"])
    assert out is not None
    out = out.sort_values(["k", "compute"], kind="stable").reset_index(drop=True)
    out["k"] = out["k"].astype(int)
    rated = model.rate_resolution(name) is not None
    out.attrs.update({"quantity": quantity, "ci_probs": tuple(float(p) for p in ci_probs),
                      "link": model.link, "benchmark": name,
                      "trials": None if rated else NEW_EVALUATION_TRIALS})
    return out


def _scored_on(model: SkillGraphModel, benchmark: str | None) -> np.ndarray:
    """(n_cell,) whether each cell is ``benchmark``'s (default the reference's)."""
    name = model.benchmarks[0] if benchmark is None else benchmark
    if name not in model.benchmarks:
        raise SkillfitError(f"benchmark {name!r} is not in the fit"
                            f"{did_you_mean(str(name), model.benchmarks)}; it has "
                            f"{', '.join(model.benchmarks)}")
    return model.inputs.benchmark_of_cell() == model.benchmarks.index(name)


def observed_points(model: SkillGraphModel, ks: Sequence[int],
                    quantity: str = "pi", benchmark: str | None = None) -> pd.DataFrame:
    """The observed open LLMs scored on ``benchmark`` (default the reference) at their 6ND
    compute, with their own posterior median ``quantity`` on it.

    Columns ``llm, compute, k, median``; closed LLMs and LLMs of unknown size are left out.
    """
    on = _scored_on(model, benchmark)
    x = model.inputs
    scored = {x.llms[i] for i in np.unique(x.cell_llm[on])}
    placed = {m: c for m, c in observed_compute(model).items() if m in scored}
    if not placed:
        return pd.DataFrame(columns=["llm", "compute", "k", "median"])
    t = _quiet_forecast(model, [{"name": m, "of": m, "factor": 1.0} for m in placed],
                        k_max=max(int(k) for k in ks),
                        benchmark=model.benchmarks[0] if benchmark is None else benchmark)
    t = t[(t["quantity"] == quantity) & t["k"].isin([int(k) for k in ks])]
    return pd.DataFrame({"llm": t["llm"].to_numpy(), "compute": t["llm"].map(placed).to_numpy(),
                         "k": t["k"].astype(int).to_numpy(), "median": t["median"].to_numpy()})


def observed_rates(model: SkillGraphModel, ks: Sequence[int],
                   benchmark: str | None = None) -> pd.DataFrame:
    """The published rates (successes / trials, or the rates given without trials) on
    ``benchmark`` (default the reference) of the observed open LLMs at their 6ND compute.

    Columns ``llm, compute, k, median`` (``median`` holds the rate, so that the table can be
    drawn like :func:`observed_points`); only the fitted cells at ``ks``, closed LLMs and LLMs
    of unknown size left out.
    """
    placed = observed_compute(model)
    x = model.inputs
    names = np.asarray(x.llms)[x.cell_llm]
    keep = (np.isin(names, list(placed)) & np.isin(x.cell_k, [int(k) for k in ks])
            & _scored_on(model, benchmark))
    return pd.DataFrame({"llm": names[keep], "compute": [placed[m] for m in names[keep]],
                         "k": x.cell_k[keep].astype(int),
                         "median": x.observed_rates()[keep]})
