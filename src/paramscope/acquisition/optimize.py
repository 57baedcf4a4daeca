"""Acquisition optimizer: the unit-cube point, new to the study, that maximizes an acquisition.

1. Candidates: a scrambled Sobol set over the cube plus Gaussian perturbations of the best observed
   points (``anchors``), with grid and choice coordinates snapped to their levels.
2. The best few distinct candidates of each set (separate quotas, so refining near the best never
   crowds out the global search) start one joint L-BFGS-B run (the sum of their scores is
   separable, so each start follows its own gradient) over the ordered dims: continuous floats and
   the relaxed coordinates of integer / stepped parameters.
3. Grids are snapped to their levels, then a local search walks grid levels (+-1) and choice
   options while it improves; continuous dims are then polished once more with the others fixed.
4. Results and candidates are ranked by score and the first whose decoded parameters are not
   ``seen`` (evaluated or pending) wins; if all are seen, a random unseen point.
"""

# ruff: noqa: N803, N806  (matrix names U, X follow the maths and scikit-learn)

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.stats import qmc

from paramscope.models.features import FeatureMap, ParamKey
from paramscope.space import FloatArray


class Acquisition(Protocol):
    """A score to maximize over unit-cube points ``U: (m, d)``, with its gradient."""

    def __call__(self, U: FloatArray) -> FloatArray:
        """Scores ``(m,)``."""
        ...

    def value_and_grad(self, U: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Scores ``(m,)`` and gradients ``(m, d)``."""
        ...


@dataclass(frozen=True)
class OptimizeOptions:
    """Effort of the acquisition optimizer.

    Attributes:
        raw_samples: quasi-random candidates scored before any optimization.
        around_best: extra candidates perturbed around the anchors (best observed points).
        n_restarts: candidates refined by L-BFGS-B and local search.
        local_restarts: how many of those come from around the anchors (the rest from the
            quasi-random set).
        maxiter: L-BFGS-B iterations of the joint multi-start run.
        local_rounds: improving moves of the discrete local search, per start.

    Example:
        >>> OptimizeOptions(n_restarts=4).raw_samples
        1024
    """

    raw_samples: int = 1024
    around_best: int = 256
    n_restarts: int = 8
    local_restarts: int = 2
    maxiter: int = 200
    local_rounds: int = 10


def _candidates(
    fmap: FeatureMap, rng: np.random.Generator, anchors: FloatArray, options: OptimizeOptions
) -> tuple[FloatArray, FloatArray]:
    """(global quasi-random candidates, local candidates around the anchors), both snapped."""
    m = max(1, math.ceil(math.log2(max(options.raw_samples, 2))))
    sobol = qmc.Sobol(d=fmap.dim, scramble=True, seed=rng).random_base2(m)
    local = np.zeros((0, fmap.dim))
    if anchors.shape[0] and options.around_best:
        idx = rng.integers(anchors.shape[0], size=options.around_best)
        scale = rng.choice(np.array([0.005, 0.02, 0.08]), size=(options.around_best, 1))
        noise = rng.normal(size=(options.around_best, fmap.dim)) * scale
        local = np.clip(anchors[idx] + noise, 0.0, 1.0)
    return fmap.snap(sobol[: options.raw_samples]), fmap.snap(local)


def _top_distinct(U: FloatArray, values: FloatArray, k: int) -> FloatArray:
    chosen: list[FloatArray] = []
    for i in np.argsort(-values, kind="stable"):
        if all(np.max(np.abs(U[i] - c)) > 1e-9 for c in chosen):
            chosen.append(U[i])
        if len(chosen) == k:
            break
    return np.array(chosen).reshape(len(chosen), U.shape[1])


def _lbfgs(acq: Acquisition, U0: FloatArray, dims: NDArray[np.int64], maxiter: int) -> FloatArray:
    """Jointly maximize the scores of starts ``U0: (k, d)`` over ``dims``; keep any that lost."""
    k, n_dims = U0.shape[0], dims.shape[0]

    def negative(z: FloatArray) -> tuple[float, FloatArray]:
        U = U0.copy()
        U[:, dims] = z.reshape(k, n_dims)
        value, grad = acq.value_and_grad(U)
        return -float(np.sum(value)), -grad[:, dims].ravel()

    res = minimize(
        negative,
        U0[:, dims].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (k * n_dims),
        options={"maxiter": maxiter},
    )
    U = U0.copy()
    U[:, dims] = np.clip(np.asarray(res.x).reshape(k, n_dims), 0.0, 1.0)
    better = acq(U) >= acq(U0)
    out: FloatArray = np.where(better[:, None], U, U0)
    return out


def _local_search(acq: Acquisition, fmap: FeatureMap, u: FloatArray, rounds: int) -> FloatArray:
    """Greedy walk over grid levels and choice options from ``u: (d,)`` while the score improves."""
    best = float(acq(u[None, :])[0])
    for _ in range(rounds):
        neighbors = fmap.neighbors(u)
        if neighbors.shape[0] == 0:
            break
        values = acq(neighbors)
        i = int(np.argmax(values))
        if not values[i] > best:
            break
        u, best = neighbors[i], float(values[i])
    return u


def _refine(
    acq: Acquisition, fmap: FeatureMap, starts: FloatArray, options: OptimizeOptions
) -> FloatArray:
    U = starts
    if fmap.ordered_dims.shape[0]:
        U = _lbfgs(acq, U, fmap.ordered_dims, options.maxiter)
    U = fmap.snap(U)
    if fmap.discrete_dims.shape[0]:
        U = np.array([_local_search(acq, fmap, u, options.local_rounds) for u in U])
        if fmap.float_dims.shape[0]:
            U = _lbfgs(acq, U, fmap.float_dims, options.maxiter)
    return U


def random_unseen(
    fmap: FeatureMap, rng: np.random.Generator, seen: Collection[ParamKey], tries: int = 256
) -> FloatArray:
    """A uniform random (snapped) point whose parameters are not in ``seen``; ``(d,)``.

    Returns the last draw when ``tries`` draws were all seen (an exhausted finite space).

    Example:
        >>> from paramscope.space import Space, Int
        >>> fmap = FeatureMap.from_space(Space({"k": Int(0, 1)}))
        >>> fmap.space.decode(random_unseen(fmap, np.random.default_rng(0), {(0,)}))
        {'k': 1}
    """
    u: FloatArray = fmap.snap(rng.random((1, fmap.dim)))[0]
    for _ in range(tries - 1):
        if fmap.key(u) not in seen:
            break
        u = fmap.snap(rng.random((1, fmap.dim)))[0]
    return u


def optimize_acquisition(
    acq: Acquisition,
    fmap: FeatureMap,
    *,
    rng: np.random.Generator,
    seen: Collection[ParamKey] = (),
    anchors: FloatArray | None = None,
    options: OptimizeOptions | None = None,
) -> FloatArray:
    """The best unseen point ``(d,)`` of the unit cube for ``acq`` (see the module doc).

    Args:
        acq: score to maximize, with gradients wrt the ordered dims.
        fmap: the space's feature map (grids, choices, keys).
        rng: source of the candidates and of the last-resort random point.
        seen: keys (``fmap.key``) of evaluated and pending points, never returned.
        anchors: ``(a, d)`` good points to search around (e.g. the best observed).
        options: effort.

    Example:
        >>> from paramscope.space import Space, Float
        >>> class Peak:
        ...     def __call__(self, U): return -((U - 0.3) ** 2).sum(1)
        ...     def value_and_grad(self, U): return self(U), -2 * (U - 0.3)
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "y": Float(0, 1)}))
        >>> u = optimize_acquisition(Peak(), fmap, rng=np.random.default_rng(0))
        >>> np.round(u, 4).tolist()
        [0.3, 0.3]
    """
    options = options or OptimizeOptions()
    anchors = np.zeros((0, fmap.dim)) if anchors is None else np.atleast_2d(anchors)
    spread, local = _candidates(fmap, rng, anchors, options)
    spread_values, local_values = acq(spread), acq(local)
    # Separate quotas: refining near the best must not crowd out the global search.
    n_local = min(options.local_restarts, local.shape[0])
    starts = np.vstack(
        [
            _top_distinct(spread, spread_values, options.n_restarts - n_local),
            _top_distinct(local, local_values, n_local),
        ]
    )
    refined = _refine(acq, fmap, starts, options)
    raw, raw_values = np.vstack([spread, local]), np.concatenate([spread_values, local_values])
    pool = np.vstack([refined, raw])
    values = np.concatenate([acq(refined), raw_values])
    values = np.where(np.isfinite(values), values, -np.inf)
    for i in np.argsort(-values, kind="stable"):
        if fmap.key(pool[i]) not in seen:
            out: FloatArray = np.asarray(pool[i], dtype=float)
            return out
    return random_unseen(fmap, rng, seen)
