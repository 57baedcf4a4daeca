"""Calibration: fit a simulator's parameters to observations by history matching and MCMC.

``calibrate(simulate, space, observed=..., noise=..., budget=..., seed=...)`` runs waves of the
simulator that rule out implausible parameter space, fits Gaussian-process emulators, samples the
posterior on the final emulator with emcee, checks it against real runs at posterior draws and
returns a frozen ``CalibrationResult``.
"""

from __future__ import annotations

from paramscope.analysis.calibration.emulator import Emulator, EmulatorOptions
from paramscope.analysis.calibration.history_matching import Wave
from paramscope.analysis.calibration.identifiability import Identifiability
from paramscope.analysis.calibration.options import CalibrationOptions
from paramscope.analysis.calibration.posterior import OutputCheck
from paramscope.analysis.calibration.result import CalibrationResult, Diagnostics, EmulatorCheck
from paramscope.analysis.calibration.runs import CalibrationError
from paramscope.analysis.calibration.workflow import calibrate

__all__ = [
    "CalibrationError",
    "CalibrationOptions",
    "CalibrationResult",
    "Diagnostics",
    "Emulator",
    "EmulatorCheck",
    "EmulatorOptions",
    "Identifiability",
    "OutputCheck",
    "Wave",
    "calibrate",
]
