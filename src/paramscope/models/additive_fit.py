"""Additive-plus-interaction kernel: its hyperparameters, covariance and maximum a posteriori fit.

Sensitivity indices ask how the output's variance splits into main effects and interactions. A
single Matérn ARD kernel cannot say "x2 acts alone": every dimension enters one product, so a GP
fitted to a few hundred runs invents interactions (on Ishigami it puts x2 into the x1-x3 term and
overstates total indices). This kernel is a sum of one Matérn-5/2 term per parameter and one ARD
Matérn-5/2 product term over all of them,

    k(x, x') = sum_i s_i k_i(x_i, x_i'; l_i) + s_joint k(x, x'; l_joint),

so the marginal likelihood decides how much variance is additive and which parameters the joint
term really needs (a long joint lengthscale switches a parameter off there).

Every term's squared distance is a weighted sum of per-parameter raw squared distances
``D_i = ||F_i - F_i'||^2``: the main term ``i`` sees ``D_i / l_i^2`` and the joint term sees
``sum_i D_i / l_joint_i^2``. The ``D_i`` are computed once per fit, and every derivative factors
through Matérn's ``g(r)`` as in ``kernels.py``.
"""

# ruff: noqa: N803, N806  (matrix names F, K, L, D follow the maths)

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paramscope.models.fit import GPOptions, best_of_starts, lengthscale_prior
from paramscope.models.kernels import matern52_with_grad_factor, sqdist
from paramscope.models.linalg import ModelFitError, cho_inverse, cho_solve_lower, robust_cholesky
from paramscope.space import FloatArray

_LOG_2PI = math.log(2.0 * math.pi)
# Normal priors on the log variances: main effects share the (standardized) unit variance; the
# joint term starts small, so an interaction must be earned by the data (Occam's razor).
_MAIN_VAR_PRIOR_SD = 2.0
_JOINT_VAR_PRIOR = (math.log(0.1), 2.0)


@dataclass(frozen=True)
class AdditiveHyper:
    """Hyperparameters of the additive-plus-interaction kernel, in log space.

    Attributes:
        log_main_var: ``(d,)`` log variance of each parameter's own term.
        log_main_ls: ``(d,)`` log lengthscale of each parameter's own term.
        log_joint_var: log variance of the joint (product) term.
        log_joint_ls: ``(d,)`` log lengthscales of the joint term.
        log_noise: log observation-noise variance.

    Example:
        >>> h = AdditiveHyper(np.zeros(2), np.zeros(2), 0.0, np.zeros(2), math.log(1e-6))
        >>> h.prior_variance
        3.0
    """

    log_main_var: FloatArray
    log_main_ls: FloatArray
    log_joint_var: float
    log_joint_ls: FloatArray
    log_noise: float

    @property
    def noise(self) -> float:
        """Observation-noise variance."""
        return math.exp(self.log_noise)

    @property
    def prior_variance(self) -> float:
        """The latent function's prior variance at any point (sum of the terms' variances)."""
        return float(np.exp(self.log_main_var).sum() + math.exp(self.log_joint_var))


def pairwise_sqdists(F1: FloatArray, F2: FloatArray, groups: NDArray[np.int64]) -> FloatArray:
    """``(d, m, n)`` raw squared distances between rows, one slice per parameter.

    Example:
        >>> a, b = np.array([[0.0, 1.0]]), np.array([[1.0, 3.0]])
        >>> pairwise_sqdists(a, b, np.array([0, 1]))[:, 0, 0]
        array([1., 4.])
    """
    d = int(groups.max()) + 1
    out = np.empty((d, F1.shape[0], F2.shape[0]))
    for i in range(d):
        cols = groups == i
        out[i] = sqdist(F1[:, cols], F2[:, cols])
    return out


def covariance(D: FloatArray, h: AdditiveHyper) -> FloatArray:
    """The latent covariance ``(m, n)`` from raw per-parameter squared distances ``D: (d, m, n)``.

    Example:
        >>> h = AdditiveHyper(np.zeros(1), np.zeros(1), 0.0, np.zeros(1), -10.0)
        >>> float(covariance(np.zeros((1, 1, 1)), h)[0, 0])
        2.0
    """
    K: FloatArray = matern52_with_grad_factor(
        np.tensordot(np.exp(-2.0 * h.log_joint_ls), D, axes=1), math.exp(h.log_joint_var)
    )[0]
    for i in range(D.shape[0]):
        scaled = D[i] * math.exp(-2.0 * h.log_main_ls[i])
        K = K + matern52_with_grad_factor(scaled, math.exp(h.log_main_var[i]))[0]
    return K


@dataclass(frozen=True)
class AdditiveProblem:
    """One fit's data: raw distances ``D: (d, n, n)``, standardized targets ``y`` and settings."""

    D: FloatArray
    y: FloatArray
    options: GPOptions

    @property
    def d(self) -> int:
        return int(self.D.shape[0])


def unpack(theta: FloatArray, p: AdditiveProblem) -> AdditiveHyper:
    """Hyperparameters from the optimizer's vector ``[main_var, main_ls, joint_var, joint_ls,
    noise?]`` (no noise entry when the objective is deterministic)."""
    d = p.d
    noise = math.log(p.options.min_noise) if p.options.deterministic else float(theta[3 * d + 1])
    return AdditiveHyper(
        theta[:d].copy(),
        theta[d : 2 * d].copy(),
        float(theta[2 * d]),
        theta[2 * d + 1 :][:d],
        noise,
    )


def pack(h: AdditiveHyper, p: AdditiveProblem) -> FloatArray:
    """The optimizer's vector of ``h`` (inverse of ``unpack``)."""
    tail = [] if p.options.deterministic else [h.log_noise]
    head = [h.log_main_var, h.log_main_ls, [h.log_joint_var], h.log_joint_ls, tail]
    return np.concatenate([np.asarray(part, dtype=float) for part in head])


def _prior_table(p: AdditiveProblem) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Means, standard deviations and which entries are densities over values (lengthscales,
    noise: log-normal as in ``fit.py``) rather than over logs (variances)."""
    d = p.d
    mu1, sd1 = lengthscale_prior(1)
    mud, sdd = lengthscale_prior(d)
    mean = [math.log(1.0 / d)] * d + [mu1] * d + [_JOINT_VAR_PRIOR[0]] + [mud] * d
    std = [_MAIN_VAR_PRIOR_SD] * d + [sd1] * d + [_JOINT_VAR_PRIOR[1]] + [sdd] * d
    value = [0.0] * d + [1.0] * d + [0.0] + [1.0] * d
    if not p.options.deterministic:
        mean.append(p.options.noise_prior[0])
        std.append(p.options.noise_prior[1])
        value.append(1.0)
    return np.array(mean), np.array(std), np.array(value)


def neg_log_posterior(theta: FloatArray, p: AdditiveProblem) -> tuple[float, FloatArray]:
    """Negative (log marginal likelihood + log prior) / n and its gradient wrt ``theta``.

    Example:
        >>> F = np.array([[0.0, 0.0], [1.0, 0.5], [0.3, 1.0]])
        >>> p = AdditiveProblem(pairwise_sqdists(F, F, np.array([0, 1])), np.ones(3), GPOptions())
        >>> value, grad = neg_log_posterior(np.zeros(3 * 2 + 2), p)
        >>> grad.shape
        (8,)
    """
    h = unpack(theta, p)
    d, n = p.d, p.y.shape[0]
    joint_w = np.exp(-2.0 * h.log_joint_ls)
    Kj, Gj = matern52_with_grad_factor(
        np.tensordot(joint_w, p.D, axes=1), math.exp(h.log_joint_var)
    )
    mains = []
    K = Kj.copy()
    for i in range(d):
        scaled = p.D[i] * math.exp(-2.0 * h.log_main_ls[i])
        Ki, Gi = matern52_with_grad_factor(scaled, math.exp(h.log_main_var[i]))
        K += Ki
        mains.append((Ki, Gi * scaled))
    K.flat[:: n + 1] += h.noise
    L = robust_cholesky(K)
    alpha = cho_solve_lower(L, p.y)
    mll = -0.5 * float(p.y @ alpha) - float(np.log(np.diag(L)).sum()) - 0.5 * n * _LOG_2PI
    W = np.outer(alpha, alpha) - cho_inverse(L)
    grad = np.empty_like(theta)
    for i, (Ki, dKi) in enumerate(mains):
        grad[i] = 0.5 * float(np.sum(W * Ki))
        grad[d + i] = 0.5 * float(np.sum(W * dKi))
    grad[2 * d] = 0.5 * float(np.sum(W * Kj))
    WG = W * Gj
    grad[2 * d + 1 : 3 * d + 1] = 0.5 * joint_w * np.tensordot(p.D, WG, axes=([1, 2], [0, 1]))
    if not p.options.deterministic:
        grad[3 * d + 1] = 0.5 * h.noise * float(np.trace(W))
    mean, std, value = _prior_table(p)
    u = (theta - mean) / std
    lp = -0.5 * float(u @ u) - float(value @ theta)
    lp_grad = -u / std - value
    return -(mll + lp) / n, -(grad + lp_grad) / n


def _bounds(p: AdditiveProblem) -> list[tuple[float, float]]:
    lo, hi = (math.log(b) for b in p.options.lengthscale_bounds)
    var = (math.log(1e-6), math.log(1e2))
    d = p.d
    out = [var] * d + [(lo, hi)] * d + [var] + [(lo, hi)] * d
    if not p.options.deterministic:
        out.append((math.log(p.options.min_noise), math.log(2.0)))
    return out


def _starts(
    p: AdditiveProblem, warm: AdditiveHyper | None, rng: np.random.Generator
) -> list[FloatArray]:
    """A warm start, then additive-led, balanced and joint-led starts, then random draws."""
    d = p.d
    mu1, sd1 = lengthscale_prior(1)
    mud, sdd = lengthscale_prior(d)
    main_ls, joint_ls = mu1 - sd1**2, mud - sdd**2
    noise = max(p.options.noise_prior[0] - p.options.noise_prior[1] ** 2, math.log(1e-4))
    starts = [] if warm is None else [pack(warm, p)]
    for main_share in (0.9, 0.5, 0.1):
        main = math.log(main_share / d)
        joint = math.log(1.0 - main_share)
        h = AdditiveHyper(np.full(d, main), np.full(d, main_ls), joint, np.full(d, joint_ls), noise)
        starts.append(pack(h, p))
    while len(starts) < max(p.options.restarts, 4):
        h = AdditiveHyper(
            rng.normal(math.log(0.5 / d), 1.0, d),
            rng.normal(main_ls, 1.0, d),
            float(rng.normal(math.log(0.3), 1.0)),
            rng.normal(joint_ls, 1.0, d),
            noise,
        )
        starts.append(pack(h, p))
    box = np.array(_bounds(p))
    return [np.clip(s, box[:, 0], box[:, 1]) for s in starts]


def fit_additive(
    D: FloatArray,
    y: FloatArray,
    *,
    options: GPOptions,
    warm: AdditiveHyper | None = None,
    rng: np.random.Generator,
) -> AdditiveHyper:
    """Maximum a posteriori hyperparameters from several starts (L-BFGS-B, analytic gradient).

    Args:
        D: ``(d, n, n)`` raw per-parameter squared distances of the training rows.
        y: ``(n,)`` standardized targets.
        options: noise handling, bounds and effort (``GPOptions``).
        warm: a previous fit, tried first.
        rng: draws the random starts.

    Raises:
        ModelFitError: every start failed.

    Example:
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> D = pairwise_sqdists(X, X, np.array([0]))
        >>> rng = np.random.default_rng(0)
        >>> h = fit_additive(D, np.sin(5 * X[:, 0]), options=GPOptions(), rng=rng)
        >>> h.log_main_var.shape
        (1,)
    """
    problem = AdditiveProblem(D, np.asarray(y, dtype=float), options)
    starts = _starts(problem, warm, rng)
    best = best_of_starts(neg_log_posterior, problem, starts, _bounds(problem), options.maxiter)
    if best is None:
        raise ModelFitError("additive GP fit failed from every start")
    return unpack(best[1], problem)
