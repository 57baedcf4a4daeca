"""Models: surrogates that learn the objective (and constraints) from the history for the sampler.

Every surrogate follows ``Surrogate``: ``fit(X, y)`` on unit-cube points returns a fitted surrogate
whose ``predict(X)`` gives the posterior mean and variance. The acquisition optimizer also needs
gradients wrt the point, which ``GradientSurrogate`` adds.
"""

# ruff: noqa: N803  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

from typing import Protocol

from paramscope.models.features import FeatureMap
from paramscope.models.fit import GPHyper, GPOptions
from paramscope.models.gp import GaussianProcess
from paramscope.models.linalg import ModelFitError
from paramscope.models.transforms import OutputTransform
from paramscope.space import FloatArray


class Surrogate(Protocol):
    """A regression model over the unit cube with a predictive mean and variance.

    Example:
        >>> import numpy as np
        >>> from paramscope.space import Space, Float
        >>> model: Surrogate = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> fitted = model.fit(np.array([[0.2], [0.7]]), np.array([0.0, 1.0]))
        >>> [a.shape for a in fitted.predict(np.array([[0.2], [0.5]]))]
        [(2,), (2,)]
    """

    def fit(self, X: FloatArray, y: FloatArray) -> Surrogate:
        """Fit on ``X: (n, d)`` unit-cube points and ``y: (n,)``; return the fitted model."""
        ...

    def predict(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mean ``(m,)`` and variance ``(m,)`` at ``X: (m, d)``."""
        ...


class GradientSurrogate(Protocol):
    """A fitted surrogate that also returns gradients wrt the point (for L-BFGS-B).

    Example:
        >>> import numpy as np
        >>> from paramscope.space import Space, Float
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> model: GradientSurrogate = gp.condition(np.array([[0.5]]), np.array([1.0]))
        >>> [a.shape for a in model.predict_with_grad(np.array([[0.1]]))]
        [(1,), (1,), (1, 1), (1, 1)]
    """

    def predict(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mean ``(m,)`` and variance ``(m,)`` at ``X: (m, d)``."""
        ...

    def predict_with_grad(
        self, X: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Mean ``(m,)``, variance ``(m,)`` and their gradients ``(m, d)`` at ``X: (m, d)``."""
        ...


__all__ = [
    "FeatureMap",
    "GPHyper",
    "GPOptions",
    "GaussianProcess",
    "GradientSurrogate",
    "ModelFitError",
    "OutputTransform",
    "Surrogate",
]
