"""A database that goes away: patient retries, the local result spool, idempotent tells, and a
worker loop that waits and goes on. (The real PostgreSQL restart is in test_pg_chaos.py.)"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from paramscope.errors import StorageError, TrialStateError
from paramscope.execution.loop import RunPlan, WorkerLoop
from paramscope.samplers import make_sampler
from paramscope.storage import SQLStorage
from paramscope.storage.base import AskResult, Outcome, StudySpec
from paramscope.storage.engine import is_unavailable, retrying
from paramscope.storage.spool import SPOOL_ENV_VAR, ResultSpool, SpooledResult
from paramscope.trial import Trial, TrialState

pytestmark = pytest.mark.timeout(60)
SpecFactory = Callable[..., StudySpec]


def _gone() -> StorageError:
    """The StorageError a dropped connection gives after the retries."""
    cause = OperationalError("SELECT 1", {}, Exception("connection refused"))
    try:
        raise StorageError("storage: telling failed: connection refused") from cause
    except StorageError as exc:
        return exc


def _complete(value: float) -> Outcome:
    return Outcome(TrialState.COMPLETE, {"value": value})


def test_retrying_waits_out_a_database_away_for_its_patience() -> None:
    calls = {"n": 0}

    def flaky() -> str:
        calls["n"] += 1
        if calls["n"] < 5:  # more failures than the attempts
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return "back"

    assert retrying(flaky, what="reading", attempts=2, patience=10.0) == "back"
    start, calls["n"] = time.monotonic(), -1000
    with pytest.raises(StorageError, match="reading failed after") as caught:
        retrying(flaky, what="reading", attempts=2, patience=0.5)
    assert 0.5 <= time.monotonic() - start < 5.0
    assert is_unavailable(caught.value)
    assert not is_unavailable(StorageError("storage: no such study"))


def test_telling_the_same_outcome_twice_is_harmless(
    storage: SQLStorage, spec: SpecFactory, params: dict[str, Any]
) -> None:
    storage.create_study(spec())
    storage.ask("study", worker="w", budget=None, params=params)
    first = storage.tell("study", 0, _complete(1.5))
    assert storage.tell("study", 0, _complete(1.5)) == first
    with pytest.raises(TrialStateError, match="already complete"):
        storage.tell("study", 0, _complete(2.5))


def test_a_spooled_result_is_written_when_the_database_answers(
    storage: SQLStorage, spec: SpecFactory, params: dict[str, Any], tmp_path: Path
) -> None:
    storage.create_study(spec())
    storage.ask("study", worker="w", budget=None, params=params)
    spool = ResultSpool(storage.url, "study", directory=tmp_path / "spool")
    spool.add(SpooledResult("study", 0, _complete(0.25)))
    assert [r.number for r in spool.pending()] == [0]

    class Away:
        def tell(self, study: str, number: int, outcome: Outcome) -> Trial:
            raise _gone()

    with pytest.raises(StorageError):
        spool.flush(Away())  # type: ignore[arg-type]
    assert [r.number for r in spool.pending()] == [0]  # still kept
    assert spool.flush(storage) == [0]
    assert storage.trial("study", 0).value == 0.25
    assert spool.pending() == []
    spool.close()
    assert list((tmp_path / "spool").iterdir()) == []


def _spool_and_die(url: str, directory: str) -> None:
    spool = ResultSpool(url, "study", directory=Path(directory))
    spool.add(SpooledResult("study", 0, _complete(0.75)))
    with spool.path.open("a") as handle:
        handle.write('{"study": "study", "num')  # killed in the middle of the next write
    os._exit(0)  # before it could write the result: the spool file stays behind


def test_a_dead_worker_s_spool_is_written_by_the_next_worker(
    storage: SQLStorage, spec: SpecFactory, params: dict[str, Any], tmp_path: Path
) -> None:
    storage.create_study(spec())
    storage.ask("study", worker="w", budget=None, params=params)
    storage.ask("study", worker="w", budget=None, params=params)
    storage.tell("study", 1, _complete(9.0))
    child = mp.get_context("fork").Process(target=_spool_and_die, args=(storage.url, tmp_path))
    child.start()
    child.join()
    # a live worker's own spool is never taken over
    mine = ResultSpool(storage.url, "study", directory=tmp_path)
    mine.add(SpooledResult("study", 1, _complete(5.0)))  # refused later: 1 ended differently
    other = ResultSpool(storage.url, "study", directory=tmp_path)
    assert other.flush(storage) == [0]
    assert storage.trial("study", 0).value == 0.75
    assert [r.number for r in mine.pending()] == [1]
    assert mine.flush(storage) == [1]  # no longer spooled, but kept aside:
    rejected = list(tmp_path.glob("*.rejected.jsonl"))
    assert len(rejected) == 1
    assert '"number": 1' in rejected[0].read_text()
    mine.close()
    other.close()


class _Outage(SQLStorage):
    """A storage whose database is away for its first asks and first tell."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.failing = {"ask": 2, "tell": 1}

    def _maybe_fail(self, what: str) -> None:
        if self.failing[what] > 0:
            self.failing[what] -= 1
            raise _gone()

    def ask(self, study: str, **kwargs: Any) -> AskResult:
        self._maybe_fail("ask")
        return super().ask(study, **kwargs)

    def tell(self, study: str, number: int, outcome: Outcome) -> Trial:
        self._maybe_fail("tell")
        return super().tell(study, number, outcome)


def test_the_worker_loop_waits_for_the_database_and_spools_what_it_cannot_write(
    spec: SpecFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SPOOL_ENV_VAR, str(tmp_path / "spool"))
    storage = _Outage(f"sqlite:///{tmp_path / 'runs.db'}")
    study = storage.create_study(spec(sampler="random", seed=0))
    loop = WorkerLoop(storage, study, make_sampler("random"))
    ran = loop.run(lambda p: p["x"], RunPlan(budget=4, outage=30.0))
    assert ran == 4
    trials = storage.trials("study")
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    assert trials[0].value == trials[0].params["x"]  # the spooled result was written
    assert storage.failing == {"ask": 0, "tell": 0}
    assert not list((tmp_path / "spool").glob("*.jsonl"))
    storage.close()


def test_the_worker_loop_gives_up_after_the_plan_s_outage(
    spec: SpecFactory, tmp_path: Path
) -> None:
    storage = _Outage(f"sqlite:///{tmp_path / 'runs.db'}")
    storage.failing["ask"] = 10_000
    study = storage.create_study(spec(sampler="random", seed=0))
    loop = WorkerLoop(storage, study, make_sampler("random"))
    with pytest.raises(StorageError, match="connection refused"):
        loop.run(lambda p: p["x"], RunPlan(budget=4, outage=1.0))
    storage.close()
