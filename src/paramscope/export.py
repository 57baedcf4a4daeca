"""Export: trials as a pandas DataFrame (one row per trial, flat columns) for analysis by hand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from paramscope.storage.base import StudySpec
from paramscope.trial import Trial


def value_names(trials: Iterable[Trial], spec: StudySpec) -> list[str]:
    """Objectives, then constraints, then any extra metric the trials returned, in that order.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0, 1)}))
        >>> t = Trial(number=0, params={"x": 0.5}, state="complete", values={"value": 1, "t": 2})
        >>> value_names([t], spec)
        ['value', 't']
    """
    names = dict.fromkeys([*spec.objectives, *spec.constraints])
    for trial in trials:
        names.update(dict.fromkeys(trial.values))
    return list(names)


def trial_row(trial: Trial) -> dict[str, Any]:
    """A flat dict: number, state, value, ``params.<name>``, ``values.<name>``, times, error."""
    row: dict[str, Any] = {"number": trial.number, "state": str(trial.state), "value": trial.value}
    row.update({f"params.{k}": v for k, v in trial.params.items()})
    row.update({f"values.{k}": v for k, v in trial.values.items()})
    row.update(
        started=trial.started,
        finished=trial.finished,
        duration=trial.duration,
        worker=trial.worker,
        error=trial.error,
    )
    return row


def trials_frame(trials: Sequence[Trial], spec: StudySpec) -> pd.DataFrame:
    """The study's trials as a DataFrame; columns exist even when there are no trials yet.

    Example:
        >>> from paramscope.space import Space, Float
        >>> spec = StudySpec(name="s", space=Space({"x": Float(0, 1)}))
        >>> list(trials_frame([], spec).columns)[:4]
        ['number', 'state', 'value', 'params.x']
    """
    columns = ["number", "state", "value"] + [f"params.{n}" for n in spec.space.names]
    columns += [f"values.{n}" for n in value_names(trials, spec)]
    columns += ["started", "finished", "duration", "worker", "error"]
    return pd.DataFrame([trial_row(t) for t in trials], columns=columns)
