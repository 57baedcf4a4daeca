"""Queries: the SQL statements behind ``SQLStorage``, each run on a connection it is handed.

These functions know the tables but not transactions: ``SQLStorage`` opens the (locked)
transaction, calls them in the right order and decides what the results mean.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paramscope.errors import StudyNotFoundError
from paramscope.space import Params
from paramscope.storage.records import dumps, trial_from_row
from paramscope.storage.schema import studies, trial_reports, trials
from paramscope.trial import Trial, TrialState


def study_names(conn: Connection) -> list[str]:
    """Every study's name, sorted."""
    return list(conn.scalars(select(studies.c.name).order_by(studies.c.name)))


def find_study(conn: Connection, name: str, *, lock: bool = False) -> Row[Any] | None:
    """The ``studies`` row of ``name``; with ``lock``, locked until the transaction ends.

    On PostgreSQL the lock is ``SELECT ... FOR UPDATE`` and serializes every write to the study;
    on SQLite the transaction's ``BEGIN IMMEDIATE`` already holds the database's write lock.
    """
    query = select(studies).where(studies.c.name == name)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).first()


def require_study(conn: Connection, name: str, *, where: str, lock: bool = False) -> Row[Any]:
    """Like :func:`find_study`, but raise ``StudyNotFoundError`` listing the studies there."""
    row = find_study(conn, name, lock=lock)
    if row is None:
        names = study_names(conn)
        listed = ", ".join(names) if names else "none"
        raise StudyNotFoundError(f"study {name!r} not found in {where}; studies there: {listed}")
    return row


def take_number(conn: Connection, study_id: int) -> int:
    """Take the study's next trial number (call with the study locked)."""
    number: int = conn.execute(
        select(studies.c.next_number).where(studies.c.id == study_id)
    ).scalar_one()
    conn.execute(update(studies).where(studies.c.id == study_id).values(next_number=number + 1))
    return number


def state_counts(conn: Connection, study_id: int) -> dict[TrialState, int]:
    """The number of trials in each state, every state present."""
    counts = dict.fromkeys(TrialState, 0)
    query = (
        select(trials.c.state, func.count())
        .where(trials.c.study_id == study_id)
        .group_by(trials.c.state)
    )
    for state, count in conn.execute(query):
        counts[TrialState(state)] = int(count)
    return counts


def insert_trial(
    conn: Connection,
    study_id: int,
    params: Params,
    *,
    running: tuple[str, datetime] | None = None,
    retry_of: int | None = None,
) -> Trial:
    """Insert a trial with the next number: queued, or running for ``(worker, now)``."""
    number = take_number(conn, study_id)
    worker, now = running if running is not None else (None, None)
    conn.execute(
        insert(trials).values(
            study_id=study_id,
            number=number,
            state=TrialState.RUNNING if running is not None else TrialState.QUEUED,
            params=dumps(params),
            started=now,
            heartbeat=now,
            worker=worker,
            retry_of=retry_of,
        )
    )
    return load_trial(conn, study_id, number)


def find_trial(
    conn: Connection, study_id: int, number: int, *, lock: bool = False
) -> Row[Any] | None:
    """The ``trials`` row of trial ``number`` (or None); with ``lock``, locked (PostgreSQL)."""
    query = select(trials).where(trials.c.study_id == study_id, trials.c.number == number)
    if lock:
        query = query.with_for_update()
    return conn.execute(query).first()


def load_trial(conn: Connection, study_id: int, number: int) -> Trial:
    """The ``Trial`` record of one trial, its reports included (the trial must exist)."""
    loaded = load_trials(conn, study_id, since=number, until=number)
    return loaded[0]


def load_trials(
    conn: Connection,
    study_id: int,
    *,
    states: Sequence[TrialState] | None = None,
    since: int = 0,
    until: int | None = None,
) -> list[Trial]:
    """Trials numbered ``since..until`` in number order: one query for trials, one for reports."""
    conditions = [trials.c.study_id == study_id, trials.c.number >= since]
    if until is not None:
        conditions.append(trials.c.number <= until)
    if states is not None:
        conditions.append(trials.c.state.in_([str(TrialState(s)) for s in states]))
    rows = conn.execute(select(trials).where(*conditions).order_by(trials.c.number)).all()
    if not rows:
        return []
    report_query = (
        select(trials.c.number, trial_reports.c.step, trial_reports.c.value)
        .join(trial_reports, trial_reports.c.trial_id == trials.c.id)
        .where(*conditions)
        .order_by(trials.c.number, trial_reports.c.step)
    )
    reports: dict[int, dict[int, float]] = defaultdict(dict)
    for number, step, value in conn.execute(report_query):
        reports[number][step] = value
    return [trial_from_row(row, reports.get(row.number)) for row in rows]


def retry_depth(conn: Connection, study_id: int, number: int) -> int:
    """How many ``retry_of`` links lead back from trial ``number`` to its original."""
    depth = 0
    retry_of = conn.scalar(
        select(trials.c.retry_of).where(trials.c.study_id == study_id, trials.c.number == number)
    )
    while retry_of is not None:
        depth += 1
        retry_of = conn.scalar(
            select(trials.c.retry_of).where(
                trials.c.study_id == study_id, trials.c.number == retry_of
            )
        )
    return depth


def upsert_report(conn: Connection, trial_id: int, step: int, value: float) -> None:
    """Insert or replace the report of ``step`` for a trial."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(trial_reports).values(trial_id=trial_id, step=step, value=value)
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=[trial_reports.c.trial_id, trial_reports.c.step],
            set_={"value": statement.excluded.value},
        )
    )


def delete_study_rows(conn: Connection, study_id: int) -> None:
    """Delete a study with its trials and reports."""
    trial_ids = select(trials.c.id).where(trials.c.study_id == study_id).scalar_subquery()
    conn.execute(delete(trial_reports).where(trial_reports.c.trial_id.in_(trial_ids)))
    conn.execute(delete(trials).where(trials.c.study_id == study_id))
    conn.execute(delete(studies).where(studies.c.id == study_id))


def study_activity(conn: Connection) -> dict[int, dict[str, Any]]:
    """Per study id: state counts, min and max complete value, latest timestamps."""
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"counts": dict.fromkeys(TrialState, 0)})
    counts = select(trials.c.study_id, trials.c.state, func.count()).group_by(
        trials.c.study_id, trials.c.state
    )
    for study_id, state, count in conn.execute(counts):
        out[study_id]["counts"][TrialState(state)] = int(count)
    complete = trials.c.state == TrialState.COMPLETE
    summary = select(
        trials.c.study_id,
        func.min(trials.c.value).filter(complete),
        func.max(trials.c.value).filter(complete),
        func.max(trials.c.started),
        func.max(trials.c.finished),
        func.max(trials.c.heartbeat),
    ).group_by(trials.c.study_id)
    for study_id, low, high, started, finished, beat in conn.execute(summary):
        out[study_id].update(low=low, high=high, stamps=(started, finished, beat))
    return dict(out)


def study_directions(conn: Connection) -> list[tuple[int, str, str]]:
    """``(id, name, direction of the first objective)`` for every study, by name."""
    rows = conn.execute(
        select(studies.c.id, studies.c.name, studies.c.objectives).order_by(studies.c.name)
    )
    return [(i, name, next(iter(json.loads(obj).values()), "min")) for i, name, obj in rows]
