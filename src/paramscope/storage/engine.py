"""Engine: how paramscope opens a database — connection setup, fork safety, retries, migrations.

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE`` so that two writers queue for the lock instead of deadlocking on a lock
upgrade (pysqlite's deferred ``BEGIN`` would let both read first, then both fail to write).
Reads start a plain deferred ``BEGIN``, so in WAL mode they never wait for a writer.

A forked child never reuses its parent's pooled connections (``os.register_at_fork``), and a
transient failure (a lock held past the busy timeout, a dropped PostgreSQL connection, a
serialization failure) is retried a few times by :func:`retrying` before it becomes a
``StorageError``; with a ``patience``, for as long as a restarting database may take.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
import weakref
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import StaticPool

from paramscope.errors import StorageError
from paramscope.storage.schema import VERSION_TABLE
from paramscope.storage.urls import StorageURL

T = TypeVar("T")

BUSY_TIMEOUT_S = 30.0
"""How long a SQLite connection waits for another process's write lock before failing."""

READ_OPTION = "paramscope_read"
"""Execution option marking a read-only transaction (SQLite then uses a deferred BEGIN)."""

LIGHT_OPTION = "paramscope_light"
"""Execution option marking a write whose loss on power failure is harmless (claiming a trial,
a heartbeat, an intermediate report): SQLite commits it without an fsync (WAL with
``synchronous = NORMAL``; still atomic and safe from a process crash). Results (``tell``) keep
``synchronous = FULL``, whose fsync also makes every light write before it durable."""

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_MIGRATION_LOCK_KEY = 0x7061_7261_6D73  # "params": PostgreSQL advisory lock for migrations
_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_pools_in_child() -> None:
    """In a freshly forked child, drop (never close) the connections inherited from the parent."""
    for engine in list(_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_pools_in_child)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")  # a commit survives power loss, not only a crash
    cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    options = conn.get_execution_options()
    if options.get(READ_OPTION, False):
        conn.exec_driver_sql("BEGIN")
        return
    sync = "NORMAL" if options.get(LIGHT_OPTION, False) else "FULL"
    if conn.info.get("synchronous") != sync:
        conn.exec_driver_sql(f"PRAGMA synchronous = {sync}")
        conn.info["synchronous"] = sync
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: StorageURL) -> Engine:
    """Create the SQLAlchemy engine for a checked URL (no connection is opened yet).

    Example:
        >>> from paramscope.storage.urls import parse_url
        >>> make_engine(parse_url("sqlite://")).dialect.name
        'sqlite'
    """
    if url.backend == "sqlite":
        if url.memory:
            engine = create_engine(
                url.sqlalchemy_url,
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            engine = create_engine(url.sqlalchemy_url, connect_args={"timeout": BUSY_TIMEOUT_S})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(
            url.sqlalchemy_url, pool_pre_ping=True, connect_args={"connect_timeout": 10}
        )
    _ENGINES.add(engine)
    return engine


def _is_transient(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:
        return True
    if isinstance(exc.orig, sqlite3.OperationalError):
        message = str(exc.orig).lower()
        return "locked" in message or "busy" in message
    return isinstance(exc, OperationalError)


def is_unavailable(exc: BaseException) -> bool:
    """Whether a ``StorageError`` means the database is away (worth waiting for), not refusing.

    Example:
        >>> is_unavailable(StorageError("storage: no such study"))
        False
    """
    cause = exc.__cause__
    return isinstance(exc, StorageError) and isinstance(cause, DBAPIError) and _is_transient(cause)


def _is_disconnect(exc: DBAPIError) -> bool:
    """A lost or refused connection (the database away), not a SQLite lock held too long."""
    if isinstance(exc.orig, sqlite3.OperationalError):
        return False
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def retrying(
    action: Callable[[], T],
    *,
    what: str,
    attempts: int = 5,
    patience: float = 0.0,
    on_disconnect: Callable[[], None] | None = None,
) -> T:
    """Run ``action`` (one whole transaction), retrying transient database errors with backoff.

    Args:
        action: opens, runs and commits one transaction; it is run again from the start on a
            transient failure, so it must not have effects outside the database.
        what: what is being done, for the error message (e.g. ``"tell trial 3"``).
        attempts: how many times to try at least before giving up.
        patience: seconds to keep trying (backoff growing to 2 s) while the database is away,
            e.g. restarting; 0 gives up after ``attempts``.
        on_disconnect: called on every failure that means the database is away, even one
            a later attempt overcomes (the worker loop then holds off reaping for a while).

    Returns:
        What ``action`` returns.

    Raises:
        StorageError: a non-transient database error, or a transient one past every attempt and
            the patience (``is_unavailable`` then says so).

    Example:
        >>> retrying(lambda: 42, what="answer")
        42
    """
    delay, attempt = 0.05, 0
    give_up = time.monotonic() + patience
    while True:
        attempt += 1
        try:
            return action()
        except DBAPIError as exc:
            if on_disconnect is not None and _is_disconnect(exc):
                on_disconnect()
            late = attempt >= attempts and time.monotonic() >= give_up
            if not _is_transient(exc) or late:
                tries = f" after {attempt} attempts" if attempt > 1 else ""
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                raise StorageError(f"storage: {what} failed{tries}: {reason}") from exc
            time.sleep(delay * (1.0 + random.random()))
            delay = min(delay * 2.0, 2.0 if patience else 1.0)


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def head_revision() -> str:
    """The newest schema revision this version of paramscope knows.

    Example:
        >>> head_revision()
        '0002'
    """
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships revisions
        raise StorageError(f"storage: no schema revisions found in {MIGRATIONS_DIR}")
    return head


def _is_known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def _current_revision(conn: Connection) -> str | None:
    context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def _upgrade_locked(engine: Engine, display: str) -> None:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY})
        current = _current_revision(conn)
        if current == head_revision():
            return
        if current is not None and not _is_known(current):
            raise StorageError(
                f"storage: {display} has schema revision {current!r}, newer than this "
                f"paramscope knows ({head_revision()!r}); upgrade paramscope"
            )
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def migrate(engine: Engine, *, display: str) -> None:
    """Bring the database's schema to the head revision; safe when many processes race.

    The check and the upgrade run in one transaction that holds the write lock (SQLite's
    ``BEGIN IMMEDIATE``, a PostgreSQL advisory lock), so exactly one process applies each
    revision and the others find the schema current.

    Example:
        >>> from paramscope.storage.urls import parse_url
        >>> migrate(make_engine(parse_url("sqlite://")), display="sqlite://")
    """

    def check() -> str | None:
        with engine.connect().execution_options(**{READ_OPTION: True}) as conn, conn.begin():
            return _current_revision(conn)

    if retrying(check, what=f"opening {display}") == head_revision():
        return
    retrying(lambda: _upgrade_locked(engine, display), what=f"preparing the schema in {display}")
