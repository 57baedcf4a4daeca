"""Acquisition: how a sampler scores candidate points from surrogate posteriors, and maximizes it.

Pure functions of (mean, var, incumbent) in ``analytic.py``; their composition with fitted models
over the unit cube in ``function.py``, and over posterior draws for noisy objectives in
``noisy.py``; the optimizer that finds the best new point in ``optimize.py``; several objectives:
log expected hypervolume improvement in ``hypervolume.py`` and ParEGO scalarization in
``scalarization.py``.
"""

from __future__ import annotations

from paramscope.acquisition.analytic import (
    log_ei,
    log_ei_with_grad,
    log_h,
    log_probability_of_feasibility,
    log_probability_of_feasibility_with_grad,
    ucb,
    ucb_with_grad,
)
from paramscope.acquisition.function import AcquisitionFunction, ConstraintModel
from paramscope.acquisition.hypervolume import (
    HypervolumeAcquisition,
    log_ehvi,
    log_ehvi_with_grad,
)
from paramscope.acquisition.noisy import LatentDraws, LogNoisyEI
from paramscope.acquisition.optimize import (
    Acquisition,
    OptimizeOptions,
    optimize_acquisition,
    random_unseen,
)
from paramscope.acquisition.scalarization import augmented_chebyshev, random_weights

__all__ = [
    "Acquisition",
    "AcquisitionFunction",
    "ConstraintModel",
    "HypervolumeAcquisition",
    "LatentDraws",
    "LogNoisyEI",
    "OptimizeOptions",
    "augmented_chebyshev",
    "log_ehvi",
    "log_ehvi_with_grad",
    "log_ei",
    "log_ei_with_grad",
    "log_h",
    "log_probability_of_feasibility",
    "log_probability_of_feasibility_with_grad",
    "optimize_acquisition",
    "random_unseen",
    "random_weights",
    "ucb",
    "ucb_with_grad",
]
