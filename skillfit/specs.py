"""Declarative model specs (TOML): which model, which data, priors, sampler settings, output.

A spec names a model type, its data (a bundled dataset or a CSV path, relative to the spec
file), ``model_config`` (priors as ``{dist = "Normal", mu = 0, sigma = 1}`` tables and options)
and ``sampler_config``. Specs shipped in the repository's top-level ``models/`` folder are bundled
in the wheel as ``skillfit/_bundled/models`` and can be named without a path
(``skillfit fit chinchilla``)::

    [model]
    type = "scaling_law"
    description = "Chinchilla L(N, D) on Epoch's 240 points"

    [data]
    dataset = "chinchilla"          # or: path = "my_runs.csv"

    [model_config]
    alpha = {dist = "TruncatedNormal", mu = 0.33, sigma = 0.1, lower = 0.0, upper = 1.0}

    [sampler_config]
    draws = 1000

    [output]
    dir = "runs/chinchilla"

A ``skill_graph`` spec (e.g. the bundled ``skillmix``) takes ``[data] dataset = "bundled"`` or
per-table CSV paths ``skillmix``, ``catalog``, ``losses`` (tables not given are the bundled ones;
a ``catalog`` or ``losses`` CSV adds its rows to the bundled table, replacing bundled rows of
the same LLM, unless ``bundled = false``; a ``skillmix`` CSV replaces the bundled scores),
and an optional ``[forecast]`` section (``k_max``, ``ci_prob`` — the mass of the equal-tailed
intervals, called ``hdi_prob`` before — ``score_at_least`` and the hypothetical LLMs as
``[[forecast.llms]]`` tables) read by ``skillfit forecast``.

Every unknown key is a :class:`~skillfit.errors.SpecError` naming the file and suggesting the
closest valid key.

Examples
--------
>>> spec = load_spec("chinchilla")
>>> spec.model_type, spec.data["dataset"]
('scaling_law', 'chinchilla')
"""

from __future__ import annotations

import importlib
import os
import tomllib
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd

from skillfit.errors import DifferentModelError, SkillfitError, SpecError, did_you_mean

__all__ = ["MODEL_TYPES", "Spec", "list_specs", "load_model", "load_spec", "model_class",
           "resolve_spec", "specs_dir"]

#: model type -> ("module:Class", table kind of its data)
MODEL_TYPES: dict[str, tuple[str, str]] = {
    "scaling_law": ("skillfit.models.scaling_law:ScalingLawModel", "chinchilla"),
    "skill_graph": ("skillfit.models.skill_graph:SkillGraphModel", "joint"),
}

#: ``[data]`` keys of a ``joint`` spec: ``dataset = "bundled"`` and/or one CSV path per table
#: (tables not given come from the bundled datasets), with the table kind of each path.
_JOINT_TABLES: dict[str, str] = {"skillmix": "skillmix", "catalog": "llm_catalog",
                                 "losses": "llm_losses"}
#: Tables a user's CSV *extends*: its rows are added to the bundled table's, replacing a
#: bundled row with the same key (``[data] bundled = false``: the user's table alone). A user's
#: ``skillmix`` table replaces the bundled scores: it is the set of observations.
_EXTENDED_TABLES = ("catalog", "losses")
#: keys of one hypothetical LLM in ``[[forecast.llms]]`` (see skillfit.forecasting).
_FORECAST_LLM_KEYS = {"name", "params", "tokens", "family", "compute", "tokens_per_param",
                      "of", "factor"}

_SECTIONS: dict[str, set[str] | None] = {
    "model": {"type", "name", "description"},
    "data": {"dataset", "path", "bundled", "composition", *_JOINT_TABLES},
    "model_config": None,  # checked by the model class
    "sampler_config": None,  # checked by the model class
    "output": {"dir", "plots"},
    "forecast": {"k_max", "ci_prob", "score_at_least", "llms", "benchmark"},  # skill_graph only
}
#: (section, old key) -> new key, for keys renamed in a release (a clear error, not "unknown").
_RENAMED: dict[tuple[str, str], str] = {("forecast", "hdi_prob"): "ci_prob"}


def specs_dir() -> Path:
    """``skillfit/_bundled/models`` in a wheel, else the repository's top-level ``models/``."""
    bundled = files("skillfit") / "_bundled" / "models"
    if bundled.is_dir():
        return Path(str(bundled))
    return Path(__file__).resolve().parent.parent / "models"


def list_specs() -> list[str]:
    """Names of the bundled specs."""
    folder = specs_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def resolve_spec(name_or_path: str | os.PathLike[str]) -> Path:
    """Path of a spec given a file path or the name of a bundled spec."""
    text = str(name_or_path)
    path = Path(text)
    if path.is_file():
        return path
    looks_like_path = text.endswith(".toml") or os.sep in text or "/" in text
    if looks_like_path:
        raise SpecError(f"no such spec file: {text}")
    bundled = specs_dir() / f"{text}.toml"
    if bundled.is_file():
        return bundled
    names = list_specs()
    raise SpecError(
        f"unknown model spec {text!r}{did_you_mean(text, names)}; bundled specs: "
        f"{', '.join(names) or '(none)'}; or give the path of a .toml file"
    )


def model_class(model_type: str) -> type:
    """The model class registered for ``model_type``."""
    if model_type not in MODEL_TYPES:
        raise SpecError(
            f"unknown model type {model_type!r}{did_you_mean(model_type, MODEL_TYPES)}; "
            f"known: {', '.join(MODEL_TYPES)}"
        )
    module, cls = MODEL_TYPES[model_type][0].split(":")
    return getattr(importlib.import_module(module), cls)


@dataclass
class Spec:
    """A loaded, validated model spec."""

    name: str
    model_type: str
    data: dict[str, Any]
    model_config: dict[str, Any] = field(default_factory=dict)
    sampler_config: dict[str, Any] = field(default_factory=dict)
    output: dict[str, Any] = field(default_factory=dict)
    forecast: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    path: Path | None = None

    def make_model(self, **sampler_overrides: Any) -> Any:
        """Instantiate the model with the spec's configs (``sampler_overrides`` win)."""
        sampler = dict(self.sampler_config)
        sampler.update({k: v for k, v in sampler_overrides.items() if v is not None})
        try:
            return model_class(self.model_type)(
                model_config=self.model_config, sampler_config=sampler
            )
        except SpecError as exc:
            raise SpecError(f"{self._where()}: {exc}") from None

    def load_data(self) -> pd.DataFrame:
        """The spec's data as a validated DataFrame."""
        from skillfit import datasets
        from skillfit.data import read_csv

        kind = MODEL_TYPES[self.model_type][1]
        if kind == "joint":
            from skillfit.models.skill_graph_data import check_composition, combine

            from skillfit.data import SCHEMAS, check_known_llms
            from skillfit.data.io import CSV_FIRST_DATA_LINE

            bundled = self.data.get("bundled", True)
            # a catalogue that extends the bundled one may name a bundled base model
            known = set(datasets.load("llm_catalog")["llm"]) if bundled else set()
            user = {key: read_csv(str(self._resolve(self.data[key])), kind=table_kind,
                                  known_llms=known if key == "catalog" else ())
                    for key, table_kind in _JOINT_TABLES.items() if key in self.data}
            tables = {}
            for key, table_kind in _JOINT_TABLES.items():
                if key not in user:
                    tables[key] = datasets.load(table_kind)
                elif bundled and key in _EXTENDED_TABLES:
                    tables[key] = _extend(datasets.load(table_kind), user[key],
                                          SCHEMAS[table_kind].key)
                else:
                    tables[key] = user[key]
            composition = None
            if "composition" in self.data:  # other k-composition benchmarks, added
                where = str(self._resolve(self.data["composition"]))
                user["composition"] = composition = read_csv(where, kind="composition")
                check_composition(composition, where)
            for key in ("skillmix", "losses", "composition"):  # named by file and line
                if key in user:
                    check_known_llms(user[key], tables["catalog"],
                                     str(self._resolve(self.data[key])),
                                     line_offset=CSV_FIRST_DATA_LINE)
            return combine(*(tables[key] for key in _JOINT_TABLES), composition=composition)
        if "dataset" in self.data:
            return datasets.load(self.data["dataset"])
        return read_csv(self._resolve(self.data["path"]), kind=kind)

    def _resolve(self, name: str) -> Path:
        path = Path(name)
        if not path.is_absolute() and self.path is not None:
            path = self.path.parent / path
        return path

    def output_dir(self) -> Path:
        """Output folder: ``[output] dir`` (relative to the working directory) or runs/NAME."""
        return Path(self.output.get("dir", f"runs/{self.name}"))

    def _where(self) -> str:
        return str(self.path) if self.path is not None else f"spec {self.name!r}"


def load_spec(name_or_path: str | os.PathLike[str]) -> Spec:
    """Load and validate a spec (bundled name or path).

    Raises
    ------
    SpecError
        Missing file, invalid TOML, unknown section/key (with a suggestion), unknown model type,
        bad data section, or an invalid prior / sampler setting.
    """
    path = resolve_spec(name_or_path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not valid TOML: not a UTF-8 text file") from None
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc.strerror}") from None
    for section, value in raw.items():
        if section not in _SECTIONS:
            raise SpecError(
                f"{path}: unknown section [{section}]{did_you_mean(section, _SECTIONS)}; "
                f"valid: {', '.join(_SECTIONS)}"
            )
        if not isinstance(value, dict):
            raise SpecError(f"{path}: [{section}] must be a table")
        allowed = _SECTIONS[section]
        if allowed is not None:
            for key in value:
                if (section, key) in _RENAMED:
                    new = _RENAMED[section, key]
                    raise SpecError(
                        f"{path}: [{section}] {key} was renamed to {new} (same meaning); "
                        f"write {new} = {value[key]!r}"
                    )
                if key not in allowed:
                    raise SpecError(
                        f"{path}: unknown key {key!r} in [{section}]{did_you_mean(key, allowed)}; "
                        f"valid: {', '.join(sorted(allowed))}"
                    )
    model = raw.get("model", {})
    if "type" not in model:
        raise SpecError(f"{path}: [model] needs a type (one of {', '.join(MODEL_TYPES)})")
    data = raw.get("data", {})
    model_type = str(model["type"])
    kind = MODEL_TYPES.get(model_type, ("", ""))[1]
    if kind == "joint":
        _check_joint_data(path, data)
    elif len(data) != 1 or not set(data) <= {"dataset", "path"}:
        raise SpecError(f"{path}: [data] needs exactly one of dataset = \"NAME\" or path = \"FILE.csv\"")
    elif kind:
        _check_table_data(path, data, model_type, kind)
    _check_output(path, raw.get("output", {}))
    if "forecast" in raw:
        if kind != "joint":
            raise SpecError(f"{path}: a [forecast] section is only valid for skill_graph specs")
        _check_forecast(path, raw["forecast"])
    spec = Spec(
        name=str(model.get("name", path.stem)),
        model_type=str(model["type"]),
        data={k: (v if k == "bundled" else str(v)) for k, v in data.items()},
        model_config=dict(raw.get("model_config", {})),
        sampler_config=dict(raw.get("sampler_config", {})),
        output=dict(raw.get("output", {})),
        forecast=dict(raw.get("forecast", {})),
        description=str(model.get("description", "")),
        path=path,
    )
    try:
        model_class(spec.model_type)
    except SpecError as exc:
        raise SpecError(f"{path}: {exc}") from None
    spec.make_model()  # validates model_config and sampler_config
    return spec


def _check_table_data(path: Path, data: dict[str, Any], model_type: str, kind: str) -> None:
    """``[data]`` of a one-table spec: the bundled dataset of its table kind, or a CSV path."""
    key, value = next(iter(data.items()))
    if not isinstance(value, str) or not value.strip():
        raise SpecError(f"{path}: [data] {key} must be a non-empty string, got {value!r}")
    if key == "dataset" and value != kind:
        raise SpecError(
            f"{path}: [data] dataset must be {kind!r} for a {model_type} spec, got {value!r}"
            f"{did_you_mean(value, [kind])} (or give path = \"FILE.csv\" with a {kind} table)"
        )


def _check_output(path: Path, output: dict[str, Any]) -> None:
    """``[output]``: ``dir`` a folder path (string), ``plots`` true or false."""
    if "dir" in output and (not isinstance(output["dir"], str) or not output["dir"].strip()):
        raise SpecError(f"{path}: [output] dir must be a folder path (a string), got {output['dir']!r}")
    if "plots" in output and not isinstance(output["plots"], bool):
        raise SpecError(f"{path}: [output] plots must be true or false, got {output['plots']!r}")


def _check_joint_data(path: Path, data: dict[str, Any]) -> None:
    """``[data]`` of a skill_graph spec: ``dataset = "bundled"`` and/or per-table CSV paths."""
    if "path" in data:
        raise SpecError(
            f"{path}: [data] of a skill_graph spec takes skillmix/catalog/losses CSV paths "
            "(one per table), not a single path"
        )
    if "dataset" in data and data["dataset"] != "bundled":
        raise SpecError(
            f"{path}: [data] dataset must be \"bundled\" for a skill_graph spec, got "
            f"{data['dataset']!r} (or give skillmix/catalog/losses CSV paths)"
        )
    if not data:
        raise SpecError(
            f"{path}: [data] needs dataset = \"bundled\" or skillmix/catalog/losses CSV paths"
        )
    for key in (*_JOINT_TABLES, "composition"):
        if key in data and (not isinstance(data[key], str) or not data[key].strip()):
            raise SpecError(f"{path}: [data] {key} must be a CSV path (a string)")
    if "bundled" in data:
        if not isinstance(data["bundled"], bool):
            raise SpecError(f"{path}: [data] bundled must be true or false, got {data['bundled']!r}")
        missing = [key for key in _JOINT_TABLES if key not in data]
        if not data["bundled"] and missing:
            wanted = ", ".join(f"{key} = 'FILE.csv'" for key in missing)
            raise SpecError(f"{path}: [data] bundled = false uses only your tables: give "
                            f"{wanted} too")
        if (data["bundled"] and "dataset" not in data
                and not set(data) & {*_JOINT_TABLES, "composition"}):
            raise SpecError(f"{path}: [data] bundled = true needs dataset = \"bundled\" or "
                            "skillmix/catalog/losses CSV paths")


def _extend(bundled: pd.DataFrame, user: pd.DataFrame, key: tuple[str, ...]) -> pd.DataFrame:
    """``bundled`` with ``user``'s rows added, a user row replacing the bundled row of its key."""
    mine = pd.MultiIndex.from_frame(user[list(key)].astype(str))
    theirs = pd.MultiIndex.from_frame(bundled[list(key)].astype(str))
    kept = bundled[~theirs.isin(mine)]
    return pd.concat([kept, user], ignore_index=True, sort=False)


def _check_forecast(path: Path, section: dict[str, Any]) -> None:
    """Types of ``[forecast]`` and the keys of every ``[[forecast.llms]]`` table."""
    from skillfit.forecasting import K_MAX_LIMIT, check_llms

    k_max = section.get("k_max", 1)
    if isinstance(k_max, bool) or not isinstance(k_max, int) or not 1 <= k_max <= K_MAX_LIMIT:
        raise SpecError(
            f"{path}: [forecast] k_max must be a positive integer (at most {K_MAX_LIMIT}), "
            f"got {k_max!r}"
        )
    ci_prob = section.get("ci_prob", 0.5)
    if isinstance(ci_prob, bool) or not isinstance(ci_prob, int | float) or not 0 < ci_prob < 1:
        raise SpecError(f"{path}: [forecast] ci_prob must be in (0, 1), got {ci_prob!r}")
    levels = section.get("score_at_least", [0.5])
    if not isinstance(levels, list) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in levels):
        raise SpecError(f"{path}: [forecast] score_at_least must be a list of numbers in [0, 1]")
    bench = section.get("benchmark", "skillmix")
    if isinstance(bench, str):
        bench = [bench]
    if (not isinstance(bench, list) or not bench
            or not all(isinstance(b, str) and b.strip() for b in bench)):
        raise SpecError(f"{path}: [forecast] benchmark must be a benchmark name or a list of "
                        f"names, got {section['benchmark']!r}")
    llms = section.get("llms", [])
    if not isinstance(llms, list) or not all(isinstance(x, dict) for x in llms):
        raise SpecError(f"{path}: [forecast] llms must be an array of tables ([[forecast.llms]])")
    for i, llm in enumerate(llms, start=1):
        for key in llm:
            if key not in _FORECAST_LLM_KEYS:
                raise SpecError(
                    f"{path}: unknown key {key!r} in [[forecast.llms]] #{i}"
                    f"{did_you_mean(key, _FORECAST_LLM_KEYS)}; valid: {', '.join(sorted(_FORECAST_LLM_KEYS))}"
                )
        if "name" not in llm:
            raise SpecError(f"{path}: [[forecast.llms]] #{i} needs a name")
        if not isinstance(llm["name"], str) or not llm["name"].strip():
            raise SpecError(f"{path}: [[forecast.llms]] #{i}: name must be a non-empty string, "
                            f"got {llm['name']!r}")
        for key, value in llm.items():  # NaN means "not given" in a DataFrame, not in a spec
            if isinstance(value, float) and value != value:
                raise SpecError(f"{path}: [[forecast.llms]] #{i}: {key} must be a number, got nan")
        try:
            check_llms([llm])
        except SkillfitError as exc:
            raise SpecError(f"{path}: [[forecast.llms]] #{i}: {exc}") from None


def load_model(path: str | os.PathLike[str], check: bool = True) -> Any:
    """Load a saved model file of any registered type (dispatch on its ``model_type``).

    Parameters
    ----------
    path : str or os.PathLike
        A file written by a model's ``save``.
    check : bool, default True
        Passed to the class's :meth:`~skillfit.models.io.ModelIO.load`: refuse a file written
        by another model version (``False`` tries anyway).

    Returns
    -------
    skillfit.models.base.ModelBuilder
        The fitted model, of the class registered for the file's ``model_type``.

    Raises
    ------
    SkillfitError
        If ``path`` does not exist.
    DifferentModelError
        If the file is not a skillfit model, names an unknown model type, or the class's
        ``load`` refuses it.

    Examples
    --------
    >>> load_model("no/such/file.nc")
    Traceback (most recent call last):
    ...
    skillfit.errors.SkillfitError: no such model file: no/such/file.nc
    """
    from skillfit.models.io import saved_attrs

    path = Path(path)
    model_type = saved_attrs(path).get("model_type")
    if model_type is None:
        raise DifferentModelError(f"{path} was not saved by a skillfit model (no model_type attribute)")
    if model_type not in MODEL_TYPES:
        raise DifferentModelError(f"{path} holds an unknown model type {model_type!r}")
    return model_class(model_type).load(path, check=check)
