"""SQL storage: studies and trials in SQLite (the embedded default) or PostgreSQL.

``SQLStorage`` implements every storage protocol of ``storage/base.py`` on SQLAlchemy Core. Each
write to a study runs in one short transaction that holds the study's lock (SQLite: the
database write lock taken by ``BEGIN IMMEDIATE``; PostgreSQL: ``SELECT ... FOR UPDATE`` on the
study's row), so trial numbers are gap-free, a queued trial is claimed exactly once, the budget
is never overshot and two reapers never re-queue the same dead trial twice. Ending a trial
(``tell``, ``report``) locks only that trial's row, so results never queue behind claims. No lock
is ever held while user code runs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, update

from paramscope.errors import ConfigError, StorageError
from paramscope.space import Params
from paramscope.storage import catalog, claims
from paramscope.storage import queries as q
from paramscope.storage.base import (
    AskResult,
    Outcome,
    StudyOptions,
    StudySpec,
    StudySummary,
)
from paramscope.storage.engine import LIGHT_OPTION, READ_OPTION, make_engine, migrate, retrying
from paramscope.storage.records import (
    finite_values,
    options_to_row,
    spec_from_row,
)
from paramscope.storage.schema import studies, trials
from paramscope.storage.urls import parse_url
from paramscope.trial import Trial, TrialState

T = TypeVar("T")


PATIENCE_S = 30.0
"""Default seconds a storage operation waits for a database that went away (see SQLStorage)."""


def _now() -> datetime:
    return datetime.now(UTC)


class SQLStorage:
    """Studies and trials in a SQL database: SQLite file or memory, or PostgreSQL.

    Opening applies the schema migrations (safe when several processes open a fresh database at
    once). An in-memory database (``sqlite://``) lives in this process only; its one connection
    is shared by all threads under a lock. Any other storage can be used from many threads and
    processes at once; a pickled storage reopens its database on the other side.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` or ``postgresql://user:password@host/db``.
        patience: seconds an operation keeps retrying (with backoff) while the database is
            away, e.g. restarting, before it raises ``StorageError``; opening never waits.

    Raises:
        StorageURLError: the URL is malformed or unsupported (nothing is created).
        StorageError: the database cannot be reached or prepared.

    Example:
        >>> from paramscope.space import Float, Space
        >>> storage = SQLStorage("sqlite://")
        >>> spec = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
        >>> storage.enqueue("demo", {"x": 0.5}).number
        0
        >>> storage.close()
    """

    url: str

    def __init__(self, url: str, *, patience: float = PATIENCE_S) -> None:
        self._parsed = parse_url(url)
        self.url = url
        self.patience = patience
        self.outage_at = -float("inf")  # time.monotonic() the database was last found away
        self._engine = make_engine(self._parsed)
        self._reader = self._engine.execution_options(**{READ_OPTION: True})
        self._light_writer = self._engine.execution_options(**{LIGHT_OPTION: True})
        self._lock: AbstractContextManager[Any] = (
            threading.RLock() if self._parsed.memory else nullcontext()
        )
        try:
            migrate(self._engine, display=self._parsed.display)
        except BaseException:
            self._engine.dispose()
            raise

    def __repr__(self) -> str:
        return f"SQLStorage({self._parsed.display!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        if self._parsed.memory:
            raise StorageError(
                f"storage: the in-memory database {self.url!r} lives in one process and cannot "
                "be sent to another; use a file such as 'sqlite:///paramscope.db'"
            )
        return (SQLStorage, (self._parsed.portable,), {"patience": self.patience})

    def __enter__(self) -> SQLStorage:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every pooled connection (an in-memory database is gone afterwards).

        Example:
            >>> SQLStorage("sqlite://").close()
        """
        self._engine.dispose()

    # -- transactions ------------------------------------------------------------------------

    def _write(
        self, what: str, work: Callable[[Connection], T], *, light: bool = False, wait: bool = True
    ) -> T:
        """One write transaction; ``light`` skips the fsync (claims, heartbeats, reports).

        ``wait``: retry for ``patience`` seconds while the database is away (else a few times).
        """
        engine = self._light_writer if light else self._engine

        def attempt() -> T:
            with self._lock, engine.begin() as conn:
                return work(conn)

        patience = self.patience if wait else 0.0
        return retrying(attempt, what=what, patience=patience, on_disconnect=self._away)

    def _read(self, what: str, work: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._lock, self._reader.connect() as conn, conn.begin():
                return work(conn)

        return retrying(attempt, what=what, patience=self.patience, on_disconnect=self._away)

    def _away(self) -> None:
        self.outage_at = time.monotonic()

    def _study(self, conn: Connection, name: str, *, lock: bool = False) -> int:
        row = q.require_study(conn, name, where=self._parsed.display, lock=lock)
        return int(row.id)

    # -- catalog -------------------------------------------------------------------------------

    def create_study(self, spec: StudySpec) -> StudySpec:
        """Create a study, or resume the stored one if its signature matches.

        Returns:
            ``spec`` for a new study; for an existing one, the stored spec (its sampler, seed and
            options win), with ``spec.objective`` filled in if the stored one had none.

        Raises:
            StudyExistsError: a study of that name exists with a different space, objectives
                or constraints.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> spec = StudySpec("demo", Space({"x": Float(0.0, 1.0)}))
            >>> storage.create_study(spec) == storage.create_study(spec)
            True
        """

        def work(conn: Connection) -> StudySpec:
            return catalog.create_or_resume(conn, spec, now=_now())

        return self._write(f"creating study {spec.name!r}", work)

    def load_study(self, name: str) -> StudySpec:
        """The stored spec of study ``name``.

        Raises:
            StudyNotFoundError: no such study; the message lists the studies there.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.load_study("demo").name
            'demo'
        """

        def work(conn: Connection) -> StudySpec:
            row = q.require_study(conn, name, where=self._parsed.display)
            return spec_from_row(row)

        return self._read(f"loading study {name!r}", work)

    def list_studies(self) -> list[StudySummary]:
        """One summary per study, by name: counts, best first-objective value, last activity.

        Example:
            >>> SQLStorage("sqlite://").list_studies()
            []
        """

        return self._read("listing studies", catalog.summaries)

    def set_options(self, study: str, options: StudyOptions) -> StudySpec:
        """Store new options (budget, heartbeat, grace, retries, stopping); return the new spec.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.set_options("demo", StudyOptions(budget=10)).options.budget
            10
        """

        def work(conn: Connection) -> StudySpec:
            row = q.require_study(conn, study, where=self._parsed.display, lock=True)
            spec = spec_from_row(row)
            values = options_to_row(options, spec.sampler_options)
            conn.execute(update(studies).where(studies.c.id == row.id).values(**values))
            return replace(spec, options=options)

        return self._write(f"setting options of study {study!r}", work)

    def delete_study(self, name: str) -> None:
        """Delete a study with all its trials and reports (StudyNotFoundError if there is none).

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.delete_study("demo")
        """
        self._write(
            f"deleting study {name!r}",
            lambda conn: q.delete_study_rows(conn, self._study(conn, name, lock=True)),
        )

    # -- writing trials ------------------------------------------------------------------------

    def enqueue(self, study: str, params: Params) -> Trial:
        """Add a queued trial with these (already validated) params and the next number.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.enqueue("demo", {"x": 0.25}).state
            <TrialState.QUEUED: 'queued'>
        """

        def work(conn: Connection) -> Trial:
            return q.insert_trial(conn, self._study(conn, study, lock=True), params)

        return self._write(f"enqueueing a trial in study {study!r}", work)

    def ask(
        self,
        study: str,
        *,
        worker: str,
        budget: int | None,
        params: Params | None = None,
        expected_number: int | None = None,
        propose: Callable[[int], Params] | None = None,
    ) -> AskResult:
        """Claim the next trial to run, in one locked transaction.

        With ``finished`` = complete + stopped trials: DONE once ``finished >= budget``; WAIT
        while running trials could still fill the budget; else the lowest-numbered queued trial
        is claimed; else NEED_PARAMS unless ``params`` is given, in which case a new running
        trial with those params is created; CONFLICT instead if ``expected_number`` (the number
        the params were proposed for) was taken meanwhile, so the caller proposes again.
        ``propose(number)``, if given, makes the params of a new trial once its number is known.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.ask("demo", worker="w1", budget=1).status
            <AskStatus.NEED_PARAMS: 'need_params'>
            >>> storage.ask("demo", worker="w1", budget=1, params={"x": 0.5}).trial.number
            0
            >>> storage.ask("demo", worker="w2", budget=1).status
            <AskStatus.WAIT: 'wait'>
        """

        def work(conn: Connection) -> AskResult:
            return claims.claim(
                conn,
                q.require_study(conn, study, where=self._parsed.display, lock=True),
                worker=worker,
                budget=budget,
                params=params,
                expected_number=expected_number,
                now=_now(),
                propose=propose,
            )

        return self._write(f"asking for a trial of study {study!r}", work, light=True)

    def tell(self, study: str, number: int, outcome: Outcome) -> Trial:
        """Record the end of a running trial; the write is committed when this returns.

        Telling a trial the outcome it already has returns it unchanged, so a retried or
        re-played (spooled) result is never an error.

        Raises:
            ConfigError: the outcome is not final, or its values are not finite numbers.
            TrialStateError: the trial is not running: told already, never claimed, or reaped
                as lost meanwhile (it then stays failed and this late result is dropped).

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> _ = storage.ask("demo", worker="w", budget=None, params={"x": 0.5})
            >>> storage.tell("demo", 0, Outcome(TrialState.COMPLETE, {"value": 1.5})).value
            1.5
        """
        state = TrialState(outcome.state)
        if not state.is_finished:
            raise ConfigError(f"tell: state must be complete, failed or stopped, got {state}")
        values = finite_values(outcome.values, what=f"tell trial {number}")
        if state == TrialState.COMPLETE and not values:
            raise ConfigError(f"tell: a complete trial needs its values, got none for {number}")

        def work(conn: Connection) -> Trial:
            study_id = self._study(conn, study)  # claims.finish locks the trial's row
            ended = replace(outcome, values=values)
            return claims.finish(conn, study, study_id, number, ended, now=_now())

        return self._write(f"telling trial {number} of study {study!r}", work)

    # -- monitoring ----------------------------------------------------------------------------

    def heartbeat(self, study: str, numbers: Sequence[int]) -> None:
        """Mark these trials alive now (trials no longer running are left alone).

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.heartbeat("demo", [0, 1])
        """
        wanted = [int(n) for n in numbers]

        def work(conn: Connection) -> None:
            study_id = self._study(conn, study)
            if wanted:
                conn.execute(
                    update(trials)
                    .where(
                        trials.c.study_id == study_id,
                        trials.c.number.in_(wanted),
                        trials.c.state == TrialState.RUNNING,
                    )
                    .values(heartbeat=_now())
                )

        self._write(f"heartbeat of study {study!r}", work, light=True, wait=False)

    def report(self, study: str, number: int, step: int, value: float) -> None:
        """Store an intermediate value of a running trial (replacing one at the same step).

        A report also counts as a heartbeat.

        Raises:
            ConfigError: ``value`` is not a finite number.
            TrialStateError: the trial is not running.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> _ = storage.ask("demo", worker="w", budget=None, params={"x": 0.5})
            >>> storage.report("demo", 0, step=1, value=0.3)
            >>> dict(storage.trial("demo", 0).reports)
            {1: 0.3}
        """
        checked = finite_values({"value": value}, what=f"report of trial {number}")["value"]

        def work(conn: Connection) -> None:
            study_id = self._study(conn, study)
            row = q.running_trial(conn, study, study_id, number, doing="report", lock=True)
            q.upsert_report(conn, row.id, int(step), checked)
            conn.execute(update(trials).where(trials.c.id == row.id).values(heartbeat=_now()))

        self._write(f"report of trial {number} of study {study!r}", work, light=True)

    def reap(self, study: str, *, grace: float, retries: int) -> list[Trial]:
        """Fail running trials silent for ``grace`` seconds; re-queue them up to ``retries`` times.

        A re-queued trial gets the same params and ``retry_of`` = the dead trial's number; a
        trial whose chain of ``retry_of`` links is ``retries`` long is not re-queued again.

        Returns:
            The trials just marked failed.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.reap("demo", grace=60.0, retries=1)
            []
        """

        def look(conn: Connection) -> bool:
            cutoff = _now() - timedelta(seconds=grace)
            return bool(q.stale_running(conn, self._study(conn, study), before=cutoff))

        def work(conn: Connection) -> list[Trial]:
            study_id = self._study(conn, study, lock=True)
            return claims.reap_stale(conn, study_id, grace=grace, retries=retries, now=_now())

        if not self._read(f"looking for lost trials of study {study!r}", look):
            return []
        return self._write(f"reaping lost trials of study {study!r}", work)

    # -- reading -------------------------------------------------------------------------------

    def trials(
        self, study: str, *, states: Sequence[TrialState] | None = None, since: int = 0
    ) -> list[Trial]:
        """Trials numbered ``since`` or later, in number order, optionally of some states only.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> _ = [storage.enqueue("demo", {"x": x}) for x in (0.1, 0.2, 0.3)]
            >>> [t.number for t in storage.trials("demo", since=1)]
            [1, 2]
        """

        def work(conn: Connection) -> list[Trial]:
            return q.load_trials(conn, self._study(conn, study), states=states, since=since)

        return self._read(f"reading trials of study {study!r}", work)

    def trial(self, study: str, number: int) -> Trial:
        """One trial's record.

        Raises:
            KeyError: the study has no trial of that number.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.enqueue("demo", {"x": 0.1}) == storage.trial("demo", 0)
            True
        """

        def work(conn: Connection) -> list[Trial]:
            study_id = self._study(conn, study)
            return q.load_trials(conn, study_id, since=number, until=number)

        found = self._read(f"reading trial {number} of study {study!r}", work)
        if not found:
            raise KeyError(f"study {study!r} has no trial {number}")
        return found[0]

    def counts(self, study: str) -> dict[TrialState, int]:
        """The number of trials in each state; every state is a key.

        Example:
            >>> from paramscope.space import Float, Space
            >>> storage = SQLStorage("sqlite://")
            >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
            >>> storage.counts("demo")[TrialState.QUEUED]
            0
        """
        return self._read(
            f"counting trials of study {study!r}",
            lambda conn: q.state_counts(conn, self._study(conn, study)),
        )
