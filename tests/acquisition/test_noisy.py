"""Noisy EI: the mean of EI over posterior draws, its gradient, its tail and its fantasies."""

# ruff: noqa: N806  (matrix names X, U follow the maths)

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from paramscope.acquisition import (
    AcquisitionFunction,
    ConstraintModel,
    LatentDraws,
    LogNoisyEI,
)
from paramscope.models import FeatureMap, GaussianProcess, GPHyper
from paramscope.space import Float, Space

SPACE = Space({"a": Float(0, 1), "b": Float(0, 1)})
FMAP = FeatureMap.from_space(SPACE)


def _gp(noise: float, n: int = 15, seed: int = 0) -> tuple[GaussianProcess, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, 2))
    y = np.sin(4 * X[:, 0]) + X[:, 1] + rng.normal(0, math.sqrt(noise), n)
    hyper = GPHyper(np.log([0.4, 0.7]), 0.0, math.log(noise))
    return GaussianProcess(FMAP, hyper=hyper).condition(X, y), X


def test_value_is_the_log_of_the_mean_ei_over_draws() -> None:
    gp, X = _gp(noise=0.1, n=6)  # few points: EI stays representable for the direct sum below
    draws = LatentDraws.from_posterior(gp, X, np.ones(len(X), bool), 16, seed=3)
    U = np.random.default_rng(1).random((6, 2))[1:]  # the first lies next to a data point
    mean, var = draws.model.predict(U)
    sd = np.sqrt(var)[:, None]
    z = (draws.incumbents[None] - mean) / sd
    ei = sd * (z * norm.cdf(z) + norm.pdf(z))
    assert np.all(ei.mean(axis=1) > 1e-12)
    np.testing.assert_allclose(LogNoisyEI(draws)(U), np.log(ei.mean(axis=1)), rtol=1e-8)
    values = gp.posterior_draws(X, 16, seed=3)
    np.testing.assert_allclose(draws.incumbents, values.min(axis=1))


def test_gradient_equals_finite_differences_with_a_constraint() -> None:
    gp, X = _gp(noise=0.05)
    cgp, _ = _gp(noise=0.01, seed=5)
    acq = LogNoisyEI(
        LatentDraws.from_posterior(gp, X, np.ones(len(X), bool), 8, seed=0),
        constraints=[ConstraintModel(cgp, bound=0.5, op="<=")],
    )
    U = np.random.default_rng(2).uniform(0.1, 0.9, (5, 2))
    value, grad = acq.value_and_grad(U)
    np.testing.assert_allclose(value, acq(U))
    eps = 1e-6
    for j in range(2):
        step = np.zeros(2)
        step[j] = eps
        np.testing.assert_allclose(
            grad[:, j], (acq(U + step) - acq(U - step)) / (2 * eps), rtol=1e-4, atol=1e-6
        )


def test_without_noise_it_is_log_ei_against_the_best_observation() -> None:
    gp, X = _gp(noise=1e-6, n=6)
    y_best = float(gp.predict(X)[0].min())
    draws = LatentDraws.from_posterior(gp, X, np.ones(len(X), bool), 16, seed=0)
    U = np.random.default_rng(3).random((8, 2))
    plain = AcquisitionFunction(gp, incumbent=y_best)(U)
    np.testing.assert_allclose(LogNoisyEI(draws)(U), plain, rtol=1e-3)


def test_finite_far_in_the_tail() -> None:
    gp, X = _gp(noise=0.1)
    lifted = LatentDraws(gp.noiseless().condition(X, np.full((len(X), 4), 50.0)), np.zeros(4))
    value, grad = LogNoisyEI(lifted).value_and_grad(np.array([[0.5, 0.5], [0.2, 0.9]]))
    assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
    assert np.all(value < -100)  # EI ~ exp(-1250 / var): far below any float, finite in log


def test_believing_a_point_removes_its_improvement_and_only_feasible_points_lower_it() -> None:
    gp, X = _gp(noise=0.1)
    draws = LatentDraws.from_posterior(gp, X, np.ones(len(X), bool), 8, seed=0)
    u = np.array([[0.37, 0.61]])
    before = LogNoisyEI(draws)(u)[0]
    believed = draws.believe(u, np.array([True]))
    assert LogNoisyEI(believed)(u)[0] < before - 5  # no variance left there
    mean_u = draws.model.predict_mean(u)[0]
    np.testing.assert_allclose(believed.incumbents, np.minimum(draws.incumbents, mean_u))
    infeasible = draws.believe(u, np.array([False]))
    np.testing.assert_array_equal(infeasible.incumbents, draws.incumbents)


@pytest.mark.parametrize("n_draws", [2, 64])
def test_any_power_of_two_draws(n_draws: int) -> None:
    gp, X = _gp(noise=0.1)
    draws = LatentDraws.from_posterior(gp, X, np.ones(len(X), bool), n_draws, seed=0)
    assert draws.incumbents.shape == (n_draws,)
    assert np.isfinite(LogNoisyEI(draws)(np.array([[0.5, 0.5]]))[0])
