"""Worker loop: ask the storage for a trial, run the objective, tell the result; until the budget.

Every worker (an inline loop, a thread, a local process, a ``paramscope worker`` on another
machine) runs this same loop against the shared storage, which alone decides trial numbers and
the budget; so workers need no coordinator and any of them may die without losing the others.

When the database goes away (a restart, a network cut) the loop waits for it with growing pauses
(up to ``RunPlan.outage`` seconds), keeps any result it could not write in a local spool
(``storage/spool.py``) and writes it first thing when the database answers again; the trials of
spooled results keep their heartbeats, and after an outage a worker reaps nothing for one grace
period, so no trial is taken as lost because the database was.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from paramscope.errors import ObjectiveError, StorageError, TrialStateError
from paramscope.execution.history import HistoryCache, ReportsSnapshot
from paramscope.execution.live import LiveTrial, StopRule
from paramscope.execution.objectives import Objective, call_objective
from paramscope.execution.outcome import failed, from_exception, from_result
from paramscope.samplers.base import History, Sampler
from paramscope.samplers.random import RandomSampler
from paramscope.samplers.sobol import SobolSampler
from paramscope.space import Params
from paramscope.stopping import NoStopping, Progress, StoppingRule, make_rule
from paramscope.storage import SQLStorage
from paramscope.storage.base import (
    AskResult,
    AskStatus,
    Direction,
    Outcome,
    Storage,
    StudySpec,
    TrialMonitor,
)
from paramscope.storage.engine import is_unavailable
from paramscope.storage.spool import ResultSpool, SpooledResult
from paramscope.trial import Trial, TrialState

T = TypeVar("T")

NUMBERED_SAMPLERS = (RandomSampler, SobolSampler)
"""Samplers whose proposal for trial n depends on the seed and n only, not on other trials."""

log = logging.getLogger("paramscope")

INTERRUPTED = "interrupted by the user (Ctrl-C) while running"


@dataclass(frozen=True)
class RunPlan:
    """When a worker stops: the study-wide budget, a wall-clock deadline and a failure cap.

    Attributes:
        budget: finished (complete + stopped) trials the study must reach; None = until stopped.
        deadline: ``time.time()`` after which no new trial starts; None = no deadline.
        max_failures: failed trials (study-wide, counted from ``failed_before``) that end the run.
        failed_before: the study's failed-trial count when the run began.
        poll: seconds to wait when the budget is held by other workers' running trials.
        outage: seconds a worker waits for a database that went away before it gives up.
    """

    budget: int | None
    deadline: float | None = None
    max_failures: int | None = None
    failed_before: int = 0
    poll: float = 0.1
    outage: float = 600.0


def worker_name(index: int = 0) -> str:
    """``host:pid:index``, stored with each trial a worker runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Heartbeat:
    """A daemon thread that keeps the watched trials' heartbeats fresh while they run."""

    def __init__(self, storage: Storage, study: str, interval: float) -> None:
        self._storage, self._study, self._interval = storage, study, interval
        self._numbers: set[int] = set()
        self.failed_at = -float("inf")  # time.monotonic() of the last beat that did not pass
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="paramscope-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join(timeout=5)

    def watch(self, number: int) -> None:
        self._numbers = self._numbers | {number}

    def unwatch(self, number: int) -> None:
        self._numbers = self._numbers - {number}

    def _beat(self) -> None:
        while not self._done.wait(self._interval):
            numbers = sorted(self._numbers)
            if not numbers:
                continue
            try:
                self._storage.heartbeat(self._study, numbers)
            except Exception as exc:  # a missed beat is survivable; the next one may pass
                self.failed_at = time.monotonic()
                log.warning("heartbeat for trials %s failed: %s", numbers, exc)


@dataclass(frozen=True)
class RuleStopper:
    """A study's stopping rule bound to a worker's reports snapshot: the ``StopRule`` it runs.

    Example:
        >>> from paramscope.space import Float, Space
        >>> from paramscope.storage import SQLStorage
        >>> storage = SQLStorage("sqlite://")
        >>> spec = storage.create_study(StudySpec("s", Space({"x": Float(0, 1)})))
        >>> stopper = RuleStopper(make_rule("asha"), ReportsSnapshot(HistoryCache(storage, spec)))
        >>> stopper(Progress(0, {1: 0.5}))   # no other trial has reported: the first goes on
        False
    """

    rule: StoppingRule
    snapshot: ReportsSnapshot
    direction: Direction = "min"

    def __call__(self, progress: Progress) -> bool:
        return self.rule.should_stop(progress, self.snapshot.curves(), self.direction)


def study_stop_rule(spec: StudySpec, cache: HistoryCache) -> StopRule | None:
    """The stop rule a study's stored stopping setting gives (None for ``"none"``)."""
    rule = make_rule(spec.options.stopping)
    if isinstance(rule, NoStopping):
        return None
    direction: Direction = next(iter(spec.objectives.values()), "min")
    return RuleStopper(rule, ReportsSnapshot(cache), direction)


def evaluate(
    fn: Objective, trial: Trial, storage: TrialMonitor, spec: StudySpec, stop_rule: StopRule | None
) -> Outcome:
    """Run the objective on one trial and turn any result or exception into an ``Outcome``."""
    live = LiveTrial(storage, spec.name, trial.number, trial.params, stop_rule)
    try:
        raw = call_objective(fn, dict(trial.params), live)
    except ObjectiveError as exc:
        return failed(str(exc))
    except Exception as exc:
        return from_exception(exc)
    return from_result(raw, spec, stopped=live.stop_requested)


class WorkerLoop:
    """One worker: ask, evaluate, tell, until the plan says stop. See ``run``."""

    def __init__(
        self, storage: Storage, spec: StudySpec, sampler: Sampler, *, worker: str = ""
    ) -> None:
        self.storage, self.spec, self.sampler = storage, spec, sampler
        self.worker = worker or worker_name()
        self.cache = HistoryCache(storage, spec)
        self.beat: Heartbeat | None = None
        self._spool: ResultSpool | None = None
        self._last_reap = 0.0
        self._back_at = -float("inf")  # time.monotonic() when the database last came back
        self._saw_failure = False
        by_number = isinstance(storage, SQLStorage) and type(sampler) in NUMBERED_SAMPLERS
        self._numbered = storage if by_number and isinstance(storage, SQLStorage) else None

    def _propose(self, number: int) -> Params:
        """The sampler's params for trial ``number`` (a number-only sampler ignores the rest)."""
        before = (Trial(number - 1, {}, TrialState.RUNNING),) if number else ()
        history = History(self.spec.space, before, seed=self.spec.seed)
        return self.sampler.suggest(history, 1)[0]

    def ask(self, budget: int | None) -> AskResult:
        """Claim a queued trial, or propose params with the sampler and start a new trial.

        A sampler whose proposal depends only on the seed and the trial number (random, Sobol)
        proposes inside the storage's locked ``ask``, once the number is known. Other proposals
        are optimistic: params proposed for trial number n are only stored as trial n.
        When another worker took n meanwhile, the proposal is made again from a history that
        now holds that worker's pending trial, so parallel workers never propose blindly (and
        a seeded sampler's trial n is the same whichever worker runs it). Every lost race means
        another worker's trial was stored, so the study always progresses.
        """
        self._reap_if_due()
        if self._numbered is not None:  # no proposal race at all (NUMBERED_SAMPLERS)
            return self._numbered.ask(
                self.spec.name, worker=self.worker, budget=budget, propose=self._propose
            )
        attempt = 0
        while True:
            history = self.cache.refresh()
            if budget is not None and self.cache.finished >= budget:
                return AskResult(AskStatus.DONE)
            params, expected = None, None
            if not self.cache.has_queued:
                params = self.sampler.suggest(history, 1)[0]
                expected = history.next_number
            result = self.storage.ask(
                self.spec.name,
                worker=self.worker,
                budget=budget,
                params=params,
                expected_number=expected,
            )
            if result.status not in (AskStatus.CONFLICT, AskStatus.NEED_PARAMS):
                return result
            # Lost a race: back off a little (jittered, growing) so racing workers spread out.
            time.sleep(random.uniform(0.0, min(0.05, 0.001 * 2**attempt)))
            attempt += 1

    def _reap_if_due(self) -> None:
        options = self.spec.options
        now = time.monotonic()
        outage = max(
            self._back_at,
            self.beat.failed_at if self.beat else -float("inf"),
            getattr(self.storage, "outage_at", -float("inf")),  # SQLStorage: any lost connection
        )
        if now - outage < options.grace:
            return  # other workers' heartbeats may still be catching up after an outage
        if now - self._last_reap >= max(1.0, options.grace / 4):
            self._last_reap = now
            self.storage.reap(self.spec.name, grace=options.grace, retries=options.retries)

    def survive(self, action: Callable[[], T], plan: RunPlan, stop: threading.Event) -> T:
        """Run ``action``, waiting (growing pauses) while the database is away, up to the plan's
        ``outage``; then the ``StorageError`` is raised (spooled results stay on disk)."""
        started, pause = time.monotonic(), 0.5
        while True:
            try:
                result = action()
            except StorageError as exc:
                if not is_unavailable(exc) or time.monotonic() - started >= plan.outage:
                    raise
                log.warning("database unavailable, retrying in %.1f s: %s", pause, exc)
                if stop.wait(pause * random.uniform(0.8, 1.2)):
                    raise
                pause = min(pause * 2.0, 5.0)
                continue
            if pause > 0.5:
                self._back_at = time.monotonic()
                log.warning("database available again; continuing")
            return result

    def next_trial(self, plan: RunPlan, stop: threading.Event) -> AskResult:
        """Write any spooled results, then ``ask``; surviving a database outage."""

        def flush_and_ask() -> AskResult:
            self.flush()
            return self.ask(plan.budget)

        return self.survive(flush_and_ask, plan, stop)

    @contextmanager
    def session(self) -> Iterator[Heartbeat]:
        """Heartbeats for the running trials while the loop runs; the spool closed after."""
        interval = self.spec.options.heartbeat_interval
        with Heartbeat(self.storage, self.spec.name, interval) as beat:
            self.beat = beat
            try:
                yield beat
            finally:
                self.beat = None
                if self._spool is not None:
                    self._spool.close()

    def run(
        self,
        fn: Objective,
        plan: RunPlan,
        *,
        stop: threading.Event | None = None,
        stop_rule: StopRule | None = None,
    ) -> int:
        """Run trials until the budget, the deadline, the failure cap or ``stop``; count them.

        ``stop_rule`` judges the trials' reports; by default the study's stored stopping rule
        (ASHA unless the study names another), read against this worker's history cache.
        """
        stop = stop or threading.Event()
        if stop_rule is None:
            stop_rule = study_stop_rule(self.spec, self.cache)
        ran = 0
        with self.session() as beat:
            while not stop.is_set() and not self.survive(lambda: self.should_end(plan), plan, stop):
                result = self.next_trial(plan, stop)
                if result.status == AskStatus.DONE:
                    break
                if result.trial is None:  # WAIT: the budget is held by running trials
                    stop.wait(plan.poll)
                    continue
                beat.watch(result.trial.number)
                self._run_one(fn, result.trial, stop_rule)
                ran += 1
            self.survive(self.flush, plan, stop)
        return ran

    def _run_one(self, fn: Objective, trial: Trial, stop_rule: StopRule | None) -> None:
        try:
            outcome = evaluate(fn, trial, self.storage, self.spec, stop_rule)
        except KeyboardInterrupt:
            self.finish(trial, failed(INTERRUPTED))
            raise
        self.finish(trial, outcome)

    def finish(self, trial: Trial, outcome: Outcome) -> None:
        """Tell a trial's outcome; if the database is away, spool it (it stays heartbeated)."""
        try:
            self.storage.tell(self.spec.name, trial.number, outcome)
        except TrialStateError as exc:  # reaped while it ran (e.g. a long pause): keep going
            log.warning("result of trial %d dropped: %s", trial.number, exc)
        except StorageError as exc:
            if not is_unavailable(exc):
                raise
            if self._spool is None:
                self._spool = ResultSpool(self.storage.url, self.spec.name)
            self._spool.add(SpooledResult(self.spec.name, trial.number, outcome))
            return
        finally:
            if outcome.state == TrialState.FAILED:
                self._saw_failure = True
                log.info("trial %d failed: %s", trial.number, outcome.error)
        if self.beat is not None:
            self.beat.unwatch(trial.number)

    def flush(self) -> None:
        """Write the results spooled by this worker (and by dead workers sharing its spool)."""
        if self._spool is None:
            self._spool = ResultSpool(self.storage.url, self.spec.name)
        for number in self._spool.flush(self.storage):
            if self.beat is not None:
                self.beat.unwatch(number)

    def should_end(self, plan: RunPlan) -> bool:
        """Whether the deadline passed or the run's failures reached the cap."""
        if plan.deadline is not None and time.time() >= plan.deadline:
            return True
        if plan.max_failures is None or not self._saw_failure:
            return False
        failures = self.storage.counts(self.spec.name)[TrialState.FAILED] - plan.failed_before
        if failures >= plan.max_failures:
            log.warning(
                "stopping: %d trials failed in this run (max_failures=%d); see their errors "
                "with `paramscope trials --state failed`",
                failures,
                plan.max_failures,
            )
            return True
        return False
