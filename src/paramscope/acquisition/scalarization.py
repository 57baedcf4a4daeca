"""Scalarization: several minimized objectives to one target, for single-objective acquisitions.

ParEGO (Knowles, "ParEGO: a hybrid algorithm with on-line landscape approximation for expensive
multiobjective optimization problems", 2006): normalize each objective to ``[0, 1]`` over the
observed points, draw a random weight vector per suggestion, and model the augmented Chebyshev
scalarization ``max_j w_j y_j + rho sum_j w_j y_j``. Over many suggestions the random weights cover
the Pareto front; every minimizer of the scalarization is Pareto optimal. It keeps a study with
several objectives running until a dedicated multi-objective acquisition is used.
"""

# ruff: noqa: N803, N806  (matrix names Y follow the maths)

from __future__ import annotations

import numpy as np

from paramscope.space import FloatArray


def random_weights(k: int, rng: np.random.Generator) -> FloatArray:
    """A weight vector ``(k,)`` drawn uniformly from the simplex (Dirichlet(1, ..., 1)).

    Example:
        >>> w = random_weights(3, np.random.default_rng(0))
        >>> w.shape, round(float(w.sum()), 12)
        ((3,), 1.0)
    """
    out: FloatArray = rng.dirichlet(np.ones(k))
    return out


def augmented_chebyshev(Y: FloatArray, weights: FloatArray, rho: float = 0.05) -> FloatArray:
    """Scalarize minimized objectives ``Y: (n, k)`` with ``weights: (k,)``; returns ``(n,)``.

    Each column is first mapped to ``[0, 1]`` by its observed min and max (a constant column to 0).

    Example:
        >>> Y = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
        >>> augmented_chebyshev(Y, np.array([0.5, 0.5])).round(3).tolist()
        [0.525, 0.525, 0.275]
    """
    lo, hi = Y.min(axis=0), Y.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    Yn = (Y - lo) / span
    weighted = Yn * weights
    out: FloatArray = weighted.max(axis=1) + rho * weighted.sum(axis=1)
    return out
