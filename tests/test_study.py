"""Study: ask/tell/enqueue, optimize with an exact budget, failures as data, resume, seeds."""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import paramscope as ps
from paramscope.errors import ConfigError, StudyExistsError, StudyNotFoundError, TrialStateError
from paramscope.storage.base import StudyOptions
from paramscope.trial import TrialState

SPACE = ps.Space({"x": ps.Float(-5.0, 5.0), "n": ps.Int(1, 4), "k": ps.Choice(["a", "b"])})


def quadratic(params: dict[str, Any]) -> float:
    return (params["x"] - 1.0) ** 2 + params["n"] + (params["k"] == "b")


def busy_quadratic(params: dict[str, Any]) -> float:
    time.sleep(0.002)  # a little work, so every worker takes part in the race
    return quadratic(params)


def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runs.db"


def test_ask_tell_enqueue_round_trip(tmp_path: Path) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    queued = study.enqueue({"x": 0.5, "n": 2, "k": "a"})
    assert queued.state == TrialState.QUEUED and queued.number == 0
    first = study.ask()
    assert first.number == 0 and dict(first.params) == {"x": 0.5, "n": 2, "k": "a"}
    second = study.ask()
    assert second.number == 1 and second.state == TrialState.RUNNING
    assert study.tell(first, 0.42).values == {"value": 0.42}
    failed = study.tell(second, error="diverged")
    assert failed.state == TrialState.FAILED and failed.error == "diverged"
    with pytest.raises(TrialStateError):
        study.tell(first, 1.0)
    nan = study.tell(study.ask(), math.nan)
    assert nan.state == TrialState.FAILED and "NaN" in (nan.error or "")
    assert study.best is not None and study.best.number == 0
    study.close()


def test_optimize_reaches_the_exact_budget_and_resumes(tmp_path: Path) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="sobol", seed=1)
    study.optimize(quadratic, budget=6)
    assert study.counts()[TrialState.COMPLETE] == 6
    again = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="sobol", seed=1)
    again.optimize(quadratic, budget=10)  # study-wide: four more
    assert [t.number for t in again.trials] == list(range(10))
    assert ps.Study.load("s", storage=db(tmp_path)).best == again.best


def test_failures_are_data_and_the_study_goes_on(tmp_path: Path) -> None:
    outputs = iter([ValueError("bad"), math.nan, math.inf, "text", {"other": 1.0}, 3.0, 1.0])

    def flaky(params: dict[str, Any]) -> Any:
        out = next(outputs)
        if isinstance(out, Exception):
            raise out
        return out

    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    study.optimize(flaky, budget=2, executor="inline", max_failures=10)
    trials = study.trials
    assert [t.state for t in trials].count(TrialState.FAILED) == 5
    reasons = [t.error or "" for t in trials if t.state == TrialState.FAILED]
    assert reasons[0].startswith("objective raised ValueError: bad")
    assert "NaN" in reasons[1] and "inf" in reasons[2] and "expected a number" in reasons[3]
    assert "no key 'value'" in reasons[4]
    assert study.best is not None and study.best.value == 1.0


def test_an_always_failing_objective_stops_at_max_failures(tmp_path: Path) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    study.optimize(lambda p: 1 / 0, budget=5, max_failures=3)
    assert study.counts()[TrialState.FAILED] == 3


def test_seeded_runs_repeat_exactly(tmp_path: Path) -> None:
    runs = []
    for i in range(2):
        study = ps.Study.create(f"s{i}", SPACE, storage=db(tmp_path), sampler="random", seed=7)
        study.optimize(quadratic, budget=5)
        runs.append([dict(t.params) for t in study.trials])
    assert runs[0] == runs[1]


def test_live_trial_reports_are_stored(tmp_path: Path) -> None:
    def curve(params: dict[str, Any], trial: Any) -> float:
        for step in range(3):
            trial.report(step, 1.0 / (step + 1))
            assert trial.should_stop() is False
        return 0.25

    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    study.optimize(curve, budget=2)
    assert dict(study.trials[0].reports) == {0: 1.0, 1: 0.5, 2: 1.0 / 3}


def test_asked_trials_keep_beating(tmp_path: Path) -> None:
    options = StudyOptions(heartbeat_interval=0.1, grace=0.6)
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", options=options)
    trial = study.ask()
    time.sleep(1.0)
    study.storage.reap("s", grace=0.6, retries=0)
    assert study.tell(trial, 1.0).state == TrialState.COMPLETE
    study.close()


@pytest.mark.parametrize("executor", ["processes", "threads"])
def test_parallel_workers_share_one_exact_budget(tmp_path: Path, executor: str) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    study.optimize(busy_quadratic, budget=40, workers=4, executor=executor)
    trials = study.trials
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 40
    assert [t.number for t in trials] == list(range(len(trials)))
    assert len({t.worker for t in trials}) > 1


def test_minimize_and_maximize() -> None:
    result = ps.minimize(quadratic, SPACE, budget=12, seed=0, sampler="sobol")
    assert len(result.trials) == 12
    assert result.best is not None and result.best.value == min(t.value for t in result.trials)
    best = ps.maximize(lambda p: -((p["x"] - 1) ** 2), SPACE, budget=6, sampler="random").best
    assert best is not None and best.value is not None and best.value <= 0


def test_to_pandas(tmp_path: Path) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random", seed=0)
    study.optimize(lambda p: {"value": p["x"], "seconds": 0.5}, budget=3)
    frame = study.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) == 3
    assert {"number", "state", "value", "params.x", "params.k", "values.seconds"} <= set(frame)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"objectives": "minimise"}, "objectives.value: expected 'min' or 'max'"),
        ({"objectives": {}}, "objectives: expected"),
        ({"constraints": {"mem": ("<", 1.0)}}, "constraints.mem: expected"),
        ({"constraints": {"mem": ("<=", "x")}}, "constraints.mem: expected"),
        ({"sampler": "tpe"}, "sampler: expected one of"),
        ({"seed": 1.5}, "seed: expected an integer"),
    ],
)
def test_bad_study_arguments(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ps.Study.create("s", SPACE, storage=db(tmp_path), **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 0}, "budget: expected an integer > 0, got 0"),
        ({"budget": 2.5}, "budget: expected an integer > 0"),
        ({"budget": 3, "workers": 0}, "workers: expected an integer >= 1"),
        ({"budget": 3, "timeout": -1}, "timeout: expected"),
        ({"budget": 3, "executor": "gpu"}, "executor: expected one of"),
    ],
)
def test_bad_run_arguments_write_nothing(
    tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random")
    with pytest.raises(ConfigError, match=message):
        study.optimize(quadratic, **kwargs)
    assert study.trials == []


def test_name_clash_and_missing_study(tmp_path: Path) -> None:
    ps.Study.create("s", SPACE, storage=db(tmp_path))
    other = ps.Space({"y": ps.Float(0, 1)})
    with pytest.raises(StudyExistsError, match="'s' already exists"):
        ps.Study.create("s", other, storage=db(tmp_path))
    with pytest.raises(StudyNotFoundError, match="studies there: s"):
        ps.Study.load("nope", storage=db(tmp_path))


def _slow_worker(url: str, started: Any) -> None:
    study = ps.Study.load("s", storage=url)

    def slow(params: dict[str, Any]) -> float:
        started.set()
        time.sleep(60)
        return 0.0

    study.optimize(slow, budget=5)


def test_a_killed_worker_loses_only_its_running_trial(tmp_path: Path) -> None:
    url = db(tmp_path)
    options = StudyOptions(heartbeat_interval=0.1, grace=1.0)
    study = ps.Study.create("s", SPACE, storage=url, sampler="random", seed=0, options=options)
    study.optimize(quadratic, budget=3)
    started = multiprocessing.get_context("fork").Event()
    victim = multiprocessing.get_context("fork").Process(target=_slow_worker, args=(url, started))
    victim.start()
    assert started.wait(20)
    os.kill(victim.pid or 0, signal.SIGKILL)
    victim.join()
    assert study.counts()[TrialState.RUNNING] == 1
    time.sleep(1.2)
    study.optimize(quadratic, budget=5)  # reaps the dead worker's trial, then finishes the budget
    counts = study.counts()
    assert counts[TrialState.RUNNING] == 0
    assert counts[TrialState.COMPLETE] == 5 and counts[TrialState.FAILED] == 1
    lost = next(t for t in study.trials if t.state == TrialState.FAILED)
    assert lost.number == 3 and "worker lost" in (lost.error or "")


def test_ctrl_c_marks_the_running_trial_and_resume_finishes(tmp_path: Path) -> None:
    url = db(tmp_path)
    marker = tmp_path / "started"
    script = textwrap.dedent(
        f"""
        import pathlib, time
        import paramscope as ps
        space = ps.Space({{"x": ps.Float(0.0, 1.0)}})
        study = ps.Study.create("s", space, storage={url!r}, sampler="random", seed=0)
        def fn(params):
            if len(study.trials) >= 3:
                pathlib.Path({str(marker)!r}).touch()
                time.sleep(60)
            return params["x"]
        study.optimize(fn, budget=6)
        """
    )
    # An ignored SIGINT is inherited across exec (and other tests' clusters may leave it ignored):
    # restore the default so the child's Python installs its KeyboardInterrupt handler.
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stderr=subprocess.PIPE,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 120  # a loaded CI machine takes seconds just to import
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the study never reached its fourth trial"
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) != 0
    study = ps.Study.load("s", storage=url)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states
    interrupted = [t for t in study.trials if t.state == TrialState.FAILED]
    assert len(interrupted) == 1 and "interrupted" in (interrupted[0].error or "")
    study.optimize(lambda p: p["x"], budget=6)
    assert study.counts()[TrialState.COMPLETE] == 6


@pytest.mark.parametrize("sampler", ["random", "sobol"])
def test_parallel_workers_propose_each_number_once(tmp_path: Path, sampler: str) -> None:
    """Trial n gets the proposal made for n, whichever worker runs it: no duplicates."""
    serial = ps.Study.create("serial", SPACE, storage=db(tmp_path), sampler=sampler, seed=3)
    serial.optimize(quadratic, budget=30)
    parallel = ps.Study.create("parallel", SPACE, storage=db(tmp_path), sampler=sampler, seed=3)
    parallel.optimize(quadratic, budget=30, workers=4)
    by_number = {t.number: dict(t.params) for t in parallel.trials}
    assert by_number == {t.number: dict(t.params) for t in serial.trials}
    assert len({tuple(p.values()) for p in by_number.values()}) == 30


def test_storage_refuses_a_proposal_for_a_taken_number(tmp_path: Path) -> None:
    from paramscope.storage.base import AskStatus

    study = ps.Study.create("s", SPACE, storage=db(tmp_path), sampler="random")
    params = {"x": 0.0, "n": 1, "k": "a"}
    storage = study.storage
    first = storage.ask("s", worker="a", budget=None, params=params, expected_number=0)
    assert first.status == AskStatus.CLAIMED
    late = storage.ask("s", worker="b", budget=None, params=params, expected_number=0)
    assert late.status == AskStatus.CONFLICT
    assert len(study.trials) == 1


def test_four_processes_reach_an_exact_budget_of_200(storage_url: str) -> None:
    """The issue's acceptance run, on SQLite and on a real PostgreSQL server."""
    study = ps.Study.create("big", SPACE, storage=storage_url, sampler="random", seed=0)
    study.optimize(busy_quadratic, budget=200, workers=4)
    trials = study.trials
    assert sum(t.state == TrialState.COMPLETE for t in trials) == 200
    assert [t.number for t in trials] == list(range(len(trials)))
    assert TrialState.RUNNING not in {t.state for t in trials}
    assert len({t.worker for t in trials}) > 1
    assert len({tuple(t.params.values()) for t in trials}) == len(trials)
    study.close()
