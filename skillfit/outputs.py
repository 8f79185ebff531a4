"""Atomic writing of output files and folders.

A command that fails half-way must leave no half-written output: every file is written to a
temporary sibling and moved into place with :func:`os.replace` (atomic on POSIX), and a run
folder is assembled in a temporary sibling directory whose files are moved in only on success.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from skillfit.errors import SkillfitError

__all__ = ["atomic_path", "staged_dir", "write_text"]


def _check_parent(path: Path) -> list[Path]:
    """Create the parent folder of ``path`` if needed; return the folders created, innermost
    first (for :func:`_remove_created` if the write fails)."""
    parent = path.parent
    if parent.exists() and not parent.is_dir():
        raise SkillfitError(f"cannot write {path}: {parent} is not a folder")
    created = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _remove_created(created)
        blocker = next((p for p in parent.parents if p.exists()), None)
        if blocker is not None and not blocker.is_dir():
            raise SkillfitError(f"cannot create output folder {parent}: {blocker} is not a folder") from None
        raise SkillfitError(f"cannot create output folder {parent}: {exc.strerror}") from None
    if not os.access(parent, os.W_OK):
        _remove_created(created)
        raise SkillfitError(f"cannot write to output folder {parent}: permission denied")
    return created


def _remove_created(created: list[Path]) -> None:
    """Remove the (empty) folders that :func:`_check_parent` created, innermost first."""
    for folder in created:
        try:
            folder.rmdir()
        except OSError:
            return


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it onto ``path`` if the block succeeds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text()
    'hello'
    """
    target = Path(path)
    created = _check_parent(target)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        _remove_created(created)
        raise SkillfitError(f"cannot write {target}: {exc.strerror}") from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        _remove_created(created)
        raise
    finally:
        tmp.unlink(missing_ok=True)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@contextmanager
def staged_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary folder; on success move its files into ``path`` (created if needed).

    On failure nothing in ``path`` changes and the temporary folder is removed; folders that
    did not exist before (``path`` itself and missing parents) are not left behind.
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise SkillfitError(f"output folder {target} exists and is not a folder")
    created = _check_parent(target)
    if target.is_dir() and not os.access(target, os.W_OK):
        raise SkillfitError(f"cannot write to output folder {target}: permission denied")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        _remove_created(created)
        raise SkillfitError(f"cannot write to output folder {target.parent}: {exc.strerror}") from None
    try:
        yield stage
        target.mkdir(exist_ok=True)
        for item in sorted(stage.rglob("*")):
            dest = target / item.relative_to(stage)
            if item.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_created(created)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
