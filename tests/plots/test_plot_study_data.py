"""Study plot data steps on hand-made trials: exact numbers, directions, states, thinning."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.plots.curves import intermediate_data
from paramscope.plots.pareto_data import pareto_data
from paramscope.plots.study_data import Points, history_data, parallel_data, slice_data
from paramscope.plots.surface_data import contour_data
from paramscope.plots.thinning import check_max_points, improvements, thin
from paramscope.plots.view import StudyView, pick_objective
from paramscope.trial import Trial


def trial(number: int, state: str = "complete", **fields: Any) -> Trial:
    return Trial(number=number, state=state, params=fields.pop("params", {}), **fields)


def values_trials(values: list[float | None], name: str = "value") -> list[Trial]:
    return [
        trial(i, values={} if v is None else {name: v}, state="complete" if v else "failed")
        for i, v in enumerate(values)
    ]


# history ---------------------------------------------------------------------------------------


def test_history_groups_states_and_draws_the_best_so_far_staircase() -> None:
    trials = [
        trial(0, values={"value": 5.0, "mem": 1.0}),
        trial(1, "failed", error="boom"),
        trial(2, values={"value": 3.0, "mem": 9.0}),  # infeasible: never the best
        trial(3, values={"value": 4.0, "mem": 2.0}),
        trial(4, "stopped", values={"value": 0.5, "mem": 1.0}),  # stopped: never the best
        trial(5, values={"value": 4.5, "mem": 1.0}),
        trial(6, "running"),
    ]
    data = history_data(list(reversed(trials)), constraints={"mem": ("<=", 4.0)})
    assert data.complete == Points((0, 3, 5), (5.0, 4.0, 4.5))
    assert data.infeasible == Points((2,), (3.0,))
    assert data.stopped == Points((4,), (0.5,))
    assert data.best == Points((0, 3, 5), (5.0, 4.0, 4.0))  # last point: the last finished trial
    assert data.counts == {"queued": 0, "running": 1, "complete": 4, "failed": 1, "stopped": 1}
    assert (data.total, data.shown) == (5, 5)


def test_history_respects_direction_max_and_the_named_objective() -> None:
    trials = [trial(i, values={"loss": 10.0 - v, "acc": v}) for i, v in enumerate([2, 1, 3, 3, 5])]
    data = history_data(trials, "acc", direction="max")
    assert data.best == Points((0, 2, 4), (2.0, 3.0, 5.0))
    low = history_data(trials, "loss", direction="min")
    assert low.best == Points((0, 2, 4), (8.0, 7.0, 5.0))
    assert data.complete.values == (2.0, 1.0, 3.0, 3.0, 5.0)


def test_history_skips_non_finite_and_missing_values() -> None:
    trials = [
        trial(0, values={"value": math.inf}),
        trial(1, values={"other": 1.0}),
        trial(2, values={"value": 2.0}),
    ]
    data = history_data(trials)
    assert data.complete == Points((2,), (2.0,))
    assert data.best == Points((2,), (2.0,))


def test_history_of_no_trials_is_empty_not_an_error() -> None:
    data = history_data([])
    assert (data.total, data.complete, data.best) == (0, Points(), Points())


# thinning --------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["min", "max"])
@pytest.mark.parametrize("max_points", [2, 50, 300])
def test_thinning_keeps_every_improvement_and_stays_within_max_points(
    direction: str, max_points: int
) -> None:
    rng = np.random.default_rng(1)
    keys = [float(v) for v in rng.normal(size=10_000)]
    picked = thin(keys, direction=direction, max_points=max_points)  # type: ignore[arg-type]
    steps = improvements(keys, direction)  # type: ignore[arg-type]
    assert len(picked) <= max_points
    assert picked == sorted(set(picked))
    assert picked == thin(keys, direction=direction, max_points=max_points)  # type: ignore[arg-type]
    if len(steps) <= max_points:
        assert set(steps) <= set(picked)
    if len(steps) + 3 <= max_points:  # room for the extremes too: first, last, worst
        worst = int(np.argmax(keys) if direction == "min" else np.argmin(keys))
        assert {0, len(keys) - 1, worst} <= set(picked)
        assert len(picked) == max_points
    assert steps[-1] in picked  # the best is always drawn


def test_thinning_when_every_point_improves_keeps_the_first_and_the_best() -> None:
    keys = [float(100 - i) for i in range(100)]
    picked = thin(keys, direction="min", max_points=10)
    assert picked == [0, 11, 22, 33, 44, 55, 66, 77, 88, 99]


def test_thinning_spreads_the_rest_evenly() -> None:
    keys: list[float | None] = [1.0] + [2.0] * 9 + [None] * 10
    # must: 0 (first and only improvement), 19 (last), 1 (first worst); 3 more of the other 17
    assert thin(keys, direction="min", max_points=6) == [0, 1, 2, 10, 18, 19]


@pytest.mark.parametrize("bad", [0, 1, -5, 2.5, True, "10"])
def test_max_points_must_be_an_integer_of_at_least_two(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"^max_points: expected None or an integer >= 2, got"):
        check_max_points(bad)


def test_history_thinned_keeps_improvements_and_the_exact_best_line() -> None:
    rng = np.random.default_rng(0)
    values = [float(v) for v in rng.uniform(0, 1, size=2000)]
    trials = [trial(i, values={"value": v}) for i, v in enumerate(values)]
    trials += [trial(2000 + i, "failed") for i in range(5)]
    full = history_data(trials)
    thinned = history_data(trials, max_points=40)
    assert thinned.best == full.best
    assert thinned.shown == len(thinned.complete.numbers) <= 40
    assert (thinned.total, full.shown) == (2000, 2000)
    assert set(thinned.best.numbers[:-1]) <= set(thinned.complete.numbers)
    assert thinned.best.numbers[-1] == 2004  # the staircase runs to the last finished trial


# parallel coordinates and slice -----------------------------------------------------------------

SPACE = ps.Space(
    {
        "lr": ps.Float(1e-4, 1e-1, log=True),
        "width": ps.Int(16, 512, log=True),
        "act": ps.Choice(["relu", "gelu", "tanh"]),
        "drop": ps.Float(0.0, 0.5, step=0.1),
    }
)
ROWS = [  # lr, width, act, drop, value
    (1e-3, 32, "gelu", 0.1, 0.5),
    (1e-2, 128, "tanh", 0.3, 0.25),
    (1e-4, 16, "relu", 0.0, 0.75),
]


def space_trials() -> list[Trial]:
    out = [
        trial(i, params={"lr": a, "width": w, "act": c, "drop": d}, values={"value": v})
        for i, (a, w, c, d, v) in enumerate(ROWS)
    ]
    params = {"lr": 1e-3, "width": 64, "act": "relu", "drop": 0.2}
    return [*out, trial(3, "failed", params=params), trial(4, "stopped", params=params)]


def test_parallel_coordinates_use_log_axes_and_option_indices() -> None:
    data = parallel_data(space_trials(), SPACE)
    lr, width, act, drop, value = data.dimensions
    assert data.numbers == (0, 1, 2) and data.total == 3
    assert lr.values == pytest.approx((-3.0, -2.0, -4.0))
    assert lr.range == pytest.approx((-4.0, -1.0))
    assert lr.tickvals == (-4.0, -3.0, -2.0, -1.0)
    assert lr.ticktext == ("0.0001", "0.001", "0.01", "0.1")
    assert width.values == pytest.approx(tuple(math.log10(w) for w in (32, 128, 16)))
    assert width.ticktext == ("16", "50.8", "161", "512")  # within one decade: 4 even ticks
    assert act.values == (1.0, 2.0, 0.0)
    assert (act.tickvals, act.ticktext) == ((0.0, 1.0, 2.0), ("relu", "gelu", "tanh"))
    assert (drop.values, drop.range, drop.ticktext) == ((0.1, 0.3, 0.0), (0.0, 0.5), ())
    assert (value.label, value.values, value.range) == ("value", (0.5, 0.25, 0.75), (0.25, 0.75))


def test_parallel_coordinates_thin_towards_improvements_for_max() -> None:
    trials = [
        trial(i, params={"x": v / 10}, values={"value": v})
        for i, v in enumerate([1.0, 0.0, 2.0, 1.5, 3.0, 0.5, 0.7, 0.2])
    ]
    space = ps.Space({"x": ps.Float(0.0, 1.0)})
    data = parallel_data(trials, space, direction="max", max_points=5)
    # improvements 0, 2, 4; first 0, last 7; worst 1 -> 5 points, nothing else fits
    assert data.numbers == (0, 1, 2, 4, 7)
    assert data.dimensions[0].values == pytest.approx((0.1, 0.0, 0.2, 0.3, 0.02))


def test_slice_panels_give_option_labels_and_scales() -> None:
    data = slice_data(space_trials(), SPACE)
    assert data.values == (0.5, 0.25, 0.75) and data.numbers == (0, 1, 2)
    panels = {p.name: p for p in data.panels}
    assert (panels["lr"].scale, panels["lr"].x) == ("log", (1e-3, 1e-2, 1e-4))
    assert (panels["width"].scale, panels["width"].x) == ("log", (32.0, 128.0, 16.0))
    assert panels["act"].scale == "category"
    assert panels["act"].x == ("gelu", "tanh", "relu")
    assert panels["act"].categories == ("relu", "gelu", "tanh")
    assert (panels["drop"].scale, panels["drop"].x) == ("linear", (0.1, 0.3, 0.0))


# contour ---------------------------------------------------------------------------------------


def test_contour_of_few_trials_is_a_scatter_without_surface() -> None:
    data = contour_data(space_trials(), SPACE, axes=("lr", "act"))
    assert data.surface == () and data.fitted_on == 0
    assert data.x.values == (1e-3, 1e-2, 1e-4) and data.x.scale == "log"
    assert data.y.values == (1.0, 2.0, 0.0) and data.y.categories == ("relu", "gelu", "tanh")


def test_contour_surface_follows_the_function_on_a_grid() -> None:
    space = ps.Space({"a": ps.Float(0.0, 1.0), "k": ps.Choice(["lo", "hi"]), "c": ps.Int(1, 3)})
    rng = np.random.default_rng(0)
    trials = []
    for i in range(24):
        a, k, c = float(rng.uniform()), ["lo", "hi"][i % 2], int(rng.integers(1, 4))
        value = a + (1.0 if k == "hi" else 0.0) + 0.01 * c
        trials.append(trial(i, params={"a": a, "k": k, "c": c}, values={"value": value}))
    data = contour_data(trials, space, axes=("a", "k"))
    assert data.fitted_on == 24 and data.total == 24
    assert len(data.x.grid) == 30 and data.x.grid[0] == 0.0 and data.x.grid[-1] == 1.0
    assert data.y.grid == (0.0, 1.0)  # option indices, labelled by categories
    surface = np.array(data.surface)
    assert surface.shape == (2, 30)
    expected = np.array(data.x.grid)[None, :] + np.array([[0.0], [1.0]]) + 0.02
    assert np.abs(surface - expected)[:, 3:-3].max() < 0.1


def test_contour_grid_of_a_log_parameter_is_log_spaced() -> None:
    space = ps.Space({"lr": ps.Float(1e-3, 1.0, log=True), "n": ps.Int(1, 4)})
    trials = [
        trial(i, params={"lr": 10.0 ** -(i % 3 + 0.5), "n": i % 4 + 1}, values={"value": i * 0.1})
        for i in range(8)
    ]
    data = contour_data(trials, space, axes=("lr", "n"))
    assert len(data.x.grid) == 30
    assert data.x.grid[0] == pytest.approx(1e-3) and data.x.grid[-1] == pytest.approx(1.0)
    ratios = np.diff(np.log10(data.x.grid))
    assert np.allclose(ratios, ratios[0])
    assert data.y.grid == (1.0, 2.0, 3.0, 4.0)
    assert contour_data(trials, space, axes=("lr", "n"), surrogate=False).surface == ()


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        (("lr", "lr"), r"^y: expected a parameter other than x='lr', got 'lr'$"),
        (("lr", "nope"), r"^y: expected a parameter name, one of \['lr', .*\], got 'nope'$"),
        (("lr",), r"^axes: expected two parameter names \(x, y\), got \('lr',\)$"),
    ],
)
def test_contour_axes_are_checked(axes: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        contour_data(space_trials(), SPACE, axes=axes)


# Pareto front ----------------------------------------------------------------------------------


def test_pareto_front_with_a_max_objective_and_an_infeasible_trial() -> None:
    points = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (4.0, 4.0), (0.5, 0.2), (2.5, 3.5)]
    trials = [
        trial(i, values={"cost": c, "acc": a, "mem": 9.0 if i == 5 else 1.0})
        for i, (c, a) in enumerate(points)
    ]
    trials.append(trial(6, "failed"))
    data = pareto_data(trials, {"cost": "min", "acc": "max"}, constraints={"mem": ("<=", 4.0)})
    assert data.front.numbers == (4, 0, 1, 3)  # sorted by cost
    assert data.front.column(0) == (0.5, 1.0, 2.0, 4.0)
    assert data.front.column(1) == (0.2, 1.0, 3.0, 4.0)
    assert data.dominated.numbers == (2,)
    assert data.infeasible.numbers == (5,)
    assert (data.total, data.shown, data.directions) == (6, 6, ("min", "max"))


def test_pareto_front_of_three_objectives_and_thinning_keeps_the_front() -> None:
    rng = np.random.default_rng(3)
    trials = [
        trial(i, values={"a": float(a), "b": float(b), "c": float(c)})
        for i, (a, b, c) in enumerate(rng.uniform(size=(400, 3)))
    ]
    full = pareto_data(trials, {"a": "min", "b": "min", "c": "min"})
    thinned = pareto_data(trials, {"a": "min", "b": "min", "c": "min"}, max_points=60)
    assert thinned.front == full.front and len(full.front.numbers) < 60
    assert thinned.shown == 60 and thinned.total == 400
    assert len(thinned.dominated.numbers) == 60 - len(full.front.numbers)


@pytest.mark.parametrize("objectives", [{"value": "min"}, {f"o{i}": "min" for i in range(4)}])
def test_pareto_front_needs_two_or_three_objectives(objectives: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"^objectives: expected 2 or 3 objectives .*, got \["):
        pareto_data([], objectives)


# intermediate values ---------------------------------------------------------------------------


def test_intermediate_curves_in_step_order_with_states() -> None:
    trials = [
        trial(0, reports={1: 0.9, 2: 0.6, 3: 0.4}, values={"value": 0.4}),
        trial(1, "stopped", reports={2: 0.95, 1: 1.0}, values={"value": 0.95}),
        trial(2, "failed", reports={1: 2.0}),
        trial(3, values={"value": 1.0}),  # reported nothing
    ]
    data = intermediate_data(trials)
    assert [(c.number, c.state, c.steps, c.values) for c in data.curves] == [
        (0, "complete", (1, 2, 3), (0.9, 0.6, 0.4)),
        (1, "stopped", (1, 2), (1.0, 0.95)),
        (2, "failed", (1,), (2.0,)),
    ]
    assert data.total == 3


def test_intermediate_thinning_bounds_curves_and_steps() -> None:
    reports = {s: 1.0 / s for s in range(1, 11)}
    finals = [5.0, 6.0, 4.0, 7.0, 3.0, 8.0]
    trials = [
        trial(i, reports={**reports, 11: f}, values={"value": f}) for i, f in enumerate(finals)
    ]
    data = intermediate_data(trials, direction="min", max_points=4)
    assert [c.number for c in data.curves] == [0, 2, 4, 5]  # improvements, and last = worst
    assert data.curves[0].steps == (1, 4, 7, 11)
    assert data.total == 6


# views and names -------------------------------------------------------------------------------


def test_pick_objective_names_the_field_the_form_and_what_was_given() -> None:
    view = StudyView.build([], SPACE, objectives={"loss": "min", "acc": "max"})
    assert pick_objective(view, "acc") == ("acc", "max")
    with pytest.raises(
        ConfigError, match=r"^objective: expected one of \['loss', 'acc'\], got 'f1'$"
    ):
        pick_objective(view, "f1")
    with pytest.raises(ConfigError, match=r"several objectives\), got None$"):
        pick_objective(view, None)


def test_study_view_checks_its_settings() -> None:
    with pytest.raises(ConfigError, match=r"^objectives.a: expected 'min' or 'max', got 'up'$"):
        StudyView.build([], SPACE, objectives={"a": "up"})
    with pytest.raises(ConfigError, match=r"^trials: expected a list of ps.Trial"):
        StudyView.build([{"number": 0}], SPACE)  # type: ignore[list-item]
    view = StudyView.build(list(reversed(values_trials([1.0, 2.0]))), SPACE)
    assert [t.number for t in view.trials] == [0, 1]
