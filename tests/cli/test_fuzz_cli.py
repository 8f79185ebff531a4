"""Fuzzed bad input for every ``skillfit`` sub-command (issue "Reliability": bad input, fuzzed).

Each malformed input must give exactly ONE line on stderr, ``skillfit CMD: error: ...``, naming
the argument / file / column / key, a non-zero exit (1 for a :class:`SkillfitError`, 2 for an
argument argparse cannot parse), no traceback, no numerical warning, and no output file or
folder. ``pymc.sample`` is replaced by a function that fails the test: every case here must be
rejected before any sampling starts.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from collections.abc import Iterator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skillfit import datasets
from skillfit.cli import main
from skillfit.forecasting import K_MAX_LIMIT

EXAMPLES = int(os.environ.get("SKILLFIT_FUZZ_EXAMPLES", "20"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
FEW = settings(FUZZ, max_examples=max(5, EXAMPLES // 2))


@pytest.fixture(autouse=True, scope="module")
def no_sampling() -> Iterator[None]:
    """Any case that reaches the sampler is a bug: fail fast instead of fitting for minutes."""
    import pymc

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("sampling started")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pymc, "sample", refuse)
        yield


def run(argv: Sequence[str]) -> tuple[int, str, str, list[warnings.WarningMessage]]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code
    numeric = [w for w in caught if issubclass(
        w.category, (RuntimeWarning, pd.errors.ParserWarning, pd.errors.DtypeWarning))]
    return code, out.getvalue(), err.getvalue(), numeric


def fails(argv: Sequence[str], *needles: str, code: int = 1, silent: bool = True,
          folder: str | Path | None = None, keep: Sequence[str] = ()) -> str:
    """Run ``skillfit argv``; check the one-line error and that nothing was written.

    ``silent``: nothing on stdout either. ``folder``: only the files ``keep`` are in it after.
    """
    got, stdout, stderr, numeric = run(argv)
    lines = [line for line in stderr.split("\n") if line.strip()]  # lines as a terminal shows them
    assert got == code, (argv, got, stderr)
    assert "\r" not in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1, (argv, stderr)
    assert lines[0].startswith(f"skillfit {argv[0]}: error: "), lines[0]
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    assert not numeric, [str(w.message) for w in numeric]
    if silent:
        assert stdout == "", stdout
    if folder is not None:
        assert sorted(os.listdir(folder)) == sorted(keep), os.listdir(folder)
    return lines[0]


OUTSIDE_UNIT = st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0 < v < 1)
NOT_A_FLOAT = st.text(max_size=12).filter(lambda t: not _is_float(t))
NOT_AN_INT = st.text(max_size=12).filter(lambda t: not _is_int(t))
#: number texts skillfit must refuse where a positive finite number is needed
BAD_POSITIVE = st.sampled_from(["0", "-1", "-0", "nan", "NaN", "inf", "-inf", "1e309", "-1e-300",
                                "abc", "", "1e9x", "0x10", "1,5", "🙂"])


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True


# ============================================================================ curves
@FUZZ
@given(st.sampled_from(["--theta", "--alpha"]), OUTSIDE_UNIT)
def test_curves_probability_outside_unit_interval(flag, value) -> None:
    fails(["curves", "--no-plot", f"{flag}={value!r}"], f"{flag} must be in (0, 1)")


@FUZZ
@given(st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0 < v < float("inf"))
    .map(lambda v: ("--degree", repr(v))),
    st.one_of(st.integers(max_value=0), st.integers(min_value=2**53 + 1, max_value=10**400))
    .map(lambda k: ("--k", str(k))),
))
def test_curves_bad_degree_or_k(flag_value) -> None:
    flag, value = flag_value
    fails(["curves", "--no-plot", f"{flag}={value}"], f"{flag} must be")


@FUZZ
@given(st.sampled_from(["--theta", "--alpha", "--degree"]), NOT_A_FLOAT)
def test_curves_malformed_number_exits_2(flag, text) -> None:
    fails(["curves", "--no-plot", f"{flag}={text}"], "invalid float value", code=2)


def test_curves_out_onto_or_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("keep")
    for out in (blocker, blocker / "sub"):
        fails(["curves", "--theta", "0.1", "--out", str(out)], "is not a folder",
              folder=tmp_path, keep=["file.txt"])  # silent: checked before the table is printed
    assert blocker.read_text() == "keep"


# ============================================================================ simulate
SIM = ["simulate", "--skills", "50", "--text", "500", "--degree", "3", "--k", "2"]
BAD_SIM = st.one_of(
    st.integers(max_value=-1).map(lambda v: (["--seed", str(v)], "--seed")),
    st.integers(min_value=2**39 + 1, max_value=10**30).map(lambda v: (["--tuples", str(v)], "--tuples")),
    st.integers(min_value=2**39 + 1, max_value=10**30).map(lambda v: (["--pieces", str(v)], "--pieces")),
    st.integers(min_value=2**40, max_value=10**30).map(lambda v: (["--text", str(v), "--degree", "2"],
                                                                  "--text")),
    st.integers(min_value=2**31 - 1, max_value=10**30).map(lambda v: (["--skills", str(v)], "--skills")),
    st.integers(max_value=0).map(lambda v: (["--skills", str(v)], "--skills")),
    st.integers(max_value=0).map(lambda v: (["--k", str(v)], "--k")),
    st.integers(min_value=51).map(lambda v: (["--k", str(v)], "--k")),
    st.integers(max_value=0).map(lambda v: (["--degree", str(v)], "--degree")),
    st.integers(max_value=0).map(lambda v: (["--tuples", str(v)], "--tuples")),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda v: not 0 <= v < float("inf"))
    .map(lambda v: ([f"--zipf={v!r}"], "--zipf")),
    OUTSIDE_UNIT.map(lambda v: ([f"--theta={v!r}"], "--theta")),
    OUTSIDE_UNIT.map(lambda v: (["--alpha", "0.1", f"--alpha={v!r}"], "--alpha")),
)


@FUZZ
@given(BAD_SIM)
def test_simulate_bad_values(case) -> None:
    extra, flag = case
    fails([*SIM, *extra], flag)


@FEW
@given(st.sampled_from(["--skills", "--text", "--degree", "--k", "--seed", "--tuples"]), NOT_AN_INT)
def test_simulate_malformed_int_exits_2(flag, text) -> None:
    fails([*SIM, f"{flag}={text}"], "invalid int value", code=2)


def test_simulate_out_problems(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("keep")
    for out, needle in ((tmp_path, "is a directory"), (tmp_path / "file.txt" / "x.csv", "does not exist"),
                        (tmp_path / "no" / "x.csv", "does not exist")):
        fails([*SIM, "--out", str(out)], "--out", needle, folder=tmp_path, keep=["file.txt"])


# ============================================================================ datasets / validate
@FUZZ
@given(st.text(max_size=15).filter(lambda t: not t.startswith("-") and t not in datasets.list_datasets()),
       st.sampled_from([[], ["--datasheet"], ["--path"], ["--all"], ["--rows", "3"]]))
def test_datasets_unknown_name(name, flags) -> None:
    fails(["datasets", name, *flags], "unknown dataset", "available: chinchilla")


@FEW
@given(st.integers(max_value=-1))
def test_datasets_negative_rows(rows) -> None:
    fails(["datasets", "skillmix", f"--rows={rows}"], "--rows must be >= 0")


@FUZZ
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200)),
       st.sampled_from(["chinchilla", "skillmix", "llm_catalog", "llm_losses"]))
def test_validate_arbitrary_file(content, kind) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mine.csv"
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        fails(["validate", str(path), "--as", kind], f"{path}: ")


CHIN = "params,tokens,loss\n" + "".join(f"{n:.0e},{20 * n:.0e},{2 + 1 / i:.3f}\n"
                                         for i, n in enumerate([1e8, 2e8, 4e8, 8e8, 1e9, 2e9, 4e9], 1))
SKILLMIX_LLMS = set(datasets.load("skillmix")["llm"])
BAD_CELL = st.sampled_from(["", "nan", "inf", "-1", "0", "abc", "🙂", "1e309", "-1e308", "1,5"])


@FUZZ
@given(st.integers(0, 6), st.sampled_from(["params", "tokens", "loss"]), BAD_CELL)
def test_validate_and_fit_name_the_bad_cell(row, column, token) -> None:
    """The same corrupted CSV, checked by ``validate`` and given to ``fit`` as its data."""
    df = pd.read_csv(io.StringIO(CHIN), dtype=str)
    df.loc[row, column] = token
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "runs.csv"
        df.to_csv(csv_path, index=False)
        needles = (str(csv_path), f"column '{column}'", f"line {row + 2}")
        fails(["validate", str(csv_path), "--as", "chinchilla"], *needles)
        spec = Path(tmp) / "spec.toml"
        spec.write_text('[model]\ntype = "scaling_law"\n[data]\npath = "runs.csv"\n')
        fails(["fit", str(spec), "--out", str(Path(tmp) / "run")], *needles,
              folder=tmp, keep=["runs.csv", "spec.toml"])


@pytest.mark.parametrize(("content", "needle"), [
    ("", "is empty"), ("params,tokens,loss\n", "is an empty table"),
    ("params,tokens,loss,loss\n1,2,3,4\n", "repeated column names: 'loss'"),
    ("params,tokens,loss\n1,2,3,4,5\n1,2,3\n", "more fields than the header"),
    ("params,loss\n1,2\n", "missing column 'tokens'"),
    ("params,tokens,loss\n1e308,1e308,2\n", "6·params·tokens overflows"),
])
def test_validate_malformed_tables(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "t.csv"
    path.write_text(content)
    fails(["validate", str(path), "--as", "chinchilla"], str(path), needle)


def test_validate_missing_file_directory_and_kind(tmp_path: Path) -> None:
    fails(["validate", str(tmp_path / "nope.csv"), "--as", "skillmix"], "file not found")
    fails(["validate", str(tmp_path), "--as", "skillmix"], "is a directory")
    fails(["validate", str(tmp_path / "x.csv"), "--as", "mmlu"], "invalid choice: 'mmlu'", code=2)


# ============================================================================ fit
SCALING = '[model]\ntype = "scaling_law"\n[data]\ndataset = "chinchilla"\n'
JOINT = '[model]\ntype = "skill_graph"\n[data]\ndataset = "bundled"\n'
BAD_SPECS = [
    (SCALING + "[sampler_config]\ndraws = -5\n", "'draws'"),
    (SCALING + "[sampler_config]\ntarget_accept = 'high'\n", "'target_accept'"),
    (SCALING + "[sampler_config]\nrandom_seed = -1\n", "'random_seed'"),
    (SCALING + "[sampler_config]\nchains = 1e3\n", "'chains'"),
    (SCALING + "[sampler_config]\ntune = 9223372036854775807\n", "'tune'"),
    (SCALING + "[sampler_config]\nnuts = 5\n", "'nuts'"),
    (SCALING + "[sampler_config]\ndraw = 100\n", "'draw'", ),
    (SCALING + "[model_config]\nnu = inf\n", "'nu'"),
    (SCALING + "[model_config]\nref_params = nan\n", "'ref_params'"),
    (SCALING + "[model_config]\nsigma = {dist = 'HalfNormal', sigma = -1}\n", "'sigma'"),
    (SCALING + "[output]\ndir = 5\n", "[output] dir"),
    (SCALING + "[output]\nplots = 'no'\n", "[output] plots"),
    (SCALING.replace('"chinchilla"', '"skillmix"'), "dataset must be 'chinchilla'"),
    (SCALING.replace('dataset = "chinchilla"', 'path = "missing.csv"'), "missing.csv: file not found"),
    (JOINT + "[model_config]\ntau = 1.5\n", "'tau'"),
    (JOINT + "[model_config]\nc = -1.0\n", "'c'"),
    (JOINT + "[model_config]\nclosed_log_r_mu = nan\n", "'closed_log_r_mu'"),
    (JOINT + "[model_config]\nmetric = 'accuracy'\n", "'metric'"),
    (JOINT + "[model_config]\ncorpora = 'nope'\n", "no rows for corpus nope"),
    (JOINT.replace('dataset = "bundled"', 'catalog = "missing.csv"'), "missing.csv: file not found"),
    (JOINT + "[forecast]\nk_max = 1000\n", "k_max"),
    (JOINT + "[forecast]\n[[forecast.llms]]\nname = 'a'\nparams = -4e11\ntokens = 1e13\n", "params"),
    (JOINT + "[forecast]\n[[forecast.llms]]\nname = 'a'\nof = 'GPT-4'\nfactor = 'ten'\n", "'factor'"),
    ("[model]\ntype = 'scaling_law'\n[data\n", "not valid TOML"),
    (b"\xff\xfe\x00[model]\n", "not a UTF-8 text file"),
]


@pytest.mark.parametrize("command", ["fit", "forecast", "compare", "backtest"])
@pytest.mark.parametrize("case", BAD_SPECS, ids=range(len(BAD_SPECS)))
def test_bad_spec_is_one_line_and_writes_nothing(case, command) -> None:
    # every pair, not a sample: a random draw of these 100 once missed the one that failed
    text, needle = case
    if command in ("forecast", "compare") and needle == "missing.csv: file not found" \
            and "scaling_law" in str(text):
        # fit and backtest take scaling-law specs; forecast and compare refuse their type first
        needle = "this command needs a skill_graph spec"
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.toml"
        spec.write_bytes(text if isinstance(text, bytes) else text.encode())
        fails([command, str(spec), "--out", str(Path(tmp) / "out")], needle,
              silent="corpus" not in needle, folder=tmp, keep=["spec.toml"])


SAMPLER_FLAGS = st.one_of(
    st.integers(max_value=0).map(lambda v: ("--draws", v)),
    st.integers(max_value=0).map(lambda v: ("--chains", v)),
    st.integers(max_value=-1).map(lambda v: ("--tune", v)),
    st.integers(min_value=2**31, max_value=10**40).map(lambda v: ("--draws", v)),
    st.integers(min_value=2**31, max_value=10**40).map(lambda v: ("--tune", v)),
    st.integers(max_value=-1).map(lambda v: ("--seed", v)),
    st.integers(min_value=2**32, max_value=10**40).map(lambda v: ("--seed", v)),
)


@FUZZ
@given(SAMPLER_FLAGS, st.sampled_from(["fit", "forecast", "compare", "backtest"]))
def test_bad_sampler_flags(flag_value, command) -> None:
    flag, value = flag_value
    spec = "chinchilla" if command == "fit" else "skillmix"
    with tempfile.TemporaryDirectory() as tmp:
        fails([command, spec, "--out", str(Path(tmp) / "o"), f"{flag}={value}"], flag,
              folder=tmp)


@FEW
@given(st.sampled_from(["--draws", "--tune", "--chains", "--seed"]), NOT_AN_INT,
       st.sampled_from(["fit", "forecast", "compare", "backtest"]))
def test_malformed_sampler_flags_exit_2(flag, text, command) -> None:
    fails([command, f"{flag}={text}"], "invalid int value", code=2)


def test_fit_too_few_rows_and_blocked_out(tmp_path: Path) -> None:
    (tmp_path / "few.csv").write_text("params,tokens,loss\n1e8,2e9,3.1\n2e8,4e9,2.9\n")
    (tmp_path / "spec.toml").write_text(SCALING.replace('dataset = "chinchilla"', 'path = "few.csv"'))
    fails(["fit", str(tmp_path / "spec.toml"), "--out", str(tmp_path / "o")], "at least 6 runs",
          silent=False, folder=tmp_path, keep=["few.csv", "spec.toml"])
    blocker = tmp_path / "few.csv"
    for out in (blocker, blocker / "sub"):
        fails(["fit", "chinchilla", "--out", str(out)], "not a folder", folder=tmp_path,
              keep=["few.csv", "spec.toml"])


# ============================================================================ forecast
BAD_FORECAST_ARGS = st.one_of(
    st.tuples(st.sampled_from(["big", "名前", "a:b"]), BAD_POSITIVE)
    .map(lambda t: (["--llm", f"{t[0]}:{t[1]}:1e13"], "PARAMS")),
    BAD_POSITIVE.map(lambda v: (["--llm", f"big:4e11:{v}"], "TOKENS")),
    st.sampled_from(["big", "big:1e9", ":1e9:1e10", "1e9:1e10"]).map(
        lambda v: (["--llm", v], "NAME:PARAMS:TOKENS")),
    BAD_POSITIVE.map(lambda v: ([f"--compute={v}"], "--compute")),
    BAD_POSITIVE.map(lambda v: (["--compute", f"1e24:{v}"], "TOKENS_PER_PARAM")),
    BAD_POSITIVE.map(lambda v: (["--scale", f"GPT-4:{v}"], "FACTOR")),
    st.sampled_from(["GPT-4", ":10", ""]).map(lambda v: ([f"--scale={v}"], "LLM:FACTOR")),
    st.text(min_size=1, max_size=10).filter(lambda n: n not in SKILLMIX_LLMS)
    .map(lambda n: ([f"--scale={n}:10"], "unknown LLM")),
    st.sampled_from(["2", "2:0.5:0.5:0.5", "x:0.5", "0:0.5", "-3:0.5", "2:1.5", "2:0", "2:nan",
                     "2:0.5:1", "2:0.5:-0.1", "2.5:0.5", "2:abc"]).map(
        lambda v: ([f"--compute-for={v}"], "--compute-for")),
    st.one_of(st.integers(max_value=0), st.integers(min_value=K_MAX_LIMIT + 1, max_value=10**30))
    .map(lambda v: ([f"--k-max={v}"], "--k-max")),
    OUTSIDE_UNIT.map(lambda v: ([f"--ci-prob={v!r}"], "--ci-prob")),
    st.just((["--llm", "twin:1e9:1e10", "--llm", "twin:2e9:2e10"], "must be unique")),
)


@FUZZ
@given(BAD_FORECAST_ARGS)
def test_forecast_bad_arguments(case) -> None:
    extra, needle = case
    with tempfile.TemporaryDirectory() as tmp:
        fails(["forecast", "--out", str(Path(tmp) / "o"), *extra], needle, folder=tmp)


@FEW
@given(st.one_of(st.binary(max_size=300),
                 st.binary(max_size=300).map(lambda b: b"\x89HDF\r\n\x1a\n" + b)))
def test_from_run_and_diagnose_with_garbage_posterior(content) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        run_dir.mkdir()
        (run_dir / "posterior.nc").write_bytes(content)
        fails(["forecast", "--from-run", str(run_dir), "--out", str(Path(tmp) / "o")],
              "posterior.nc", folder=tmp, keep=["run"])
        fails(["diagnose", str(run_dir)], "posterior.nc", folder=run_dir, keep=["posterior.nc"])


def test_from_run_and_diagnose_missing(tmp_path: Path) -> None:
    fails(["forecast", "--from-run", str(tmp_path / "nope")], "no posterior.nc")
    fails(["forecast", "--from-run", str(tmp_path)], "no posterior.nc")
    fails(["diagnose", str(tmp_path / "nope")], "no such run folder")
    fails(["diagnose", str(tmp_path)], "no posterior.nc")


@pytest.mark.parametrize(("table", "text", "needle"), [
    ("skillmix", "llm,k,metric,value,n_combinations\nNope,2,ratio_of_full_marks,0.5,60\n",
     "names LLMs missing from the catalogue at line 2 (value: 'Nope')"),
    ("losses", "llm,corpus,unit,value\nGPT-4,hkust_average,bits/char,0.5\nGhost,x,bits/char,0.5\n",
     "names LLMs missing from the catalogue at line 3 (value: 'Ghost')"),
    ("catalog", "llm,family,base_model,params,tokens,kind\nA,F,,7e9,2e12,base\nA,F,,7e9,2e12,chat\n",
     "duplicate rows on the key (llm)"),
    ("skillmix", "llm,k,metric,value\nGPT-4,99999999999999999999,ratio_of_full_marks,0.5\n",
     "column 'k' must be at most 2**53"),
])
def test_forecast_bad_user_tables(tmp_path: Path, table: str, text: str, needle: str) -> None:
    (tmp_path / "mine.csv").write_text(text)
    spec = tmp_path / "spec.toml"
    spec.write_text(JOINT.replace('dataset = "bundled"', f'{table} = "mine.csv"'))
    fails(["forecast", str(spec), "--out", str(tmp_path / "o")], f"{tmp_path / 'mine.csv'}: ",
          needle, folder=tmp_path, keep=["mine.csv", "spec.toml"])


# ============================================================================ compare / backtest
LINKS = {"threshold", "independent", "logistic"}
CLOSED = {"GPT-4", "GPT-3.5-turbo"}


@FUZZ
@given(st.one_of(st.text(max_size=20),
                 st.lists(st.sampled_from(sorted(LINKS) + ["probit", "", " ", "Threshold"]),
                          max_size=4).map(",".join)))
def test_bad_links(text) -> None:
    given_links = [t.strip() for t in text.split(",") if t.strip()]
    assume(not (set(given_links) <= LINKS and len(set(given_links)) >= 2))
    for command in ("compare", "backtest"):
        with tempfile.TemporaryDirectory() as tmp:
            if command == "backtest" and (text == "" or (given_links and set(given_links) <= LINKS)):
                continue  # backtest: empty --links means the default links; one link is enough
            fails([command, f"--links={text}", "--out", str(Path(tmp) / "o")], "--links",
                  folder=tmp)


@FUZZ
@given(st.one_of(
    st.text(max_size=15).filter(lambda n: not n.startswith("-")).map(lambda n: ([n], "holdout")),
    st.sampled_from([["GPT-4"], ["GPT-3.5-turbo"]]).map(lambda n: (n, "unknown params or tokens")),
    st.just((sorted(SKILLMIX_LLMS), "every Skill-Mix LLM")),
))
def test_backtest_bad_holdout(case) -> None:
    names, needle = case
    assume(len(names) > 1 or names[0] not in SKILLMIX_LLMS - CLOSED)  # else a valid hold-out
    with tempfile.TemporaryDirectory() as tmp:
        fails(["backtest", "--out", str(Path(tmp) / "o"), *(f"--holdout={n}" for n in names)],
              needle, folder=tmp)


@FEW
@given(OUTSIDE_UNIT)
def test_backtest_bad_ci_prob(value) -> None:
    fails(["backtest", f"--ci-prob={value!r}"], "--ci-prob must be a number in (0, 1)")
