"""Storage protocols: what the study, workers and dashboard need from a database of runs.

Four narrow protocols rather than one wide one; ``SQLStorage`` (storage/sql.py) implements all of
them. Trials are addressed by (study name, trial number); numbers are gap-free per study.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol, TypeAlias

from paramscope.space import Params, Space
from paramscope.trial import FrozenDict, Trial, TrialState, frozen

Direction: TypeAlias = Literal["min", "max"]
ConstraintOp: TypeAlias = Literal["<=", ">="]
DEFAULT_STOPPING: Mapping[str, Any] = frozen({"rule": "asha"})
"""The stopping rule of a study that names none (and of databases older than the setting)."""


@dataclass(frozen=True)
class StudyOptions:
    """Study-wide settings that every worker must agree on, stored with the study.

    Attributes:
        budget: study-wide number of finished (complete or stopped) trials to reach; None = no end.
        heartbeat_interval: seconds between a running trial's heartbeats.
        grace: seconds without a heartbeat after which a running trial's worker is taken as dead.
        retries: how many times a trial whose worker died is re-queued with the same params.
        stopping: the early-stopping rule as a plain table, ``{"rule": "asha" | "hyperband" |
            "median" | "none", <setting>: value, ...}`` (built by ``paramscope.stopping``); a
            missing ``rule`` means the default, ASHA. It acts only on objectives that report.
    """

    budget: int | None = None
    heartbeat_interval: float = 5.0
    grace: float = 60.0
    retries: int = 0
    stopping: Mapping[str, Any] = field(default_factory=lambda: frozen(DEFAULT_STOPPING))

    def __post_init__(self) -> None:
        object.__setattr__(self, "stopping", frozen(self.stopping))


@dataclass(frozen=True)
class StudySpec:
    """Everything that defines a study; two specs with equal ``signature()`` are the same study.

    ``objective`` is the study file's ``[objective]`` table (command or function, timeout), kept
    so that ``paramscope worker`` can join a study from another machine with only its name.
    """

    name: str
    space: Space
    objectives: Mapping[str, Direction] = field(default_factory=lambda: frozen({"value": "min"}))
    constraints: Mapping[str, tuple[ConstraintOp, float]] = field(default_factory=FrozenDict)
    sampler: str = "bayes"
    seed: int | None = None
    objective: Mapping[str, Any] | None = None
    options: StudyOptions = field(default_factory=StudyOptions)
    sampler_options: Mapping[str, Any] = field(default_factory=FrozenDict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "objectives", frozen(self.objectives))
        object.__setattr__(self, "sampler_options", frozen(self.sampler_options))
        object.__setattr__(self, "constraints", frozen(self.constraints))
        if self.objective is not None:
            object.__setattr__(self, "objective", frozen(self.objective))

    def signature(self) -> dict[str, Any]:
        """What must match for a second ``create`` under the same name to resume, not clash."""
        return {
            "space": self.space.to_dict(),
            "objectives": dict(self.objectives),
            "constraints": {k: list(v) for k, v in self.constraints.items()},
        }


@dataclass(frozen=True)
class StudySummary:
    """One line of the studies list (CLI ``status``, dashboard home)."""

    name: str
    counts: Mapping[TrialState, int]
    best_value: float | None
    last_activity: datetime | None
    direction: Direction


class AskStatus(StrEnum):
    CLAIMED = "claimed"  # a trial is now running for the caller
    NEED_PARAMS = "need_params"  # nothing queued: call again with proposed params
    WAIT = "wait"  # budget is taken by running trials; one may fail, so ask again later
    DONE = "done"  # the budget of finished trials is reached
    CONFLICT = "conflict"  # params were proposed for a number another worker took: propose again


@dataclass(frozen=True)
class AskResult:
    status: AskStatus
    trial: Trial | None = None


@dataclass(frozen=True)
class Outcome:
    """The end of a trial as told: its final state, values (objectives first) and error text."""

    state: TrialState
    values: Mapping[str, float] = field(default_factory=FrozenDict)
    error: str | None = None


class StudyCatalog(Protocol):
    def create_study(self, spec: StudySpec) -> StudySpec: ...
    def load_study(self, name: str) -> StudySpec: ...
    def list_studies(self) -> list[StudySummary]: ...


class TrialWriter(Protocol):
    def enqueue(self, study: str, params: Params) -> Trial: ...
    def ask(
        self,
        study: str,
        *,
        worker: str,
        budget: int | None,
        params: Params | None = None,
        expected_number: int | None = None,
    ) -> AskResult: ...
    def tell(self, study: str, number: int, outcome: Outcome) -> Trial: ...


class TrialMonitor(Protocol):
    def heartbeat(self, study: str, numbers: Sequence[int]) -> None: ...
    def report(self, study: str, number: int, step: int, value: float) -> None: ...
    def reap(self, study: str, *, grace: float, retries: int) -> list[Trial]: ...


class TrialReader(Protocol):
    def trials(
        self, study: str, *, states: Sequence[TrialState] | None = None, since: int = 0
    ) -> list[Trial]: ...
    def counts(self, study: str) -> dict[TrialState, int]: ...


class Storage(StudyCatalog, TrialWriter, TrialMonitor, TrialReader, Protocol):
    """The union the study uses; implementations may serve only the parts a reader needs."""

    url: str

    def set_options(self, study: str, options: StudyOptions) -> StudySpec: ...
    def close(self) -> None: ...
