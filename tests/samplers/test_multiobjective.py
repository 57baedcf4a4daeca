"""Several objectives: EHVI sampler, Pareto front and hypervolume of studies, with constraints."""

# ruff: noqa: N806  (matrix names X, Y follow the maths)

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.hypervolume import hypervolume, pareto_mask
from paramscope.models import FeatureMap, GaussianProcess
from paramscope.ranking import front_hypervolume, hypervolume_history, pareto_front
from paramscope.samplers.base import History
from paramscope.samplers.bayes import BayesSampler, _collect
from paramscope.samplers.multi import HypervolumeModels, fit_hypervolume_models
from paramscope.space import Float, Space
from paramscope.storage.base import ConstraintOp, Direction
from paramscope.trial import Trial, TrialState

UNIT = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
Objective = Callable[[Mapping[str, Any]], dict[str, float]]


def zdt1_2d(p: Mapping[str, Any]) -> dict[str, float]:
    g = 1.0 + 9.0 * p["y"]
    return {"f1": p["x"], "f2": g * (1.0 - math.sqrt(p["x"] / g)), "size": p["x"] + p["y"]}


def drive(
    fn: Objective,
    budget: int,
    *,
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]] | None = None,
    seed: int = 0,
) -> list[Trial]:
    sampler = BayesSampler()
    trials: list[Trial] = []
    while len(trials) < budget:
        history = History(UNIT, tuple(trials), objectives, constraints or {}, seed=seed)
        params = sampler.suggest(history)[0]
        trials.append(Trial(len(trials), params, TrialState.COMPLETE, fn(params)))
    return trials


def brute_force_front(
    trials: list[Trial],
    objectives: Mapping[str, Direction],
    constraints: Mapping[str, tuple[ConstraintOp, float]],
) -> list[int]:
    def ok(t: Trial) -> bool:
        return all(
            t.values[c] <= b if op == "<=" else t.values[c] >= b
            for c, (op, b) in constraints.items()
        )

    def signed(t: Trial) -> np.ndarray:
        return np.array([t.values[n] * (1 if d == "min" else -1) for n, d in objectives.items()])

    feasible = [t for t in trials if t.state == TrialState.COMPLETE and ok(t)]
    return [
        t.number
        for t in feasible
        if not any(
            np.all(signed(o) <= signed(t)) and np.any(signed(o) < signed(t)) for o in feasible
        )
    ]


def test_two_and_three_objectives_use_ehvi_and_more_use_parego() -> None:
    rng = np.random.default_rng(0)
    sampler = BayesSampler()
    for k, expect_ehvi in ((2, True), (3, True), (4, False)):
        names = [f"f{j}" for j in range(k)]
        trials = tuple(
            Trial(
                i,
                {"x": x, "y": y},
                TrialState.COMPLETE,
                {n: float(v) for n, v in zip(names, row, strict=True)},
            )
            for i, (x, y, row) in enumerate(
                zip(rng.random(8), rng.random(8), rng.random((8, k)), strict=True)
            )
        )
        history = History(UNIT, trials, dict.fromkeys(names, "min"), seed=0)
        fmap = FeatureMap.from_space(UNIT)
        models = sampler._models(fmap, history, _collect(history, fmap), rng)
        assert models is not None
        assert isinstance(models.multi, HypervolumeModels) is expect_ehvi
        assert (models.objective is None) is expect_ehvi


def test_ehvi_finds_a_better_front_than_random_in_25_trials() -> None:
    objectives: dict[str, Direction] = {"f1": "min", "f2": "min"}
    trials = drive(zdt1_2d, 25, objectives=objectives)
    rng = np.random.default_rng(0)
    random_points = [zdt1_2d({"x": x, "y": y}) for x, y in rng.random((25, 2))]
    reference = np.array([1.1, 11.0])
    ours = front_hypervolume(trials, objectives, {}, reference=tuple(reference))
    theirs = hypervolume(np.array([[v["f1"], v["f2"]] for v in random_points]), reference)
    assert ours > theirs
    print(ours, theirs)
    assert ours > 0.95 * (1.1 * 11.0 - 1.0 / 3.0)  # the true front's


def test_constrained_study_reports_only_feasible_pareto_points() -> None:
    objectives: dict[str, Direction] = {"f1": "min", "f2": "min"}
    constraints: dict[str, tuple[ConstraintOp, float]] = {"size": (">=", 0.5)}
    trials = drive(zdt1_2d, 20, objectives=objectives, constraints=constraints)
    front = pareto_front(trials, objectives, constraints)
    assert [t.number for t in front] == brute_force_front(trials, objectives, constraints)
    assert front and all(t.values["size"] >= 0.5 for t in front)
    # The unconstrained optimum (x = y = 0) is infeasible; the sampler learned to stay out.
    late = trials[10:]
    assert sum(t.values["size"] >= 0.5 for t in late) >= 7


def test_study_api_with_directions_and_constraints() -> None:
    space = ps.Space({"x": ps.Float(0.0, 1.0), "y": ps.Float(0.0, 1.0)})

    def fn(p: Mapping[str, Any]) -> dict[str, float]:
        return {"cost": p["x"] + 0.1 * p["y"], "quality": math.sqrt(p["x"]), "mem": p["y"]}

    study = ps.Study.create(
        "mo",
        space,
        objectives={"cost": "min", "quality": "max"},
        constraints={"mem": ("<=", 0.5)},
        storage="sqlite://",
        seed=1,
    )
    study.optimize(fn, budget=15)
    trials = study.trials
    objectives: dict[str, Direction] = {"cost": "min", "quality": "max"}
    constraints: dict[str, tuple[ConstraintOp, float]] = {"mem": ("<=", 0.5)}
    front = study.pareto_front()
    assert [t.number for t in front] == brute_force_front(trials, objectives, constraints)
    assert all(t.values["mem"] <= 0.5 for t in front)
    # Hypervolume in the objectives' own units: "quality" counts above its reference 0.0.
    feasible = [t for t in trials if t.values["mem"] <= 0.5]
    Y = np.array([[t.values["cost"], -t.values["quality"]] for t in feasible])
    expected = hypervolume(Y, np.array([1.2, -0.0]))
    assert study.hypervolume({"cost": 1.2, "quality": 0.0}) == pytest.approx(expected)
    assert study.hypervolume([1.2, 0.0]) == pytest.approx(expected)
    history = study.hypervolume_history({"cost": 1.2, "quality": 0.0})
    assert len(history) == 15 and history == sorted(history)
    assert history[-1] == pytest.approx(expected)
    assert study.hypervolume_history()[-1] == pytest.approx(study.hypervolume())
    with pytest.raises(ConfigError, match="reference"):
        study.hypervolume({"cost": 1.0})


def test_history_counts_each_finished_trial_and_ignores_infeasible_ones() -> None:
    objectives: dict[str, Direction] = {"a": "min", "b": "min"}
    constraints: dict[str, tuple[ConstraintOp, float]] = {"c": ("<=", 0.0)}
    trials = [
        Trial(0, {}, TrialState.COMPLETE, {"a": 1.0, "b": 1.0, "c": 1.0}),  # infeasible
        Trial(1, {}, TrialState.FAILED),
        Trial(2, {}, TrialState.COMPLETE, {"a": 2.0, "b": 2.0, "c": 0.0}),
        Trial(3, {}, TrialState.RUNNING),
        Trial(4, {}, TrialState.COMPLETE, {"a": 1.0, "b": 3.0, "c": -1.0}),
    ]
    history = hypervolume_history(trials, objectives, constraints, reference=(4.0, 4.0))
    assert history == [0.0, 0.0, 4.0, 5.0]
    assert hypervolume_history(trials[:2], objectives, constraints) == [0.0, 0.0]
    assert front_hypervolume(trials[:2], objectives, constraints) == 0.0


def test_batches_are_distinct_points() -> None:
    objectives: dict[str, Direction] = {"f1": "min", "f2": "min"}
    trials = drive(zdt1_2d, 12, objectives=objectives)
    history = History(UNIT, tuple(trials), objectives, seed=0)
    batch = BayesSampler().suggest(history, n=4)
    seen = {(t.params["x"], t.params["y"]) for t in trials}
    assert len({(p["x"], p["y"]) for p in batch} - seen) == 4


def test_believed_points_join_the_front_and_pin_the_models() -> None:
    fmap = FeatureMap.from_space(UNIT)
    rng = np.random.default_rng(0)
    X = rng.random((10, 2))
    Y = np.stack([X[:, 0], 1 - np.sqrt(X[:, 0]) + X[:, 1]], axis=1)
    models, anchors = fit_hypervolume_models(
        lambda role, x, z: GaussianProcess(fmap).fit(x, z),
        ["f1", "f2"],
        X,
        Y,
        np.ones(10, dtype=bool),
        rng=rng,
    )
    assert anchors.shape[1] == 2 and anchors.shape[0] == min(5, models.front.shape[0])
    U = np.array([[0.5, 0.0], [0.9, 0.9]])
    before = [gp.predict(U) for gp in models.objectives]
    means = np.stack([mean for mean, _ in before], axis=1)
    believed = models.believe(U, np.array([True, False]))
    for gp, (mean, var) in zip(believed.objectives, before, strict=True):
        new_mean, new_var = gp.predict(U)
        np.testing.assert_allclose(new_mean, mean, atol=1e-6)  # believed: the mean stays
        assert np.all(new_var < 0.5 * var)  # and the GP is surer of it there
    front = believed.front
    expected = np.vstack([models.front, means[:1]])  # the infeasible-looking point stays out
    assert np.all(pareto_mask(front))
    assert {tuple(r) for r in front} == {tuple(r) for r in expected[pareto_mask(expected)]}
    assert models.believe(np.zeros((0, 2)), np.zeros(0, dtype=bool)) is models


def test_seeded_runs_repeat() -> None:
    objectives: dict[str, Direction] = {"f1": "min", "f2": "min"}
    first = drive(zdt1_2d, 12, objectives=objectives, seed=3)
    second = drive(zdt1_2d, 12, objectives=objectives, seed=3)
    assert [t.params for t in first] == [t.params for t in second]


@pytest.mark.parametrize(
    "reference",
    ["ab", [1.0], [True, 2.0], {"a": 1.0}, {"a": 1.0, "c": 2.0}, 3.0, [math.nan, 1.0]],
)
def test_bad_references_name_the_expected_form(reference: Any) -> None:
    trials = [Trial(0, {}, TrialState.COMPLETE, {"a": 1.0, "b": 1.0})]
    with pytest.raises(ConfigError, match=r"reference: expected \{name: number\} for \['a', 'b'\]"):
        front_hypervolume(trials, {"a": "min", "b": "min"}, {}, reference=reference)


def test_references_by_name_sequence_or_array_agree() -> None:
    trials = [Trial(0, {}, TrialState.COMPLETE, {"a": 1.0, "b": 1.0})]
    objectives: dict[str, Direction] = {"a": "min", "b": "max"}
    values = [
        front_hypervolume(trials, objectives, {}, reference=reference)
        for reference in ({"b": 0.0, "a": 3.0}, (3, 0), [3.0, 0.0], np.array([3.0, 0.0]))
    ]
    assert values == [2.0, 2.0, 2.0, 2.0]
