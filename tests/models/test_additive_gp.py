"""Additive GP: gradient of the fit objective, the posterior against a direct computation,
posterior paths against the posterior, and additive structure found where it exists."""

# ruff: noqa: N803, N806  (matrix names X, K follow the maths)

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import approx_fprime

from paramscope.models import FeatureMap, GPOptions, ModelFitError
from paramscope.models.additive import AdditiveGP
from paramscope.models.additive_fit import (
    AdditiveHyper,
    AdditiveProblem,
    neg_log_posterior,
    pairwise_sqdists,
)
from paramscope.space import Choice, Float, Space

SPACE = Space({"a": Float(0, 1), "b": Float(0, 1), "c": Choice(["x", "y", "z"])})


def _matern(r2: np.ndarray, var: float) -> np.ndarray:
    r = np.sqrt(r2)
    return var * (1 + math.sqrt(5) * r + 5 / 3 * r2) * np.exp(-math.sqrt(5) * r)


@pytest.mark.parametrize("deterministic", [False, True])
def test_the_fit_objective_gradient_matches_finite_differences(deterministic: bool) -> None:
    rng = np.random.default_rng(0)
    fmap = FeatureMap.from_space(SPACE)
    F = fmap.transform(rng.random((25, 3)))
    D = pairwise_sqdists(F, F, fmap.groups)
    y = rng.standard_normal(25)
    problem = AdditiveProblem(D, y, GPOptions(deterministic=deterministic))
    theta = rng.normal(-0.5, 0.5, size=3 * 3 + (1 if deterministic else 2))
    _, grad = neg_log_posterior(theta, problem)
    numeric = approx_fprime(theta, lambda t: neg_log_posterior(t, problem)[0], 1e-6)
    assert np.allclose(grad, numeric, rtol=1e-4, atol=1e-6)


def test_the_posterior_equals_a_direct_computation_with_fixed_hyperparameters() -> None:
    rng = np.random.default_rng(1)
    space = Space({"a": Float(0, 1), "b": Float(0, 1)})
    X, Xs = rng.random((15, 2)), rng.random((4, 2))
    y = np.sin(5 * X[:, 0]) + X[:, 1]
    hyper = AdditiveHyper(
        np.log([0.7, 0.3]), np.log([0.2, 0.5]), math.log(0.2), np.log([0.4, 0.9]), math.log(1e-3)
    )
    fixed = AdditiveGP(FeatureMap.from_space(space), hyper=hyper)

    def kernel(A: np.ndarray, B: np.ndarray) -> np.ndarray:
        K = _matern(((A[:, None, :] - B[None, :, :]) ** 2 / np.array([0.4, 0.9]) ** 2).sum(-1), 0.2)
        for j, (var, ls) in enumerate([(0.7, 0.2), (0.3, 0.5)]):
            K = K + _matern((A[:, None, j] - B[None, :, j]) ** 2 / ls**2, var)
        return K

    K = kernel(X, X) + 1e-3 * np.eye(15)
    Ks = kernel(Xs, X)
    mean = Ks @ np.linalg.solve(K, y)
    var = 0.2 + 0.7 + 0.3 - np.einsum("ij,ji->i", Ks, np.linalg.solve(K, Ks.T))
    got_mean, got_var = fixed.condition(X, y).predict(Xs)
    assert np.allclose(got_mean, mean, atol=1e-8)
    assert np.allclose(got_var, var, atol=1e-8)


def test_condition_without_hyperparameters_is_a_model_error() -> None:
    gp = AdditiveGP(FeatureMap.from_space(Space({"a": Float(0, 1)})))
    with pytest.raises(ModelFitError, match="condition needs hyperparameters"):
        gp.condition(np.array([[0.5]]), np.array([1.0]))
    with pytest.raises(ModelFitError, match="non-finite"):
        gp.fit(np.array([[0.5]]), np.array([math.nan]))


def test_paths_have_the_posterior_mean_and_variance() -> None:
    rng = np.random.default_rng(2)
    space = Space({"a": Float(0, 1), "b": Float(0, 1)})
    X = rng.random((6, 2))  # few runs: the posterior variance is large next to the features' error
    gp = AdditiveGP(FeatureMap.from_space(space)).fit(X, np.cos(4 * X[:, 0]) * X[:, 1])
    Xs = rng.random((6, 2))
    paths = gp.sample_paths(4000, rng=np.random.default_rng(3))(Xs)
    mean, var = gp.predict(Xs)
    assert gp.hyper is not None
    scale = gp.hyper.prior_variance
    assert np.allclose(paths.mean(axis=1), mean, atol=4 * np.sqrt(var / 4000) + 0.01 * scale)
    assert np.allclose(paths.var(axis=1), var, rtol=0.15, atol=0.02 * scale)


def test_an_additive_function_gets_a_small_joint_term_and_a_product_a_large_one() -> None:
    rng = np.random.default_rng(4)
    space = Space({"a": Float(0, 1), "b": Float(0, 1)})
    X = rng.random((60, 2))
    fmap, exact = FeatureMap.from_space(space), GPOptions(deterministic=True)
    additive = AdditiveGP(fmap, options=exact).fit(X, np.sin(4 * X[:, 0]) + X[:, 1] ** 2)
    product = AdditiveGP(fmap, options=exact).fit(X, np.sin(4 * X[:, 0]) * (X[:, 1] - 0.5))
    assert additive.hyper is not None and product.hyper is not None
    share = [math.exp(h.log_joint_var) / h.prior_variance for h in (additive.hyper, product.hyper)]
    assert share[0] < 0.05 < 0.5 < share[1]


def test_loo_residuals_are_near_one_in_size_when_noise_dominates() -> None:
    rng = np.random.default_rng(5)
    space = Space({"a": Float(0, 1)})
    X = rng.random((40, 1))
    y = np.sin(6 * X[:, 0]) + 0.2 * rng.standard_normal(40)
    gp = AdditiveGP(FeatureMap.from_space(space)).fit(X, y)
    z = gp.loo_residuals()
    assert z.shape == (40,)
    assert 0.2 < float(np.sqrt(np.mean(z**2))) < 3.0
