"""Trial: the frozen record of one run, the unit of history that samplers read and storage keeps.

A trial never changes in place: a state change is a storage write that yields a new record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TrialState(StrEnum):
    """Where a trial is in its life; ``complete``, ``failed`` and ``stopped`` are final."""

    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def is_finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.FAILED, TrialState.STOPPED)


class FrozenDict(dict[Any, Any]):
    """A dict that refuses mutation, still JSON-serializable and picklable (unlike MappingProxy)."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("trial records are frozen; build a new one instead")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse
    __ior__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (FrozenDict, (dict(self),))

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(sorted(self.items(), key=repr)))


def frozen(mapping: Mapping[Any, Any] | Iterable[tuple[Any, Any]] | None = None) -> FrozenDict:
    """Freeze a mapping (or pairs) into a FrozenDict."""
    return FrozenDict(mapping or {})


@dataclass(frozen=True)
class Trial:
    """One run of the objective: its parameters, outcome and timing.

    ``values`` holds the objectives first (in the study's order), then constraint values, then any
    extra numeric metrics the objective returned. ``value`` is the first objective.

    Example:
        >>> t = Trial(number=0, params={"x": 1.0}, state=TrialState.COMPLETE, values={"value": 2.0})
        >>> t.value
        2.0
    """

    number: int
    params: Mapping[str, Any]
    state: TrialState
    values: Mapping[str, float] = field(default_factory=FrozenDict)
    reports: Mapping[int, float] = field(default_factory=FrozenDict)
    error: str | None = None
    started: datetime | None = None
    finished: datetime | None = None
    worker: str | None = None
    heartbeat: datetime | None = None
    retry_of: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", frozen(self.params))
        object.__setattr__(self, "values", frozen(self.values))
        object.__setattr__(self, "reports", frozen(self.reports))
        object.__setattr__(self, "state", TrialState(self.state))

    @property
    def value(self) -> float | None:
        """The first objective's value, or None when the trial has no values."""
        return next(iter(self.values.values()), None)

    @property
    def duration(self) -> float | None:
        """Seconds from start to finish (to the last heartbeat while running)."""
        end = self.finished or self.heartbeat
        if self.started is None or end is None:
            return None
        return (end - self.started).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form used by ``paramscope trials --format json``."""
        return {
            "number": self.number,
            "params": dict(self.params),
            "state": str(self.state),
            "values": dict(self.values),
            "reports": {str(k): v for k, v in self.reports.items()},
            "error": self.error,
            "started": self.started.isoformat() if self.started else None,
            "finished": self.finished.isoformat() if self.finished else None,
            "duration": self.duration,
            "worker": self.worker,
            "retry_of": self.retry_of,
        }
