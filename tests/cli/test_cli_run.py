"""CLI run, worker, status, best, trials: the branin example end to end on a SQLite file."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

import paramscope as ps
from paramscope.study import Study

Invoke = Callable[..., Result]
Check = Callable[..., str]
BRANIN_MIN = 0.397887


def paramscope(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``paramscope`` command in a fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "PARAMSCOPE_STORAGE"}
    command = [sys.executable, "-c", "from paramscope.cli import main; main()", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def ran(branin: Path, db: str, tmp_path: Path) -> str:
    """The branin example run for real: ``paramscope run study.toml --budget 6 --workers 2``."""
    done = paramscope(
        "run", str(branin), "--budget", "6", "--workers", "2", "--storage", db, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "study 'branin': complete 6" in done.stdout
    assert "best trial" in done.stdout and db in done.stdout
    assert "paramscope trials --study branin --storage" in done.stdout
    return db


def test_run_then_trials_as_json(invoke: Invoke, ran: str) -> None:
    result = invoke("trials", "--study", "branin", "--storage", ran, "--format", "json")
    assert result.exit_code == 0, result.output
    trials = json.loads(result.stdout)
    assert [t["number"] for t in trials] == list(range(6))
    assert all(t["state"] == "complete" for t in trials)
    for trial in trials:
        assert set(trial) >= {"number", "params", "state", "values", "error", "duration"}
        assert set(trial["params"]) == {"x", "y"}
        assert trial["values"]["value"] >= BRANIN_MIN - 1e-6
        assert trial["error"] is None


def test_run_then_trials_as_csv_and_table(invoke: Invoke, ran: str) -> None:
    result = invoke("trials", "--study", "branin", "--storage", ran, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == [
        "number",
        "state",
        "value",
        "params.x",
        "params.y",
        "values.value",
        "error",
        "duration",
    ]
    assert len(rows) == 6 and {r["state"] for r in rows} == {"complete"}
    assert all(float(r["value"]) == float(r["values.value"]) for r in rows)
    table = invoke("trials", "--study", "branin", "--storage", ran)
    assert table.exit_code == 0 and "6 trials of 'branin'" in table.stdout
    failed = invoke(
        "trials", "--study", "branin", "--storage", ran, "--state", "failed", "--format", "json"
    )
    assert json.loads(failed.stdout) == []


def test_run_then_best_and_status(invoke: Invoke, ran: str) -> None:
    trials = json.loads(
        invoke("trials", "--study", "branin", "--storage", ran, "--format", "json").stdout
    )
    result = invoke("best", "--study", "branin", "--storage", ran, "--json")
    assert result.exit_code == 0, result.output
    best = json.loads(result.stdout)
    assert best["values"]["value"] == min(t["values"]["value"] for t in trials)
    assert invoke("best", "--study", "branin", "--storage", ran).exit_code == 0
    listing = invoke("status", "--storage", ran)
    assert listing.exit_code == 0 and "branin" in listing.stdout
    from_env = invoke("status", env={"PARAMSCOPE_STORAGE": ran})
    assert from_env.exit_code == 0 and "branin" in from_env.stdout
    one = invoke("status", "--study", "branin", "--storage", ran)
    assert one.exit_code == 0 and "finished: 6 / 6" in one.stdout


def test_worker_joins_a_study_created_by_run(invoke: Invoke, ran: str) -> None:
    result = invoke("worker", "--study", "branin", "--storage", ran, "--budget", "9")
    assert result.exit_code == 0, result.output
    assert "resuming study 'branin'" in result.stdout
    study = Study.load("branin", storage=ran)
    assert sum(t.state == "complete" for t in study.trials) == 9
    assert study.spec.options.budget == 9
    study.close()
    again = invoke("worker", "--study", "branin", "--storage", ran)
    assert again.exit_code == 0 and "already has 9 finished trials" in again.stdout


def test_rerun_resumes_until_the_new_budget(invoke: Invoke, branin: Path, db: str) -> None:
    first = invoke("run", str(branin), "--budget", "3", "--workers", "1", "--storage", db)
    assert first.exit_code == 0, first.output
    second = invoke("run", str(branin), "--budget", "5", "--workers", "1", "--storage", db)
    assert second.exit_code == 0, second.output
    assert "resuming study 'branin'" in second.stdout
    assert "complete 5" in second.stdout


def test_failing_command_stops_the_run_with_exit_1(
    invoke: Invoke, one_line_error: Check, branin: Path, db: str
) -> None:
    script = branin.parent / "branin.py"
    script.write_text("import sys\nsys.exit('boom: no result')\n")
    result = invoke("run", str(branin), "--budget", "3", "--workers", "1", "--storage", db)
    message = one_line_error(result, 1)
    assert "3 trials failed" in message and "--state failed" in message
    failed = invoke(
        "trials", "--study", "branin", "--storage", db, "--format", "json", "--state", "failed"
    )
    assert len(json.loads(failed.stdout)) == 3


def test_best_of_a_study_without_complete_trials(
    invoke: Invoke, one_line_error: Check, db: str
) -> None:
    Study.create("empty", ps.Space({"x": ps.Float(0.0, 1.0)}), storage=db).close()
    assert "no complete trial yet" in one_line_error(
        invoke("best", "--study", "empty", "--storage", db), 1
    )
