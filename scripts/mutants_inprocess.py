"""Run mutmut's mutants in one pytest session (a pytest plugin; docs/testing.md).

``mutmut run`` forks a worker per mutant and every worker builds the module fixtures of the
tests it runs again (mocked fits, 10-40 s), so the 1,776 mutants of the three modules take
many hours on two cores. This plugin reuses what mutmut generated (the ``mutants/`` tree,
whose functions switch on ``MUTANT_UNDER_TEST`` through mutmut's trampoline) and runs the
mutants in-process instead:

1. the selected tests run once without a mutant (all must pass), module fixtures are made
   session-wide and built once, *unmutated*;
2. a forced failure (``MUTANT_UNDER_TEST=fail``) checks that the tests import the mutated tree;
3. for each mutant matching a ``--mut`` pattern, the tests run fastest first until one fails
   (killed) or all pass (survived). One JSON line per mutant goes to ``--mut-out``.

Because fixtures are built once, a mutant that only changes what a fixture computes is judged
by the tests' own calls: the kill count can only be understated, never inflated.

Run from ``mutants/`` after ``mutmut run`` has generated it (Ctrl-C once the mutants exist;
copy the current tests in if they changed since)::

    cd mutants && PYTHONPATH=../scripts python -m pytest -p mutants_inprocess -q \\
        -p no:cacheprovider tests/test_backtest.py --mut 'skillfit.backtest.x_score_table*' \\
        --mut-out ../mutants-backtest.jsonl
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import signal
import time
from pathlib import Path

from _pytest.runner import call_and_report

DURATION: dict[str, float] = {}


def pytest_addoption(parser):
    group = parser.getgroup("mutants_inprocess")
    group.addoption("--mut", action="append", default=[],
                    help="mutant name pattern (fnmatch), e.g. 'skillfit.backtest.x_crps*'")
    group.addoption("--mut-out", default="mutants-inprocess.jsonl", help="results, JSON lines")
    group.addoption("--mut-timeout", type=int, default=120, help="seconds per mutant")
    group.addoption("--mut-skip-killed", action="store_true",
                    help="skip the mutants already killed in --mut-out (rerun the others)")
    group.addoption("--mut-fresh", action="append", default=[],
                    help="fixture name built again under every mutant (e.g. a fixture that "
                         "builds the model the tests then check)")


def _all_mutants() -> list[str]:
    out = []
    for path in sorted(Path("skillfit").rglob("*.py")):
        text = path.read_text()
        if "__mutmut_" in text:
            module = ".".join(path.with_suffix("").parts)
            # functions (``def x_name__mutmut_3``) and methods, indented inside their class
            # (``def xǁClassǁname__mutmut_3``: ǁ is a letter to ``\w``)
            out += [f"{module}.{m}"
                    for m in re.findall(r"^\s*def (x\w+__mutmut_\d+)\(", text, re.M)]
    return out


class _Timeout(Exception):
    pass


#: set by the alarm: a test that fails because of it is a timeout, not a kill
TIMED_OUT = False


def _alarm(signum, frame):
    global TIMED_OUT
    TIMED_OUT = True
    raise _Timeout


def _run_one(item, after_pass, after_fail) -> bool:
    """Setup, call and teardown of one item; True if it failed. The teardown keeps what the
    next item needs, never the item itself (a node left set up is not set up again, and its
    fixture values would be missing on the next run)."""
    if hasattr(item, "_request") and not item._request:
        item._initrequest()
    t = time.time()
    try:
        reports = [call_and_report(item, "setup", False)]
        if reports[0].passed:
            reports.append(call_and_report(item, "call", False))
        failed = any(r.failed for r in reports)
        reports.append(call_and_report(item, "teardown", False,
                                       nextitem=after_fail if failed else after_pass))
    finally:
        if hasattr(item, "_request"):
            item._request = False
            item.funcargs = None
    DURATION[item.nodeid] = DURATION.get(item.nodeid, 0.0) + time.time() - t
    return any(r.failed for r in reports)


def _run(items, stop_on_fail=True, limit=None) -> list[str]:
    failed = []
    n = len(items) if limit is None else limit
    for i in range(n):
        item = items[i]
        first = items[0] if item is not items[0] else (items[1] if len(items) > 1 else None)
        after_pass = items[i + 1] if i + 1 < n else first
        if _run_one(item, after_pass, first if stop_on_fail else after_pass):
            failed.append(item.nodeid)
            if stop_on_fail:
                break
    return failed


#: fixtures set up while a mutant (or the forced failure) was active, with their request: torn down after that mutant
BUILT_UNDER_MUTANT: dict[int, tuple[object, object]] = {}


def _mutant_active() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST", "") != ""


def pytest_fixture_setup(fixturedef, request):
    """Remember a fixture built under a mutant (a parametrized fixture switching parameter, a
    ``--mut-fresh`` one): it must not outlive that mutant and judge the next one."""
    if _mutant_active():
        BUILT_UNDER_MUTANT[id(fixturedef)] = (fixturedef, request)


def _discard(fixturedefs) -> None:
    for fd, request in fixturedefs:
        try:
            fd.finish(request)
        except Exception:  # a fixture's teardown failing under a mutant: the value is dropped
            fd.cached_result = None


def _session_wide_module_fixtures(items) -> None:
    from _pytest.scope import Scope

    for item in items:
        for defs in item._fixtureinfo.name2fixturedefs.values():
            for fd in defs:
                if getattr(fd, "_scope", None) is Scope.Module:
                    fd._scope = Scope.Session


def _one_line_failures() -> None:
    """A failure report formats the traceback, parsing the mutated module's source: on a
    module with a thousand mutant copies that is seconds per killed mutant."""
    import _pytest.nodes
    import _pytest.python

    def short(self, excinfo, *args, **kwargs):
        return f"{excinfo.typename}: {str(excinfo.value)[:300]}"

    _pytest.nodes.Node._repr_failure_py = short
    _pytest.python.Function.repr_failure = short


def pytest_runtestloop(session):
    global TIMED_OUT
    config = session.config
    patterns = config.getoption("--mut")
    if not patterns:
        return None

    def rank(name):
        return next(i for i, p in enumerate(patterns) if fnmatch.fnmatch(name, p))

    names = [n for n in _all_mutants() if any(fnmatch.fnmatch(n, p) for p in patterns)]
    names.sort(key=lambda n: (rank(n), n.rsplit("__mutmut_", 1)[0], int(n.rsplit("_", 1)[1])))
    if config.getoption("--mut-skip-killed") and Path(config.getoption("--mut-out")).exists():
        with open(config.getoption("--mut-out")) as f:
            killed = {r["mutant"] for r in map(json.loads, f) if r["status"] == "killed"}
        names = [n for n in names if n not in killed]
    items = list(session.items)
    _session_wide_module_fixtures(items)
    _one_line_failures()
    os.environ["MUTANT_UNDER_TEST"] = ""
    t0 = time.time()
    clean = _run(items, stop_on_fail=False)
    print(f"\nclean run: {len(items)} tests, failed {clean}, {time.time() - t0:.1f} s", flush=True)
    if clean:
        session.testsfailed = len(clean)
        return True
    items.sort(key=lambda it: DURATION[it.nodeid])  # fastest first
    os.environ["MUTANT_UNDER_TEST"] = "fail"
    forced = _run(items)  # the first test that calls a mutated module fails
    os.environ["MUTANT_UNDER_TEST"] = ""
    _discard(list(BUILT_UNDER_MUTANT.values()))  # a fixture that failed: its error is cached
    BUILT_UNDER_MUTANT.clear()
    at = next((i for i, it in enumerate(items) if it.nodeid == forced[0]), 0)
    # run it again cleanly, followed by the rest (a lone item would tear the session down)
    if not forced or _run(items[at:] + items[:at], limit=1):
        raise RuntimeError("the forced failure did not fail, or stuck: are the tests importing "
                           "the mutated tree (run from mutants/)?")
    print(f"{len(names)} mutants", flush=True)
    signal.signal(signal.SIGALRM, _alarm)
    timeout = config.getoption("--mut-timeout")
    fresh_names = set(config.getoption("--mut-fresh"))
    fresh = {id(fd): fd for it in items for name, defs in it._fixtureinfo.name2fixturedefs.items()
             if name in fresh_names for fd in defs}
    if len({fd.argname for fd in fresh.values()}) != len(fresh_names):
        raise RuntimeError(f"--mut-fresh: no such fixture among {sorted(fresh_names)}")
    holder = type("Holder", (), {"node": session})()
    counts: dict[str, int] = {}
    with open(config.getoption("--mut-out"), "a") as out:
        for name in names:
            _discard([(fd, holder) for fd in fresh.values()])  # rebuilt under this mutant
            os.environ["MUTANT_UNDER_TEST"] = name
            t = time.time()
            TIMED_OUT = False
            signal.alarm(timeout)
            try:
                failed = _run(items)
                # an alarm inside a test fails that test: a timeout all the same, not a kill
                status = "timeout" if TIMED_OUT else "killed" if failed else "survived"
            except _Timeout:  # the alarm fired outside a test
                failed, status = ["<timeout>"], "timeout"
                session._setupstate.teardown_exact(None)
            finally:
                signal.alarm(0)
                os.environ["MUTANT_UNDER_TEST"] = ""
                _discard(list(BUILT_UNDER_MUTANT.values()))
                BUILT_UNDER_MUTANT.clear()
            counts[status] = counts.get(status, 0) + 1
            record = {"mutant": name, "status": status, "by": failed[:1],
                      "s": round(time.time() - t, 2)}
            out.write(json.dumps(record) + "\n")
            out.flush()
            print(f"{status:8s} {name} {failed[:1]} {record['s']} s", flush=True)
    os.environ["MUTANT_UNDER_TEST"] = ""
    print(f"{counts}; {time.time() - t0:.0f} s", flush=True)
    return True
