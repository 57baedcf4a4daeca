"""Fixtures for the CLI tests: a click runner, a copy of the branin example, a database URL."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from paramscope.cli import cli
from paramscope.storage import SQLStorage

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "branin"

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Invoke:
    """Run ``paramscope ARGS`` in-process from ``tmp_path``, with no $PARAMSCOPE_STORAGE."""
    monkeypatch.delenv("PARAMSCOPE_STORAGE", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run


@pytest.fixture
def branin(tmp_path: Path) -> Path:
    """A copy of examples/branin with sampler "random", in its own folder; returns study.toml."""
    folder = tmp_path / "branin"
    shutil.copytree(EXAMPLE, folder)
    study = folder / "study.toml"
    study.write_text(study.read_text().replace('sampler = "bayes"', 'sampler = "random"'))
    return study


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite URL in tmp_path (the file does not exist yet)."""
    return f"sqlite:///{tmp_path / 'runs.db'}"


Snapshot = Callable[[str], list[tuple[str, list[dict[str, object]]]]]
ErrorLine = Callable[..., str]


def _snapshot(url: str) -> list[tuple[str, list[dict[str, object]]]]:
    with SQLStorage(url) as storage:
        return [
            (s.name, [t.to_dict() for t in storage.trials(s.name)]) for s in storage.list_studies()
        ]


def _one_line_error(result: Result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    return lines[0].removeprefix("error: ")


@pytest.fixture
def snapshot() -> Snapshot:
    """Every study in a database and its trials, to show that a failed command wrote nothing."""
    return _snapshot


@pytest.fixture
def one_line_error() -> ErrorLine:
    """Check exit code (2 unless told) and one ``error: ...`` line on stderr; give the message."""
    return _one_line_error
