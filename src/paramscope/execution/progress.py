"""Progress: a live bar of finished trials against the budget, polled from storage."""

from __future__ import annotations

import threading
from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from paramscope.storage.base import TrialReader
from paramscope.trial import TrialState


class ProgressMonitor:
    """Polls the study's state counts in a thread and draws them; works for any executor."""

    def __init__(self, reader: TrialReader, study: str, budget: int, *, enabled: bool) -> None:
        self._reader, self._study, self._budget = reader, study, budget
        self._enabled = enabled
        self._done = threading.Event()
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[states]}"),
            TimeElapsedColumn(),
            transient=False,
        )
        self._task = self._progress.add_task(study, total=budget, states="")
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> ProgressMonitor:
        if self._enabled:
            self._progress.start()
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._enabled:
            self._done.set()
            self._thread.join(timeout=5)
            self._update()
            self._progress.stop()

    def _update(self) -> None:
        try:
            counts = self._reader.counts(self._study)
        except Exception:  # drawing must never break a run
            return
        finished = counts[TrialState.COMPLETE] + counts[TrialState.STOPPED]
        states = (
            f"complete {counts[TrialState.COMPLETE]} · stopped {counts[TrialState.STOPPED]}"
            f" · failed {counts[TrialState.FAILED]} · running {counts[TrialState.RUNNING]}"
        )
        self._progress.update(self._task, completed=min(finished, self._budget), states=states)

    def _poll(self) -> None:
        while not self._done.wait(0.5):
            self._update()
