"""Objectives built from a study file's table, run through the study's worker loop."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.execution.loop import RunPlan, WorkerLoop
from paramscope.execution.objectives import objective_from_config, wants_trial
from paramscope.samplers import make_sampler
from paramscope.trial import TrialState

SPACE = ps.Space({"x": ps.Float(0.0, 1.0), "k": ps.Choice(["a", "b"])})


def command_study(tmp_path: Path, script: str, **table: Any) -> tuple[ps.Study, Any]:
    path = tmp_path / "objective.py"
    path.write_text(textwrap.dedent(script))
    config = {"command": [sys.executable, str(path), "{x}", "{k}"], "cwd": str(tmp_path), **table}
    study = ps.Study.create(
        "cmd",
        SPACE,
        storage=f"sqlite:///{tmp_path}/runs.db",
        sampler="random",
        seed=0,
        objective_config=config,
    )
    fn = objective_from_config(study.spec.objective or {}, study="cmd", space=SPACE)
    return study, fn


def test_a_command_study_runs_to_its_budget(tmp_path: Path) -> None:
    study, fn = command_study(
        tmp_path,
        """
        import json, os, sys
        x, k = float(sys.argv[1]), sys.argv[2]
        assert os.environ["PARAMSCOPE_PARAM_K"] == k
        print("noise line")
        print(json.dumps({"value": x if k == "a" else x + 1, "seconds": 0.1}))
        """,
    )
    study.optimize(fn, budget=4, workers=2)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 4
    for t in trials:
        assert t.values["value"] == pytest.approx(t.params["x"] + (t.params["k"] == "b"))
        assert t.values["seconds"] == 0.1


def test_a_failing_command_is_a_failed_trial_with_its_output_tail(tmp_path: Path) -> None:
    study, fn = command_study(
        tmp_path,
        """
        import sys
        print("about to fail", file=sys.stderr)
        sys.exit(3)
        """,
    )
    study.optimize(fn, budget=1, max_failures=2)
    trials = study.trials
    assert [t.state for t in trials] == [TrialState.FAILED] * 2
    assert "exited with code 3" in (trials[0].error or "")
    assert "about to fail" in (trials[0].error or "")
    assert (tmp_path / "paramscope-runs" / "cmd" / "trial-0" / "stderr.txt").exists()


def test_a_stopped_command_keeps_its_curve(tmp_path: Path) -> None:
    study, fn = command_study(
        tmp_path,
        """
        import json, time
        for step in range(100):
            print(json.dumps({"step": step, "value": 1.0 / (step + 1)}), flush=True)
            time.sleep(0.05)
        print(json.dumps({"value": 0.0}))
        """,
        kill_grace=1.0,
    )
    loop = WorkerLoop(study.storage, study.spec, make_sampler("random"))
    loop.run(fn, RunPlan(budget=1), stop_rule=lambda progress: progress.step >= 2)
    trial = study.trials[0]
    assert trial.state == TrialState.STOPPED
    assert sorted(trial.reports)[:3] == [0, 1, 2]
    assert trial.value == trial.reports[max(trial.reports)]


def test_function_objective_from_a_module(tmp_path: Path) -> None:
    (tmp_path / "my_objective.py").write_text("def f(params):\n    return params['x']\n")
    fn = objective_from_config(
        {"function": "my_objective:f", "cwd": str(tmp_path)}, study="s", space=SPACE
    )
    assert fn({"x": 0.5, "k": "a"}) == 0.5
    assert not wants_trial(fn)
    assert wants_trial(lambda params, trial: 0.0)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "objective: expected 'command = "),
        ({"command": ["true"], "function": "m:f"}, "not both"),
        ({"function": "nocolon"}, "objective.function: expected 'package.module:function'"),
        ({"function": "no_such_module_xyz:f"}, "objective.function: cannot import"),
        ({"function": "json:no_such_fn"}, "has no function 'no_such_fn'"),
        ({"command": ["no-such-program-xyz"]}, "not found on PATH"),
        ({"command": ["true", "{nope}"]}, "placeholder {nope} names no parameter"),
    ],
)
def test_bad_objective_tables(table: dict[str, Any], message: str) -> None:
    with pytest.raises(
        ConfigError, match=message.replace("{", r"\{").replace("}", r"\}").replace("(", r"\(")
    ):
        objective_from_config(table, study="s", space=SPACE)
