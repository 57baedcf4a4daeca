"""CLI bad input: exit code 2, one ``error:`` line naming the field, and the database untouched."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import paramscope as ps
from paramscope.study import Study

Invoke = Callable[..., Result]
Check = Callable[..., str]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(("[study]", "[study"), "not valid TOML", id="not-toml"),
        pytest.param(
            ("low = -5.0, high = 10.0", "low = 10.0, high = -5.0"),
            "space.x: Float: low < high must hold, got low=10.0, high=-5.0",
            id="inverted-bounds",
        ),
        pytest.param(
            ("low = -5.0, high = 10.0", "low = 0.0, high = 10.0, log = true"),
            "space.x: Float: log=True needs low > 0, got low=0.0",
            id="log-low-zero",
        ),
        pytest.param(
            ('type = "float", low = 0.0, high = 15.0', "type = 'choice', options = []"),
            "space.y: Choice: options must be a non-empty list, got []",
            id="empty-choices",
        ),
        pytest.param(
            ('type = "float", low = 0.0', 'type = "bool", low = 0.0'),
            "space.y: type must be one of 'float', 'int', 'choice'",
            id="unknown-type",
        ),
        pytest.param(
            ("budget = 40", "budget = 0"),
            "study.budget: expected an integer > 0, got 0",
            id="budget",
        ),
        pytest.param(
            ('"python3"', '"paramscope-no-such-command"'),
            "objective.command: 'paramscope-no-such-command' not found on PATH",
            id="command-not-found",
        ),
        pytest.param(
            ('"{y}"', '"{z}"'),
            "objective.command: placeholder {z} names no parameter; parameters are x, y",
            id="unknown-placeholder",
        ),
        pytest.param(
            ("seed = 0", 'seed = 0\nstorage = "sqlite//runs.db"'),
            "study.storage: expected 'sqlite:///path.db'",
            id="malformed-url-in-file",
        ),
    ],
)
def test_bad_study_file_writes_nothing(
    invoke: Invoke,
    one_line_error: Check,
    branin: Path,
    tmp_path: Path,
    db: str,
    edit: tuple[str, str],
    expected: str,
) -> None:
    old, new = edit
    text = branin.read_text()
    assert old in text
    branin.write_text(text.replace(old, new, 1))
    message = one_line_error(invoke("run", str(branin), "--storage", db))
    assert message.startswith(f"{branin}: ") and expected in message
    assert not (tmp_path / "runs.db").exists()
    assert not (tmp_path / "paramscope.db").exists()


def test_missing_study_file(invoke: Invoke, one_line_error: Check, tmp_path: Path) -> None:
    assert "no such study file" in one_line_error(invoke("run", "nope.toml"))
    assert not (tmp_path / "paramscope.db").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{study}", "--budget", "0"],
        ["run", "{study}", "--workers", "0"],
        ["run", "{study}", "--budget", "-4"],
    ],
)
def test_bad_counts_on_the_command_line(
    invoke: Invoke, one_line_error: Check, branin: Path, db: str, tmp_path: Path, args: list[str]
) -> None:
    argv = [a.replace("{study}", str(branin)) for a in args]
    message = one_line_error(invoke(*argv, "--storage", db))
    assert message == f"{argv[2]}: expected an integer > 0, got {argv[3]}"
    assert not (tmp_path / "runs.db").exists()


@pytest.mark.parametrize(
    "url", ["mysql://me@db/x", "sqlite//runs.db", "sqlite://host/runs.db", "not a url"]
)
@pytest.mark.parametrize("command", ["run", "status", "trials", "worker"])
def test_malformed_storage_url(
    invoke: Invoke, one_line_error: Check, branin: Path, tmp_path: Path, url: str, command: str
) -> None:
    args = {"run": [str(branin)], "status": [], "trials": ["--study", "branin"]}
    argv = [command, *args.get(command, ["--study", "branin"]), "--storage", url]
    message = one_line_error(invoke(*argv))
    assert message.startswith("storage: expected 'sqlite:///path.db'"), message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["branin"]


def test_missing_study_lists_existing_ones(
    invoke: Invoke, one_line_error: Check, db: str, snapshot: Callable[[str], Any]
) -> None:
    for name in ("alpha", "beta"):
        Study.create(name, ps.Space({"x": ps.Float(0.0, 1.0)}), storage=db).close()
    before = snapshot(db)
    for command in ("status", "best", "trials", "worker"):
        message = one_line_error(invoke(command, "--study", "nope", "--storage", db))
        assert message.startswith("study 'nope' not found") and "alpha, beta" in message
    assert snapshot(db) == before


def test_missing_database_is_not_created(
    invoke: Invoke, one_line_error: Check, tmp_path: Path
) -> None:
    message = one_line_error(invoke("status", "--study", "nope"))
    assert "does not exist yet; studies there: none" in message
    result = invoke("status")
    assert result.exit_code == 0 and "does not exist yet" in result.stdout
    assert not (tmp_path / "paramscope.db").exists()


def test_existing_name_with_a_different_space(
    invoke: Invoke, one_line_error: Check, branin: Path, db: str, snapshot: Callable[[str], Any]
) -> None:
    study = Study.create(
        "branin", ps.Space({"x": ps.Float(0.0, 1.0)}), storage=db, sampler="random"
    )
    study.optimize(lambda p: p["x"], 2, executor="inline")
    study.close()
    before = snapshot(db)
    message = one_line_error(invoke("run", str(branin), "--storage", db))
    assert "branin" in message and "space" in message
    assert snapshot(db) == before


def test_worker_needs_a_stored_objective_and_budget(
    invoke: Invoke, one_line_error: Check, db: str, snapshot: Callable[[str], Any]
) -> None:
    Study.create("py", ps.Space({"x": ps.Float(0.0, 1.0)}), storage=db).close()
    before = snapshot(db)
    assert "no stored objective" in one_line_error(
        invoke("worker", "--study", "py", "--storage", db)
    )
    assert snapshot(db) == before


def test_usage_errors_are_one_line_too(invoke: Invoke, one_line_error: Check) -> None:
    message = one_line_error(invoke("trials", "--study", "x", "--format", "xml"))
    assert "'xml' is not one of 'table', 'csv', 'json'" in message
    assert "paramscope trials --help" in message
    assert "Missing option '--study'" in one_line_error(invoke("best"))


def test_end_to_end_exit_codes_and_stderr(branin: Path, tmp_path: Path) -> None:
    """The installed console script: exit 2 and one stderr line, nothing created."""
    branin.write_text(branin.read_text().replace("budget = 40", "budget = 0"))
    command = [sys.executable, "-c", "from paramscope.cli import main; main()"]
    done = subprocess.run(
        [*command, "run", str(branin)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr == f"error: {branin}: study.budget: expected an integer > 0, got 0\n"
    assert done.stdout == ""
    assert not (tmp_path / "paramscope.db").exists()
    version = subprocess.run([*command, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("paramscope, version")
