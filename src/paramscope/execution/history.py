"""History cache: a worker's incremental view of a study's trials, read with a cursor.

Finished trials never change, so each refresh re-reads only from the first trial that was not
finished at the last read; a sampler gets a fresh immutable ``History`` without a full scan.
"""

from __future__ import annotations

from paramscope.samplers.base import History
from paramscope.storage.base import StudySpec, TrialReader
from paramscope.trial import Trial


class HistoryCache:
    """Keeps the trials of one study and refreshes them from storage with the ``since`` cursor."""

    def __init__(self, reader: TrialReader, spec: StudySpec) -> None:
        self._reader = reader
        self._spec = spec
        self._trials: list[Trial] = []

    def refresh(self) -> History:
        """Read what changed since the last refresh and return the whole history."""
        since = next((t.number for t in self._trials if not t.state.is_finished), None)
        if since is None:
            since = self._trials[-1].number + 1 if self._trials else 0
        fresh = self._reader.trials(self._spec.name, since=since)
        self._trials = [t for t in self._trials if t.number < since] + fresh
        return History(
            space=self._spec.space,
            trials=tuple(self._trials),
            objectives=self._spec.objectives,
            constraints=self._spec.constraints,
            seed=self._spec.seed,
        )
