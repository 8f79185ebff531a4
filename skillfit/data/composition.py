"""The Skill-Mix table as a ``composition`` table, and back.

A ``composition`` table (``skillfit.data.SCHEMAS["composition"]``) holds any benchmark that
scores an LLM on items demanding k things at once: ``benchmark, llm, k, metric, value`` with
optional ``trials``, ``generations`` and ``grader``. Skill-Mix is one such benchmark; its three
metrics are the composition metrics under other names:

========================  ================  ================================================
Skill-Mix metric          composition       meaning
========================  ================  ================================================
``ratio_of_full_marks``   ``full_marks``    all k skills shown and the other demands met
``ratio_of_all_skills``   ``all_met``       all k skills shown
``skill_fraction``        ``fraction_met``  mean share of the k skills shown
========================  ================  ================================================

Examples
--------
>>> from skillfit import datasets
>>> sm = datasets.load("skillmix")
>>> comp = from_skillmix(sm)
>>> sorted(set(comp["metric"])), int(comp["trials"].iloc[0]), int(comp["generations"].iloc[0])
(['all_met', 'fraction_met', 'full_marks'], 100, 3)
>>> to_skillmix(comp).equals(sm)
True
"""

from __future__ import annotations

import pandas as pd

from skillfit.data.schema import SCHEMAS
from skillfit.data.validate import validate

__all__ = ["SKILLMIX_BENCHMARK", "SKILLMIX_TO_COMPOSITION", "from_skillmix", "to_skillmix"]

#: The ``benchmark`` name of Skill-Mix rows.
SKILLMIX_BENCHMARK = "skillmix"

#: Skill-Mix metric -> composition metric.
SKILLMIX_TO_COMPOSITION: dict[str, str] = {
    "ratio_of_full_marks": "full_marks",
    "ratio_of_all_skills": "all_met",
    "skill_fraction": "fraction_met",
}

#: Skill-Mix columns that have a place in the composition schema (the others ride along).
_MAPPED = ("llm", "k", "metric", "value", "n_combinations", "trials", "generations", "grader",
           "source")


def from_skillmix(skillmix: pd.DataFrame, source: str = "skillmix table") -> pd.DataFrame:
    """A validated Skill-Mix table as a validated ``composition`` table (benchmark ``skillmix``).

    ``trials`` is the row's ``trials`` where given, else ``n_combinations``; metrics are renamed
    (module table); columns without a place in the composition schema (``successes``,
    ``n_combinations_derived``, ...) are kept after the schema's, so :func:`to_skillmix` gives
    the table back (a row's count returns to ``trials`` where it has ``successes``, as Skill-Mix
    user rows give them, else to ``n_combinations``).

    Parameters
    ----------
    skillmix : pandas.DataFrame
        A Skill-Mix table (validated here).
    source : str
        Name for error messages.

    Returns
    -------
    pandas.DataFrame
    """
    sm = validate(skillmix, "skillmix", source)
    trials = sm["trials"] if "trials" in sm else pd.Series(pd.NA, index=sm.index, dtype="Int64")
    if "n_combinations" in sm:
        trials = trials.fillna(sm["n_combinations"])
    out = pd.DataFrame({
        "benchmark": SKILLMIX_BENCHMARK,
        "llm": sm["llm"],
        "k": sm["k"],
        "metric": sm["metric"].map(SKILLMIX_TO_COMPOSITION),
        "value": sm["value"],
        "trials": trials,
    })
    for name in ("generations", "grader", "source"):
        if name in sm:
            out[name] = sm[name]
    for name in sm.columns:
        if name not in _MAPPED:
            out[name] = sm[name]
    return validate(out, "composition", source)


def to_skillmix(composition: pd.DataFrame, source: str = "composition table") -> pd.DataFrame:
    """The ``skillmix`` rows of a composition table as a validated Skill-Mix table.

    The inverse of :func:`from_skillmix`: metrics renamed back, ``trials`` returned to Skill-Mix's
    ``trials`` where the row has ``successes`` (counted user rows), else to ``n_combinations``.

    Parameters
    ----------
    composition : pandas.DataFrame
        A composition table (validated here); rows of other benchmarks are ignored.
    source : str
        Name for error messages.

    Returns
    -------
    pandas.DataFrame
    """
    comp = validate(composition, "composition", source)
    comp = comp[comp["benchmark"] == SKILLMIX_BENCHMARK].reset_index(drop=True)
    back = {v: k for k, v in SKILLMIX_TO_COMPOSITION.items()}
    counted = comp["successes"].notna() if "successes" in comp else pd.Series(False, comp.index)
    out = pd.DataFrame({"llm": comp["llm"], "k": comp["k"],
                        "metric": comp["metric"].map(back), "value": comp["value"]})
    if (~counted).any():
        out["n_combinations"] = comp["trials"].where(~counted)
    if counted.any():
        out["trials"] = comp["trials"].where(counted)
    known = set(SCHEMAS["composition"].names)
    for name in comp.columns:
        if name in ("generations", "grader", "source") or name not in known:
            out[name] = comp[name]
    return validate(out, "skillmix", source)
