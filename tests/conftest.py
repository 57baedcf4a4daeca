"""Shared fixtures for the whole test suite.

Sections: storage (a storage URL and a ready storage on both backends, with the throwaway
PostgreSQL server they need). Add new sections below with a header comment.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from port_for import get_port
from psycopg import sql
from pytest_postgresql.executors import PostgreSQLExecutor
from sqlalchemy.engine import make_url

from paramscope.storage import SQLStorage

# ------------------------------------------------------------------------------------------------
# storage: SQLite file and PostgreSQL
#
# Any test that takes `storage_url` (or `storage`) runs once per backend: "sqlite" (a fresh file in
# tmp_path) and "postgresql" (a fresh database on a server started once per session, marked
# `postgres`). Set PARAMSCOPE_TEST_POSTGRESQL_URL=postgresql://user:pw@host:port/db to use an
# existing server instead; without one and without the server binaries, postgres tests skip.
# ------------------------------------------------------------------------------------------------

POSTGRES_URL_ENV = "PARAMSCOPE_TEST_POSTGRESQL_URL"
_PG_ROOT = Path("/usr/lib/postgresql")
_PG_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
)


@dataclass(frozen=True)
class PostgresServer:
    """Where the test PostgreSQL server listens, and how to make a fresh database on it."""

    host: str
    port: int
    user: str
    password: str | None = None
    admin_db: str = "postgres"
    test_db: str = "paramscope_tests"

    def url(self, dbname: str) -> str:
        auth = f"{self.user}:{self.password}" if self.password else self.user
        return f"postgresql://{auth}@{self.host}:{self.port}/{dbname}"

    def _admin(self, dbname: str) -> psycopg.Connection[tuple[object, ...]]:
        # A server just (re)started can refuse connections for a moment ("the database system
        # is starting up") even after pg_ctl -w returned: wait for it rather than fail a test.
        deadline = time.monotonic() + 30.0
        while True:
            try:
                return psycopg.connect(
                    host=self.host,
                    port=self.port,
                    user=self.user,
                    password=self.password,
                    dbname=dbname,
                    autocommit=True,
                )
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def fresh_database(self) -> str:
        """Empty the session's test database and return its URL.

        Emptying (ending its other connections, dropping and re-creating the ``public`` schema)
        gives the same blank database as ``CREATE DATABASE`` at a tenth of the cost.
        """
        with self._admin(self.admin_db) as conn:
            if not conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [self.test_db]
            ).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.test_db)))
        with self._admin(self.test_db) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.url(self.test_db)


def _find_pg_ctl() -> Path | None:
    """The newest installed pg_ctl under /usr/lib/postgresql/<version>/bin, else on PATH."""
    versions = [p for p in _PG_ROOT.glob("*/bin/pg_ctl") if p.parent.parent.name.isdigit()]
    if versions:
        return max(versions, key=lambda p: int(p.parent.parent.name))
    found = shutil.which("pg_ctl")
    return Path(found) if found else None


def _server_dirs(base: Path, pg_ctl: Path) -> tuple[Path, Path]:
    """(pg_ctl to run, directory the server may write). As root, run it as the postgres user.

    PostgreSQL refuses to run as root, so the executable handed to pytest-postgresql is then a
    wrapper that runs pg_ctl through ``runuser -u postgres``, and the data, socket and log
    directory belongs to postgres (under /tmp, which that user can reach).
    """
    workdir = base / "server"
    workdir.mkdir()
    if os.geteuid() != 0:
        return pg_ctl, workdir
    if shutil.which("runuser") is None:
        pytest.skip("tests run as root but runuser is missing, so PostgreSQL cannot be started")
    wrapper = base / "pg_ctl"
    wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- "{pg_ctl}" "$@"\n')
    wrapper.chmod(0o755)
    base.chmod(0o755)
    shutil.chown(workdir, user="postgres", group="postgres")
    return wrapper, workdir


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session: $PARAMSCOPE_TEST_POSTGRESQL_URL, or one we start."""
    external = os.environ.get(POSTGRES_URL_ENV)
    if external:
        url = make_url(external)
        yield PostgresServer(
            host=url.host or "localhost",
            port=url.port or 5432,
            user=url.username or "postgres",
            password=url.password,
            admin_db=url.database or "postgres",
        )
        return
    pg_ctl = _find_pg_ctl()
    if pg_ctl is None:
        pytest.skip(f"PostgreSQL server binaries not found under {_PG_ROOT}/*/bin or on PATH")
    base = Path(tempfile.mkdtemp(prefix="paramscope-pg-"))
    executor = None
    try:
        executable, workdir = _server_dirs(base, pg_ctl)
        executor = PostgreSQLExecutor(
            executable=str(executable),
            host="127.0.0.1",
            port=get_port(None),
            datadir=str(workdir / "data"),
            unixsocketdir=str(workdir),
            logfile=str(workdir / "server.log"),
            startparams="-w",
            dbname="paramscope_tests",
            user="postgres",
            postgres_options=_PG_OPTIONS,
        )
        executor.start()
        yield PostgresServer(host=executor.host, port=executor.port, user=executor.user)
    finally:
        if executor is not None and executor.running():
            executor.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def storage_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of a fresh, empty database: a SQLite file, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paramscope.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgresql_server")
    yield server.fresh_database()


@pytest.fixture
def storage(storage_url: str) -> Iterator[SQLStorage]:
    """An opened ``SQLStorage`` on ``storage_url``, closed after the test."""
    opened = SQLStorage(storage_url)
    try:
        yield opened
    finally:
        opened.close()
