"""The Dask executor: exact budgets, trials in flight, live trials, lost workers, clear errors."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.execution.dask import DaskExecutor, is_dask_target
from paramscope.storage.base import StudyOptions

distributed = pytest.importorskip("distributed")
dask = pytest.importorskip("dask")

pytestmark = pytest.mark.timeout(180)

SPACE = ps.Space({"x": ps.Float(-2.0, 2.0), "y": ps.Float(0.0, 1.0)})


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """A Client on an in-process LocalCluster: 2 workers of 1 thread, reachable over TCP."""
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        dashboard_address=None,
    )
    with distributed.Client(cluster) as opened:
        yield opened
    cluster.close()


def _study(tmp_path: Path, name: str = "dask", **kwargs: Any) -> ps.Study:
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    return ps.Study.create(name, SPACE, storage=url, sampler="random", seed=0, **kwargs)


_LOCK = threading.Lock()
_RUNNING = {"now": 0, "peak": 0}


def _counted(params: dict[str, float]) -> float:
    """Counts the trials running at once (the in-process cluster shares this module)."""
    with _LOCK:
        _RUNNING["now"] += 1
        _RUNNING["peak"] = max(_RUNNING["peak"], _RUNNING["now"])
    time.sleep(0.02)
    with _LOCK:
        _RUNNING["now"] -= 1
    return params["x"] ** 2 + params["y"]


def test_dask_runs_an_exact_budget_with_the_cluster_s_threads_in_flight(
    client: Any, tmp_path: Path
) -> None:
    fn = _counted
    study = _study(tmp_path)
    study.optimize(fn, budget=30, executor=client)
    trials = study.trials
    assert [t.number for t in trials] == list(range(30))
    assert all(t.state == ps.TrialState.COMPLETE for t in trials)
    assert all(t.value == pytest.approx(t.params["x"] ** 2 + t.params["y"]) for t in trials)
    assert len({(t.params["x"], t.params["y"]) for t in trials}) == 30  # distinct suggestions
    assert _RUNNING["peak"] == 2  # the cluster has 2 threads: 2 trials in flight, never more
    study.optimize(fn, budget=35, executor=client)  # resuming adds up to the new total
    assert study.counts()[ps.TrialState.COMPLETE] == 35
    study.close()


def test_dask_url_and_workers_set_the_slots(client: Any, tmp_path: Path) -> None:
    address = client.scheduler.address.removeprefix("tcp://")
    study = _study(tmp_path)
    study.optimize(lambda p: p["x"], budget=6, executor=f"dask://{address}", workers=3)
    assert study.counts()[ps.TrialState.COMPLETE] == 6
    runner = DaskExecutor.connect(client, workers=3)
    assert runner.slots == 3
    assert not runner.owned
    study.close()


def test_objective_errors_become_failed_trials_on_dask(client: Any, tmp_path: Path) -> None:
    def fn(params: dict[str, float]) -> float:
        if params["x"] < 0:
            raise ValueError("negative x")
        return params["x"]

    study = _study(tmp_path)
    study.optimize(fn, budget=5, executor=client)
    failed = [t for t in study.trials if t.state == ps.TrialState.FAILED]
    assert study.counts()[ps.TrialState.COMPLETE] == 5
    assert failed
    assert all("ValueError: negative x" in (t.error or "") for t in failed)
    study.close()


def _reporting(params: dict[str, float], trial: Any) -> float:
    loss = 1.0
    for epoch in range(6):
        loss = params["x"] ** 2 + 1.0 / (epoch + 1)
        trial.report(epoch, loss)
        if trial.should_stop():
            break
    return loss


def test_live_trials_report_and_stop_early_on_dask(client: Any, tmp_path: Path) -> None:
    study = _study(tmp_path, stopping="median")
    study.optimize(_reporting, budget=16, executor=client)
    trials = study.trials
    finished = [t for t in trials if t.state in (ps.TrialState.COMPLETE, ps.TrialState.STOPPED)]
    assert len(finished) == 16
    assert all(len(t.reports) >= 1 for t in finished)
    assert any(t.state == ps.TrialState.STOPPED for t in trials)  # the rule stopped some
    study.close()


def test_live_trials_need_a_storage_the_dask_workers_can_open(client: Any) -> None:
    study = ps.Study.create("mem", SPACE, storage="sqlite://", sampler="random", seed=0)
    with pytest.raises(ConfigError, match=r"live trial .* in-memory 'sqlite://'"):
        study.optimize(_reporting, budget=2, executor=client)
    assert study.counts()[ps.TrialState.RUNNING] == 0


def test_an_objective_dask_cannot_send_is_a_config_error(client: Any, tmp_path: Path) -> None:
    lock = threading.Lock()
    study = _study(tmp_path)
    with pytest.raises(ConfigError, match="objective: cannot be sent to the Dask workers"):
        study.optimize(lambda p: float(bool(lock)), budget=2, executor=client)
    assert study.trials == []
    study.close()


def test_bad_dask_targets_and_missing_dask_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert is_dask_target("dask://h:8786")
    assert not is_dask_target("threads")
    study = _study(tmp_path)
    with pytest.raises(
        ConfigError, match=r"expected 'dask://host:port' or a Client, got 'dask://'"
    ):
        study.optimize(lambda p: 0.0, budget=1, executor="dask://")
    with pytest.raises(ConfigError, match="a Dask Client or 'dask://host:port', got 'gpu'"):
        study.optimize(lambda p: 0.0, budget=1, executor="gpu")
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ConfigError, match=r"install it with pip install 'paramscope\[dask\]'"):
        study.optimize(lambda p: 0.0, budget=1, executor="dask://h:8786")
    assert study.trials == []
    study.close()


DIES_ONCE = """
import os
from pathlib import Path


def dies_once(params):
    flag = Path(os.environ["PARAMSCOPE_TEST_FLAG"])
    if not flag.exists():
        flag.write_text("died")
        os._exit(1)  # the Dask worker process dies mid-trial
    return params["x"]
"""


@pytest.mark.slow
def test_a_lost_dask_worker_fails_its_trial_with_the_reason_and_requeues_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The objective lives in a module that the worker processes can import too.
    (tmp_path / "paramscope_dies_once.py").write_text(DIES_ONCE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), *sys.path]))
    monkeypatch.setenv("PARAMSCOPE_TEST_FLAG", str(tmp_path / "flag"))
    from paramscope_dies_once import dies_once  # type: ignore[import-not-found]

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        study = _study(tmp_path, options=StudyOptions(retries=1))
        study.optimize(dies_once, budget=4, executor=client)
    trials = study.trials
    lost = [t for t in trials if t.state == ps.TrialState.FAILED]
    assert len(lost) == 1
    assert (lost[0].error or "").startswith("Dask worker lost: KilledWorker")
    complete = [t for t in trials if t.state == ps.TrialState.COMPLETE]
    assert len(complete) == 4
    assert dict(lost[0].params) in [dict(t.params) for t in complete]  # re-queued, then run
    study.close()
