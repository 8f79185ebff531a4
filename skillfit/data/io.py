"""Read a CSV file of a known table kind and validate it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import pandas as pd

from skillfit.data.schema import SCHEMAS
from skillfit.data.validate import validate
from skillfit.errors import DataValidationError

__all__ = ["read_csv"]

#: First data row of a CSV file with one header line is line 2.
CSV_FIRST_DATA_LINE = 2


def read_csv(
    path: str | os.PathLike[str] | IO[str], kind: str, *, source: str | None = None,
    known_llms: Iterable[str] = (),
) -> pd.DataFrame:
    """Read a CSV table and validate it as ``kind``.

    Errors name the file and the 1-based line number of each offending row (the header is
    line 1).

    Parameters
    ----------
    path : str, path-like or text file object
        The CSV file (comma-separated, one header line).
    kind : {"chinchilla", "skillmix", "llm_catalog", "llm_losses"}
        Table kind; see :data:`skillfit.data.SCHEMAS`.
    source : str, optional
        Name used in error messages (default: the path).
    known_llms : iterable of str, optional
        Passed to :func:`skillfit.data.validate` (a catalogue extending another).

    Returns
    -------
    pandas.DataFrame
        The cleaned table (see :func:`skillfit.data.validate`), with a fresh RangeIndex.

    Raises
    ------
    skillfit.errors.DataValidationError
        If the file is missing, unreadable, not CSV, or fails validation.

    Examples
    --------
    >>> import io
    >>> from skillfit.data import read_csv
    >>> text = "llm,corpus,unit,value\\nm,c,bits/char,0.5\\nm,c,bits/char,0.6\\n"
    >>> read_csv(io.StringIO(text), "llm_losses", source="losses.csv")
    Traceback (most recent call last):
    ...
    skillfit.errors.DataValidationError: losses.csv: duplicate rows on the key (llm, corpus, unit), e.g. ('m', 'c', 'bits/char'), at lines 2, 3
    """
    name = source if source is not None else (
        str(path) if isinstance(path, str | os.PathLike) else getattr(path, "name", "<stream>")
    )
    if isinstance(path, str | os.PathLike):
        p = Path(path)
        if not p.exists():
            raise DataValidationError(f"{name}: file not found")
        if p.is_dir():
            raise DataValidationError(f"{name}: is a directory, not a CSV file")
    # Text columns are read as text: an LLM called "007" or "1e3" keeps its name.
    text_columns = {c.name: str for c in SCHEMAS[kind].columns if c.dtype == "str"} if (
        kind in SCHEMAS) else {}
    try:
        header = _header(path)
        df = pd.read_csv(path, skipinitialspace=True, dtype=text_columns)
    except pd.errors.EmptyDataError:
        raise DataValidationError(f"{name}: is empty (no header, no rows)") from None
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataValidationError(f"{name}: not a readable CSV file ({detail})") from None
    except UnicodeDecodeError:
        raise DataValidationError(f"{name}: not a UTF-8 text file") from None
    except OSError as exc:
        raise DataValidationError(f"{name}: cannot read file ({exc.strerror or exc})") from None
    if not isinstance(df.index, pd.RangeIndex):  # pandas took the extra leading fields as an index
        raise DataValidationError(
            f"{name}: not a readable CSV file (line {CSV_FIRST_DATA_LINE} has more fields than "
            "the header)"
        )
    repeated = sorted({c for c in header if c and header.count(c) > 1}) if header else []
    if repeated:  # pandas would silently rename the second 'loss' to 'loss.1'
        raise DataValidationError(
            f"{name}: has repeated column names: {', '.join(map(repr, repeated))}"
        )
    return validate(df, kind, name, line_offset=CSV_FIRST_DATA_LINE, known_llms=known_llms)


def _header(path: str | os.PathLike[str] | IO[str]) -> list[str] | None:
    """The column names exactly as written in the header line (None for a one-pass stream)."""
    stream = not isinstance(path, str | os.PathLike)
    if stream and not (hasattr(path, "seekable") and path.seekable()):
        return None
    start = path.tell() if stream else 0
    raw = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False,
                      skipinitialspace=True)
    if stream:
        path.seek(start)
    return [str(c).strip() for c in raw.iloc[0]] if len(raw) else None
