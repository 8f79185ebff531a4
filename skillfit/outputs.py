"""Atomic writing of output files and run folders.

A command that fails half-way must leave no half-written output: every file is written to a
temporary sibling and moved into place with :func:`os.replace` (atomic on POSIX), and a run
folder is assembled in a temporary sibling directory that is renamed into place only on success.

A run folder holds one run: :func:`staged_dir` refuses a folder that already holds files unless
told to replace it, and then replaces it whole (no file of the old run survives). Default output
folders never clobber: :func:`fresh_dir` picks ``NAME``, else ``NAME-2``, ``NAME-3``, ...

Every file and folder written gets the permissions the user's umask gives new files (0644 and
0755 under the usual umask 022), not the private 0600 of a temporary file.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from skillfit.errors import SkillfitError

__all__ = ["atomic_path", "check_new_dir", "fresh_dir", "staged_dir", "write_text"]


def _umask() -> int:
    """The process umask (read without changing it where the OS allows)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):  # pragma: no cover - not Linux
        pass
    mask = os.umask(0o022)  # pragma: no cover - not Linux
    os.umask(mask)  # pragma: no cover
    return mask  # pragma: no cover


def _publish(path: Path) -> None:
    """Give ``path`` (a file, or a folder and everything in it) the umask's permissions."""
    mask = _umask()
    if path.is_dir():
        os.chmod(path, 0o777 & ~mask)
        for item in path.rglob("*"):
            os.chmod(item, (0o777 if item.is_dir() else 0o666) & ~mask)
    else:
        os.chmod(path, 0o666 & ~mask)


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def fresh_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` if it does not exist or is empty, else the first free ``path-2``, ``path-3``, ...

    For default output folders: a second run never mixes with (or replaces) the first.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "run").mkdir(); _ = (root / "run" / "a.txt").write_text("x")
    >>> fresh_dir(root / "run").name
    'run-2'
    """
    target = Path(path)
    n = 1
    candidate = target
    while candidate.exists() and (not candidate.is_dir() or _holds_files(candidate)):
        n += 1
        candidate = target.with_name(f"{target.name}-{n}")
    return candidate


def check_new_dir(path: str | os.PathLike[str], replace: bool = False,
                  flag: str = "--force") -> None:
    """Fail early (before any work) unless ``path`` can become a run folder.

    Raises
    ------
    SkillfitError
        If ``path`` is a file, cannot be created or written, or already holds files and
        ``replace`` is false (the message names ``flag``, the option that replaces it).
    """
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise SkillfitError(f"output folder {target} exists and is not a folder")
    if _holds_files(target) and not replace:
        raise SkillfitError(f"output folder {target} already holds a run; choose another folder "
                            f"or give {flag} to replace it whole")
    probe = target if target.exists() else target.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise SkillfitError(f"cannot create output folder {target}: {probe} is not a folder")
    if not os.access(probe, os.W_OK):
        raise SkillfitError(f"cannot write to output folder {target}: permission denied")


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
        _publish(tmp)
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
def staged_dir(path: str | os.PathLike[str], replace: bool = False) -> Iterator[Path]:
    """Yield a temporary folder; on success it becomes ``path`` (created if needed).

    ``path`` must not hold files, unless ``replace`` is true: then the old folder is replaced
    whole, so no file of an earlier run survives next to the new ones. On failure nothing in
    ``path`` changes and the temporary folder is removed; folders that did not exist before
    (``path``'s missing parents) are not left behind.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> run = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> with staged_dir(run) as stage:
    ...     _ = (stage / "a.txt").write_text("first")
    >>> with staged_dir(run, replace=True) as stage:
    ...     _ = (stage / "b.txt").write_text("second")
    >>> sorted(p.name for p in run.iterdir())
    ['b.txt']
    """
    target = Path(path)
    check_new_dir(target, replace)
    created = _check_parent(target)
    if target.is_dir() and not os.access(target, os.W_OK):
        raise SkillfitError(f"cannot write to output folder {target}: permission denied")
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    except OSError as exc:
        _remove_created(created)
        raise SkillfitError(f"cannot write to output folder {target.parent}: {exc.strerror}") from None
    old: Path | None = None
    try:
        yield stage
        _publish(stage)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / "run")
        os.replace(stage, target)
    except BaseException:
        if old is not None and (old / "run").exists() and not target.exists():
            os.replace(old / "run", target)  # put the previous run back
        shutil.rmtree(stage, ignore_errors=True)
        _remove_created(created)
        raise
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
