"""CLI render: trials and studies as rich tables, CSV or JSON; pure functions, no storage access.

Tables are for people; CSV and JSON are for programs and keep full precision. The JSON form of a
trial is ``Trial.to_dict()`` (the contract's keys), the CSV form has one column per parameter
(``params.<name>``) and per value (``values.<name>``).
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

from paramscope.export import value_names
from paramscope.storage.base import StudySpec, StudySummary
from paramscope.trial import Trial, TrialState

_STATE_STYLE = {
    TrialState.COMPLETE: "green",
    TrialState.FAILED: "red",
    TrialState.STOPPED: "yellow",
    TrialState.RUNNING: "cyan",
    TrialState.QUEUED: "dim",
}
_ERROR_WIDTH = 60


def fmt(value: Any) -> str:
    """A value for a table cell: floats to 6 significant digits, None as an empty cell.

    Example:
        >>> fmt(0.123456789), fmt(None), fmt("rbf"), fmt(3)
        ('0.123457', '', 'rbf', '3')
    """
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def ago(stamp: datetime | None, *, now: datetime | None = None) -> str:
    """How long ago ``stamp`` was, e.g. ``"42s ago"``, ``"3m ago"``, ``"2h ago"``, ``"5d ago"``.

    Example:
        >>> from datetime import timedelta
        >>> now = datetime(2024, 1, 1, tzinfo=UTC)
        >>> ago(now - timedelta(seconds=150), now=now)
        '2m ago'
    """
    if stamp is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = max((now - stamp).total_seconds(), 0.0)
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


def counts_line(counts: Mapping[TrialState, int]) -> str:
    """The trial counts by state in one line, final states first.

    Example:
        >>> counts_line({TrialState.COMPLETE: 5, TrialState.FAILED: 1})
        'complete 5 · failed 1 · stopped 0 · running 0 · queued 0'
    """
    order = [TrialState.COMPLETE, TrialState.FAILED, TrialState.STOPPED]
    order += [TrialState.RUNNING, TrialState.QUEUED]
    return " · ".join(f"{state} {counts.get(state, 0)}" for state in order)


def _short(text: str | None) -> str:
    if not text:
        return ""
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= _ERROR_WIDTH else line[: _ERROR_WIDTH - 1] + "…"


def state_text(state: TrialState) -> Text:
    """A trial state, coloured.

    Example:
        >>> state_text(TrialState.FAILED).plain
        'failed'
    """
    return Text(str(state), style=_STATE_STYLE.get(state, ""))


def trials_table(trials: Sequence[Trial], spec: StudySpec, *, title: str | None = None) -> Table:
    """One row per trial: number, state, values, parameters, duration, the error's first line.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0, 1)}))
        >>> trials_table([], spec).columns[0].header
        '#'
    """
    values = value_names(trials, spec)
    table = Table(title=title, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("state")
    for name in values:
        table.add_column(name, justify="right", style="bold" if name in spec.objectives else "")
    for name in spec.space.names:
        table.add_column(name, justify="right")
    table.add_column("duration", justify="right")
    table.add_column("error", overflow="fold")
    for trial in trials:
        table.add_row(
            str(trial.number),
            state_text(trial.state),
            *(fmt(trial.values.get(name)) for name in values),
            *(fmt(trial.params.get(name)) for name in spec.space.names),
            fmt(None if trial.duration is None else round(trial.duration, 2)),
            _short(trial.error),
        )
    return table


def trial_card(trial: Trial, spec: StudySpec, *, title: str) -> Table:
    """One trial as a two-column table: its values first (objectives bold), then its params.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0, 1)}))
        >>> t = Trial(number=3, params={"x": 0.5}, state="complete", values={"value": 1.0})
        >>> trial_card(t, spec, title="best").row_count
        3
    """
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("value", justify="right")
    table.add_row("trial", f"#{trial.number}")
    for name in value_names([trial], spec):
        if name in trial.values:
            style = "bold green" if name in spec.objectives else ""
            table.add_row(name, Text(fmt(trial.values[name]), style=style))
    for name, value in trial.params.items():
        table.add_row(Text(name, style="cyan"), fmt(value))
    return table


def studies_table(summaries: Sequence[StudySummary]) -> Table:
    """One row per study: name, goal, counts by state, best first-objective value, last activity.

    Example:
        >>> studies_table([]).row_count
        0
    """
    table = Table(header_style="bold")
    table.add_column("study", style="bold")
    table.add_column("goal")
    for state in (TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING):
        table.add_column(str(state), justify="right", style=_STATE_STYLE[state])
    table.add_column("queued", justify="right")
    table.add_column("best", justify="right")
    table.add_column("active", justify="right")
    for summary in summaries:
        counts = summary.counts
        table.add_row(
            summary.name,
            summary.direction,
            str(counts.get(TrialState.COMPLETE, 0)),
            str(counts.get(TrialState.FAILED, 0)),
            str(counts.get(TrialState.RUNNING, 0)),
            str(counts.get(TrialState.QUEUED, 0)),
            fmt(summary.best_value),
            ago(summary.last_activity),
        )
    return table


def running_table(trials: Sequence[Trial]) -> Table:
    """The running trials: number, worker, parameters, when started, last heartbeat.

    Example:
        >>> running_table([]).row_count
        0
    """
    table = Table(title="running", title_justify="left", header_style="bold")
    for name in ("#", "worker", "params", "started", "heartbeat"):
        table.add_column(name)
    for trial in trials:
        params = ", ".join(f"{k}={fmt(v)}" for k, v in trial.params.items())
        table.add_row(
            str(trial.number), trial.worker or "", params, ago(trial.started), ago(trial.heartbeat)
        )
    return table


def _csv_cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "" if value is None else repr(value)
    return value


def trials_csv(trials: Sequence[Trial], spec: StudySpec) -> str:
    """CSV text: number, state, value, ``params.<name>``…, ``values.<name>``…, error, duration.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0, 1)}))
        >>> t = Trial(number=0, params={"x": 0.5}, state="complete", values={"value": 1.5})
        >>> print(trials_csv([t], spec).strip())
        number,state,value,params.x,values.value,error,duration
        0,complete,1.5,0.5,1.5,,
    """
    values = value_names(trials, spec)
    header = ["number", "state", "value"]
    header += [f"params.{name}" for name in spec.space.names]
    header += [f"values.{name}" for name in values]
    header += ["error", "duration"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for trial in trials:
        row = [trial.number, str(trial.state), trial.values.get(next(iter(spec.objectives)))]
        row += [trial.params.get(name) for name in spec.space.names]
        row += [trial.values.get(name) for name in values]
        row += [trial.error, trial.duration]
        writer.writerow([_csv_cell(cell) for cell in row])
    return buffer.getvalue()


def to_json(data: Any) -> str:
    """JSON text for ``Trial.to_dict()`` data (one object, or a list of them).

    Example:
        >>> to_json({"number": 0, "values": {"value": 1.5}})
        '{\\n  "number": 0,\\n  "values": {\\n    "value": 1.5\\n  }\\n}'
    """
    return json.dumps(data, indent=2, default=str)
