"""Posterior: Bayesian calibration on the final emulator with emcee, the MAP, the predictive check.

The prior is uniform on the space's unit cube (log-uniform for ``log=True`` parameters),
restricted to the space history matching did not rule out (where the final emulator was trained).
The likelihood is the emulator's predictive density of the observations, whose variance includes
the emulator's own. The MAP polishes the best draw with L-BFGS-B. The posterior-predictive check
compares each observation with replicated data ``y_rep ~ N(E[f], Var_emulator + Var_discrepancy +
Var_observation)`` at the posterior draws.
"""

# ruff: noqa: N803, N806  (matrix names U follow the maths)

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

from paramscope.analysis.calibration.emulator import Emulator, EmulatorSet
from paramscope.analysis.calibration.history_matching import Matcher
from paramscope.space import FloatArray

MIN_AUTOCORR_MULTIPLE = 20
"""The kept half of a chain should span at least this many autocorrelation times."""


@dataclass(frozen=True, eq=False)
class LogPosterior:
    """``log p(u | z)`` up to a constant on ``U: (n, d)`` unit-cube points (``-inf`` outside).

    Attributes:
        emulator: the final emulator (the likelihood).
        matcher: observations and the implausibility rule.
        truncation: emulators whose NROY space bounds the prior.
    """

    emulator: Emulator
    matcher: Matcher
    truncation: tuple[Emulator, ...] = ()
    joint: EmulatorSet = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "joint", EmulatorSet.of((*self.truncation, self.emulator)))

    def __call__(self, U: FloatArray) -> FloatArray:
        U = np.atleast_2d(np.asarray(U, dtype=float))
        keep = np.all((U >= 0.0) & (U <= 1.0), axis=1)
        if not keep.any():
            return np.full(U.shape[0], -np.inf)
        *bounds, final = self.joint.predict_targets(U)
        for emulator, targets in zip(self.truncation, bounds, strict=True):
            keep &= self.matcher.score(*emulator.outputs(*targets)) <= self.matcher.cutoff
        loglik = self.emulator.likelihood(*final, self.matcher.obs)
        out: FloatArray = np.where(keep, loglik, -np.inf)
        return out

    def untruncated(self, u: FloatArray) -> float:
        """The log likelihood at one point ``u: (d,)`` ignoring the NROY bound (for the MAP)."""
        return float(self.emulator.log_likelihood(np.atleast_2d(u), self.matcher.obs)[0])


@dataclass(frozen=True, eq=False)
class Chain:
    """Posterior draws after burn-in.

    Attributes:
        U: ``(s, d)`` draws in the unit cube.
        log_prob: ``(s,)`` their log posterior.
        acceptance: mean acceptance fraction of the walkers.
        autocorr: ``(d,)`` integrated autocorrelation times in steps (emcee's estimate).
        steps: steps per walker (burn-in included); ``walkers`` walkers.
    """

    U: FloatArray
    log_prob: FloatArray
    acceptance: float
    autocorr: FloatArray
    steps: int
    walkers: int


def start_points(
    target: LogPosterior, candidates: FloatArray, walkers: int, rng: np.random.Generator
) -> FloatArray:
    """``(walkers, d)`` distinct starting points drawn from ``candidates`` in proportion to
    their posterior (Gumbel top-k, without replacement), so the ensemble starts spread over the
    posterior rather than bunched at its mode; jittered apart.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> lp = LogPosterior(em, Matcher(Observations.build([0.5], 0.05)))
        >>> start = start_points(lp, np.linspace(0, 1, 101)[:, None], 4, np.random.default_rng(0))
        >>> start.shape, bool(np.all(np.abs(start - 0.5) < 0.2))
        ((4, 1), True)
    """
    logp = target(candidates)
    finite = np.isfinite(logp)
    if finite.any():
        keys = logp[finite] + rng.gumbel(size=int(finite.sum()))
        chosen = candidates[finite][np.argsort(-keys, kind="stable")[:walkers]]
    else:
        chosen = candidates[:walkers]
    spread = np.maximum(chosen.std(axis=0) if chosen.shape[0] > 1 else 0.0, 1e-3)
    if chosen.shape[0] < walkers:  # too few candidates: copies, moved apart so walkers differ
        copies = chosen[rng.integers(chosen.shape[0], size=walkers - chosen.shape[0])]
        copies = copies + 0.05 * spread * rng.standard_normal(copies.shape)
        chosen = np.vstack([chosen, copies])
    jitter = 1e-3 * spread * rng.standard_normal(chosen.shape)
    out: FloatArray = np.clip(chosen + jitter, 0.0, 1.0)
    return out


def sample(
    target: LogPosterior,
    start: FloatArray,
    *,
    steps: int,
    seed: int | None,
    max_steps: int | None = None,
) -> Chain:
    """Run emcee's affine-invariant ensemble from ``start: (walkers, d)``; keep the second half.

    After ``steps`` the chain is extended, half its length at a time, until its kept half spans
    ``MIN_AUTOCORR_MULTIPLE`` integrated autocorrelation times or it reaches ``max_steps``.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> lp = LogPosterior(em, Matcher(Observations.build([0.5], 0.05)))
        >>> chain = sample(lp, start_points(lp, X, 8, np.random.default_rng(0)), steps=200, seed=0)
        >>> chain.U.shape, round(float(chain.U.mean()), 1)
        ((800, 1), 0.5)
    """
    import emcee

    walkers, dim = start.shape
    sampler = emcee.EnsembleSampler(walkers, dim, target, vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    sampler.run_mcmc(start, steps, progress=False)
    total, limit = steps, max(steps, max_steps or steps)
    while True:
        burn = total // 2
        autocorr = np.asarray(sampler.get_autocorr_time(discard=burn, tol=0, quiet=True))
        tau = float(np.nanmax(autocorr)) if autocorr.size else math.nan
        if total >= limit or not math.isfinite(tau) or total - burn >= MIN_AUTOCORR_MULTIPLE * tau:
            break
        more = min(limit - total, max(total // 2, 1))
        sampler.run_mcmc(None, more, progress=False)
        total += more
    U = sampler.get_chain(discard=burn, flat=True)
    log_prob = sampler.get_log_prob(discard=burn, flat=True)
    return Chain(
        U=np.asarray(U, dtype=float),
        log_prob=np.asarray(log_prob, dtype=float),
        acceptance=float(np.mean(sampler.acceptance_fraction)),
        autocorr=autocorr,
        steps=total,
        walkers=walkers,
    )


def find_map(target: LogPosterior, chain: Chain) -> FloatArray:
    """The posterior mode ``(d,)``: the best draw polished by L-BFGS-B in the unit cube.

    The polish maximizes the likelihood without the NROY bound (a smooth function); if it ends
    ruled out or no better, the best draw is kept.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> lp = LogPosterior(em, Matcher(Observations.build([0.3], 0.05)))
        >>> chain = sample(lp, start_points(lp, X, 8, np.random.default_rng(0)), steps=100, seed=0)
        >>> round(float(find_map(lp, chain)[0]), 2)
        0.3
    """
    best = chain.U[int(np.argmax(chain.log_prob))]
    dim = best.shape[0]
    result = minimize(
        lambda u: -target.untruncated(u),
        best,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * dim,
        options={"maxiter": 200},
    )
    polished: FloatArray = np.clip(np.asarray(result.x, dtype=float), 0.0, 1.0)
    start: FloatArray = np.asarray(best, dtype=float)
    return polished if float(target(polished)[0]) > float(target(start)[0]) else start


@dataclass(frozen=True)
class OutputCheck:
    """The posterior-predictive check of one output.

    Attributes:
        name: the output.
        observed: its observed value.
        predicted: mean of the replicated data ``y_rep`` at the posterior draws.
        low, high: equal-tailed interval of ``y_rep`` at ``level``.
        p_value: two-sided posterior-predictive p-value ``2 min(P(y_rep >= z), P(y_rep <= z))``.
        simulated: mean of the real simulator's output at the check runs (NaN without them).
        level: the interval's level.

    Example:
        >>> OutputCheck("y", 1.0, 1.1, 0.8, 1.4, 0.7, float("nan"), 0.9).inside
        True
    """

    name: str
    observed: float
    predicted: float
    low: float
    high: float
    p_value: float
    simulated: float
    level: float

    @property
    def inside(self) -> bool:
        """Whether the observation lies in the predictive interval."""
        return self.low <= self.observed <= self.high


def predictive_check(
    target: LogPosterior,
    U: FloatArray,
    simulated: FloatArray | None,
    *,
    level: float,
    rng: np.random.Generator,
) -> tuple[OutputCheck, ...]:
    """Check each output: observations against replicated data at up to 1000 draws ``U``.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> lp = LogPosterior(em, Matcher(Observations.build([0.5], 0.05)))
        >>> draws = 0.5 + 0.05 * np.random.default_rng(0).standard_normal((500, 1))
        >>> (check,) = predictive_check(lp, draws, None, level=0.9, rng=np.random.default_rng(0))
        >>> check.name, check.inside, check.p_value > 0.5
        ('y[0]', True, True)
    """
    obs = target.matcher.obs
    take = U[rng.choice(U.shape[0], size=min(1000, U.shape[0]), replace=False)]
    mean, var = target.emulator.predict(take)
    sd = np.sqrt(var + obs.error_variance)
    y_rep = mean + sd * rng.standard_normal(mean.shape)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(y_rep, [tail, 1.0 - tail], axis=0)
    above = np.mean(y_rep >= obs.values, axis=0)
    below = np.mean(y_rep <= obs.values, axis=0)
    p_value = np.minimum(1.0, 2.0 * np.minimum(above, below))
    sim = (
        simulated.mean(axis=0)
        if simulated is not None and simulated.shape[0]
        else np.full(obs.size, np.nan)
    )
    return tuple(
        OutputCheck(name, float(z), float(m), float(lo), float(hi), float(p), float(s), level)
        for name, z, m, lo, hi, p, s in zip(
            obs.names, obs.values, y_rep.mean(axis=0), low, high, p_value, sim, strict=True
        )
    )


def spread_draws(
    U: FloatArray, n: int, existing: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """``n`` distinct posterior draws for check runs, not on top of earlier runs ``existing``.

    Example:
        >>> U = np.array([[0.1], [0.1], [0.2], [0.3]])
        >>> spread_draws(U, 2, np.array([[0.2]]), np.random.default_rng(0)).shape
        (2, 1)
    """
    unique = np.unique(U, axis=0)
    take = unique[rng.permutation(unique.shape[0])[: max(20 * n, 100)]]
    if existing.shape[0] and take.shape[0] > n:
        gaps = np.min(np.sum((take[:, None, :] - existing[None, :, :]) ** 2, axis=2), axis=1)
        take = take[gaps > 1e-12]
    out: FloatArray = take[:n]
    return out
