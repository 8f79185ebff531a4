"""Assemble the joint model's inputs from the Skill-Mix, catalog and loss tables.

The joint model sees three tables (described in ``docs/model.md``, "Data"): Skill-Mix cells
(``llm, k, metric, value`` with ``n_combinations``, or ``successes, trials``), the LLM catalog
(``llm, family, base_model, params, tokens``) and held-out losses (``llm, corpus, unit,
value``). :func:`combine` stacks them into one long DataFrame (a ``table`` column says which)
so that a fitted model stores a single ``fit_data`` group, and :func:`split` undoes it.
:func:`assemble` turns them into the index arrays the PyMC model needs.

Examples
--------
>>> from skillfit import datasets
>>> tables = [datasets.load(n) for n in ("skillmix", "llm_catalog", "llm_losses")]
>>> joint = combine(*tables)
>>> [len(t) for t in split(joint)] == [len(t) for t in tables]
True
>>> len(assemble(*tables).cell_k)
34
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillfit.data import (
    validate_composition,
    validate_llm_catalog,
    validate_llm_losses,
    validate_skillmix,
)
from skillfit.data.composition import SKILLMIX_BENCHMARK
from skillfit.data.validate import rate_resolution
from skillfit.errors import DataValidationError

__all__ = ["JointInputs", "assemble", "check_composition", "combine", "split",
           "split_composition"]

_TABLES = ("skillmix", "catalog", "losses")

#: Composition metrics the joint model observes for a benchmark other than Skill-Mix, in order
#: of preference (the first one a benchmark has is used).
OBSERVED_COMPOSITION_METRICS: tuple[str, ...] = ("all_met", "full_marks")


def combine(skillmix: pd.DataFrame, catalog: pd.DataFrame, losses: pd.DataFrame,
            composition: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stack the tables into one long frame with a ``table`` column.

    Parameters
    ----------
    skillmix, catalog, losses : pandas.DataFrame
        The Skill-Mix, LLM catalog and loss tables.
    composition : pandas.DataFrame, optional
        Scores of other k-composition benchmarks (a ``composition`` table).

    Returns
    -------
    pandas.DataFrame
        Their rows, in that order, with ``table`` set to ``"skillmix"``, ``"catalog"``,
        ``"losses"`` or ``"composition"`` and the union of their columns.
    """
    parts = []
    tables = [(name, df) for name, df in zip(_TABLES, (skillmix, catalog, losses), strict=True)]
    if composition is not None and len(composition):
        tables.append(("composition", composition))
    for name, df in tables:
        part = df.copy()
        part.insert(0, "table", name)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True, sort=False)
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].astype("str").where(out[col].notna(), None)
    return out


def split(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Undo :func:`combine`: ``(skillmix, catalog, losses)``, each with its own columns.

    Raises
    ------
    DataValidationError
        If ``data`` has no ``table`` column.
    """
    if "table" not in data.columns:
        raise DataValidationError(
            "joint data: expected a 'table' column (use skillfit.models.skill_graph_data.combine)"
        )
    out = []
    for name in _TABLES:
        part = data[data["table"] == name].drop(columns="table").dropna(axis=1, how="all")
        out.append(part.reset_index(drop=True))
    return out[0], out[1], out[2]


def split_composition(data: pd.DataFrame) -> pd.DataFrame | None:
    """The ``composition`` rows of :func:`combine`'s frame (None when it has none).

    Examples
    --------
    >>> from skillfit import datasets
    >>> tables = [datasets.load(n) for n in ("skillmix", "llm_catalog", "llm_losses")]
    >>> split_composition(combine(*tables)) is None
    True
    """
    if "table" not in data.columns or not (data["table"] == "composition").any():
        return None
    part = data[data["table"] == "composition"].drop(columns="table").dropna(axis=1, how="all")
    return part.reset_index(drop=True)


@dataclass(frozen=True)
class JointInputs:
    """Index arrays and values for the joint model (all numpy), made by :func:`assemble`."""

    llms: list[str]  # Skill-Mix LLMs
    bases: list[str]  # models with a latent reducible loss (bases of the LLMs + loss models)
    families: list[str]
    corpora: list[str]
    base_of_llm: np.ndarray  # (n_llm,) index into bases
    own_loss_llm: np.ndarray  # (n_llm,) bool: the LLM *is* its base (closed models): no tuning offset
    family_of_base: np.ndarray  # (n_base,)
    log_params: np.ndarray  # (n_base,) NaN where unknown
    log_tokens: np.ndarray  # (n_base,) NaN where unknown
    cell_llm: np.ndarray  # (n_cell,)
    cell_k: np.ndarray
    cell_n: np.ndarray
    cell_successes: np.ndarray
    cell_value: np.ndarray
    loss_base: np.ndarray  # (n_loss,)
    loss_corpus: np.ndarray
    loss_value: np.ndarray
    #: (n_cell,) successes of ratio_of_all_skills in the same cells (nested: full marks are a
    #: subset), when :func:`assemble` is asked for them; else None
    cell_all_successes: np.ndarray | None = None
    #: (n_cell,) skill points of skill_fraction in the same cells (``round(value n k)``: the
    #: skills shown, summed over the n texts), when :func:`assemble` is asked for them; else None
    cell_fraction_points: np.ndarray | None = None
    #: benchmarks of the cells, the first the reference (Skill-Mix when it is fitted)
    benchmarks: tuple[str, ...] = (SKILLMIX_BENCHMARK,)
    #: (n_cell,) index into ``benchmarks``; None: every cell is the first benchmark's
    cell_benchmark: np.ndarray | None = None
    #: generations per item (best kept) of each benchmark, aligned with ``benchmarks``
    benchmark_generations: tuple[int, ...] = (3,)
    #: composition metric observed of each benchmark (Skill-Mix: its ``metric``)
    benchmark_metrics: tuple[str, ...] = ("ratio_of_full_marks",)
    #: per benchmark, None where its rates come with trials, else half the last decimal place
    #: of its rates (published without trials; their cells have ``cell_n`` 0)
    benchmark_half: tuple[float | None, ...] = (None,)

    def benchmark_of_cell(self) -> np.ndarray:
        """(n_cell,) index into ``benchmarks`` of every cell."""
        if self.cell_benchmark is None:
            return np.zeros(len(self.cell_k), dtype=int)
        return self.cell_benchmark

    def rate_cells(self) -> np.ndarray:
        """Indices of the cells whose rate was published without trials (``cell_n`` 0)."""
        return np.flatnonzero(np.isfinite(self.cell_half()))

    def cell_half(self) -> np.ndarray:
        """(n_cell,) half the last decimal place of each cell's rate where it was published
        without trials, NaN where it has trials."""
        half = np.array([np.nan if h is None else h for h in self.benchmark_half])
        return half[self.benchmark_of_cell()]

    def observed_rates(self) -> np.ndarray:
        """(n_cell,) observed rate of every cell: successes / trials, else the published rate."""
        n = self.cell_n
        return np.where(n > 0, self.cell_successes / np.maximum(n, 1), self.cell_value)


def _column(df: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as floats (NaN where missing, all NaN when absent)."""
    if name not in df:
        return np.full(len(df), np.nan)
    return df[name].to_numpy(dtype="float64", na_value=np.nan)


def _cell_counts(sm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(n, successes)`` per Skill-Mix row: the row's ``successes``/``trials`` where both are
    given, else ``n_combinations`` (or ``trials``) and ``round(value * n)``."""
    s, t = _column(sm, "successes"), _column(sm, "trials")
    counted = ~np.isnan(s) & ~np.isnan(t)
    n = np.where(counted, t, _column(sm, "n_combinations"))
    n = np.where(np.isnan(n), t, n)
    missing = np.flatnonzero(np.isnan(n))
    if missing.size:
        rows = ", ".join(f"{sm['llm'].iloc[i]} k={sm['k'].iloc[i]}" for i in missing[:5])
        raise DataValidationError(
            f"skillmix data: no n_combinations or trials for {rows}"
            f"{' and more' if missing.size > 5 else ''} (the model needs the number of graded "
            "combinations behind each score)"
        )
    successes = np.where(counted, s, np.rint(sm["value"].to_numpy(float) * n))
    return n.astype(int), successes.astype(int)


def assemble(
    skillmix: pd.DataFrame,
    catalog: pd.DataFrame,
    losses: pd.DataFrame,
    *,
    metric: str = "ratio_of_full_marks",
    corpora: list[str] | None = None,
    all_skills: bool = False,
    skill_fraction: bool = False,
    composition: pd.DataFrame | None = None,
    benchmarks: list[str] | None = None,
) -> JointInputs:
    """Validate the tables and build :class:`JointInputs`.

    Skill-Mix rows of ``metric`` are the observations. A cell's counts are its ``successes``
    out of ``trials`` where both are given; otherwise ``n_combinations`` (or ``trials``)
    combinations with ``round(value * n)`` successes. Losses on ``corpora`` (default: every corpus
    present) inform the latent reducible losses of the models they were measured on; chat
    models use their base model's loss as a declared proxy.

    Parameters
    ----------
    skillmix, catalog, losses : pandas.DataFrame
        The three tables (validated here).
    metric : str, default "ratio_of_full_marks"
        The Skill-Mix metric observed.
    corpora : list of str, optional
        Loss corpora to use.
    all_skills : bool, default False
        Also read the ``ratio_of_all_skills`` successes of every cell (``metric`` must be
        ``ratio_of_full_marks``): the same graded texts, of which the full marks are a subset.
    skill_fraction : bool, default False
        Also read the ``skill_fraction`` of every cell (``metric`` must be
        ``ratio_of_full_marks``), as skill points ``round(value n k)`` out of ``n k``.
    composition : pandas.DataFrame, optional
        Scores of other k-composition benchmarks (a ``composition`` table; Skill-Mix itself
        goes in ``skillmix``). Each benchmark's ``all_met`` rows are observed, else its
        ``full_marks`` rows, as ``round(value trials)`` successes out of ``trials``; a
        benchmark without trials, as rates (``benchmark_half``).
    benchmarks : list of str, optional
        The benchmarks to fit (default: every one in the data, Skill-Mix first). The first is
        the reference: its parameters are the model's ``c``, ``gamma`` and ``kappa``.

    Returns
    -------
    JointInputs

    Raises
    ------
    DataValidationError
        On an invalid table, no rows of ``metric``, a cell without ``n_combinations`` or
        ``trials``, an LLM missing from the catalog, or an unknown corpus; with
        ``all_skills``, a cell without its all-skills row, with other trials, or with fewer
        all-skills successes than full marks; with ``skill_fraction``, a cell without its
        skill-fraction row, with other trials, or with a skill fraction below its full marks;
        for a composition table, Skill-Mix rows in it, an unknown benchmark in
        ``benchmarks``, a benchmark without ``all_met`` or ``full_marks`` rows, with ``trials``
        in some of those rows only, or more than one ``generations`` value in a benchmark.
    """
    sm = validate_skillmix(skillmix, source="skillmix data")
    every_metric = sm
    cat = validate_llm_catalog(catalog, source="catalog")
    lo = validate_llm_losses(losses, source="losses")
    if composition is not None and len(composition):
        composition = validate_composition(composition, source="composition data")
        others = list(dict.fromkeys(composition["benchmark"]))
    else:
        composition, others = None, []
    chosen = _chosen_benchmarks([SKILLMIX_BENCHMARK] * (len(sm) > 0) + others, benchmarks)
    comp = _composition_cells(composition, chosen)
    if SKILLMIX_BENCHMARK in chosen:
        sm = sm[sm["metric"] == metric].reset_index(drop=True)
        if sm.empty:
            raise DataValidationError(f"skillmix data: no rows with metric {metric!r}")
    else:
        sm = sm.iloc[:0]
    if len(comp) and (all_skills or skill_fraction):
        raise DataValidationError(
            "composition data: all_skills and skill_fraction read Skill-Mix's other metrics "
            "and are for Skill-Mix alone; set them to false to fit several benchmarks"
        )
    known = set(cat["llm"])
    for source, names in (("skillmix data", sm["llm"]), ("composition data", comp["llm"]),
                          ("losses", lo["llm"])):
        missing = sorted(set(names) - known)
        if missing:
            raise DataValidationError(
                f"{source}: LLM(s) not in the catalog: {', '.join(missing)} "
                "(add a catalog row with family, base_model, params, tokens)"
            )
    if corpora is not None:
        unknown = sorted(set(corpora) - set(lo["corpus"]))
        if unknown:
            raise DataValidationError(
                f"losses: no rows for corpus {', '.join(unknown)}; available: "
                f"{', '.join(sorted(set(lo['corpus'])))}"
            )
        lo = lo[lo["corpus"].isin(corpora)]
    cat = cat.set_index("llm")
    llms = list(dict.fromkeys([*sm["llm"], *comp["llm"]]))
    base_name = {m: (cat.at[m, "base_model"] if pd.notna(cat.at[m, "base_model"]) else m) for m in llms}
    loss_models = list(dict.fromkeys(lo["llm"]))
    bases = list(dict.fromkeys([base_name[m] for m in llms] + loss_models))
    families = list(dict.fromkeys(cat.loc[bases, "family"].astype(str)))
    corpus_names = list(dict.fromkeys(lo["corpus"]))
    bidx = {b: i for i, b in enumerate(bases)}
    params = cat.loc[bases, "params"].to_numpy(float)
    tokens = cat.loc[bases, "tokens"].to_numpy(float)
    n_cell, successes = _cell_counts(sm)
    all_successes = (_all_skills_counts(every_metric, sm, n_cell, successes, metric)
                     if all_skills else None)
    fraction_points = (_skill_fraction_points(every_metric, sm, n_cell, metric)
                       if skill_fraction else None)
    bench_index = {b: i for i, b in enumerate(chosen)}
    generations = tuple(3 if b == SKILLMIX_BENCHMARK else
                        int(comp.loc[comp["benchmark"] == b, "generations"].iloc[0])
                        for b in chosen)
    observed = tuple(metric if b == SKILLMIX_BENCHMARK else
                     str(comp.loc[comp["benchmark"] == b, "metric"].iloc[0]) for b in chosen)
    cells = pd.concat([sm[["llm", "k", "value"]], comp[["llm", "k", "value"]]],
                      ignore_index=True)
    # a benchmark's rates without trials: 0 of 0 in the Beta-Binomial (which adds 0), and
    # observed as rates (rate_log_likelihood) at their rounding
    comp_n = comp["trials"].astype("float64").fillna(0.0).to_numpy(int)
    half = tuple(None if b == SKILLMIX_BENCHMARK or comp.loc[comp["benchmark"] == b,
                                                             "trials"].notna().all()
                 else rate_resolution(comp.loc[comp["benchmark"] == b, "value"])
                 for b in chosen)
    n_cell = np.concatenate([n_cell, comp_n]).astype(int)
    successes = np.concatenate(
        [successes, np.rint(comp["value"].to_numpy(float) * comp_n)]).astype(int)
    cell_benchmark = np.array([bench_index.get(SKILLMIX_BENCHMARK, -1)] * len(sm)
                              + [bench_index[b] for b in comp["benchmark"]], dtype=int)
    return JointInputs(
        llms=llms,
        bases=bases,
        families=families,
        corpora=corpus_names,
        base_of_llm=np.array([bidx[base_name[m]] for m in llms]),
        own_loss_llm=np.array([base_name[m] == m for m in llms]),
        family_of_base=np.array([families.index(str(cat.at[b, "family"])) for b in bases]),
        log_params=np.log(params),
        log_tokens=np.log(tokens),
        cell_llm=np.array([llms.index(m) for m in cells["llm"]]),
        cell_k=cells["k"].to_numpy(float),
        cell_n=n_cell,
        cell_successes=successes,
        cell_value=cells["value"].to_numpy(float),
        loss_base=np.array([bidx[m] for m in lo["llm"]]),
        loss_corpus=np.array([corpus_names.index(c) for c in lo["corpus"]]),
        loss_value=lo["value"].to_numpy(float),
        cell_all_successes=all_successes,
        cell_fraction_points=fraction_points,
        benchmarks=tuple(chosen),
        cell_benchmark=None if len(chosen) == 1 else cell_benchmark,
        benchmark_generations=generations,
        benchmark_metrics=observed,
        benchmark_half=half,
    )


def check_composition(composition: pd.DataFrame, source: str = "composition data") -> list[str]:
    """Raise what :func:`assemble` would raise about a composition table, naming ``source``;
    return the benchmarks whose rates come without trials.

    Every benchmark needs ``all_met`` or ``full_marks`` rows, with ``trials`` in all of them
    or in none (rates without trials are fitted with a precision the model estimates), one
    ``generations`` value, and a name other than ``skillmix``.

    Returns
    -------
    list of str
        Benchmarks without ``trials``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"benchmark": "mine", "llm": "GPT-4", "k": [1, 2],
    ...                       "metric": "all_met", "value": [0.9, 0.7]})
    >>> check_composition(table, "mine.csv")
    ['mine']
    >>> check_composition(table.assign(trials=[50, None]), "mine.csv")
    Traceback (most recent call last):
    ...
    skillfit.errors.DataValidationError: mine.csv: benchmark 'mine' has trials for some of its all_met rows but not for GPT-4 k=2: give them for every row, or for none (its rates are then fitted with a precision the model estimates)
    """
    comp = validate_composition(composition, source=source)
    cells = _composition_cells(comp, list(dict.fromkeys(comp["benchmark"])), source)
    return list(dict.fromkeys(cells.loc[cells["trials"].isna(), "benchmark"]))


def _composition_cells(comp: pd.DataFrame | None, benchmarks: list[str],
                       source: str = "composition data") -> pd.DataFrame:
    """The observed rows of a validated composition table's ``benchmarks``: per benchmark, its
    ``all_met`` rows (else its ``full_marks`` rows), with ``trials`` and ``generations`` (1
    where empty) checked."""
    columns = ["benchmark", "llm", "k", "metric", "value", "trials", "generations"]
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    if comp is None:
        return empty
    if (comp["benchmark"] == SKILLMIX_BENCHMARK).any():
        raise DataValidationError(
            f"{source}: rows of benchmark {SKILLMIX_BENCHMARK!r}: Skill-Mix scores go "
            "in the skillmix table (skillfit.data.composition.to_skillmix converts them), or "
            "name the benchmark otherwise"
        )
    comp = comp[comp["benchmark"].isin(benchmarks)]
    parts = []
    for name, rows in comp.groupby("benchmark", sort=False):
        for metric in OBSERVED_COMPOSITION_METRICS:
            if (rows["metric"] == metric).any():
                rows = rows[rows["metric"] == metric]
                break
        else:
            raise DataValidationError(
                f"{source}: benchmark {name!r} has only {', '.join(sorted(set(rows['metric'])))} "
                f"rows; the joint model observes {' or '.join(OBSERVED_COMPOSITION_METRICS)}"
            )
        if "trials" not in rows:
            rows = rows.assign(trials=np.nan)
        missing = rows[rows["trials"].isna()]
        if 0 < len(missing) < len(rows):
            cells = ", ".join(f"{m} k={int(k)}" for m, k in zip(missing["llm"][:5],
                                                                 missing["k"][:5], strict=True))
            raise DataValidationError(
                f"{source}: benchmark {name!r} has trials for some of its {metric} rows but "
                f"not for {cells}{' and more' if len(missing) > 5 else ''}: give them for "
                "every row, or for none (its rates are then fitted with a precision the model "
                "estimates)"
            )
        gens = (rows["generations"].fillna(1) if "generations" in rows
                else pd.Series(1, index=rows.index))
        if gens.nunique() > 1:
            raise DataValidationError(
                f"{source}: benchmark {name!r} has several generations values "
                f"({', '.join(str(int(g)) for g in sorted(set(gens)))}); one per benchmark"
            )
        part = rows.assign(generations=gens.astype(int))
        parts.append(part[columns])
    return pd.concat(parts, ignore_index=True) if parts else empty


def _chosen_benchmarks(present: list[str], benchmarks: list[str] | None) -> list[str]:
    """``benchmarks`` checked against the ones in the data (default: all of them)."""
    if benchmarks is None:
        return present
    if not benchmarks:
        raise DataValidationError("benchmarks: name at least one benchmark to fit")
    unknown = [b for b in benchmarks if b not in present]
    if unknown:
        raise DataValidationError(
            f"benchmarks: no scores of {', '.join(map(repr, unknown))} in the data; "
            f"it has {', '.join(map(repr, present)) or 'none'}"
        )
    return list(dict.fromkeys(benchmarks))


def _rows_of_each_cell(every_metric: pd.DataFrame, cells: pd.DataFrame, n_cell: np.ndarray,
                       observed: str, metric: str, option: str, why: str,
                       without: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``metric`` and, per full-marks cell, the position of its row (same LLM and
    k). Refuses an ``observed`` metric other than the full marks (``option`` needs them,
    ``why``), a cell without a row of ``metric`` (``without`` says what setting ``option`` to
    false does) or with other trials: the metrics of a cell count the same graded texts."""
    if observed != "ratio_of_full_marks":
        raise DataValidationError(
            f"skillmix data: {option} needs metric 'ratio_of_full_marks' ({why}), "
            f"got {observed!r}"
        )
    rows = every_metric[every_metric["metric"] == metric].reset_index(drop=True)
    n_rows = _cell_counts(rows)[0] if len(rows) else np.array([], int)
    where = {(str(m), int(k)): i for i, (m, k) in enumerate(zip(rows["llm"], rows["k"], strict=True))}
    index = np.empty(len(cells), dtype=int)
    for i, (m, k) in enumerate(zip(cells["llm"], cells["k"], strict=True)):
        j = where.get((str(m), int(k)))
        cell = f"{m} k={int(k)}"
        if j is None:
            raise DataValidationError(
                f"skillmix data: no {metric} row for {cell} ({option} needs one for every "
                f"full-marks cell; set {option} = false to {without})"
            )
        if n_rows[j] != n_cell[i]:
            raise DataValidationError(
                f"skillmix data: {cell} has {n_rows[j]} trials for {metric} but "
                f"{n_cell[i]} for ratio_of_full_marks (the two count the same graded texts)"
            )
        index[i] = j
    return rows, index


def _all_skills_counts(every_metric: pd.DataFrame, cells: pd.DataFrame, n_cell: np.ndarray,
                       successes: np.ndarray, metric: str) -> np.ndarray:
    """``ratio_of_all_skills`` successes of each full-marks cell (same LLM and k)."""
    rows, index = _rows_of_each_cell(
        every_metric, cells, n_cell, metric, "ratio_of_all_skills", "all_skills",
        "the full marks are the subset of the all-skills texts", "fit the full marks alone")
    out = _cell_counts(rows)[1][index]
    for i, (m, k) in enumerate(zip(cells["llm"], cells["k"], strict=True)):
        if out[i] < successes[i]:
            raise DataValidationError(
                f"skillmix data: {m} k={int(k)} has fewer all-skills successes ({out[i]}) than "
                f"full marks ({successes[i]}), but full marks need every skill shown"
            )
    return out


def _skill_fraction_points(every_metric: pd.DataFrame, cells: pd.DataFrame, n_cell: np.ndarray,
                           metric: str) -> np.ndarray:
    """Skill points ``round(value n k)`` of each full-marks cell's ``skill_fraction`` row."""
    rows, index = _rows_of_each_cell(
        every_metric, cells, n_cell, metric, "skill_fraction", "skill_fraction",
        "the model predicts both from the same handled tuples", "fit without it")
    values = rows["value"].to_numpy(float)[index]
    for m, k, full, value in zip(cells["llm"], cells["k"], cells["value"], values, strict=True):
        if value < float(full) - 0.005:  # a text with full marks shows every skill
            raise DataValidationError(
                f"skillmix data: {m} k={int(k)} has a skill fraction ({value:g}) below its ratio "
                f"of full marks ({float(full):g}), but a text with full marks counts 1 in both"
            )
    return np.rint(values * n_cell * cells["k"].to_numpy(int)).astype(int)
