"""Posterior sample paths of a GP: whole functions drawn from the posterior, cheap to evaluate.

Sensitivity indices are integrals over the input space, so their uncertainty under the surrogate
needs whole draws of the function, not pointwise means and variances. A draw is built by pathwise
conditioning (Wilson et al., "Efficiently sampling functions from Gaussian process posteriors",
ICML 2020): a prior draw from random Fourier features, corrected by the exact kernel at the data,

    f(x) = phi(x)' w + k(x, X) (K + noise I)^-1 (y - phi(X)' w - eps),

so the correction is exact and only the prior's fine structure is approximated. Evaluating ``S``
paths at ``m`` points costs ``O(m (F + n) S)``: millions of points are affordable, which makes the
Monte Carlo error of the estimators negligible next to the surrogate's own uncertainty.

Matérn-5/2's spectral density is a Student-t with 5 degrees of freedom, sampled as
``g / sqrt(u / 5)`` with ``g ~ N(0, I)`` and ``u ~ chi2(5)`` on the lengthscale-scaled features.
"""

# ruff: noqa: N803, N806  (matrix names X, Z, K, L follow the maths)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import cho_solve

from paramscope.models.features import FeatureMap
from paramscope.models.fit import GPHyper
from paramscope.models.kernels import matern52, scale_inputs, sqdist
from paramscope.space import FloatArray

_CHUNK = 4096  # rows per block when evaluating, to bound the (rows, features) matrix


@dataclass(frozen=True)
class PosteriorPaths:
    """``S`` posterior draws of a GP's latent function, evaluated with ``paths(U) -> (m, S)``.

    Attributes:
        fmap: the space's feature map (unit cube -> kernel features).
        hyper: the GP's hyperparameters.
        Z: ``(n, p)`` the training inputs, lengthscale-scaled.
        omega: ``(p, F)`` random frequencies; ``phase: (F,)`` random phases.
        weights: ``(F, S)`` prior weights of each path; ``update: (n, S)`` its data correction.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models.gp import GaussianProcess, GPOptions
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1)}))
        >>> X = np.linspace(0, 1, 10)[:, None]
        >>> exact = GPOptions(deterministic=True)  # noise-free data: every path interpolates them
        >>> gp = GaussianProcess(fmap, options=exact).fit(X, np.sin(5 * X[:, 0]))
        >>> paths = gp.sample_paths(64, rng=np.random.default_rng(0))
        >>> paths(X).shape, bool(np.abs(paths(X) - np.sin(5 * X)).max() < 0.05)
        ((10, 64), True)
    """

    fmap: FeatureMap
    hyper: GPHyper
    Z: FloatArray
    omega: FloatArray
    phase: FloatArray
    weights: FloatArray
    update: FloatArray

    @property
    def n_paths(self) -> int:
        return int(self.weights.shape[1])

    def _features(self, Zx: FloatArray) -> FloatArray:
        scale = np.sqrt(2.0 * self.hyper.outputscale / self.omega.shape[1])
        out: FloatArray = scale * np.cos(Zx @ self.omega + self.phase)
        return out

    def __call__(self, U: FloatArray) -> FloatArray:
        """Values ``(m, S)`` of every path at unit-cube points ``U: (m, d)``."""
        U = np.atleast_2d(np.asarray(U, dtype=float))
        out = np.empty((U.shape[0], self.n_paths))
        for start in range(0, U.shape[0], _CHUNK):
            block = U[start : start + _CHUNK]
            F = self.fmap.transform(block)
            Zx = scale_inputs(F, self.hyper.lengthscale, self.fmap.groups)
            Kx = matern52(sqdist(Zx, self.Z), self.hyper.outputscale)
            out[start : start + _CHUNK] = self._features(Zx) @ self.weights + Kx @ self.update
        return out


def draw_paths(
    fmap: FeatureMap,
    hyper: GPHyper,
    data: tuple[FloatArray, FloatArray, FloatArray],
    n_paths: int,
    *,
    rng: np.random.Generator,
    n_features: int = 2048,
) -> PosteriorPaths:
    """Draw ``n_paths`` posterior paths of a GP conditioned on ``data = (Z, y, L)``.

    Args:
        fmap: the space's feature map.
        hyper: kernel hyperparameters.
        data: scaled training inputs ``Z: (n, p)``, targets ``y: (n,)`` and the lower Cholesky
            factor ``L: (n, n)`` of ``K + noise I``.
        n_paths: number of paths ``S``.
        rng: source of the random features and weights.
        n_features: random Fourier features ``F`` of the prior draw.
    """
    Z, y, L = data
    p = Z.shape[1]
    chi2 = rng.chisquare(5.0, size=n_features)
    omega = rng.standard_normal((p, n_features)) / np.sqrt(chi2 / 5.0)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=n_features)
    weights = rng.standard_normal((n_features, n_paths))
    paths = PosteriorPaths(fmap, hyper, Z, omega, phase, weights, np.zeros((Z.shape[0], n_paths)))
    prior_at_data = paths._features(Z) @ weights
    eps = rng.standard_normal((Z.shape[0], n_paths)) * np.sqrt(hyper.noise)
    update = cho_solve((L, True), y[:, None] - prior_at_data - eps, check_finite=False)
    return PosteriorPaths(fmap, hyper, Z, omega, phase, weights, update)
