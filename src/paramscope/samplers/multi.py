"""Several objectives in the Bayesian sampler: one GP per objective, scored by log EHVI.

``BayesSampler`` hands studies with two or three objectives here (more keep its ParEGO
scalarization, whose cost does not grow with the number of objectives): each objective gets its own
GP on its own standardized targets (role ``"objective:<name>"``, so its hyperparameters are cached
and warm-started like the single objective's), the feasible observed points in those units form
the front, and ``HypervolumeAcquisition`` scores a candidate by the log of its expected hypervolume
improvement over that front, plus the log probability of feasibility. Pending points are believed
(kriging believer): each objective GP is conditioned on its own posterior mean there, and a
believed point that the constraint models expect to be feasible joins the front, so a batch
spreads along it.

Two choices were made on the benchmark problems (``benchmarks/multiobjective.py``):

- The reference point is the front's nadir plus 10% of each objective's range over all feasible
  observed points (``reference_point(..., spread="all")``), recomputed at every suggestion.
  BoTorch's rule, 10% of the front's own range, stalls while the front is one point (ZDT2: the
  search stayed next to it for 90 trials); the worst observed values plus 10% (Optuna's choice)
  let far-off corners weigh too much on DTLZ2 (hypervolume 0.45 instead of 0.57 at 100 trials,
  seed 0, measured while the targets were still power-warped).
- The targets are only standardized, not power-warped as a single objective's are: hypervolume
  is not invariant under a warp, and on DTLZ2 (many values of exactly 0 on its boundary) the warp
  stretched the boundary until the search stayed there (hypervolume 0.11 and 0.45 instead of
  0.61 and 0.65 at 100 trials, seeds 2 and 1).
"""

# ruff: noqa: N803, N806  (matrix names X, Y, U follow the maths and scikit-learn)

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from paramscope.acquisition import ConstraintModel
from paramscope.acquisition.hypervolume import HypervolumeAcquisition
from paramscope.hypervolume import pareto_mask, reference_point
from paramscope.models import GaussianProcess, OutputTransform
from paramscope.space import FloatArray

MAX_EHVI_OBJECTIVES = 3
"""Studies with more objectives than this are scalarized (ParEGO) instead."""

FitFn = Callable[[str, FloatArray, FloatArray], GaussianProcess]
"""``fit(role, X, z)``: the sampler's cached GP fit for one modelled quantity."""


@dataclass(frozen=True)
class HypervolumeModels:
    """Objective GPs, the feasible front and the reference point, all in model units.

    Attributes:
        objectives: one GP per objective, in the study's objective order.
        front: ``(p, k)`` feasible observed (and believed) points in model units.
        reference: ``(k,)`` reference point in model units.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap
        >>> gp = GaussianProcess(FeatureMap.from_space(Space({"x": Float(0, 1)})))
        >>> X = np.array([[0.1], [0.9]])
        >>> models = HypervolumeModels(
        ...     (gp.condition(X, np.array([0.0, 1.0])), gp.condition(X, np.array([1.0, 0.0]))),
        ...     front=np.array([[0.0, 1.0], [1.0, 0.0]]), reference=np.array([1.1, 1.1]))
        >>> models.believe(np.array([[0.5]]), np.array([True])).front.shape
        (3, 2)
    """

    objectives: tuple[GaussianProcess, ...]
    front: FloatArray
    reference: FloatArray

    def believe(self, U: FloatArray, feasible: NDArray[np.bool_]) -> HypervolumeModels:
        """Condition each GP on its mean at ``U: (q, d)``; feasible-looking means join the front."""
        if U.shape[0] == 0:
            return self
        means = [gp.predict(U)[0] for gp in self.objectives]
        gps = tuple(gp.condition(U, mean) for gp, mean in zip(self.objectives, means, strict=True))
        believed = np.stack(means, axis=1)[feasible]
        front = np.vstack([self.front, believed])
        return HypervolumeModels(gps, front[pareto_mask(front)], self.reference)

    def acquisition(self, constraints: Sequence[ConstraintModel]) -> HypervolumeAcquisition:
        """Log EHVI over the current front, times the probability of feasibility."""
        return HypervolumeAcquisition.from_front(
            self.objectives, self.front, self.reference, constraints
        )


def fit_hypervolume_models(
    fit: FitFn,
    names: Sequence[str],
    X: FloatArray,
    Y: FloatArray,
    feasible: NDArray[np.bool_],
    *,
    rng: np.random.Generator,
    n_anchors: int = 5,
) -> tuple[HypervolumeModels, FloatArray]:
    """Fit one GP per objective and return the models with anchors to search around.

    Args:
        fit: the sampler's GP fit, ``fit(role, X, z)``.
        names: objective names, in the columns' order.
        X: ``(n, d)`` unit-cube points of complete trials.
        Y: ``(n, k)`` their minimized objective values.
        feasible: ``(n,)`` which of them satisfy every constraint (at least one must).
        rng: picks the anchors among the Pareto points.
        n_anchors: at most this many anchors.

    Returns:
        The models, and ``(a, d)`` anchors: Pareto-optimal feasible points.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1)}))
        >>> X = np.linspace(0, 1, 6)[:, None]
        >>> Y = np.hstack([X, 1 - X ** 2])
        >>> fit = lambda role, X, z: GaussianProcess(fmap).fit(X, z)
        >>> models, anchors = fit_hypervolume_models(
        ...     fit, ["a", "b"], X, Y, np.ones(6, bool), rng=np.random.default_rng(0))
        >>> len(models.objectives), anchors.shape
        (2, (5, 1))
    """
    columns = []
    gps = []
    for j, name in enumerate(names):
        z = OutputTransform.fit(Y[:, j], power=False).forward(Y[:, j])
        gps.append(fit(f"objective:{name}", X, z))
        columns.append(z)
    Z = np.stack(columns, axis=1)
    observed = Z[feasible]
    mask = pareto_mask(observed)
    front = observed[mask]
    reference = reference_point(observed, spread="all")
    pareto_X = X[feasible][mask]
    picks = rng.permutation(pareto_X.shape[0])[:n_anchors]
    return HypervolumeModels(tuple(gps), front, reference), pareto_X[np.sort(picks)]
