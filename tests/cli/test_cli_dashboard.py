"""``paramscope dashboard``: token generation, bad storage, and what reaches the server."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import paramscope as ps
from paramscope.cli import dashboard as dashboard_cli


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record the options instead of serving (the real server blocks until Ctrl-C)."""
    calls: list[Any] = []
    monkeypatch.setattr(dashboard_cli, "serve", calls.append)
    monkeypatch.delenv("PARAMSCOPE_DASHBOARD_TOKEN", raising=False)
    return calls


@pytest.fixture
def existing(db: str) -> str:
    study = ps.Study.create("s", ps.Space({"x": ps.Float(0.0, 1.0)}), storage=db, sampler="random")
    study.close()
    return db


def test_binding_every_interface_prints_a_generated_token(
    invoke: Any, served: list[Any], existing: str
) -> None:
    result = invoke("dashboard", "--storage", existing, "--host", "0.0.0.0", "--port", "9000")
    assert result.exit_code == 0, result.output
    match = re.search(r"^token: (\S+)", result.output, re.M)
    assert match is not None, result.output
    token = match.group(1)
    assert len(token) >= 32 and f"?token={token}" in result.output
    assert result.output.count(token) == 2  # the token line and the login link, once each
    (options,) = served
    assert options.policy.token == token and options.policy.host == "0.0.0.0"
    assert options.port == 9000 and not options.policy.allow_writes


def test_local_default_is_read_only_without_token(
    invoke: Any, served: list[Any], existing: str
) -> None:
    result = invoke("dashboard", "--storage", existing)
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8080/" in result.output and "read-only" in result.output
    assert "token" not in result.output
    assert served[0].policy.token is None


def test_a_given_token_is_used_and_not_printed_as_generated(
    invoke: Any, served: list[Any], existing: str
) -> None:
    token = "a-token-of-my-own-choosing"
    env = {"PARAMSCOPE_DASHBOARD_TOKEN": token}
    result = invoke("dashboard", "--storage", existing, "--host", "0.0.0.0", env=env)
    assert result.exit_code == 0, result.output
    assert "generated" not in result.output and served[0].policy.token == token
    result = invoke("dashboard", "--storage", existing, "--allow-writes", "--token", token)
    assert served[1].policy.allow_writes and "writes allowed" in result.output


def test_allow_host_adds_a_proxy_name_to_the_accepted_hosts(
    invoke: Any, served: list[Any], existing: str
) -> None:
    result = invoke("dashboard", "--storage", existing, "--allow-host", "Runs.Example.org")
    assert result.exit_code == 0, result.output
    allowed = served[0].policy.allowed_hosts()
    assert "runs.example.org" in allowed and "127.0.0.1" in allowed
    assert "evil.example.com" not in allowed


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--allow-host", "http://x.org/"], "--allow-host: expected a host name"),
        (["--storage", "mysql://u@h/db"], "storage: expected 'sqlite:///path.db'"),
        (["--storage", "sqlite://"], "--storage: expected a database file or server"),
        (["--token", "short"], "--token: expected at least 16 characters"),
        (["--port", "0"], "--port"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    invoke: Any,
    served: list[Any],
    existing: str,
    one_line_error: Any,
    args: list[str],
    expected: str,
) -> None:
    storage = [] if "--storage" in args else ["--storage", existing]
    message = one_line_error(invoke("dashboard", *storage, *args))
    assert expected in message
    assert served == []


def test_a_missing_database_is_not_created(
    invoke: Any, served: list[Any], tmp_path: Path, one_line_error: Any
) -> None:
    target = tmp_path / "none.db"
    message = one_line_error(invoke("dashboard", "--storage", f"sqlite:///{target}"))
    assert "does not exist yet" in message and not target.exists()
