"""Pareto plot data: the front of 2 or 3 objectives, dominated and infeasible trials, no drawing.

The front comes from ``paramscope.ranking.pareto_front`` (the same ranking the study, the CLI and
the dashboard use), computed over the objectives drawn. With ``max_points`` every front trial is
kept (unless the front alone is larger) and the others are subsampled evenly by trial number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from paramscope.errors import ConfigError
from paramscope.plots.study_data import finite_value
from paramscope.plots.thinning import check_direction, check_max_points, evenly
from paramscope.ranking import is_feasible, pareto_front
from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import Trial, TrialState


@dataclass(frozen=True)
class ParetoPoints:
    """Trials and their objective values, one tuple per trial in the objectives' order."""

    numbers: tuple[int, ...] = ()
    values: tuple[tuple[float, ...], ...] = ()

    def column(self, k: int) -> tuple[float, ...]:
        """The values of the ``k``-th objective."""
        return tuple(v[k] for v in self.values)


@dataclass(frozen=True)
class ParetoData:
    """What a Pareto plot draws.

    Attributes:
        objectives, directions: the 2 or 3 objectives drawn, in order, and which way is better.
        front: the feasible trials no other dominates, sorted by the first objective.
        dominated: the other feasible complete trials; ``infeasible``: those violating a
            constraint (never on the front).
        total: complete trials with every objective before thinning; ``shown``: drawn.
    """

    objectives: tuple[str, ...]
    directions: tuple[Direction, ...]
    front: ParetoPoints
    dominated: ParetoPoints
    infeasible: ParetoPoints
    total: int
    shown: int


def check_front_objectives(objectives: Mapping[str, str]) -> dict[str, Direction]:
    """Check that 2 or 3 objectives (name -> direction) are to be drawn.

    Example:
        >>> check_front_objectives({"loss": "min"})
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: objectives: expected 2 or 3 objectives for a Pareto front, got ['loss']
    """  # noqa: E501
    if not isinstance(objectives, Mapping) or len(objectives) not in (2, 3):
        got = list(objectives) if isinstance(objectives, Mapping) else repr(objectives)
        raise ConfigError(f"objectives: expected 2 or 3 objectives for a Pareto front, got {got}")
    return {str(n): check_direction(d) for n, d in objectives.items()}


def _points(rows: Sequence[tuple[Trial, tuple[float, ...]]]) -> ParetoPoints:
    return ParetoPoints(tuple(t.number for t, _ in rows), tuple(v for _, v in rows))


def pareto_data(
    trials: Sequence[Trial],
    objectives: Mapping[str, str],
    *,
    constraints: Mapping[str, tuple[ConstraintOp, float]] | None = None,
    max_points: int | None = None,
) -> ParetoData:
    """Split the complete trials into the Pareto front of ``objectives``, dominated, infeasible.

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"a": a, "b": b})
        ...       for i, (a, b) in enumerate([(1, 3), (2, 2), (3, 3), (3, 1)])]
        >>> data = pareto_data(ts, {"a": "min", "b": "min"})
        >>> data.front.numbers, data.dominated.numbers, data.front.column(0)
        ((0, 1, 3), (2,), (1.0, 2.0, 3.0))
    """
    directions = check_front_objectives(objectives)
    max_points = check_max_points(max_points)
    names = tuple(directions)
    rules = constraints or {}
    rows: list[tuple[Trial, tuple[float, ...]]] = []
    for trial in sorted(trials, key=lambda t: t.number):
        values = [finite_value(trial, n) for n in names]
        if trial.state == TrialState.COMPLETE and all(v is not None for v in values):
            rows.append((trial, tuple(float(v or 0.0) for v in values)))
    on_front = {t.number for t in pareto_front([t for t, _ in rows], directions, rules)}
    front = sorted((r for r in rows if r[0].number in on_front), key=lambda r: (r[1], r[0].number))
    others = [r for r in rows if r[0].number not in on_front]
    if max_points is not None and len(rows) > max_points:
        front = [front[i] for i in evenly(len(front), max_points)]
        others = [others[i] for i in evenly(len(others), max_points - len(front))]
    feasible = [r for r in others if is_feasible(r[0], rules)]
    infeasible = [r for r in others if not is_feasible(r[0], rules)]
    return ParetoData(
        objectives=names,
        directions=tuple(directions.values()),
        front=_points(front),
        dominated=_points(feasible),
        infeasible=_points(infeasible),
        total=len(rows),
        shown=len(front) + len(others),
    )
