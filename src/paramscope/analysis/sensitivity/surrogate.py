"""Sobol indices on a GP surrogate: fit on the runs, evaluate posterior paths on a Saltelli design.

The GP models the output on its own scale (standardized, no power transform: indices are ratios of
variances of the output itself, invariant only to affine maps). Each posterior path is a whole
function; Saltelli's estimators on each path give one draw of the indices, so the spread over
paths is the surrogate's uncertainty about them. The design is large (thousands of base samples):
paths are cheap to evaluate, so the design's own error stays small next to the surrogate's.
"""

# ruff: noqa: N803, N806  (matrix names X, U, Y follow the maths)

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paramscope.analysis.sensitivity.design import saltelli, space_filling, to_unit
from paramscope.analysis.sensitivity.results import SobolResult
from paramscope.analysis.sensitivity.summarize import Summary, summarize
from paramscope.models import FeatureMap, GaussianProcess, GPOptions, OutputTransform
from paramscope.models.fit import GPHyper
from paramscope.space import FloatArray, Space

_MAX_CELLS = 2e7  # design rows x paths held at once


@dataclass(frozen=True)
class Effort:
    """How hard the surrogate estimate works: Saltelli base samples and posterior paths."""

    n_base: int = 4096
    n_paths: int = 256


@dataclass(frozen=True)
class Surrogate:
    """A GP fitted to the runs, with the affine map from its scale back to the output's."""

    gp: GaussianProcess
    transform: OutputTransform

    @property
    def hyper(self) -> GPHyper:
        assert self.gp.hyper is not None
        return self.gp.hyper


def fit_surrogate(
    space: Space,
    X: FloatArray,
    y: FloatArray,
    *,
    seed: int | None,
    warm: GPHyper | None = None,
    deterministic: bool = False,
) -> Surrogate:
    """A Matérn-5/2 GP on unit-cube runs ``X: (n, d)`` with outputs ``y: (n,)``."""
    transform = OutputTransform.fit(y, power=False)
    gp = GaussianProcess(
        FeatureMap.from_space(space),
        hyper=warm,
        options=GPOptions(deterministic=deterministic),
        full_fit=True,
        seed=seed,
    ).fit(X, transform.forward(y))
    return Surrogate(gp, transform)


def _base_samples(d: int, effort: Effort, second_order: bool) -> int:
    step = 2 * d + 2 if second_order else d + 2
    n = effort.n_base
    while n > 64 and n * step * effort.n_paths > _MAX_CELLS:
        n //= 2
    return n


def surrogate_indices(
    space: Space,
    model: Surrogate,
    how: Summary,
    *,
    effort: Effort,
    rng: np.random.Generator,
) -> SobolResult:
    """Sobol indices with intervals from ``effort.n_paths`` posterior paths of ``model``."""
    n = _base_samples(space.dim, effort, how.second_order)
    seed = int(rng.integers(2**31))
    U = to_unit(space, saltelli(space, n, second_order=how.second_order, seed=seed))
    paths = model.gp.sample_paths(effort.n_paths, rng=rng)
    Y = model.transform.inverse(paths(U))
    mean = model.transform.inverse(model.gp.predict(U)[0])[:, None]
    return summarize(Y, how, rng=rng, point=mean)


def most_informative(
    space: Space,
    model: Surrogate,
    count: int,
    *,
    seed: int,
    candidates: int = 1024,
    reference: int = 512,
) -> FloatArray:
    """``count`` unit-cube points that most reduce the surrogate's variance averaged over the
    inputs' distribution (integrated variance reduction), chosen greedily.

    The indices integrate the function over the input distribution, so a run is worth what it
    teaches about the function where the inputs are likely, not its own variance alone (which
    favours corners). Covariances come from posterior paths; each pick conditions them exactly
    (``cov' = cov - cov_c cov_c' / (var_c + noise)``) before the next, so a batch spreads out.
    """
    rng = np.random.default_rng(seed)
    C = to_unit(space, space_filling(space, candidates, seed=seed))
    R = to_unit(space, rng.random((reference, space.dim)))
    paths = model.gp.sample_paths(128, rng=rng)
    fc, fr = paths(C), paths(R)
    fc -= fc.mean(axis=1, keepdims=True)
    fr -= fr.mean(axis=1, keepdims=True)
    S = fc.shape[1]
    CC, CR = fc @ fc.T / S, fc @ fr.T / S
    noise = model.hyper.noise
    picks: list[int] = []
    for _ in range(count):
        score = (CR**2).sum(axis=1) / (np.diag(CC) + noise)
        score[picks] = -np.inf
        best = int(np.argmax(score))
        picks.append(best)
        column = CC[:, best] / (CC[best, best] + noise)
        CR = CR - np.outer(column, CR[best])
        CC = CC - np.outer(column, CC[best])
    return C[picks]
