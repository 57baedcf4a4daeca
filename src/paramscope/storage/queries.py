"""Queries: the SQL statements behind ``SQLStorage``, each run on a connection it is handed.

These functions know the tables but not transactions: ``SQLStorage`` opens the (locked)
transaction, calls them in the right order and decides what the results mean.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from paramscope.errors import StudyNotFoundError, TrialStateError
from paramscope.space import Params
from paramscope.storage.base import Outcome
from paramscope.storage.records import dumps, trial_from_row
from paramscope.storage.schema import studies, trial_reports, trials
from paramscope.trial import Trial, TrialState

REAPED = "worker lost"
"""How the error of a trial failed by ``reap`` begins."""


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


def next_number(conn: Connection, study_id: int) -> int:
    """The number the study's next trial will get."""
    number: int = conn.execute(
        select(studies.c.next_number).where(studies.c.id == study_id)
    ).scalar_one()
    return number


def take_number(conn: Connection, study_id: int) -> int:
    """Take the study's next trial number (call with the study locked)."""
    number = next_number(conn, study_id)
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


def running_trial(
    conn: Connection, study: str, study_id: int, number: int, *, doing: str, lock: bool = False
) -> Row[Any]:
    """The row of trial ``number`` if it is running; else a ``TrialStateError`` saying why not."""
    row = find_trial(conn, study_id, number, lock=lock)
    if row is None:
        raise TrialStateError(f"{doing}: study {study!r} has no trial {number}")
    if row.state == TrialState.RUNNING:
        return row
    where = f"trial {number} of study {study!r}"
    if row.state == TrialState.FAILED and (row.error or "").startswith(REAPED):
        raise TrialStateError(
            f"{doing}: {where} was marked failed ({row.error}) before this result arrived; "
            "the late result is dropped"
        )
    if row.state == TrialState.QUEUED:
        raise TrialStateError(f"{doing}: {where} is queued, not running; ask() claims it")
    raise TrialStateError(f"{doing}: {where} is already {row.state}; a trial ends once")


def stale_running(
    conn: Connection, study_id: int, *, before: datetime
) -> list[tuple[int, str | None, str]]:
    """``(number, worker, params JSON)`` of running trials silent since before ``before``."""
    query = select(trials.c.number, trials.c.worker, trials.c.params).where(
        trials.c.study_id == study_id,
        trials.c.state == TrialState.RUNNING,
        trials.c.heartbeat < before,
    )
    return [(n, w, p) for n, w, p in conn.execute(query.order_by(trials.c.number))]


def fail_stale(
    conn: Connection, study_id: int, number: int, *, before: datetime, error: str, now: datetime
) -> bool:
    """Mark a running trial failed if its heartbeat is still older than ``before``."""
    result = conn.execute(
        update(trials)
        .where(
            trials.c.study_id == study_id,
            trials.c.number == number,
            trials.c.state == TrialState.RUNNING,
            trials.c.heartbeat < before,
        )
        .values(state=TrialState.FAILED, error=error, finished=now)
    )
    return result.rowcount == 1


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


def finish_trial(
    conn: Connection, study_id: int, number: int, outcome: Outcome, *, now: datetime
) -> None:
    """Write a trial's final state, values (the first one also as ``value`` when complete)."""
    complete = outcome.state == TrialState.COMPLETE
    conn.execute(
        update(trials)
        .where(trials.c.study_id == study_id, trials.c.number == number)
        .values(
            state=outcome.state,
            value=next(iter(outcome.values.values())) if complete else None,
            values_json=dumps(dict(outcome.values)) if outcome.values else None,
            error=outcome.error,
            finished=now,
        )
    )
