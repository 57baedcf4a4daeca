"""Kernels: the Matérn-5/2 ARD covariance the GP surrogate is built on, and its derivative factor.

Inputs are feature rows (``features.py``) divided by their column's lengthscale, so one distance
``r = ||z - z'||`` covers continuous, grid and one-hot categorical columns alike. The kernel is
``k(r) = s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)``. Every derivative the GP needs (wrt a
log-lengthscale or an input) factors through ``g(r) = 5/3 s2 (1 + sqrt5 r) exp(-sqrt5 r)``:
``dk/dlog l = g(r) * sum_{cols of l} (z - z')^2`` and ``dk/dz = -g(r) (z - z')``, both smooth at
``r = 0``.
"""

# ruff: noqa: N803, N806  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from paramscope.space import FloatArray

SQRT5 = math.sqrt(5.0)


def scale_inputs(F: FloatArray, lengthscale: FloatArray, groups: NDArray[np.int64]) -> FloatArray:
    """Divide each feature column by its parameter's lengthscale.

    Args:
        F: ``(m, p)`` feature rows (already multiplied by their constant column scale).
        lengthscale: ``(d,)`` one lengthscale per parameter.
        groups: ``(p,)`` parameter index of each column.

    Returns:
        ``Z: (m, p)``, the rows whose Euclidean distances the kernel sees.

    Example:
        >>> scale_inputs(np.ones((1, 2)), np.array([2.0, 4.0]), np.array([0, 1])).tolist()
        [[0.5, 0.25]]
    """
    out: FloatArray = F / lengthscale[groups]
    return out


def sqdist(A: FloatArray, B: FloatArray) -> FloatArray:
    """Squared Euclidean distances ``(m, n)`` between rows of ``A: (m, p)`` and ``B: (n, p)``.

    Computed with one matrix product after centring on ``B``'s mean (which keeps the cancellation
    in ``|a|^2 + |b|^2 - 2 a.b`` small), clipped at zero.

    Example:
        >>> sqdist(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])).tolist()
        [[25.0]]
    """
    center = B.mean(axis=0) if B.shape[0] else np.zeros(B.shape[1])
    a, b = A - center, B - center
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    out: FloatArray = np.maximum(d2, 0.0)
    return out


def matern52(d2: FloatArray, outputscale: float) -> FloatArray:
    """Matérn-5/2 covariance of squared scaled distances ``d2`` (any shape, same shape out).

    Example:
        >>> float(matern52(np.array(0.0), 2.0))
        2.0
    """
    r = np.sqrt(d2)
    out: FloatArray = outputscale * (1.0 + SQRT5 * r + (5.0 / 3.0) * d2) * np.exp(-SQRT5 * r)
    return out


def matern52_grad_factor(d2: FloatArray, outputscale: float) -> FloatArray:
    """The factor ``g(r) = 5/3 s2 (1 + sqrt5 r) exp(-sqrt5 r)`` of every kernel derivative.

    Example:
        >>> round(float(matern52_grad_factor(np.array(0.0), 1.0)), 6)
        1.666667
    """
    r = np.sqrt(d2)
    out: FloatArray = (5.0 / 3.0) * outputscale * (1.0 + SQRT5 * r) * np.exp(-SQRT5 * r)
    return out


def matern52_with_grad_factor(d2: FloatArray, outputscale: float) -> tuple[FloatArray, FloatArray]:
    """``(matern52(d2), matern52_grad_factor(d2))`` sharing one ``sqrt`` and one ``exp``.

    Example:
        >>> k, g = matern52_with_grad_factor(np.array([0.0, 1.0]), 1.0)
        >>> bool(np.allclose(k, matern52(np.array([0.0, 1.0]), 1.0)))
        True
    """
    r = np.sqrt(d2)
    e = outputscale * np.exp(-SQRT5 * r)
    poly = 1.0 + SQRT5 * r
    return (poly + (5.0 / 3.0) * d2) * e, (5.0 / 3.0) * poly * e


def weighted_pair_sums(M: FloatArray, Z: FloatArray) -> FloatArray:
    """``S_k = sum_ab M_ab (Z_ak - Z_bk)^2`` for each column ``k`` of ``Z: (n, p)``, ``M: (n, n)``.

    For symmetric ``M`` this is ``2 sum_a Z_ak^2 (M 1)_a - 2 (Z' M Z)_kk``: two matrix products
    instead of an ``(n, n, p)`` tensor. Returns ``(p,)``.

    Example:
        >>> weighted_pair_sums(np.ones((2, 2)), np.array([[0.0], [1.0]])).tolist()
        [2.0]
    """
    Zc = Z - Z.mean(axis=0)
    rows = M.sum(axis=1)
    out: FloatArray = 2.0 * (Zc * Zc).T @ rows - 2.0 * np.einsum("ak,ak->k", Zc, M @ Zc)
    return out


def weighted_differences(W: FloatArray, Zx: FloatArray, Z: FloatArray) -> FloatArray:
    """``sum_j W_mj (Zx_m - Z_j)`` for each row ``m``: ``(m, p)`` from ``W: (m, n)``.

    With ``W`` the kernel's derivative factor times per-point weights, this is minus the input
    gradient of a weighted sum of kernel values (``dk/dz = -g(r) (z - z')``): the posterior mean's
    gradient takes the weights ``K^-1 y``, the variance's takes ``K^-1 k(x)``.

    Example:
        >>> weighted_differences(np.ones((1, 2)), np.zeros((1, 1)), np.array([[1.0], [3.0]]))
        array([[-4.]])
    """
    out: FloatArray = Zx * W.sum(axis=1)[:, None] - W @ Z
    return out
