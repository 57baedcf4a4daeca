"""Report-curve plot: the values each trial reported while running, and where trials stopped.

``intermediate_data`` is the pure data step (a frozen record of tuples, no plotly);
``render_intermediate`` draws it, one line trace per trial state with the curves separated by
gaps (one trace per state, not per trial, so thousands of curves stay fast to draw).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paramscope.plots.study_render import COLORS, empty_figure, thinned_note
from paramscope.plots.thinning import check_direction, check_max_points, evenly, thin
from paramscope.storage.base import Direction
from paramscope.trial import Trial, TrialState

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass(frozen=True)
class Curve:
    """One trial's reported values (``trial.report(step, value)``) in step order."""

    number: int
    state: str
    steps: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class IntermediateData:
    """The report curves of the trials that reported, and how many there were before thinning."""

    direction: Direction
    curves: tuple[Curve, ...]
    total: int


def intermediate_data(
    trials: Sequence[Trial],
    *,
    direction: Direction = "min",
    max_points: int | None = None,
) -> IntermediateData:
    """Each reporting trial's curve; ``max_points`` bounds the curves and each curve's steps.

    Curves are thinned like trials (a complete trial whose final report beats every earlier
    one's is always kept); each curve keeps its first and last step and evenly spaced ones.

    Example:
        >>> ts = [Trial(number=0, params={}, state="stopped", reports={2: 0.5, 1: 0.9}),
        ...       Trial(number=1, params={}, state="complete")]
        >>> intermediate_data(ts).curves
        (Curve(number=0, state='stopped', steps=(1, 2), values=(0.9, 0.5)),)
    """
    direction = check_direction(direction)
    max_points = check_max_points(max_points)
    reporting = [t for t in sorted(trials, key=lambda t: t.number) if t.reports]
    keys: list[float | None] = []
    for trial in reporting:
        last = trial.reports[max(trial.reports)]
        keys.append(float(last) if trial.state == TrialState.COMPLETE else None)
    curves = []
    for i in thin(keys, direction=direction, max_points=max_points):
        trial = reporting[i]
        steps = sorted(trial.reports)
        if max_points is not None:
            steps = [steps[j] for j in evenly(len(steps), max_points)]
        curves.append(
            Curve(
                trial.number,
                str(trial.state),
                tuple(int(s) for s in steps),
                tuple(float(trial.reports[s]) for s in steps),
            )
        )
    return IntermediateData(direction, tuple(curves), len(reporting))


def render_intermediate(data: IntermediateData) -> go.Figure:
    """Report curves, one trace per trial state (curves split by gaps); stopped ends marked.

    Example:
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=0, params={}, state="stopped", reports={1: 0.9, 2: 0.5}),
        ...       Trial(number=1, params={}, state="complete", reports={1: 0.4, 2: 0.2})]
        >>> [trace.name for trace in render_intermediate(intermediate_data(ts)).data]
        ['complete', 'stopped', 'stopped here']
    """
    import plotly.graph_objects as go

    if not data.curves:
        return empty_figure("Intermediate values: no trial reported any (trial.report)")
    figure = go.Figure()
    for state in ("complete", "stopped", "failed", "running"):
        curves = [c for c in data.curves if c.state == state]
        if not curves:
            continue
        x: list[int | None] = []
        y: list[float | None] = []
        ids: list[int | None] = []
        for curve in curves:
            x += [*curve.steps, None]
            y += [*curve.values, None]
            ids += [curve.number] * len(curve.steps) + [None]
        figure.add_scatter(
            x=x,
            y=y,
            mode="lines",
            name=state,
            customdata=ids,
            hovertemplate=f"trial %{{customdata}} ({state})<br>step %{{x}}: %{{y:.6g}}"
            "<extra></extra>",
            line={"color": COLORS[state], "width": 1.5},
            connectgaps=False,
        )
    stopped = [c for c in data.curves if c.state == "stopped" and c.steps]
    if stopped:
        figure.add_scatter(
            x=[c.steps[-1] for c in stopped],
            y=[c.values[-1] for c in stopped],
            mode="markers",
            name="stopped here",
            customdata=[c.number for c in stopped],
            hovertemplate="trial %{customdata} stopped at step %{x}<extra></extra>",
            marker={"symbol": "x", "size": 9, "color": COLORS["stopped"]},
        )
    shown = len(data.curves)
    figure.update_layout(
        title=f"Intermediate values ({data.direction}): {shown} trials, {len(stopped)} stopped"
        f"{thinned_note(shown, data.total)}",
        xaxis_title="step",
        yaxis_title="reported value",
        template="plotly_white",
    )
    return figure
