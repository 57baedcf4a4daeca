"""Analytic acquisitions: LogEI exact where EI is representable, finite far beyond; gradients."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from scipy.stats import norm

from paramscope.acquisition import (
    log_ei,
    log_ei_with_grad,
    log_h,
    log_probability_of_feasibility,
    log_probability_of_feasibility_with_grad,
    ucb,
    ucb_with_grad,
)

Grad = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def test_log_ei_equals_log_of_direct_ei_where_representable() -> None:
    z = np.linspace(-5.0, 5.0, 201)
    sigma = np.full_like(z, 0.7)
    incumbent = 0.3
    mean = incumbent - z * sigma
    ei = sigma * (z * norm.cdf(z) + norm.pdf(z))
    np.testing.assert_allclose(log_ei(mean, sigma**2, incumbent), np.log(ei), rtol=1e-8)


def test_log_h_is_finite_and_monotone_far_in_the_tail() -> None:
    z = np.array([-1e12, -1e8, -1e5, -1e3, -200.0, -40.0, -10.0, -1.0, -0.5])
    values = log_h(z)
    assert np.all(np.isfinite(values))
    assert np.all(np.diff(values) > 0)
    # Asymptote h(z) ~ phi(z) / z^2 for z -> -inf.
    assert values[3] == pytest.approx(-0.5 * 1e6 - 0.5 * math.log(2 * math.pi) - 2 * math.log(1e3))


def test_log_ei_stays_finite_and_ordered_far_below_the_incumbent() -> None:
    mean = np.array([40.0, 1e3, 1e5])  # z = -40, -1e3, -1e5 with unit variance, incumbent 0
    values = log_ei(mean, np.ones(3), 0.0)
    assert np.all(np.isfinite(values))
    assert values[0] > values[1] > values[2]
    _, d_mean, d_var = log_ei_with_grad(mean, np.ones(3), 0.0)
    assert np.all(np.isfinite(d_mean)) and np.all(d_mean < 0)
    assert np.all(np.isfinite(d_var)) and np.all(d_var > 0)


def _check_grad(fn: Grad, mean: np.ndarray, var: np.ndarray) -> None:
    value, d_mean, d_var = fn(mean, var)
    eps = 1e-6
    fd_mean = (fn(mean + eps, var)[0] - fn(mean - eps, var)[0]) / (2 * eps)
    fd_var = (fn(mean, var + eps)[0] - fn(mean, var - eps)[0]) / (2 * eps)
    np.testing.assert_allclose(d_mean, fd_mean, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(d_var, fd_var, rtol=1e-5, atol=1e-7)
    assert np.all(np.isfinite(value))


@pytest.mark.parametrize("name", ["log_ei", "ucb", "pof_le", "pof_ge"])
def test_acquisition_gradients_equal_finite_differences(name: str) -> None:
    mean = np.array([-2.0, -0.3, 0.0, 0.4, 1.5, 3.0, 12.0])
    var = np.array([0.5, 0.04, 1.0, 2.0, 0.3, 0.1, 0.2])
    fns: dict[str, Grad] = {
        "log_ei": lambda m, v: log_ei_with_grad(m, v, 0.1),
        "ucb": lambda m, v: ucb_with_grad(m, v, 2.0),
        "pof_le": lambda m, v: log_probability_of_feasibility_with_grad(m, v, 0.5, "<="),
        "pof_ge": lambda m, v: log_probability_of_feasibility_with_grad(m, v, 0.5, ">="),
    }
    _check_grad(fns[name], mean, var)


def test_probability_of_feasibility_and_ucb_values() -> None:
    mean, var = np.array([-1.0, 0.0, 2.0]), np.array([1.0, 4.0, 0.25])
    std = np.sqrt(var)
    le = log_probability_of_feasibility(mean, var, 0.5, "<=")
    ge = log_probability_of_feasibility(mean, var, 0.5, ">=")
    np.testing.assert_allclose(le, norm.logcdf((0.5 - mean) / std))
    np.testing.assert_allclose(ge, norm.logcdf((mean - 0.5) / std))
    assert np.isfinite(log_probability_of_feasibility(np.array([100.0]), np.ones(1), 0.0, "<=")[0])
    np.testing.assert_allclose(ucb(mean, var, 4.0), -mean + 2 * np.sqrt(var))
