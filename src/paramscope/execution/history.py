"""History cache: a worker's incremental view of a study's trials, read with a cursor.

Finished trials never change, so each refresh re-reads only from the first trial that was not
finished at the last read; a sampler gets a fresh immutable ``History`` without a full scan, and
the loop's budget check costs O(new trials), not O(all trials).
"""

from __future__ import annotations

from paramscope.samplers.base import History
from paramscope.storage.base import StudySpec, TrialReader
from paramscope.trial import Trial, TrialState

_DONE = (TrialState.COMPLETE, TrialState.STOPPED)


class HistoryCache:
    """Keeps the trials of one study and refreshes them from storage with the ``since`` cursor.

    ``_settled`` is the prefix of trials that are all finished (they never change again);
    ``_tail`` holds the rest, re-read on every refresh.
    """

    def __init__(self, reader: TrialReader, spec: StudySpec) -> None:
        self._reader = reader
        self._spec = spec
        self._settled: list[Trial] = []
        self._settled_done = 0
        self._tail: list[Trial] = []

    def refresh(self) -> History:
        """Read what changed since the last refresh and return the whole history."""
        fresh = self._reader.trials(self._spec.name, since=len(self._settled))
        cut = next((i for i, t in enumerate(fresh) if not t.state.is_finished), len(fresh))
        self._settled.extend(fresh[:cut])
        self._settled_done += sum(t.state in _DONE for t in fresh[:cut])
        self._tail = fresh[cut:]
        return History(
            space=self._spec.space,
            trials=tuple(self._settled) + tuple(self._tail),
            objectives=self._spec.objectives,
            constraints=self._spec.constraints,
            seed=self._spec.seed,
        )

    @property
    def finished(self) -> int:
        """Complete and stopped trials as of the last refresh (what the budget counts)."""
        return self._settled_done + sum(t.state in _DONE for t in self._tail)

    @property
    def has_queued(self) -> bool:
        return any(t.state == TrialState.QUEUED for t in self._tail)
