"""Fuzzed bad input for the Python entry points (issue "Reliability": bad input, fuzzed).

Every malformed input must end in ONE clear :class:`~skillfit.errors.SkillfitError` (one line,
naming the file / column / line / key / argument), never another exception type, a numerical
RuntimeWarning, or a half-written output. Nothing here samples: the forecast tests use a tiny
hand-made posterior (no PyMC), and every CLI-level check is in ``tests/cli/test_fuzz_cli.py``.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skillfit import datasets, theory
from skillfit.data import SCHEMAS, read_csv, validate
from skillfit.errors import ArgumentError, DataValidationError, SkillfitError, SpecError
from skillfit.forecasting import K_MAX_LIMIT, forecast
from skillfit.models.scaling_law import ScalingLawModel
from skillfit.models.skill_graph import SkillGraphModel
from skillfit.outputs import atomic_path, staged_dir
from skillfit.specs import load_spec

#: Examples per fuzz test; raise it for a long hunt, e.g. SKILLFIT_FUZZ_EXAMPLES=2000.
EXAMPLES = int(os.environ.get("SKILLFIT_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@contextmanager
def no_warnings() -> Iterator[None]:
    """Numerical warnings would reach the user's terminal: turn them into failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        warnings.simplefilter("error", pd.errors.ParserWarning)
        warnings.simplefilter("error", pd.errors.DtypeWarning)
        yield


def one_line(exc: BaseException, *needles: str) -> str:
    msg = str(exc)
    assert msg and "\n" not in msg, repr(msg)
    for needle in needles:
        assert needle in msg, (needle, msg)
    return msg


# ============================================================================ CSV tables
#: A small valid table of each kind (with some optional columns, so they get fuzzed too).
VALID = {
    "chinchilla": "params,tokens,flops,loss,excluded_by_epoch\n"
                  "1e8,2e9,1.2e18,3.1,false\n2e8,4e9,4.8e18,2.9,false\n4e8,8e9,1.9e19,2.7,true\n",
    "skillmix": "llm,k,metric,value,n_combinations,generations\n"
                "A,2,skill_fraction,0.5,69,3\nA,3,skill_fraction,0.25,69,3\nB,2,skill_fraction,0.1,69,3\n",
    "skillmix_counts": "llm,k,metric,successes,trials\n"
                       "A,2,ratio_of_all_skills,3,4\nA,3,ratio_of_all_skills,1,4\nB,2,ratio_of_all_skills,0,5\n",
    "llm_catalog": "llm,family,base_model,params,tokens,kind\n"
                   "Base,F,,7e9,2e12,base\nBase-Chat,F,Base,7e9,2e12,chat\nClosed,G,,,,chat\n",
    "llm_losses": "llm,corpus,unit,value\nA,c1,bits/char,0.5\nA,c2,bits/char,0.6\nB,c1,bits/byte,0.7\n",
}
KIND = {name: name.removesuffix("_counts") for name in VALID}


def table(name: str) -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(VALID[name])))
    return rows[0], rows[1:]


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header, *rows])
    return buf.getvalue()


NON_NUMBERS = ["abc", "🙂", "1,5", "--1", "1e5e5", "0x1g", "NaN%", "١٢"]  # last: Arabic digits


def bad_tokens(kind: str, column: str) -> list[str]:
    """Cell values that must be rejected in ``column`` of a ``kind`` table."""
    col = SCHEMAS[kind].column(column)
    if column == "base_model":
        return ["Nope", "🙂", "base"]
    if col.dtype in ("float", "int"):
        out = [*NON_NUMBERS, "inf", "-inf", "1e309", "-1e400"]
        if not col.nullable and (kind, column) != ("chinchilla", "flops"):  # blank flops: 6ND
            out += ["", "nan", "NaN", "NA", "   "]
        if col.positive:
            out += ["0", "-0", "-1", "-1e308", "-5e-324"]
        if col.minimum is not None:
            out += [f"{col.minimum - 1:g}", "-1e308"]
        if col.unit_interval:
            out += ["1.5", "-0.01", "1e308", "1.0000001"]
        if col.dtype == "int":
            out += ["2.5", "1e30", "1e308", "9223372036854775808", "99999999999999999999999"]
        return out
    if col.dtype == "bool":
        blank = [] if col.default is not None else ["", "nan"]  # a blank takes the default
        return ["maybe", "2", "-1", "🙂", *blank]
    if col.allowed is not None:
        return ["bogus", "🙂", "bits per char", "ratio of full marks", "BASE!"]
    return [] if col.nullable else ["", "   ", "nan", "NA"]


CELLS = [(name, c) for name in VALID for c in table(name)[0] if bad_tokens(KIND[name], c)]


@FUZZ
@given(st.sampled_from(CELLS), st.integers(0, 2), st.data())
def test_one_bad_cell_names_file_column_and_line(cell, row, data) -> None:
    name, column = cell
    header, rows = table(name)
    token = data.draw(st.sampled_from(bad_tokens(KIND[name], column)), label="token")
    rows[row][header.index(column)] = token
    with no_warnings(), pytest.raises(DataValidationError) as exc:
        read_csv(io.StringIO(to_csv(header, rows)), KIND[name], source="fuzz.csv")
    msg = one_line(exc.value, "fuzz.csv:", f"column '{column}'")
    assert msg.startswith("fuzz.csv: ")
    assert re.search(rf"\blines? (\d+, )*{row + 2}\b", msg), msg


@FUZZ
@given(st.sampled_from(["skillmix", "llm_catalog", "llm_losses"]), st.data())
def test_duplicate_key_rows_name_both_lines(name, data) -> None:
    header, rows = table(name)
    src = data.draw(st.integers(0, len(rows) - 1), label="row")
    dest = data.draw(st.integers(0, len(rows)), label="insert at")
    copy = list(rows[src])
    key = SCHEMAS[name].key
    for c in key:  # padding around key strings does not make the rows different
        j = header.index(c)
        copy[j] = data.draw(st.sampled_from(["", " ", "  "])) + copy[j] + data.draw(
            st.sampled_from(["", " ", "\t"]))
    if name == "llm_catalog":  # a duplicated catalogue row names no new base model
        copy[header.index("base_model")] = ""
    rows.insert(dest, copy)
    first, second = sorted([src + (src >= dest), dest])
    with no_warnings(), pytest.raises(DataValidationError) as exc:
        read_csv(io.StringIO(to_csv(header, rows)), name, source="dup.csv")
    one_line(exc.value, "dup.csv:", f"duplicate rows on the key ({', '.join(key)})",
             f"lines {first + 2}, {second + 2}")


@FUZZ
@given(st.sampled_from(list(VALID)), st.data())
def test_missing_or_repeated_column(name, data) -> None:
    kind = KIND[name]
    header, rows = table(name)
    required = [c for c in header if c in SCHEMAS[kind].required]
    col = data.draw(st.sampled_from(required), label="column")
    j = header.index(col)
    if data.draw(st.booleans(), label="repeat"):
        header, rows = header + [col], [r + [r[j]] for r in rows]
        needle = f"repeated column names: '{col}'"
    else:
        header, rows = header[:j] + header[j + 1:], [r[:j] + r[j + 1:] for r in rows]
        needle = f"'{col}'"
    with no_warnings(), pytest.raises(DataValidationError) as exc:
        read_csv(io.StringIO(to_csv(header, rows)), kind, source="cols.csv")
    one_line(exc.value, "cols.csv:", needle)


NA_WORDS = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "n/a", "<NA>", "#NA", "#N/A",
            "#N/A N/A", "-NaN", "-nan", "1.#IND", "1.#QNAN", "-1.#IND", "-1.#QNAN", "NAN", "-NAN",
            "None"}
NAME = st.one_of(
    st.sampled_from(["007", "1e3", "0x10", "True", "inf", "-1", "3.0", "Qwen-14B-Chat", "名前",
                     "🙂 model", "a,b", 'say "hi"', "Ωmega", "ǅ", "x\u3000"]),
    st.text(st.characters(exclude_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1,
            max_size=12),
).filter(lambda s: s.strip() not in NA_WORDS)


@FUZZ
@given(st.lists(NAME, min_size=1, max_size=6, unique_by=lambda s: s.strip()))
def test_unicode_and_numeric_looking_names_survive(names) -> None:
    rows = [[n, "pile", "bits/byte", "0.5"] for n in names]
    with no_warnings():
        out = read_csv(io.StringIO(to_csv(["llm", "corpus", "unit", "value"], rows)),
                       "llm_losses", source="names.csv")
    assert out["llm"].tolist() == [n.strip() for n in names]


@FUZZ
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)))
def test_arbitrary_file_content_is_one_error_naming_the_file(content) -> None:
    kind = "chinchilla"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "junk.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        with no_warnings(), pytest.raises(DataValidationError) as exc:
            read_csv(path, kind)
    assert str(exc.value).startswith(f"{path}: ")


@pytest.mark.parametrize(("content", "needle"), [
    ("", "is empty"), ("\n\n  \n", "is empty"), ("params,tokens,loss\n", "is an empty table"),
    ("params,tokens,loss", "is an empty table"), (",,,\n", "is an empty table"),
    ("\ufeffparams,tokens,loss\n", "is an empty table"),
    ('params,tokens,loss\n1,"2,3\n', "not a readable CSV file"),
    ("params,tokens,loss\n1,2,3,4,5\n1,2,3\n", "not a readable CSV file"),
])
def test_empty_header_only_and_broken_files(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(content, encoding="utf-8")
    with no_warnings(), pytest.raises(DataValidationError) as exc:
        read_csv(path, "chinchilla")
    one_line(exc.value, f"{path}: ", needle)


def test_missing_file_directory_and_non_utf8(tmp_path: Path) -> None:
    with pytest.raises(DataValidationError, match="file not found"):
        read_csv(tmp_path / "nope.csv", "skillmix")
    with pytest.raises(DataValidationError, match="is a directory"):
        read_csv(tmp_path, "skillmix")
    (tmp_path / "latin1.csv").write_bytes("llm,corpus,unit,value\n\xe9,c,bits/char,1\n".encode("latin-1"))
    with pytest.raises(DataValidationError, match="not a UTF-8 text file"):
        read_csv(tmp_path / "latin1.csv", "llm_losses")


@FUZZ
@given(st.floats(1e150, 1e308), st.floats(1e160, 1e308))
def test_huge_params_times_tokens_cannot_derive_flops(params, tokens) -> None:
    text = f"params,tokens,loss\n1e9,1e10,2.0\n{params!r},{tokens!r},2.5\n"
    with no_warnings(), pytest.raises(DataValidationError) as exc:
        read_csv(io.StringIO(text), "chinchilla", source="big.csv")
    one_line(exc.value, "big.csv:", "'flops'", "6·params·tokens overflows", "line 3")


@FUZZ
@given(st.sampled_from(sorted(SCHEMAS)),
       st.one_of(st.none(), st.integers(), st.text(max_size=5), st.lists(st.integers(), max_size=3),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)))
def test_validate_rejects_non_tables(kind, obj) -> None:
    with pytest.raises(DataValidationError) as exc:
        validate(obj, kind, source="arg")
    one_line(exc.value, "arg:")


# ============================================================================ specs (TOML)
SCALING = '[model]\ntype = "scaling_law"\n[data]\ndataset = "chinchilla"\n'
JOINT = '[model]\ntype = "skill_graph"\n[data]\ndataset = "bundled"\n'
BARE_KEY = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,12}", fullmatch=True)


def spec_file(tmp: str, text: str | bytes) -> Path:
    path = Path(tmp) / "spec.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@FUZZ
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_arbitrary_spec_file_is_a_spec_error(content) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = spec_file(tmp, content)
        with pytest.raises(SpecError) as exc:
            load_spec(path)
    assert str(exc.value).startswith(str(path))


@FUZZ
@given(st.sampled_from([SCALING, JOINT, (Path(__file__).parents[1] / "models" / "skillmix.toml").read_text()]),
       st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(list('[]={}"\',.\n#x1 -'))),
                min_size=1, max_size=4))
def test_mutated_spec_loads_or_is_a_spec_error(text, edits) -> None:
    """Random small edits of a valid spec: it still loads, or fails with a SpecError."""
    for pos, char in edits:
        pos %= len(text) + 1
        text = text[:pos] + char + text[pos + 1:] if char != "x" else text[:pos] + text[pos + 1:]
    with tempfile.TemporaryDirectory() as tmp, no_warnings():
        try:
            load_spec(spec_file(tmp, text))
        except SpecError as exc:
            assert str(exc).startswith(tmp)


SECTIONS = {"model": SCALING, "data": SCALING, "output": SCALING, "sampler_config": SCALING,
            "model_config": SCALING, "forecast": JOINT}
ALLOWED = {"model": {"type", "name", "description"}, "data": {"dataset", "path", "skillmix",
           "catalog", "losses", "bundled", "composition"}, "output": {"dir", "plots"},
           "forecast": {"k_max", "ci_prob", "score_at_least", "llms", "benchmark"}}


@FUZZ
@given(st.sampled_from(sorted(SECTIONS)), BARE_KEY)
def test_unknown_spec_key_is_named(section, key) -> None:
    from skillfit.models.base import SAMPLER_KEYS

    known = ALLOWED.get(section) or (SAMPLER_KEYS if section == "sampler_config"
                                    else ScalingLawModel().default_model_config)
    assume(key not in known)
    base = SECTIONS[section]
    text = (base.replace(f"[{section}]\n", f"[{section}]\n{key} = 1\n") if f"[{section}]" in base
            else base + f"[{section}]\n{key} = 1\n")
    with tempfile.TemporaryDirectory() as tmp:
        with pytest.raises(SpecError) as exc:
            load_spec(spec_file(tmp, text))
    one_line(exc.value, repr(key))


@FUZZ
@given(BARE_KEY)
def test_unknown_section_is_named(section) -> None:
    assume(section not in SECTIONS)
    with tempfile.TemporaryDirectory() as tmp:
        with pytest.raises(SpecError) as exc:
            load_spec(spec_file(tmp, SCALING + f"[{section}]\nx = 1\n"))
    one_line(exc.value, f"unknown section [{section}]")


BAD_SAMPLER = {
    **{k: ["0", "-1", "1.5", "'10'", "true", "[1]", "{a = 1}", "nan", "inf", str(2**31),
           "9223372036854775807"] for k in ("draws", "chains", "cores", "max_treedepth")},
    "tune": ["-1", "1.5", "'10'", "false", "nan", str(2**31)],
    "target_accept": ["0", "1", "1.5", "-0.1", "nan", "inf", "-inf", "'x'", "true", "[0.9]", "{}"],
    "random_seed": ["-1", str(2**32), "1.5", "'x'", "true", "nan", "[1]", str(10**30)],
    "nuts_sampler": ["'stan'", "1", "true", "''"],
    "nuts": ["5", "'x'", "[1]"],
}


@FUZZ
@given(st.sampled_from([SCALING, JOINT]), st.sampled_from(sorted(BAD_SAMPLER)), st.data())
def test_bad_sampler_config_value(base, key, data) -> None:
    value = data.draw(st.sampled_from(BAD_SAMPLER[key]), label="value")
    with tempfile.TemporaryDirectory() as tmp:
        path = spec_file(tmp, base + f"[sampler_config]\n{key} = {value}\n")
        with pytest.raises(SpecError) as exc:
            load_spec(path)
    one_line(exc.value, str(path), f"'{key}'")


BAD_FIXED = {  # skill_graph: numbers fixed instead of priors, outside their domain
    **{k: ["0", "-1", "nan", "inf", "-inf", "-1e308"] for k in
       ("c", "eta", "degree", "kappa", "loss_scale", "loss_sigma")},
    **{k: ["-1e-9", "-1", "nan", "inf"] for k in
       ("sigma_family", "sigma_tune", "closed_log_r_sigma", "unknown_tokens_log_sigma")},
    "tau": ["1", "1.5", "-0.1", "nan", "1e308"], "floor": ["1", "-0.01", "inf"],
    "gamma": ["0", "1.0001", "-1", "nan"], "per_tuple": ["-0.1", "1.01", "nan"],
    **{k: ["nan", "inf", "-inf"] for k in ("closed_log_r_mu", "unknown_tokens_log_mu",
                                           "logistic_intercept", "logistic_slope_r")},
    **{k: ["'x'", "true", "[1]"] for k in ("tau", "closed_log_r_mu")},
    "link": ["'probit'", "1", "true"], "metric": ["'accuracy'", "1", "['ratio_of_full_marks']"],
    "law": ["'kaplan'", "1"], "corpora": ["1", "[1]", "{a = 1}"],
}


@FUZZ
@given(st.sampled_from(sorted(BAD_FIXED)), st.data())
def test_bad_skill_graph_model_config(key, data) -> None:
    value = data.draw(st.sampled_from(BAD_FIXED[key]), label="value")
    with tempfile.TemporaryDirectory() as tmp:
        path = spec_file(tmp, JOINT + f"[model_config]\n{key} = {value}\n")
        with pytest.raises(SpecError) as exc:
            load_spec(path)
    one_line(exc.value, str(path), f"'{key}'")


BAD_PRIORS = ["1.0", "'Normal'", "{dist = 'Nomal', mu = 0, sigma = 1}", "{mu = 0, sigma = 1}",
              "{dist = 'Normal', mu = 0}", "{dist = 'Normal', mu = 0, sigma = -1}",
              "{dist = 'Normal', mu = nan, sigma = 1}", "{dist = 'Normal', mu = 0, sigma = inf}",
              "{dist = 'Normal', mu = '0', sigma = 1}", "{dist = 'HalfNormal', sigma = 0}",
              "{dist = 'Uniform', lower = 1, upper = 0}", "{dist = 'Beta', alpha = 1, b = 2}",
              "{dist = 'Normal', mu = true, sigma = 1}", "[1, 2]"]


@FUZZ
@given(st.sampled_from(["E", "alpha", "beta", "r_params_ref", "r_tokens_ref", "sigma"]),
       st.sampled_from(BAD_PRIORS))
def test_bad_scaling_law_priors(key, value) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = spec_file(tmp, SCALING + f"[model_config]\n{key} = {value}\n")
        with pytest.raises(SpecError) as exc:
            load_spec(path)
    one_line(exc.value, str(path), f"'{key}'")


BAD_SECTIONS = [
    (SCALING.replace('"chinchilla"', '"skillmix"'), "dataset must be 'chinchilla'"),
    (SCALING.replace('"chinchilla"', '"chinchila"'), "did you mean 'chinchilla'"),
    (SCALING.replace('"chinchilla"', "5"), "[data] dataset must be a non-empty string"),
    (SCALING.replace('dataset = "chinchilla"', "path = 5"), "[data] path"),
    (SCALING.replace('dataset = "chinchilla"', 'path = ""'), "[data] path"),
    (SCALING.replace('dataset = "chinchilla"', 'dataset = "chinchilla"\npath = "x.csv"'),
     "exactly one of"),
    (JOINT.replace('"bundled"', '"skillmix"'), 'must be "bundled"'),
    (JOINT.replace('dataset = "bundled"', "skillmix = 3"), "[data] skillmix"),
    (JOINT.replace('dataset = "bundled"', 'path = "x.csv"'), "one per table"),
    (SCALING + "[output]\ndir = 5\n", "[output] dir"), (SCALING + "[output]\ndir = ''\n", "[output] dir"),
    (SCALING + "[output]\nplots = 'no'\n", "[output] plots"),
    (SCALING + "[output]\nplots = 1\n", "[output] plots"),
    ("output = 1\n" + SCALING, "[output] must be a table"), ("[model]\nname = 'x'\n", "needs a type"),
    (SCALING + "[forecast]\nk_max = 3\n", "only valid for skill_graph"),
    (SCALING + "[model_config]\nref_params = -1\n", "'ref_params'"),
    (SCALING + "[model_config]\nref_tokens = inf\n", "'ref_tokens'"),
    (SCALING + "[model_config]\nnu = inf\n", "'nu'"),
    (SCALING + "[model_config]\nexclude_epoch_outliers = 'yes'\n", "'exclude_epoch_outliers'"),
]


@pytest.mark.parametrize(("text", "needle"), BAD_SECTIONS)
def test_bad_spec_sections(tmp_path: Path, text: str, needle: str) -> None:
    path = spec_file(str(tmp_path), text)
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    one_line(exc.value, str(path), needle)


BAD_FORECAST_SECTION = [
    *[f"k_max = {v}" for v in ("0", "-1", str(K_MAX_LIMIT + 1), str(10**12), "1.5", "'3'", "true")],
    *[f"ci_prob = {v}" for v in ("0", "1", "1.5", "-0.5", "nan", "inf", "'x'", "true")],
    *[f"score_at_least = {v}" for v in ("0.5", "[1.5]", "['x']", "[nan]", "[true]")],
    "llms = 5", "llms = [1, 2]",
]
BAD_LLM = [
    "name = 'a'", "params = 1e9\ntokens = 1e10", "name = 5\ncompute = 1e24",
    "name = ''\ncompute = 1e24", "name = {a = 1}\ncompute = 1e24",
    "name = 'a'\nparams = 1e9", "name = 'a'\nfactor = 10.0",
    "name = 'a'\nof = 5\nfactor = 2.0", "name = 'a'\nof = 'GPT-4'\nfactor = 'x'",
    "name = 'a'\ncompute = 1e24\nfactr = 2", "name = 'a'\nparams = 1e9\ntokens = 1e10\nfactor = 2.0",
    "name = 'a'\nparams = 1e9\ntokens = 1e10\ntokens_per_param = 20.0",
    *[f"name = 'a'\n{k} = {v}" + ("\ntokens = 1e10" if k == "params" else "\nparams = 1e9"
                                 if k == "tokens" else "")
      for k in ("params", "tokens", "compute") for v in ("0", "-1", "nan", "inf", "'big'", "true")],
    *[f"name = 'a'\nof = 'GPT-4'\nfactor = {v}" for v in ("0", "-10", "nan", "inf", "false")],
    *[f"name = 'a'\ncompute = 1e24\ntokens_per_param = {v}" for v in ("0", "-20", "nan")],
]


@FUZZ
@given(st.one_of(st.sampled_from(BAD_FORECAST_SECTION).map(lambda s: f"[forecast]\n{s}\n"),
                 st.sampled_from(BAD_LLM).map(lambda s: f"[forecast]\n[[forecast.llms]]\n{s}\n")))
def test_bad_forecast_section(section) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = spec_file(tmp, JOINT + section)
        with pytest.raises(SpecError) as exc:
            load_spec(path)
    one_line(exc.value, str(path), "forecast")


# ============================================================================ model configs
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=6)
    | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0, 1, -1, 0.5, 1e308]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@FUZZ
@given(st.sampled_from([SkillGraphModel, ScalingLawModel]), st.data())
def test_fuzzed_model_and_sampler_config(cls, data) -> None:
    """Any config either builds a model whose numbers are all finite, or is one SpecError."""
    model_keys = list(cls().default_model_config)
    sampler_keys = ["draws", "tune", "chains", "cores", "target_accept", "random_seed", "nuts",
                    "max_treedepth", "nuts_sampler"]
    mc = data.draw(st.dictionaries(st.sampled_from(model_keys) | st.text(max_size=6), JSONISH,
                                   max_size=3), label="model_config")
    sc = data.draw(st.dictionaries(st.sampled_from(sampler_keys) | st.text(max_size=6), JSONISH,
                                   max_size=3), label="sampler_config")
    with no_warnings():
        try:
            model = cls(model_config=mc, sampler_config=sc)
        except SpecError as exc:
            one_line(exc)
            return
    for key, value in model.model_config.items():
        if isinstance(value, float):
            assert math.isfinite(value), key
    cfg = model.sampler_config
    if "target_accept" in sc:
        assert 0 < cfg["target_accept"] < 1
    for key in ("draws", "chains"):
        assert isinstance(cfg[key], int) and 1 <= cfg[key] < 2**31


@pytest.mark.parametrize("bad", [5, "x", [1], ("a", 1)])
def test_config_must_be_a_mapping(bad) -> None:
    for kw in ("model_config", "sampler_config"):
        with pytest.raises(SpecError, match=kw):
            SkillGraphModel(**{kw: bad})


# ============================================================================ forecast()
@pytest.fixture(scope="module")
def fake_fit() -> SkillGraphModel:
    """A SkillGraphModel with a tiny hand-made posterior (no PyMC): enough for forecast()."""
    rng = np.random.default_rng(0)
    model = SkillGraphModel()
    model._data = model._validate_data(SkillGraphModel.bundled_data())  # what forecast() reads
    model.model = object()  # "built"
    x = model.inputs
    dims = ("chain", "draw")

    def u(lo: float, hi: float, *shape: int) -> np.ndarray:
        return rng.uniform(lo, hi, (1, 8, *shape))

    post = xr.Dataset({
        "c": (dims, u(1, 5)), "eta": (dims, u(0.7, 1.3)), "degree": (dims, u(4, 10)),
        "floor": (dims, u(0, 0.1)),
        "gamma": (dims, u(0.7, 0.95)), "kappa": (dims, u(10, 50)),
        "sigma_family": (dims, u(0.05, 0.3)), "sigma_tune": (dims, u(0.05, 0.5)),
        "family_offset": ((*dims, "family"), u(-0.2, 0.2, len(x.families))),
        "r": ((*dims, "llm"), u(0.05, 0.5, len(x.llms))),
    }, coords={"family": x.families, "llm": x.llms})
    model._idata = xr.DataTree.from_dict({"posterior": post})
    return model


NUMBER_OR_JUNK = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**80), 2**80),
    st.sampled_from([0, -1, 5e-324, 1e308, True, False, None, "1e9", "big", "", [1e9], {"a": 1}]),
)
ROW = st.fixed_dictionaries(
    {"name": st.one_of(st.none(), NAME, st.integers())},
    optional={"params": NUMBER_OR_JUNK, "tokens": NUMBER_OR_JUNK, "compute": NUMBER_OR_JUNK,
              "tokens_per_param": NUMBER_OR_JUNK, "factor": NUMBER_OR_JUNK,
              "of": st.sampled_from(["GPT-4", "LLaMA-2-70B-Chat", "GPT-5", 5, None, ""]),
              "family": st.sampled_from(["LLaMA-2", "nope", None, 3, ["x"]])},
)


def test_fake_fit_forecasts_a_valid_row(fake_fit) -> None:
    """The hand-made posterior holds every parameter forecast() reads: a valid row gives a
    table (so the fuzzed rows below are not all turned away by a missing parameter)."""
    with no_warnings():
        table = forecast(fake_fit, [{"name": "ok", "params": 7e10, "tokens": 2e12}], k_max=3)
    q = table[table["quantity"].isin(["pi", "score", "measured"])]
    assert len(q) == 9 and np.isfinite(q[["mean", "median", "lower", "upper"]].to_numpy()).all()


@FUZZ
@given(st.lists(ROW, min_size=1, max_size=3))
def test_fuzzed_hypothetical_llms(fake_fit, rows) -> None:
    """forecast() on any rows: a sane table or one SkillfitError, nothing else."""
    with no_warnings():
        try:
            table = forecast(fake_fit, rows, k_max=3)
        except SkillfitError as exc:
            one_line(exc, "forecast")
            return
    q = table[table["quantity"].isin(["pi", "score"])]
    values = q[["mean", "median", "lower", "upper"]].to_numpy()
    assert np.isfinite(values).all() and (values >= 0).all() and (values <= 1).all()


BAD_ROWS = [
    ({"name": "a", "params": -1e9, "tokens": 1e12}, "params"),
    ({"name": "a", "params": 1e9, "tokens": float("nan")}, "tokens"),
    ({"name": "a", "params": True, "tokens": 1e12}, "params"),
    ({"name": "a", "compute": float("inf")}, "compute"),
    ({"name": "a", "compute": 5e-324}, "compute"),
    ({"name": "a", "compute": 1e308, "tokens_per_param": 5e-324}, "compute"),
    ({"name": "a", "compute": 1e24, "tokens_per_param": "x"}, "tokens_per_param"),
    ({"name": "a", "of": "GPT-4", "factor": "x"}, "'factor'"),
    ({"name": "a", "of": "GPT-4", "factor": -2}, "'factor'"),
    ({"name": "a", "of": "GPT-5", "factor": 2}, "'GPT-5'"),
    ({"name": "a", "of": ["GPT-4"]}, "'of'"),
    ({"name": "a", "params": 1e9, "tokens": 1e10, "factor": 10}, "'factor' is only used with 'of'"),
    ({"name": "a"}, "give params and tokens"),
    ({"name": "a", "tokens": 1e12}, "give params and tokens"),
]


@pytest.mark.parametrize(("row", "needle"), BAD_ROWS)
def test_bad_hypothetical_llm_is_named(fake_fit, row, needle) -> None:
    with no_warnings(), pytest.raises(SkillfitError) as exc:
        forecast(fake_fit, [{"name": "ok", "params": 7e10, "tokens": 2e12}, row])
    one_line(exc.value, "forecast 'a'", needle)


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"llms": {"name": "a", "params": 1e9, "tokens": 1e10}}, "list of dicts"),
    ({"llms": "GPT-4"}, "list of dicts"), ({"llms": 5}, "list of dicts"),
    ({"llms": [5]}, "#1 must be a dict"), ({"llms": []}, "no hypothetical LLMs"),
    ({"k_max": 0}, "k_max"), ({"k_max": K_MAX_LIMIT + 1}, "k_max"), ({"k_max": 10**12}, "k_max"),
    ({"k_max": 2.5}, "k_max"), ({"k_max": float("nan")}, "k_max"), ({"k_max": None}, "k_max"),
    ({"k_max": "3"}, "k_max"), ({"ci_prob": 1.0}, "ci_prob"), ({"ci_prob": float("nan")}, "ci_prob"),
    ({"ci_prob": "x"}, "ci_prob"), ({"ci_prob": None}, "ci_prob"), ({"ci_kind": "x"}, "ci_kind"),
])
def test_bad_forecast_arguments(fake_fit, kwargs, needle) -> None:
    args = {"llms": [{"name": "a", "params": 1e9, "tokens": 1e10}], **kwargs}
    with pytest.raises(SkillfitError) as exc:
        forecast(fake_fit, args.pop("llms"), **args)
    one_line(exc.value, needle)


# ============================================================================ theory
ANY_FLOAT = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                      st.sampled_from([0.0, -0.0, 1.0, 0.5, 1e-300, 5e-324, 1e308, -1e308, 1 - 1e-16]))


@settings(FUZZ, max_examples=4 * EXAMPLES)
@given(ANY_FLOAT, ANY_FLOAT, ANY_FLOAT, ANY_FLOAT, ANY_FLOAT, st.sampled_from(["union", "linear"]))
def test_theory_functions_never_raise_or_warn(a, b, c, d, e, mode) -> None:
    """NaN outside the domain, in range inside it; no RuntimeWarning; only an impossible
    |S|/|T| raises."""
    def check(value, lo=-math.inf, hi=math.inf) -> None:
        v = float(value)
        assert math.isnan(v) or lo <= v <= hi, v

    if not (math.isfinite(e) and e >= 0):  # |S|/|T| < 0 is never meaningful: an error
        for call in (lambda: theory.emergence_lhs(a, b, c, d, e),
                     lambda: theory.min_beta(a, b, c, e),
                     lambda: theory.guaranteed_competence(a, b, c, e, markov=True)):
            with pytest.raises(ArgumentError, match="skills_over_text"):
                call()
        e = 0.0
    with no_warnings():
        check(theory.binary_entropy(a), 0.0, math.log(2) + 1e-12)
        check(theory.kl_bernoulli(a, b), 0.0)
        float(theory.emergence_lhs(a, b, c, d, e))
        check(theory.min_beta(a, b, c, e), 1.0 - 1e-9)  # solver rounding at alpha -> 1
        check(theory.guaranteed_competence(a, b, c, e), 0.0, 1.0)
        check(theory.guaranteed_competence(a, b, c, e, markov=True), 0.0, 1.0)
        check(theory.tuple_theta(a, b, "union"), 0.0, 1.0)
        check(theory.competent_fraction(a, b, c, d, mode), 0.0, 1.0)
        check(theory.theta_for_competence(a, b, c, d, mode), 0.0, 1.0)
        # arrays of mixed good and bad values behave element by element
        arr = np.array([a, 0.1, b])
        out = theory.guaranteed_competence(arr, 8.0, 0.1)
        assert out.shape == (3,) and float(out[1]) == pytest.approx(
            float(theory.guaranteed_competence(0.1, 8.0, 0.1)))


@pytest.mark.parametrize("mode", ["Union", "", "sum", None])
def test_theory_bad_mode_is_named(mode) -> None:
    with pytest.raises(ValueError, match="mode must be 'union' or 'linear'"):
        theory.tuple_theta(0.1, 2, mode)


# ============================================================================ outputs
@FUZZ
@given(st.lists(st.from_regex(r"[a-z0-9_\-é🙂]{1,8}", fullmatch=True), min_size=1, max_size=3),
       st.booleans())
def test_failed_output_leaves_nothing(parts, folder) -> None:
    """A block that fails leaves no output folder, no missing parents it made, no temp files."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp).joinpath(*parts)
        cm = staged_dir(target) if folder else atomic_path(target / "out.csv")
        with pytest.raises(RuntimeError, match="half-way"):
            with cm as stage:
                (stage / "a.csv" if folder else stage).write_text("partial")
                raise RuntimeError("failed half-way")
        assert list(Path(tmp).iterdir()) == []


def test_output_onto_or_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep")
    for cm, needle in ((staged_dir(blocker), "is not a folder"),
                       (staged_dir(blocker / "sub"), "not a folder"),
                       (atomic_path(blocker / "sub" / "x.csv"), "not a folder")):
        with pytest.raises(SkillfitError, match=needle):
            with cm:
                pass
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]
    assert blocker.read_text() == "keep"


# ============================================================================ datasets
@FUZZ
@given(st.text(max_size=20))
def test_unknown_dataset_names(name) -> None:
    assume(name not in datasets.list_datasets())
    for fn in (datasets.load, datasets.path, datasets.datasheet, datasets.description):
        with pytest.raises(SkillfitError) as exc:
            fn(name)
        one_line(exc.value, "unknown dataset", "available: chinchilla")
