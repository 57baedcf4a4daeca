"""GP surrogate: a Matérn-5/2 ARD Gaussian process over the unit cube of a space.

The sampler fits one per modelled quantity (the objective, each constraint) on standardized targets
(``transforms.py``), then asks it for the posterior mean and variance of the latent function, with
their gradients wrt the unit-cube point for the acquisition optimizer, and conditions it on
pending points (fantasies) without refitting its hyperparameters.
"""

# ruff: noqa: N803, N806  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
from scipy.linalg import solve_triangular
from scipy.special import ndtri
from scipy.stats import qmc

from paramscope.models.features import FeatureMap
from paramscope.models.fit import GPHyper, GPOptions, fit_hyperparameters, prior_mode
from paramscope.models.kernels import (
    CentredRows,
    matern52,
    matern52_and_grad_factor,
    scale_inputs,
    sqdist,
    weighted_differences,
)
from paramscope.models.linalg import (
    ModelFitError,
    cho_solve_lower,
    loo_standardized,
    robust_cholesky,
)
from paramscope.models.paths import PosteriorPaths, draw_paths
from paramscope.space import FloatArray

_MIN_VAR = 1e-12


@dataclass(frozen=True)
class _State:
    """A GP conditioned on data: scaled inputs, targets, Cholesky factor and ``K^-1 y``."""

    Z: FloatArray
    y: FloatArray
    L: FloatArray
    alpha: FloatArray

    @cached_property
    def rows(self) -> CentredRows:
        """``Z`` centred, for distances to it (computed once, not once per prediction)."""
        return CentredRows.of(self.Z)


@dataclass(frozen=True, eq=False)
class GaussianProcess:
    """Matérn-5/2 ARD GP with constant zero mean over ``[0, 1]^d`` (targets standardized).

    ``fit`` chooses hyperparameters (warm-started from ``hyper`` when given) and conditions on the
    data; ``condition`` adds points under the current hyperparameters (a block Cholesky update when
    already conditioned). ``predict`` returns the latent function's mean and variance (no noise).
    ``condition`` also takes ``y: (n, k)``: ``k`` functions observed at the same points under the
    same kernel (posterior draws, say), each with its own mean and all with one variance.

    Attributes:
        fmap: feature map of the space (kinds of parameters, one-hot choices).
        hyper: hyperparameters; None until fitted (``condition`` then uses the prior's mode).
        options: priors and effort of the hyperparameter fit.
        full_fit: run the multi-start fit even when ``hyper`` is given (warm start included).
        seed: seeds the random starts of the fit.

    Example:
        >>> from paramscope.space import Space, Float
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0.0, 1.0)}))
        >>> X = np.linspace(0, 1, 12)[:, None]
        >>> gp = GaussianProcess(fmap).fit(X, np.cos(4 * X[:, 0]))
        >>> mean, var = gp.predict(np.array([[0.5]]))
        >>> bool(abs(mean[0] - np.cos(2.0)) < 0.05), bool(var[0] < 0.01)
        (True, True)
    """

    fmap: FeatureMap
    hyper: GPHyper | None = None
    options: GPOptions = field(default_factory=GPOptions)
    full_fit: bool = True
    seed: int | None = 0
    _state: _State | None = None

    @property
    def is_fitted(self) -> bool:
        """Whether the GP holds data (``predict`` works)."""
        return self._state is not None

    @property
    def n(self) -> int:
        """Number of points conditioned on."""
        return 0 if self._state is None else int(self._state.y.shape[0])

    def _hyper(self) -> GPHyper:
        return self.hyper if self.hyper is not None else prior_mode(self.fmap.dim, self.options)

    def _inputs(self, X: FloatArray, hyper: GPHyper) -> FloatArray:
        F = self.fmap.transform(np.atleast_2d(np.asarray(X, dtype=float)))
        return scale_inputs(F, hyper.lengthscale, self.fmap.groups)

    def fit(self, X: FloatArray, y: FloatArray) -> GaussianProcess:
        """Fit hyperparameters on ``X: (n, d)`` unit-cube points and ``y: (n,)``; return the GP.

        Raises:
            ModelFitError: non-finite data, or a covariance that never factors.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp.fit(np.array([[0.1], [0.5], [0.9]]), np.array([1.0, -1.0, 0.5])).n
            3
        """
        X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
        if X.shape[0] != y.shape[0] or X.shape[0] == 0:
            raise ModelFitError(f"fit needs n >= 1 matching rows, got X {X.shape}, y {y.shape}")
        if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
            raise ModelFitError("fit got non-finite inputs or targets")
        F = self.fmap.transform(X)
        hyper = fit_hyperparameters(
            F,
            y,
            self.fmap.groups,
            warm=self.hyper,
            full=self.full_fit,
            options=self.options,
            rng=np.random.default_rng(self.seed),
        )
        return replace(self, hyper=hyper, _state=None).condition(X, y)

    def condition(self, X: FloatArray, y: FloatArray) -> GaussianProcess:
        """The GP also conditioned on ``X: (q, d)``, ``y: (q,)`` (hyperparameters unchanged).

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp.condition(np.array([[0.5]]), np.array([1.0])).n
            1
        """
        hyper = self._hyper()
        Zn = self._inputs(X, hyper)
        yn = np.asarray(y, dtype=float)
        yn = yn if yn.ndim == 2 else yn.reshape(-1)
        K22 = matern52(sqdist(Zn, Zn), hyper.outputscale) + hyper.noise * np.eye(Zn.shape[0])
        s = self._state
        if s is None:
            Z, yy, L = Zn, yn, robust_cholesky(K22)
        else:
            B = solve_triangular(
                s.L, matern52(sqdist(s.Z, Zn), hyper.outputscale), lower=True, check_finite=False
            )
            C = robust_cholesky(K22 - B.T @ B)
            n, q = s.L.shape[0], Zn.shape[0]
            L = np.zeros((n + q, n + q))
            L[:n, :n], L[n:, :n], L[n:, n:] = s.L, B.T, C
            Z, yy = np.vstack([s.Z, Zn]), np.concatenate([s.y, yn])
        state = _State(Z, yy, L, cho_solve_lower(L, yy))
        return replace(self, hyper=hyper, _state=state)

    def noiseless(self) -> GaussianProcess:
        """The same kernel with no data and the noise at its floor, for conditioning on latent
        (noise-free) values such as posterior draws.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> math.isclose(gp.noiseless().hyper.noise, gp.options.min_noise)
            True
        """
        hyper = replace(self._hyper(), log_noise=math.log(self.options.min_noise))
        return replace(self, hyper=hyper, _state=None)

    def joint_posterior(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Latent posterior mean ``(q,)`` and covariance ``(q, q)`` at ``X: (q, d)``, jointly.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.5]]), np.array([1.0]))
            >>> mean, cov = gp.joint_posterior(np.array([[0.5], [0.9]]))
            >>> cov.shape, bool(np.allclose(np.diag(cov), gp.predict(np.array([[0.5], [0.9]]))[1]))
            ((2, 2), True)
        """
        s, hyper = self._require()
        Zx = self._inputs(X, hyper)
        Kx = matern52(s.rows.sqdist_from(Zx), hyper.outputscale)
        v = solve_triangular(s.L, Kx.T, lower=True, check_finite=False)
        cov: FloatArray = matern52(sqdist(Zx, Zx), hyper.outputscale) - v.T @ v
        mean: FloatArray = Kx @ s.alpha
        return mean, cov

    def posterior_draws(self, X: FloatArray, n_draws: int, seed: int) -> FloatArray:
        """``(n_draws, q)`` joint draws of the latent function at ``X: (q, d)``.

        Scrambled Sobol normals (the quasi-Monte Carlo base samples BoTorch uses for qLogNEI):
        for a given seed the draws are fixed, so an acquisition averaged over them is a smooth,
        deterministic function of the candidate.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.5]]), np.array([1.0]))
            >>> gp.posterior_draws(np.array([[0.2], [0.9]]), 8, seed=0).shape
            (8, 2)
        """
        mean, cov = self.joint_posterior(X)
        root = robust_cholesky(cov)
        base = qmc.Sobol(X.shape[0], scramble=True, seed=seed).random(n_draws)
        normals = ndtri(np.clip(base, 1e-10, 1.0 - 1e-10))
        out: FloatArray = mean[None, :] + normals @ root.T
        return out

    def _require(self) -> tuple[_State, GPHyper]:
        if self._state is None or self.hyper is None:
            raise ModelFitError("the GP has no data yet: call fit or condition first")
        return self._state, self.hyper

    def predict_mean(self, X: FloatArray) -> FloatArray:
        """Posterior mean ``(m,)`` alone (no variance solve: cheap on big designs)."""
        s, hyper = self._require()
        Kx = matern52(s.rows.sqdist_from(self._inputs(X, hyper)), hyper.outputscale)
        out: FloatArray = Kx @ s.alpha
        return out

    def predict(self, X: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Posterior mean ``(m,)`` and latent (noise-free) variance ``(m,)`` at ``X: (m, d)``.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.5]]), np.array([2.0]))
            >>> mean, var = gp.predict(np.array([[0.5], [0.9]]))
            >>> bool(mean[0] > mean[1]), bool(var[0] < var[1])  # near the data: its value, surer
            (True, True)
        """
        s, hyper = self._require()
        Zx = self._inputs(X, hyper)
        Kx = matern52(s.rows.sqdist_from(Zx), hyper.outputscale)
        mean: FloatArray = Kx @ s.alpha
        v = solve_triangular(s.L, Kx.T, lower=True, check_finite=False)
        var: FloatArray = np.maximum(hyper.outputscale - np.einsum("nm,nm->m", v, v), _MIN_VAR)
        return mean, var

    def loo_residuals(self) -> FloatArray:
        """Standardized leave-one-out residuals ``(n,)`` (``linalg.loo_standardized``)."""
        s, _ = self._require()
        return loo_standardized(s.L, s.alpha)

    def sample_paths(
        self, n_paths: int, *, rng: np.random.Generator, n_features: int = 2048
    ) -> PosteriorPaths:
        """``n_paths`` whole functions drawn from the posterior (see ``paths.py``).

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.5]]), np.array([1.0]))
            >>> gp.sample_paths(8, rng=np.random.default_rng(0))(np.array([[0.1]])).shape
            (1, 8)
        """
        s, hyper = self._require()
        return draw_paths(
            self.fmap, hyper, (s.Z, s.y, s.L), n_paths, rng=rng, n_features=n_features
        )

    def predict_with_grad(
        self, X: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """Mean, variance and their gradients wrt the unit-cube point.

        Args:
            X: ``(m, d)`` unit-cube points.

        Returns:
            ``mean: (m,)``, ``var: (m,)``, ``dmean: (m, d)``, ``dvar: (m, d)``. Gradients are wrt
            the ordered dims (``fmap.ordered_dims``: floats and relaxed grids); zero for choices.
            With ``k`` targets (``condition`` on ``y: (n, k)``), ``mean: (m, k)`` and
            ``dmean: (m, k, d)``.

        Example:
            >>> from paramscope.space import Space, Float
            >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
            >>> gp = gp.condition(np.array([[0.2], [0.8]]), np.array([0.0, 1.0]))
            >>> _, _, dmean, _ = gp.predict_with_grad(np.array([[0.5]]))
            >>> bool(dmean[0, 0] > 0)  # rising from the 0 at x=0.2 to the 1 at x=0.8
            True
        """
        s, hyper = self._require()
        Zx = self._inputs(X, hyper)
        Kx, G = matern52_and_grad_factor(s.rows.sqdist_from(Zx), hyper.outputscale)
        mean: FloatArray = Kx @ s.alpha
        v = solve_triangular(s.L, Kx.T, lower=True, check_finite=False)
        var_raw = hyper.outputscale - np.einsum("nm,nm->m", v, v)
        var: FloatArray = np.maximum(var_raw, _MIN_VAR)
        w = solve_triangular(s.L, v, lower=True, trans="T", check_finite=False).T
        dvar_z = 2.0 * weighted_differences(G * w, Zx, s.Z)
        dvar_z[var_raw <= _MIN_VAR] = 0.0
        if s.alpha.ndim == 1:
            dmean_z = -weighted_differences(G * s.alpha, Zx, s.Z)
        else:  # several targets: weighted_differences for each at once, (m, k, p)
            W = G[:, None, :] * s.alpha.T[None]
            dmean_z = -(Zx[:, None, :] * W.sum(axis=2)[:, :, None] - W @ s.Z)
        return mean, var, self._unit_grad(dmean_z, hyper), self._unit_grad(dvar_z, hyper)

    def _unit_grad(self, dz: FloatArray, hyper: GPHyper) -> FloatArray:
        """Gradients wrt the scaled features ``(..., p)`` as ones wrt the point ``(..., d)``."""
        cols = self.fmap.ordered_dims.shape[0]
        inv_l = self.fmap.col_scale[:cols] / hyper.lengthscale[self.fmap.groups[:cols]]
        out = np.zeros((*dz.shape[:-1], self.fmap.dim))
        out[..., self.fmap.ordered_dims] = dz[..., :cols] * inv_l
        return out
