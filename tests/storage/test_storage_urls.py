"""Storage URLs and opening: validation before any file is created, defaults, memory, pickling."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from paramscope.errors import ConfigError, StorageError, StorageURLError
from paramscope.storage import DEFAULT_STORAGE_URL, SQLStorage, open_storage
from paramscope.storage.urls import parse_url, resolve_url


@pytest.mark.parametrize(
    "url",
    ["foo", "mysql://x", "sqlite:/x", "", "sqlite:///", "sqlite://host/x.db", "postgresql://h"],
)
def test_malformed_urls_raise_and_create_nothing(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(StorageURLError) as info:
        open_storage(url)
    message = str(info.value)
    assert message.startswith(
        "storage: expected 'sqlite:///path.db' or 'postgresql://user:password@host/db', "
        f"got {url!r}"
    )
    assert "\n" not in message
    assert isinstance(info.value, ConfigError)
    assert list(tmp_path.iterdir()) == []


def test_sqlite_file_in_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StorageURLError, match=r"directory .*missing.* does not exist"):
        SQLStorage(f"sqlite:///{tmp_path}/missing/runs.db")
    assert list(tmp_path.iterdir()) == []


def test_postgres_urls_use_psycopg_and_hide_the_password() -> None:
    for raw in ("postgresql://me:secret@db:5433/runs", "postgres://me:secret@db:5433/runs"):
        parsed = parse_url(raw)
        assert parsed.backend == "postgresql"
        assert parsed.sqlalchemy_url.drivername == "postgresql+psycopg"
        assert parsed.sqlalchemy_url.password == "secret"
        assert "secret" not in parsed.display
        assert parsed.raw == raw


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_in_memory_storage_works_but_cannot_be_pickled(url: str) -> None:
    storage = open_storage(url)
    assert parse_url(url).memory
    assert storage.list_studies() == []
    with pytest.raises(StorageError, match="in-memory"):
        pickle.dumps(storage)
    storage.close()


def test_file_storage_pickles_as_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    storage = open_storage("sqlite:///runs.db")
    data = pickle.dumps(storage)
    monkeypatch.chdir(Path(tmp_path.anchor))
    copy = pickle.loads(data)
    assert isinstance(copy, SQLStorage)
    assert copy.url == f"sqlite:///{tmp_path / 'runs.db'}"
    copy.close()
    storage.close()


def test_relative_sqlite_path_is_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    open_storage("sqlite:///runs.db").close()
    assert (tmp_path / "runs.db").is_file()


def test_default_and_environment_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARAMSCOPE_STORAGE", raising=False)
    assert resolve_url(None) == DEFAULT_STORAGE_URL == "sqlite:///paramscope.db"
    with open_storage(None) as storage:
        assert storage.url == DEFAULT_STORAGE_URL
    assert (tmp_path / "paramscope.db").is_file()
    monkeypatch.setenv("PARAMSCOPE_STORAGE", "sqlite:///from-env.db")
    with open_storage() as storage:
        assert storage.url == "sqlite:///from-env.db"
    assert (tmp_path / "from-env.db").is_file()
    assert resolve_url("sqlite:///given.db") == "sqlite:///given.db"


def test_unreachable_postgres_is_a_storage_error() -> None:
    with pytest.raises(StorageError, match=r"opening postgresql://nobody:\*\*\*@127\.0\.0\.1:1/x"):
        SQLStorage("postgresql://nobody:pw@127.0.0.1:1/x")
