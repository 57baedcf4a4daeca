"""Hypervolume: exact values on hand-made fronts, Monte Carlo agreement, boxes, reference rule."""

# ruff: noqa: N803, N806  (matrix names Y follow the maths)

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paramscope.errors import ConfigError
from paramscope.hypervolume import (
    contributions,
    hypervolume,
    improvement,
    nondominated_boxes,
    pareto_mask,
    reference_point,
)
from paramscope.problems import multi_objective_problems


def brute_force_hypervolume(Y: np.ndarray, r: np.ndarray) -> float:
    """Inclusion-exclusion over every subset: the volume of the union of the boxes [y, r]."""
    Y = Y[np.all(r > Y, axis=1)]
    total = 0.0
    for size in range(1, Y.shape[0] + 1):
        for subset in itertools.combinations(range(Y.shape[0]), size):
            corner = Y[list(subset)].max(axis=0)
            total += (-1) ** (size + 1) * float(np.prod(r - corner))
    return total


def monte_carlo_hypervolume(Y: np.ndarray, r: np.ndarray, low: np.ndarray, n: int) -> float:
    rng = np.random.default_rng(0)
    S = low + rng.random((n, r.shape[0])) * (r - low)
    dominated = np.zeros(n, dtype=bool)
    for y in Y:
        dominated |= np.all(y <= S, axis=1)
    return float(dominated.mean() * np.prod(r - low))


@pytest.mark.parametrize(
    ("points", "reference", "expected"),
    [
        ([[1.0]], [3.0], 2.0),
        ([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]], [4.0, 4.0], 6.0),
        ([[1.0, 1.0]], [2.0, 3.0], 2.0),
        ([[0.0, 2.0], [2.0, 0.0], [1.0, 1.0], [1.5, 1.5]], [3.0, 3.0], 6.0),  # one dominated
        ([[1.0, 1.0], [1.0, 1.0]], [2.0, 2.0], 1.0),  # duplicates count once
        ([[5.0, 0.0], [0.0, 0.0]], [4.0, 4.0], 16.0),  # a point outside the reference adds 0
        ([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], [4.0, 4.0, 4.0], 3 * 2 * 1 + 1 * 2 * 3 - 1 * 2 * 1),
        ([[0.0, 0.0, 0.0]], [1.0, 2.0, 3.0], 6.0),
        ([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], [2.0, 2.0, 2.0], 7.0 - 0.0),
        (
            [[0.5] * 4, [1.0, 0.0, 1.0, 0.0]],
            [2.0] * 4,
            1.5**4 + 1.0 * 2 * 1 * 2 - 1.0 * 1.5 * 1 * 1.5,
        ),
    ],
)
def test_known_values(points: list[list[float]], reference: list[float], expected: float) -> None:
    Y, r = np.array(points), np.array(reference)
    assert hypervolume(Y, r) == pytest.approx(expected, rel=1e-12)
    assert brute_force_hypervolume(np.unique(Y, axis=0), r) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("k", "n"), [(2, 12), (3, 10), (4, 9), (5, 8), (6, 7)])
def test_equals_inclusion_exclusion_on_random_fronts(k: int, n: int) -> None:
    rng = np.random.default_rng(k)
    for _ in range(3):
        Y = rng.random((n, k))
        r = np.full(k, 1.1)
        assert hypervolume(Y, r) == pytest.approx(brute_force_hypervolume(Y, r), rel=1e-10)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_agrees_with_monte_carlo(k: int) -> None:
    rng = np.random.default_rng(10 + k)
    Y = np.abs(rng.normal(size=(40, k)))
    Y /= np.linalg.norm(Y, axis=1, keepdims=True)  # a spherical front: many Pareto points
    r = np.full(k, 1.2)
    estimate = monte_carlo_hypervolume(Y, r, np.zeros(k), 400_000)
    # 400k samples: the standard error of the dominated fraction is below 0.1% of the box.
    assert hypervolume(Y, r) == pytest.approx(estimate, abs=4e-3 * 1.2**k)


def test_best_fronts_of_the_benchmark_problems() -> None:
    problems = multi_objective_problems()
    f1 = np.linspace(0.0, 1.0, 2001)
    for name, front in (("zdt1", 1 - np.sqrt(f1)), ("zdt2", 1 - f1**2)):
        Y = np.stack([f1, front], axis=1)
        problem = problems[name]
        assert hypervolume(Y, np.array(problem.reference)) == pytest.approx(
            problem.max_hypervolume, rel=1e-5
        )
        values = problem.fn({f"x{i}": 0.3 if i == 0 else 0.0 for i in range(6)})
        assert values["f2"] == pytest.approx(float(front[600]))
    angles = np.linspace(0.0, math.pi / 2, 80)
    a, b = np.meshgrid(angles, angles)
    sphere = np.stack([np.cos(a) * np.cos(b), np.cos(a) * np.sin(b), np.sin(a)], axis=-1).reshape(
        -1, 3
    )
    dtlz2 = problems["dtlz2"]
    assert hypervolume(sphere, np.array(dtlz2.reference)) == pytest.approx(
        dtlz2.max_hypervolume,
        rel=2e-2,  # a staircase under the sphere: slightly below
    )
    on_front = dtlz2.fn({"x0": 0.3, "x1": 0.7, **{f"x{i}": 0.5 for i in range(2, 6)}})
    assert sum(v * v for v in on_front.values()) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 4).flatmap(
        lambda k: st.lists(
            st.lists(st.integers(0, 5), min_size=k, max_size=k), min_size=0, max_size=9
        )
    )
)
def test_boxes_tile_the_region_the_front_does_not_dominate(rows: list[list[int]]) -> None:
    k = len(rows[0]) if rows else 2
    Y = np.array(rows, dtype=float).reshape(len(rows), k)
    r = np.full(k, 6.0)
    lower, upper = nondominated_boxes(Y, r)
    assert np.all(upper > lower) and np.all(upper <= r)
    # Disjoint, and together with the dominated region they fill [low, r] exactly.
    low = np.full(k, -1.0)
    clipped = np.prod(np.clip(upper - np.maximum(lower, low), 0, None), axis=1)
    assert hypervolume(Y, r) + clipped.sum() == pytest.approx(float(np.prod(r - low)))
    for i, j in itertools.combinations(range(lower.shape[0]), 2):
        overlap = np.minimum(upper[i], upper[j]) - np.maximum(lower[i], lower[j])
        assert np.any(overlap <= 0)
    # The improvement of a new point is the hypervolume it adds.
    new = np.full(k, 2.5)
    expected = hypervolume(np.vstack([Y, new]), r) - hypervolume(Y, r)
    assert improvement(new[None], (lower, upper))[0] == pytest.approx(expected, abs=1e-9)


def test_box_counts_stay_linear_for_two_and_three_objectives() -> None:
    rng = np.random.default_rng(3)
    for k, n in ((2, 50), (3, 50)):
        Y = np.abs(rng.normal(size=(n, k)))
        Y /= np.linalg.norm(Y, axis=1, keepdims=True)
        lower, _ = nondominated_boxes(Y, np.full(k, 1.1))
        assert lower.shape[0] <= 2 * n + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)), max_size=15))
def test_pareto_mask_equals_brute_force(rows: list[tuple[int, int, int]]) -> None:
    Y = np.array(rows, dtype=float).reshape(len(rows), 3)
    expected = [
        not any(np.all(Y[j] <= Y[i]) and np.any(Y[j] < Y[i]) for j in range(len(rows)))
        for i in range(len(rows))
    ]
    assert pareto_mask(Y).tolist() == expected


def test_pareto_mask_of_many_points_takes_the_row_loop() -> None:
    rng = np.random.default_rng(0)
    Y = rng.integers(0, 30, size=(300, 2)).astype(float)
    dominated = np.array([np.any(np.all(y >= Y, axis=1) & np.any(y > Y, axis=1)) for y in Y])
    assert pareto_mask(Y).tolist() == (~dominated).tolist()


def test_contributions_are_exclusive_volumes() -> None:
    Y = np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0], [3.0, 3.0]])
    assert contributions(Y, np.array([4.0, 4.0])).tolist() == [1.0, 1.0, 1.0, 0.0]


def test_reference_point_rule() -> None:
    Y = np.array([[0.0, 10.0], [10.0, 0.0], [20.0, 20.0]])  # the dominated point is ignored
    assert reference_point(Y).tolist() == [11.0, 11.0]
    assert reference_point(Y, spread="all").tolist() == [12.0, 12.0]  # the range of all rows
    assert reference_point(np.array([[2.0, -5.0]])).tolist() == [2.2, -4.5]
    assert reference_point(Y, scale=0.5).tolist() == [15.0, 15.0]
    with pytest.raises(ConfigError, match="reference_point"):
        reference_point(np.zeros((0, 2)))
    with pytest.raises(ConfigError, match="spread"):
        reference_point(Y, spread="nadir")


def test_shape_errors_name_the_shapes() -> None:
    with pytest.raises(ConfigError, match=r"\(3, 2\) and \(3,\)"):
        hypervolume(np.zeros((3, 2)), np.zeros(3))


@pytest.mark.parametrize("ties", [False, True])
def test_pareto_mask_two_objectives_matches_all_pairs_on_many_rows(ties: bool) -> None:
    rng = np.random.default_rng(3)
    Y = rng.integers(0, 6, size=(600, 2)).astype(float) if ties else rng.random((600, 2))
    le = np.all(Y[:, None, :] <= Y[None, :, :], axis=2)
    lt = np.any(Y[:, None, :] < Y[None, :, :], axis=2)
    assert pareto_mask(Y).tolist() == (~np.any(le & lt, axis=0)).tolist()
