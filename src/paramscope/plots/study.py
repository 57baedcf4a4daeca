"""Study plots: the public ``plot_*`` entry points, from a study to a plotly figure.

Each function reads the study once (or takes a ``StudyView`` of any trials), checks the names it
was given, runs its pure data step and renders the record. ``max_points`` bounds the trials drawn
(thinned deterministically, every best-so-far improvement kept), for studies of any size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from paramscope.analysis.sensitivity import sensitivity
from paramscope.errors import ConfigError
from paramscope.plots.curves import intermediate_data, render_intermediate
from paramscope.plots.pareto_data import check_front_objectives, pareto_data
from paramscope.plots.sensitivity import render_sensitivity
from paramscope.plots.study_data import complete_rows, history_data, parallel_data, slice_data
from paramscope.plots.study_render import (
    empty_figure,
    render_contour,
    render_history,
    render_parallel,
    render_pareto,
    render_slice,
)
from paramscope.plots.surface_data import contour_data
from paramscope.plots.thinning import check_max_points
from paramscope.plots.view import Source, as_view, check_param, pick_objective
from paramscope.study import Study
from paramscope.trial import Trial

if TYPE_CHECKING:
    from collections.abc import Sequence

    import plotly.graph_objects as go

IMPORTANCE_CAP = 300


def plot_history(
    study: Source, *, objective: str | None = None, max_points: int | None = None
) -> go.Figure:
    """The objective per trial with the best-so-far line (direction-aware).

    Args:
        study: a ``ps.Study``, or a ``StudyView`` of trials with their settings.
        objective: which objective (required when the study has several).
        max_points: draw at most this many trials (every improvement kept); None: all.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(-2.0, 2.0)})
        >>> study = ps.Study.create("h", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["x"] ** 2, budget=10, executor="inline")
        >>> fig = plot_history(study)
        >>> [(trace.name, len(trace.x)) for trace in fig.data][0]
        ('complete', 10)
    """
    view = as_view(study)
    name, direction = pick_objective(view, objective)
    data = history_data(
        view.trials,
        name,
        direction=direction,
        constraints=view.constraints,
        max_points=max_points,
    )
    return render_history(data)


def plot_parallel_coordinates(
    study: Source, *, objective: str | None = None, max_points: int | None = None
) -> go.Figure:
    """Parallel coordinates of every parameter and the objective (log and category axes).

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"lr": ps.Float(1e-4, 1.0, log=True), "k": ps.Choice(["a", "b"])})
        >>> study = ps.Study.create("pc", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["lr"], budget=6, executor="inline")
        >>> fig = plot_parallel_coordinates(study)
        >>> [d.label for d in fig.data[0].dimensions], len(fig.data[0].line.color)
        (['lr', 'k', 'value'], 6)
    """
    view = as_view(study)
    name, direction = pick_objective(view, objective)
    data = parallel_data(
        view.trials, view.space, objective=name, direction=direction, max_points=max_points
    )
    return render_parallel(data)


def plot_slice(
    study: Source, *, objective: str | None = None, max_points: int | None = None
) -> go.Figure:
    """The objective against each parameter, one subplot per parameter.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(0.0, 1.0), "n": ps.Int(1, 4)})
        >>> study = ps.Study.create("sl", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["x"] * p["n"], budget=5, executor="inline")
        >>> [(trace.name, len(trace.x)) for trace in plot_slice(study).data]
        [('x', 5), ('n', 5)]
    """
    view = as_view(study)
    name, direction = pick_objective(view, objective)
    data = slice_data(
        view.trials, view.space, objective=name, direction=direction, max_points=max_points
    )
    return render_slice(data)


def plot_contour(
    study: Source,
    x: str,
    y: str,
    *,
    objective: str | None = None,
    max_points: int | None = None,
    surrogate: bool = True,
) -> go.Figure:
    """The objective over parameters ``x`` and ``y``: the surrogate's mean, trials on top.

    With fewer than 5 complete trials (or ``surrogate=False``) only the trials are drawn.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"a": ps.Float(0.0, 1.0), "b": ps.Float(0.0, 1.0)})
        >>> study = ps.Study.create("ct", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["a"] - p["b"], budget=8, executor="inline")
        >>> [trace.type for trace in plot_contour(study, "a", "b").data]
        ['contour', 'scatter']
    """
    view = as_view(study)
    check_param(view, x, "x")
    check_param(view, y, "y")
    name, direction = pick_objective(view, objective)
    data = contour_data(
        view.trials,
        view.space,
        axes=(x, y),
        objective=name,
        direction=direction,
        max_points=max_points,
        surrogate=surrogate,
    )
    return render_contour(data)


class _Explained(Study):
    """A handle on a study whose trials are a fixed (possibly thinned) list, for ``sensitivity``."""

    def __init__(self, study: Study, trials: Sequence[Trial]) -> None:
        super().__init__(study.storage, study.spec)
        self._fixed = list(trials)

    @property
    def trials(self) -> list[Trial]:
        return list(self._fixed)


def plot_importance(
    study: Study,
    *,
    objective: str | None = None,
    max_points: int | None = None,
    seed: int | None = 0,
) -> go.Figure:
    """Parameter importance: first-order and total Sobol indices of the study's GP surrogate.

    The indices are ``ps.sensitivity(study)`` (functional ANOVA of a GP fitted to the complete
    trials, intervals from its posterior paths), drawn by ``render_sensitivity``. The GP is fitted
    to at most ``max_points`` trials and never more than ``IMPORTANCE_CAP`` (300: a GP's fit
    grows with the cube of its runs), thinned with every improvement kept; the title says so.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"a": ps.Float(0.0, 1.0), "b": ps.Float(0.0, 1.0)})
        >>> study = ps.Study.create("im", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["a"] + 0.1 * p["b"], budget=12, executor="inline")
        >>> fig = plot_importance(study)
        >>> [trace.name for trace in fig.data], list(fig.data[1].x)
        (['first order', 'total'], ['a', 'b'])
    """
    if not isinstance(study, Study):
        raise ConfigError(
            f"study: expected a ps.Study (importance refits its surrogate), "
            f"got {type(study).__name__}"
        )
    limit = min(check_max_points(max_points) or IMPORTANCE_CAP, IMPORTANCE_CAP)
    view = as_view(study)
    name, direction = pick_objective(view, objective)
    rows, total = complete_rows(view.trials, name, direction=direction, max_points=limit)
    needed = view.space.dim + 3
    head = f"Importance of {name}"
    if total == 0:
        return empty_figure(f"{head}: no complete trials")
    if len(rows) < needed:
        return empty_figure(
            f"{head}: {len(rows)} complete trials with a finite {name}; needs at least {needed}"
        )
    result = sensitivity(_Explained(study, [t for t, _ in rows]), seed=seed, output=name)
    level = f"{result.level:.0%} intervals"
    used = f"{len(rows)} of {total}" if len(rows) < total else f"{total}"
    title = f"{head}: Sobol indices of the GP surrogate ({level}, {used} trials)"
    return render_sensitivity(result, title=title)


def plot_pareto_front(
    study: Source,
    *,
    objectives: Sequence[str] | None = None,
    max_points: int | None = None,
) -> go.Figure:
    """The Pareto front of 2 objectives (3: a 3-D scatter); dominated trials greyed.

    Args:
        study: a study with several objectives (or a ``StudyView``).
        objectives: the 2 or 3 objectives to draw, by name; default: the study's own, if 2 or 3.
        max_points: draw at most this many trials (the front first).

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(0.0, 1.0)})
        >>> study = ps.Study.create("pf", space, objectives={"a": "min", "b": "min"},
        ...                         storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: {"a": p["x"], "b": (1 - p["x"]) ** 2}, budget=6,
        ...                executor="inline")
        >>> [(trace.name, len(trace.x)) for trace in plot_pareto_front(study).data]
        [('Pareto front', 6)]
    """
    view = as_view(study)
    if objectives is None:
        chosen = dict(view.objectives)
    else:
        names = [objectives] if isinstance(objectives, str) else list(objectives)
        known = list(view.objectives)
        if len(set(names)) != len(names) or not set(names) <= set(known):
            raise ConfigError(
                f"objectives: expected 2 or 3 distinct names of {known}, got {names!r}"
            )
        chosen = {n: view.objectives[n] for n in names}
    check_front_objectives(chosen)
    data = pareto_data(view.trials, chosen, constraints=view.constraints, max_points=max_points)
    return render_pareto(data)


def plot_intermediate_values(study: Source, *, max_points: int | None = None) -> go.Figure:
    """The values each trial reported (``trial.report(step, value)``); stopped trials marked.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(0.0, 1.0)})
        >>> def fn(params, trial):
        ...     for step in range(1, 4):
        ...         trial.report(step, params["x"] + 1.0 / step)
        ...     return params["x"] + 1.0 / 3
        >>> study = ps.Study.create("iv", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(fn, budget=3, executor="inline")
        >>> fig = plot_intermediate_values(study)
        >>> sum(y is not None for y in fig.data[0].y)
        9
    """
    view = as_view(study)
    direction = next(iter(view.objectives.values()))
    return render_intermediate(
        intermediate_data(view.trials, direction=direction, max_points=max_points)
    )
