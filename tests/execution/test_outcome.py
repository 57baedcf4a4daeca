"""Outcome: every bad objective result becomes a failed trial with a reason."""

from __future__ import annotations

import math

import pytest

from paramscope.execution.outcome import from_exception, from_result
from paramscope.space import Float, Space
from paramscope.storage.base import StudySpec
from paramscope.trial import TrialState

SPACE = Space({"x": Float(0, 1)})
SINGLE = StudySpec(name="s", space=SPACE)
MULTI = StudySpec(
    name="m",
    space=SPACE,
    objectives={"loss": "min", "acc": "max"},
    constraints={"mem": ("<=", 1.0)},
)


def test_values_come_objectives_first_then_constraints_then_metrics() -> None:
    outcome = from_result({"time": 3, "mem": 0.5, "acc": 0.9, "loss": 0.1, "note": "x"}, MULTI)
    assert outcome.state == TrialState.COMPLETE
    assert list(outcome.values) == ["loss", "acc", "mem", "time"]


@pytest.mark.parametrize(
    ("raw", "spec", "reason"),
    [
        (math.nan, SINGLE, "NaN"),
        (math.inf, SINGLE, "inf"),
        ("0.5", SINGLE, "expected a number"),
        (True, SINGLE, "expected a number"),
        (None, SINGLE, "expected a number"),
        ({"loss": 0.1, "acc": 0.9}, MULTI, "no key 'mem'"),
        ({"acc": 0.9, "mem": 0.1}, MULTI, "no key 'loss'"),
        (0.5, MULTI, "needs a dict"),
        ({"value": [1, 2]}, SINGLE, "expected a number"),
    ],
)
def test_bad_results_fail_with_a_reason(raw: object, spec: StudySpec, reason: str) -> None:
    outcome = from_result(raw, spec)
    assert outcome.state == TrialState.FAILED
    assert reason in (outcome.error or "")


def test_exception_reason_names_type_message_and_place() -> None:
    try:
        raise ZeroDivisionError("boom")
    except ZeroDivisionError as exc:
        outcome = from_exception(exc)
    assert outcome.error is not None
    assert outcome.error.startswith("objective raised ZeroDivisionError: boom (at ")
    assert "test_outcome.py" in outcome.error


def test_stopped_keeps_values() -> None:
    outcome = from_result(0.3, SINGLE, stopped=True)
    assert outcome.state == TrialState.STOPPED and outcome.values == {"value": 0.3}
