"""Declarative schemas of the five table kinds skillfit reads.

A :class:`Schema` lists the columns of a table kind, each a :class:`Column` with a dtype and
simple per-value constraints (required, nullable, positive, in [0, 1], integer, minimum, allowed
values), plus the key columns that must be unique. The generic validator in
:mod:`skillfit.data.validate` enforces them; checks that span several columns (successes ≤
trials, ``base_model`` must be a row of the catalogue) live there too.

Dtypes of a cleaned table
-------------------------
``"float"`` → ``float64``; ``"int"`` → ``int64`` (``Int64`` if the column is nullable);
``"str"`` → pandas ``str`` (missing values are ``NaN``); ``"bool"`` → ``bool`` (an absent
optional bool column is *not* added).

Bookkeeping columns (``excluded_by_epoch``, ``n_combinations_derived``, the derived ``flops``
and ``value``) are optional per row: a row that gives only the documented columns (e.g. one
appended to a bundled table) gets the column's ``default``, or the derived value.

Examples
--------
>>> from skillfit.data.schema import SCHEMAS
>>> SCHEMAS["skillmix"].key
('llm', 'k', 'metric')
>>> [c.name for c in SCHEMAS["chinchilla"].columns if c.required]
['params', 'tokens', 'loss']
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COMPOSITION_METRICS",
    "LLM_KINDS",
    "LOSS_UNITS",
    "SCHEMAS",
    "SKILLMIX_METRICS",
    "Column",
    "Schema",
]

DType = Literal["float", "int", "str", "bool"]

#: Skill-Mix metrics (Yu et al. 2023, arXiv 2310.17567): ratio of full marks, ratio of all
#: skills, skill fraction.
SKILLMIX_METRICS: tuple[str, ...] = ("ratio_of_full_marks", "ratio_of_all_skills", "skill_fraction")
#: What a ``composition`` table's ``value`` counts: ``all_met`` (share of items with all k
#: requirements met), ``fraction_met`` (mean share of the k requirements met) and ``full_marks``
#: (all met plus the benchmark's other demands, as Skill-Mix's ratio of full marks).
COMPOSITION_METRICS: tuple[str, ...] = ("all_met", "fraction_met", "full_marks")
#: Units of a held-out loss value in ``llm_losses``.
LOSS_UNITS: tuple[str, ...] = ("bits/char", "bits/byte", "nats/token")
#: Kinds of LLM in ``llm_catalog``.
LLM_KINDS: tuple[str, ...] = ("base", "chat", "instruct")


@dataclass(frozen=True)
class Column:
    """One column of a table kind.

    Parameters
    ----------
    name : str
        Column name in the CSV / DataFrame.
    dtype : {"float", "int", "str", "bool"}
        Logical type; numeric columns are coerced and non-numeric entries rejected.
    description : str
        Meaning and unit (shown in documentation).
    required : bool
        The column must be present.
    nullable : bool
        Missing values (empty cell / NaN) are allowed.
    positive : bool
        Every value must be > 0.
    unit_interval : bool
        Every value must lie in [0, 1].
    minimum : float or None
        Every value must be >= ``minimum``.
    allowed : tuple of str or None
        The only admissible values of a string column.
    default : bool or None
        Value used where a cell of this column is missing (bookkeeping flags), instead of
        rejecting the row.
    """

    name: str
    dtype: DType
    description: str = ""
    required: bool = True
    nullable: bool = False
    positive: bool = False
    unit_interval: bool = False
    minimum: float | None = None
    allowed: tuple[str, ...] | None = None
    default: bool | None = None

    @property
    def pandas_dtype(self) -> str:
        """The dtype of this column in a cleaned DataFrame."""
        if self.dtype == "float":
            return "float64"
        if self.dtype == "int":
            return "Int64" if self.nullable else "int64"
        if self.dtype == "bool":
            return "bool"
        return "str"


@dataclass(frozen=True)
class Schema:
    """The columns and key of one table kind.

    Parameters
    ----------
    kind : str
        Name of the kind (``"chinchilla"``, ``"skillmix"``, ``"llm_catalog"``, ``"llm_losses"``).
    columns : tuple of Column
        Known columns, in the order of a cleaned table. Other columns are kept after them.
    key : tuple of str
        Columns whose combination must be unique (empty: no uniqueness check).
    description : str
        One line saying what a row is.
    """

    kind: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    description: str = ""

    def column(self, name: str) -> Column:
        """Return the column called ``name`` (KeyError if the schema has none)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of every known column, in order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns that must be present."""
        return tuple(c.name for c in self.columns if c.required)


_SOURCE = Column("source", "str", "where the number comes from", required=False, nullable=True)

CHINCHILLA = Schema(
    kind="chinchilla",
    description="one training run: parameters N, tokens D, final loss L",
    columns=(
        Column("params", "float", "N, number of parameters", positive=True),
        Column("tokens", "float", "D, training tokens", positive=True),
        Column(
            "flops",
            "float",
            "C, training FLOP (filled with 6·N·D where absent or missing)",
            required=False,
            positive=True,
        ),
        Column("loss", "float", "final training loss, nats/token", positive=True),
        Column(
            "excluded_by_epoch",
            "bool",
            "True for the 5 highest-loss points Epoch AI left out of its main fit",
            required=False,
            default=False,
        ),
    ),
)

SKILLMIX = Schema(
    kind="skillmix",
    description="one Skill-Mix score of one LLM at one k for one metric",
    key=("llm", "k", "metric"),
    columns=(
        Column("llm", "str", "LLM name (a row of llm_catalog)"),
        Column("k", "int", "number of skills combined per task", minimum=1),
        Column("metric", "str", "which Skill-Mix metric", allowed=SKILLMIX_METRICS),
        Column(
            "value",
            "float",
            "score in [0, 1] (filled with successes/trials where absent and counts are given)",
            unit_interval=True,
        ),
        Column(
            "n_combinations",
            "int",
            "n_k, graded (skills, topic) combinations behind the score",
            required=False,
            nullable=True,
            minimum=1,
        ),
        Column(
            "n_combinations_derived",
            "bool",
            "True if n_combinations is derived (not published)",
            required=False,
            default=False,
        ),
        Column("grader", "str", "model that graded the texts", required=False, nullable=True),
        Column(
            "generations",
            "int",
            "generations per combination, best kept (G)",
            required=False,
            nullable=True,
            minimum=1,
        ),
        Column(
            "successes",
            "int",
            "combinations that met the metric (user data)",
            required=False,
            nullable=True,
            minimum=0,
        ),
        Column(
            "trials",
            "int",
            "combinations evaluated (user data)",
            required=False,
            nullable=True,
            minimum=1,
        ),
        _SOURCE,
    ),
)

LLM_CATALOG = Schema(
    kind="llm_catalog",
    description="one LLM: family, base model, parameters N, pre-training tokens D, sources",
    key=("llm",),
    columns=(
        Column("llm", "str", "canonical LLM name"),
        Column("family", "str", "model family (data-quality group)"),
        Column(
            "base_model",
            "str",
            "llm name of the pre-trained base model (empty for base models and unknowns)",
            nullable=True,
        ),
        Column(
            "params", "float", "N, parameters (NaN if undisclosed)", nullable=True, positive=True
        ),
        Column(
            "tokens",
            "float",
            "D, pre-training tokens of the base model (NaN if undisclosed)",
            nullable=True,
            positive=True,
        ),
        Column("kind", "str", "base, chat or instruct", allowed=LLM_KINDS),
        Column("params_source", "str", "source of params", required=False, nullable=True),
        Column("tokens_source", "str", "source of tokens", required=False, nullable=True),
        Column("aliases", "str", "names used in the raw sources, ';'-separated", required=False,
               nullable=True),
        Column("notes", "str", "caveats", required=False, nullable=True),
    ),
)

LLM_LOSSES = Schema(
    kind="llm_losses",
    description="one held-out loss of one LLM on one corpus",
    key=("llm", "corpus", "unit"),
    columns=(
        Column("llm", "str", "LLM name (a row of llm_catalog)"),
        Column("corpus", "str", "evaluation corpus (and harness)"),
        Column("unit", "str", "unit of value", allowed=LOSS_UNITS),
        Column("value", "float", "loss in the given unit", positive=True),
        _SOURCE,
    ),
)

COMPOSITION = Schema(
    kind="composition",
    description="one score of one LLM at one k on one k-composition benchmark",
    key=("benchmark", "llm", "k", "metric"),
    columns=(
        Column("benchmark", "str", "benchmark name (e.g. skillmix, followbench)"),
        Column("llm", "str", "LLM name (a row of llm_catalog)"),
        Column("k", "int", "requirements (skills, constraints, instructions) per item", minimum=1),
        Column("metric", "str", "what value counts", allowed=COMPOSITION_METRICS),
        Column("value", "float", "score in [0, 1] (a share, not a percentage)",
               unit_interval=True),
        Column("trials", "int", "items scored behind the value (unknown if empty)",
               required=False, nullable=True, minimum=1),
        Column("generations", "int", "generations per item, best kept (G; 1 if empty)",
               required=False, nullable=True, minimum=1),
        Column("grader", "str", "who or what scored the items", required=False, nullable=True),
        _SOURCE,
    ),
)

#: Schema of every table kind, by name.
SCHEMAS: dict[str, Schema] = {
    s.kind: s for s in (CHINCHILLA, SKILLMIX, LLM_CATALOG, LLM_LOSSES, COMPOSITION)
}
