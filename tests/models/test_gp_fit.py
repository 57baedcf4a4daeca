"""Hyperparameter fit: analytic MLL gradient, the dimension-scaled prior, restarts and failures."""

# ruff: noqa: N806  (matrix names X, F follow the maths and scikit-learn)

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import lognorm

from paramscope.models import FeatureMap, GPOptions
from paramscope.models.fit import (
    MLLProblem,
    fit_hyperparameters,
    lengthscale_prior,
    neg_log_posterior,
)
from paramscope.models.kernels import (
    CentredRows,
    matern52,
    matern52_and_grad_factor,
    matern52_with_grad_factor,
    sqdist,
)
from paramscope.models.linalg import (
    ModelFitError,
    Workspace,
    blas_threads,
    cho_inverse,
    cho_solve_lower,
    robust_cholesky,
)
from paramscope.space import Choice, Float, Int, Space

MIXED = Space({"x": Float(0, 1), "k": Int(1, 6), "c": Choice(["a", "b", "c"])})


def _problem(deterministic: bool, seed: int = 0) -> MLLProblem:
    fmap = FeatureMap.from_space(MIXED)
    rng = np.random.default_rng(seed)
    F = fmap.transform(fmap.snap(rng.random((18, 3))))
    y = rng.standard_normal(18)
    return MLLProblem(F, y, fmap.groups, 3, GPOptions(deterministic=deterministic))


@pytest.mark.parametrize("deterministic", [False, True])
@pytest.mark.parametrize("seed", [0, 1])
def test_mll_gradient_equals_finite_differences(deterministic: bool, seed: int) -> None:
    problem = _problem(deterministic, seed)
    rng = np.random.default_rng(seed + 10)
    theta = rng.normal(-0.5, 0.4, 4 if deterministic else 5)
    if not deterministic:
        theta[-1] = math.log(0.05)  # a moderate noise keeps the finite differences accurate
    _, grad = neg_log_posterior(theta, problem)
    eps = 1e-6
    fd = [
        (neg_log_posterior(theta + e, problem)[0] - neg_log_posterior(theta - e, problem)[0])
        / (2 * eps)
        for e in np.eye(theta.size) * eps
    ]
    np.testing.assert_allclose(grad, fd, rtol=1e-4, atol=1e-6)


def test_mll_matches_the_gaussian_log_density() -> None:
    problem = _problem(deterministic=False)
    theta = np.array([-1.0, -0.5, 0.2, 0.3, math.log(0.1)])
    value, _ = neg_log_posterior(theta, problem)
    Z = problem.F / np.exp(theta[:3])[problem.groups]
    K = matern52(sqdist(Z, Z), math.exp(0.3)) + 0.1 * np.eye(18)
    _, logdet = np.linalg.slogdet(K)
    mll = -0.5 * (problem.y @ np.linalg.solve(K, problem.y) + logdet + 18 * math.log(2 * math.pi))
    # Log-normal densities over the values (lengthscales, outputscale, noise), constants dropped.
    values = np.exp(theta)
    mu_l, sd_l = lengthscale_prior(3)
    mus = [mu_l] * 3 + [GPOptions().outputscale_prior[0], GPOptions().noise_prior[0]]
    sds = [sd_l] * 3 + [GPOptions().outputscale_prior[1], GPOptions().noise_prior[1]]
    prior = sum(
        lognorm.logpdf(v, s=sd, scale=math.exp(mu)) + math.log(sd * math.sqrt(2 * math.pi))
        for v, mu, sd in zip(values, mus, sds, strict=True)
    )
    assert value == pytest.approx(-(mll + prior) / 18, rel=1e-10)


def test_lengthscale_prior_is_hvarfner_dimension_scaled() -> None:
    assert lengthscale_prior(1) == pytest.approx((math.sqrt(2), math.sqrt(3)))
    assert lengthscale_prior(100)[0] == pytest.approx(math.sqrt(2) + math.log(100) / 2)


def test_fit_finds_irrelevant_dimensions_and_small_noise() -> None:
    rng = np.random.default_rng(3)
    X = rng.random((40, 3))
    y = np.sin(6 * X[:, 0])
    y = (y - y.mean()) / y.std()
    hyper = fit_hyperparameters(X, y, np.arange(3), rng=rng)
    assert hyper.lengthscale[0] < 0.5 * min(hyper.lengthscale[1], hyper.lengthscale[2])
    assert hyper.noise < 1e-3


def test_deterministic_fit_fixes_the_noise() -> None:
    rng = np.random.default_rng(4)
    X = rng.random((12, 2))
    options = GPOptions(deterministic=True)
    hyper = fit_hyperparameters(X, X.sum(1) - 1.0, np.arange(2), options=options)
    assert hyper.noise == pytest.approx(options.min_noise)


def test_large_full_fit_explores_on_a_subset_then_polishes() -> None:
    rng = np.random.default_rng(5)
    X = rng.random((90, 2))
    y = np.cos(4 * X[:, 0]) * X[:, 1]
    y = (y - y.mean()) / y.std()
    options = GPOptions(max_restart_points=30)
    subset_fit = fit_hyperparameters(X, y, np.arange(2), options=options, rng=rng)
    full_fit = fit_hyperparameters(X, y, np.arange(2), rng=np.random.default_rng(5))
    np.testing.assert_allclose(subset_fit.log_lengthscale, full_fit.log_lengthscale, atol=0.1)


def test_robust_cholesky_adds_jitter_then_gives_up() -> None:
    x = np.zeros((3, 1))
    K = matern52(sqdist(x, x), 1.0)  # rank one: needs jitter
    L = robust_cholesky(K)
    np.testing.assert_allclose(L @ L.T, K, atol=1e-3)
    with pytest.raises(ModelFitError, match="not positive definite"):
        robust_cholesky(-np.eye(3))
    with pytest.raises(ModelFitError, match="non-finite"):
        robust_cholesky(np.full((2, 2), np.nan))


def test_cholesky_solve_and_inverse() -> None:
    rng = np.random.default_rng(6)
    A = rng.random((6, 6))
    K = A @ A.T + 6 * np.eye(6)
    L = robust_cholesky(K)
    b = rng.random(6)
    np.testing.assert_allclose(cho_solve_lower(L, b), np.linalg.solve(K, b), atol=1e-12)
    np.testing.assert_allclose(cho_inverse(L), np.linalg.inv(K), atol=1e-12)
    with blas_threads(1), blas_threads(None):
        np.testing.assert_allclose(L @ L.T, K, atol=1e-12)


def test_cached_centred_rows_give_sqdist_bit_for_bit_and_fused_kernel_matches() -> None:
    rng = np.random.default_rng(11)
    A, B = rng.random((7, 4)) * 3, rng.random((30, 4)) * 3
    assert np.array_equal(CentredRows.of(B).sqdist_from(A), sqdist(A, B))
    assert CentredRows.of(np.zeros((0, 4))).sqdist_from(A).shape == (7, 0)
    d2 = sqdist(A, B)
    k, g = matern52_and_grad_factor(d2, 1.3)
    assert np.array_equal(k, matern52(d2, 1.3))
    k_fit, g_fit = matern52_with_grad_factor(d2, 1.3)
    np.testing.assert_allclose(k, k_fit, rtol=1e-14)
    np.testing.assert_allclose(g, g_fit, rtol=1e-14)


@pytest.mark.parametrize("deterministic", [False, True])
def test_a_reused_workspace_changes_no_bit_of_the_likelihood(deterministic: bool) -> None:
    # The fit reuses its scratch matrices across evaluations (and across a subset of the data
    # in the same workspace): every evaluation must equal one with fresh memory.
    shared = _problem(deterministic, seed=3)
    rng = np.random.default_rng(4)
    for theta in rng.normal(-0.5, 0.4, (4, 4 if deterministic else 5)):
        fresh = _problem(deterministic, seed=3)
        value, grad = neg_log_posterior(theta, shared)
        ref_value, ref_grad = neg_log_posterior(theta, fresh)
        assert value == ref_value and np.array_equal(grad, ref_grad)
        subset = replace(shared, F=shared.F[:10], y=shared.y[:10])
        fresh_subset = replace(fresh, F=fresh.F[:10], y=fresh.y[:10], work=Workspace())
        assert neg_log_posterior(theta, subset)[0] == neg_log_posterior(theta, fresh_subset)[0]


def test_cholesky_and_inverse_in_a_workspace_equal_the_allocating_ones() -> None:
    rng = np.random.default_rng(5)
    A = rng.random((6, 3))
    K = A @ A.T  # rank 3: needs jitter to factor
    work = Workspace()
    L = robust_cholesky(K, work)
    assert np.array_equal(L, robust_cholesky(K))
    assert np.array_equal(cho_inverse(L.copy(order="F")), cho_inverse(L, work))
    assert np.array_equal(K, A @ A.T)  # the input is never overwritten
