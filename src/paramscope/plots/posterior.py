"""Posterior plots: the corner (pairs) plot of a calibration's posterior draws, drawn with plotly.

Two steps: ``corner_data`` bins the draws into marginal and pairwise histograms (a pure data
step, testable without plotly); ``corner_figure`` renders that data as a grid of subplots
(marginals on the diagonal with the interval, MAP and truth marked; pairwise densities below it);
``write_corner_html`` saves a self-contained HTML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from paramscope.errors import ConfigError
from paramscope.space import FloatArray

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, eq=False)
class CornerData:
    """Binned posterior draws, ready to draw.

    Attributes:
        names: parameters, in order.
        edges: per parameter, ``(bins + 1,)`` bin edges.
        marginals: per parameter, ``(bins,)`` density of its draws.
        pairs: ``(i, j) -> (bins, bins)`` counts of parameter ``j`` (x, first axis) against
            ``i`` (y, second axis) for ``i > j``.
        intervals: parameter -> equal-tailed interval at ``level``.
        map: parameter -> posterior mode (or None); ``truth``: known values (or None).
        level: the intervals' level.
    """

    names: tuple[str, ...]
    edges: tuple[FloatArray, ...]
    marginals: tuple[FloatArray, ...]
    pairs: Mapping[tuple[int, int], FloatArray]
    intervals: Mapping[str, tuple[float, float]]
    map: Mapping[str, float] | None
    truth: Mapping[str, float] | None
    level: float

    def centers(self, i: int) -> FloatArray:
        """Bin centres of parameter ``i``."""
        e = self.edges[i]
        out: FloatArray = 0.5 * (e[1:] + e[:-1])
        return out


def corner_data(
    samples: pd.DataFrame,
    *,
    bins: int = 30,
    map: Mapping[str, float] | None = None,
    truth: Mapping[str, float] | None = None,
    level: float = 0.9,
) -> CornerData:
    """Bin posterior draws (one column per parameter) for a corner plot.

    Example:
        >>> import pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> draws = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
        >>> data = corner_data(draws, bins=10)
        >>> data.marginals[0].shape, sorted(data.pairs), int(data.pairs[(1, 0)].sum())
        ((10,), [(1, 0)], 500)
    """
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
        raise ConfigError(f"bins: expected an integer >= 2, got {bins!r}")
    if len(samples) < 2 or samples.shape[1] < 1:
        raise ConfigError(
            f"samples: expected at least 2 draws of 1+ parameters, got {samples.shape}"
        )
    names = tuple(str(c) for c in samples.columns)
    values = samples.to_numpy(dtype=float)
    edges = []
    for j in range(values.shape[1]):
        low, high = float(values[:, j].min()), float(values[:, j].max())
        if high <= low:
            low, high = low - 0.5, high + 0.5
        edges.append(np.linspace(low, high, bins + 1))
    marginals = tuple(
        np.histogram(values[:, j], bins=edges[j], density=True)[0] for j in range(len(names))
    )
    pairs = {
        (i, j): np.histogram2d(values[:, j], values[:, i], bins=[edges[j], edges[i]])[0]
        for i in range(len(names))
        for j in range(i)
    }
    tail = (1.0 - level) / 2.0
    intervals = {
        n: (float(np.quantile(values[:, k], tail)), float(np.quantile(values[:, k], 1.0 - tail)))
        for k, n in enumerate(names)
    }
    return CornerData(names, tuple(edges), marginals, pairs, intervals, map, truth, level)


def _marks(data: CornerData) -> list[tuple[Mapping[str, float], str, str]]:
    marks = []
    if data.map is not None:
        marks.append((data.map, "MAP", "#d62728"))
    if data.truth is not None:
        marks.append((data.truth, "truth", "#2ca02c"))
    return marks


def corner_figure(data: CornerData, *, title: str = "Posterior") -> Any:
    """A plotly figure of ``data``: marginals on the diagonal, pairwise densities below.

    Example:
        >>> import pandas as pd
        >>> rng = np.random.default_rng(0)
        >>> draws = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
        >>> fig = corner_figure(corner_data(draws, map={"a": 0.0, "b": 0.0}))
        >>> sorted({trace.type for trace in fig.data})
        ['bar', 'heatmap', 'scatter']
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    d = len(data.names)
    fig = make_subplots(rows=d, cols=d, horizontal_spacing=0.02, vertical_spacing=0.02)
    for i, name in enumerate(data.names):
        low, high = data.intervals[name]
        fig.add_trace(
            go.Bar(x=data.centers(i), y=data.marginals[i], marker_color="#4c78a8", name=name),
            row=i + 1,
            col=i + 1,
        )
        fig.add_vrect(
            x0=low, x1=high, fillcolor="#4c78a8", opacity=0.12, line_width=0, row=i + 1, col=i + 1
        )
        for values, _, color in _marks(data):
            if name in values:
                fig.add_vline(
                    x=values[name], line_color=color, line_dash="dash", row=i + 1, col=i + 1
                )
        for j in range(i):
            fig.add_trace(
                go.Heatmap(
                    x=data.centers(j),
                    y=data.centers(i),
                    z=data.pairs[(i, j)].T,
                    colorscale="Blues",
                    showscale=False,
                ),
                row=i + 1,
                col=j + 1,
            )
            for values, label, color in _marks(data):
                if name in values and data.names[j] in values:
                    fig.add_trace(
                        go.Scatter(
                            x=[values[data.names[j]]],
                            y=[values[name]],
                            mode="markers",
                            marker={"color": color, "size": 9, "symbol": "x"},
                            name=label,
                        ),
                        row=i + 1,
                        col=j + 1,
                    )
    for i, name in enumerate(data.names):
        fig.update_xaxes(title_text=name if i == d - 1 else None, row=d, col=i + 1)
        if i > 0:
            fig.update_yaxes(title_text=name, row=i + 1, col=1)
        for j in range(i + 1, d):
            fig.update_xaxes(visible=False, row=i + 1, col=j + 1)
            fig.update_yaxes(visible=False, row=i + 1, col=j + 1)
    size = 220 * d + 120
    subtitle = f"{data.level:.0%} intervals shaded; MAP red, truth green"
    fig.update_layout(
        title=f"{title} ({subtitle})", showlegend=False, width=size, height=size, bargap=0
    )
    return fig


def write_corner_html(data: CornerData, path: str | Path, *, title: str = "Posterior") -> Path:
    """Write the corner plot of ``data`` as a self-contained HTML file; return its path.

    Example:
        >>> import pandas as pd, tempfile, os
        >>> rng = np.random.default_rng(0)
        >>> draws = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
        >>> out = write_corner_html(corner_data(draws), os.path.join(tempfile.mkdtemp(), "c.html"))
        >>> out.stat().st_size > 1000
        True
    """
    target = Path(path)
    corner_figure(data, title=title).write_html(str(target), include_plotlyjs=True)
    return target
