"""Ranking: feasibility, the best trial, the Pareto front and its hypervolume over finished trials.

Pure functions of trial records and the study's objective directions and constraints; the study,
the CLI and the dashboard all rank trials through here so they never disagree. Objectives are
compared as minimized values (a "max" objective's sign flipped); a reference point is given in the
objectives' own units (for a "max" objective, the worst value that still counts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Real

import numpy as np

from paramscope.errors import ConfigError
from paramscope.hypervolume import hypervolume, pareto_mask, reference_point
from paramscope.space import FloatArray
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
    candidates = _scored(_ranked(trials, constraints), objectives)
    if not candidates:
        return []
    mask = pareto_mask(minimized(candidates, objectives))
    return [t for t, keep in zip(candidates, mask, strict=True) if keep]


def _scored(trials: Sequence[Trial], objectives: Mapping[str, Direction]) -> list[Trial]:
    return [t for t in trials if all(n in t.values for n in objectives)]


def minimized(trials: Sequence[Trial], objectives: Mapping[str, Direction]) -> FloatArray:
    """The trials' objective values ``(n, k)`` in ``objectives`` order, "max" ones negated.

    Example:
        >>> ts = [Trial(number=0, params={}, state="complete", values={"loss": 1.0, "acc": 0.9})]
        >>> minimized(ts, {"loss": "min", "acc": "max"}).tolist()
        [[1.0, -0.9]]
    """
    signs = np.array([1.0 if d == "min" else -1.0 for d in objectives.values()])
    values = [[float(t.values[n]) for n in objectives] for t in trials]
    out: FloatArray = np.array(values, dtype=float).reshape(len(trials), len(signs)) * signs
    return out


def _reference(
    reference: Mapping[str, float] | Sequence[float] | None,
    objectives: Mapping[str, Direction],
    Y: FloatArray,  # noqa: N803
) -> FloatArray | None:
    """The reference in minimized units: the given one (checked), or the default rule on ``Y``."""
    names = list(objectives)
    if reference is None:
        return reference_point(Y) if Y.shape[0] else None
    form = f"{{name: number}} for {names} or a sequence of {len(names)} numbers"
    if isinstance(reference, Mapping):
        if set(reference) != set(names):
            raise ConfigError(f"reference: expected {form}, got {dict(reference)!r}")
        raw = [reference[n] for n in names]
    elif isinstance(reference, np.ndarray):
        raw = reference.reshape(-1).tolist()
    elif isinstance(reference, Sequence) and not isinstance(reference, str | bytes):
        raw = list(reference)
    else:
        raise ConfigError(f"reference: expected {form}, got {reference!r}")
    ok = len(raw) == len(names) and all(
        isinstance(v, Real) and not isinstance(v, bool | np.bool_) and math.isfinite(v) for v in raw
    )
    if not ok:
        raise ConfigError(f"reference: expected {form}, got {reference!r}")
    signs = np.array([1.0 if d == "min" else -1.0 for d in objectives.values()])
    out: FloatArray = np.array(raw, dtype=float) * signs
    return out


def front_hypervolume(
    trials: Sequence[Trial],
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]],
    *,
    reference: Mapping[str, float] | Sequence[float] | None = None,
) -> float:
    """Hypervolume of the complete, feasible trials' objective values; 0.0 when there are none.

    Args:
        trials: any trials (running, failed and infeasible ones count for nothing).
        objectives: name -> "min" | "max".
        constraints: name -> (op, bound).
        reference: the worst value of each objective that still counts, by name or in order;
            default: the Pareto front's nadir plus 10% of its range (``reference_point``).

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"a": a, "b": b})
        ...       for i, (a, b) in enumerate([(1, 3), (2, 2), (3, 1)])]
        >>> front_hypervolume(ts, {"a": "min", "b": "min"}, {}, reference=(4, 4))
        6.0
        >>> front_hypervolume(ts, {"a": "min", "b": "max"}, {}, reference={"a": 4, "b": 0})
        9.0
    """
    points = minimized(_scored(_ranked(trials, constraints), objectives), objectives)
    r = _reference(reference, objectives, points)
    return 0.0 if r is None else hypervolume(points, r)


def hypervolume_history(
    trials: Sequence[Trial],
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]],
    *,
    reference: Mapping[str, float] | Sequence[float] | None = None,
) -> list[float]:
    """Hypervolume of the feasible Pareto front after each finished trial, in number order.

    One value per finished trial (complete, stopped or failed: each spent budget), counting the
    complete, feasible trials numbered up to it. The default reference is the one
    ``front_hypervolume`` uses for all the trials, held fixed, so the history never decreases and
    ends at ``front_hypervolume``.

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"a": a, "b": b})
        ...       for i, (a, b) in enumerate([(3, 3), (1, 3), (5, 5), (3, 1)])]
        >>> hypervolume_history(ts, {"a": "min", "b": "min"}, {}, reference=(4, 4))
        [1.0, 3.0, 3.0, 5.0]
    """
    finished = sorted((t for t in trials if t.state.is_finished), key=lambda t: t.number)
    scored = {id(t) for t in _scored(_ranked(finished, constraints), objectives)}
    points = minimized([t for t in finished if id(t) in scored], objectives)
    r = _reference(reference, objectives, points)
    out: list[float] = []
    current, used = 0.0, 0
    for t in finished:
        if r is not None and id(t) in scored:
            used += 1
            current = hypervolume(points[:used], r)
        out.append(current)
    return out
