"""Study plot renderers: draw the data steps' records as plotly figures, and export them to HTML.

Each ``render_*`` takes the frozen record of its data step (``study_data``, ``surface_data``,
``pareto_data``; report curves are drawn in ``curves``) and only draws: no ranking, fitting or
thinning happens here. A record without points gives an empty figure whose title says so.
``save_html`` writes a page that embeds plotly.js, so it opens offline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paramscope.errors import ConfigError
from paramscope.plots.pareto_data import ParetoData, ParetoPoints
from paramscope.plots.study_data import HistoryData, ParallelData, SliceData
from paramscope.plots.surface_data import MIN_SURFACE_TRIALS, ContourAxis, ContourData

if TYPE_CHECKING:
    import plotly.graph_objects as go

COLORS = {
    "complete": "#4c78a8",
    "stopped": "#f58518",
    "failed": "#e45756",
    "running": "#72b7b2",
    "infeasible": "#bab0ac",
    "dominated": "#b0b0b0",
    "best": "#d62728",
}
_SCALE = "Viridis"


def empty_figure(title: str) -> go.Figure:
    """A figure with no traces and ``title`` (e.g. "History of value: no complete trials").

    Example:
        >>> fig = empty_figure("History: no complete trials")
        >>> len(fig.data), fig.layout.title.text
        (0, 'History: no complete trials')
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    figure.update_layout(
        title=title, xaxis={"visible": False}, yaxis={"visible": False}, template="plotly_white"
    )
    return figure


def thinned_note(shown: int, total: int) -> str:
    return f"; {shown} of {total} drawn" if shown < total else ""


def _hover(label: str) -> str:
    return f"trial %{{customdata}}<br>{label}: %{{y:.6g}}<extra></extra>"


def render_history(data: HistoryData) -> go.Figure:
    """Objective per trial number: complete, infeasible and stopped markers, best-so-far line.

    Example:
        >>> from paramscope.plots.study_data import history_data
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=i, params={}, state="complete", values={"value": v})
        ...       for i, v in enumerate([3.0, 1.0, 2.0])]
        >>> [trace.name for trace in render_history(history_data(ts)).data]
        ['complete', 'best so far']
    """
    import plotly.graph_objects as go

    counts = data.counts
    head = f"History of {data.objective} ({data.direction})"
    if data.total == 0:
        return empty_figure(f"{head}: no complete trials (failed: {counts.get('failed', 0)})")
    figure = go.Figure()
    for name, points in (
        ("complete", data.complete),
        ("infeasible", data.infeasible),
        ("stopped", data.stopped),
    ):
        if points.numbers:
            figure.add_scatter(
                x=list(points.numbers),
                y=list(points.values),
                mode="markers",
                name=name,
                customdata=list(points.numbers),
                hovertemplate=_hover(data.objective),
                marker={"color": COLORS[name], "symbol": "x" if name == "stopped" else "circle"},
            )
    if data.best.numbers:
        figure.add_scatter(
            x=list(data.best.numbers),
            y=list(data.best.values),
            mode="lines",
            line={"shape": "hv", "color": COLORS["best"]},
            name="best so far",
        )
    stats = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("complete", "stopped", "failed"))
    figure.update_layout(
        title=f"{head}: {stats}{thinned_note(data.shown, data.total)}",
        xaxis_title="trial",
        yaxis_title=data.objective,
        template="plotly_white",
    )
    return figure


def render_parallel(data: ParallelData) -> go.Figure:
    """Parallel coordinates, lines coloured by the objective (log and category axes ticked).

    Example:
        >>> from paramscope.plots.study_data import parallel_data
        >>> from paramscope.space import Space, Float
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=0, params={"x": 0.5}, state="complete", values={"value": 1.0})]
        >>> fig = render_parallel(parallel_data(ts, Space({"x": Float(0, 1)})))
        >>> fig.data[0].type, len(fig.data[0].dimensions)
        ('parcoords', 2)
    """
    import plotly.graph_objects as go

    head = f"Parallel coordinates of {data.objective} ({data.direction})"
    if not data.numbers:
        return empty_figure(f"{head}: no complete trials")
    dimensions = []
    for dim in data.dimensions:
        entry: dict[str, Any] = {"label": dim.label, "values": list(dim.values)}
        entry["range"] = list(dim.range)
        if dim.tickvals:
            entry["tickvals"], entry["ticktext"] = list(dim.tickvals), list(dim.ticktext)
        dimensions.append(entry)
    colour = list(data.dimensions[-1].values)
    figure = go.Figure(
        go.Parcoords(
            dimensions=dimensions,
            line={
                "color": colour,
                "colorscale": _SCALE,
                "reversescale": data.direction == "min",
                "showscale": True,
                "colorbar": {"title": {"text": data.objective}},
            },
        )
    )
    figure.update_layout(
        title=f"{head}: {len(data.numbers)} trials{thinned_note(len(data.numbers), data.total)}"
    )
    return figure


def _axis_layout(scale: str, categories: Sequence[str], *, indexed: bool) -> dict[str, Any]:
    if scale == "log":
        return {"type": "log"}
    if scale != "category":
        return {}
    if indexed:
        return {"tickvals": list(range(len(categories))), "ticktext": list(categories)}
    return {"type": "category", "categoryorder": "array", "categoryarray": list(categories)}


def render_slice(data: SliceData) -> go.Figure:
    """The objective against each parameter, one subplot each (4 per row), coloured by trial.

    Example:
        >>> from paramscope.plots.study_data import slice_data
        >>> from paramscope.space import Space, Float, Choice
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=0, params={"x": 0.5, "k": "a"}, state="complete",
        ...             values={"value": 1.0})]
        >>> space = Space({"x": Float(0, 1), "k": Choice(["a", "b"])})
        >>> [trace.name for trace in render_slice(slice_data(ts, space)).data]
        ['x', 'k']
    """
    from plotly.subplots import make_subplots

    head = f"Slice of {data.objective} ({data.direction})"
    if not data.numbers:
        return empty_figure(f"{head}: no complete trials")
    cols = min(4, len(data.panels))
    rows = math.ceil(len(data.panels) / cols)
    figure = make_subplots(rows=rows, cols=cols, shared_yaxes=True, horizontal_spacing=0.04)
    for k, panel in enumerate(data.panels):
        row, col = k // cols + 1, k % cols + 1
        figure.add_scatter(
            x=list(panel.x),
            y=list(data.values),
            mode="markers",
            name=panel.name,
            customdata=list(data.numbers),
            hovertemplate=_hover(data.objective),
            marker={
                "color": list(data.numbers),
                "colorscale": "Blues",
                "showscale": k == 0,
                "colorbar": {"title": {"text": "trial"}},
                "line": {"width": 0.5, "color": "#333"},
            },
            row=row,
            col=col,
        )
        layout = _axis_layout(panel.scale, panel.categories, indexed=False)
        figure.update_xaxes(title_text=panel.name, row=row, col=col, **layout)
        if col == 1:
            figure.update_yaxes(title_text=data.objective, row=row, col=col)
    figure.update_layout(
        title=f"{head}: {len(data.numbers)} trials{thinned_note(len(data.numbers), data.total)}",
        showlegend=False,
        height=320 * rows + 80,
        template="plotly_white",
    )
    return figure


def _contour_axis(figure: go.Figure, which: str, axis: ContourAxis) -> None:
    layout = _axis_layout(axis.scale, axis.categories, indexed=True)
    getattr(figure, f"update_{which}axes")(title_text=axis.name, **layout)


def render_contour(data: ContourData) -> go.Figure:
    """The surrogate's mean as filled contours (when there is one) with the trials on top.

    Example:
        >>> from paramscope.plots.surface_data import contour_data
        >>> from paramscope.space import Space, Float
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=0, params={"a": 0.5, "b": 0.5}, state="complete",
        ...             values={"value": 1.0})]
        >>> space = Space({"a": Float(0, 1), "b": Float(0, 1)})
        >>> [trace.type for trace in render_contour(contour_data(ts, space, axes=("a", "b"))).data]
        ['scatter']
    """
    import plotly.graph_objects as go

    head = f"Contour of {data.objective} ({data.direction}) over {data.x.name} and {data.y.name}"
    if not data.numbers:
        return empty_figure(f"{head}: no complete trials")
    figure = go.Figure()
    colorbar = {"title": {"text": data.objective}}
    if data.surface:
        figure.add_contour(
            x=list(data.x.grid),
            y=list(data.y.grid),
            z=[list(row) for row in data.surface],
            colorscale=_SCALE,
            reversescale=data.direction == "min",
            colorbar=colorbar,
            name="surrogate mean",
            hovertemplate="%{z:.6g}<extra>surrogate mean</extra>",
        )
        marker: dict[str, Any] = {"color": "white", "line": {"width": 1, "color": "black"}}
        note = f"GP mean on {data.fitted_on} trials, others averaged"
    else:
        marker = {
            "color": list(data.values),
            "colorscale": _SCALE,
            "reversescale": data.direction == "min",
            "showscale": True,
            "colorbar": colorbar,
        }
        few = data.total < MIN_SURFACE_TRIALS
        note = f"trials only{f' (fewer than {MIN_SURFACE_TRIALS})' if few else ''}"
    figure.add_scatter(
        x=list(data.x.values),
        y=list(data.y.values),
        mode="markers",
        name="trials",
        marker={"size": 8, **marker},
        customdata=[[n, v] for n, v in zip(data.numbers, data.values, strict=True)],
        hovertemplate=f"trial %{{customdata[0]}}<br>{data.objective}: %{{customdata[1]:.6g}}"
        "<extra></extra>",
    )
    _contour_axis(figure, "x", data.x)
    _contour_axis(figure, "y", data.y)
    shown = len(data.numbers)
    figure.update_layout(
        title=f"{head} ({note}; {shown} trials{thinned_note(shown, data.total)})",
        showlegend=False,
        template="plotly_white",
    )
    return figure


def _pareto_trace(data: ParetoData, points: ParetoPoints, name: str, color: str) -> Any:
    import plotly.graph_objects as go

    front = name == "Pareto front"
    common: dict[str, Any] = {
        "name": name,
        "customdata": list(points.numbers),
        "hovertemplate": "trial %{customdata}<extra>" + name + "</extra>",
        "marker": {"color": color, "size": 9 if front else 6},
    }
    if len(data.objectives) == 3:
        return go.Scatter3d(
            x=list(points.column(0)),
            y=list(points.column(1)),
            z=list(points.column(2)),
            mode="markers",
            **common,
        )
    mode = "lines+markers" if front else "markers"
    return go.Scatter(x=list(points.column(0)), y=list(points.column(1)), mode=mode, **common)


def render_pareto(data: ParetoData) -> go.Figure:
    """The Pareto front highlighted over the dominated (grey) and infeasible trials; 2-D or 3-D.

    Example:
        >>> from paramscope.plots.pareto_data import pareto_data
        >>> from paramscope.trial import Trial
        >>> ts = [Trial(number=i, params={}, state="complete", values={"a": a, "b": b})
        ...       for i, (a, b) in enumerate([(1, 3), (2, 2), (3, 3)])]
        >>> fig = render_pareto(pareto_data(ts, {"a": "min", "b": "min"}))
        >>> [(trace.name, len(trace.x)) for trace in fig.data]
        [('dominated', 1), ('Pareto front', 2)]
    """
    import plotly.graph_objects as go

    labels = [f"{n} ({d})" for n, d in zip(data.objectives, data.directions, strict=True)]
    head = f"Pareto front of {', '.join(labels)}"
    if data.total == 0:
        return empty_figure(f"{head}: no complete trials")
    figure = go.Figure()
    for name, points, color in (
        ("infeasible", data.infeasible, COLORS["infeasible"]),
        ("dominated", data.dominated, COLORS["dominated"]),
        ("Pareto front", data.front, COLORS["best"]),
    ):
        if points.numbers:
            figure.add_trace(_pareto_trace(data, points, name, color))
    title = f"{head}: {len(data.front.numbers)} on the front{thinned_note(data.shown, data.total)}"
    if len(labels) == 3:
        axes = {"xaxis_title": labels[0], "yaxis_title": labels[1], "zaxis_title": labels[2]}
        figure.update_layout(title=title, scene=axes, template="plotly_white")
    else:
        figure.update_layout(
            title=title, xaxis_title=labels[0], yaxis_title=labels[1], template="plotly_white"
        )
    return figure


def save_html(figure: Any, path: str | Path) -> Path:
    """Write ``figure`` as a standalone HTML page with plotly.js embedded (no CDN); return the path.

    Example:
        >>> import os, tempfile
        >>> out = save_html(empty_figure("nothing yet"), os.path.join(tempfile.mkdtemp(), "p.html"))
        >>> out.stat().st_size > 1_000_000  # plotly.js itself is inside
        True
    """
    if not hasattr(figure, "write_html"):
        raise ConfigError(
            "figure: expected a plotly Figure (from a plot_* function), "
            f"got {type(figure).__name__}"
        )
    target = Path(path)
    if not target.parent.is_dir():
        raise ConfigError(f"path: expected a file in an existing folder, got {str(target)!r}")
    figure.write_html(str(target), include_plotlyjs=True, full_html=True, include_mathjax=False)
    return target
