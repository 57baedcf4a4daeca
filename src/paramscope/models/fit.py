"""Hyperparameter fit: the GP's lengthscales, outputscale and noise by maximum a posteriori.

The objective is the log marginal likelihood plus log priors, maximized by L-BFGS-B over the
log-hyperparameters ``theta`` with its analytic gradient. Priors:

* lengthscale ``l_j ~ LogNormal(sqrt2 + log(d)/2, sqrt3)`` for each of the ``d`` parameters, the
  dimension-scaled prior of Hvarfner, Hellsten and Nardi, "Vanilla Bayesian Optimization Performs
  Great in High Dimensions" (ICML 2024): longer lengthscales a priori in more dims, so the model
  does not claim more complexity than ``n`` points can support;
* outputscale ``s2 ~ LogNormal(1, 1)`` (mode 1 on standardized targets);
* noise variance ``~ LogNormal(-4, 1)`` (BoTorch's default since that paper), or the noise fixed at
  a tiny value when the objective is declared deterministic.

Each prior is a density over the hyperparameter's *value* (as GPyTorch evaluates it), so its mode is
``exp(mu - sigma^2)``: lengthscale 0.5 at ``d = 6``, 1.1 at ``d = 100``. (A normal density over
``theta`` instead would move the lengthscale mode to ``exp(mu)``, twenty times longer; on
Hartmann6, Ackley and Levy the model then declares informative dimensions irrelevant.)

Gradients use ``dMLL/dtheta = 1/2 sum_ab (alpha alpha' - K^-1)_ab dK_ab/dtheta`` with the kernel
derivatives of ``kernels.py`` reduced by matrix products, so one evaluation costs a Cholesky, an
inverse and a few ``(n, n) x (n, p)`` products.
"""

# ruff: noqa: N803, N806  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize

from paramscope.models.kernels import (
    matern52_with_grad_factor,
    scale_inputs,
    sqdist,
    weighted_pair_sums,
)
from paramscope.models.linalg import (
    ModelFitError,
    Workspace,
    cho_inverse,
    cho_solve_lower,
    robust_cholesky,
)
from paramscope.space import FloatArray

_LOG_2PI = math.log(2.0 * math.pi)
P = TypeVar("P")


@dataclass(frozen=True)
class GPHyper:
    """GP hyperparameters in log space.

    Attributes:
        log_lengthscale: ``(d,)`` one log-lengthscale per parameter.
        log_outputscale: log of the signal variance ``s2``.
        log_noise: log of the observation-noise variance.

    Example:
        >>> GPHyper(np.zeros(2), 0.0, math.log(1e-6)).lengthscale.tolist()
        [1.0, 1.0]
    """

    log_lengthscale: FloatArray
    log_outputscale: float
    log_noise: float

    @property
    def lengthscale(self) -> FloatArray:
        """``(d,)`` lengthscales."""
        out: FloatArray = np.exp(self.log_lengthscale)
        return out

    @property
    def outputscale(self) -> float:
        """Signal variance ``s2``."""
        return math.exp(self.log_outputscale)

    @property
    def noise(self) -> float:
        """Observation-noise variance."""
        return math.exp(self.log_noise)


@dataclass(frozen=True)
class GPOptions:
    """How the GP's hyperparameters are chosen.

    Attributes:
        deterministic: fix the noise at ``min_noise`` instead of inferring it.
        min_noise: noise-variance floor, and the fixed value when deterministic (standardized).
        noise_prior: (mu, sigma) of the log-normal prior on the noise variance.
        outputscale_prior: (mu, sigma) of the log-normal prior on the outputscale.
        lengthscale_bounds: box for each lengthscale, in unit-cube units.
        restarts: starting points of a full (not only warm-started) fit.
        max_restart_points: above this many points, a full fit explores its starts on a random
            subset of this size and polishes only the best one (and the warm start) on all data.
        maxiter: L-BFGS-B iterations per start.

    Example:
        >>> GPOptions(deterministic=True).min_noise
        1e-06
    """

    deterministic: bool = False
    min_noise: float = 1e-6
    noise_prior: tuple[float, float] = (-4.0, 1.0)
    outputscale_prior: tuple[float, float] = (1.0, 1.0)
    lengthscale_bounds: tuple[float, float] = (1e-2, 1e3)
    restarts: int = 4
    max_restart_points: int = 150
    maxiter: int = 100


def lengthscale_prior(d: int) -> tuple[float, float]:
    """(mu, sigma) of the log-normal lengthscale prior for ``d`` parameters (Hvarfner et al. 2024).

    Example:
        >>> [round(v, 4) for v in lengthscale_prior(1)]
        [1.4142, 1.7321]
    """
    return math.sqrt(2.0) + 0.5 * math.log(d), math.sqrt(3.0)


def prior_mode(d: int, options: GPOptions | None = None) -> GPHyper:
    """The hyperparameters at the priors' modes, where a fit without a warm start begins.

    Example:
        >>> round(float(prior_mode(6).lengthscale[0]), 3), prior_mode(6).outputscale
        (0.502, 1.0)
    """
    options = options or GPOptions()
    mu_l, sd_l = lengthscale_prior(d)
    mu_s, sd_s = options.outputscale_prior
    mu_n, sd_n = options.noise_prior
    log_noise = max(mu_n - sd_n**2, math.log(options.min_noise))
    return GPHyper(np.full(d, mu_l - sd_l**2), mu_s - sd_s**2, log_noise)


@dataclass(frozen=True)
class MLLProblem:
    """The data and settings of one hyperparameter fit (``F: (n, p)``, ``y: (n,)``, ``d`` params),
    and the scratch matrices its evaluations reuse.

    Example:
        >>> MLLProblem(np.zeros((2, 1)), np.zeros(2), np.array([0]), 1, GPOptions()).d
        1
    """

    F: FloatArray
    y: FloatArray
    groups: NDArray[np.int64]
    d: int
    options: GPOptions
    work: Workspace = field(default_factory=Workspace, compare=False, repr=False)


def _unpack(theta: FloatArray, p: MLLProblem) -> GPHyper:
    log_noise = math.log(p.options.min_noise) if p.options.deterministic else float(theta[p.d + 1])
    return GPHyper(theta[: p.d].copy(), float(theta[p.d]), log_noise)


def _pack(h: GPHyper, p: MLLProblem) -> FloatArray:
    tail = [h.log_outputscale] if p.options.deterministic else [h.log_outputscale, h.log_noise]
    return np.concatenate([h.log_lengthscale, np.asarray(tail, dtype=float)])


def _log_prior(theta: FloatArray, p: MLLProblem) -> tuple[float, FloatArray]:
    mu_l, sd_l = lengthscale_prior(p.d)
    mean = np.full(theta.shape, mu_l)
    std = np.full(theta.shape, sd_l)
    mean[p.d], std[p.d] = p.options.outputscale_prior
    if not p.options.deterministic:
        mean[p.d + 1], std[p.d + 1] = p.options.noise_prior
    u = (theta - mean) / std
    # Log-normal densities over the values v = exp(theta): log p(v) = -theta - u^2 / 2 + const.
    return -0.5 * float(u @ u) - float(theta.sum()), -u / std - 1.0


def neg_log_posterior(theta: FloatArray, p: MLLProblem) -> tuple[float, FloatArray]:
    """Negative (log marginal likelihood + log prior) / n and its gradient wrt ``theta``.

    Args:
        theta: ``(d + 2,)`` log lengthscales, log outputscale, log noise (``(d + 1,)`` when the
            noise is fixed).
        p: data and settings.

    Example:
        >>> X, y = np.array([[0.0], [1.0]]), np.array([1.0, -1.0])
        >>> p = MLLProblem(X, y, np.array([0]), 1, GPOptions())
        >>> value, grad = neg_log_posterior(np.array([0.0, 0.0, -4.0]), p)
        >>> grad.shape
        (3,)
    """
    h = _unpack(theta, p)
    n = p.y.shape[0]
    Z = scale_inputs(p.F, h.lengthscale, p.groups)
    work = p.work
    D2 = sqdist(Z, Z, work)
    Kf, G = matern52_with_grad_factor(D2, h.outputscale, work)
    K = work.array("covariance", Kf.shape)
    np.copyto(K, Kf)
    K.flat[:: n + 1] += h.noise
    L = robust_cholesky(K, work)
    alpha = cho_solve_lower(L, p.y)
    mll = -0.5 * float(p.y @ alpha) - float(np.log(np.diag(L)).sum()) - 0.5 * n * _LOG_2PI
    W = np.outer(alpha, alpha, out=work.array("weights", Kf.shape))
    W -= cho_inverse(L, work)  # L is spent: its buffer now holds the inverse
    WG = np.multiply(W, G, out=work.array("product", Kf.shape))
    S = weighted_pair_sums(WG, Z)
    grad = np.empty_like(theta)
    grad[: p.d] = 0.5 * np.bincount(p.groups, weights=S, minlength=p.d)
    grad[p.d] = 0.5 * float(np.sum(np.multiply(W, Kf, out=WG)))
    if not p.options.deterministic:
        grad[p.d + 1] = 0.5 * h.noise * float(np.trace(W))
    lp, lp_grad = _log_prior(theta, p)
    return -(mll + lp) / n, -(grad + lp_grad) / n


def _bounds(p: MLLProblem) -> list[tuple[float, float]]:
    lo, hi = (math.log(b) for b in p.options.lengthscale_bounds)
    out = [(lo, hi)] * p.d + [(math.log(1e-2), math.log(1e2))]
    if not p.options.deterministic:
        out.append((math.log(p.options.min_noise), math.log(2.0)))
    return out


def _starts(
    p: MLLProblem, warm: GPHyper | None, n_starts: int, rng: np.random.Generator
) -> list[FloatArray]:
    sd_l = lengthscale_prior(p.d)[1]
    mode = prior_mode(p.d, p.options)
    starts = [_pack(warm, p)] if warm is not None else []
    starts.append(_pack(mode, p))
    while len(starts) < n_starts:
        draw = GPHyper(
            rng.normal(mode.log_lengthscale, sd_l),
            float(rng.normal(mode.log_outputscale, 0.5)),
            mode.log_noise,
        )
        starts.append(_pack(draw, p))
    box = np.array(_bounds(p))
    return [np.clip(s, box[:, 0], box[:, 1]) for s in starts[:n_starts]]


def fit_hyperparameters(
    F: FloatArray,
    y: FloatArray,
    groups: NDArray[np.int64],
    *,
    warm: GPHyper | None = None,
    full: bool = True,
    options: GPOptions | None = None,
    rng: np.random.Generator | None = None,
) -> GPHyper:
    """Maximum a posteriori hyperparameters of a Matérn-5/2 ARD GP on ``(F, y)``.

    Args:
        F: ``(n, p)`` feature rows (``FeatureMap.transform`` of unit-cube points).
        y: ``(n,)`` standardized targets.
        groups: ``(p,)`` parameter index of each feature column (``d = groups.max() + 1``).
        warm: a previous fit to start from.
        full: run ``options.restarts`` starts (the warm one included); otherwise only ``warm``.
        options: priors, bounds and effort.
        rng: draws the random starts.

    Raises:
        ModelFitError: every start failed (the covariance never factored).

    Example:
        >>> X = np.linspace(0, 1, 8)[:, None]
        >>> h = fit_hyperparameters(X, np.sin(6 * X[:, 0]), np.array([0]))
        >>> 0.05 < float(h.lengthscale[0]) < 2.0
        True
    """
    options = options or GPOptions()
    rng = rng if rng is not None else np.random.default_rng(0)
    d = int(groups.max()) + 1 if groups.size else 0
    problem = MLLProblem(F, np.asarray(y, dtype=float), groups, d, options)
    n_starts = options.restarts if (full or warm is None) else 1
    starts = _starts(problem, warm, max(n_starts, 1), rng)
    n = problem.y.shape[0]
    if len(starts) > 1 and n > options.max_restart_points:
        # Explore from every start on a random subset, then polish only the winner on all data.
        idx = np.sort(rng.choice(n, options.max_restart_points, replace=False))
        subset = replace(problem, F=F[idx], y=problem.y[idx])
        explored = _best_run(subset, starts)
        starts = starts[:1] if warm is not None else []
        if explored is not None:
            starts.append(explored[1])
    best = _best_run(problem, starts)
    if best is None:
        raise ModelFitError("hyperparameter fit failed from every start")
    return _unpack(best[1], problem)


def _best_run(problem: MLLProblem, starts: list[FloatArray]) -> tuple[float, FloatArray] | None:
    """Best (objective, theta) of one L-BFGS-B run per start; None if every run failed."""
    bounds = _bounds(problem)
    return best_of_starts(neg_log_posterior, problem, starts, bounds, problem.options.maxiter)


def best_of_starts(
    objective: Callable[[FloatArray, P], tuple[float, FloatArray]],
    problem: P,
    starts: list[FloatArray],
    bounds: list[tuple[float, float]],
    maxiter: int,
) -> tuple[float, FloatArray] | None:
    """The best ``(value, theta)`` of one L-BFGS-B run of ``objective(theta, problem)`` (value
    and gradient) from each start; None when every run failed to factor its covariance.

    Example:
        >>> quad = lambda t, c: (float(((t - c) ** 2).sum()), 2 * (t - c))
        >>> value, theta = best_of_starts(quad, 1.0, [np.zeros(1)], [(-5.0, 5.0)], 50)
        >>> round(float(theta[0]), 4)
        1.0
    """
    best: tuple[float, FloatArray] | None = None
    for x0 in starts:
        try:
            res = minimize(
                objective,
                x0,
                args=(problem,),
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": maxiter},
            )
        except ModelFitError:
            continue  # this start wandered where the covariance will not factor
        finite = np.isfinite(res.fun) and np.all(np.isfinite(res.x))
        if finite and (best is None or res.fun < best[0]):
            best = (float(res.fun), np.asarray(res.x, dtype=float))
    return best
