"""Plots: render analysis results and studies as plotly figures; data steps never draw.

Study plots (``plot_history``, ``plot_parallel_coordinates``, ``plot_slice``, ``plot_contour``,
``plot_importance``, ``plot_pareto_front``, ``plot_intermediate_values``) take a ``ps.Study`` or a
``StudyView`` of trials; ``save_html`` writes any figure as a page that works offline. Their data
steps live in ``study_data``, ``surface_data`` and ``pareto_data``; sensitivity and posterior
plots in ``sensitivity`` and ``posterior``.
"""

from __future__ import annotations

from paramscope.plots.study import (
    plot_contour,
    plot_history,
    plot_importance,
    plot_intermediate_values,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
)
from paramscope.plots.study_render import save_html
from paramscope.plots.view import StudyView

__all__ = [
    "StudyView",
    "plot_contour",
    "plot_history",
    "plot_importance",
    "plot_intermediate_values",
    "plot_parallel_coordinates",
    "plot_pareto_front",
    "plot_slice",
    "save_html",
]
