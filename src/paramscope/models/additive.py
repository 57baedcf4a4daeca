"""Additive GP: one term per parameter plus one joint term, for variance decompositions.

The kernel and its fit are in ``additive_fit.py``. This module conditions the GP on data, predicts,
and draws whole posterior functions by pathwise conditioning (as ``paths.py`` does for the ARD
GP): a prior draw is a sum of independent random-Fourier-feature draws, one per term (1-D features
for the main terms, ``p``-D for the joint one), corrected exactly at the data.
"""

# ruff: noqa: N803, N806  (matrix names X, F, K, L follow the maths)

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.linalg import cho_solve, solve_triangular

from paramscope.models.additive_fit import (
    AdditiveHyper,
    covariance,
    fit_additive,
    pairwise_sqdists,
)
from paramscope.models.features import FeatureMap
from paramscope.models.fit import GPOptions
from paramscope.models.linalg import (
    ModelFitError,
    cho_solve_lower,
    loo_standardized,
    robust_cholesky,
)
from paramscope.space import FloatArray

_CHUNK = 2048  # rows per block when evaluating, to bound the (rows, n) distance slices
_MAIN_FEATURES = 512  # random features per 1-D main term (cheap: one column each)
_GRID = 4097  # grid points of a one-column term's paths, interpolated between


@dataclass(frozen=True)
class _Data:
    F: FloatArray
    y: FloatArray
    L: FloatArray
    alpha: FloatArray


@dataclass(frozen=True)
class _Term:
    """Random Fourier features of one kernel term: which feature columns it reads, their
    lengthscales, its variance, frequencies ``(c, F)``, phases ``(F,)`` and path weights ``(F, S)``.
    """

    cols: FloatArray
    lengthscale: FloatArray
    variance: float
    omega: FloatArray
    phase: FloatArray
    weights: FloatArray

    def __call__(self, F: FloatArray) -> FloatArray:
        columns = F[:, self.cols.astype(int)]
        if columns.shape[1] == 1 and F.shape[0] > _GRID:
            return self._interpolated(columns[:, 0])
        return self._features(columns) @ self.weights

    def _features(self, columns: FloatArray) -> FloatArray:
        scale = math.sqrt(2.0 * self.variance / self.omega.shape[1])
        out: FloatArray = scale * np.cos((columns / self.lengthscale) @ self.omega + self.phase)
        return out

    def _interpolated(self, x: FloatArray) -> FloatArray:
        """A one-column term on many rows: exact on a fine grid, linear in between. Each path
        is smooth at its lengthscale (>= 0.01), so the error is below 1e-4 of its scale, and it
        saves a ``(rows, features) x (features, paths)`` product per parameter."""
        grid = np.linspace(x.min(), x.max(), _GRID)
        values = self._features(grid[:, None]) @ self.weights
        position = (x - grid[0]) / max(grid[1] - grid[0], 1e-300)
        left = np.clip(position.astype(int), 0, _GRID - 2)
        frac = (position - left)[:, None]
        out: FloatArray = (1.0 - frac) * values[left] + frac * values[left + 1]
        return out


def _draw_term(
    cols: FloatArray,
    lengthscale: FloatArray,
    variance: float,
    shape: tuple[int, int],
    rng: np.random.Generator,
) -> _Term:
    n_features, n_paths = shape
    chi2 = rng.chisquare(5.0, size=n_features)  # Matérn-5/2's spectral density is a Student-t(5)
    omega = rng.standard_normal((cols.shape[0], n_features)) / np.sqrt(chi2 / 5.0)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=n_features)
    weights = rng.standard_normal((n_features, n_paths))
    return _Term(cols, lengthscale, variance, omega, phase, weights)


@dataclass(frozen=True)
class AdditivePaths:
    """``S`` posterior draws of an additive GP; ``paths(U) -> (m, S)`` at unit-cube points."""

    gp: AdditiveGP
    terms: tuple[_Term, ...]
    update: FloatArray

    def prior(self, F: FloatArray) -> FloatArray:
        """The prior draws at feature rows ``F``."""
        return sum((term(F) for term in self.terms), np.zeros((F.shape[0], self.update.shape[1])))

    def __call__(self, U: FloatArray) -> FloatArray:
        U = np.atleast_2d(np.asarray(U, dtype=float))
        out = np.empty((U.shape[0], self.update.shape[1]))
        for start in range(0, U.shape[0], _CHUNK):
            F = self.gp.fmap.transform(U[start : start + _CHUNK])
            out[start : start + _CHUNK] = self.prior(F) + self.gp.cross(F) @ self.update
        return out


@dataclass(frozen=True, eq=False)
class AdditiveGP:
    """A GP whose kernel is a sum of per-parameter terms and one joint term, on ``[0, 1]^d``.

    Targets should be standardized. ``fit`` chooses the hyperparameters and conditions on the data;
    ``predict`` gives the latent mean and variance; ``sample_paths`` draws whole functions.

    Example:
        >>> from paramscope.space import Space, Float
        >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1), "b": Float(0, 1)}))
        >>> X = np.random.default_rng(0).random((40, 2))
        >>> gp = AdditiveGP(fmap).fit(X, np.sin(4 * X[:, 0]) + X[:, 1] ** 2)
        >>> mean, var = gp.predict(np.array([[0.3, 0.6]]))
        >>> bool(abs(mean[0] - (np.sin(1.2) + 0.36)) < 0.05)
        True
    """

    fmap: FeatureMap
    hyper: AdditiveHyper | None = None
    options: GPOptions = field(default_factory=GPOptions)
    seed: int | None = 0
    _data: _Data | None = None

    def _require(self) -> tuple[_Data, AdditiveHyper]:
        if self._data is None or self.hyper is None:
            raise ModelFitError("the additive GP has no data yet: call fit first")
        return self._data, self.hyper

    def fit(self, X: FloatArray, y: FloatArray) -> AdditiveGP:
        """Fit hyperparameters (warm-started from ``hyper``) and condition on ``X: (n, d)``, ``y``.

        Raises:
            ModelFitError: empty or non-finite data, or a covariance that never factors.
        """
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if X.shape[0] == 0 or X.shape[0] != y.shape[0]:
            raise ModelFitError(f"fit needs n >= 1 matching rows, got X {X.shape}, y {y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ModelFitError("fit got non-finite inputs or targets")
        F = self.fmap.transform(X)
        D = pairwise_sqdists(F, F, self.fmap.groups)
        hyper = fit_additive(
            D, y, options=self.options, warm=self.hyper, rng=np.random.default_rng(self.seed)
        )
        return replace(self, hyper=hyper)._conditioned(F, D, y)

    def condition(self, X: FloatArray, y: FloatArray) -> AdditiveGP:
        """The GP conditioned on ``X: (n, d)``, ``y: (n,)`` under its given hyperparameters.

        Raises:
            ModelFitError: no hyperparameters yet (call ``fit``), or a covariance that never
                factors.
        """
        if self.hyper is None:
            raise ModelFitError("condition needs hyperparameters: pass hyper= or call fit")
        F = self.fmap.transform(np.atleast_2d(np.asarray(X, dtype=float)))
        D = pairwise_sqdists(F, F, self.fmap.groups)
        return self._conditioned(F, D, np.asarray(y, dtype=float))

    def _conditioned(self, F: FloatArray, D: FloatArray, y: FloatArray) -> AdditiveGP:
        assert self.hyper is not None
        K = covariance(D, self.hyper)
        K.flat[:: K.shape[0] + 1] += self.hyper.noise
        L = robust_cholesky(K)
        return replace(self, _data=_Data(F, y, L, cho_solve_lower(L, y)))

    def loo_residuals(self) -> FloatArray:
        """Standardized leave-one-out residuals ``(n,)`` (``linalg.loo_standardized``)."""
        data, _ = self._require()
        return loo_standardized(data.L, data.alpha)

    def cross(self, F: FloatArray) -> FloatArray:
        """Covariances ``(m, n)`` between feature rows ``F`` and the training rows."""
        data, hyper = self._require()
        return covariance(pairwise_sqdists(F, data.F, self.fmap.groups), hyper)

    def predict_mean(self, X: FloatArray) -> FloatArray:
        """Latent posterior mean ``(m,)`` alone (no variance solve: cheap on big designs)."""
        data, _ = self._require()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        out: FloatArray = np.concatenate(
            [
                self.cross(self.fmap.transform(X[start : start + _CHUNK])) @ data.alpha
                for start in range(0, X.shape[0], _CHUNK)
            ]
        )
        return out

    def predict(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Latent posterior mean ``(m,)`` and variance ``(m,)`` at unit-cube points ``X``."""
        data, hyper = self._require()
        X = np.atleast_2d(np.asarray(X, dtype=float))
        mean, var = np.empty(X.shape[0]), np.empty(X.shape[0])
        for start in range(0, X.shape[0], _CHUNK):
            Kx = self.cross(self.fmap.transform(X[start : start + _CHUNK]))
            v = solve_triangular(data.L, Kx.T, lower=True, check_finite=False)
            mean[start : start + _CHUNK] = Kx @ data.alpha
            var[start : start + _CHUNK] = hyper.prior_variance - np.einsum("nm,nm->m", v, v)
        return mean, np.maximum(var, 1e-12)

    def sample_paths(
        self, n_paths: int, *, rng: np.random.Generator, n_features: int = 2048
    ) -> AdditivePaths:
        """``n_paths`` posterior functions (``n_features`` random features for the joint term).

        Example:
            >>> from paramscope.space import Space, Float
            >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1)}))
            >>> X = np.linspace(0, 1, 12)[:, None]
            >>> exact = GPOptions(deterministic=True)
            >>> gp = AdditiveGP(fmap, options=exact).fit(X, np.cos(3 * X[:, 0]))
            >>> paths = gp.sample_paths(32, rng=np.random.default_rng(1))
            >>> bool(np.abs(paths(X) - np.cos(3 * X)).max() < 0.05)  # noise-free: paths interpolate
            True
        """
        data, hyper = self._require()
        groups = self.fmap.groups
        terms = []
        for i in range(int(groups.max()) + 1):
            cols = np.flatnonzero(groups == i).astype(float)
            ls = np.full(cols.shape[0], math.exp(hyper.log_main_ls[i]))
            var = math.exp(hyper.log_main_var[i])
            terms.append(_draw_term(cols, ls, var, (_MAIN_FEATURES, n_paths), rng))
        all_cols = np.arange(groups.shape[0], dtype=float)
        joint_ls = np.exp(hyper.log_joint_ls)[groups]
        var = math.exp(hyper.log_joint_var)
        terms.append(_draw_term(all_cols, joint_ls, var, (n_features, n_paths), rng))
        paths = AdditivePaths(self, tuple(terms), np.zeros((data.F.shape[0], n_paths)))
        eps = rng.standard_normal((data.F.shape[0], n_paths)) * math.sqrt(hyper.noise)
        residual = data.y[:, None] - paths.prior(data.F) - eps
        update = cho_solve((data.L, True), residual, check_finite=False)
        return replace(paths, update=update)
