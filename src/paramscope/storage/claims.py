"""Claims: the locked transactions that start, end and reap trials (run inside ``SQLStorage``).

Each function runs inside one write transaction that already holds the study's lock, so a trial
is claimed once, ended once and reaped once. ``finish`` is idempotent: telling a trial the very
outcome it already has (a retried ``tell`` whose first commit was not acknowledged, or a spooled
result written twice) returns the stored trial instead of failing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from paramscope.space import Params
from paramscope.storage import queries as q
from paramscope.storage.base import AskResult, AskStatus, Outcome
from paramscope.storage.schema import trials
from paramscope.trial import Trial, TrialState


def claim(
    conn: Connection,
    study: Row[Any],
    *,
    worker: str,
    budget: int | None,
    params: Params | None,
    expected_number: int | None,
    now: datetime,
    propose: Callable[[int], Params] | None = None,
) -> AskResult:
    """The body of ``SQLStorage.ask`` (see there): DONE, WAIT, a claimed trial, or a retry cue.

    ``study`` is the study's row, locked. A proposal made for a number that was taken meanwhile
    is refused first, at the cost of that one locked read, so that under many workers the
    losers of a race hold the lock for as short as possible (they ask again either way).
    ``propose(number)`` instead gives the params of the number the new trial gets, under the
    lock (for samplers whose proposal depends on the trial number only: never a conflict).
    """
    study_id = int(study.id)
    if params is not None and expected_number is not None and study.next_number != expected_number:
        return AskResult(AskStatus.CONFLICT)
    counts = q.state_counts(conn, study_id)
    finished = counts[TrialState.COMPLETE] + counts[TrialState.STOPPED]
    if budget is not None and finished >= budget:
        return AskResult(AskStatus.DONE)
    if budget is not None and finished + counts[TrialState.RUNNING] >= budget:
        return AskResult(AskStatus.WAIT)
    if counts[TrialState.QUEUED]:
        number = conn.scalar(
            select(func.min(trials.c.number)).where(
                trials.c.study_id == study_id, trials.c.state == TrialState.QUEUED
            )
        )
        conn.execute(
            update(trials)
            .where(trials.c.study_id == study_id, trials.c.number == number)
            .values(state=TrialState.RUNNING, started=now, heartbeat=now, worker=worker)
        )
        return AskResult(AskStatus.CLAIMED, q.load_trial(conn, study_id, int(number)))
    if propose is not None:
        params = propose(int(study.next_number))
    if params is None:
        return AskResult(AskStatus.NEED_PARAMS)
    trial = q.insert_trial(conn, study_id, params, running=(worker, now))
    return AskResult(AskStatus.CLAIMED, trial)


def _same_end(trial: Trial, outcome: Outcome) -> bool:
    return (
        trial.state == outcome.state
        and dict(trial.values) == dict(outcome.values)
        and (trial.error or None) == (outcome.error or None)
    )


def finish(
    conn: Connection, study: str, study_id: int, number: int, outcome: Outcome, *, now: datetime
) -> Trial:
    """End a running trial with ``outcome``; a trial that already ended so is returned as is.

    Raises:
        TrialStateError: the trial is not running and did not end with this same outcome.
    """
    row = q.find_trial(conn, study_id, number, lock=True)  # the reaper waits for this end
    if row is not None and row.state != TrialState.RUNNING:
        stored = q.load_trial(conn, study_id, number)
        if _same_end(stored, outcome):
            return stored
    q.running_trial(conn, study, study_id, number, doing="tell")
    q.finish_trial(conn, study_id, number, outcome, now=now)
    return q.load_trial(conn, study_id, number)


def reap_stale(
    conn: Connection, study_id: int, *, grace: float, retries: int, now: datetime
) -> list[Trial]:
    """Fail the running trials silent for ``grace`` s, re-queue each up to ``retries`` times."""
    cutoff = now - timedelta(seconds=grace)
    reaped = []
    for number, worker, params in q.stale_running(conn, study_id, before=cutoff):
        error = f"{q.REAPED}: no heartbeat for {grace:g} s (worker {worker})"
        if not q.fail_stale(conn, study_id, number, before=cutoff, error=error, now=now):
            continue  # its heartbeat arrived in the meantime
        if retries > 0 and q.retry_depth(conn, study_id, number) < retries:
            q.insert_trial(conn, study_id, json.loads(params), retry_of=number)
        reaped.append(q.load_trial(conn, study_id, number))
    return reaped
