"""CLI common: the options, checks and storage opening that every command shares.

Opening for reading never creates a database: ``status``, ``best``, ``trials`` and ``worker`` on
a SQLite file that does not exist report that no study is there instead of leaving an empty file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import IO, Any, TypeVar

import click

from paramscope.errors import ConfigError, StudyNotFoundError
from paramscope.storage import STORAGE_ENV_VAR, SQLStorage, open_storage
from paramscope.storage.urls import DEFAULT_STORAGE_URL, parse_url, resolve_url
from paramscope.study import Study

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class CommandError(click.ClickException):
    """An error reported as one ``error: ...`` line on standard error; exit code 1."""

    exit_code = EXIT_RUNTIME

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class BadInputError(CommandError):
    """Bad input or usage, reported as one ``error: ...`` line; exit code 2."""

    exit_code = EXIT_USAGE


class Interrupted(click.ClickException):
    """Ctrl-C: running trials were marked; the same command resumes."""

    exit_code = EXIT_INTERRUPTED

    def show(self, file: IO[Any] | None = None) -> None:
        message = "interrupted: running trials were recorded; run the same command to resume"
        click.echo(f"\n{message}", err=True)


STORAGE_HELP = (
    f"Database URL, e.g. sqlite:///runs.db or postgresql://user:pw@host/db "
    f"[default: ${STORAGE_ENV_VAR} or {DEFAULT_STORAGE_URL}]"
)


def storage_option(fn: F) -> F:
    """The ``--storage URL`` option (None means ``$PARAMSCOPE_STORAGE`` or the SQLite default).

    Example:
        >>> @storage_option
        ... def command(storage: str | None) -> None: ...
        >>> [p.name for p in command.__click_params__]
        ['storage']
    """
    return click.option("--storage", "storage", metavar="URL", help=STORAGE_HELP)(fn)


def study_option(*, required: bool) -> Callable[[F], F]:
    """The ``--study NAME`` option.

    Example:
        >>> @study_option(required=True)
        ... def command(study: str) -> None: ...
        >>> command.__click_params__[0].required
        True
    """
    return click.option("--study", "study", metavar="NAME", required=required, help="Study name.")


def positive(name: str, value: int | None) -> int | None:
    """Check a count given on the command line (``--budget``, ``--workers``): None or > 0.

    Example:
        >>> positive("--budget", 5)
        5
        >>> positive("--budget", 0)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: --budget: expected an integer > 0, got 0
    """
    if value is not None and value <= 0:
        raise ConfigError(f"{name}: expected an integer > 0, got {value}")
    return value


def describe_url(url: str) -> str:
    """The URL for messages: password masked, and a SQLite file's absolute path appended.

    Example:
        >>> describe_url("postgresql://me:secret@db/runs")
        'postgresql://me:***@db/runs'
    """
    parsed = parse_url(url)
    database = parsed.sqlalchemy_url.database
    if parsed.backend == "sqlite" and not parsed.memory and database:
        return f"{parsed.display} ({os.path.abspath(database)})"
    return parsed.display


def sqlite_file_missing(url: str) -> bool:
    """Whether ``url`` names a SQLite file that does not exist yet (opening would create it).

    Example:
        >>> sqlite_file_missing("sqlite:///no-such-file.db")
        True
    """
    parsed = parse_url(url)
    database = parsed.sqlalchemy_url.database
    return parsed.backend == "sqlite" and not parsed.memory and not os.path.exists(database or "")


def open_existing(url: str | None, study: str) -> SQLStorage:
    """Open the storage that should hold ``study``, never creating a database file.

    Args:
        url: The ``--storage`` value (None for the default).
        study: The study the caller needs (named in the error when the file does not exist).

    Raises:
        StorageURLError: A malformed URL.
        StudyNotFoundError: The URL names a SQLite file that does not exist.

    Example:
        >>> open_existing("sqlite:///no-such-file.db", "demo")
        Traceback (most recent call last):
        ...
        paramscope.errors.StudyNotFoundError: study 'demo' not found: ...
    """
    resolved = resolve_url(url)
    if sqlite_file_missing(resolved):
        raise StudyNotFoundError(
            f"study {study!r} not found: {describe_url(resolved)} does not exist yet; "
            "studies there: none"
        )
    return open_storage(resolved)


def open_if_exists(url: str | None) -> SQLStorage | None:
    """Open the storage at ``url``; None if it names a SQLite file that does not exist yet.

    Raises:
        StorageURLError: A malformed URL.

    Example:
        >>> open_if_exists("sqlite:///no-such-file.db") is None
        True
    """
    resolved = resolve_url(url)
    return None if sqlite_file_missing(resolved) else open_storage(resolved)


def load_study(url: str | None, name: str) -> Study:
    """Load study ``name`` from the storage at ``url`` without creating anything.

    Raises:
        StorageURLError: A malformed URL.
        StudyNotFoundError: No such study (the message lists the studies there).

    Example:
        >>> load_study("sqlite:///no-such-file.db", "demo")
        Traceback (most recent call last):
        ...
        paramscope.errors.StudyNotFoundError: study 'demo' not found: ...
    """
    backend = open_existing(url, name)
    try:
        return Study.load(name, storage=backend)
    except BaseException:
        backend.close()
        raise
