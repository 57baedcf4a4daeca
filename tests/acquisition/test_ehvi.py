"""Log EHVI: equals Monte Carlo EHVI, stays finite far away, exact gradients, optimizer protocol."""

# ruff: noqa: N806  (matrix names U, X, Y follow the maths)

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from paramscope.acquisition import (
    ConstraintModel,
    HypervolumeAcquisition,
    log_ehvi,
    log_ehvi_with_grad,
    optimize_acquisition,
)
from paramscope.hypervolume import hypervolume, improvement, nondominated_boxes
from paramscope.models import FeatureMap, GaussianProcess
from paramscope.space import Float, Space


def _front(k: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Y = np.abs(rng.normal(size=(n, k)))
    return Y / np.linalg.norm(Y, axis=1, keepdims=True), np.full(k, 1.2)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_equals_monte_carlo_expected_improvement(k: int) -> None:
    Y, r = _front(k, 8, seed=k)
    boxes = nondominated_boxes(Y, r)
    rng = np.random.default_rng(100 + k)
    mean = rng.random((5, k)) * 1.1
    var = rng.random((5, k)) * 0.05 + 1e-3
    exact = np.exp(log_ehvi(mean, var, boxes))
    for i in range(5):
        draws = mean[i] + np.sqrt(var[i]) * rng.standard_normal((40_000, k))
        hvi = improvement(draws, boxes)
        standard_error = hvi.std() / np.sqrt(hvi.size)
        assert abs(exact[i] - hvi.mean()) < 5 * standard_error + 1e-12


def test_one_objective_reduces_to_expected_improvement() -> None:
    boxes = nondominated_boxes(np.array([[0.3]]), np.array([5.0]))
    mean, var = np.array([[0.0], [1.0]]), np.array([[0.5], [0.2]])
    s = np.sqrt(var[:, 0])
    z = (0.3 - mean[:, 0]) / s
    ei = s * (norm.pdf(z) + z * norm.cdf(z))
    np.testing.assert_allclose(np.exp(log_ehvi(mean, var, boxes)), ei, rtol=1e-10)


def test_sure_points_give_their_hypervolume_improvement() -> None:
    Y, r = _front(2, 6, seed=0)
    boxes = nondominated_boxes(Y, r)
    new = np.array([[0.3, 0.3], [0.1, 1.1]])
    expected = [hypervolume(np.vstack([Y, p]), r) - hypervolume(Y, r) for p in new]
    np.testing.assert_allclose(np.exp(log_ehvi(new, np.full((2, 2), 1e-14), boxes)), expected)


def test_finite_and_ordered_far_behind_the_front() -> None:
    Y, r = _front(3, 10, seed=1)
    boxes = nondominated_boxes(Y, r)
    distances = np.array([2.0, 10.0, 40.0, 200.0, 1e4])
    mean = np.ones((5, 3)) + distances[:, None]
    value, d_mean, d_var = log_ehvi_with_grad(mean, np.full((5, 3), 0.01), boxes)
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(d_mean)) and np.all(np.isfinite(d_var))
    assert np.all(np.diff(value) < 0)  # farther is worse, even where EHVI itself is 0.0
    assert np.all(d_mean < 0)  # and the gradient points back toward the front


@pytest.mark.parametrize("k", [2, 3])
def test_gradients_match_finite_differences(k: int) -> None:
    Y, r = _front(k, 7, seed=10 + k)
    boxes = nondominated_boxes(Y, r)
    rng = np.random.default_rng(k)
    mean = rng.random((6, k)) * 1.3 - 0.1
    var = rng.random((6, k)) * 0.1 + 1e-3
    _, d_mean, d_var = log_ehvi_with_grad(mean, var, boxes)
    eps = 1e-6
    for j in range(k):
        step = np.zeros(k)
        step[j] = eps
        fd_mean = (log_ehvi(mean + step, var, boxes) - log_ehvi(mean - step, var, boxes)) / (
            2 * eps
        )
        fd_var = log_ehvi(mean, var + step * 1e-2, boxes) - log_ehvi(mean, var - step * 1e-2, boxes)
        np.testing.assert_allclose(d_mean[:, j], fd_mean, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(d_var[:, j], fd_var / (2 * eps * 1e-2), rtol=1e-4, atol=1e-6)


def _models(k: int) -> tuple[tuple[GaussianProcess, ...], np.ndarray, FeatureMap]:
    space = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
    fmap = FeatureMap.from_space(space)
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    targets = [X[:, 0], 1 - np.sqrt(X[:, 0]) + X[:, 1], (X[:, 1] - 0.5) ** 2]
    gps = tuple(GaussianProcess(fmap).fit(X, t) for t in targets[:k])
    return gps, np.stack(targets[:k], axis=1), fmap


@pytest.mark.parametrize("k", [2, 3])
def test_acquisition_gradient_wrt_the_point(k: int) -> None:
    gps, Y, _ = _models(k)
    constraint = ConstraintModel(gps[0], bound=0.6, op="<=")
    acq = HypervolumeAcquisition.from_front(gps, Y, Y.max(axis=0) + 0.1, [constraint])
    U = np.random.default_rng(1).random((5, 2)) * 0.9 + 0.05
    value, grad = acq.value_and_grad(U)
    np.testing.assert_allclose(acq(U), value, rtol=1e-10)
    eps = 1e-6
    for j in range(2):
        step = np.zeros(2)
        step[j] = eps
        fd = (acq(U + step) - acq(U - step)) / (2 * eps)
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-4, atol=1e-5)


def test_optimizer_finds_the_gap_in_a_front() -> None:
    space = Space({"x": Float(0.0, 1.0)})
    fmap = FeatureMap.from_space(space)
    X = np.array([[0.0], [0.1], [0.2], [0.8], [0.9], [1.0]])
    f1, f2 = X[:, 0], 1 - X[:, 0]  # every x is Pareto optimal; the front has a gap at 0.2-0.8
    gps = tuple(GaussianProcess(fmap).fit(X, t) for t in (f1, f2))
    acq = HypervolumeAcquisition.from_front(gps, np.stack([f1, f2], axis=1), np.array([1.1, 1.1]))
    u = optimize_acquisition(acq, fmap, rng=np.random.default_rng(0))
    assert 0.3 < u[0] < 0.7
