"""CLI sensitivity: a study file's objective analysed, an existing study explained, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from click.testing import Result

import paramscope as ps

Invoke = Callable[..., Result]


def test_sensitivity_of_a_study_file_prints_indices_and_writes_a_plot(
    invoke: Invoke, branin: Path, db: str, tmp_path: Path
) -> None:
    plot = tmp_path / "indices.html"
    result = invoke(
        "sensitivity",
        str(branin),
        "--method",
        "morris",
        "--budget",
        "12",
        "--storage",
        db,
        "--plot",
        str(plot),
        "--seed",
        "0",
    )
    assert result.exit_code == 0, result.output
    assert "mu*" in result.output and "x" in result.output
    assert plot.exists() and "plotly" in plot.read_text()[:5000].lower()


def test_sensitivity_json_of_an_existing_study(invoke: Invoke, db: str) -> None:
    space = ps.Space({"a": ps.Float(-1, 1), "b": ps.Float(-1, 1)})
    study = ps.Study.create("opt", space, storage=db, sampler="random", seed=0)
    study.optimize(lambda p: p["a"] ** 2, budget=20, executor="inline")
    study.close()
    result = invoke("sensitivity", "--study", "opt", "--storage", db, "--json", "--seed", "0")
    assert result.exit_code == 0, result.output
    rows = {row["parameter"]: row for row in json.loads(result.output)}
    assert rows["a"]["ST"] > 0.9 and rows["b"]["ST"] < 0.1
    assert rows["a"]["ST_low"] <= rows["a"]["ST"] <= rows["a"]["ST_high"]


def test_sensitivity_needs_a_file_or_a_study(
    invoke: Invoke, one_line_error: Callable[..., str]
) -> None:
    message = one_line_error(invoke("sensitivity"))
    assert "give either STUDY.toml or --study NAME" in message


def test_sensitivity_budget_too_small_is_bad_input(
    invoke: Invoke, branin: Path, db: str, one_line_error: Callable[..., str]
) -> None:
    message = one_line_error(invoke("sensitivity", str(branin), "--budget", "3", "--storage", db))
    assert "too small" in message and "budget=3" in message
