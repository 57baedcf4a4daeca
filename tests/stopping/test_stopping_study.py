"""Early stopping through a study: the stored rule, stopped trials with their curves, commands."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.execution.history import HistoryCache, ReportsSnapshot
from paramscope.execution.objectives import objective_from_config
from paramscope.stopping import ASHA, MedianRule
from paramscope.storage.base import StudyOptions
from paramscope.storage.schema import studies
from paramscope.trial import TrialState

SPACE = ps.Space({"x": ps.Float(0.0, 1.0)})
STEPS = 9


def curve(params: dict[str, Any], trial: Any) -> float:
    """A loss curve x + 1/step: the larger x, the worse the trial at every step."""
    loss = 0.0
    for step in range(1, STEPS + 1):
        loss = params["x"] + 1.0 / step
        trial.report(step, loss)
        if trial.should_stop():
            break
    return loss


def enqueue(study: ps.Study, xs: list[float]) -> None:
    for x in xs:
        study.enqueue({"x": x})


@pytest.mark.parametrize("direction", ["min", "max"])
def test_bad_curves_are_stopped_and_keep_their_reports(storage_url: str, direction: str) -> None:
    sign = 1.0 if direction == "min" else -1.0

    def fn(params: dict[str, Any], trial: Any) -> float:
        return sign * curve({"x": params["x"]}, _Signed(trial, sign))

    study = ps.Study.create("asha", SPACE, objectives=direction, storage=storage_url, seed=0)
    good, bad = 0.1, 0.9
    enqueue(study, [good, good, good, bad, 0.8, good])
    study.optimize(fn, budget=6, executor="inline")
    trials = study.trials
    states = [t.state for t in trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.STOPPED] * 2 + [TrialState.COMPLETE]
    for trial in trials[3:5]:  # stopped at the first rung (step 1), curve kept
        assert dict(trial.reports) == {1: pytest.approx(sign * (trial.params["x"] + 1.0))}
        assert trial.value == pytest.approx(trial.reports[1])
    for trial in (trials[0], trials[5]):
        assert sorted(trial.reports) == list(range(1, STEPS + 1))
    assert study.best is not None and study.best.state == TrialState.COMPLETE
    assert study.counts()[TrialState.STOPPED] == 2


class _Signed:
    """A live trial that reports ``sign * value`` (so one curve serves min and max studies)."""

    def __init__(self, trial: Any, sign: float) -> None:
        self._trial, self._sign = trial, sign

    def report(self, step: int, value: float) -> None:
        self._trial.report(step, self._sign * value)

    def should_stop(self) -> bool:
        return bool(self._trial.should_stop())


def test_objectives_that_do_not_report_are_unaffected(tmp_path: Path) -> None:
    study = ps.Study.create("plain", SPACE, storage=f"sqlite:///{tmp_path}/a.db", seed=0)
    enqueue(study, [0.1, 0.9, 0.95, 0.99])
    study.optimize(lambda p: p["x"], budget=4, executor="inline")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4


def test_stopping_none_lets_every_trial_finish(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/a.db"
    study = ps.Study.create("none", SPACE, storage=url, seed=0, stopping="none")
    enqueue(study, [0.1, 0.9, 0.95])
    study.optimize(curve, budget=3, executor="inline")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert all(len(t.reports) == STEPS for t in study.trials)


def test_the_rule_is_stored_with_the_study(storage_url: str) -> None:
    rule = MedianRule(warmup_steps=2, min_trials=3)
    options = StudyOptions(retries=1)
    study = ps.Study.create("s", SPACE, storage=storage_url, stopping=rule, options=options)
    assert study.spec.options.stopping == rule.to_config()
    assert study.spec.options.retries == 1
    study.optimize(curve, budget=1, executor="inline")  # optimize stores the budget: rule kept
    loaded = ps.Study.load("s", storage=storage_url)
    assert dict(loaded.spec.options.stopping) == rule.to_config()
    # Resuming keeps the stored rule, like the sampler and seed.
    again = ps.Study.create("s", SPACE, storage=storage_url, stopping="none")
    assert dict(again.spec.options.stopping) == rule.to_config()
    # The default is ASHA with every setting spelled out.
    other = ps.Study.create("t", SPACE, storage=storage_url)
    assert dict(ps.Study.load("t", storage=storage_url).spec.options.stopping) == ASHA().to_config()
    for handle in (study, loaded, again, other):
        handle.close()


def test_objective_table_and_rule_share_a_column_but_stay_apart(storage_url: str) -> None:
    table = {"function": "math:sqrt", "cwd": "."}
    study = ps.Study.create(
        "s",
        SPACE,
        storage=storage_url,
        objective_config=table,
        stopping={"rule": "asha", "reduction_factor": 4},
    )
    loaded = ps.Study.load("s", storage=storage_url)
    assert dict(loaded.spec.objective or {}) == table
    assert loaded.spec.options.stopping["reduction_factor"] == 4
    # A study created without an objective table gets one later; its rule stays.
    bare = ps.Study.create("b", SPACE, storage=storage_url, stopping="median")
    filled = ps.Study.create("b", SPACE, storage=storage_url, objective_config=table)
    assert dict(filled.spec.objective or {}) == table
    assert (
        dict(ps.Study.load("b", storage=storage_url).spec.options.stopping)
        == MedianRule().to_config()
    )
    for handle in (study, loaded, bare, filled):
        handle.close()


@pytest.mark.parametrize("column", [None, '{"function": "math:sqrt", "cwd": "."}'])
def test_a_database_from_before_the_setting_loads_with_the_default(
    storage_url: str, column: str | None
) -> None:
    ps.Study.create("old", SPACE, storage=storage_url, stopping="none").close()
    engine = create_engine(storage_url.replace("postgresql://", "postgresql+psycopg://"))
    with engine.begin() as conn:
        old = {"objective": column, "settings": None}  # as before revision 0002
        conn.execute(update(studies).where(studies.c.name == "old").values(**old))
    engine.dispose()
    spec = ps.Study.load("old", storage=storage_url).spec
    assert dict(spec.options.stopping) == {"rule": "asha"}
    assert (spec.objective is None) == (column is None)


@pytest.mark.parametrize(
    ("stopping", "message"),
    [
        ("asha!", "stopping: expected one of 'asha', 'hyperband', 'median', 'none', got 'asha!'"),
        (
            {"rule": "asha", "reduction_factor": 1},
            "stopping.reduction_factor: expected an integer >= 2",
        ),
        (ASHA, "stopping: expected 'asha'"),
    ],
)
def test_bad_rules_are_refused_before_anything_is_written(
    tmp_path: Path, stopping: Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        ps.Study.create("s", SPACE, storage=f"sqlite:///{tmp_path}/a.db", stopping=stopping)
    assert not (tmp_path / "a.db").exists()


class _CountingReader:
    def __init__(self, inner: Any) -> None:
        self.inner, self.reads = inner, 0

    def trials(self, study: str, **kwargs: Any) -> Any:
        self.reads += 1
        return self.inner.trials(study, **kwargs)

    def counts(self, study: str) -> Any:
        return self.inner.counts(study)


def test_the_reports_snapshot_reads_the_storage_at_most_every_interval(tmp_path: Path) -> None:
    study = ps.Study.create("s", SPACE, storage=f"sqlite:///{tmp_path}/a.db", stopping="none")
    enqueue(study, [0.1, 0.2])
    study.optimize(curve, budget=2, executor="inline")
    reader = _CountingReader(study.storage)
    snapshot = ReportsSnapshot(HistoryCache(reader, study.spec), interval=0.3)
    first = snapshot.curves()
    assert sorted(first) == [0, 1] and dict(first[1]) == {s: 0.2 + 1 / s for s in range(1, 10)}
    for _ in range(100):
        snapshot.curves()
    assert reader.reads == 1
    time.sleep(0.35)
    snapshot.curves()
    assert reader.reads == 2


SIGTERM_SCRIPT = """
import json, signal, sys, time
from pathlib import Path

x, marker = float(sys.argv[1]), Path(sys.argv[2])

def on_term(signum, frame):
    marker.write_text("SIGTERM")
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
steps = 6 if x < 0.5 else 400
for step in range(1, steps + 1):
    print(json.dumps({"step": step, "value": x + 1.0 / step}), flush=True)
    time.sleep(0.02 if x < 0.5 else 0.05)
print(json.dumps({"value": x}))
"""


def test_a_stopped_command_gets_sigterm_and_keeps_its_reports(
    storage_url: str, tmp_path: Path
) -> None:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(SIGTERM_SCRIPT))
    marker = tmp_path / "marker-{x}"
    table = {
        "command": [sys.executable, str(script), "{x}", str(marker)],
        "cwd": str(tmp_path),
        "kill_grace": 5.0,
    }
    study = ps.Study.create("cmd", SPACE, storage=storage_url, objective_config=table, seed=0)
    fn = objective_from_config(study.spec.objective or {}, study="cmd", space=SPACE)
    enqueue(study, [0.1, 0.1, 0.9])
    started = time.monotonic()
    study.optimize(fn, budget=3, executor="inline")
    assert time.monotonic() - started < 15  # the bad run (400 steps, 20 s) was cut short
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and good.value == pytest.approx(0.1)
    assert sorted(good.reports) == list(range(1, 7))
    assert bad.state == TrialState.STOPPED
    assert (tmp_path / "marker-0.9").read_text() == "SIGTERM"
    assert not (tmp_path / "marker-0.1").exists()
    assert 1 in bad.reports and bad.reports[1] == pytest.approx(1.9)
    assert bad.value == pytest.approx(bad.reports[max(bad.reports)])
    assert max(bad.reports) < 100
    study.close()
