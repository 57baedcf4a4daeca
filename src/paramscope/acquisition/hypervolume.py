"""Expected hypervolume improvement: how much a point should add to the Pareto front, in logs.

With independent Gaussian posteriors ``y_j ~ N(mu_j, s_j^2)`` per minimized objective and the
region no current point dominates tiled by disjoint boxes ``[l_b, u_b]`` (``nondominated_boxes``),
the hypervolume improvement is ``sum_b prod_j (u_bj - max(y_j, l_bj))^+`` and, by independence, its
expectation is exact (Emmerich et al., "Single- and multiobjective evolutionary optimization
assisted by Gaussian random field metamodels", IEEE TEC 2006; Yang et al., "Efficient computation
of expected hypervolume improvement using box decomposition algorithms", JOGO 2019):

    EHVI = sum_b prod_j s_j [h(z_ubj) - h(z_lbj)],    z = (bound - mu_j) / s_j,

with ``h(z) = phi(z) + z Phi(z)`` as in EI, since ``E[(u - max(y, l))^+] = E[(u - y)^+] -
E[(l - y)^+]``. It is exact for any number of objectives; the sampler uses it for two and three,
where the box count stays ``O(n)``. Like LogEI it is returned as a logarithm: each factor is
``log(h(z_u) - h(z_l))`` computed without cancellation (below 0 through ``log h`` and
``log1mexp``, above 0 through ``h(z) = z + h(-z)``), and the sum over boxes is a logsumexp, so the
value and its gradient stay finite and informative where EHVI itself underflows to zero.
"""

# ruff: noqa: N803  (matrix names U, Y follow the maths)

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import log_ndtr, logsumexp, ndtr

from paramscope.acquisition.analytic import (
    log1mexp,
    log_h,
    log_probability_of_feasibility_with_grad,
)
from paramscope.acquisition.function import ConstraintModel
from paramscope.hypervolume import Boxes, nondominated_boxes
from paramscope.models import GradientSurrogate
from paramscope.space import FloatArray

_MIN_VAR = 1e-12
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_CHUNK = 128


def _log_h_difference(z_lo: FloatArray, z_hi: FloatArray) -> FloatArray:
    """``log(h(z_hi) - h(z_lo))`` for ``z_lo < z_hi`` (``z_lo`` may be ``-inf``), any shape.

    Split at 0: ``h(b) - h(a) = [h(min(b, 0)) - h(min(a, 0))] + [h(max(b, 0)) - h(max(a, 0))]``.
    Below 0 the difference is ``h(b) (1 - exp(log h(a) - log h(b)))``, in logs; above 0 it is
    ``(b - a) - (h(-a) - h(-b))``, whose second term is at most half the first (and never less
    than ``(b - a) Phi(a)``, the bound used when rounding leaves nothing of a sliver).
    """
    out = np.full(z_hi.shape, -np.inf)
    neg = z_lo < 0.0  # a part below 0
    a, b = z_lo[neg], np.minimum(z_hi[neg], 0.0)
    lh_b = log_h(b)
    finite = np.isfinite(a)
    gap = np.full(a.shape, -np.inf)
    gap[finite] = np.minimum(log_h(a[finite]) - lh_b[finite], -1e-300)
    out[neg] = lh_b + log1mexp(gap)
    pos = z_hi > 0.0  # a part above 0
    a, b = np.maximum(z_lo[pos], 0.0), z_hi[pos]
    width = b - a
    part = np.maximum(width - (_h_of_negative(a) - _h_of_negative(b)), width * ndtr(a))
    with np.errstate(divide="ignore"):
        out[pos] = np.logaddexp(out[pos], np.log(part))
    return out


def _h_of_negative(x: FloatArray) -> FloatArray:
    """``h(-x) = phi(x) - x Phi(-x)`` for ``x >= 0`` (only needed where it is not negligible)."""
    out: FloatArray = np.maximum(np.exp(-0.5 * x * x - _LOG_SQRT_2PI) - x * ndtr(-x), 0.0)
    return out


def _scaled(
    mean: FloatArray, var: FloatArray, boxes: Boxes
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """``sigma: (m, 1, k)`` and the standardized box bounds ``z_lo, z_hi: (m, b, k)``."""
    lower, upper = boxes
    s = np.sqrt(np.maximum(np.asarray(var, dtype=float), _MIN_VAR))[:, None, :]
    mu = np.asarray(mean, dtype=float)[:, None, :]
    z_hi = (upper[None] - mu) / s
    finite_lo = np.broadcast_to(np.isfinite(lower)[None], z_hi.shape)
    z_lo = np.where(finite_lo, (np.where(np.isfinite(lower), lower, 0.0)[None] - mu) / s, -np.inf)
    return s, z_lo, z_hi, finite_lo


def log_ehvi_with_grad(
    mean: FloatArray, var: FloatArray, boxes: Boxes
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Log EHVI of independent Gaussians and its derivatives wrt their means and variances.

    Args:
        mean: ``(m, k)`` posterior means of the minimized objectives.
        var: ``(m, k)`` posterior variances.
        boxes: ``(lower, upper)``, each ``(b, k)``: the non-dominated region
            (``nondominated_boxes``).

    Returns:
        ``value: (m,)``, ``d_mean: (m, k)``, ``d_var: (m, k)``.

    Example:
        >>> boxes = nondominated_boxes(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0]))
        >>> v, dm, dv = log_ehvi_with_grad(np.array([[0.5, 0.5]]), np.full((1, 2), 1e-12), boxes)
        >>> round(float(np.exp(v[0])), 6)  # a sure point at (0.5, 0.5) adds 0.5 * 0.5
        0.25
    """
    s, z_lo, z_hi, finite_lo = _scaled(mean, var, boxes)
    log_d = _log_h_difference(z_lo, z_hi)
    total = (np.log(s) + log_d).sum(axis=2)  # (m, b): log of each box's expected contribution
    value = logsumexp(total, axis=1)
    log_w = (total - value[:, None])[:, :, None]  # log of each box's share of the EHVI
    usable = np.isfinite(log_d) & np.isfinite(log_w)
    safe_w, safe_d = np.where(usable, log_w, -np.inf), np.where(usable, log_d, 0.0)
    # share x d log d / d z_hi and share x (-d log d / d z_lo), formed in logs: no ratio overflows
    wr_hi = np.exp(np.minimum(safe_w + log_ndtr(z_hi) - safe_d, 700.0))
    lo = usable & finite_lo
    log_phi_lo = log_ndtr(np.where(lo, z_lo, 0.0))
    wr_lo = np.where(lo, np.exp(np.minimum(safe_w + log_phi_lo - safe_d, 700.0)), 0.0)
    zwr_lo = np.where(lo, z_lo, 0.0) * wr_lo
    d_mean = np.sum(wr_lo - wr_hi, axis=1) / s[:, 0, :]
    d_sigma = np.sum(np.exp(safe_w) - z_hi * wr_hi + zwr_lo, axis=1) / s[:, 0, :]
    d_var = np.where(np.asarray(var) > _MIN_VAR, d_sigma / (2.0 * s[:, 0, :]), 0.0)
    return value, d_mean, d_var


def log_ehvi(mean: FloatArray, var: FloatArray, boxes: Boxes) -> FloatArray:
    """Log expected hypervolume improvement ``(m,)`` of ``mean, var: (m, k)`` (see the module doc).

    Example:
        >>> boxes = nondominated_boxes(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([2.0, 2.0]))
        >>> bool(log_ehvi(np.array([[0.5, 0.5]]), np.ones((1, 2)), boxes)[0] > np.log(0.25))
        True
    """
    s, z_lo, z_hi, _ = _scaled(mean, var, boxes)
    out: FloatArray = logsumexp((np.log(s) + _log_h_difference(z_lo, z_hi)).sum(axis=2), axis=1)
    return out


@dataclass(frozen=True)
class HypervolumeAcquisition:
    """Score of unit-cube points: log EHVI of the objective models ``+ sum log P(feasible)``.

    Attributes:
        objectives: one model per minimized objective (model units), assumed independent.
        boxes: the non-dominated region of the current front, in the same units.
        constraints: constraint models.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap, GaussianProcess
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> X = np.array([[0.1], [0.9]])
        >>> f1, f2 = gp.condition(X, np.array([0.0, 1.0])), gp.condition(X, np.array([1.0, 0.0]))
        >>> acq = HypervolumeAcquisition.from_front(
        ...     (f1, f2), np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.1, 1.1]))
        >>> bool(acq(np.array([[0.5]]))[0] > acq(np.array([[0.1]]))[0])  # between, not on, points
        True
    """

    objectives: Sequence[GradientSurrogate]
    boxes: Boxes
    constraints: Sequence[ConstraintModel] = ()

    @classmethod
    def from_front(
        cls,
        objectives: Sequence[GradientSurrogate],
        front: FloatArray,
        reference: FloatArray,
        constraints: Sequence[ConstraintModel] = (),
    ) -> HypervolumeAcquisition:
        """The acquisition for ``front: (p, k)`` and ``reference: (k,)``, both in model units."""
        return cls(tuple(objectives), nondominated_boxes(front, reference), tuple(constraints))

    def _posterior(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        stats = [model.predict(U) for model in self.objectives]
        return np.stack([m for m, _ in stats], axis=1), np.stack([v for _, v in stats], axis=1)

    def __call__(self, U: FloatArray) -> FloatArray:
        """Scores ``(m,)`` of unit-cube points ``U: (m, d)`` (no gradient)."""
        mean, var = self._posterior(U)
        parts = [
            log_ehvi(mean[i : i + _CHUNK], var[i : i + _CHUNK], self.boxes)
            for i in range(0, U.shape[0], _CHUNK)
        ]
        total = np.concatenate(parts) if parts else np.zeros(0)
        for c in self.constraints:
            c_mean, c_var = c.model.predict(U)
            total = (
                total + log_probability_of_feasibility_with_grad(c_mean, c_var, c.bound, c.op)[0]
            )
        return total

    def value_and_grad(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scores ``(m,)`` and their gradients ``(m, d)`` wrt ``U: (m, d)``.

        Example:
            >>> from paramscope.space import Space, Float
            >>> from paramscope.models import FeatureMap, GaussianProcess
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> X = np.array([[0.2], [0.8]])
            >>> f1 = gp.condition(X, np.array([0.0, 1.0]))
            >>> f2 = gp.condition(X, np.array([1.0, 0.0]))
            >>> acq = HypervolumeAcquisition.from_front(
            ...     (f1, f2), np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([1.1, 1.1]))
            >>> value, grad = acq.value_and_grad(np.array([[0.3]]))
            >>> bool(grad[0, 0] > 0)  # away from the known point at 0.2
            True
        """
        stats = [model.predict_with_grad(U) for model in self.objectives]
        mean = np.stack([s[0] for s in stats], axis=1)
        var = np.stack([s[1] for s in stats], axis=1)
        total, d_mean, d_var = log_ehvi_with_grad(mean, var, self.boxes)
        grad = np.zeros_like(U, dtype=float)
        for j, (_, _, dmean, dvar) in enumerate(stats):
            grad += d_mean[:, j, None] * dmean + d_var[:, j, None] * dvar
        for c in self.constraints:
            c_mean, c_var, dmean, dvar = c.model.predict_with_grad(U)
            value, dm, dv = log_probability_of_feasibility_with_grad(c_mean, c_var, c.bound, c.op)
            total = total + value
            grad += dm[:, None] * dmean + dv[:, None] * dvar
        return total, grad
