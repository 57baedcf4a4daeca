"""Analytic acquisitions: pure functions of a posterior (mean, var) and an incumbent.

Conventions: the modelled objective is *minimized*; ``incumbent`` is the best (lowest) value to
beat; every acquisition is *maximized*. Each ``*_with_grad`` also returns the partial derivatives
wrt ``mean`` and ``var``, which the acquisition optimizer chains with the surrogate's gradients.

``log_ei`` follows Ament, Daulton, Eriksson, Balandat and Bakshy, "Unexpected Improvements to
Expected Improvement for Bayesian Optimization" (NeurIPS 2023): ``EI = sigma h(z)`` with
``h(z) = phi(z) + z Phi(z)`` and ``z = (incumbent - mean) / sigma``; far below the incumbent
``h(z)`` underflows while its logarithm stays smooth, so ``log h`` is computed through ``erfcx`` and
``log1mexp`` for ``z <= -1`` and by its asymptote past ``-1/sqrt(eps)``. Optimizers then still see
a slope in regions where plain EI is exactly zero.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy.special import erfcx, log_ndtr

from paramscope.space import FloatArray

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_SQRT_PI_2 = 0.5 * math.log(math.pi / 2.0)
_TAIL = -1.0 / math.sqrt(np.finfo(float).eps)
_MIN_VAR = 1e-12


def log1mexp(a: FloatArray) -> FloatArray:
    """``log(1 - exp(a))`` for ``a < 0``, accurate on both sides of ``-log 2`` (Mächler 2012).

    Example:
        >>> round(float(log1mexp(np.array(-1e-20))), 3)
        -46.052
    """
    a = np.asarray(a, dtype=float)
    near = a > -math.log(2.0)
    out = np.empty_like(a)
    out[near] = np.log(-np.expm1(a[near]))
    out[~near] = np.log1p(-np.exp(a[~near]))
    return out


def log_h(z: FloatArray) -> FloatArray:
    """``log(phi(z) + z Phi(z))``, finite for every finite ``z`` (any shape).

    Example:
        >>> bool(np.isfinite(log_h(np.array([-1e3, -40.0, 0.0, 40.0]))).all())
        True
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - _LOG_SQRT_2PI) + zu * np.exp(log_ndtr(zu)))
    mid = (z <= -1.0) & (z > _TAIL)
    zm = z[mid]
    tail_log = np.log(erfcx(-zm / math.sqrt(2.0)) * np.abs(zm)) + _LOG_SQRT_PI_2
    out[mid] = -0.5 * zm * zm - _LOG_SQRT_2PI + log1mexp(tail_log)
    far = z <= _TAIL
    zf = z[far]
    out[far] = -0.5 * zf * zf - _LOG_SQRT_2PI - 2.0 * np.log(np.abs(zf))
    return out


def _std(var: FloatArray) -> FloatArray:
    out: FloatArray = np.sqrt(np.maximum(np.asarray(var, dtype=float), _MIN_VAR))
    return out


def log_ei(mean: FloatArray, var: FloatArray, incumbent: float) -> FloatArray:
    """Log expected improvement below ``incumbent`` of a Gaussian ``(mean, var)`` (shapes ``(m,)``).

    Example:
        >>> float(np.exp(log_ei(np.array([0.0]), np.array([1.0]), 0.0))[0])  # phi(0)
        0.3989422804014327
    """
    sigma = _std(var)
    out: FloatArray = log_h((incumbent - np.asarray(mean, dtype=float)) / sigma) + np.log(sigma)
    return out


def log_ei_with_grad(
    mean: FloatArray, var: FloatArray, incumbent: float | FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``log_ei`` and its derivatives ``(value, d/dmean, d/dvar)``, each ``(m,)`` (or the broadcast
    shape of ``mean``, ``var`` and an array of ``incumbent``s: one column per incumbent).

    Uses ``d log h / dz = Phi(z) / h(z)``, evaluated as ``exp(log Phi(z) - log h(z))``.

    Example:
        >>> v, dm, dv = log_ei_with_grad(np.array([0.0]), np.array([1.0]), 0.0)
        >>> round(float(dm[0]), 6)  # -Phi(0)/phi(0)
        -1.253314
    """
    sigma = _std(var)
    z = (incumbent - np.asarray(mean, dtype=float)) / sigma
    lh = log_h(z)
    ratio = np.exp(log_ndtr(z) - lh)
    d_sigma = (1.0 - ratio * z) / sigma
    d_var = np.where(np.asarray(var) > _MIN_VAR, d_sigma / (2.0 * sigma), 0.0)
    return lh + np.log(sigma), -ratio / sigma, d_var


def ucb(mean: FloatArray, var: FloatArray, beta: float) -> FloatArray:
    """Confidence bound for a minimized objective: ``-(mean - sqrt(beta var))``, maximized.

    Example:
        >>> ucb(np.array([1.0]), np.array([4.0]), 1.0).tolist()
        [1.0]
    """
    out: FloatArray = -np.asarray(mean, dtype=float) + math.sqrt(beta) * _std(var)
    return out


def ucb_with_grad(
    mean: FloatArray, var: FloatArray, beta: float
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``ucb`` and its derivatives ``(value, d/dmean, d/dvar)``, each ``(m,)``.

    Example:
        >>> [float(a[0]) for a in ucb_with_grad(np.array([1.0]), np.array([4.0]), 1.0)]
        [1.0, -1.0, 0.25]
    """
    sigma = _std(var)
    d_var = np.where(np.asarray(var) > _MIN_VAR, 0.5 * math.sqrt(beta) / sigma, 0.0)
    return ucb(mean, var, beta), -np.ones_like(sigma), d_var


def log_probability_of_feasibility(
    mean: FloatArray, var: FloatArray, bound: float, op: Literal["<=", ">="]
) -> FloatArray:
    """``log P(c op bound)`` for a Gaussian constraint value ``c ~ N(mean, var)`` (``(m,)``).

    Example:
        >>> value = log_probability_of_feasibility(np.array([0.0]), np.array([1.0]), 0.0, "<=")
        >>> round(float(value[0]), 6)  # log(1/2)
        -0.693147
    """
    return log_probability_of_feasibility_with_grad(mean, var, bound, op)[0]


def log_probability_of_feasibility_with_grad(
    mean: FloatArray, var: FloatArray, bound: float, op: Literal["<=", ">="]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``log_probability_of_feasibility`` and its derivatives ``(value, d/dmean, d/dvar)``.

    Example:
        >>> v, dm, dv = log_probability_of_feasibility_with_grad(np.zeros(1), np.ones(1), 0.0, ">=")
        >>> round(float(dm[0]), 6)  # phi(0) / Phi(0)
        0.797885
    """
    sigma = _std(var)
    sign = 1.0 if op == "<=" else -1.0
    u = sign * (bound - np.asarray(mean, dtype=float)) / sigma
    value = log_ndtr(u)
    ratio = np.exp(-0.5 * u * u - _LOG_SQRT_2PI - value)  # phi(u) / Phi(u)
    d_mean = -sign * ratio / sigma
    d_sigma = -ratio * u / sigma
    d_var = np.where(np.asarray(var) > _MIN_VAR, d_sigma / (2.0 * sigma), 0.0)
    return value, d_mean, d_var
