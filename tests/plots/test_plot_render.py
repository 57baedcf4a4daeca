"""Study plots on real studies: the traces drawn, their point counts, bad input, HTML export."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.plots import (
    StudyView,
    plot_contour,
    plot_history,
    plot_importance,
    plot_intermediate_values,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
    save_html,
)
from paramscope.trial import TrialState

SPACE = ps.Space(
    {
        "lr": ps.Float(1e-4, 1e-1, log=True),
        "depth": ps.Int(1, 6),
        "act": ps.Choice(["relu", "gelu", "tanh"]),
    }
)


def objective(params: dict[str, Any]) -> dict[str, float]:
    if params["depth"] == 6:
        raise RuntimeError("out of memory")
    loss = (params["lr"] - 1e-2) ** 2 * 1e4 + 0.1 * params["depth"] + (params["act"] == "tanh")
    return {"value": loss, "mem": float(params["depth"])}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ps.Study]:
    """30 finished trials: some failed (depth 6), some infeasible (mem > 4)."""
    url = "sqlite:///" + str(tmp_path_factory.mktemp("plots") / "x.db")
    created = ps.Study.create(
        "mixed", SPACE, storage=url, sampler="random", seed=0, constraints={"mem": ("<=", 4.0)}
    )
    created.optimize(objective, budget=30, executor="inline")
    yield created
    created.close()


def counts(study: ps.Study) -> dict[str, int]:
    trials = study.trials
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    return {
        "complete": len(complete),
        "feasible": sum(t.values["mem"] <= 4.0 for t in complete),
        "failed": sum(t.state == TrialState.FAILED for t in trials),
    }


def traces(figure: Any) -> dict[str, int]:
    return {trace.name: len(trace.x) for trace in figure.data}


def test_history_draws_feasible_infeasible_and_the_best_line(study: ps.Study) -> None:
    n = counts(study)
    assert n["failed"] > 0 and 0 < n["feasible"] < n["complete"] == 30
    figure = plot_history(study)
    drawn = traces(figure)
    assert drawn["complete"] == n["feasible"]
    assert drawn["infeasible"] == n["complete"] - n["feasible"]
    best = next(t for t in figure.data if t.name == "best so far")
    assert best.line.shape == "hv" and best.y[-1] == pytest.approx(study.best.value)
    assert f"{n['failed']} failed" in figure.layout.title.text


def test_history_with_max_points_draws_at_most_that_many(study: ps.Study) -> None:
    figure = plot_history(study, max_points=8)
    drawn = traces(figure)
    assert drawn["complete"] + drawn.get("infeasible", 0) <= 8
    assert "8 of 30 drawn" in figure.layout.title.text
    assert list(figure.data[-1].y) == list(plot_history(study).data[-1].y)


def test_parallel_coordinates_have_log_and_category_axes(study: ps.Study) -> None:
    figure = plot_parallel_coordinates(study)
    (trace,) = figure.data
    labels = [d.label for d in trace.dimensions]
    assert labels == ["lr", "depth", "act", "value"]
    assert len(trace.line.color) == counts(study)["complete"]
    assert list(trace.dimensions[0].ticktext) == ["0.0001", "0.001", "0.01", "0.1"]
    assert list(trace.dimensions[2].ticktext) == ["relu", "gelu", "tanh"]
    assert len(plot_parallel_coordinates(study, max_points=5).data[0].line.color) == 5


def test_slice_has_one_panel_per_parameter(study: ps.Study) -> None:
    figure = plot_slice(study)
    assert traces(figure) == {"lr": 30, "depth": 30, "act": 30}
    assert figure.layout.xaxis.type == "log"
    assert figure.layout.xaxis3.type == "category"
    assert list(figure.layout.xaxis3.categoryarray) == ["relu", "gelu", "tanh"]


def test_contour_draws_the_surrogate_with_the_trials_on_top(study: ps.Study) -> None:
    figure = plot_contour(study, "lr", "act")
    contour, scatter = figure.data
    assert contour.type == "contour" and len(contour.x) == 30 and list(contour.y) == [0, 1, 2]
    assert len(scatter.x) == 30
    assert figure.layout.xaxis.type == "log"
    assert list(figure.layout.yaxis.ticktext) == ["relu", "gelu", "tanh"]
    contour, scatter = plot_contour(study, "lr", "act", max_points=10).data
    assert len(scatter.x) == 10 and contour.type == "contour"  # the surface uses all 30


def test_contour_of_fewer_than_five_trials_is_a_scatter(tmp_path: Path) -> None:
    few = ps.Study.create("few", SPACE, storage=f"sqlite:///{tmp_path / 'f.db'}", seed=1)
    few.optimize(lambda p: p["lr"], budget=4, executor="inline")
    figure = plot_contour(few, "lr", "depth")
    assert [t.type for t in figure.data] == ["scatter"] and len(figure.data[0].x) == 4
    assert "fewer than 5" in figure.layout.title.text


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: plot_contour(s, "lr", "lr"), r"^y: expected a parameter other than x='lr'"),
        (lambda s: plot_contour(s, "lr", "w"), r"^y: expected a parameter name, one of \[.*'w'$"),
        (lambda s: plot_history(s, objective="acc"), r"^objective: expected one of \['value'\]"),
        (lambda s: plot_slice(s, max_points=1), r"^max_points: expected None or an integer"),
        (plot_pareto_front, r"^objectives: expected 2 or 3 objectives .*got \['value'\]$"),
        (lambda s: plot_history([]), r"^study: expected a ps.Study or a StudyView, got list$"),
    ],
)
def test_bad_input_is_a_one_line_config_error(study: ps.Study, call: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call(study)


def test_importance_reuses_the_sensitivity_of_the_study(study: ps.Study) -> None:
    figure = plot_importance(study)
    assert [t.name for t in figure.data] == ["first order", "total"]
    assert sorted(figure.data[1].x) == ["act", "depth", "lr"]
    assert len(figure.data[1].error_y.array) == 3
    assert "Importance of value" in figure.layout.title.text
    thinned = plot_importance(study, max_points=12)
    assert "12 of 30 trials" in thinned.layout.title.text
    assert sorted(thinned.data[1].x) == ["act", "depth", "lr"]


def test_pareto_front_of_two_and_three_objectives(tmp_path: Path) -> None:
    space = ps.Space({"x": ps.Float(0.0, 1.0), "y": ps.Float(0.0, 1.0)})
    url = f"sqlite:///{tmp_path / 'mo.db'}"

    def fn(p: dict[str, float]) -> dict[str, float]:
        return {"a": p["x"], "b": 1 - p["x"] * p["y"], "c": p["y"]}

    two = ps.Study.create(
        "two", space, objectives={"a": "min", "b": "min"}, storage=url, sampler="random", seed=0
    )
    two.optimize(fn, budget=25, executor="inline")
    figure = plot_pareto_front(two)
    drawn = traces(figure)
    assert drawn["Pareto front"] == len(two.pareto_front())
    assert drawn["Pareto front"] + drawn["dominated"] == 25
    assert figure.data[-1].mode == "lines+markers"
    three = ps.Study.create(
        "three",
        space,
        objectives={"a": "min", "b": "min", "c": "max"},
        storage=url,
        sampler="random",
        seed=0,
    )
    three.optimize(fn, budget=12, executor="inline")
    figure = plot_pareto_front(three, max_points=6)
    assert {t.type for t in figure.data} == {"scatter3d"}
    assert sum(len(t.x) for t in figure.data) <= 6
    with pytest.raises(ConfigError, match=r"^objectives: expected 2 or 3 distinct names"):
        plot_pareto_front(three, objectives=["a", "z"])
    with pytest.raises(ConfigError, match=r"several objectives\), got None$"):
        plot_history(three)
    assert traces(plot_history(three, objective="c"))["complete"] == 12


def test_intermediate_values_mark_stopped_trials(tmp_path: Path) -> None:
    space = ps.Space({"x": ps.Float(0.0, 1.0)})

    def curve(params: dict[str, float], trial: Any) -> float:
        loss = 0.0
        for step in range(1, 10):
            loss = params["x"] + 1.0 / step
            trial.report(step, loss)
            if trial.should_stop():
                break
        return loss

    study = ps.Study.create("asha", space, storage=f"sqlite:///{tmp_path / 'a.db'}", seed=0)
    for x in (0.1, 0.1, 0.1, 0.9, 0.8, 0.1):
        study.enqueue({"x": x})
    study.optimize(curve, budget=6, executor="inline")
    assert study.counts()[TrialState.STOPPED] == 2
    figure = plot_intermediate_values(study)
    complete, stopped, marks = figure.data
    assert (complete.name, stopped.name, marks.name) == ("complete", "stopped", "stopped here")
    assert sum(y is not None for y in complete.y) == 4 * 9
    assert sum(y is not None for y in stopped.y) == 2 and len(marks.x) == 2
    assert "2 stopped" in figure.layout.title.text


def test_empty_studies_give_empty_figures_saying_so(tmp_path: Path) -> None:
    empty = ps.Study.create("empty", SPACE, storage=f"sqlite:///{tmp_path / 'e.db'}")
    for figure in (
        plot_history(empty),
        plot_parallel_coordinates(empty),
        plot_slice(empty),
        plot_contour(empty, "lr", "act"),
        plot_importance(empty),
    ):
        assert len(figure.data) == 0
        assert "no complete trials" in figure.layout.title.text
    assert "no trial reported" in plot_intermediate_values(empty).layout.title.text
    view = StudyView.build([], SPACE, objectives={"a": "min", "b": "max"})
    assert "no complete trials" in plot_pareto_front(view).layout.title.text


def test_a_view_of_minimize_trials_plots_like_a_study() -> None:
    space = ps.Space({"x": ps.Float(-1.0, 1.0)})
    result = ps.maximize(lambda p: -(p["x"] ** 2), space, budget=6, sampler="sobol", seed=0)
    figure = plot_history(StudyView.build(result.trials, space, objectives="max"))
    assert traces(figure)["complete"] == 6
    assert figure.data[-1].y[-1] == pytest.approx(result.best.value)


def test_save_html_embeds_plotly_js_and_loads_nothing_from_a_cdn(
    study: ps.Study, tmp_path: Path
) -> None:
    out = save_html(plot_history(study), tmp_path / "history.html")
    html = out.read_text(encoding="utf-8")
    assert out == tmp_path / "history.html" and len(html) > 1_000_000
    assert re.search(r"\* plotly\.js v\d+\.\d+", html)  # the library itself, inline
    assert "Plotly.newPlot" in html
    assert re.findall(r"<script[^>]*\ssrc=", html) == []  # nothing fetched: no CDN, works offline
    with pytest.raises(ConfigError, match=r"^path: expected a file in an existing folder"):
        save_html(plot_history(study), tmp_path / "missing" / "x.html")
