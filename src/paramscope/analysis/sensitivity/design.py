"""Sensitivity designs: SALib's sample plans in probability space, mapped to the space's unit cube.

Designs are drawn in probability space ``[0, 1]^d`` (SALib's uniform problems) and mapped through
each parameter's input distribution (``Float(..., distribution=...)``; uniform when undeclared),
then snapped to the levels of integer, stepped and choice parameters. The unit-cube points feed the
surrogate; their decoded parameter dicts feed the function.
"""

# ruff: noqa: N803, N806  (matrix names P, U follow the maths)

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from scipy.stats import qmc

from paramscope.models.features import FeatureMap
from paramscope.space import Float, FloatArray, Space


def salib_problem(space: Space) -> dict[str, Any]:
    """SALib's problem dict over probability space (every input uniform on ``[0, 1]``)."""
    return {"num_vars": space.dim, "names": list(space.names), "bounds": [[0.0, 1.0]] * space.dim}


def to_unit(space: Space, P: FloatArray) -> FloatArray:
    """Unit-cube points ``(m, d)`` of the probability-space design ``P: (m, d)``.

    Example:
        >>> space = Space({"x": Float(0.0, 10.0, distribution=("normal", 5.0, 1.0))})
        >>> to_unit(space, np.array([[0.5]])).round(6).tolist()
        [[0.5]]
    """
    U = np.array(P, dtype=float, copy=True)
    for j, name in enumerate(space.names):
        param = space[name]
        if isinstance(param, Float):
            U[:, j] = param.from_probability(U[:, j])
    return FeatureMap.from_space(space).snap(np.clip(U, 0.0, 1.0))


def saltelli(space: Space, n: int, *, second_order: bool, seed: int | None) -> FloatArray:
    """Saltelli's design for ``n`` base samples in probability space: ``n (d + 2)`` rows
    (``n (2 d + 2)`` with second order), in SALib's row order.

    Example:
        >>> saltelli(Space({"x": Float(0, 1), "y": Float(0, 1)}), 8, second_order=False,
        ...          seed=0).shape
        (32, 2)
    """
    from SALib.sample import sobol  # imported here: SALib is slow to import

    P: FloatArray = sobol.sample(
        salib_problem(space), n, calc_second_order=second_order, scramble=True, seed=seed
    )
    return P


def morris(space: Space, trajectories: int, *, levels: int, seed: int | None) -> FloatArray:
    """Morris's one-at-a-time trajectories in probability space: ``trajectories (d + 1)`` rows."""
    from SALib.sample import morris as morris_sample

    P: FloatArray = morris_sample.sample(
        salib_problem(space), trajectories, num_levels=levels, seed=seed
    )
    return P


def space_filling(space: Space, n: int, *, seed: int | None, skip: int = 0) -> FloatArray:
    """``n`` scrambled Sobol points in probability space, after the first ``skip``."""
    sobol = qmc.Sobol(d=space.dim, scramble=True, seed=np.random.default_rng(seed))
    if skip:
        sobol.fast_forward(skip)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # any n is fine here: a start, not an estimator's design
        P: FloatArray = sobol.random(n)
    return P
