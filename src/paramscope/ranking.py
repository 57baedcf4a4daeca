"""Ranking: feasibility, the best trial and the Pareto front of a set of finished trials.

Pure functions of trial records and the study's objective directions and constraints; the study,
the CLI and the dashboard all rank trials through here so they never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import Trial, TrialState


def is_feasible(trial: Trial, constraints: Mapping[str, tuple[ConstraintOp, float]]) -> bool:
    """Whether every constraint value the trial returned satisfies its bound.

    Example:
        >>> t = Trial(number=0, params={}, state="complete", values={"value": 1.0, "mem": 3.0})
        >>> is_feasible(t, {"mem": ("<=", 4.0)})
        True
    """
    for name, (op, bound) in constraints.items():
        value = trial.values.get(name)
        if value is None:
            return False
        if (op == "<=" and not value <= bound) or (op == ">=" and not value >= bound):
            return False
    return True


def _ranked(
    trials: Sequence[Trial], constraints: Mapping[str, tuple[ConstraintOp, float]]
) -> list[Trial]:
    return [t for t in trials if t.state == TrialState.COMPLETE and is_feasible(t, constraints)]


def best_trial(
    trials: Sequence[Trial],
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]],
) -> Trial | None:
    """The complete, feasible trial with the best first objective (ties: the earliest), or None.

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"value": v})
        ...       for i, v in enumerate([3.0, 1.0, 2.0])]
        >>> best_trial(ts, {"value": "min"}, {}).number
        1
    """
    name, direction = next(iter(objectives.items()))
    candidates = [t for t in _ranked(trials, constraints) if name in t.values]
    if not candidates:
        return None
    sign = 1.0 if direction == "min" else -1.0
    return min(candidates, key=lambda t: (sign * t.values[name], t.number))


def pareto_front(
    trials: Sequence[Trial],
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]],
) -> list[Trial]:
    """The complete, feasible trials that no other such trial dominates, in number order.

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"a": a, "b": b})
        ...       for i, (a, b) in enumerate([(1, 3), (2, 2), (3, 3), (3, 1)])]
        >>> [t.number for t in pareto_front(ts, {"a": "min", "b": "min"}, {})]
        [0, 1, 3]
    """
    names = list(objectives)
    candidates = [t for t in _ranked(trials, constraints) if all(n in t.values for n in names)]
    if not candidates:
        return []
    signs = np.array([1.0 if objectives[n] == "min" else -1.0 for n in names])
    points = np.array([[t.values[n] for n in names] for t in candidates]) * signs
    keep = []
    for i, point in enumerate(points):
        dominated = np.all(points <= point, axis=1) & np.any(points < point, axis=1)
        if not dominated.any():
            keep.append(candidates[i])
    return keep
