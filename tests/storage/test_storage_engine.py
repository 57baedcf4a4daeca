"""Schema migrations, SQLite connection settings and the transient-error retry helper."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError, OperationalError

from paramscope.errors import StorageError
from paramscope.storage import SQLStorage
from paramscope.storage.engine import head_revision, retrying
from paramscope.storage.schema import VERSION_TABLE, metadata


def _engine_url(storage_url: str) -> str:
    return storage_url.replace("postgresql://", "postgresql+psycopg://")


def test_version_table_holds_the_head_revision(storage: SQLStorage, storage_url: str) -> None:
    engine = create_engine(_engine_url(storage_url))
    with engine.connect() as conn:
        rows = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert head_revision() == "0002"
    assert rows == [("0002",)]
    assert {"studies", "trials", "trial_reports", VERSION_TABLE} <= tables
    assert "alembic_version" not in tables  # never clashes with an application's own Alembic


def test_migrated_schema_matches_the_table_definitions(
    storage: SQLStorage, storage_url: str
) -> None:
    engine = create_engine(_engine_url(storage_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = [
            d for d in compare_metadata(context, metadata) if VERSION_TABLE not in str(d)
        ]
        indexes = {ix["name"] for ix in inspect(conn).get_indexes("trials")}
    engine.dispose()
    assert differences == []
    assert "ix_trials_study_state" in indexes


def test_reopening_keeps_the_data(storage_url: str, spec: Callable[..., object]) -> None:
    with SQLStorage(storage_url) as first:
        first.create_study(spec())  # type: ignore[arg-type]
    with SQLStorage(storage_url) as second:
        assert [s.name for s in second.list_studies()] == ["study"]


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    SQLStorage(url).close()
    with sqlite3.connect(tmp_path / "new.db") as conn:
        conn.execute(f"UPDATE {VERSION_TABLE} SET version_num = '9999'")
    with pytest.raises(StorageError, match="revision '9999', newer than this paramscope"):
        SQLStorage(url)


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'wal.db'}")
    with storage._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    storage.close()


def _failing(errors: list[Exception]) -> Callable[[], str]:
    def action() -> str:
        if errors:
            raise errors.pop(0)
        return "ok"

    return action


def _sqlite_error(message: str) -> OperationalError:
    return OperationalError("UPDATE trials", {}, sqlite3.OperationalError(message))


def test_retrying_recovers_from_transient_errors() -> None:
    errors: list[Exception] = [
        _sqlite_error("database is locked"),
        _sqlite_error("database is busy"),
    ]
    assert retrying(_failing(errors), what="telling trial 3") == "ok"
    assert errors == []


def test_retrying_gives_up_with_a_storage_error() -> None:
    errors: list[Exception] = [_sqlite_error("database is locked") for _ in range(3)]
    with pytest.raises(StorageError, match="telling trial 3 failed after 3 attempts: database is"):
        retrying(_failing(errors), what="telling trial 3", attempts=3)


@pytest.mark.parametrize(
    "error",
    [
        _sqlite_error("no such table: trials"),
        IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")),
    ],
)
def test_retrying_does_not_retry_permanent_errors(error: Exception) -> None:
    errors = [error, _sqlite_error("unreachable")]
    with pytest.raises(StorageError, match=r"storage: enqueue failed: "):
        retrying(_failing(errors), what="enqueue")
    assert len(errors) == 1


def test_results_are_fsynced_and_claims_are_light(tmp_path: Path) -> None:
    """tell commits with synchronous=FULL; ask/heartbeat/report skip the fsync (NORMAL)."""
    from paramscope.space import Float, Space
    from paramscope.storage import SQLStorage
    from paramscope.storage.base import Outcome, StudySpec
    from paramscope.trial import TrialState

    storage = SQLStorage(f"sqlite:///{tmp_path}/sync.db")
    storage.create_study(StudySpec("s", Space({"x": Float(0.0, 1.0)})))

    def synchronous() -> int:
        with storage._reader.connect() as conn:  # the same pooled connection, read-only begin
            return int(conn.exec_driver_sql("PRAGMA synchronous").scalar_one())

    storage.ask("s", worker="w", budget=None, params={"x": 0.5})
    assert synchronous() == 1  # NORMAL
    storage.tell("s", 0, Outcome(state=TrialState.COMPLETE, values={"value": 1.0}))
    assert synchronous() == 2  # FULL
    storage.close()
