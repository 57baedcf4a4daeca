"""Output transforms: observed values to the standardized, near-Gaussian targets the GP is fit on.

A GP with a zero prior mean and an outputscale near one expects targets of mean 0 and variance 1;
objectives with a long tail (a loss that explodes for bad settings) also violate its Gaussian
likelihood. ``OutputTransform`` standardizes, then (when the sample is skewed) applies a
Yeo-Johnson power transform with its maximum-likelihood exponent clipped to ``[0, 1]`` (compress
the upper tail of a minimized target, never stretch its lower one), then standardizes again. Every
step is monotone increasing and invertible, so the best observed point stays the best and the
incumbent can be mapped back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from paramscope.space import FloatArray

# Targets are minimized, so the tail worth compressing is the upper one (bad values that explode).
# Exponents in [0, 1] compress it (1 = identity, 0 = log-like) and expand the lower (good) side at
# most quadratically. Larger exponents compress the good side; negative ones stretch it into a
# narrow well that a stationary kernel cannot follow (Branin then stalls on its boundary).
_LAMBDA_RANGE = (0.0, 1.0)


def yeo_johnson(x: FloatArray, lam: float) -> FloatArray:
    """The Yeo-Johnson power transform of ``x`` (any shape) with exponent ``lam``.

    Example:
        >>> yeo_johnson(np.array([0.0, 1.0]), 1.0).tolist()
        [0.0, 1.0]
    """
    out: FloatArray = stats.yeojohnson(np.asarray(x, dtype=float), lmbda=lam)
    return out


def yeo_johnson_inverse(z: FloatArray, lam: float) -> FloatArray:
    """Inverse of ``yeo_johnson``: the ``x`` with ``yeo_johnson(x, lam) == z``.

    Example:
        >>> round(float(yeo_johnson_inverse(yeo_johnson(np.array(3.0), 0.5), 0.5)), 12)
        3.0
    """
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    pos, neg = z >= 0, z < 0
    out[pos] = _expm1_power(z[pos], lam)
    out[neg] = -_expm1_power(-z[neg], 2.0 - lam)
    return out


def _expm1_power(z: FloatArray, lam: float) -> FloatArray:
    """``(1 + lam z)^(1/lam) - 1`` (``expm1(z)`` at ``lam = 0``), accurate for small ``lam z``."""
    if abs(lam) < 1e-300:
        out: FloatArray = np.expm1(z)
        return out
    # Outside the transform's range (1 + lam z <= 0) clip to the range's edge.
    inner = np.log1p(np.maximum(lam * z, -1.0 + 1e-16))
    result: FloatArray = np.expm1(inner / lam)
    return result


@dataclass(frozen=True)
class OutputTransform:
    """Standardize, optionally Yeo-Johnson, standardize again; monotone and invertible.

    Attributes:
        shift, scale: first standardization ``(y - shift) / scale``.
        lam: Yeo-Johnson exponent, or None when the data were not skewed enough to warp.
        shift2, scale2: second standardization after the power transform.

    Example:
        >>> y = np.array([1.0, 2.0, 3.0, 100.0, 4.0, 2.5, 1.5, 3.5])
        >>> t = OutputTransform.fit(y)
        >>> t.lam is not None, bool(np.allclose(t.inverse(t.forward(y)), y))
        (True, True)
    """

    shift: float = 0.0
    scale: float = 1.0
    lam: float | None = None
    shift2: float = 0.0
    scale2: float = 1.0

    @classmethod
    def fit(
        cls, y: FloatArray, *, power: bool = True, skew_threshold: float = 0.5
    ) -> OutputTransform:
        """Fit to observed values ``y: (n,)`` (finite); warp only if ``|skew| > skew_threshold``.

        Example:
            >>> OutputTransform.fit(np.array([1.0, 3.0]), power=False).forward(np.array([3.0]))
            array([1.])
        """
        y = np.asarray(y, dtype=float)
        shift = float(np.mean(y)) if y.size else 0.0
        scale = _safe_std(y)
        z = (y - shift) / scale
        if not power or y.size < 4 or np.ptp(z) == 0.0:
            return cls(shift, scale)
        if abs(float(stats.skew(z))) <= skew_threshold:
            return cls(shift, scale)
        lam = float(np.clip(stats.yeojohnson_normmax(z), *_LAMBDA_RANGE))
        w = yeo_johnson(z, lam)
        return cls(shift, scale, lam, float(np.mean(w)), _safe_std(w))

    def forward(self, y: FloatArray) -> FloatArray:
        """Transformed targets of values ``y`` (any shape)."""
        z = (np.asarray(y, dtype=float) - self.shift) / self.scale
        if self.lam is None:
            return z
        out: FloatArray = (yeo_johnson(z, self.lam) - self.shift2) / self.scale2
        return out

    def inverse(self, t: FloatArray) -> FloatArray:
        """Values whose transform is ``t`` (any shape); ``inverse(forward(y)) == y``."""
        z = np.asarray(t, dtype=float)
        if self.lam is not None:
            z = yeo_johnson_inverse(z * self.scale2 + self.shift2, self.lam)
        out: FloatArray = z * self.scale + self.shift
        return out


def _safe_std(y: FloatArray) -> float:
    std = float(np.std(y)) if y.size > 1 else 0.0
    return std if std > 1e-12 * max(1.0, float(np.max(np.abs(y))) if y.size else 1.0) else 1.0
