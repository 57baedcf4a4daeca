"""Dashboard figures: server-side data steps that keep a 100,000-trial study's plots small.

A study page never ships every trial to the browser. The history keeps every point where the
best-so-far improves plus the lowest and highest value of each of ``max_points / 2`` equal runs
of trials (so the envelope and every step of the best line survive); parallel coordinates and
importance use the best trials plus an evenly spaced sample; the Pareto front keeps every front
point plus a thinned sample of the dominated ones. These functions choose the rows; the history
and Pareto plots are then drawn by ``paramscope.plots`` from those rows alone. Parallel
coordinates and importance bars are drawn here as plain plotly JSON: parallel coordinates as SVG
lines (plotly's ``parcoords`` needs WebGL, which compiles code at run time, which the dashboard's
Content-Security-Policy forbids), importance by a given-data estimate that takes milliseconds
(``plots.plot_importance`` refits a GP, seconds per refresh).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from paramscope.hypervolume import pareto_mask
from paramscope.space import Choice, Float, Space
from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import Trial, TrialState

FloatArray = NDArray[np.float64]
MAX_POINTS = 2000
"""The most points a history or Pareto plot sends (thinning keeps its shape)."""
SAMPLE = 1000
"""The most trials parallel coordinates and importance use."""
LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
    "height": 360,
    "template": {"layout": {"font": {"family": "system-ui, sans-serif", "size": 12}}},
}


@dataclass(frozen=True)
class Columns:
    """The complete trials of a study as arrays: numbers, objectives, feasibility.

    Attributes:
        numbers: ``(n,)`` trial numbers in increasing order.
        values: ``(n, k)`` objective values in the objectives' own units (NaN if missing).
        feasible: ``(n,)`` whether every constraint holds (and every objective is present).
        objectives: the objectives' names and directions, in study order.
        limits: ``(n, c)`` constraint values, in the study's constraint order (NaN if missing).
    """

    numbers: NDArray[np.int64]
    values: FloatArray
    feasible: NDArray[np.bool_]
    objectives: tuple[tuple[str, Direction], ...]
    limits: FloatArray

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[tuple[Any, ...]],
        objectives: Mapping[str, Direction],
        constraints: Mapping[str, tuple[ConstraintOp, float]],
    ) -> Columns:
        """Build from ``(number, *objectives, *constraints)`` rows (None for a missing value).

        Example:
            >>> c = Columns.from_rows([(0, 2.0, 5.0), (1, 1.0, 9.0)], {"v": "min"},
            ...                       {"mem": ("<=", 8.0)})
            >>> c.feasible.tolist(), c.best_number()
            ([True, False], 0)
        """
        k = len(objectives)
        table = np.array([[math.nan if v is None else v for v in row] for row in rows], float)
        table = table.reshape(len(rows), 1 + k + len(constraints))
        feasible = ~np.isnan(table[:, 1 : 1 + k]).any(axis=1)
        for j, (op, bound) in enumerate(constraints.values()):
            column = table[:, 1 + k + j]
            with np.errstate(invalid="ignore"):
                feasible &= (column <= bound) if op == "<=" else (column >= bound)
        numbers = table[:, 0].astype(np.int64)
        limits = table[:, 1 + k :]
        return cls(numbers, table[:, 1 : 1 + k], feasible, tuple(objectives.items()), limits)

    def minimized(self, index: int = 0) -> FloatArray:
        """Objective ``index`` with its sign flipped for a "max" objective."""
        sign = -1.0 if self.objectives[index][1] == "max" else 1.0
        out: FloatArray = sign * self.values[:, index]
        return out

    def best_number(self) -> int | None:
        """The number of the best feasible trial on the first objective (ties: the earliest)."""
        y = np.where(self.feasible, self.minimized(0), np.inf)
        if not len(y) or not np.isfinite(y.min()):
            return None
        return int(self.numbers[int(np.argmin(y))])


def thin_history(
    columns: Columns, *, index: int = 0, max_points: int = MAX_POINTS
) -> NDArray[np.int64]:
    """Rows the history of objective ``index`` draws: at most about ``max_points``.

    Every row where the feasible best-so-far improves is kept (so a best-so-far line drawn
    through the kept rows is exact), plus the lowest and highest value of each of
    ``max_points / 2`` equal runs of rows, which keeps the cloud's envelope.

    Example:
        >>> c = Columns.from_rows([(i, float(1000 - i), None) for i in range(5000)],
        ...                       {"v": "min"}, {"m": ("<=", 1.0)})   # all infeasible
        >>> len(thin_history(c, max_points=100))
        100
        >>> c = Columns.from_rows([(i, float(i % 10)) for i in range(5000)], {"v": "max"}, {})
        >>> rows = thin_history(c, max_points=100)   # 100 picks and the 9 improvements
        >>> len(rows), [int(r) for r in rows[:10]] == list(range(10))
        (108, True)
    """
    y = columns.minimized(index)
    n = len(y)
    if n <= max_points:
        return np.arange(n, dtype=np.int64)
    best = np.minimum.accumulate(np.where(columns.feasible, y, np.inf))
    improves = np.flatnonzero(np.isfinite(best) & (np.r_[np.inf, best[:-1]] > best))
    bins = np.array_split(np.arange(n), max(1, max_points // 2))
    picks = [b[[int(np.nanargmin(y[b])), int(np.nanargmax(y[b]))]] for b in bins if len(b)]
    return np.unique(np.concatenate([*picks, improves])).astype(np.int64)


def sample_numbers(columns: Columns, *, limit: int = SAMPLE) -> list[int]:
    """The best fifth of ``limit`` trials (first objective) plus an even spread of the rest.

    Example:
        >>> c = Columns.from_rows([(i, float(i), None) for i in range(100)], {"v": "max"},
        ...                       {"m": ("<=", 1.0)})
        >>> s = sample_numbers(c, limit=10); len(s), 99 in s, 0 in s
        (10, True, True)
    """
    n = len(columns.numbers)
    if n <= limit:
        return [int(x) for x in columns.numbers]
    order = np.argsort(np.where(columns.feasible, columns.minimized(0), np.inf), kind="stable")
    best = set(order[: limit // 5].tolist())
    rest = [i for i in range(n) if i not in best]
    spread = np.linspace(0, len(rest) - 1, limit - len(best)).round().astype(int)
    chosen = sorted(best | {rest[i] for i in spread})
    return [int(columns.numbers[i]) for i in chosen]


def _float(value: Any) -> float | None:
    return None if value is None or not math.isfinite(float(value)) else float(value)


def _axis(name: str, param: Any, values: Sequence[Any]) -> tuple[str, list[float | None], Any]:
    """One axis of parallel coordinates: its label, values scaled to [0, 1], tick labels."""
    if isinstance(param, Choice):
        index = {str(o): i for i, o in enumerate(param.options)}
        span = max(1, len(param.options) - 1)
        scaled = [None if str(v) not in index else index[str(v)] / span for v in values]
        return name, scaled, [str(o) for o in param.options]
    log = isinstance(param, Float) and param.log
    raw = [_float(math.log10(v) if log and v and v > 0 else (None if log else v)) for v in values]
    present = [v for v in raw if v is not None]
    low, high = (min(present), max(present)) if present else (0.0, 1.0)
    width = (high - low) or 1.0
    scaled = [None if v is None else (v - low) / width for v in raw]
    ends = [10**low, 10**high] if log else [low, high]
    return (f"{name} (log)" if log else name), scaled, ends


def parallel_figure(trials: Sequence[Trial], space: Space, objective: str, total: int) -> Any:
    """Parallel coordinates of a sample of complete trials, colored by ``objective``.

    Drawn as SVG polylines (one trace per color band, trials separated by gaps) rather than
    plotly's WebGL ``parcoords``: it needs no GPU and no ``eval``, so it renders under the
    dashboard's strict Content-Security-Policy and in any browser.
    """
    names = [*space.names, objective]
    params: list[Any] = [space[n] for n in space.names] + [None]
    columns = [[t.params.get(n) for t in trials] for n in space.names]
    columns.append([t.values.get(objective) for t in trials])
    axes = [_axis(n, p, c) for n, p, c in zip(names, params, columns, strict=True)]
    color = np.array([_float(t.values.get(objective)) for t in trials], float)  # None -> nan
    bands = 8
    finite = color[np.isfinite(color)]
    edges = np.quantile(finite, np.linspace(0, 1, bands + 1)[1:-1]) if len(finite) else []
    band = np.searchsorted(edges, color, side="right")
    palette = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39"]
    palette.append("#fde725")
    traces = []
    for b in range(bands):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for i in np.flatnonzero(band == b):
            xs.extend([*range(len(axes)), None])
            ys.extend([*(axis[1][i] for axis in axes), None])
        low = float(edges[b - 1]) if b > 0 else float(finite.min()) if len(finite) else 0.0
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": xs,
                "y": ys,
                "name": f"{objective} ≥ {low:.4g}",
                "line": {"color": palette[b], "width": 1},
                "opacity": 0.5,
                "hoverinfo": "skip",
            }
        )
    notes = []
    for j, (label, _, ends) in enumerate(axes):
        notes.append({"x": j, "y": 1.08, "text": f"<b>{label}</b>", "showarrow": False})
        if isinstance(ends[0], str):
            span = max(1, len(ends) - 1)
            notes += [
                {"x": j, "y": k / span, "text": e, "showarrow": False, "xanchor": "left"}
                for k, e in enumerate(ends)
            ]
        else:
            notes += [
                {"x": j, "y": y, "text": f"{v:.3g}", "showarrow": False, "xanchor": "left"}
                for y, v in ((0.0, ends[0]), (1.0, ends[1]))
            ]
    shapes = [
        {"type": "line", "x0": j, "x1": j, "y0": 0, "y1": 1, "line": {"color": "#444", "width": 1}}
        for j in range(len(axes))
    ]
    title = f"parallel coordinates ({len(trials)} of {total} complete trials)"
    layout = {**LAYOUT, "title": {"text": title}, "annotations": notes, "shapes": shapes}
    layout["xaxis"] = {"visible": False, "range": [-0.2, len(axes) - 0.6]}
    layout["yaxis"] = {"visible": False, "range": [-0.05, 1.15]}
    layout["showlegend"] = True
    return {"data": traces, "layout": layout}


def importance(trials: Sequence[Trial], space: Space, objective: str) -> dict[str, float]:
    """First-order importance of each parameter from given data: the correlation ratio.

    The share of the variance of the objective's ranks explained by the parameter alone
    (categories for a Choice, up to ten quantile bins of ten or more trials otherwise; with
    fewer than 20 trials every score is 0): a given-data estimate of the
    first-order Sobol index of the rank-transformed objective, in ``[0, 1]``.

    Example:
        >>> import paramscope as ps
        >>> rng = np.random.default_rng(0)
        >>> space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
        >>> ts = [Trial(number=i, params={"a": a, "b": b}, state="complete",
        ...             values={"value": 10 * a + b})
        ...       for i, (a, b) in enumerate(rng.random((200, 2)))]
        >>> imp = importance(ts, space, "value"); imp["a"] > 0.8 > 0.1 > imp["b"]
        True
    """
    rows = [t for t in trials if _float(t.values.get(objective)) is not None]
    bins = min(10, len(rows) // 10)
    if bins < 2:
        return dict.fromkeys(space.names, 0.0)
    y = np.array([t.values[objective] for t in rows], float)
    ranks = np.argsort(np.argsort(y, kind="stable"), kind="stable").astype(float)
    total = float(((ranks - ranks.mean()) ** 2).sum()) or 1.0
    out: dict[str, float] = {}
    for name in space.names:
        raw = [t.params.get(name) for t in rows]
        if isinstance(space[name], Choice):
            groups = np.array([str(v) for v in raw])
        else:
            x = np.array([np.nan if v is None else float(v) for v in raw], float)
            edges = np.unique(np.nanquantile(x, np.linspace(0, 1, bins + 1)[1:-1]))
            groups = np.searchsorted(edges, x, side="right").astype(str)
        explained = 0.0
        for group in np.unique(groups):
            member = ranks[groups == group]
            explained += len(member) * (member.mean() - ranks.mean()) ** 2
        out[name] = float(explained / total)
    return out


def importance_figure(scores: Mapping[str, float], objective: str, sample: int) -> Any:
    """Horizontal bars of importance scores, largest on top.

    Example:
        >>> importance_figure({"a": 0.7, "b": 0.1}, "value", 50)["data"][0]["y"]
        ['b', 'a']
    """
    order = sorted(scores, key=lambda n: scores[n])
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [round(scores[n], 4) for n in order],
        "y": order,
        "marker": {"color": "#72b7b2"},
    }
    title = f"importance for {objective} (correlation ratio of ranks, {sample} trials)"
    layout = {**LAYOUT, "title": {"text": title}, "xaxis": {"range": [0, 1]}}
    return {"data": [trace], "layout": layout}


def front_mask(columns: Columns) -> NDArray[np.bool_]:
    """Which feasible complete trials no other feasible one dominates (all objectives).

    ``hypervolume.pareto_mask`` does the work (O(n log n) for two objectives, so 100,000
    trials cost well under a second).

    Example:
        >>> c = Columns.from_rows([(0, 1, 3), (1, 2, 2), (2, 3, 3), (3, 3, 1)],
        ...                       {"a": "min", "b": "min"}, {})
        >>> front_mask(c).tolist()
        [True, True, False, True]
    """
    ys = np.column_stack([columns.minimized(j) for j in range(len(columns.objectives))])
    mask = np.zeros(len(ys), dtype=bool)
    rows = np.flatnonzero(columns.feasible)
    if not len(rows):
        return mask
    mask[rows[pareto_mask(ys[rows])]] = True
    return mask


def pareto_rows(columns: Columns, *, max_points: int = MAX_POINTS) -> NDArray[np.int64]:
    """Rows to draw in a Pareto plot: every front trial, and an even sample of the others.

    Any subset that holds the whole front has the same front (a dominated trial is dominated
    by a front trial), so a plot recomputing the front from these rows draws the true one.

    Example:
        >>> c = Columns.from_rows([(i, float(i), float(-i % 7)) for i in range(100)],
        ...                       {"a": "min", "b": "min"}, {})
        >>> rows = pareto_rows(c, max_points=10)
        >>> len(rows), set(np.flatnonzero(front_mask(c))) <= set(rows)   # trial 0 is the front
        (11, True)
    """
    front = front_mask(columns)
    others = np.flatnonzero(~front)
    if len(others) > max_points:
        others = others[np.linspace(0, len(others) - 1, max_points).round().astype(int)]
    return np.union1d(np.flatnonzero(front), others).astype(np.int64)


def light_trials(
    columns: Columns, rows: Sequence[int] | NDArray[np.int64], constraints: Sequence[str]
) -> list[Trial]:
    """Complete-trial records of these rows with values only (objectives and constraints).

    Enough for the history and Pareto plots of ``paramscope.plots``, which read no params.

    Example:
        >>> c = Columns.from_rows([(4, 2.0, 9.0)], {"v": "min"}, {"mem": ("<=", 8.0)})
        >>> light_trials(c, [0], ["mem"])[0].values
        {'v': 2.0, 'mem': 9.0}
    """
    names = [name for name, _ in columns.objectives]
    out = []
    for i in rows:
        values = {n: float(v) for n, v in zip(names, columns.values[i], strict=True)}
        values.update(
            (n, float(v)) for n, v in zip(constraints, columns.limits[i], strict=True) if v == v
        )
        number = int(columns.numbers[i])
        out.append(Trial(number=number, params={}, state=TrialState.COMPLETE, values=values))
    return out
