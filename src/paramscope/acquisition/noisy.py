"""Noisy expected improvement: LogEI averaged over posterior draws of the observed values.

With noisy observations the best observed value is a lucky draw, and the best posterior mean (the
plug-in incumbent) ignores how unsure the model still is about it. Noisy EI (Letham, Karrer,
Ottoni and Bakshy, "Constrained Bayesian Optimization with Noisy Experiments", 2019; BoTorch's
qLogNEI is its Monte Carlo form) draws the latent function jointly at the observed points ``k``
times; in draw ``j`` those values are known exactly, the incumbent is their feasible minimum, and
EI is analytic. The score is the log of the mean EI over the draws, so a candidate scores well
when it improves on the incumbent in many plausible worlds. All draws share the points and the
kernel, hence one Cholesky factor and one variance: the cost is close to plain LogEI's.
"""

# ruff: noqa: N803  (matrix names U follow the maths)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paramscope.acquisition.analytic import log_ei_with_grad
from paramscope.acquisition.function import (
    ConstraintModel,
    log_feasibility,
    log_feasibility_with_grad,
)
from paramscope.models import GaussianProcess
from paramscope.space import FloatArray


@dataclass(frozen=True)
class LatentDraws:
    """Posterior draws of the objective at the observed points, as a multi-target GP.

    Attributes:
        model: noise-free GP conditioned on the ``k`` draws (targets ``(n, k)``).
        incumbents: ``(k,)`` each draw's best feasible value.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> X = np.array([[0.2], [0.8]])
        >>> gp = gp.condition(X, np.array([0.0, 1.0]))
        >>> draws = LatentDraws.from_posterior(gp, X, np.array([True, True]), 4, seed=0)
        >>> draws.incumbents.shape
        (4,)
    """

    model: GaussianProcess
    incumbents: FloatArray

    @classmethod
    def from_posterior(
        cls,
        gp: GaussianProcess,
        X: FloatArray,
        feasible: NDArray[np.bool_],
        n_draws: int,
        seed: int,
    ) -> LatentDraws:
        """``n_draws`` joint draws of ``gp``'s latent function at ``X`` (``feasible`` rows set
        the incumbents)."""
        values = gp.posterior_draws(X, n_draws, seed)
        return cls(gp.noiseless().condition(X, values.T), values[:, feasible].min(axis=1))

    def believe(self, U: FloatArray, feasible: NDArray[np.bool_]) -> LatentDraws:
        """Each draw conditioned on its own mean at ``U: (q, d)`` (kriging believer)."""
        mean = self.model.predict_mean(U)  # (q, k)
        incumbents = self.incumbents
        if feasible.any():
            incumbents = np.minimum(incumbents, mean[feasible].min(axis=0))
        return LatentDraws(self.model.condition(U, mean), incumbents)


@dataclass(frozen=True)
class LogNoisyEI:
    """``log mean_j EI_j`` over the draws, plus ``sum log P(feasible)``; maximized.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> X = np.array([[0.1], [0.5], [0.9]])
        >>> gp = gp.condition(X, np.array([1.0, -1.0, 1.0]))
        >>> acq = LogNoisyEI(LatentDraws.from_posterior(gp, X, np.ones(3, bool), 8, seed=0))
        >>> bool(acq(np.array([[0.45]]))[0] > acq(np.array([[0.05]]))[0])  # near the best mean
        True
    """

    draws: LatentDraws
    constraints: Sequence[ConstraintModel] = ()

    def __call__(self, U: FloatArray) -> FloatArray:
        """Scores ``(m,)`` of unit-cube points ``U: (m, d)``."""
        mean, var = self.draws.model.predict(U)
        return self._average(mean, var)[0] + log_feasibility(self.constraints, U)

    def value_and_grad(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scores ``(m,)`` and their gradients ``(m, d)`` wrt ``U: (m, d)``."""
        mean, var, dmean, dvar = self.draws.model.predict_with_grad(U)
        value, d_mean, d_var = self._average(mean, var)
        total, grad = log_feasibility_with_grad(self.constraints, U)
        grad += np.einsum("mk,mkd->md", d_mean, dmean) + d_var[:, None] * dvar
        return total + value, grad

    def _average(
        self, mean: FloatArray, var: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """``log mean_j EI_j`` ``(m,)``, its derivative wrt each draw's mean ``(m, k)`` and wrt
        the shared variance ``(m,)``. Averaged in log space, so a far tail stays finite."""
        log_ei, d_mean, d_var = log_ei_with_grad(mean, var[:, None], self.draws.incumbents[None])
        top = log_ei.max(axis=1, keepdims=True)  # log-sum-exp, shifted so the largest term is 1
        terms = np.exp(log_ei - top)
        total = terms.sum(axis=1)
        value = top[:, 0] + np.log(total / log_ei.shape[1])
        weights = terms / total[:, None]  # each draw's share of the mean
        return value, weights * d_mean, (weights * d_var).sum(axis=1)


__all__ = ["LatentDraws", "LogNoisyEI"]
