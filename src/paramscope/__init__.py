"""paramscope: optimize, understand and calibrate expensive functions on one database of runs.

The facade: everything a user needs is importable from here; nothing else is public at top level.
"""

from __future__ import annotations

from paramscope.analysis.calibration import calibrate
from paramscope.analysis.sensitivity import sensitivity
from paramscope.api import OptimizeResult, maximize, minimize
from paramscope.space import Choice, Float, Int, Space
from paramscope.study import Study
from paramscope.trial import Trial, TrialState

__version__ = "0.1.0"

__all__ = [
    "Choice",
    "Float",
    "Int",
    "OptimizeResult",
    "Space",
    "Study",
    "Trial",
    "TrialState",
    "__version__",
    "calibrate",
    "maximize",
    "minimize",
    "sensitivity",
]
