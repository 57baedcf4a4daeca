"""Acquisition function: a surrogate's posterior composed with an analytic acquisition, over ``U``.

``AcquisitionFunction`` maps unit-cube points to one score to maximize, with its gradient for
L-BFGS-B: ``log_ei`` (or ``ucb``) of the objective model, plus ``log P(feasible)`` summed over the
constraint models. With no objective model (no feasible point yet) it is the log probability of
feasibility alone, which steers the search toward the feasible region first.
"""

# ruff: noqa: N803  (matrix names U, X follow the maths and scikit-learn)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from paramscope.acquisition.analytic import (
    log_ei_with_grad,
    log_probability_of_feasibility_with_grad,
    ucb_with_grad,
)
from paramscope.models import GradientSurrogate
from paramscope.space import FloatArray


@dataclass(frozen=True)
class ConstraintModel:
    """A fitted model of one constraint value and the bound it must satisfy (model units).

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap, GaussianProcess
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> gp = gp.condition(np.array([[0.5]]), np.array([2.0]))
        >>> acq = AcquisitionFunction(None, constraints=[ConstraintModel(gp, bound=0.0, op=">=")])
        >>> bool(acq(np.array([[0.5]]))[0] > -0.01)
        True
    """

    model: GradientSurrogate
    bound: float
    op: Literal["<=", ">="]


def log_feasibility(constraints: Sequence[ConstraintModel], U: FloatArray) -> FloatArray:
    """``sum log P(feasible)`` over the constraint models at ``U: (m, d)`` (zeros without any)."""
    total = np.zeros(U.shape[0])
    for c in constraints:
        mean, var = c.model.predict(U)
        total += log_probability_of_feasibility_with_grad(mean, var, c.bound, c.op)[0]
    return total


def log_feasibility_with_grad(
    constraints: Sequence[ConstraintModel], U: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """``log_feasibility`` ``(m,)`` and its gradient ``(m, d)`` wrt ``U``."""
    total = np.zeros(U.shape[0])
    grad = np.zeros_like(U, dtype=float)
    for c in constraints:
        mean, var, dmean, dvar = c.model.predict_with_grad(U)
        value, d_mean, d_var = log_probability_of_feasibility_with_grad(mean, var, c.bound, c.op)
        total += value
        grad += d_mean[:, None] * dmean + d_var[:, None] * dvar
    return total, grad


@dataclass(frozen=True)
class AcquisitionFunction:
    """Score of unit-cube points: ``log_ei | ucb`` of the objective ``+ sum log P(feasible)``.

    Attributes:
        objective: model of the minimized objective, or None to score feasibility only.
        incumbent: the value to improve on (model units; ``log_ei`` only).
        constraints: constraint models.
        kind: ``"ei"`` (LogEI) or ``"ucb"``.
        beta: UCB's exploration weight (``mean - sqrt(beta) * std``).

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap, GaussianProcess
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> gp = gp.condition(np.array([[0.2], [0.8]]), np.array([1.0, -1.0]))
        >>> acq = AcquisitionFunction(gp, incumbent=-1.0)
        >>> bool(acq(np.array([[0.9]]))[0] > acq(np.array([[0.1]]))[0])
        True
    """

    objective: GradientSurrogate | None
    incumbent: float = 0.0
    constraints: Sequence[ConstraintModel] = ()
    kind: Literal["ei", "ucb"] = "ei"
    beta: float = 4.0

    def __call__(self, U: FloatArray) -> FloatArray:
        """Scores ``(m,)`` of unit-cube points ``U: (m, d)`` (no gradient)."""
        total = log_feasibility(self.constraints, U)
        if self.objective is not None:
            mean, var = self.objective.predict(U)
            total += self._objective_terms(mean, var)[0]
        return total

    def value_and_grad(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scores ``(m,)`` and their gradients ``(m, d)`` wrt ``U: (m, d)``.

        Example:
            >>> from paramscope.space import Space, Float
            >>> from paramscope.models import FeatureMap, GaussianProcess
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.2], [0.8]]), np.array([1.0, -1.0]))
            >>> acq = AcquisitionFunction(gp, incumbent=-1.0)
            >>> value, grad = acq.value_and_grad(np.array([[0.5]]))
            >>> bool(grad[0, 0] > 0)  # toward the better point at 0.8
            True
        """
        total, grad = log_feasibility_with_grad(self.constraints, U)
        if self.objective is not None:
            mean, var, dmean, dvar = self.objective.predict_with_grad(U)
            value, d_mean, d_var = self._objective_terms(mean, var)
            total += value
            grad += d_mean[:, None] * dmean + d_var[:, None] * dvar
        return total, grad

    def _objective_terms(
        self, mean: FloatArray, var: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        if self.kind == "ucb":
            return ucb_with_grad(mean, var, self.beta)
        return log_ei_with_grad(mean, var, self.incumbent)
