"""Sampler protocol: from an immutable history to the next parameter dicts to run.

A sampler never sees the study or the database, only a ``History`` snapshot: the space, the
objective directions and constraints, every trial so far (running and queued ones included, so a
parallel sampler can steer away from pending points) and the study's seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from paramscope.space import Params, Space
from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import FrozenDict, Trial, TrialState, frozen


@dataclass(frozen=True)
class History:
    """A snapshot of a study for a sampler. ``trials`` are in number order."""

    space: Space
    trials: tuple[Trial, ...] = ()
    objectives: Mapping[str, Direction] = field(default_factory=lambda: frozen({"value": "min"}))
    constraints: Mapping[str, tuple[ConstraintOp, float]] = field(default_factory=FrozenDict)
    seed: int | None = None

    @property
    def next_number(self) -> int:
        return self.trials[-1].number + 1 if self.trials else 0

    @property
    def complete(self) -> list[Trial]:
        return [t for t in self.trials if t.state == TrialState.COMPLETE]

    @property
    def pending(self) -> list[Trial]:
        """Trials whose result is not known yet: running or queued."""
        return [t for t in self.trials if t.state in (TrialState.RUNNING, TrialState.QUEUED)]


class Sampler(Protocol):
    """Proposes ``n`` parameter dicts; the same history and seed must give the same proposals."""

    def suggest(self, history: History, n: int = 1) -> list[Params]: ...
