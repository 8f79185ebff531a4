"""Run independent refits as tasks: serially, or on a ``dask.distributed`` cluster.

Cross-validation folds, sensitivity variants and simulation-based calibration replications
(``benchmarks/sbc.py``) are independent model fits. :class:`Runner` maps a picklable function
over a list of task arguments and returns the results *in task order*:

- ``Runner(serial=True)``: a plain loop in this process (tests, debugging);
- ``Runner()``: a ``distributed.LocalCluster`` with one single-threaded worker
  *process* per available core (:func:`skillfit.models.base.available_cores`);
- ``Runner(scheduler="tcp://host:8786")``: an existing cluster.

A task whose worker dies (killed, out of memory) is resubmitted up to ``retries`` times
(dask's ``retries=``). Results do not depend on where a task ran: every task carries its own
random seed, so a Dask run equals a serial run with the same seeds
(``tests/test_runner.py``). Worker processes keep module-level caches between tasks (e.g. the
compiled model of :mod:`skillfit.crossval`), so a worker compiles a model once per graph.

Examples
--------
>>> with Runner(serial=True) as runner:
...     runner.map(abs, [-1, 2, -3])
[1, 2, 3]
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from skillfit.errors import SkillfitError

__all__ = ["Runner"]


class Runner:
    """Map independent tasks over a Dask cluster (or a serial loop), results in task order.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running ``dask.distributed`` scheduler; default: start a local cluster.
    n_workers : int, optional
        Workers of the local cluster (default: the available cores). Each is a process with
        one thread (NUTS chains of one fit then run one after another inside a task).
    serial : bool, default False
        Run every task in this process, one after another, without Dask.
    retries : int, default 2
        How often a failed task (e.g. its worker was killed) is resubmitted.
    report : callable, optional
        Called with one progress line per finished task (e.g. ``print``).
    """

    def __init__(self, scheduler: str | None = None, n_workers: int | None = None,
                 serial: bool = False, retries: int = 2,
                 report: Callable[[str], None] | None = None) -> None:
        if serial and scheduler:
            raise SkillfitError("--scheduler and a serial run exclude each other")
        if n_workers is not None and n_workers < 1:
            raise SkillfitError(f"workers must be at least 1, got {n_workers}")
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.serial = serial
        self.retries = int(retries)
        self.report = report or (lambda _line: None)
        self._client: Any = None
        self._cluster: Any = None

    # ----------------------------------------------------------------- lifecycle
    def __enter__(self) -> Runner:
        if self.serial:
            return self
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask[distributed] is a dependency
            raise SkillfitError("dask.distributed is not installed: pip install "
                                "'dask[distributed]', or run serially") from exc
        from skillfit.models.base import available_cores

        if self.scheduler:
            try:
                self._client = Client(self.scheduler, timeout="20s")
            except OSError as exc:
                raise SkillfitError(f"--scheduler: cannot reach {self.scheduler}: {exc}") from None
        else:
            n = self.n_workers or available_cores()
            self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                         dashboard_address=None)
            self._client = Client(self._cluster)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()
        self._client = self._cluster = None

    @property
    def description(self) -> str:
        """Where the tasks run, in words."""
        if self.serial:
            return "serially in this process"
        if self.scheduler:
            return f"on the Dask cluster at {self.scheduler}"
        n = self.n_workers
        if self._client is not None:
            n = len(self._client.scheduler_info().get("workers", {}))
        return f"on a local Dask cluster ({n} single-threaded worker processes)"

    # ----------------------------------------------------------------- work
    def map(self, fn: Callable[[Any], Any], tasks: Sequence[Any],
            labels: Sequence[str] | None = None) -> list[Any]:
        """``[fn(t) for t in tasks]``, run as independent tasks; progress via ``report``.

        Parameters
        ----------
        fn : callable
            A module-level (picklable) function of one argument.
        tasks : sequence
            The arguments, one per task.
        labels : sequence of str, optional
            Names of the tasks for the progress lines.

        Returns
        -------
        list
            The results in the order of ``tasks``.
        """
        tasks = list(tasks)
        if labels is None:
            labels = [f"task {i + 1}" for i in range(len(tasks))]
        labels = list(labels)
        n = len(tasks)
        start = time.perf_counter()
        if self.serial or self._client is None:
            if not self.serial:
                raise RuntimeError("Runner.map outside 'with Runner(...)'")
            out = []
            for i, task in enumerate(tasks):
                out.append(fn(task))
                secs = time.perf_counter() - start
                self.report(f"  [{i + 1}/{n}] {labels[i]} done ({secs:.0f} s)")
            return out
        from distributed import as_completed

        futures = self._client.map(fn, tasks, pure=False, retries=self.retries,
                                   key=[f"skillfit-{i}-{time.time_ns()}" for i in range(n)])
        index = {f.key: i for i, f in enumerate(futures)}
        results: list[Any] = [None] * n
        done = 0
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()  # re-raises the task's exception
            done += 1
            self.report(f"  [{done}/{n}] {labels[i]} done ({time.perf_counter() - start:.0f} s)")
        return results
