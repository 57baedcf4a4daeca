"""SQLStorage behaviour on both backends: catalog, numbering, ask/tell, budget, reaping, reading."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from paramscope.errors import (
    ConfigError,
    StudyExistsError,
    StudyNotFoundError,
    TrialStateError,
)
from paramscope.space import Float, Space
from paramscope.storage import SQLStorage
from paramscope.storage.base import AskStatus, Outcome, StudyOptions, StudySpec
from paramscope.trial import Trial, TrialState

SpecFactory = Callable[..., StudySpec]


def claim(storage: SQLStorage, params: dict[str, Any], *, worker: str = "w") -> Trial:
    result = storage.ask("study", worker=worker, budget=None, params=params)
    assert result.status == AskStatus.CLAIMED
    assert result.trial is not None
    return result.trial


def complete(storage: SQLStorage, number: int, value: float) -> Trial:
    return storage.tell("study", number, Outcome(TrialState.COMPLETE, {"value": value}))


# -- catalog -----------------------------------------------------------------------------------


def test_create_then_load_round_trips_the_spec(storage: SQLStorage, spec: SpecFactory) -> None:
    created = spec(
        objectives={"loss": "min", "acc": "max"},
        constraints={"mem": ("<=", 16.0)},
        sampler="random",
        seed=2**40,
        objective={"command": ["python", "f.py", "{x}"], "timeout": 60},
        options=StudyOptions(budget=10, heartbeat_interval=1.5, grace=30.0, retries=2),
    )
    assert storage.create_study(created) == created
    loaded = storage.load_study("study")
    assert loaded == created
    assert list(loaded.objectives) == ["loss", "acc"]


def test_create_resumes_the_stored_study(storage: SQLStorage, spec: SpecFactory) -> None:
    storage.create_study(spec(sampler="random", seed=1, options=StudyOptions(budget=5)))
    again = storage.create_study(
        spec(sampler="sobol", seed=2, objective={"function": "m:f"}, options=StudyOptions())
    )
    assert (again.sampler, again.seed, again.options.budget) == ("random", 1, 5)
    assert again.objective == {"function": "m:f"}  # filled in because none was stored
    assert storage.load_study("study").objective == {"function": "m:f"}
    third = storage.create_study(spec(objective={"function": "other:g"}))
    assert third.objective == {"function": "m:f"}


@pytest.mark.parametrize(
    ("changes", "what"),
    [
        ({"space": Space({"x": Float(0.0, 2.0)})}, "space"),
        ({"objectives": {"value": "max"}}, "objectives"),
        ({"constraints": {"mem": (">=", 1.0)}}, "constraints"),
    ],
)
def test_create_with_a_different_signature_clashes(
    storage: SQLStorage, spec: SpecFactory, changes: dict[str, Any], what: str
) -> None:
    storage.create_study(spec())
    pattern = rf"'study' already exists with (a )?different {what} \({what}\."
    with pytest.raises(StudyExistsError, match=pattern):
        storage.create_study(spec(**changes))
    with pytest.raises(StudyExistsError, match="choose another name or delete it"):
        storage.create_study(spec(**changes))


def test_load_unknown_study_lists_the_studies_there(storage: SQLStorage, spec: SpecFactory) -> None:
    with pytest.raises(
        StudyNotFoundError, match=r"study 'foo' not found in .*; studies there: none"
    ):
        storage.load_study("foo")
    storage.create_study(spec("b"))
    storage.create_study(spec("a"))
    with pytest.raises(StudyNotFoundError, match=r"studies there: a, b$"):
        storage.load_study("foo")


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.trials("nope"),
        lambda s: s.counts("nope"),
        lambda s: s.trial("nope", 0),
        lambda s: s.enqueue("nope", {}),
        lambda s: s.ask("nope", worker="w", budget=None),
        lambda s: s.tell("nope", 0, Outcome(TrialState.FAILED, error="x")),
        lambda s: s.heartbeat("nope", [0]),
        lambda s: s.reap("nope", grace=1.0, retries=0),
        lambda s: s.set_options("nope", StudyOptions()),
        lambda s: s.delete_study("nope"),
    ],
)
def test_unknown_study_raises_not_found(storage: SQLStorage, call: Callable[..., Any]) -> None:
    with pytest.raises(StudyNotFoundError, match="study 'nope' not found"):
        call(storage)


def test_set_options_and_delete_study(storage: SQLStorage, spec: SpecFactory, params: dict) -> None:
    storage.create_study(spec())
    options = StudyOptions(budget=7, heartbeat_interval=0.5, grace=2.0, retries=1)
    assert storage.set_options("study", options).options == options
    assert storage.load_study("study").options == options
    storage.enqueue("study", params)
    storage.delete_study("study")
    with pytest.raises(StudyNotFoundError):
        storage.load_study("study")
    storage.create_study(spec())
    assert storage.trials("study") == []


def test_list_studies_summarises_counts_best_and_activity(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec("low", objectives={"loss": "min"}))
    storage.create_study(spec("high", objectives={"acc": "max"}))
    storage.create_study(spec("empty"))
    for study, key in (("low", "loss"), ("high", "acc")):
        for value in (3.0, 1.0, 2.0):
            trial = storage.ask(study, worker="w", budget=None, params=params).trial
            assert trial is not None
            storage.tell(study, trial.number, Outcome(TrialState.COMPLETE, {key: value}))
        storage.enqueue(study, params)
    summaries = {s.name: s for s in storage.list_studies()}
    assert list(summaries) == ["empty", "high", "low"]
    assert summaries["low"].best_value == 1.0
    assert summaries["high"].best_value == 3.0
    assert summaries["high"].direction == "max"
    assert summaries["low"].counts[TrialState.COMPLETE] == 3
    assert summaries["low"].counts[TrialState.QUEUED] == 1
    assert summaries["empty"].best_value is None
    assert summaries["empty"].last_activity is None
    assert set(summaries["empty"].counts) == set(TrialState)
    last = summaries["low"].last_activity
    assert last is not None
    assert last.tzinfo is not None
    assert abs(datetime.now(UTC) - last) < timedelta(minutes=1)


# -- writing trials ----------------------------------------------------------------------------


def test_numbers_are_gap_free_across_enqueue_and_ask(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    numbers = [storage.enqueue("study", params).number]
    numbers.append(claim(storage, params).number)  # claims the queued 0
    numbers.append(claim(storage, params).number)
    numbers.append(storage.enqueue("study", params).number)
    assert numbers == [0, 0, 1, 2]
    assert [t.number for t in storage.trials("study")] == [0, 1, 2]


def test_queued_trials_are_claimed_lowest_first_then_need_params(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    for x in (0.1, 0.2, 0.3):
        storage.enqueue("study", params | {"x": x})
    claimed = [storage.ask("study", worker="w", budget=None).trial for _ in range(3)]
    assert [(t.number, t.params["x"], t.state) for t in claimed if t] == [
        (0, 0.1, TrialState.RUNNING),
        (1, 0.2, TrialState.RUNNING),
        (2, 0.3, TrialState.RUNNING),
    ]
    assert storage.ask("study", worker="w", budget=None).status == AskStatus.NEED_PARAMS
    assert claimed[0] is not None
    assert claimed[0].worker == "w"
    assert claimed[0].started == claimed[0].heartbeat


def test_budget_gives_wait_then_done(storage: SQLStorage, spec: SpecFactory, params: dict) -> None:
    storage.create_study(spec())

    def ask(**kwargs: Any) -> AskStatus:
        return storage.ask("study", worker="w", budget=2, **kwargs).status

    assert ask() == AskStatus.NEED_PARAMS
    assert ask(params=params) == AskStatus.CLAIMED  # 0
    assert ask(params=params) == AskStatus.CLAIMED  # 1
    assert ask(params=params) == AskStatus.WAIT  # 2 running fill the budget
    complete(storage, 0, 1.0)
    assert ask(params=params) == AskStatus.WAIT  # 1 finished + 1 running
    storage.tell("study", 1, Outcome(TrialState.FAILED, error="boom"))
    storage.enqueue("study", params)  # 2
    assert ask() == AskStatus.CLAIMED  # the failure freed a slot: claims queued 2
    storage.tell("study", 2, Outcome(TrialState.STOPPED, {"value": 5.0}))  # stopped counts
    assert ask(params=params) == AskStatus.DONE
    assert storage.counts("study") == {
        TrialState.QUEUED: 0,
        TrialState.RUNNING: 0,
        TrialState.COMPLETE: 1,
        TrialState.FAILED: 1,
        TrialState.STOPPED: 1,
    }


def test_tell_records_the_outcome(storage: SQLStorage, spec: SpecFactory, params: dict) -> None:
    storage.create_study(spec(objectives={"loss": "min", "acc": "max"}))
    number = claim(storage, params).number
    values = {"loss": 0.25, "acc": 0.9, "mem": 3.0}
    told = storage.tell("study", number, Outcome(TrialState.COMPLETE, values))
    assert told.state == TrialState.COMPLETE
    assert list(told.values.items()) == list(values.items())
    assert told.value == 0.25
    assert told.finished is not None
    assert told.started is not None
    assert told.finished >= told.started
    assert storage.trial("study", number) == told
    failed = storage.tell(
        "study", claim(storage, params).number, Outcome(TrialState.FAILED, {}, "x")
    )
    assert (failed.state, failed.error, dict(failed.values)) == (TrialState.FAILED, "x", {})


def test_tell_twice_raises_and_keeps_the_first(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    number = claim(storage, params).number
    complete(storage, number, 1.0)
    with pytest.raises(TrialStateError, match="already complete"):
        complete(storage, number, 2.0)
    assert storage.trial("study", number).value == 1.0


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        (lambda s, p: s.enqueue("study", p).number, "queued, not running"),
        (lambda s, p: 99, "has no trial 99"),
    ],
)
def test_tell_needs_a_running_trial(
    storage: SQLStorage, spec: SpecFactory, params: dict, setup: Callable[..., int], match: str
) -> None:
    storage.create_study(spec())
    number = setup(storage, params)
    with pytest.raises(TrialStateError, match=match):
        complete(storage, number, 1.0)


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome(TrialState.COMPLETE, {"value": float("nan")}),
        Outcome(TrialState.COMPLETE, {"value": float("inf")}),
        Outcome(TrialState.COMPLETE, {}),
        Outcome(TrialState.RUNNING, {"value": 1.0}),
    ],
)
def test_tell_rejects_bad_outcomes_and_writes_nothing(
    storage: SQLStorage, spec: SpecFactory, params: dict, outcome: Outcome
) -> None:
    storage.create_study(spec())
    number = claim(storage, params).number
    with pytest.raises(ValueError, match="tell"):
        storage.tell("study", number, outcome)
    with pytest.raises(ConfigError):
        storage.tell("study", number, outcome)
    assert storage.trial("study", number).state == TrialState.RUNNING


# -- monitoring --------------------------------------------------------------------------------


def test_tell_after_reap_raises_and_the_trial_stays_failed(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    number = claim(storage, params, worker="host:1").number
    time.sleep(0.01)
    reaped = storage.reap("study", grace=0.0, retries=0)
    assert [(t.number, t.state) for t in reaped] == [(number, TrialState.FAILED)]
    assert reaped[0].error == "worker lost: no heartbeat for 0 s (worker host:1)"
    with pytest.raises(TrialStateError, match="late result is dropped"):
        complete(storage, number, 1.0)
    after = storage.trial("study", number)
    assert (after.state, after.value, after.error) == (TrialState.FAILED, None, reaped[0].error)


def test_reap_requeues_once_per_dead_trial_up_to_the_retry_limit(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    claim(storage, params | {"x": 0.7})  # 0
    time.sleep(0.01)
    assert [t.number for t in storage.reap("study", grace=0.0, retries=2)] == [0]
    assert storage.reap("study", grace=0.0, retries=2) == []  # nothing running: no double requeue
    queued = storage.trials("study", states=[TrialState.QUEUED])
    assert [(t.number, t.retry_of, t.params["x"]) for t in queued] == [(1, 0, 0.7)]

    assert claim(storage, params).number == 1  # the retry, with its own params kept
    time.sleep(0.01)
    storage.reap("study", grace=0.0, retries=2)
    assert claim(storage, params).number == 2  # second retry (retry_of=1)
    time.sleep(0.01)
    storage.reap("study", grace=0.0, retries=2)  # chain 2 -> 1 -> 0 is 2 long: not re-queued
    trials = storage.trials("study")
    assert [(t.number, t.state, t.retry_of) for t in trials] == [
        (0, TrialState.FAILED, None),
        (1, TrialState.FAILED, 0),
        (2, TrialState.FAILED, 1),
    ]


def test_reap_without_retries_and_heartbeats_keep_trials_alive(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    alive = claim(storage, params).number
    dead = claim(storage, params).number
    time.sleep(0.4)
    storage.heartbeat("study", [alive, 12345])
    storage.heartbeat("study", [])
    reaped = storage.reap("study", grace=0.3, retries=0)
    assert [t.number for t in reaped] == [dead]
    assert storage.counts("study")[TrialState.QUEUED] == 0
    assert storage.trial("study", alive).state == TrialState.RUNNING


def test_concurrent_reapers_requeue_exactly_once(storage_url: str, spec: SpecFactory) -> None:
    storages = [SQLStorage(storage_url) for _ in range(4)]
    storages[0].create_study(spec())
    for x in (0.1, 0.2, 0.3):
        claim(storages[0], {"x": x, "n": 1, "act": "tanh"})
    time.sleep(0.01)
    results: list[list[Trial]] = []
    barrier = threading.Barrier(len(storages))

    def reap(storage: SQLStorage) -> None:
        barrier.wait()
        results.append(storage.reap("study", grace=0.0, retries=3))

    threads = [threading.Thread(target=reap, args=(s,)) for s in storages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(t.number for batch in results for t in batch) == [0, 1, 2]
    queued = storages[0].trials("study", states=[TrialState.QUEUED])
    assert sorted(t.retry_of for t in queued if t.retry_of is not None) == [0, 1, 2]
    assert [t.number for t in queued] == [3, 4, 5]
    for storage in storages:
        storage.close()


def test_reports_round_trip_and_count_as_heartbeats(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    trial = claim(storage, params)
    for step, value in ((0, 1.0), (1, 0.5), (2, 0.25), (1, 0.4)):
        storage.report("study", trial.number, step, value)
    reported = storage.trial("study", trial.number)
    assert dict(reported.reports) == {0: 1.0, 1: 0.4, 2: 0.25}
    assert reported.heartbeat is not None
    assert trial.heartbeat is not None
    assert reported.heartbeat > trial.heartbeat
    claim(storage, params)
    assert [dict(t.reports) for t in storage.trials("study")] == [{0: 1.0, 1: 0.4, 2: 0.25}, {}]
    with pytest.raises(ConfigError, match="finite"):
        storage.report("study", trial.number, 3, float("nan"))
    complete(storage, trial.number, 0.2)
    with pytest.raises(TrialStateError, match="already complete"):
        storage.report("study", trial.number, 3, 0.1)
    assert dict(storage.trial("study", trial.number).reports) == {0: 1.0, 1: 0.4, 2: 0.25}


# -- reading -----------------------------------------------------------------------------------


def test_trials_since_and_states(storage: SQLStorage, spec: SpecFactory, params: dict) -> None:
    storage.create_study(spec())
    for _ in range(3):
        complete(storage, claim(storage, params).number, 1.0)
    storage.enqueue("study", params)
    storage.enqueue("study", params)
    assert [t.number for t in storage.trials("study", since=2)] == [2, 3, 4]
    assert [t.number for t in storage.trials("study", since=5)] == []
    queued = storage.trials("study", states=[TrialState.QUEUED], since=4)
    assert [t.number for t in queued] == [4]
    with pytest.raises(KeyError, match="no trial 7"):
        storage.trial("study", 7)


def test_timestamps_are_timezone_aware_utc(
    storage: SQLStorage, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    before = datetime.now(UTC)
    number = claim(storage, params).number
    complete(storage, number, 1.0)
    trial = storage.trials("study")[0]
    for stamp in (trial.started, trial.finished, trial.heartbeat):
        assert stamp is not None
        assert stamp.utcoffset() == timedelta(0)
        assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert trial.duration is not None
    assert trial.duration >= 0


def _plain_query(url: str, query: str) -> list[tuple[Any, ...]]:
    parsed = make_url(url)
    if parsed.drivername == "sqlite":
        with sqlite3.connect(str(parsed.database)) as conn:
            return list(conn.execute(query))
    with psycopg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, dbname=parsed.database
    ) as conn:
        return list(conn.execute(query))  # type: ignore[arg-type]


def test_schema_is_readable_with_plain_sql(
    storage: SQLStorage, storage_url: str, spec: SpecFactory, params: dict
) -> None:
    storage.create_study(spec())
    complete(storage, claim(storage, params | {"x": 0.75}).number, 2.5)
    complete(storage, claim(storage, params).number, 0.5)
    storage.enqueue("study", params)
    rows = _plain_query(storage_url, "SELECT number, state, value FROM trials ORDER BY number")
    assert rows == [(0, "complete", 2.5), (1, "complete", 0.5), (2, "queued", None)]
    best = _plain_query(
        storage_url,
        "SELECT t.number, t.params, t.values_json FROM trials t JOIN studies s "
        "ON s.id = t.study_id WHERE s.name = 'study' AND t.value IS NOT NULL ORDER BY t.value",
    )
    assert [(n, json.loads(p)["x"], json.loads(v)) for n, p, v in best] == [
        (1, 0.5, {"value": 0.5}),
        (0, 0.75, {"value": 2.5}),
    ]
