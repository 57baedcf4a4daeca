"""Study plot data: the pure steps behind the history, parallel coordinates and slice plots.

Each function takes trials (any states, any order) plus the settings it needs and returns a
frozen record of plain tuples, ready to draw or to serialize as JSON; nothing here imports plotly.
With ``max_points`` the trials drawn are thinned deterministically (``thinning.thin``): every
best-so-far improvement is kept, so the incumbent and the best-so-far line stay exact.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from paramscope.plots.thinning import check_direction, check_max_points, thin
from paramscope.ranking import is_feasible
from paramscope.space import Choice, Param, Space
from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import Trial, TrialState

Scale = Literal["linear", "log", "category"]


@dataclass(frozen=True)
class Points:
    """One group of trial markers: trial numbers and the objective's values."""

    numbers: tuple[int, ...] = ()
    values: tuple[float, ...] = ()


@dataclass(frozen=True)
class HistoryData:
    """The objective per trial number, by group, and the best-so-far staircase.

    Attributes:
        objective, direction: what is drawn, and which way is better.
        complete: complete trials that meet every constraint.
        infeasible: complete trials that violate a constraint (never the best).
        stopped: trials stopped early, at their last value (never the best).
        best: the best-so-far line: each improvement, then the last finished trial's number.
        counts: trials per state in the whole input (``failed`` ones are not drawn).
        total: markers before thinning; ``shown``: markers drawn.
    """

    objective: str
    direction: Direction
    complete: Points
    infeasible: Points
    stopped: Points
    best: Points
    counts: Mapping[str, int]
    total: int
    shown: int


def finite_value(trial: Trial, objective: str) -> float | None:
    """The trial's value of ``objective`` if it has a finite one, else None.

    Example:
        >>> finite_value(Trial(number=0, params={}, state="complete", values={"v": 2.0}), "v")
        2.0
    """
    value = trial.values.get(objective)
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


def _counts(trials: Sequence[Trial]) -> dict[str, int]:
    counts = {str(state): 0 for state in TrialState}
    for trial in trials:
        counts[str(trial.state)] += 1
    return counts


def _group(rows: Sequence[tuple[Trial, float]]) -> Points:
    return Points(tuple(t.number for t, _ in rows), tuple(v for _, v in rows))


def history_data(
    trials: Sequence[Trial],
    objective: str = "value",
    *,
    direction: Direction = "min",
    constraints: Mapping[str, tuple[ConstraintOp, float]] | None = None,
    max_points: int | None = None,
) -> HistoryData:
    """The optimization history of ``objective``: values per trial and the best so far.

    Complete trials are drawn (infeasible ones apart), stopped trials at their last value, failed
    ones only counted. The best-so-far line uses every complete, feasible trial, thinned or not.

    Example:
        >>> ts = [Trial(number=i, params={}, state=s, values={"value": v} if v else {})
        ...       for i, (s, v) in enumerate([("complete", 3.0), ("failed", None),
        ...                                   ("complete", 1.0), ("stopped", 5.0),
        ...                                   ("complete", 2.0)])]
        >>> data = history_data(ts)
        >>> data.complete.values, data.stopped.numbers, data.best, data.counts["failed"]
        ((3.0, 1.0, 2.0), (3,), Points(numbers=(0, 2, 4), values=(3.0, 1.0, 1.0)), 1)
    """
    direction = check_direction(direction)
    max_points = check_max_points(max_points)
    ordered = sorted(trials, key=lambda t: t.number)
    rows: list[tuple[Trial, float, str]] = []
    for trial in ordered:
        value = finite_value(trial, objective)
        if value is None or trial.state not in (TrialState.COMPLETE, TrialState.STOPPED):
            continue
        if trial.state == TrialState.STOPPED:
            rows.append((trial, value, "stopped"))
        elif is_feasible(trial, constraints or {}):
            rows.append((trial, value, "complete"))
        else:
            rows.append((trial, value, "infeasible"))
    keys = [v if kind == "complete" else None for _, v, kind in rows]
    kept = [rows[i] for i in thin(keys, direction=direction, max_points=max_points)]
    sign = 1.0 if direction == "min" else -1.0
    best: list[tuple[Trial, float]] = []
    for trial, value, kind in rows:
        if kind == "complete" and (not best or sign * value < sign * best[-1][1]):
            best.append((trial, value))
    last = max((t.number for t in ordered if t.state.is_finished), default=None)
    steps = [(t.number, v) for t, v in best]
    if best and last is not None and last > steps[-1][0]:
        steps.append((last, best[-1][1]))

    def group(kind: str) -> Points:
        return _group([(t, v) for t, v, k in kept if k == kind])

    return HistoryData(
        objective=objective,
        direction=direction,
        complete=group("complete"),
        infeasible=group("infeasible"),
        stopped=group("stopped"),
        best=Points(tuple(n for n, _ in steps), tuple(v for _, v in steps)),
        counts=_counts(ordered),
        total=len(rows),
        shown=len(kept),
    )


def complete_rows(
    trials: Sequence[Trial],
    objective: str,
    *,
    direction: Direction,
    max_points: int | None,
) -> tuple[list[tuple[Trial, float]], int]:
    """Complete trials with a finite ``objective`` in number order, thinned; and their count.

    Example:
        >>> ts = [Trial(number=i, params={}, state="complete", values={"v": float(v)})
        ...       for i, v in enumerate([4, 2, 3, 5, 1])]
        >>> rows, total = complete_rows(ts, "v", direction="min", max_points=3)
        >>> [t.number for t, _ in rows], total
        ([0, 1, 4], 5)
    """
    direction = check_direction(direction)
    max_points = check_max_points(max_points)
    rows = []
    for trial in sorted(trials, key=lambda t: t.number):
        value = finite_value(trial, objective)
        if trial.state == TrialState.COMPLETE and value is not None:
            rows.append((trial, value))
    picked = thin([v for _, v in rows], direction=direction, max_points=max_points)
    return [rows[i] for i in picked], len(rows)


def scale_of(param: Param) -> Scale:
    """How an axis of ``param`` is drawn: options as categories, log parameters on a log axis.

    Example:
        >>> from paramscope.space import Float, Int
        >>> scale_of(Float(1e-4, 1.0, log=True)), scale_of(Choice(["a"])), scale_of(Int(1, 3))
        ('log', 'category', 'linear')
    """
    if isinstance(param, Choice):
        return "category"
    return "log" if param.log else "linear"


def option_labels(param: Param) -> tuple[str, ...]:
    """The options of a ``Choice`` as axis labels (``()`` for other parameters).

    Example:
        >>> option_labels(Choice(["relu", 3, None]))
        ('relu', '3', 'None')
    """
    return tuple(str(o) for o in param.options) if isinstance(param, Choice) else ()


@dataclass(frozen=True)
class Dimension:
    """One axis of a parallel-coordinates plot.

    Attributes:
        label: the parameter (or objective) name.
        values: plotted coordinates per trial: the value, its log10 on a log axis, or the option's
            index for a ``Choice``.
        range: the axis range in plotted coordinates.
        tickvals, ticktext: ticks in plotted coordinates and their labels (``()``: automatic).
    """

    label: str
    values: tuple[float, ...]
    range: tuple[float, float]
    tickvals: tuple[float, ...] = ()
    ticktext: tuple[str, ...] = ()


@dataclass(frozen=True)
class ParallelData:
    """Parallel coordinates: one dimension per parameter, then the objective (also the colour)."""

    objective: str
    direction: Direction
    dimensions: tuple[Dimension, ...]
    numbers: tuple[int, ...]
    total: int


def _log_ticks(low: float, high: float) -> tuple[tuple[float, ...], tuple[str, ...]]:
    lo, hi = math.log10(low), math.log10(high)
    decades = list(range(math.ceil(lo - 1e-9), math.floor(hi + 1e-9) + 1))
    if len(decades) >= 2:
        return tuple(float(k) for k in decades), tuple(f"{10.0**k:g}" for k in decades)
    spots = [lo + (hi - lo) * i / 3 for i in range(4)]
    return tuple(spots), tuple(f"{10.0**s:.3g}" for s in spots)


def dimension(name: str, param: Param, values: Sequence[Any]) -> Dimension:
    """The parallel-coordinates axis of ``param`` over the trials' ``values``.

    Example:
        >>> from paramscope.space import Float
        >>> d = dimension("lr", Float(1e-4, 1e-1, log=True), [1e-3, 1e-2])
        >>> d.values, d.range, d.ticktext
        ((-3.0, -2.0), (-4.0, -1.0), ('0.0001', '0.001', '0.01', '0.1'))
        >>> dimension("act", Choice(["relu", "tanh"]), ["tanh"]).values
        (1.0,)
    """
    if isinstance(param, Choice):
        k = len(param.options)
        return Dimension(
            name,
            tuple(float(param.index(v)) for v in values),
            (0.0, float(k - 1)) if k > 1 else (-0.5, 0.5),
            tuple(float(i) for i in range(k)),
            option_labels(param),
        )
    if param.log:
        ticks, text = _log_ticks(float(param.low), float(param.high))
        rng = (math.log10(param.low), math.log10(param.high))
        return Dimension(name, tuple(math.log10(float(v)) for v in values), rng, ticks, text)
    low, high = float(param.low), float(param.high)
    return Dimension(
        name,
        tuple(float(v) for v in values),
        (low, high) if high > low else (low - 0.5, high + 0.5),
    )


def parallel_data(
    trials: Sequence[Trial],
    space: Space,
    *,
    objective: str = "value",
    direction: Direction = "min",
    max_points: int | None = None,
) -> ParallelData:
    """Parallel coordinates of the complete trials: every parameter, then ``objective``.

    Example:
        >>> from paramscope.space import Float
        >>> space = Space({"lr": Float(1e-3, 1.0, log=True), "act": Choice(["a", "b"])})
        >>> ts = [Trial(number=0, params={"lr": 0.01, "act": "b"}, state="complete",
        ...             values={"value": 0.5})]
        >>> [(d.label, d.values) for d in parallel_data(ts, space).dimensions]
        [('lr', (-2.0,)), ('act', (1.0,)), ('value', (0.5,))]
    """
    rows, total = complete_rows(trials, objective, direction=direction, max_points=max_points)
    dims = [dimension(n, p, [t.params[n] for t, _ in rows]) for n, p in space.items]
    values = tuple(v for _, v in rows)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if high <= low:
        low, high = low - 0.5, high + 0.5
    dims.append(Dimension(objective, values, (low, high)))
    return ParallelData(
        objective, check_direction(direction), tuple(dims), tuple(t.number for t, _ in rows), total
    )


@dataclass(frozen=True)
class SlicePanel:
    """One parameter's panel: the trials' values of it (option labels for a ``Choice``)."""

    name: str
    scale: Scale
    x: tuple[float | str, ...]
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class SliceData:
    """The objective against each parameter, one panel per parameter, same trials in each."""

    objective: str
    direction: Direction
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    panels: tuple[SlicePanel, ...]
    total: int


def _slice_x(param: Param, value: Any) -> float | str:
    return str(param.options[param.index(value)]) if isinstance(param, Choice) else float(value)


def slice_data(
    trials: Sequence[Trial],
    space: Space,
    *,
    objective: str = "value",
    direction: Direction = "min",
    max_points: int | None = None,
) -> SliceData:
    """The objective of the complete trials against each parameter.

    Example:
        >>> from paramscope.space import Float
        >>> space = Space({"x": Float(0.0, 1.0), "k": Choice(["a", "b"])})
        >>> ts = [Trial(number=i, params={"x": x, "k": k}, state="complete", values={"value": v})
        ...       for i, (x, k, v) in enumerate([(0.1, "a", 2.0), (0.9, "b", 1.0)])]
        >>> data = slice_data(ts, space)
        >>> data.values, [(p.name, p.scale, p.x) for p in data.panels]
        ((2.0, 1.0), [('x', 'linear', (0.1, 0.9)), ('k', 'category', ('a', 'b'))])
    """
    rows, total = complete_rows(trials, objective, direction=direction, max_points=max_points)
    panels = tuple(
        SlicePanel(
            name,
            scale_of(param),
            tuple(_slice_x(param, t.params[name]) for t, _ in rows),
            option_labels(param),
        )
        for name, param in space.items
    )
    return SliceData(
        objective,
        check_direction(direction),
        tuple(t.number for t, _ in rows),
        tuple(v for _, v in rows),
        panels,
        total,
    )
