"""Outcome: turn whatever an objective returned (or raised) into a trial's final values or reason.

A failing objective is data: every way a run can go wrong becomes a failed ``Outcome`` with a
one-line reason, never an exception out of the loop.
"""

from __future__ import annotations

import math
import numbers
import traceback
from collections.abc import Mapping
from typing import Any

from paramscope.storage.base import Outcome, StudySpec
from paramscope.trial import TrialState


def _number(value: Any) -> float | None:
    """``value`` as a float if it is a real number (bool excluded), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    return float(value)


def failed(reason: str) -> Outcome:
    return Outcome(state=TrialState.FAILED, error=reason)


def from_exception(exc: BaseException) -> Outcome:
    """A failed outcome naming the exception and where it was raised (last frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return failed(f"objective raised {type(exc).__name__}: {exc}{where}")


def from_result(raw: Any, spec: StudySpec, *, stopped: bool = False) -> Outcome:
    """Check an objective's return value against the study and order its values.

    A bare number is the first (only) objective. A dict must hold every objective and constraint
    by name as a finite number; its other numeric keys are kept as metrics, non-numeric extras are
    dropped. Values come out objectives first, then constraints, then metrics.

    Example:
        >>> from paramscope.space import Space, Float
        >>> spec = StudySpec(name="s", space=Space({"x": Float(0, 1)}))
        >>> from_result({"value": 1.5, "time": 2}, spec).values
        {'value': 1.5, 'time': 2.0}
        >>> from_result(float("nan"), spec).error
        'objective value is NaN; expected a finite number'
    """
    names = list(spec.objectives)
    if not isinstance(raw, Mapping):
        if len(names) > 1:
            return failed(f"objective returned {raw!r}; this study needs a dict with keys {names}")
        raw = {names[0]: raw}
    required = names + [c for c in spec.constraints if c not in names]
    values: dict[str, float] = {}
    for key in required:
        if key not in raw:
            return failed(f"objective result has no key {key!r}; got keys {sorted(map(str, raw))}")
        problem = _check_finite(key, raw[key])
        if problem:
            return failed(problem)
        values[key] = float(raw[key])
    for key, value in raw.items():
        number = _number(value)
        if key not in values and number is not None and math.isfinite(number):
            values[str(key)] = number
    return Outcome(state=TrialState.STOPPED if stopped else TrialState.COMPLETE, values=values)


def _check_finite(key: str, value: Any) -> str | None:
    number = _number(value)
    if number is None:
        return f"objective value {key!r} is {value!r} ({type(value).__name__}); expected a number"
    if math.isnan(number):
        label = "objective value" if key == "value" else f"objective value {key!r}"
        return f"{label} is NaN; expected a finite number"
    if math.isinf(number):
        return f"objective value {key!r} is {number}; expected a finite number"
    return None
