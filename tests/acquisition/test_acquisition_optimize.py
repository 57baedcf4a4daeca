"""Acquisition over the unit cube: gradients wrt x, the optimizer's search, never a seen point."""

# ruff: noqa: N803, N806  (matrix names X, U follow the maths)

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pytest

from paramscope.acquisition import (
    AcquisitionFunction,
    ConstraintModel,
    OptimizeOptions,
    augmented_chebyshev,
    optimize_acquisition,
    random_unseen,
    random_weights,
)
from paramscope.models import FeatureMap, GaussianProcess, GPHyper
from paramscope.space import Choice, Float, Int, Space

MIXED = Space({"x": Float(0, 1), "y": Float(0, 1), "k": Int(0, 6), "c": Choice(["a", "b"])})
FAST = OptimizeOptions(raw_samples=256, around_best=64, n_restarts=4, maxiter=100)


def _gp(space: Space, y_fn: str, seed: int) -> GaussianProcess:
    fmap = FeatureMap.from_space(space)
    rng = np.random.default_rng(seed)
    X = fmap.snap(rng.random((15, space.dim)))
    y = np.sin(4 * X[:, 0]) + X[:, 1] if y_fn == "obj" else X[:, 0] - X[:, 1]
    hyper = GPHyper(np.log(np.full(space.dim, 0.4)), 0.0, math.log(1e-4))
    return GaussianProcess(fmap, hyper=hyper).condition(X, (y - y.mean()) / y.std())


@pytest.mark.parametrize(
    ("kind", "with_objective", "op"),
    [("ei", True, "<="), ("ucb", True, ">="), ("ei", False, "<=")],
)
def test_acquisition_gradient_wrt_x_equals_finite_differences(
    kind: Literal["ei", "ucb"], with_objective: bool, op: Literal["<=", ">="]
) -> None:
    objective = _gp(MIXED, "obj", 0) if with_objective else None
    constraint = ConstraintModel(_gp(MIXED, "con", 1), bound=0.2, op=op)
    acq = AcquisitionFunction(objective, incumbent=-1.2, constraints=[constraint], kind=kind)
    U = FeatureMap.from_space(MIXED).snap(np.random.default_rng(2).uniform(0.05, 0.95, (5, 4)))
    value, grad = acq.value_and_grad(U)
    np.testing.assert_allclose(value, acq(U))
    eps = 1e-6
    for j in (0, 1, 2):  # floats and the relaxed integer; the choice dim has no gradient
        step = np.zeros(4)
        step[j] = eps
        fd = (acq(U + step) - acq(U - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-4, atol=1e-6)
    assert np.all(grad[:, 3] == 0.0)


class _Bowl:
    """A known acquisition: maximal at ``center`` (with a choice preference)."""

    def __init__(self, center: np.ndarray) -> None:
        self.center = center

    def __call__(self, U: np.ndarray) -> np.ndarray:
        return self.value_and_grad(U)[0]

    def value_and_grad(self, U: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        diff = U - self.center
        return -(diff**2).sum(1), -2 * diff


def test_optimizer_finds_a_continuous_maximum() -> None:
    fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "y": Float(0, 1), "z": Float(0, 1)}))
    center = np.array([0.123, 0.8, 0.456])
    u = optimize_acquisition(_Bowl(center), fmap, rng=np.random.default_rng(0), options=FAST)
    np.testing.assert_allclose(u, center, atol=1e-5)


def test_optimizer_snaps_grids_and_walks_choices() -> None:
    fmap = FeatureMap.from_space(MIXED)
    target = fmap.snap(np.array([[0.3, 0.7, 0.62, 0.9]]))[0]  # k = 4, c = "b"
    u = optimize_acquisition(_Bowl(target), fmap, rng=np.random.default_rng(1), options=FAST)
    params = MIXED.decode(u)
    assert params["k"] == 4 and params["c"] == "b"
    assert params["x"] == pytest.approx(0.3, abs=1e-4)


def test_optimizer_never_returns_a_seen_point() -> None:
    fmap = FeatureMap.from_space(Space({"k": Int(0, 4), "c": Choice(["a", "b"])}))
    best = fmap.snap(np.array([[0.5, 0.25]]))[0]
    seen = {fmap.key(best)}
    u = optimize_acquisition(_Bowl(best), fmap, rng=np.random.default_rng(2), seen=seen)
    assert fmap.key(u) not in seen
    # The runner-up is a neighbour of the maximum.
    assert np.abs(u - best).sum() <= 0.25 + 0.5 + 1e-9


def test_random_unseen_exhausts_a_finite_space() -> None:
    fmap = FeatureMap.from_space(Space({"k": Int(0, 2)}))
    rng = np.random.default_rng(3)
    assert fmap.space.decode(random_unseen(fmap, rng, {(0,), (2,)})) == {"k": 1}
    full = random_unseen(fmap, rng, {(0,), (1,), (2,)})  # nothing new: any valid point
    assert fmap.space.decode(full)["k"] in (0, 1, 2)


def test_augmented_chebyshev_is_minimized_on_the_pareto_front() -> None:
    Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.4, 0.4], [0.9, 0.9]])
    weights = random_weights(2, np.random.default_rng(4))
    assert weights.sum() == pytest.approx(1.0) and np.all(weights >= 0)
    s = augmented_chebyshev(Y, weights)
    assert s[3] > s[2]  # a dominated point scores worse than the point dominating it
    assert augmented_chebyshev(Y, np.array([0.5, 0.5])).argmin() == 2
