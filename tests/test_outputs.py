"""skillfit.outputs: one run per folder, atomic replacement, permissions of a normal file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from skillfit.errors import SkillfitError
from skillfit.outputs import atomic_path, check_new_dir, fresh_dir, staged_dir, write_text


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_existing_run_is_refused_without_replace(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with staged_dir(run) as stage:
        (stage / "old.csv").write_text("1")
    with pytest.raises(SkillfitError, match="already holds a run; .* --force"):
        with staged_dir(run) as stage:
            (stage / "new.csv").write_text("2")
    assert sorted(p.name for p in run.iterdir()) == ["old.csv"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_replace_removes_every_old_file(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with staged_dir(run) as stage:
        (stage / "trace.png").write_text("old plot")
        (stage / "forecast.csv").write_text("old")
    with staged_dir(run, replace=True) as stage:
        (stage / "forecast.csv").write_text("new")
    assert sorted(p.name for p in run.iterdir()) == ["forecast.csv"]
    assert (run / "forecast.csv").read_text() == "new"


def test_failure_while_replacing_keeps_the_old_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    with staged_dir(run) as stage:
        (stage / "a.csv").write_text("keep me")
    with pytest.raises(RuntimeError):
        with staged_dir(run, replace=True) as stage:
            (stage / "a.csv").write_text("half")
            raise RuntimeError("sampling failed")
    assert (run / "a.csv").read_text() == "keep me"
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_fresh_dir_never_reuses_a_run(tmp_path: Path) -> None:
    assert fresh_dir(tmp_path / "run") == tmp_path / "run"
    (tmp_path / "run").mkdir()
    assert fresh_dir(tmp_path / "run") == tmp_path / "run"  # empty: usable
    (tmp_path / "run" / "x").write_text("1")
    (tmp_path / "run-2").mkdir()
    (tmp_path / "run-2" / "x").write_text("1")
    assert fresh_dir(tmp_path / "run") == tmp_path / "run-3"


def test_check_new_dir_names_the_problem(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(SkillfitError, match="exists and is not a folder"):
        check_new_dir(tmp_path / "file")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "a").write_text("x")
    check_new_dir(tmp_path / "run", replace=True)  # allowed when replacing


def test_outputs_get_the_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "a.json", "{}")
        with atomic_path(tmp_path / "b.png") as tmp:
            tmp.write_bytes(b"png")
        with staged_dir(tmp_path / "run") as stage:
            (stage / "sub").mkdir()
            (stage / "sub" / "c.csv").write_text("1")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "a.json") == 0o644  # mkstemp alone would give 0600
    assert _mode(tmp_path / "b.png") == 0o644
    assert _mode(tmp_path / "run") == 0o755  # mkdtemp alone would give 0700
    assert _mode(tmp_path / "run" / "sub" / "c.csv") == 0o644
