"""Sobol estimators over many function draws at once, with bootstrap draws for sampling error.

Outputs are laid out as SALib's Saltelli design orders them: for each base sample, the rows
``A, AB_1..AB_d, (BA_1..BA_d,) B``. ``Y: (rows, S)`` holds ``S`` draws of the function (posterior
sample paths of the surrogate, or one column of direct evaluations). SALib's estimators
(Saltelli 2010 first order, Jansen total order, Saltelli 2002 second order) are vectorized over the
columns, so each draw gives its own indices.

For the interval, each column is evaluated again on a bootstrap resample of the base samples: the
spread of those values combines the surrogate's uncertainty (across columns) and the Monte Carlo
error of the design (across resamples), which a mean-only emulator would miss.
"""

# ruff: noqa: N803, N806  (matrix names A, B, AB follow SALib and the maths)

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from paramscope.space import FloatArray


@dataclass(frozen=True)
class IndexDraws:
    """Indices per draw: ``first: (d, S)``, ``total: (d, S)``, ``second: (d, d, S)`` or None."""

    first: FloatArray
    total: FloatArray
    second: FloatArray | None


def split(Y: FloatArray, d: int, *, second_order: bool) -> tuple[FloatArray, ...]:
    """``(A, B, AB, BA)`` blocks of a Saltelli output matrix ``Y: (n (d + 2), S)``.

    ``A, B: (n, S)``, ``AB, BA: (n, d, S)`` (``BA`` empty without second order).
    """
    step = 2 * d + 2 if second_order else d + 2
    blocks = Y.reshape(-1, step, Y.shape[1])
    BA = blocks[:, d + 1 : 2 * d + 1] if second_order else blocks[:, :0]
    return blocks[:, 0], blocks[:, -1], blocks[:, 1 : d + 1], BA


def sobol_draws(
    Y: FloatArray, d: int, *, second_order: bool, rows: np.ndarray | None = None
) -> IndexDraws:
    """Sobol indices of every column of ``Y`` (SALib's estimators), on base samples ``rows``.

    Args:
        Y: ``(n (d + 2), S)`` outputs in Saltelli order (``n (2 d + 2)`` with second order).
        d: number of inputs.
        second_order: ``Y`` holds the ``BA`` blocks and second-order indices are wanted.
        rows: ``(n, S)`` base-sample indices per column (a bootstrap resample); None = all.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> A, B = rng.random((65536, 2)), rng.random((65536, 2))
        >>> X = np.stack([A, np.c_[B[:, 0], A[:, 1]], np.c_[A[:, 0], B[:, 1]], B], axis=1)
        >>> Y = (X[..., 0] + 2 * X[..., 1]).reshape(-1, 1)  # variances 1/12 and 4/12
        >>> draws = sobol_draws(Y, 2, second_order=False)
        >>> truth = np.array([0.2, 0.8])
        >>> bool(np.abs(draws.first[:, 0] - truth).max() < 0.03)
        True
        >>> bool(np.abs(draws.total[:, 0] - truth).max() < 0.03)
        True
    """
    from SALib.analyze.sobol import first_order, total_order
    from SALib.analyze.sobol import second_order as second

    A, B, AB, BA = split(Y, d, second_order=second_order)
    if rows is not None:
        A, B = np.take_along_axis(A, rows, 0), np.take_along_axis(B, rows, 0)
        AB = np.take_along_axis(AB, rows[:, None, :], 0)
        BA = np.take_along_axis(BA, rows[:, None, :], 0) if second_order else BA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant draw: SALib warns and returns zeros
        first = np.stack([first_order(A, AB[:, j], B) for j in range(d)])
        total = np.stack([total_order(A, AB[:, j], B) for j in range(d)])
        pairs = None
        if second_order:
            pairs = np.full((d, d, Y.shape[1]), np.nan)
            for j in range(d):
                for k in range(j + 1, d):
                    pairs[j, k] = pairs[k, j] = second(A, AB[:, j], AB[:, k], BA[:, j], B)
    return IndexDraws(first, total, pairs)


def bootstrap_rows(n: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    """``(n, columns)`` base-sample indices drawn with replacement, one resample per column."""
    return rng.integers(0, n, size=(n, columns))
