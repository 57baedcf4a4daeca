"""Failures survived on PostgreSQL: SIGKILLed and restarted workers, the server restarting.

Both tests keep a ledger: the objective appends ``pid number value`` to a file once it has its
result, so a result that a surviving process computed but the study does not hold is a lost one.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from paramscope.execution.loop import RunPlan, WorkerLoop
from paramscope.samplers import make_sampler
from paramscope.space import Float, Space
from paramscope.storage import SQLStorage
from paramscope.storage.base import StudyOptions, StudySpec
from paramscope.storage.spool import SPOOL_ENV_VAR
from paramscope.trial import Trial, TrialState

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(240)]

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
OPTIONS = StudyOptions(heartbeat_interval=0.3, grace=2.0, retries=2)
OBJECTIVE = """
import os, time

LEDGER = os.environ["CHAOS_LEDGER"]


def fn(params, trial):
    time.sleep(float(os.environ.get("CHAOS_SLEEP", "0.01")))
    value = params["x"] + 2.0 * params["y"]
    with open(LEDGER, "a") as ledger:
        ledger.write(f"{os.getpid()} {trial.number} {value!r}\\n")
    return value
"""


def _ledger(path: Path) -> list[tuple[int, int, float]]:
    if not path.exists():
        return []
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    return [(int(pid), int(number), float(value)) for pid, number, value in rows]


def _check_study(
    trials: list[Trial], budget: int, ledger: list[tuple[int, int, float]], survivors: set[int]
) -> None:
    """Exactly ``budget`` complete, gap-free unique numbers, distinct params, values right, and
    every result a surviving process computed is in the study."""
    assert [t.number for t in trials] == list(range(len(trials)))
    complete = {t.number: t for t in trials if t.state == TrialState.COMPLETE}
    assert len(complete) == budget
    for trial in complete.values():
        assert trial.value == pytest.approx(trial.params["x"] + 2.0 * trial.params["y"])
    assert len({(t.params["x"], t.params["y"]) for t in complete.values()}) == budget  # distinct
    for trial in trials:
        assert trial.state in (TrialState.COMPLETE, TrialState.FAILED), trial
        if trial.state == TrialState.FAILED:
            assert (trial.error or "").startswith("worker lost"), trial.error
    lost = [(pid, n) for pid, n, v in ledger if pid in survivors and n not in complete]
    assert lost == []
    for pid, number, value in ledger:
        if number in complete and pid in survivors:
            assert complete[number].value == pytest.approx(value)


def _worker_command(study: str, url: str) -> list[str]:
    script = Path(sys.executable).with_name("paramscope")
    return [str(script), "worker", "--study", study, "--storage", url]


def test_killed_and_restarted_workers_lose_nothing(postgresql_server: Any, tmp_path: Path) -> None:
    """8 ``paramscope worker`` processes, 500 trials; workers SIGKILLed at random and restarted."""
    budget, n_workers = 500, 8
    url = postgresql_server.fresh_database()
    (tmp_path / "chaos_objective.py").write_text(OBJECTIVE)
    ledger = tmp_path / "ledger.txt"
    with SQLStorage(url) as storage:
        spec = StudySpec(
            "chaos",
            SPACE,
            sampler="random",
            seed=0,
            options=OPTIONS,
            objective={"function": "chaos_objective:fn", "cwd": str(tmp_path)},
        )
        storage.create_study(spec)
        storage.set_options("chaos", OPTIONS)
    env = os.environ | {"CHAOS_LEDGER": str(ledger), SPOOL_ENV_VAR: str(tmp_path / "spool")}
    command = _worker_command("chaos", url)
    budget_flag = ["--budget", str(budget)]

    def start() -> subprocess.Popen[bytes]:
        with (tmp_path / f"worker-{len(workers)}.err").open("wb") as err:
            return subprocess.Popen(
                command + budget_flag, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=err
            )

    rng = random.Random(8)
    workers: list[subprocess.Popen[bytes]] = []
    for _ in range(n_workers):
        workers.append(start())
    killed: set[int] = set()
    with SQLStorage(url) as storage:
        for at in sorted(rng.uniform(0.15, 0.8) * budget for _ in range(6)):
            while storage.counts("chaos")[TrialState.COMPLETE] < at:
                time.sleep(0.05)
            alive = [w for w in workers if w.poll() is None]
            if not alive:
                break
            victim = rng.choice(alive)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            killed.add(victim.pid)
            workers.append(start())
        codes = [w.wait(timeout=180) for w in workers if w.pid not in killed]
        errors = [p.read_text()[-800:] for p in tmp_path.glob("worker-*.err")]
        assert codes == [0] * len(codes), [e for e in errors if "Traceback" in e]
        trials = storage.trials("chaos")
    assert killed, "no worker was killed: the study ended before the first kill"
    survivors = {w.pid for w in workers} - killed
    _check_study(trials, budget, _ledger(ledger), survivors)
    reaped = [t for t in trials if t.state == TrialState.FAILED]
    assert len(reaped) <= len(killed)


def _pg_ctl(datadir: str, *args: str) -> None:
    """Run pg_ctl on a data directory, as the postgres user when the tests run as root."""
    pg_ctl = max(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    command = [str(pg_ctl), *args, "-D", datadir, "-w"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def _restartable(server: Any) -> Callable[[float], None]:
    """``bounce(seconds)``: stop the test server, wait, start it again on the same port."""
    if os.environ.get("PARAMSCOPE_TEST_POSTGRESQL_URL"):
        pytest.skip("the server is external: the test cannot restart it")
    if not list(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")):
        pytest.skip("pg_ctl not found")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("runuser missing")
    row = None
    for _ in range(50):  # a server just started may still say "the database system is starting up"
        try:
            with psycopg.connect(
                host=server.host,
                port=server.port,
                user=server.user,
                password=server.password,
                dbname=server.admin_db,
            ) as conn:
                row = conn.execute("SHOW data_directory").fetchone()
            break
        except psycopg.OperationalError:
            time.sleep(0.2)
    assert row is not None
    datadir = str(row[0])
    log = str(Path(datadir).parent / "restart.log")

    def bounce(down: float) -> None:
        _pg_ctl(datadir, "stop", "-m", "fast")
        try:
            time.sleep(down)
        finally:  # restart on a stopped server starts it with the options of its last start
            _pg_ctl(datadir, "restart", "-l", log)

    return bounce


def test_database_restart_mid_study_loses_no_result(
    postgresql_server: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server stops for 4 s mid-study; storages give up after 1 s, so results are spooled."""
    bounce = _restartable(postgresql_server)
    budget, n_workers = 120, 4
    url = postgresql_server.fresh_database()
    monkeypatch.setenv(SPOOL_ENV_VAR, str(tmp_path / "spool"))
    caplog.set_level(logging.WARNING, logger="paramscope")
    ledger = tmp_path / "ledger.txt"
    lock = threading.Lock()

    def fn(params: dict[str, float], trial: Any) -> float:
        time.sleep(0.04)
        value = params["x"] + 2.0 * params["y"]
        with lock, ledger.open("a") as handle:
            handle.write(f"{os.getpid()} {trial.number} {value!r}\n")
        return value

    spec = StudySpec("bounce", SPACE, sampler="random", seed=0, options=OPTIONS)
    with SQLStorage(url, patience=1.0) as storage:
        spec = storage.create_study(spec)
    plan = RunPlan(budget=budget, outage=60.0)
    storages = [SQLStorage(url, patience=1.0) for _ in range(n_workers)]
    loops = [
        WorkerLoop(s, spec, make_sampler("random"), worker=f"w{i}") for i, s in enumerate(storages)
    ]
    failures: list[BaseException] = []

    def run(loop: WorkerLoop) -> None:
        try:
            loop.run(fn, plan)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(loop,)) for loop in loops]
    for thread in threads:
        thread.start()
    with SQLStorage(url) as watcher:
        while watcher.counts("bounce")[TrialState.COMPLETE] < budget // 3:
            time.sleep(0.05)
    bounce(4.0)
    for thread in threads:
        thread.join(timeout=150)
    assert failures == []
    spooled = list((tmp_path / "spool").glob("*.jsonl"))
    with SQLStorage(url) as storage:
        trials = storage.trials("bounce")
    for s in storages:
        s.close()
    _check_study(trials, budget, _ledger(ledger), {os.getpid()})
    assert spooled == [], [p.read_text() for p in spooled]  # every spooled result was written
    assert any("kept in" in r.getMessage() for r in caplog.records)  # the spool was used
    assert any("available again" in r.getMessage() for r in caplog.records)
