"""Emulator: Gaussian processes that stand in for the simulator's outputs during calibration.

A few outputs get one GP each (``models.GaussianProcess`` on standardized outputs). Long outputs
(more than ``max_direct_outputs``) are standardized and projected on their leading principal
components, one GP per component score; the variance the kept components miss is added back per
output. The emulator's variance of an output is the GP's latent variance plus its fitted nugget
(a stochastic simulator's run-to-run noise), so the likelihood of the observations includes it:
``z ~ N(E[f(x)], Var_emulator(x) + Var_discrepancy + Var_observation)``, with the components'
correlation across outputs kept exactly (a low-rank plus diagonal covariance).
"""

# ruff: noqa: N803, N806  (matrix names X, Y, U, B, G follow the maths)

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_triangular

from paramscope.analysis.calibration.observations import Observations
from paramscope.models import FeatureMap, GaussianProcess, GPOptions, OutputTransform
from paramscope.models.kernels import matern52
from paramscope.models.linalg import blas_threads, cho_solve_lower, robust_cholesky
from paramscope.space import FloatArray

_LOG_2PI = math.log(2.0 * math.pi)
_MIN_VAR = 1e-12


def _batched_sqdist(A: FloatArray, B: FloatArray) -> FloatArray:
    """Squared distances ``(k, m, n)`` between rows of ``A: (k, m, d)`` and ``B: (k, n, d)``."""
    center = B.mean(axis=1, keepdims=True)
    a, b = A - center, B - center
    d2 = (a * a).sum(2)[:, :, None] + (b * b).sum(2)[:, None, :] - 2.0 * (a @ b.transpose(0, 2, 1))
    out: FloatArray = np.maximum(d2, 0.0)
    return out


@dataclass(frozen=True, eq=False)
class GPStack:
    """Fitted GPs on the same runs, predicted together in a few array operations.

    MCMC asks the emulator about a handful of points thousands of times; one batched pass over
    every GP (same inputs, each its own lengthscales) replaces a Python loop of small solves.
    Built from each GP's fitted hyperparameters with the kernel of ``models.kernels``, so it
    predicts exactly what ``GaussianProcess.predict`` does (latent mean and variance), for
    spaces of continuous parameters (kernel inputs = unit-cube coordinates).

    Attributes:
        inv_lengthscale: ``(k, d)``; ``outputscale``, ``noise``: ``(k,)``.
        Z: ``(k, n, d)`` scaled training inputs; ``alpha``: ``(k, n)`` ``K^-1 y``;
        L_inv: ``(k, n, n)`` inverse Cholesky factors.
    """

    inv_lengthscale: FloatArray
    outputscale: FloatArray
    noise: FloatArray
    Z: FloatArray
    alpha: FloatArray
    L_inv: FloatArray

    @classmethod
    def build(cls, gps: list[GaussianProcess], X: FloatArray, targets: list[FloatArray]) -> GPStack:
        """Stack GPs fitted on ``X: (n, d)`` with standardized ``targets`` (one ``(n,)`` each)."""
        inv_l, out_s, noise, Zs, alphas, L_invs = [], [], [], [], [], []
        eye = np.eye(X.shape[0])
        for gp, t in zip(gps, targets, strict=True):
            hyper = gp.hyper
            assert hyper is not None
            Z = X / hyper.lengthscale
            K = matern52(_batched_sqdist(Z[None], Z[None])[0], hyper.outputscale)
            L = robust_cholesky(K + hyper.noise * eye)
            inv_l.append(1.0 / hyper.lengthscale)
            out_s.append(hyper.outputscale)
            noise.append(hyper.noise)
            Zs.append(Z)
            alphas.append(cho_solve_lower(L, t))
            L_invs.append(solve_triangular(L, eye, lower=True, check_finite=False))
        arrays = (inv_l, out_s, noise, Zs, alphas, L_invs)
        return cls(*(np.array(a) for a in arrays))

    @classmethod
    def concat(cls, stacks: list[GPStack]) -> GPStack:
        """One stack of every GP in ``stacks``; fewer runs are padded with inert zero rows."""
        n = max(st.Z.shape[1] for st in stacks)

        def pad(a: FloatArray, axes: tuple[int, ...]) -> FloatArray:
            width = [(0, 0)] * a.ndim
            for axis in axes:
                width[axis] = (0, n - a.shape[axis])
            return np.pad(a, width)

        return cls(
            np.concatenate([st.inv_lengthscale for st in stacks]),
            np.concatenate([st.outputscale for st in stacks]),
            np.concatenate([st.noise for st in stacks]),
            np.concatenate([pad(st.Z, (1,)) for st in stacks]),
            np.concatenate([pad(st.alpha, (1,)) for st in stacks]),
            np.concatenate([pad(st.L_inv, (1, 2)) for st in stacks]),
        )

    def predict(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Latent mean and variance of every GP at ``U: (b, d)``: ``(b, k)`` each."""
        Zx = U[None, :, :] * self.inv_lengthscale[:, None, :]
        # The kernel is linear in its outputscale: one unit-scale kernel, then one product.
        Kx = matern52(_batched_sqdist(Zx, self.Z), 1.0) * self.outputscale[:, None, None]
        mean = np.einsum("kbn,kn->bk", Kx, self.alpha)
        v = self.L_inv @ Kx.transpose(0, 2, 1)
        var = np.maximum(self.outputscale[None, :] - np.einsum("knb,knb->bk", v, v), _MIN_VAR)
        return mean, var


@dataclass(frozen=True)
class EmulatorOptions:
    """How outputs are emulated.

    Attributes:
        max_direct_outputs: up to this many outputs get one GP each; more are reduced by PCA.
        explained: fraction of the standardized outputs' variance the kept components explain.
        max_components: at most this many principal components.
        gp: the GPs' hyperparameter priors and fit effort (``deterministic=True`` fixes the
            nugget near zero for a deterministic simulator).

    Example:
        >>> EmulatorOptions().max_direct_outputs
        10
    """

    max_direct_outputs: int = 10
    explained: float = 0.999
    max_components: int = 12
    gp: GPOptions = field(default_factory=GPOptions)


@dataclass(frozen=True, eq=False)
class Emulator:
    """GPs for the outputs (or their principal components) of a simulator over the unit cube.

    Attributes:
        gps: one fitted GP per target (an output, or a component score).
        target_shift, target_scale: ``(k,)`` standardization of each GP's target.
        shift, scale: ``(m,)`` standardization of the outputs.
        basis: ``(m, k)`` principal directions of the standardized outputs, or None when each
            output has its own GP.
        residual: ``(m,)`` output variance the kept components miss (original units).

    Example:
        >>> from paramscope.space import Space, Float
        >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1)}))
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, np.hstack([X, X**2]), fmap)
        >>> mean, var = em.predict(np.array([[0.5]]))
        >>> np.round(mean, 2).tolist(), bool(np.all(var < 1e-3))
        ([[0.5, 0.25]], True)
    """

    gps: tuple[GaussianProcess, ...]
    target_shift: FloatArray
    target_scale: FloatArray
    shift: FloatArray
    scale: FloatArray
    basis: FloatArray | None
    residual: FloatArray
    stack: GPStack

    @classmethod
    def fit(
        cls,
        X: FloatArray,
        Y: FloatArray,
        fmap: FeatureMap,
        *,
        options: EmulatorOptions | None = None,
        seed: int | None = 0,
    ) -> Emulator:
        """Fit on runs ``X: (n, d)`` (unit cube) with outputs ``Y: (n, m)``.

        Raises:
            ModelFitError: non-finite data, or a covariance that never factors.
        """
        options = options or EmulatorOptions()
        X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
        shift = Y.mean(axis=0)
        scale = np.array([OutputTransform.fit(col, power=False).scale for col in Y.T])
        Z = (Y - shift) / scale
        basis: FloatArray | None = None
        residual = np.zeros(Y.shape[1])
        targets = Z
        if Y.shape[1] > options.max_direct_outputs:
            basis = _principal_directions(Z, options)
            targets = Z @ basis
            residual = np.mean((Z - targets @ basis.T) ** 2, axis=0) * scale**2
        gps, t_shift, t_scale, standardized = [], [], [], []
        # Matrices of a few hundred runs gain nothing from BLAS threads and lose a lot when
        # other processes hold the cores (see models.linalg.blas_threads).
        with blas_threads(1):
            for j, t in enumerate(targets.T):
                transform = OutputTransform.fit(t, power=False)
                model = GaussianProcess(
                    fmap, options=options.gp, seed=None if seed is None else seed + j
                )
                standardized.append(transform.forward(t))
                gps.append(model.fit(X, standardized[-1]))
                t_shift.append(transform.shift)
                t_scale.append(transform.scale)
            stack = GPStack.build(gps, X, standardized)
        return cls(
            gps=tuple(gps),
            target_shift=np.array(t_shift),
            target_scale=np.array(t_scale),
            shift=shift,
            scale=scale,
            basis=basis,
            residual=residual,
            stack=stack,
        )

    @property
    def n(self) -> int:
        """Number of runs the emulator was fit on."""
        return self.gps[0].n

    @property
    def components(self) -> int:
        """Number of GPs: outputs, or principal components when the outputs were reduced."""
        return len(self.gps)

    def targets(self, mean: FloatArray, var: FloatArray) -> tuple[FloatArray, FloatArray]:
        """The GPs' standardized latent ``mean, var: (n, k)`` in target units, nugget added."""
        t_mean: FloatArray = self.target_shift + self.target_scale * mean
        t_var: FloatArray = self.target_scale**2 * (var + self.stack.noise)
        return t_mean, t_var

    def predict_targets(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mean and variance (nugget included) of each GP's target: ``(n, k)`` each."""
        return self.targets(*self.stack.predict(np.atleast_2d(np.asarray(U, dtype=float))))

    def outputs(self, t_mean: FloatArray, t_var: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Output mean and marginal variance ``(n, m)`` from the targets' ``(n, k)``."""
        if self.basis is None:
            return self.shift + self.scale * t_mean, self.scale**2 * t_var
        mean = self.shift + self.scale * (t_mean @ self.basis.T)
        var = self.scale**2 * (t_var @ (self.basis**2).T) + self.residual
        return mean, var

    def predict(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Mean and marginal variance of the outputs at ``U: (n, d)``: ``(n, m)`` each."""
        return self.outputs(*self.predict_targets(U))

    def likelihood(self, t_mean: FloatArray, t_var: FloatArray, obs: Observations) -> FloatArray:
        """The log likelihood ``(n,)`` of the observations given the targets' ``(n, k)``."""
        noise = obs.error_variance
        if self.basis is None:
            resid = obs.values - (self.shift + self.scale * t_mean)
            total = self.scale**2 * t_var + noise
            out: FloatArray = -0.5 * np.sum(resid**2 / total + np.log(total) + _LOG_2PI, axis=1)
            return out
        return _low_rank_loglik(self, t_mean, t_var, obs.values, noise + self.residual)

    def log_likelihood(self, U: FloatArray, obs: Observations) -> FloatArray:
        """``log N(z; E[f(u)], Var_emulator(u) + Var_discrepancy + Var_observation)``: ``(n,)``.

        Example:
            >>> from paramscope.space import Space, Float
            >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1)}))
            >>> X = np.linspace(0, 1, 9)[:, None]
            >>> em = Emulator.fit(X, X, fmap)
            >>> ll = em.log_likelihood(np.array([[0.5], [0.9]]), Observations.build([0.5], 0.1))
            >>> bool(ll[0] > ll[1])
            True
        """
        return self.likelihood(*self.predict_targets(U), obs)


@dataclass(frozen=True, eq=False)
class EmulatorSet:
    """Several emulators predicted in one batched pass (the inner loop of MCMC).

    Attributes:
        emulators: the emulators, in order.
        stack: all their GPs, padded to a common number of runs.
        offsets: ``(len + 1,)`` where each emulator's GPs start in the stack.

    Example:
        >>> from paramscope.space import Space, Float
        >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1)}))
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> ems = (Emulator.fit(X[:5], X[:5], fmap), Emulator.fit(X, X**2, fmap))
        >>> both = EmulatorSet.of(ems).predict_targets(np.array([[0.3]]))
        >>> bool(np.allclose(both[1][0], ems[1].predict_targets(np.array([[0.3]]))[0]))
        True
    """

    emulators: tuple[Emulator, ...]
    stack: GPStack
    offsets: tuple[int, ...]

    @classmethod
    def of(cls, emulators: tuple[Emulator, ...]) -> EmulatorSet:
        """Stack ``emulators`` (at least one) for joint prediction."""
        offsets = np.cumsum([0, *(e.components for e in emulators)])
        stack = GPStack.concat([e.stack for e in emulators])
        return cls(emulators, stack, tuple(int(o) for o in offsets))

    def predict_targets(self, U: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
        """Each emulator's target mean and variance at ``U: (b, d)``."""
        mean, var = self.stack.predict(np.atleast_2d(np.asarray(U, dtype=float)))
        return [
            e.targets(mean[:, lo:hi], var[:, lo:hi])
            for e, lo, hi in zip(self.emulators, self.offsets[:-1], self.offsets[1:], strict=True)
        ]


def _principal_directions(Z: FloatArray, options: EmulatorOptions) -> FloatArray:
    """``(m, k)`` leading right singular vectors of the standardized outputs ``Z: (n, m)``."""
    _, s, vt = np.linalg.svd(Z, full_matrices=False)
    power = s**2
    total = float(power.sum())
    if total <= 0.0:
        return vt[:1].T
    explained = np.cumsum(power) / total
    k = int(np.searchsorted(explained, options.explained) + 1)
    k = max(1, min(k, options.max_components, Z.shape[0] - 1, vt.shape[0]))
    basis: FloatArray = vt[:k].T
    return basis


def _low_rank_loglik(
    em: Emulator, t_mean: FloatArray, t_var: FloatArray, z: FloatArray, diag: FloatArray
) -> FloatArray:
    """Gaussian log density with covariance ``diag + B V B'`` (``B = scale * basis``,
    ``V = diag(t_var)`` per point) by the Woodbury identity: ``(n,)``."""
    assert em.basis is not None
    B = em.scale[:, None] * em.basis  # (m, k)
    resid = z - (em.shift + t_mean @ B.T)  # (n, m)
    Bd = B / diag[:, None]  # D^-1 B
    G = B.T @ Bd  # (k, k)
    q = resid @ Bd  # (n, k): B' D^-1 r
    root = np.sqrt(t_var)  # V^1/2, (n, k)
    k = G.shape[0]
    M = np.eye(k)[None] + root[:, :, None] * G[None] * root[:, None, :]
    _, logdet_m = np.linalg.slogdet(M)
    w = np.linalg.solve(M, (root * q)[:, :, None])[:, :, 0]
    quad = np.sum(resid**2 / diag, axis=1) - np.sum((root * q) * w, axis=1)
    logdet = np.sum(np.log(diag)) + logdet_m
    out: FloatArray = -0.5 * (quad + logdet + z.size * _LOG_2PI)
    return out
