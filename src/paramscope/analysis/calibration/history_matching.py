"""History matching: waves of runs that rule out the parts of the space that cannot fit the data.

Each wave runs the simulator, fits an emulator on the runs not yet ruled out and computes the
implausibility of a point for each output,
``I = |z - E[f(x)]| / sqrt(Var_emulator(x) + Var_discrepancy + Var_observation)``; a point whose
second-largest ``I`` over the outputs (the largest with one or two outputs) exceeds the cutoff 3 is
ruled out. The next wave's runs fill the space not yet ruled out (the NROY space) as evenly as
possible: quasi-random reference points that every wave's emulator keeps, grown by local
perturbation when few are left, then chosen greedily far from each other and from earlier runs.
The fraction of the reference points ruled out measures each wave's progress.
"""

# ruff: noqa: N803, N806  (matrix names X, Y, U follow the maths)

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paramscope.analysis.calibration.emulator import Emulator
from paramscope.analysis.calibration.observations import Observations
from paramscope.space import FloatArray

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class Wave:
    """One wave of history matching.

    Attributes:
        index: 1 for the first wave.
        runs: simulator runs of this wave; ``failed`` of them failed.
        trained_on: runs the wave's emulator was fit on.
        fraction_ruled_out: share of the whole space ruled out after this wave (cumulative).
        nroy_points: reference points still not ruled out.
        empty: every point was ruled out: the wave's emulator is not used to rule out.

    Example:
        >>> Wave(1, 40, 0, 40, 0.75, 4096).fraction_ruled_out
        0.75
    """

    index: int
    runs: int
    failed: int
    trained_on: int
    fraction_ruled_out: float
    nroy_points: int
    empty: bool = False


@dataclass(frozen=True)
class Matcher:
    """The implausibility rule: observations, cutoff and which largest output decides."""

    obs: Observations
    cutoff: float = 3.0
    rank: int = 1

    def implausibility(self, emulator: Emulator, U: FloatArray) -> FloatArray:
        """The rank-th largest implausibility over the outputs at ``U: (n, d)``: ``(n,)``.

        Example:
            >>> from paramscope.models import FeatureMap
            >>> from paramscope.space import Space, Float
            >>> fmap = FeatureMap.from_space(Space({"a": Float(0, 1)}))
            >>> X = np.linspace(0, 1, 9)[:, None]
            >>> em = Emulator.fit(X, X, fmap)
            >>> m = Matcher(Observations.build([0.5], 0.01))
            >>> near, far = m.implausibility(em, np.array([[0.5], [0.6]]))
            >>> bool(near < 0.1), bool(far > 3.0)  # 0.6 is 0.1 away: ruled out by noise 0.01
            (True, True)
        """
        return self.score(*emulator.predict(U))

    def score(self, mean: FloatArray, var: FloatArray) -> FloatArray:
        """The rank-th largest implausibility given the outputs' ``mean, var: (n, m)``."""
        scores = np.abs(self.obs.values - mean) / np.sqrt(var + self.obs.error_variance)
        if self.rank == 1:
            out: FloatArray = scores.max(axis=1)
            return out
        ranked: FloatArray = -np.partition(-scores, self.rank - 1, axis=1)[:, self.rank - 1]
        return ranked

    def worst(self, emulators: Sequence[Emulator], U: FloatArray) -> FloatArray:
        """The largest implausibility over ``emulators`` at ``U: (n, d)`` (0 with none)."""
        worst = np.zeros(np.atleast_2d(U).shape[0])
        for emulator in emulators:
            worst = np.maximum(worst, self.implausibility(emulator, U))
        return worst

    def keep(self, emulators: Sequence[Emulator], U: FloatArray) -> BoolArray:
        """Which points of ``U: (n, d)`` no emulator rules out (inside the unit cube)."""
        U = np.atleast_2d(U)
        mask: BoolArray = np.all((U >= 0.0) & (U <= 1.0), axis=1)
        for emulator in emulators:
            if not mask.any():
                break
            idx = np.flatnonzero(mask)
            mask[idx] = self.implausibility(emulator, U[idx]) <= self.cutoff
        return mask


def training_rows(
    matcher: Matcher, emulators: Sequence[Emulator], X: FloatArray, least: int
) -> IntArray:
    """Row indices of the runs ``X`` that an emulator should be fit on: those not ruled out, or
    (when fewer than ``least``) the ``least`` least implausible.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> m = Matcher(Observations.build([0.5], 0.01))
        >>> training_rows(m, [em], X, least=1).tolist()  # only x = 0.5 (row 4) fits
        [4]
    """
    if not emulators:
        return np.arange(X.shape[0])
    keep = np.flatnonzero(matcher.keep(emulators, X))
    if keep.size >= least:
        return keep
    order: IntArray = np.sort(np.argsort(matcher.worst(emulators, X), kind="stable")[:least])
    return order


def maximin(candidates: FloatArray, n: int, existing: FloatArray) -> FloatArray:
    """Greedily pick ``n`` of ``candidates: (N, d)``, each farthest from those already chosen
    and from ``existing: (k, d)``.

    Example:
        >>> maximin(np.array([[0.0], [0.1], [1.0]]), 1, np.array([[0.05]])).tolist()
        [[1.0]]
    """
    n = min(n, candidates.shape[0])
    dist = np.full(candidates.shape[0], np.inf)
    for point in existing:
        dist = np.minimum(dist, np.sum((candidates - point) ** 2, axis=1))
    chosen = []
    for _ in range(n):
        best = int(np.argmax(dist))
        chosen.append(best)
        dist = np.minimum(dist, np.sum((candidates - candidates[best]) ** 2, axis=1))
        dist[best] = -1.0
    out: FloatArray = candidates[chosen]
    return out


def grow(
    matcher: Matcher,
    emulators: Sequence[Emulator],
    seeds: FloatArray,
    target: int,
    rng: np.random.Generator,
) -> FloatArray:
    """More NROY points around ``seeds: (k, d)`` (perturbed, kept if no emulator rules them
    out), until ``target`` points or ten rounds.

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> m = Matcher(Observations.build([0.5], 0.01))
        >>> more = grow(m, [em], np.array([[0.5]]), 50, np.random.default_rng(0))
        >>> more.shape[0] >= 50, bool(np.all(np.abs(more - 0.5) < 0.05))
        (True, True)
    """
    points = seeds
    for _ in range(10):
        if points.shape[0] >= target:
            break
        spread = points.std(axis=0) if points.shape[0] > 1 else np.full(points.shape[1], 0.05)
        spread = np.maximum(spread, 1e-3)
        picks = points[rng.integers(points.shape[0], size=max(target, 256))]
        proposals = np.clip(picks + 0.5 * spread * rng.standard_normal(picks.shape), 0.0, 1.0)
        points = np.vstack([points, proposals[matcher.keep(emulators, proposals)]])
    return points


def design(
    matcher: Matcher,
    emulators: Sequence[Emulator],
    reference: FloatArray,
    X: FloatArray,
    n: int,
    rng: np.random.Generator,
) -> FloatArray:
    """``n`` new runs spread over the space no emulator rules out (``(n, d)``).

    Seeds are the reference points and earlier runs ``X`` that are kept; when none is kept, the
    least implausible reference points stand in (the caller has warned).

    Example:
        >>> from paramscope.analysis.calibration.observations import Observations
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.space import Space, Float
        >>> X = np.linspace(0, 1, 9)[:, None]
        >>> em = Emulator.fit(X, X, FeatureMap.from_space(Space({"a": Float(0, 1)})))
        >>> m = Matcher(Observations.build([0.5], 0.02))
        >>> reference = np.linspace(0, 1, 201)[:, None]
        >>> new = design(m, [em], reference, X, 3, np.random.default_rng(0))
        >>> new.shape, bool(np.all(np.abs(new - 0.5) < 0.1))
        ((3, 1), True)
    """
    seeds = np.vstack([reference, X])
    kept = seeds[matcher.keep(emulators, seeds)]
    if kept.shape[0] == 0:
        order = np.argsort(matcher.worst(emulators, reference), kind="stable")
        kept = reference[order[: max(4 * n, 32)]]
        return maximin(kept, n, X)
    target = max(20 * n, 512)
    if kept.shape[0] < target:
        kept = grow(matcher, emulators, kept, target, rng)
    inside = X[matcher.keep(emulators, X)] if X.shape[0] else X
    return maximin(kept, n, inside)
