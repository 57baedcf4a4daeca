"""Contour plot data: trials over two parameters and the surrogate's mean on a grid, no drawing.

The surface is the partial dependence of a Matérn-5/2 ARD GP (``paramscope.models``, as the bayes
sampler and ``analysis.sensitivity.surrogate`` build it) fitted to the complete trials: its mean at
each grid point of the two parameters, averaged over the other parameters' values in up to
``_BACKGROUND`` trials (for two parameters, just the mean). It is drawn only when cheap and
meaningful: at least ``MIN_SURFACE_TRIALS`` trials, a fit on at most ``_FIT_CAP`` (thinned)
trials, and a fit that succeeds; otherwise the plot is a scatter of the trials alone.
"""

# ruff: noqa: N806  (matrix names X, U follow the maths)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paramscope.errors import ConfigError
from paramscope.models import FeatureMap, GaussianProcess, ModelFitError, OutputTransform
from paramscope.models.linalg import blas_threads
from paramscope.plots.study_data import Scale, complete_rows, option_labels, scale_of
from paramscope.plots.thinning import check_direction, check_max_points, evenly, thin
from paramscope.space import Choice, FloatArray, Param, Space
from paramscope.storage.base import Direction
from paramscope.trial import Trial

MIN_SURFACE_TRIALS = 5
GRID = 30
_FIT_CAP = 200
_BACKGROUND = 16


@dataclass(frozen=True)
class ContourAxis:
    """One axis: the trials' coordinates and the grid's (``()`` without a surface).

    Coordinates are the parameter's values, or the option's index for a ``Choice`` (whose
    labels are ``categories``); a log parameter is drawn on a log axis.
    """

    name: str
    scale: Scale
    values: tuple[float, ...]
    grid: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContourData:
    """Trials over two parameters, coloured by the objective, and the surrogate's surface.

    Attributes:
        surface: ``z[j][i]`` is the surrogate mean at ``(x.grid[i], y.grid[j])``; ``()`` when
            there is no surface (too few trials, a failed fit, or not asked for).
        fitted_on: trials the surrogate was fitted to (0 without a surface).
        total: complete trials before thinning.
    """

    objective: str
    direction: Direction
    x: ContourAxis
    y: ContourAxis
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    surface: tuple[tuple[float, ...], ...]
    fitted_on: int
    total: int


def check_axes(space: Space, axes: object) -> tuple[str, str]:
    """Check two distinct parameter names of ``space``.

    Example:
        >>> from paramscope.space import Float
        >>> check_axes(Space({"a": Float(0, 1), "b": Float(0, 1)}), ("a", "a"))
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: y: expected a parameter other than x='a', got 'a'
    """
    if not isinstance(axes, tuple | list) or len(axes) != 2:
        raise ConfigError(f"axes: expected two parameter names (x, y), got {axes!r}")
    for what, name in zip(("x", "y"), axes, strict=True):
        if not isinstance(name, str) or name not in space.names:
            raise ConfigError(
                f"{what}: expected a parameter name, one of {space.names}, got {name!r}"
            )
    if axes[0] == axes[1]:
        raise ConfigError(f"y: expected a parameter other than x={axes[0]!r}, got {axes[1]!r}")
    return str(axes[0]), str(axes[1])


def _coordinate(param: Param, value: Any) -> float:
    return float(param.index(value)) if isinstance(param, Choice) else float(value)


def _grid_values(param: Param) -> list[Any]:
    """The parameter values the grid visits: every level if few, else GRID spread evenly."""
    levels = param.levels
    if isinstance(param, Choice):
        return list(param.options)
    if levels is not None and levels <= GRID:
        return [param.decode((i + 0.5) / levels) for i in range(levels)]
    seen: list[Any] = []
    for u in np.linspace(0.0, 1.0, GRID):
        value = param.decode(float(u))
        if value not in seen:
            seen.append(value)
    return seen


def _surface(
    space: Space, rows: Sequence[tuple[Trial, float]], x: str, y: str
) -> tuple[list[Any], list[Any], FloatArray] | None:
    """Grid values of x and y and the partial-dependence mean ``(len(gy), len(gx))``."""
    keys = [v for _, v in rows]
    X = space.encode_many([t.params for t, _ in rows])
    ys = np.array(keys, dtype=float)
    transform = OutputTransform.fit(ys, power=False)
    try:
        gp = GaussianProcess(FeatureMap.from_space(space), full_fit=True, seed=0)
        gp = gp.fit(X, transform.forward(ys))
    except (ModelFitError, np.linalg.LinAlgError, ValueError):
        return None
    gx, gy = _grid_values(space[x]), _grid_values(space[y])
    ux = np.array([space[x].encode(v) for v in gx])
    uy = np.array([space[y].encode(v) for v in gy])
    background = X[evenly(X.shape[0], _BACKGROUND)]
    ix, iy = space.names.index(x), space.names.index(y)
    U = np.broadcast_to(background, (len(gy), len(gx), *background.shape)).copy()
    U[..., ix] = ux[None, :, None]
    U[..., iy] = uy[:, None, None]
    mean = transform.inverse(gp.predict(U.reshape(-1, space.dim))[0])
    surface = mean.reshape(len(gy), len(gx), background.shape[0]).mean(axis=2)
    if not np.all(np.isfinite(surface)):
        return None
    return gx, gy, surface


def contour_data(
    trials: Sequence[Trial],
    space: Space,
    *,
    axes: tuple[str, str],
    objective: str = "value",
    direction: Direction = "min",
    max_points: int | None = None,
    surrogate: bool = True,
) -> ContourData:
    """The complete trials over parameters ``axes = (x, y)`` and, if cheap, the surrogate surface.

    Args:
        trials: any trials; the complete ones with a finite ``objective`` are used.
        space: the study's parameters.
        axes: the two parameters, ``(x, y)``, distinct.
        objective, direction: what colours the points and the surface, and which way is better.
        max_points: the most trials drawn (thinned, improvements kept); the surrogate is fitted
            to at most 200 of them either way.
        surrogate: draw the surrogate's mean (with at least 5 trials).

    Example:
        >>> from paramscope.space import Float
        >>> space = Space({"a": Float(0, 1), "b": Float(0, 1)})
        >>> ts = [Trial(number=i, params={"a": a, "b": b}, state="complete",
        ...             values={"value": a + b})
        ...       for i, (a, b) in enumerate([(0.1, 0.2), (0.9, 0.4), (0.5, 0.9), (0.3, 0.6),
        ...                                   (0.7, 0.1), (0.2, 0.8)])]
        >>> data = contour_data(ts, space, axes=("a", "b"))
        >>> len(data.numbers), len(data.x.grid), len(data.surface), data.fitted_on
        (6, 30, 30, 6)
        >>> data.surface[0][0] < data.surface[15][15] < data.surface[-1][-1]  # a + b grows
        True
    """
    x, y = check_axes(space, axes)
    direction = check_direction(direction)
    max_points = check_max_points(max_points)
    every, total = complete_rows(trials, objective, direction=direction, max_points=None)
    keys: list[float | None] = [v for _, v in every]
    rows = [every[i] for i in thin(keys, direction=direction, max_points=max_points)]
    grid = None
    fit_rows: list[tuple[Trial, float]] = []
    if surrogate and total >= MIN_SURFACE_TRIALS:
        fit_rows = [every[i] for i in thin(keys, direction=direction, max_points=_FIT_CAP)]
        with blas_threads(1):  # small matrices: threads only contend
            grid = _surface(space, fit_rows, x, y)

    def axis(name: str, values: Sequence[Any]) -> ContourAxis:
        param = space[name]
        coords = tuple(_coordinate(param, t.params[name]) for t, _ in rows)
        grid_coords = tuple(_coordinate(param, v) for v in values)
        return ContourAxis(name, scale_of(param), coords, grid_coords, option_labels(param))

    return ContourData(
        objective=objective,
        direction=direction,
        x=axis(x, grid[0] if grid else []),
        y=axis(y, grid[1] if grid else []),
        numbers=tuple(t.number for t, _ in rows),
        values=tuple(v for _, v in rows),
        surface=tuple(tuple(float(z) for z in row) for row in grid[2]) if grid else (),
        fitted_on=len(fit_rows) if grid else 0,
        total=total,
    )
