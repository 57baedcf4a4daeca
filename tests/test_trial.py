"""Trial records are frozen, picklable and JSON-friendly."""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime, timedelta

import pytest

from paramscope.trial import Trial, TrialState


def make() -> Trial:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return Trial(
        number=3,
        params={"x": 1.5, "k": "a"},
        state="complete",  # type: ignore[arg-type]
        values={"loss": 0.25, "acc": 0.9},
        reports={0: 1.0, 1: 0.5},
        started=start,
        finished=start + timedelta(seconds=2.5),
    )


def test_fields_and_derived_values() -> None:
    trial = make()
    assert trial.state is TrialState.COMPLETE
    assert trial.value == 0.25  # the first objective
    assert trial.duration == 2.5
    assert Trial(number=0, params={}, state=TrialState.RUNNING).value is None


@pytest.mark.parametrize("field", ["params", "values", "reports"])
def test_records_are_frozen(field: str) -> None:
    trial = make()
    with pytest.raises(TypeError, match="frozen"):
        getattr(trial, field)["new"] = 1
    with pytest.raises(AttributeError):
        trial.number = 4  # type: ignore[misc]


def test_pickle_and_json() -> None:
    trial = make()
    assert pickle.loads(pickle.dumps(trial)) == trial
    data = json.loads(json.dumps(trial.to_dict()))
    assert data["state"] == "complete" and data["params"] == {"x": 1.5, "k": "a"}
    assert data["reports"] == {"0": 1.0, "1": 0.5} and data["duration"] == 2.5


def test_finished_states() -> None:
    assert {s for s in TrialState if s.is_finished} == {
        TrialState.COMPLETE,
        TrialState.FAILED,
        TrialState.STOPPED,
    }
