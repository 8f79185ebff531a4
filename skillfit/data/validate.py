"""Validate and clean tables against the schemas in :mod:`skillfit.data.schema`.

Every validator returns a *new* DataFrame whose known columns have the dtypes documented in
:mod:`skillfit.data.schema` (known columns first, in schema order, then any extra columns
unchanged) and raises :class:`skillfit.errors.DataValidationError` with one message that names the
source, the column and the offending rows.

Rows are named by their **DataFrame index label** ("row 3") when a DataFrame is validated
directly, and by their **1-based CSV line number** ("line 5"; the header is line 1, so the first
data row is line 2) when the table was read from a file by :func:`skillfit.data.read_csv`.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skillfit.data.schema import SCHEMAS, Column, Schema
from skillfit.errors import DataValidationError, DataWarning

__all__ = [
    "check_known_llms",
    "rate_resolution",
    "validate",
    "validate_chinchilla",
    "validate_composition",
    "validate_llm_catalog",
    "validate_llm_losses",
    "validate_skillmix",
]

_MAX_LISTED = 5
#: Largest magnitude of an ``int`` column: whole numbers above 2**53 are not exact as floats, and
#: above 2**63 the cast to int64 would silently wrap around.
_MAX_INT = 2**53
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class _Locator:
    """Turns positions in the table into the words used in error messages."""

    def __init__(self, source: str, index: pd.Index, line_offset: int | None) -> None:
        self.source = source
        self.index = index
        self.line_offset = line_offset

    def label(self, pos: int) -> str:
        if self.line_offset is not None:
            return str(pos + self.line_offset)
        return str(self.index[pos])

    def where(self, positions: Sequence[int]) -> str:
        """'line 3' / 'rows 1, 4, 7 and 2 more'."""
        word = "line" if self.line_offset is not None else "row"
        shown = [self.label(p) for p in positions[:_MAX_LISTED]]
        more = len(positions) - len(shown)
        text = f"{word}{'s' if len(positions) > 1 else ''} {', '.join(shown)}"
        return text + (f" and {more} more" if more > 0 else "")

    def fail(self, column: str | None, problem: str, positions: Sequence[int] = (),
             values: Sequence[Any] = ()) -> DataValidationError:
        parts = [f"{self.source}:"]
        if column is not None:
            parts.append(f"column '{column}'")
        parts.append(problem)
        msg = " ".join(parts)
        if positions:
            msg += f" at {self.where(positions)}"
        if values:
            shown = ", ".join(repr(_plain(v)) for v in values[:_MAX_LISTED])
            msg += f" (value{'s' if len(values) > 1 else ''}: {shown})"
        return DataValidationError(msg)


def _plain(value: Any) -> Any:
    """NumPy scalars → Python scalars, so messages read 1.5 rather than np.float64(1.5)."""
    return value.item() if isinstance(value, np.generic) else value


def _positions(mask: np.ndarray | pd.Series) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.asarray(mask, dtype=bool))]


def _is_blank(series: pd.Series) -> np.ndarray:
    """Missing, or a string that is empty after stripping."""
    blank = series.isna().to_numpy(copy=True)
    obj = series.astype(object)
    for i, v in enumerate(obj):
        if isinstance(v, str) and not v.strip():
            blank[i] = True
    return blank


def _coerce_numeric(series: pd.Series, col: Column, loc: _Locator) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        raise loc.fail(col.name, f"must be numeric ({col.dtype}), not true/false")
    blank = _is_blank(series)
    values = pd.to_numeric(series.where(~blank), errors="coerce").astype("float64")
    bad = _positions(values.isna().to_numpy() & ~blank)
    if bad:
        raise loc.fail(col.name, "has non-numeric values", bad, [series.iloc[p] for p in bad])
    return values


def _coerce_bool(series: pd.Series, col: Column, loc: _Locator) -> pd.Series:
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return series.astype(bool)
    out: list[bool | None] = []
    bad: list[int] = []
    for i, v in enumerate(series.astype(object)):
        if v is None or (isinstance(v, float) and np.isnan(v)) or (
                isinstance(v, str) and not v.strip()):
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, str) and v.strip().lower() in _TRUE | _FALSE:
            out.append(v.strip().lower() in _TRUE)
        elif isinstance(v, int | float | np.integer | np.floating) and v in (0, 1):
            out.append(bool(v))
        else:
            out.append(None)
            bad.append(i)
    if bad:
        raise loc.fail(col.name, "must be true/false", bad, [series.iloc[p] for p in bad])
    return pd.Series(out, index=series.index, dtype=object)


def _coerce_str(series: pd.Series) -> pd.Series:
    blank = _is_blank(series)
    obj = series.astype(object).where(~blank, None)
    stripped = obj.map(lambda v: v.strip() if isinstance(v, str) else v)
    return stripped.astype("str")


def _check_column(df: pd.DataFrame, col: Column, loc: _Locator) -> pd.Series:
    """Coerce one column and enforce its constraints; returns the cleaned column."""
    raw = df[col.name]
    if col.dtype in ("float", "int"):
        values: pd.Series = _coerce_numeric(raw, col, loc)
    elif col.dtype == "bool":
        values = _coerce_bool(raw, col, loc)
        if col.default is not None:
            values = values.where(values.notna(), col.default)
    else:
        values = _coerce_str(raw)

    missing = values.isna().to_numpy()
    if not col.nullable and missing.any():
        raise loc.fail(col.name, "has missing values (empty cell / NaN)", _positions(missing))
    if col.dtype == "bool":
        return values.astype(bool)

    if col.dtype in ("float", "int"):
        arr = values.to_numpy(dtype="float64")
        present = ~missing

        def reject(mask: np.ndarray, problem: str) -> None:
            pos = _positions(mask & present)
            if pos:
                shown = [arr[p] for p in pos]
                if col.dtype == "int":  # show 0 rather than 0.0 for whole numbers
                    shown = [int(v) if abs(v) <= _MAX_INT and v == round(v) else v
                             for v in shown]
                raise loc.fail(col.name, problem, pos, shown)

        reject(np.isinf(np.where(present, arr, 0.0)), "has infinite values")
        with np.errstate(invalid="ignore"):
            if col.dtype == "int":
                reject(arr != np.round(arr), "must hold whole numbers")
                reject(np.abs(arr) > _MAX_INT, "must be at most 2**53 in size; bad values")
            if col.positive:
                reject(~(arr > 0), "must be > 0; bad values")
            if col.minimum is not None:
                reject(~(arr >= col.minimum), f"must be >= {col.minimum:g}; bad values")
            if col.unit_interval:
                outside = ~((arr >= 0) & (arr <= 1))
                given = arr[present]
                # percentages: every value in [0, 100] and most of the non-zero ones above 1
                # (a stray 1.5 among shares is a bad value, not a table in percent)
                if ((outside & present).any() and np.all((given >= 0) & (given <= 100))
                        and (given > 1).sum() > 0.5 * (given > 0).sum()):
                    reject(outside, "looks like percent: divide by 100 (values must lie in "
                           "[0, 1]); values above 1")
                reject(outside, "must lie in [0, 1]; bad values")
        return values.astype(col.pandas_dtype)

    if col.allowed is not None:
        unknown = _positions(~values.isna().to_numpy() & ~values.isin(col.allowed).to_numpy())
        if unknown:
            raise loc.fail(
                col.name,
                f"has unknown values (allowed: {', '.join(col.allowed)})",
                unknown,
                [values.iloc[p] for p in unknown],
            )
    return values


def _check_key(df: pd.DataFrame, schema: Schema, loc: _Locator) -> None:
    key = [k for k in schema.key if k in df.columns]
    if not key:
        return
    dup = df.duplicated(subset=key, keep=False).to_numpy()
    pos = _positions(dup)
    if pos:
        first = tuple(_plain(v) for v in df.iloc[pos[0]][key])
        raise loc.fail(
            None,
            f"duplicate rows on the key ({', '.join(key)}), e.g. {first!r},",
            pos,
        )


def _derive_columns(df: pd.DataFrame, schema: Schema, loc: _Locator) -> pd.DataFrame:
    """Coerce the inputs of derived columns, check them, and fill what is derivable.

    A derived column is filled where it is absent or where a row leaves it empty, so rows with
    only the documented columns can be appended to a table that has it.
    """
    cols = set(df.columns)
    if schema.kind == "chinchilla" and {"params", "tokens"} <= cols:
        gap = np.ones(len(df), bool) if "flops" not in cols else _is_blank(df["flops"])
        if gap.any():
            for name in ("params", "tokens"):
                df[name] = _check_column(df, schema.column(name), loc)
            with np.errstate(over="ignore"):
                flops = 6.0 * df["params"] * df["tokens"]
            overflow = _positions(gap & np.isinf(flops.to_numpy()))
            if overflow:
                raise loc.fail(
                    "flops", "is absent and cannot be derived: 6·params·tokens overflows", overflow
                )
            df["flops"] = flops if "flops" not in cols else df["flops"].where(~gap, flops)
    if schema.kind == "skillmix" and {"successes", "trials"} <= cols:
        for name in ("successes", "trials"):
            df[name] = _check_column(df, schema.column(name), loc)
        s = df["successes"].to_numpy(dtype="float64", na_value=np.nan)
        t = df["trials"].to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            over = _positions(s > t)
        if over:
            raise loc.fail(
                "successes", "exceeds 'trials'", over, [f"{s[p]:.0f} > {t[p]:.0f}" for p in over]
            )
        gap = np.ones(len(df), bool) if "value" not in cols else _is_blank(df["value"])
        unknown = _positions(gap & (np.isnan(s) | np.isnan(t)))
        if unknown:
            raise loc.fail(
                "value", "is absent and cannot be derived: successes/trials missing", unknown
            )
        if gap.any():
            derived = pd.Series(s / t, index=df.index)
            df["value"] = derived if "value" not in cols else df["value"].where(~gap, derived)
    return df


def _decimals(values: np.ndarray, most: int = 12) -> np.ndarray:
    """Decimal places each value is given to: the fewest d <= ``most`` with round(v, d) == v."""
    d = np.full(values.shape, most)
    for places in range(most - 1, -1, -1):
        d = np.where(np.abs(np.round(values, places) - values) < 1e-12, places, d)
    return d


def rate_resolution(values: Any, decimals: int | None = None) -> float:
    """Half the last decimal place rates are given to: ``0.5 10^-d``.

    A rate given to d decimals stands for any rate within this of it: a published 0 for any
    rate below it (the joint model's censored rates without trials), a count's rate for any
    count within it (``whole_count_possible``).

    Parameters
    ----------
    values : array_like
        Rates as published.
    decimals : int, optional
        d. Default: the most any of ``values`` has (a column's precision).

    Examples
    --------
    >>> rate_resolution([0.0, 0.25, 0.9])
    0.005
    >>> rate_resolution([0.0, 1.0])
    0.5
    """
    if decimals is None:
        decimals = int(_decimals(np.asarray(values, dtype="float64").ravel()).max(initial=0))
    return 0.5 * 10.0 ** -decimals


def whole_count_possible(value: np.ndarray, trials: np.ndarray,
                         decimals: int | None = None) -> np.ndarray:
    """Whether some whole count out of ``trials`` rounds to ``value`` at ``decimals`` places.

    A rate given to d decimal places stands for any count s with |s / trials - value| <=
    0.5·10^-d; the nearest count, round(value · trials), is the one to check.

    Parameters
    ----------
    value : numpy.ndarray
        Rates in [0, 1], as published.
    trials : numpy.ndarray
        Whole numbers of items behind each rate (same shape).
    decimals : int, optional
        Decimal places the rates are given to. Default: the most any of ``value`` has (a
        published column's precision: 0.4 in a column of 0.95 and 0.03 stands for 0.40).

    Returns
    -------
    numpy.ndarray
        Boolean, same shape.

    Examples
    --------
    >>> import numpy as np
    >>> whole_count_possible(np.array([0.95, 0.95, 0.03, 0.4]), np.array([69, 100, 32, 69]))
    array([False,  True,  True, False])
    """
    value = np.asarray(value, dtype="float64")
    trials = np.asarray(trials, dtype="float64")
    half = rate_resolution(value, decimals)
    nearest = np.round(value * trials) / trials
    return np.abs(nearest - value) <= half * (1 + 1e-9)


def _check_whole_counts(df: pd.DataFrame, loc: _Locator) -> None:
    """Warn (:class:`~skillfit.errors.DataWarning`) about Skill-Mix rates no count can give.

    The number of items behind a rate is ``trials``, else ``n_combinations``; a
    ``skill_fraction`` counts skills, ``k`` per item. Rows with ``successes`` are skipped.
    """
    n = pd.Series(np.nan, index=df.index)
    for name in ("n_combinations", "trials"):  # trials wins where both are given
        if name in df.columns:
            n = df[name].astype("float64").where(df[name].notna(), n)
    if "successes" in df.columns:
        n = n.where(df["successes"].isna())
    per_requirement = df["metric"].isin(("skill_fraction", "fraction_met"))
    items = n.to_numpy("float64") * np.where(per_requirement, df["k"], 1)
    known = np.isfinite(items)
    value = df["value"].to_numpy("float64")
    places = int(_decimals(value).max(initial=0))  # the column's precision
    ok = np.ones(len(df), bool)
    ok[known] = whole_count_possible(value[known], items[known], places)
    bad = _positions(~ok)
    if bad:
        values = [f"{value[p]:.{places}f} of {n.iloc[p]:.0f}" for p in bad]
        problem = (f"holds rates that no whole count out of the trials rounds to at {places} "
                   "decimals (trials: 'trials', else 'n_combinations'; k per item for "
                   "skill_fraction and fraction_met), so those trials are probably wrong")
        warnings.warn(str(loc.fail("value", problem, bad, values)), DataWarning,
                      skip_file_prefixes=(str(Path(__file__).parents[1]),))


def _check_base_models(df: pd.DataFrame, loc: _Locator, known: Iterable[str] = ()) -> None:
    names = set(df["llm"]) | set(known)
    base = df["base_model"]
    unknown = _positions(base.notna().to_numpy() & ~base.isin(names).to_numpy())
    if unknown:
        raise loc.fail(
            "base_model",
            "names LLMs that are not rows of the catalogue",
            unknown,
            [base.iloc[p] for p in unknown],
        )


def validate(
    df: pd.DataFrame,
    kind: str,
    source: str = "DataFrame",
    *,
    line_offset: int | None = None,
    known_llms: Iterable[str] = (),
) -> pd.DataFrame:
    """Validate a table of the given kind and return a cleaned copy.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    kind : {"chinchilla", "skillmix", "llm_catalog", "llm_losses", "composition"}
        Which schema to check against (see :data:`skillfit.data.SCHEMAS`).
    source : str, default "DataFrame"
        Name used at the start of every error message (a file name, or an argument name).
    line_offset : int, optional
        If given, rows are reported as line ``position + line_offset`` (``2`` for a CSV file with
        a header line) instead of by DataFrame index label.
    known_llms : iterable of str, optional
        ``llm_catalog`` only: LLMs of another catalogue this one extends, which ``base_model``
        may name besides the table's own rows.

    Returns
    -------
    pandas.DataFrame
        Known columns first (schema order, documented dtypes), then extra columns unchanged.
        Derived columns: ``flops = 6·params·tokens`` for chinchilla when absent, and
        ``value = successes/trials`` for skillmix when ``value`` is absent.

    Raises
    ------
    skillfit.errors.DataValidationError
        On an empty table, a missing column, missing / non-numeric / infinite values, values that
        break a constraint, unknown category names, duplicate keys, successes > trials, or a
        ``base_model`` that is not a row of the catalogue.

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate
    >>> clean = validate(pd.DataFrame({"params": [1e9], "tokens": [2e10], "loss": [2.5]}),
    ...                  "chinchilla")
    >>> clean["flops"].iloc[0]
    np.float64(1.2e+20)
    >>> validate(pd.DataFrame({"params": [1e9], "tokens": [2e10], "loss": [-1.0]}), "chinchilla")
    Traceback (most recent call last):
    ...
    skillfit.errors.DataValidationError: DataFrame: column 'loss' must be > 0; bad values at row 0 (value: -1.0)
    """
    if kind not in SCHEMAS:
        raise DataValidationError(
            f"{source}: unknown table kind {kind!r} (known: {', '.join(SCHEMAS)})"
        )
    if not isinstance(df, pd.DataFrame):
        raise DataValidationError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    schema = SCHEMAS[kind]
    loc = _Locator(source, df.index, line_offset)
    if len(df) == 0:
        raise loc.fail(None, f"is an empty table (no rows); a {kind} table needs at least one")

    work = df.copy()
    work.columns = [str(c).strip() for c in work.columns]
    repeated = sorted({c for c in work.columns if list(work.columns).count(c) > 1})
    if repeated:
        raise loc.fail(None, f"has repeated column names: {', '.join(map(repr, repeated))}")
    work = _derive_columns(work, schema, loc)

    missing = [c for c in schema.required if c not in work.columns]
    if missing:
        need = ", ".join(schema.required)
        raise loc.fail(
            None,
            f"missing column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(repr(m) for m in missing)} (a {kind} table needs: {need})",
        )

    for col in schema.columns:
        if col.name in work.columns:
            work[col.name] = _check_column(work, col, loc)

    _check_key(work, schema, loc)
    if kind == "llm_catalog":
        _check_base_models(work, loc, known_llms)
    if kind in ("skillmix", "composition"):
        _check_whole_counts(work, loc)

    known = [c for c in schema.names if c in work.columns]
    extra = [c for c in work.columns if c not in known]
    return work[known + extra]


def validate_composition(
    df: pd.DataFrame, source: str = "DataFrame", *, line_offset: int | None = None
) -> pd.DataFrame:
    """Validate a k-composition benchmark table in long format; see :func:`validate`.

    Columns: ``benchmark``, ``llm`` (str), ``k`` (int64, >= 1), ``metric`` (one of
    :data:`~skillfit.data.schema.COMPOSITION_METRICS`), ``value`` (float64 in [0, 1]: values
    that look like percentages are refused with "divide by 100"); optional ``trials``,
    ``generations`` (Int64, >= 1), ``grader``, ``source`` (str). Key: (benchmark, llm, k,
    metric). Where ``trials`` is given, a rate that no whole count out of it rounds to gets a
    :class:`~skillfit.errors.DataWarning` naming the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate_composition
    >>> df = pd.DataFrame({"benchmark": ["ifbench"] * 2, "llm": ["m"] * 2, "k": [1, 3],
    ...                    "metric": ["all_met"] * 2, "value": [87.5, 42.0]})
    >>> validate_composition(df, source="mine.csv")
    Traceback (most recent call last):
    ...
    skillfit.errors.DataValidationError: mine.csv: column 'value' looks like percent: divide by 100 (values must lie in [0, 1]); values above 1 at rows 0, 1 (values: 87.5, 42.0)
    """
    return validate(df, "composition", source, line_offset=line_offset)


def validate_chinchilla(
    df: pd.DataFrame, source: str = "DataFrame", *, line_offset: int | None = None
) -> pd.DataFrame:
    """Validate (N, D, loss) training runs; see :func:`validate`.

    Columns: ``params`` (float64, > 0), ``tokens`` (float64, > 0), ``flops`` (float64, > 0;
    filled with 6·N·D if absent), ``loss`` (float64, nats/token, > 0), optional
    ``excluded_by_epoch`` (bool).

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate_chinchilla
    >>> validate_chinchilla(pd.DataFrame({"params": [1e9], "tokens": [2e10], "loss": [2.5]})).shape
    (1, 4)
    """
    return validate(df, "chinchilla", source, line_offset=line_offset)


def validate_skillmix(
    df: pd.DataFrame, source: str = "DataFrame", *, line_offset: int | None = None
) -> pd.DataFrame:
    """Validate Skill-Mix scores in long format; see :func:`validate`.

    Columns: ``llm`` (str), ``k`` (int64, >= 1), ``metric`` (one of
    :data:`~skillfit.data.schema.SKILLMIX_METRICS`), ``value`` (float64 in [0, 1]); optional
    ``n_combinations``, ``generations``, ``successes``, ``trials`` (Int64),
    ``n_combinations_derived`` (bool), ``grader``, ``source`` (str). Key: (llm, k, metric).
    ``successes`` must not exceed ``trials``; without ``value`` it is ``successes/trials``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate_skillmix
    >>> df = pd.DataFrame({"llm": ["m"], "k": [2], "metric": ["skill_fraction"],
    ...                    "successes": [3], "trials": [4]})
    >>> validate_skillmix(df)["value"].tolist()
    [0.75]
    """
    return validate(df, "skillmix", source, line_offset=line_offset)


def validate_llm_catalog(
    df: pd.DataFrame, source: str = "DataFrame", *, line_offset: int | None = None
) -> pd.DataFrame:
    """Validate an LLM catalogue; see :func:`validate`.

    Columns: ``llm`` (str, unique), ``family`` (str), ``base_model`` (str or NaN; must be an
    ``llm`` of the same table), ``params``, ``tokens`` (float64 > 0 or NaN), ``kind`` (base, chat,
    instruct); optional ``params_source``, ``tokens_source``, ``aliases``, ``notes`` (str).

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate_llm_catalog
    >>> df = pd.DataFrame({"llm": ["B", "B-Chat"], "family": ["F", "F"],
    ...                    "base_model": [None, "B"], "params": [7e9, 7e9],
    ...                    "tokens": [2e12, 2e12], "kind": ["base", "chat"]})
    >>> validate_llm_catalog(df)["base_model"].isna().tolist()
    [True, False]
    """
    return validate(df, "llm_catalog", source, line_offset=line_offset)


def validate_llm_losses(
    df: pd.DataFrame, source: str = "DataFrame", *, line_offset: int | None = None
) -> pd.DataFrame:
    """Validate held-out losses in long format; see :func:`validate`.

    Columns: ``llm``, ``corpus`` (str), ``unit`` (one of
    :data:`~skillfit.data.schema.LOSS_UNITS`), ``value`` (float64 > 0), optional ``source``.
    Key: (llm, corpus, unit).

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import validate_llm_losses
    >>> df = pd.DataFrame({"llm": ["m"], "corpus": ["c"], "unit": ["bits/char"], "value": [0.5]})
    >>> validate_llm_losses(df)["unit"].tolist()
    ['bits/char']
    """
    return validate(df, "llm_losses", source, line_offset=line_offset)


def check_known_llms(
    df: pd.DataFrame,
    catalog: pd.DataFrame,
    source: str = "DataFrame",
    *,
    column: str = "llm",
    line_offset: int | None = None,
) -> None:
    """Raise if ``df[column]`` names an LLM that is not a row of ``catalog``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skillfit.data import check_known_llms
    >>> cat = pd.DataFrame({"llm": ["A"]})
    >>> check_known_llms(pd.DataFrame({"llm": ["A", "Z"]}), cat)
    Traceback (most recent call last):
    ...
    skillfit.errors.DataValidationError: DataFrame: column 'llm' names LLMs missing from the catalogue at row 1 (value: 'Z')
    """
    loc = _Locator(source, df.index, line_offset)
    if column not in df.columns:
        raise loc.fail(None, f"missing column '{column}'")
    known: set[Hashable] = set(catalog["llm"])
    names = df[column]
    pos = _positions(names.notna().to_numpy() & ~names.isin(known).to_numpy())
    if pos:
        raise loc.fail(
            column, "names LLMs missing from the catalogue", pos, [names.iloc[p] for p in pos]
        )
