"""Median rule: stop a trial whose best value so far is worse than the others' median at its step.

The classic median stopping rule (Golovin et al. 2017, Optuna's ``MedianPruner``): after
``warmup_steps``, a trial stops at step ``s`` when the best value it has reported so far is
strictly worse than the median of the values the other trials reported at step ``s``, once at
least ``min_trials`` of them have reported there.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any, ClassVar

from paramscope.stopping.base import Curves, Progress, better_or_equal, check_int, others_than
from paramscope.storage.base import Direction


@dataclass(frozen=True)
class MedianRule:
    """Stop a trial whose best value so far is worse than the median of the others at its step.

    Args:
        warmup_steps: No trial stops before this step (an integer >= 0).
        min_trials: Other trials that must have reported at the step before any stop (>= 1).

    Example:
        >>> rule = MedianRule(warmup_steps=1, min_trials=3)
        >>> others = {0: {2: 0.3}, 1: {2: 0.4}, 2: {2: 0.5}}
        >>> rule.should_stop(Progress(3, {0: 0.9, 1: 0.6, 2: 0.45}), others, "min")
        True
        >>> rule.should_stop(Progress(3, {0: 0.9, 1: 0.35, 2: 0.45}), others, "min")  # best 0.35
        False
    """

    warmup_steps: int = 0
    min_trials: int = 5

    name: ClassVar[str] = "median"

    def __post_init__(self) -> None:
        check_int(self.warmup_steps, "warmup_steps", least=0)
        check_int(self.min_trials, "min_trials", least=1)

    def should_stop(self, trial: Progress, others: Curves, direction: Direction) -> bool:
        """Compare the trial's best value so far with the median at its latest step."""
        step = trial.step
        if step < self.warmup_steps:
            return False
        peers = [curve[step] for curve in others_than(trial.number, others) if step in curve]
        if len(peers) < self.min_trials:
            return False
        values = [v for s, v in trial.reports.items() if s <= step]
        best = min(values) if direction == "min" else max(values)
        return not better_or_equal(best, statistics.median(peers), direction)

    def to_config(self) -> dict[str, Any]:
        return {"rule": self.name, "warmup_steps": self.warmup_steps, "min_trials": self.min_trials}
