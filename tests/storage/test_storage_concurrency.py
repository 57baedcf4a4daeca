"""SQLStorage under real concurrency on both backends: racing processes, killed workers, threads."""

from __future__ import annotations

import multiprocessing as mp
import os
import random
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from multiprocessing.synchronize import Event
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from paramscope.storage import SQLStorage
from paramscope.storage.base import AskStatus, Outcome, StudyOptions, StudySpec
from paramscope.storage.engine import head_revision
from paramscope.storage.schema import VERSION_TABLE
from paramscope.trial import TrialState

pytestmark = pytest.mark.timeout(120)

FORK = mp.get_context("fork")
WORKERS = 4
SpecFactory = Callable[..., StudySpec]


def _run_processes(target: Callable[..., None], *args: object) -> None:
    """Start WORKERS processes on ``target(index, *args)`` and check they all exit cleanly."""
    processes = [FORK.Process(target=target, args=(i, *args)) for i in range(WORKERS)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=90)
    assert [p.exitcode for p in processes] == [0] * WORKERS


def _optimize_until_done(index: int, storage: SQLStorage, budget: int) -> None:
    """A worker loop: ask, propose params when asked to, tell complete; wait while the budget is
    taken by running trials; stop at DONE. Uses the storage inherited over fork on purpose."""
    rng = random.Random(index)
    worker = f"proc-{index}"
    while True:
        result = storage.ask("study", worker=worker, budget=budget)
        if result.status == AskStatus.NEED_PARAMS:
            params = {"x": rng.random(), "n": rng.randint(1, 8), "act": "relu"}
            result = storage.ask("study", worker=worker, budget=budget, params=params)
        if result.status == AskStatus.DONE:
            return
        if result.status == AskStatus.WAIT:
            time.sleep(0.005)
            continue
        assert result.trial is not None
        value = float(result.trial.params["x"])
        time.sleep(0.002)  # a little work, so every worker gets to race for the lock
        storage.tell("study", result.trial.number, Outcome(TrialState.COMPLETE, {"value": value}))


def test_racing_workers_fill_the_budget_exactly(storage: SQLStorage, spec: SpecFactory) -> None:
    budget = 200
    storage.create_study(spec())
    _run_processes(_optimize_until_done, storage, budget)
    trials = storage.trials("study")
    assert [t.number for t in trials] == list(range(len(trials)))
    assert storage.counts("study")[TrialState.COMPLETE] == budget
    assert len(trials) == budget
    assert not [t for t in trials if t.state != TrialState.COMPLETE]
    assert len({t.worker for t in trials}) > 1


def _claim_queued(index: int, url: str, claimed: mp.Queue[tuple[int, int]]) -> None:
    storage = SQLStorage(url)
    while True:
        result = storage.ask("study", worker=f"proc-{index}", budget=None)
        if result.status == AskStatus.NEED_PARAMS:
            break
        assert result.trial is not None
        claimed.put((index, result.trial.number))
        storage.tell("study", result.trial.number, Outcome(TrialState.COMPLETE, {"value": index}))
    storage.close()


def test_each_enqueued_trial_is_claimed_exactly_once(
    storage: SQLStorage, storage_url: str, spec: SpecFactory, params: dict[str, object]
) -> None:
    storage.create_study(spec())
    for _ in range(50):
        storage.enqueue("study", params)
    claimed: mp.Queue[tuple[int, int]] = FORK.Queue()
    _run_processes(_claim_queued, storage_url, claimed)
    numbers = [claimed.get(timeout=5)[1] for _ in range(50)]
    assert claimed.empty()
    assert sorted(numbers) == list(range(50))
    trials = storage.trials("study")
    assert len(trials) == 50
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all(t.value == int(str(t.worker).removeprefix("proc-")) for t in trials)


def _claim_and_hang(url: str, ready: Event) -> None:
    storage = SQLStorage(url)
    result = storage.ask(
        "study", worker="doomed", budget=None, params={"x": 0.9, "n": 2, "act": "tanh"}
    )
    assert result.status == AskStatus.CLAIMED
    ready.set()
    time.sleep(60)


def test_a_killed_worker_is_reaped_and_nothing_else_is_lost(
    storage: SQLStorage, storage_url: str, spec: SpecFactory, params: dict[str, object]
) -> None:
    options = StudyOptions(heartbeat_interval=0.1, grace=0.5, retries=1)
    storage.create_study(spec(options=options))
    done = storage.ask("study", worker="ok", budget=None, params=params).trial
    assert done is not None
    ready = FORK.Event()
    child = FORK.Process(target=_claim_and_hang, args=(storage_url, ready))
    child.start()
    assert ready.wait(timeout=30)
    alive = storage.ask("study", worker="ok", budget=None, params=params).trial
    assert alive is not None
    os.kill(child.pid or 0, signal.SIGKILL)
    child.join(timeout=10)
    assert child.exitcode == -signal.SIGKILL
    storage.tell("study", done.number, Outcome(TrialState.COMPLETE, {"value": 1.0}))

    deadline = time.monotonic() + 0.7
    while time.monotonic() < deadline:  # the live worker keeps beating, the dead one cannot
        storage.heartbeat("study", [alive.number])
        time.sleep(options.heartbeat_interval)
    reaped = storage.reap("study", grace=options.grace, retries=options.retries)
    assert [(t.worker, t.state, t.params["x"]) for t in reaped] == [
        ("doomed", TrialState.FAILED, 0.9)
    ]
    assert reaped[0].error == "worker lost: no heartbeat for 0.5 s (worker doomed)"
    states = {t.number: (t.state, t.retry_of) for t in storage.trials("study")}
    lost = reaped[0].number
    assert states == {
        done.number: (TrialState.COMPLETE, None),
        lost: (TrialState.FAILED, None),
        alive.number: (TrialState.RUNNING, None),
        3: (TrialState.QUEUED, lost),
    }
    storage.tell("study", alive.number, Outcome(TrialState.COMPLETE, {"value": 2.0}))
    assert storage.trial("study", alive.number).value == 2.0


def _report_pool(storage: SQLStorage, pools: mp.Queue[int]) -> None:
    pools.put(id(storage._engine.pool))
    assert storage.list_studies() == []


def test_a_forked_child_does_not_reuse_the_parents_connections(storage: SQLStorage) -> None:
    assert storage.list_studies() == []  # the parent now holds a pooled connection
    pools: mp.Queue[int] = FORK.Queue()
    child = FORK.Process(target=_report_pool, args=(storage, pools))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert pools.get(timeout=5) != id(storage._engine.pool)
    assert storage.list_studies() == []


def _open(index: int, url: str) -> None:
    SQLStorage(url).close()


def test_processes_opening_a_fresh_database_at_once_migrate_it_once(storage_url: str) -> None:
    _run_processes(_open, storage_url)
    url = storage_url.replace("postgresql://", "postgresql+psycopg://")
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    engine.dispose()
    assert rows == [(head_revision(),)]


def test_threads_share_an_in_memory_storage(spec: SpecFactory) -> None:
    storage = SQLStorage("sqlite://")
    storage.create_study(spec())

    def work(index: int) -> None:
        for _ in range(25):
            params = {"x": 0.5, "n": index + 1, "act": "relu"}
            trial = storage.ask("study", worker=f"t{index}", budget=None, params=params).trial
            assert trial is not None
            storage.report("study", trial.number, 0, 1.0)
            storage.tell("study", trial.number, Outcome(TrialState.COMPLETE, {"value": 1.0}))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    trials = storage.trials("study")
    assert [t.number for t in trials] == list(range(100))
    assert all(t.state == TrialState.COMPLETE and t.reports == {0: 1.0} for t in trials)
    storage.close()


def test_sqlite_writers_queue_for_the_lock_while_readers_go_on(
    tmp_path: Path, spec: SpecFactory
) -> None:
    storage = SQLStorage(f"sqlite:///{tmp_path / 'locked.db'}")
    storage.create_study(spec())
    blocker = sqlite3.connect(tmp_path / "locked.db", isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.5, blocker.execute, args=("COMMIT",))
    timer.start()
    started = time.monotonic()
    assert storage.counts("study")[TrialState.QUEUED] == 0  # WAL: a read never waits
    read = time.monotonic() - started
    trial = storage.enqueue("study", {"x": 0.1, "n": 1, "act": "relu"})  # waits for COMMIT
    written = time.monotonic() - started
    timer.join()
    blocker.close()
    storage.close()
    assert read < 0.3
    assert trial.number == 0
    assert written >= 0.45
