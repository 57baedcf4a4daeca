"""Executors: where the worker loops run (this thread, threads, local processes, or Dask).

An executor only starts ``n`` copies of a worker function and waits for them; the loops share
nothing but the storage. Processes are forked so that closures and lambdas work as objectives.
The Dask executor (``execution/dask.py``) runs one driver loop here and the trials on a cluster.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol

from paramscope.errors import ConfigError
from paramscope.execution.dask import DaskExecutor, is_dask_target

WorkerFn = Callable[[int], None]
EXECUTORS = ("processes", "threads", "inline")


class Executor(Protocol):
    """Runs ``worker(i)`` for i in 0..n-1 and returns when all have finished."""

    def run(self, worker: WorkerFn, n: int) -> None: ...


class InlineExecutor:
    """Runs the one worker loop in the calling thread (simplest to debug)."""

    def run(self, worker: WorkerFn, n: int) -> None:
        for index in range(n):
            worker(index)


class ThreadExecutor:
    """One thread per worker; for objectives that release the GIL or wait on I/O."""

    def run(self, worker: WorkerFn, n: int) -> None:
        errors: list[BaseException] = []

        def guarded(index: int) -> None:
            try:
                worker(index)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=guarded, args=(i,), daemon=True) for i in range(n)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]


def _process_main(worker: WorkerFn, index: int) -> None:
    try:
        worker(index)
    except KeyboardInterrupt:
        sys.exit(130)


class ProcessExecutor:
    """One forked process per worker (spawned where fork is unavailable)."""

    def run(self, worker: WorkerFn, n: int) -> None:
        methods = multiprocessing.get_all_start_methods()
        context: Any = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        processes = [
            context.Process(target=_process_main, args=(worker, i), name=f"paramscope-worker-{i}")
            for i in range(n)
        ]
        for process in processes:
            process.start()
        try:
            for process in processes:
                process.join()
        except KeyboardInterrupt:
            # The children got the same Ctrl-C; give them time to mark their trials.
            for process in processes:
                process.join(timeout=10)
            raise
        codes = [p.exitcode for p in processes if p.exitcode not in (0, 130)]
        if codes:
            raise RuntimeError(f"{len(codes)} worker process(es) exited abnormally: {codes}")


def make_executor(name: Any, workers: int) -> Executor:
    """The executor named by ``optimize(executor=...)``; one local worker always runs inline.

    ``name`` may also be a ``distributed.Client`` or ``"dask://host:port"`` (the Dask executor).

    Example:
        >>> type(make_executor("threads", 4)).__name__
        'ThreadExecutor'
    """
    if is_dask_target(name):
        return DaskExecutor.connect(name, workers=workers)
    if name not in EXECUTORS:
        raise ConfigError(
            f"executor: expected one of {list(EXECUTORS)}, a Dask Client or 'dask://host:port', "
            f"got {name!r}"
        )
    if workers == 1 or name == "inline":
        return InlineExecutor()
    return ThreadExecutor() if name == "threads" else ProcessExecutor()
