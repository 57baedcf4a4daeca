"""Worker loop: ask the storage for a trial, run the objective, tell the result; until the budget.

Every worker (an inline loop, a thread, a local process, a ``paramscope worker`` on another
machine) runs this same loop against the shared storage, which alone decides trial numbers and
the budget; so workers need no coordinator and any of them may die without losing the others.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from dataclasses import dataclass

from paramscope.errors import ObjectiveError, TrialStateError
from paramscope.execution.history import HistoryCache, ReportsSnapshot
from paramscope.execution.live import LiveTrial, StopRule
from paramscope.execution.objectives import Objective, call_objective
from paramscope.execution.outcome import failed, from_exception, from_result
from paramscope.samplers.base import Sampler
from paramscope.stopping import NoStopping, Progress, StoppingRule, make_rule
from paramscope.storage.base import AskResult, AskStatus, Direction, Outcome, Storage, StudySpec
from paramscope.trial import Trial, TrialState

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
    """

    budget: int | None
    deadline: float | None = None
    max_failures: int | None = None
    failed_before: int = 0
    poll: float = 0.1


def worker_name(index: int = 0) -> str:
    """``host:pid:index``, stored with each trial a worker runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{index}"


class Heartbeat:
    """A daemon thread that keeps the watched trials' heartbeats fresh while they run."""

    def __init__(self, storage: Storage, study: str, interval: float) -> None:
        self._storage, self._study, self._interval = storage, study, interval
        self._numbers: set[int] = set()
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
    fn: Objective, trial: Trial, storage: Storage, spec: StudySpec, stop_rule: StopRule | None
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
        self._last_reap = 0.0
        self._saw_failure = False

    def ask(self, budget: int | None) -> AskResult:
        """Claim a queued trial, or propose params with the sampler and start a new trial.

        Proposals are optimistic: params proposed for trial number n are only stored as trial n.
        When another worker took n meanwhile, the proposal is made again from a history that
        now holds that worker's pending trial, so parallel workers never propose blindly (and
        a seeded sampler's trial n is the same whichever worker runs it). Every lost race means
        another worker's trial was stored, so the study always progresses.
        """
        self._reap_if_due()
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
        if now - self._last_reap >= max(1.0, options.grace / 4):
            self._last_reap = now
            self.storage.reap(self.spec.name, grace=options.grace, retries=options.retries)

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
        interval = self.spec.options.heartbeat_interval
        with Heartbeat(self.storage, self.spec.name, interval) as beat:
            while not stop.is_set() and not self._should_end(plan):
                result = self.ask(plan.budget)
                if result.status == AskStatus.DONE:
                    break
                if result.trial is None:  # WAIT: the budget is held by running trials
                    stop.wait(plan.poll)
                    continue
                beat.watch(result.trial.number)
                self._run_one(fn, result.trial, stop_rule)
                beat.unwatch(result.trial.number)
                ran += 1
        return ran

    def _run_one(self, fn: Objective, trial: Trial, stop_rule: StopRule | None) -> None:
        try:
            outcome = evaluate(fn, trial, self.storage, self.spec, stop_rule)
        except KeyboardInterrupt:
            self._tell(trial, failed(INTERRUPTED))
            raise
        self._tell(trial, outcome)

    def _tell(self, trial: Trial, outcome: Outcome) -> None:
        try:
            self.storage.tell(self.spec.name, trial.number, outcome)
        except TrialStateError as exc:  # reaped while it ran (e.g. a long pause): keep going
            log.warning("result of trial %d dropped: %s", trial.number, exc)
        if outcome.state == TrialState.FAILED:
            self._saw_failure = True
            log.info("trial %d failed: %s", trial.number, outcome.error)

    def _should_end(self, plan: RunPlan) -> bool:
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
