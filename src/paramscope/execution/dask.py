"""Dask executor: trials run on a Dask cluster; the sampler and the storage stay in the driver.

The driver is one worker loop (``loop.WorkerLoop``): it asks the storage for a trial with the
pending trials in its history, submits ``fn(params)`` to Dask, and tells each result as its future
completes, keeping as many trials in flight as the cluster has threads (or ``workers``). The
storage still decides numbers and the budget, so the budget stays exact; the driver heartbeats
the trials in flight. A trial whose Dask worker was lost (``KilledWorker``, a closed comm, a
cancelled future) is recorded failed with that reason and, if the study allows retries,
re-queued with the same params. An objective that takes the live trial (reports, early
stopping) opens the storage on the Dask worker, so it needs a database the workers can reach.

Dask is imported only when a Dask executor is asked for (``pip install 'paramscope[dask]'``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from paramscope.errors import ConfigError
from paramscope.execution.history import HistoryCache
from paramscope.execution.loop import INTERRUPTED, RunPlan, WorkerLoop, evaluate, study_stop_rule
from paramscope.execution.objectives import Objective, wants_trial
from paramscope.execution.outcome import failed
from paramscope.storage import SQLStorage
from paramscope.storage.base import AskResult, AskStatus, Outcome, StudySpec
from paramscope.storage.urls import parse_url
from paramscope.trial import Trial

DASK_SCHEME = "dask://"
_LOST = ("KilledWorker", "CommClosedError", "CancelledError", "FutureCancelledError")
_STORAGES: dict[str, SQLStorage] = {}  # per Dask worker process: the storage live trials report to


def is_dask_target(executor: object) -> bool:
    """Whether ``optimize(executor=...)`` names Dask: a ``"dask://host:port"`` or a Client.

    Example:
        >>> is_dask_target("dask://scheduler:8786"), is_dask_target("processes")
        (True, False)
    """
    if isinstance(executor, str):
        return executor.startswith(DASK_SCHEME)
    return callable(getattr(executor, "submit", None)) and hasattr(executor, "nthreads")


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "executor: a Dask executor needs dask.distributed, which is not installed; "
            "install it with pip install 'paramscope[dask]'"
        ) from None
    return distributed


class _Detached:
    """The monitor of a trial whose objective takes no live trial: it never reports."""

    def report(self, study: str, number: int, step: int, value: float) -> None:
        raise ConfigError("report: this objective was sent to Dask without its live trial")

    def heartbeat(self, study: str, numbers: Any) -> None:
        return None

    def reap(self, study: str, *, grace: float, retries: int) -> list[Trial]:
        return []


def run_trial(fn: Objective, trial: Trial, spec: StudySpec, url: str | None) -> Outcome:
    """The Dask task: run the objective on one trial and return its outcome (never raises).

    With ``url`` the objective gets a live trial reporting to that storage, judged by the
    study's stopping rule; without, it is called as ``fn(params)``.

    Example:
        >>> from paramscope.space import Float, Space
        >>> from paramscope.trial import TrialState
        >>> spec = StudySpec("s", Space({"x": Float(0, 1)}))
        >>> trial = Trial(number=0, params={"x": 0.5}, state=TrialState.RUNNING)
        >>> run_trial(lambda p: p["x"] * 2, trial, spec, None).values["value"]
        1.0
    """
    if url is None:
        return evaluate(fn, trial, _Detached(), spec, None)
    storage = _STORAGES.get(url)
    if storage is None:
        storage = _STORAGES.setdefault(url, SQLStorage(url))
    return evaluate(fn, trial, storage, spec, study_stop_rule(spec, HistoryCache(storage, spec)))


def _lost_reason(exc: BaseException) -> tuple[str, bool]:
    """(the failure text, whether the Dask worker was lost rather than the task broken)."""
    name = type(exc).__name__
    lost = name in _LOST or isinstance(exc, OSError)
    what = "Dask worker lost" if lost else "Dask task failed"
    return f"{what}: {name}: {exc}", lost


@dataclass
class DaskExecutor:
    """Runs trials as Dask tasks from one driver loop; see the module docstring.

    Args:
        client: a ``distributed.Client``.
        slots: trials kept in flight; None = the cluster's threads.
        owned: close the client when done (it was opened from a ``dask://`` URL).
    """

    client: Any
    slots: int | None = None
    owned: bool = False

    @classmethod
    def connect(cls, target: Any, *, workers: int = 1) -> DaskExecutor:
        """The executor for a Client or ``"dask://host:port"``; ``workers`` > 1 sets the slots.

        Example:
            >>> DaskExecutor.connect("dask://")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            paramscope.errors.ConfigError: executor: expected 'dask://host:port' ...
        """
        slots = workers if workers > 1 else None
        if not isinstance(target, str):
            return cls(target, slots)
        address = target.removeprefix(DASK_SCHEME)
        if not address or ":" not in address:
            raise ConfigError(f"executor: expected 'dask://host:port' or a Client, got {target!r}")
        return cls(_distributed().Client(f"tcp://{address}"), slots, owned=True)

    def run(self, worker: Any, n: int) -> None:
        """The Executor protocol: the driver is one loop, so ``worker(0)`` runs here."""
        try:
            worker(0)
        finally:
            if self.owned:
                self.client.close()

    def drive(self, loop: WorkerLoop, fn: Objective, plan: RunPlan, stop: threading.Event) -> int:
        """Keep the slots full until the plan ends; tell every result; return the trials run."""
        url = self._live_url(loop, fn)
        try:
            _distributed().protocol.pickle.dumps(fn)
        except Exception as exc:
            raise ConfigError(
                "objective: cannot be sent to the Dask workers (it must pickle, e.g. no locks "
                f"or open files in its closure), got {type(exc).__name__}: {exc}"
            ) from None
        slots = self.slots or max(1, sum(self.client.nthreads().values()))
        inflight: dict[Any, Trial] = {}
        depth: dict[int, int] = {}
        ran, ending = 0, False
        with loop.session() as beat:
            try:
                while True:
                    while not ending and len(inflight) < slots:
                        result = self._next(loop, plan, stop)
                        ending = result.status == AskStatus.DONE
                        if result.trial is None:
                            break
                        beat.watch(result.trial.number)
                        future = self.client.submit(
                            run_trial, fn, result.trial, loop.spec, url, pure=False
                        )
                        inflight[future] = result.trial
                    if not inflight:
                        if ending:
                            break
                        stop.wait(plan.poll)
                        continue
                    for future in self._completed(inflight, timeout=max(plan.poll, 0.2)):
                        trial = inflight.pop(future)
                        self._tell(loop, future, trial, depth)
                        ran += 1
            finally:
                self._abandon(loop, inflight)
        return ran

    def _next(self, loop: WorkerLoop, plan: RunPlan, stop: threading.Event) -> AskResult:
        if stop.is_set() or loop.survive(lambda: loop.should_end(plan), plan, stop):
            return AskResult(AskStatus.DONE)  # the deadline, the failure cap or a stop
        return loop.next_trial(plan, stop)

    def _live_url(self, loop: WorkerLoop, fn: Objective) -> str | None:
        if not wants_trial(fn):
            return None
        url = loop.storage.url
        if url.startswith("sqlite") and (url.rstrip("/") == "sqlite:" or ":memory:" in url):
            raise ConfigError(
                "executor: an objective that takes the live trial (reports, early stopping) "
                "needs a storage the Dask workers can open (a SQLite file or PostgreSQL), "
                f"got the in-memory {url!r}"
            )
        return parse_url(url).portable  # a SQLite path made absolute for the workers

    def _completed(self, inflight: dict[Any, Trial], *, timeout: float) -> list[Any]:
        distributed = _distributed()
        try:
            done = distributed.wait(list(inflight), timeout=timeout, return_when="FIRST_COMPLETED")
        except distributed.TimeoutError:
            return []
        return list(done.done)

    def _tell(self, loop: WorkerLoop, future: Any, trial: Trial, depth: dict[int, int]) -> None:
        try:
            outcome = future.result()
        except Exception as exc:
            reason, lost = _lost_reason(exc)
            loop.finish(trial, failed(reason))
            tries = depth.pop(trial.number, 0)
            if lost and tries < loop.spec.options.retries:
                again = loop.storage.enqueue(loop.spec.name, dict(trial.params))
                depth[again.number] = tries + 1
            return
        loop.finish(trial, outcome)

    def _abandon(self, loop: WorkerLoop, inflight: dict[Any, Trial]) -> None:
        """After an error or Ctrl-C in the driver: cancel what runs and record it failed."""
        for future, trial in inflight.items():
            future.cancel()
            try:
                loop.finish(trial, failed(INTERRUPTED))
            except Exception:  # the driver is failing already; keep its error
                continue
