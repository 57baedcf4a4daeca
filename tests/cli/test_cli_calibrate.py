"""CLI calibrate: a study file's simulator against CSV or NPY observations, and bad input."""

from __future__ import annotations

import csv
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import Result

import paramscope as ps
from paramscope.trial import TrialState

Invoke = Callable[..., Result]
ErrorLine = Callable[..., str]

SIMULATOR = """
def banana(params):
    a, b = params["a"], params["b"]
    return {"y1": a, "y2": 10.0 * (b - a * a)}


def vector(params):
    return [params["a"], 10.0 * (params["b"] - params["a"] ** 2)]


def too_long(params):
    return [1.0, 2.0, 3.0]
"""

COMMAND = """
import json, sys
a = float(sys.argv[1])
print("working...")
print(json.dumps({"level": a, "square": a * a, "note": "ok"}))
"""


def study_file(folder: Path, objective: str, space: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "calsim_cli.py").write_text(SIMULATOR)
    (folder / "level.py").write_text(COMMAND)
    space = space or (
        'a = { type = "float", low = -2.0, high = 2.0 }\n'
        'b = { type = "float", low = -1.0, high = 3.0 }\n'
    )
    text = f'[study]\nname = "banana"\nseed = 0\n\n[space]\n{space}\n[objective]\n{objective}\n'
    path = folder / "study.toml"
    path.write_text(text)
    return path


@pytest.fixture
def banana_toml(tmp_path: Path) -> Path:
    return study_file(tmp_path / "study", 'function = "calsim_cli:banana"')


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_calibrate_a_function_simulator_with_plot_and_samples(
    invoke: Invoke, banana_toml: Path, db: str, tmp_path: Path
) -> None:
    observed = write_csv(tmp_path / "obs.csv", [["y1", "y2"], ["1.0", "0.0"]])
    result = invoke(
        "calibrate", str(banana_toml), "--observed", str(observed), "--noise", "0.1",
        "--budget", "30", "--steps", "200", "--storage", db,
        "--plot", "corner.html", "--samples", "draws.csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    for heading in ("history matching", "posterior", "posterior-predictive check"):
        assert heading in result.stdout
    assert "a and b are strongly positively correlated" in result.stdout
    assert "study 'banana-calibrate'" in result.stdout
    assert (tmp_path / "corner.html").stat().st_size > 10_000
    with (tmp_path / "draws.csv").open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["a", "b"] and len(rows) > 100
    study = ps.Study.load("banana-calibrate", storage=db)
    trials = study.trials
    study.close()
    assert len(trials) == 30 and all(t.state == TrialState.COMPLETE for t in trials)
    assert {"misfit", "y1", "y2"} <= set(trials[0].values)


def test_calibrate_a_command_with_long_csv_and_a_noise_file(
    invoke: Invoke, db: str, tmp_path: Path
) -> None:
    toml = study_file(
        tmp_path / "cmd",
        f'command = ["{sys.executable}", "level.py", "{{a}}"]\ntimeout = 30',
        space='a = { type = "float", low = 0.0, high = 3.0 }\n',
    )
    observed = write_csv(
        tmp_path / "obs.csv", [["name", "value"], ["level", "1.5"], ["square", "2.25"]]
    )
    noise = write_csv(tmp_path / "noise.csv", [["level", "square"], ["0.05", "0.1"]])
    result = invoke(
        "calibrate", str(toml), "--observed", str(observed), "--noise", str(noise),
        "--budget", "9", "--steps", "100", "--storage", db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    study = ps.Study.load("banana-calibrate", storage=db)
    trials = study.trials
    study.close()
    assert len(trials) == 9 and all(t.state == TrialState.COMPLETE for t in trials)
    assert set(trials[0].values) == {"misfit", "level", "square"}


def test_calibrate_with_npy_observations_and_a_vector_simulator(
    invoke: Invoke, tmp_path: Path, db: str
) -> None:
    toml = study_file(tmp_path / "npy", 'function = "calsim_cli:vector"')
    np.save(tmp_path / "obs.npy", np.array([1.0, 0.0]))
    result = invoke(
        "calibrate", str(toml), "--observed", "obs.npy", "--noise", "0.1",
        "--budget", "20", "--steps", "100", "--storage", db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "y[0]" in result.stdout and "y[1]" in result.stdout


def test_a_simulator_that_never_fits_the_observations_fails_with_its_reason(
    invoke: Invoke, tmp_path: Path, db: str, one_line_error: ErrorLine
) -> None:
    toml = study_file(tmp_path / "bad", 'function = "calsim_cli:too_long"')
    observed = write_csv(tmp_path / "obs.csv", [["1.0", "0.0"]])
    result = invoke(
        "calibrate", str(toml), "--observed", str(observed), "--noise", "0.1",
        "--budget", "12", "--storage", db,
    )  # fmt: skip
    message = one_line_error(result, code=1)
    assert "simulator returned 3 outputs; expected 2" in message


BAD_INPUT = [
    ([["y1", "y2"], ["1.0", "nan"]], "0.1", "observed.y2: expected a finite number, got nan"),
    ([["y1", "y2"], ["1.0", "0.0"]], "0", "noise: expected a number > 0"),
    ([["y1", "y2"], ["1.0", "0.0"]], "-0.5", "noise: expected a number > 0"),
    ([["y1", "y2"], ["1.0", "0.0"], ["2.0", "1.0"]], "0.1", "expected a header of output names"),
    ([["1.0", "2.0"], ["3.0", "4.0"]], "0.1", "has 2 rows of 2 numbers; expected one row"),
    ([["y1", "y2"], ["1.0", "abc"]], "0.1", "column 'y2': expected a number, got 'abc'"),
    ([["y1", "y2"], ["1.0", "0.0"]], "missing.csv", "--noise: no such file missing.csv"),
]


@pytest.mark.parametrize(("rows", "noise", "message"), BAD_INPUT)
def test_bad_observations_or_noise_exit_2_before_the_database_is_touched(
    invoke: Invoke,
    banana_toml: Path,
    tmp_path: Path,
    one_line_error: ErrorLine,
    rows: list[list[str]],
    noise: str,
    message: str,
) -> None:
    observed = write_csv(tmp_path / "obs.csv", rows)
    database = tmp_path / "runs.db"
    result = invoke(
        "calibrate", str(banana_toml), "--observed", str(observed), "--noise", noise,
        "--storage", f"sqlite:///{database}",
    )  # fmt: skip
    assert message in one_line_error(result)
    assert not database.exists()


def test_bad_files_and_options_exit_2(
    invoke: Invoke, banana_toml: Path, tmp_path: Path, one_line_error: ErrorLine
) -> None:
    np.save(tmp_path / "grid.npy", np.zeros((2, 2)))
    (tmp_path / "obs.json").write_text("[1, 0]")
    write_csv(tmp_path / "ok.csv", [["y1", "y2"], ["1.0", "0.0"]])
    cases = [
        (["--observed", "grid.npy", "--noise", "0.1"], "expected a 1-D array in grid.npy"),
        (["--observed", "nothere.csv", "--noise", "0.1"], "--observed: no such file"),
        (["--observed", "obs.json", "--noise", "0.1"], "expected a .csv or .npy file"),
        (["--observed", "ok.csv", "--noise", "0.1", "--budget", "0"], "--budget: expected"),
        (["--observed", "ok.csv", "--noise", "0.1", "--budget", "4"], "budget: expected an"),
    ]
    for args, message in cases:
        result = invoke("calibrate", str(banana_toml), *args, "--storage", "sqlite:///x.db")
        assert message in one_line_error(result), args
    assert not (tmp_path / "x.db").exists()
    toml = study_file(
        tmp_path / "int",
        'function = "calsim_cli:banana"',
        'k = { type = "int", low = 1, high = 4 }\n',
    )
    result = invoke("calibrate", str(toml), "--observed", "ok.csv", "--noise", "0.1")
    assert "space.k: calibrate needs continuous ps.Float parameters" in one_line_error(result)


def test_calibrate_help_names_the_formats(invoke: Invoke) -> None:
    result = invoke("calibrate", "--help")
    assert result.exit_code == 0
    text = textwrap.dedent(result.output)
    assert "--observed" in text and "NPY" in text and "--plot" in text
