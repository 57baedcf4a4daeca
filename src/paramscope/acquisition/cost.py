"""Cost-aware acquisition: expected improvement per unit of cost, in log space.

When runs cost different amounts (seconds, GPU-hours) the best next run is the one that buys the
most improvement per unit cost (Snoek et al. 2012, "EI per second"). With a GP over the log cost,
``log(EI / cost)`` is ``log EI - E[log cost]``: the acquisition minus the cost model's mean, and its
gradient the difference of the gradients. ``cost_weight`` in ``[0, 1]`` tempers the penalty
(``EI / cost^w``), so cheap regions are preferred without being the only ones searched.
"""

# ruff: noqa: N803  (matrix names U follow the maths)

from __future__ import annotations

from dataclasses import dataclass

from paramscope.acquisition.optimize import Acquisition
from paramscope.models import GradientSurrogate
from paramscope.space import FloatArray


@dataclass(frozen=True)
class PerUnitCost:
    """``score(U) - cost_weight * E[log cost](U)`` for a log-space acquisition ``score``.

    Attributes:
        score: the acquisition to divide (a log score, e.g. LogEI plus log P(feasible)).
        log_cost: a model of the log cost (model units: its mean is used).
        cost_weight: exponent of the cost (1: improvement per unit cost; 0: ignore the cost).

    Example:
        >>> import numpy as np
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap, GaussianProcess
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1)}))
        >>> cost = GaussianProcess(fmap).condition(np.array([[0.0], [1.0]]), np.array([0.0, 3.0]))
        >>> class Flat:
        ...     def __call__(self, U): return np.zeros(len(U))
        ...     def value_and_grad(self, U): return np.zeros(len(U)), np.zeros(U.shape)
        >>> acq = PerUnitCost(Flat(), cost, 1.0)
        >>> bool(acq(np.array([[0.1]]))[0] > acq(np.array([[0.9]]))[0])  # cheaper is better
        True
    """

    score: Acquisition
    log_cost: GradientSurrogate
    cost_weight: float = 1.0

    def __call__(self, U: FloatArray) -> FloatArray:
        out: FloatArray = self.score(U) - self.cost_weight * self.log_cost.predict(U)[0]
        return out

    def value_and_grad(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        value, grad = self.score.value_and_grad(U)
        mean, _, dmean, _ = self.log_cost.predict_with_grad(U)
        return value - self.cost_weight * mean, grad - self.cost_weight * dmean
