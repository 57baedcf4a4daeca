"""Linear algebra for the GP surrogate: Cholesky with a jitter fallback, solves and the inverse.

A covariance matrix that is positive definite in exact arithmetic can fail to factor in floating
point (near-duplicate inputs, tiny noise). ``robust_cholesky`` then adds increasing jitter to the
diagonal and, past the largest, raises ``ModelFitError`` so the sampler can fall back.
"""

# ruff: noqa: N803, N806  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from typing import Any, Literal

import numpy as np
from scipy.linalg import lapack, solve_triangular

from paramscope.errors import ParamscopeError
from paramscope.space import FloatArray

JITTERS = (0.0, 1e-10, 1e-8, 1e-6, 1e-4)
_CONTROLLER: list[Any] = []


class ModelFitError(ParamscopeError, ArithmeticError):
    """A surrogate could not be fitted (non-finite data, a matrix that will not factor)."""


class Workspace:
    """Named scratch arrays reused across repeated evaluations of the same shapes.

    A hyperparameter fit evaluates its likelihood dozens of times on ``(n, n)`` matrices. Each
    fresh array that large is new memory from the operating system, zeroed page by page: at
    n = 500 those page faults were half of an evaluation's time. Functions that take a
    ``work`` argument write their temporaries here instead; without one they allocate. The
    arrays they return may be workspace buffers, valid until the next call with the same
    workspace. Not shared between threads: make one per fit.

    Example:
        >>> work = Workspace()
        >>> work.array("k", (2, 2)) is work.array("k", (2, 2))
        True
    """

    def __init__(self) -> None:
        self._arrays: dict[tuple[str, tuple[int, ...], str, str], Any] = {}

    def array(
        self,
        name: str,
        shape: tuple[int, ...],
        order: Literal["C", "F"] = "C",
        dtype: type = float,
    ) -> Any:
        """The (uninitialized) buffer ``name`` of this shape, layout and dtype."""
        key = (name, shape, order, np.dtype(dtype).str)
        if key not in self._arrays:
            self._arrays[key] = np.empty(shape, dtype=dtype, order=order)
        return self._arrays[key]


def scratch(
    work: Workspace | None,
    name: str,
    shape: tuple[int, ...],
    order: Literal["C", "F"] = "C",
    dtype: type = float,
) -> Any:
    """``work``'s buffer ``name``, or a new empty array when there is no workspace."""
    if work is None:
        return np.empty(shape, dtype=dtype, order=order)
    return work.array(name, shape, order, dtype)


def blas_threads(limit: int | None) -> AbstractContextManager[object]:
    """A context capping the BLAS thread pools at ``limit`` threads (None: leave them alone).

    A GP's matrices (hundreds of rows) gain little from BLAS threads, and when other processes
    (parallel workers, the objective itself) hold cores, a thread pool waiting at its barriers
    for a descheduled thread makes a Cholesky several times slower. Uses ``threadpoolctl`` when it
    is installed; otherwise does nothing.

    Example:
        >>> with blas_threads(1):
        ...     float(np.linalg.det(np.eye(2)))
        1.0
    """
    if limit is None:
        return nullcontext()
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]
        except ImportError:
            return nullcontext()
        _CONTROLLER.append(ThreadpoolController())
    context: AbstractContextManager[object] = _CONTROLLER[0].limit(limits=limit, user_api="blas")
    return context


def robust_cholesky(K: FloatArray, work: Workspace | None = None) -> FloatArray:
    """Lower Cholesky factor of ``K: (n, n)``, adding jitter (times its mean diagonal) if needed.

    Raises:
        ModelFitError: ``K`` is not finite, or not positive definite even with the largest jitter.

    Example:
        >>> robust_cholesky(np.array([[4.0, 2.0], [2.0, 2.0]])).tolist()
        [[2.0, 0.0], [1.0, 1.0]]
    """
    if not np.isfinite(K, out=scratch(work, "finite", K.shape, dtype=bool)).all():
        raise ModelFitError("covariance matrix has non-finite entries")
    scale = float(np.mean(np.diag(K))) if K.shape[0] else 1.0
    for jitter in JITTERS:
        A = K + (jitter * scale) * np.eye(K.shape[0]) if jitter else K
        # K is symmetric, so its transpose is the same matrix in Fortran order: LAPACK's input.
        if work is None:
            L, info = lapack.dpotrf(A.T, lower=1, clean=1, overwrite_a=0)
        else:  # factor a copy in place, keeping K for a retry with jitter
            buffer = work.array("cholesky", K.shape, order="F")
            np.copyto(buffer, A.T)
            L, info = lapack.dpotrf(buffer, lower=1, clean=1, overwrite_a=1)
        if info == 0:
            out: FloatArray = L
            return out
    raise ModelFitError(
        f"covariance matrix of size {K.shape[0]} is not positive definite even with jitter "
        f"{JITTERS[-1]:g} x its mean diagonal"
    )


def cho_solve_lower(L: FloatArray, B: FloatArray) -> FloatArray:
    """Solve ``(L L') X = B`` given the lower factor ``L: (n, n)``; ``B: (n,)`` or ``(n, k)``.

    Example:
        >>> cho_solve_lower(np.array([[2.0, 0.0], [1.0, 1.0]]), np.array([4.0, 2.0])).tolist()
        [1.0, 0.0]
    """
    half = solve_triangular(L, B, lower=True, check_finite=False)
    out: FloatArray = solve_triangular(L, half, lower=True, trans="T", check_finite=False)
    return out


def cho_inverse(L: FloatArray, work: Workspace | None = None) -> FloatArray:
    """The inverse ``(L L')^{-1}: (n, n)`` from the lower factor ``L`` (LAPACK ``potri``).

    With a workspace, ``L`` (Fortran-ordered, as ``robust_cholesky`` returns it) is overwritten.

    Example:
        >>> cho_inverse(np.array([[2.0, 0.0], [0.0, 1.0]])).tolist()
        [[0.25, 0.0], [0.0, 1.0]]
    """
    inv, info = lapack.dpotri(L, lower=1, overwrite_c=int(work is not None))
    if info != 0:
        raise ModelFitError(f"could not invert the covariance matrix (LAPACK info={info})")
    # potri fills the lower triangle; the strict upper one is the factor's, which is zero.
    out: FloatArray = np.add(inv, inv.T, out=scratch(work, "inverse", L.shape))
    out.flat[:: out.shape[0] + 1] *= 0.5
    return out


def loo_standardized(L: FloatArray, alpha: FloatArray) -> FloatArray:
    """Leave-one-out residuals of a GP, each divided by its predictive standard deviation.

    With ``K^-1 = (L L')^-1`` and ``alpha = K^-1 y``, point ``i``'s held-out residual is
    ``alpha_i / [K^-1]_ii`` and its variance ``1 / [K^-1]_ii`` (Rasmussen & Williams, 5.12), so
    the standardized residual is ``alpha_i / sqrt([K^-1]_ii)``: one factorization, no refits.
    Values around 1 in size mean the posterior's error bars are honest.

    Example:
        >>> L = np.linalg.cholesky(np.array([[1.0, 0.5], [0.5, 1.0]]))
        >>> z = loo_standardized(L, cho_solve_lower(L, np.array([1.0, -1.0])))
        >>> [round(v, 3) for v in z.tolist()]
        [1.732, -1.732]
    """
    diag = np.diag(cho_inverse(L))
    out: FloatArray = alpha / np.sqrt(diag)
    return out
