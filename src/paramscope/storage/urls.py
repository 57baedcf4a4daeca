"""Storage URLs: check a user's storage URL and turn it into the SQLAlchemy URL that opens it.

Every URL is validated here, before anything touches the disk or the network, so a typo never
leaves an empty database file behind. Supported forms::

    sqlite:///relative/path.db     sqlite:////absolute/path.db
    sqlite://   sqlite:///:memory:  (in memory: one process only)
    postgresql://user:password@host:port/database   (run through the psycopg 3 driver)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from paramscope.errors import StorageURLError

DEFAULT_STORAGE_URL = "sqlite:///paramscope.db"
"""The embedded default: a SQLite file in the working directory."""

STORAGE_ENV_VAR = "PARAMSCOPE_STORAGE"
"""Environment variable that overrides :data:`DEFAULT_STORAGE_URL`."""

_EXPECTED = "expected 'sqlite:///path.db' or 'postgresql://user:password@host/db'"
_POSTGRES_NAMES = ("postgresql", "postgres", "postgresql+psycopg")

Backend = Literal["sqlite", "postgresql"]


@dataclass(frozen=True)
class StorageURL:
    """A checked storage URL.

    Attributes:
        raw: the URL as the user wrote it (kept, password included, so workers can reopen it).
        sqlalchemy_url: the URL that ``create_engine`` receives.
        backend: ``"sqlite"`` or ``"postgresql"``.
        memory: True for an in-memory SQLite database.
        display: the URL with any password masked, for messages.
        portable: the URL another process opens to reach the same database (a SQLite path made
            absolute, so a worker started in another directory finds the same file).
    """

    raw: str
    sqlalchemy_url: URL
    backend: Backend
    memory: bool
    display: str
    portable: str


def resolve_url(url: str | None) -> str:
    """Return ``url``, else ``$PARAMSCOPE_STORAGE``, else :data:`DEFAULT_STORAGE_URL`.

    Example:
        >>> resolve_url("sqlite:///runs.db")
        'sqlite:///runs.db'
    """
    if url is not None:
        return url
    return os.environ.get(STORAGE_ENV_VAR) or DEFAULT_STORAGE_URL


def _fail(url: object, detail: str | None = None) -> StorageURLError:
    suffix = f" ({detail})" if detail else ""
    return StorageURLError(f"storage: {_EXPECTED}, got {url!r}{suffix}")


def parse_url(url: str) -> StorageURL:
    """Check a storage URL and translate it for SQLAlchemy, touching no file or server.

    Args:
        url: ``sqlite:///path.db``, ``sqlite://`` (in memory) or
            ``postgresql://user:password@host:port/db``.

    Returns:
        The checked URL; PostgreSQL URLs are rewritten to the ``postgresql+psycopg`` driver.

    Raises:
        StorageURLError: the URL is malformed, names another database, or a SQLite file's
            directory does not exist.

    Example:
        >>> parse_url("postgresql://me:secret@db.local/runs").display
        'postgresql://me:***@db.local/runs'
    """
    if not isinstance(url, str) or "://" not in url:
        raise _fail(url)
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise _fail(url, str(exc)) from None
    if parsed.drivername == "sqlite":
        return _parse_sqlite(url, parsed)
    if parsed.drivername in _POSTGRES_NAMES:
        return _parse_postgres(url, parsed)
    raise _fail(url)


def _parse_sqlite(raw: str, parsed: URL) -> StorageURL:
    if parsed.host or parsed.port or parsed.username or parsed.password:
        raise _fail(raw, "a SQLite URL has no host: use three slashes, 'sqlite:///path.db'")
    if parsed.query:
        raise _fail(raw, f"unsupported SQLite URL options {sorted(parsed.query)}")
    database = parsed.database
    if database is None or database == ":memory:":
        memory_url = make_url("sqlite://")
        return StorageURL(raw, memory_url, "sqlite", memory=True, display=raw, portable=raw)
    if database == "":
        raise _fail(raw, "the file path is missing")
    path = Path(database).expanduser()
    if path.is_dir():
        raise _fail(raw, f"{str(path)!r} is a directory, not a database file")
    parent = path.absolute().parent
    if not parent.is_dir():
        raise _fail(raw, f"directory {str(parent)!r} does not exist")
    file_url = parsed.set(database=str(path))
    portable = f"sqlite:///{path.absolute()}"
    return StorageURL(raw, file_url, "sqlite", memory=False, display=raw, portable=portable)


def _parse_postgres(raw: str, parsed: URL) -> StorageURL:
    if not parsed.database:
        raise _fail(raw, "the database name is missing")
    pg_url = parsed.set(drivername="postgresql+psycopg")
    display = parsed.render_as_string(hide_password=True)
    return StorageURL(raw, pg_url, "postgresql", memory=False, display=display, portable=raw)
