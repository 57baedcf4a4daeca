"""Sensitivity plots: first-order and total indices as bars with their intervals (plotly)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from paramscope.analysis.sensitivity.results import MorrisResult, SobolResult


@dataclass(frozen=True)
class Bars:
    """One bar series: a label, the parameters, values and interval bounds."""

    label: str
    names: tuple[str, ...]
    values: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]


def sensitivity_bars(result: SobolResult | MorrisResult) -> list[Bars]:
    """The data of the plot: parameters ordered by total index (or mu*), largest first.

    Example:
        >>> from paramscope.analysis.sensitivity.results import Estimate
        >>> e = {"a": Estimate(0.9, 0.8, 1.0), "b": Estimate(0.1, 0.0, 0.2)}
        >>> m = MorrisResult(("b", "a"), e, {"a": 1.0, "b": 0.1}, {"a": 0.0, "b": 0.0}, 0.95, 9)
        >>> [b.names for b in sensitivity_bars(m)]
        [('a', 'b')]
    """
    if isinstance(result, MorrisResult):
        series = [("mu*", result.mu_star)]
    else:
        series = [("first order", result.first), ("total", result.total_)]
    order = sorted(result.names, key=lambda n: -series[-1][1][n].value)
    return [
        Bars(
            label,
            tuple(order),
            tuple(table[n].value for n in order),
            tuple(table[n].low for n in order),
            tuple(table[n].high for n in order),
        )
        for label, table in series
    ]


def render_sensitivity(result: SobolResult | MorrisResult, *, title: str | None = None) -> Any:
    """A plotly bar chart of the indices with error bars for the intervals.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
        >>> sens = ps.sensitivity(lambda p: p["a"] + 0.3 * p["b"], space, method="morris",
        ...                       budget=30, seed=0)
        >>> len(render_sensitivity(sens).data)
        1
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    for bars in sensitivity_bars(result):
        figure.add_bar(
            name=bars.label,
            x=list(bars.names),
            y=list(bars.values),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": [h - v for h, v in zip(bars.high, bars.values, strict=True)],
                "arrayminus": [v - lo for lo, v in zip(bars.low, bars.values, strict=True)],
            },
        )
    level = f"{result.level:.0%} intervals"
    kind = "Morris mu*" if isinstance(result, MorrisResult) else "Sobol indices"
    figure.update_layout(
        title=title or f"{kind} ({level}, {result.runs} runs)",
        barmode="group",
        yaxis_title="index" if isinstance(result, SobolResult) else "mu*",
    )
    return figure
