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
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paramscope.models.linalg import Workspace, scratch
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


@dataclass(frozen=True)
class CentredRows:
    """Rows ``B: (n, p)`` centred on their mean, with their squared norms: the half of
    ``sqdist(A, B)`` that depends on ``B`` alone. A GP keeps it for its data, so each prediction
    (hundreds per suggestion) only works on its own rows.

    Example:
        >>> CentredRows.of(np.array([[3.0, 4.0]])).sqdist_from(np.zeros((1, 2))).tolist()
        [[25.0]]
    """

    center: FloatArray
    rows: FloatArray
    norms: FloatArray

    @classmethod
    def of(cls, B: FloatArray) -> CentredRows:
        """Centre ``B`` on its mean (zeros for no rows)."""
        center = B.mean(axis=0) if B.shape[0] else np.zeros(B.shape[1])
        rows = B - center
        return cls(center, rows, (rows * rows).sum(1))

    def sqdist_from(self, A: FloatArray, work: Workspace | None = None) -> FloatArray:
        """Squared distances ``(m, n)`` from the rows of ``A: (m, p)``, clipped at zero."""
        a = A - self.center
        shape = (a.shape[0], self.rows.shape[0])
        cross = np.matmul(a, self.rows.T, out=scratch(work, "cross", shape))
        cross *= 2.0
        d2: FloatArray = scratch(work, "sqdist", shape)
        np.add((a * a).sum(1)[:, None], self.norms[None, :], out=d2)
        d2 -= cross
        return np.maximum(d2, 0.0, out=d2)


def sqdist(A: FloatArray, B: FloatArray, work: Workspace | None = None) -> FloatArray:
    """Squared Euclidean distances ``(m, n)`` between rows of ``A: (m, p)`` and ``B: (n, p)``.

    Computed with one matrix product after centring on ``B``'s mean (which keeps the cancellation
    in ``|a|^2 + |b|^2 - 2 a.b`` small), clipped at zero.

    Example:
        >>> sqdist(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])).tolist()
        [[25.0]]
    """
    return CentredRows.of(B).sqdist_from(A, work)


# The kernels below run in place on as few temporaries as possible: on a fit's (n, n) matrices the
# temporaries, not the arithmetic, were most of the time. Each keeps its historical operation order,
# so results are unchanged to the bit.


def _root_and_decay(d2: FloatArray, work: Workspace | None = None) -> tuple[FloatArray, FloatArray]:
    """``(r, exp(-sqrt5 r))`` with ``r = sqrt(d2)``."""
    # Explicit outputs keep a 0-d input an array (numpy returns scalars, which are immutable).
    r = np.sqrt(d2, out=scratch(work, "root", np.shape(d2)))
    e = np.multiply(r, -SQRT5, out=scratch(work, "decay", np.shape(d2)))
    np.exp(e, out=e)
    return r, e


def _one_plus_sqrt5(r: FloatArray) -> FloatArray:
    """``1 + sqrt5 r``, overwriting ``r``."""
    r *= SQRT5
    r += 1.0
    return r


def matern52(d2: FloatArray, outputscale: float) -> FloatArray:
    """Matérn-5/2 covariance of squared scaled distances ``d2`` (any shape, same shape out).

    Example:
        >>> float(matern52(np.array(0.0), 2.0))
        2.0
    """
    r, e = _root_and_decay(d2)
    poly = _one_plus_sqrt5(r)
    k = np.multiply(d2, 5.0 / 3.0)
    k += poly
    k *= outputscale
    k *= e
    return k


def matern52_and_grad_factor(d2: FloatArray, outputscale: float) -> tuple[FloatArray, FloatArray]:
    """``(matern52(d2), g(r))`` with ``g(r) = 5/3 s2 (1 + sqrt5 r) exp(-sqrt5 r)``, the factor of
    every kernel derivative, sharing one ``sqrt`` and one ``exp``. The kernel values are
    ``matern52``'s to the bit, so a prediction with gradients equals one without.

    Example:
        >>> k, g = matern52_and_grad_factor(np.array([0.0, 1.0]), 2.0)
        >>> bool(np.array_equal(k, matern52(np.array([0.0, 1.0]), 2.0))), round(float(g[0]), 6)
        (True, 3.333333)
    """
    r, e = _root_and_decay(d2)
    g = _one_plus_sqrt5(r)
    k = np.multiply(d2, 5.0 / 3.0)
    k += g
    k *= outputscale
    k *= e
    g *= (5.0 / 3.0) * outputscale
    g *= e
    return k, g


def matern52_with_grad_factor(
    d2: FloatArray, outputscale: float, work: Workspace | None = None
) -> tuple[FloatArray, FloatArray]:
    """``matern52_and_grad_factor`` as the hyperparameter fits compute it (the outputscale folded
    into the exponential; equal up to rounding, kept so that fitted values stay reproducible).

    Example:
        >>> k, g = matern52_with_grad_factor(np.array([0.0, 1.0]), 1.0)
        >>> bool(np.allclose(k, matern52(np.array([0.0, 1.0]), 1.0)))
        True
    """
    r, e = _root_and_decay(d2, work)
    e *= outputscale
    g = _one_plus_sqrt5(r)
    k = np.multiply(d2, 5.0 / 3.0, out=scratch(work, "kernel", np.shape(d2)))
    k += g
    k *= e
    g *= 5.0 / 3.0
    g *= e
    return k, g


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
