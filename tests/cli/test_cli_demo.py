"""CLI demo: a tiny-budget smoke run of ``paramscope demo``, its replacement of an earlier demo."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result

from paramscope.demo import demo_space, svc_accuracy
from paramscope.study import Study

Invoke = Callable[..., Result]
demo_command = importlib.import_module("paramscope.cli.demo")


def test_objective_scores_a_good_svm_highly() -> None:
    good = svc_accuracy({"C": 10.0, "gamma": 1e-3, "kernel": "rbf", "degree": 3})
    bad = svc_accuracy({"C": 1e-2, "gamma": 1e-5, "kernel": "rbf", "degree": 3})
    assert good["accuracy"] > 0.95 > 0.5 > bad["accuracy"]
    assert set(good) == {"accuracy", "accuracy_std", "cv_seconds"}
    assert demo_space().names == ["C", "gamma", "kernel", "degree"]


def test_demo_smoke_then_rerun_replaces_it(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke("demo", "--budget", "3")
    assert result.exit_code == 0, result.output
    assert "best accuracy:" in result.stdout and "paramscope trials --study demo" in result.stdout
    assert str(tmp_path / "paramscope.db") in result.stdout
    study = Study.load("demo", storage="sqlite:///paramscope.db")
    assert len(study.trials) == 3 and study.best is not None
    assert study.spec.objective is not None
    assert dict(study.spec.objective) == {"function": "paramscope.demo:svc_accuracy"}
    study.close()

    monkeypatch.setattr(demo_command, "demo_sampler", lambda: "sobol")
    again = invoke("demo", "--budget", "2", "--workers", "1")
    assert again.exit_code == 0, again.output
    assert "replaced the earlier 'demo' study" in again.stdout
    assert "using 'sobol'" in again.stdout
    study = Study.load("demo", storage="sqlite:///paramscope.db")
    assert len(study.trials) == 2 and study.spec.sampler == "sobol"
    study.close()
