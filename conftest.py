"""Root pytest configuration: docstring examples (``--doctest-modules``) run with sampling mocked.

``pyproject.toml`` makes the default ``python -m pytest`` collect ``tests/`` and, with
``--doctest-modules``, the examples in the docstrings of ``skillfit/``. This file lives at the
repository root (not in ``skillfit/``) so that it is picked up for both and is never shipped in
the wheel (hatchling packages only ``skillfit/``). ``tests/conftest.py`` keeps the test-suite
options (``--run-slow``) and fixtures; nothing here clashes with it.

For doctest items only, an autouse fixture

- replaces :func:`pymc.sample` with :func:`pymc.testing.mock_sample` (prior draws reshaped as a
  posterior, plus all-zero ``diverging`` statistics), via
  :func:`pymc.testing.mock_sample_setup_and_teardown`, so an example may call ``model.fit(...)``
  and finish in well under a second;
- uses the Agg matplotlib backend and closes every figure afterwards.

Doctest collection is limited to the ``skillfit`` package (helper modules under ``tests/`` are not
doctest modules), and a module whose top-level imports need an optional package that is not
installed is left out of doctest collection (listed in the terminal summary) instead of failing
collection. A missing *core* dependency (``[project].dependencies``) is still an error.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib.util
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from _pytest.doctest import DoctestItem, DoctestModule

matplotlib.use("Agg", force=True)

ROOT = Path(__file__).resolve().parent
PACKAGE = ROOT / "skillfit"

#: Modules left out of doctest collection because an optional import is missing: path -> names.
_SKIPPED_OPTIONAL: dict[str, list[str]] = {}


@functools.cache
def _core_dependencies() -> frozenset[str]:
    """Import names of ``[project].dependencies`` (they equal the distribution names here)."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        deps = tomllib.load(f)["project"]["dependencies"]
    return frozenset(
        re.split(r"[\s<>=!~;\[]", d, maxsplit=1)[0].lower().replace("-", "_") for d in deps
    )


def _missing_optional_imports(path: Path) -> list[str]:
    """Top-level absolute imports of ``path`` that are neither installed nor core dependencies."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError:
        return []  # let the import report it
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    core = _core_dependencies() | {"skillfit", "__future__"}
    return sorted(
        n for n in names
        if n not in core and n not in sys.stdlib_module_names and importlib.util.find_spec(n) is None
    )


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> Iterator[None]:
    """Keep doctest modules to ``skillfit/``, minus modules whose optional imports are missing."""
    collected = yield
    kept = []
    for node in collected or []:
        if isinstance(node, DoctestModule):
            if not file_path.is_relative_to(PACKAGE):
                continue
            missing = _missing_optional_imports(file_path)
            if missing:
                _SKIPPED_OPTIONAL[str(file_path.relative_to(ROOT))] = missing
                continue
        kept.append(node)
    return kept


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _SKIPPED_OPTIONAL:
        terminalreporter.section("doctest modules not collected (optional package missing)")
        for path, missing in sorted(_SKIPPED_OPTIONAL.items()):
            terminalreporter.write_line(f"{path}: needs {', '.join(missing)}")


def _no_divergences(size: tuple[int, int]) -> np.ndarray:
    return np.zeros(size, dtype=bool)


def _tree_depth(size: tuple[int, int]) -> np.ndarray:
    return np.full(size, 3, dtype=np.int64)


@pytest.fixture(autouse=True)
def _doctest_mock_sampling(request: pytest.FixtureRequest) -> Iterator[None]:
    """Docstring examples only: mocked ``pm.sample`` and the Agg backend, figures closed after."""
    if not isinstance(request.node, DoctestItem):
        yield
        return
    import matplotlib.pyplot as plt
    import pymc as pm
    from pymc.testing import mock_sample as _mock_sample
    from pymc.testing import mock_sample_setup_and_teardown

    if matplotlib.get_backend().lower() != "agg":
        plt.switch_backend("Agg")
    with contextlib.contextmanager(mock_sample_setup_and_teardown)():
        # Inside the context pm.sample is already mock_sample (restored on exit); add the
        # sample statistics that skillfit's diagnostics read.
        pm.sample = functools.partial(
            _mock_sample, sample_stats={"diverging": _no_divergences, "tree_depth": _tree_depth}
        )
        try:
            yield
        finally:
            plt.close("all")
