"""Ranking: best trial, feasibility and the Pareto front against brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from paramscope.ranking import best_trial, is_feasible, pareto_front
from paramscope.trial import Trial, TrialState


def trial(number: int, state: str = "complete", **values: float) -> Trial:
    return Trial(number=number, params={}, state=TrialState(state), values=values)


def test_best_respects_direction_state_and_constraints() -> None:
    trials = [
        trial(0, value=5.0, mem=1.0),
        trial(1, value=1.0, mem=20.0),  # best value but infeasible
        trial(2, "failed"),
        trial(3, value=2.0, mem=3.0),
        trial(4, value=2.0, mem=3.0),  # tie: the earlier wins
    ]
    assert best_trial(trials, {"value": "min"}, {"mem": ("<=", 16.0)}).number == 3  # type: ignore[union-attr]
    assert best_trial(trials, {"value": "max"}, {}).number == 0  # type: ignore[union-attr]
    assert best_trial(trials[2:3], {"value": "min"}, {}) is None


@pytest.mark.parametrize(
    ("op", "bound", "value", "ok"),
    [
        ("<=", 1.0, 1.0, True),
        ("<=", 1.0, 1.1, False),
        (">=", 0.5, 0.4, False),
        (">=", 0.5, 0.6, True),
    ],
)
def test_feasibility(op: str, bound: float, value: float, ok: bool) -> None:
    assert is_feasible(trial(0, value=0.0, c=value), {"c": (op, bound)}) is ok  # type: ignore[dict-item]
    assert not is_feasible(trial(0, value=0.0), {"c": (op, bound)})  # type: ignore[dict-item]


@pytest.mark.parametrize("seed", range(5))
def test_pareto_front_equals_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 6, size=(30, 3)).astype(float)  # ties on purpose
    trials = [trial(i, a=p[0], b=p[1], c=p[2]) for i, p in enumerate(points)]
    directions = {"a": "min", "b": "max", "c": "min"}
    signed = points * np.array([1, -1, 1])

    def dominated(i: int) -> bool:
        return any(
            np.all(signed[j] <= signed[i]) and np.any(signed[j] < signed[i])
            for j in range(len(points))
            if j != i
        )

    expected = [i for i in range(len(points)) if not dominated(i)]
    assert [t.number for t in pareto_front(trials, directions, {})] == expected  # type: ignore[arg-type]


def test_pareto_front_keeps_only_feasible_points() -> None:
    trials = [trial(0, a=0.0, b=0.0, mem=99.0), trial(1, a=1.0, b=1.0, mem=1.0)]
    front = pareto_front(trials, {"a": "min", "b": "min"}, {"mem": ("<=", 16.0)})
    assert [t.number for t in front] == [1]
    assert list(itertools.chain(pareto_front([], {"a": "min"}, {}))) == []
