"""History cache: a worker's incremental view of a study's trials, read with a cursor.

Finished trials never change, so each refresh re-reads only from the first trial that was not
finished at the last read; a sampler gets a fresh immutable ``History`` without a full scan, and
the loop's budget check costs O(new trials), not O(all trials). The same reads keep the trials'
curves (their reports), which :class:`ReportsSnapshot` hands to the stopping rule.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from paramscope.samplers.base import History
from paramscope.stopping import Curves
from paramscope.storage.base import StudySpec, TrialReader
from paramscope.trial import Trial, TrialState

_DONE = (TrialState.COMPLETE, TrialState.STOPPED)

REPORTS_REFRESH = 0.5
"""Seconds a reports snapshot is reused before the storage is read again."""


class HistoryCache:
    """Keeps the trials of one study and refreshes them from storage with the ``since`` cursor.

    ``_settled`` is the prefix of trials that are all finished (they never change again);
    ``_tail`` holds the rest, re-read on every refresh. ``curves`` keeps the reports of every
    trial that has any (trial number -> step -> value).
    """

    def __init__(self, reader: TrialReader, spec: StudySpec) -> None:
        self._reader = reader
        self._spec = spec
        self._settled: list[Trial] = []
        self._settled_done = 0
        self._tail: list[Trial] = []
        self._curves: dict[int, Mapping[int, float]] = {}
        self.refreshed_at = -float("inf")

    def update(self) -> None:
        """Read what changed since the last read (the trials from the first unfinished one)."""
        fresh = self._reader.trials(self._spec.name, since=len(self._settled))
        self.refreshed_at = time.monotonic()
        cut = next((i for i, t in enumerate(fresh) if not t.state.is_finished), len(fresh))
        self._settled.extend(fresh[:cut])
        self._settled_done += sum(t.state in _DONE for t in fresh[:cut])
        self._tail = fresh[cut:]
        for trial in fresh:
            if trial.reports:
                self._curves[trial.number] = trial.reports

    def refresh(self) -> History:
        """Read what changed since the last refresh and return the whole history."""
        self.update()
        return History(
            space=self._spec.space,
            trials=tuple(self._settled) + tuple(self._tail),
            objectives=self._spec.objectives,
            constraints=self._spec.constraints,
            seed=self._spec.seed,
        )

    @property
    def curves(self) -> Curves:
        """The reports of every trial as of the last read: number -> step -> value."""
        return self._curves

    @property
    def finished(self) -> int:
        """Complete and stopped trials as of the last refresh (what the budget counts)."""
        return self._settled_done + sum(t.state in _DONE for t in self._tail)

    @property
    def has_queued(self) -> bool:
        return any(t.state == TrialState.QUEUED for t in self._tail)


class ReportsSnapshot:
    """The study's curves for a stopping rule, read through a cache at most every ``interval`` s.

    A worker shares its loop's :class:`HistoryCache`, which the loop refreshes before every
    trial anyway; while a trial runs, the rule's reads touch the storage at most twice a second,
    and only for the trials not yet settled.

    Example:
        >>> from paramscope.space import Float, Space
        >>> from paramscope.storage import SQLStorage
        >>> storage = SQLStorage("sqlite://")
        >>> spec = storage.create_study(StudySpec("s", Space({"x": Float(0, 1)})))
        >>> ReportsSnapshot(HistoryCache(storage, spec)).curves()
        {}
    """

    def __init__(self, cache: HistoryCache, *, interval: float = REPORTS_REFRESH) -> None:
        self._cache, self._interval = cache, interval

    def curves(self) -> Curves:
        """Every trial's reports, re-read if the last read is older than the interval."""
        if time.monotonic() - self._cache.refreshed_at >= self._interval:
            self._cache.update()
        return self._cache.curves
