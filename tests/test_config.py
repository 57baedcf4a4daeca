"""Config: a TOML study file parses to a frozen StudyFile; each bad input is one clear line."""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paramscope.config import StudyFile, build_objective, load_study_file
from paramscope.errors import ConfigError
from paramscope.space import Space

VALID = """\
[study]
name = "branin"
storage = "sqlite:///runs.db"
objectives = { value = "min" }
constraints = { mem_gb = ["<=", 16] }
budget = 40
workers = 2
sampler = "random"
seed = 0
retries = 1

[space]
x = { type = "float", low = -5.0, high = 10.0 }
lr = { type = "float", low = 1e-5, high = 1e-1, log = true }
n = { type = "int", low = 1, high = 8 }
kind = { type = "choice", options = ["a", "b"] }

[objective]
command = ["python3", "run.py", "--x", "{x}", "--kind", "{kind}"]
timeout = 60
"""


def write(folder: Path, text: str, name: str = "study.toml") -> Path:
    (folder / "run.py").write_text("print('{\"value\": 1.0}')\n")
    path = folder / name
    path.write_text(text)
    return path


def error_of(folder: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_study_file(write(folder, text))
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{folder / 'study.toml'}: ")
    return message.split(": ", 1)[1]


def test_valid_file_round_trip(tmp_path: Path) -> None:
    spec = load_study_file(write(tmp_path, VALID))
    assert isinstance(spec, StudyFile)
    assert (spec.name, spec.storage, spec.budget, spec.workers) == (
        "branin",
        "sqlite:///runs.db",
        40,
        2,
    )
    assert (spec.sampler, spec.seed, spec.retries) == ("random", 0, 1)
    assert dict(spec.objectives) == {"value": "min"}
    assert dict(spec.constraints) == {"mem_gb": ("<=", 16.0)}
    assert spec.space.names == ["x", "lr", "n", "kind"]
    assert spec.space["lr"].to_dict() == {"type": "float", "low": 1e-5, "high": 0.1, "log": True}
    assert spec.objective["timeout"] == 60
    assert spec.objective["cwd"] == str(tmp_path.resolve())
    # stored as written; run.py is found in cwd (the study file's folder) when the command runs
    assert list(spec.objective["command"]) == [
        "python3",
        "run.py",
        "--x",
        "{x}",
        "--kind",
        "{kind}",
    ]
    assert spec.options().budget == 40 and spec.options(7).budget == 7
    assert spec.options().retries == 1
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]


def test_defaults_and_short_forms(tmp_path: Path) -> None:
    text = """\
[study]
name = "s"
objectives = "max"
[space]
x = { type = "int", low = 0, high = 3 }
[objective]
command = "python3 run.py --x {x}"
workdir = "runs"
"""
    spec = load_study_file(write(tmp_path, text))
    assert dict(spec.objectives) == {"value": "max"}
    assert spec.budget is None and spec.workers == 1 and spec.sampler == "bayes"
    assert spec.storage is None and spec.seed is None and dict(spec.constraints) == {}
    assert list(spec.objective["command"]) == ["python3", "run.py", "--x", "{x}"]
    assert spec.objective["workdir"] == "runs"  # taken from cwd, the file's folder, at run time


def test_relative_paths_follow_the_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    script = folder / "bin" / "run.sh"
    script.parent.mkdir()
    script.write_text("#!/bin/sh\necho '{\"value\": 1}'\n")
    script.chmod(0o755)
    text = VALID.replace('command = ["python3", "run.py",', 'command = ["./bin/run.sh",')
    monkeypatch.chdir(tmp_path)
    spec = load_study_file(write(folder, text))  # ./bin/run.sh exists only next to the file
    fn = build_objective(spec.objective, study="s", space=spec.space)
    from paramscope.execution.live import LiveTrial

    class NoMonitor:
        def report(self, *args: object) -> None: ...

    live = LiveTrial(NoMonitor(), "s", 0, {"x": 1.0})  # type: ignore[arg-type]
    assert fn({"lr": 1e-3, "kind": "a", "n": 1, "x": 1.0}, live) == {"value": 1.0}
    assert (folder / "paramscope-runs").is_dir()


def test_function_objective_keeps_cwd_and_builds(tmp_path: Path) -> None:
    (tmp_path / "my_objective_mod.py").write_text("def f(params):\n    return params['x']\n")
    text = VALID.split("[objective]")[0] + '[objective]\nfunction = "my_objective_mod:f"\n'
    spec = load_study_file(write(tmp_path, text))
    assert dict(spec.objective) == {"function": "my_objective_mod:f", "cwd": str(tmp_path)}
    fn = build_objective(spec.objective, study="s", space=spec.space)
    assert fn({"x": 2.5}) == 2.5


def test_build_objective_for_a_command(tmp_path: Path) -> None:
    spec = load_study_file(write(tmp_path, VALID))
    fn = build_objective(spec.objective, study="s", space=spec.space)
    assert type(fn).__name__ == "CommandObjective"


BAD = [
    pytest.param(("name = ", "name "), "not valid TOML: Expected '=' after a key", id="not-toml"),
    pytest.param(
        ("low = -5.0, high = 10.0", "low = 3.0, high = 1.0"),
        "space.x: Float: low < high must hold, got low=3.0, high=1.0",
        id="inverted-bounds",
    ),
    pytest.param(
        ("low = 1e-5, high = 1e-1, log", "low = 0.0, high = 1e-1, log"),
        "space.lr: Float: log=True needs low > 0, got low=0.0",
        id="log-low-zero",
    ),
    pytest.param(
        ('options = ["a", "b"]', "options = []"),
        "space.kind: Choice: options must be a non-empty list, got []",
        id="empty-choices",
    ),
    pytest.param(
        ('type = "choice", options = ["a", "b"]', 'type = "bool"'),
        "space.kind: type must be one of 'float', 'int', 'choice', got type='bool'",
        id="unknown-type",
    ),
    pytest.param(
        ("budget = 40", "budget = 0"), "study.budget: expected an integer > 0, got 0", id="budget-0"
    ),
    pytest.param(
        ("budget = 40", "budget = -3"),
        "study.budget: expected an integer > 0, got -3",
        id="budget<0",
    ),
    pytest.param(
        ("budget = 40", "budget = 2.5"),
        "study.budget: expected an integer > 0, got 2.5",
        id="budget-float",
    ),
    pytest.param(
        ('command = ["python3", "run.py", "--x", "{x}", "--kind", "{kind}"]\n', ""),
        "objective: expected either command = [",
        id="command-missing",
    ),
    pytest.param(
        ('"{kind}"]', '"{knd}"]'),
        "objective.command: placeholder {knd} names no parameter; parameters are x, lr, n, kind",
        id="unknown-placeholder",
    ),
    pytest.param(
        ('"python3"', '"no-such-program-xyz"'),
        "objective.command: 'no-such-program-xyz' not found on PATH",
        id="command-not-found",
    ),
    pytest.param(
        ("retries = 1", "retries = 1\nbudjet = 3"),
        "study.budjet: unknown key; allowed keys are name, storage, objectives, constraints, "
        "budget, workers, sampler, seed, retries",
        id="unknown-key",
    ),
    pytest.param(
        ('storage = "sqlite:///runs.db"', 'storage = "mysql://db/x"'),
        "study.storage: expected 'sqlite:///path.db' or",
        id="bad-storage-url",
    ),
    pytest.param(
        ('sampler = "random"', 'sampler = "grid"'),
        "study.sampler: expected one of 'bayes', 'random', 'sobol', got 'grid'",
        id="bad-sampler",
    ),
    pytest.param(
        ('{ value = "min" }', '{ value = "minimize" }'),
        "study.objectives.value: expected 'min' or 'max', got 'minimize'",
        id="bad-direction",
    ),
    pytest.param(
        ('["<=", 16]', '["<", 16]'),
        "study.constraints.mem_gb: expected ['<=' or '>=', a finite number]",
        id="bad-constraint",
    ),
    pytest.param(
        ("timeout = 60", "timeout = 0"),
        "objective.timeout: expected a number of seconds > 0, got 0",
        id="timeout-0",
    ),
    pytest.param(
        ("timeout = 60", "timout = 60"),
        "objective.timout: unknown key; allowed keys are",
        id="objective-key",
    ),
    pytest.param(
        ("timeout = 60", 'function = "pkg.mod:fn"'),
        "objective: expected either command = [",
        id="command-and-function",
    ),
    pytest.param(("[objective]", "[objectiv]"), "objectiv: unknown table", id="unknown-table"),
    pytest.param(
        ('name = "branin"', 'name = ""'), "study.name: expected a non-empty string", id="empty-name"
    ),
    pytest.param(
        ("workers = 2", "workers = 0"),
        "study.workers: expected an integer >= 1, got 0",
        id="workers-0",
    ),
]


@pytest.mark.parametrize(("edit", "expected"), BAD)
def test_bad_input_is_one_line_naming_file_and_field(
    tmp_path: Path, edit: tuple[str, str], expected: str
) -> None:
    old, new = edit
    assert old in VALID
    assert expected in error_of(tmp_path, VALID.replace(old, new, 1))


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such study file"):
        load_study_file(tmp_path / "nope.toml")
    (tmp_path / "study.toml").write_bytes(b"\xff\xfe[study]")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_study_file(tmp_path / "study.toml")


def test_missing_tables_are_named(tmp_path: Path) -> None:
    assert error_of(tmp_path, VALID.split("[space]")[0]).startswith("space: required")
    assert error_of(tmp_path, VALID.split("[objective]")[0]).startswith("objective: required")


# -- generated valid spaces ----------------------------------------------------------------------

_floats = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)


@st.composite
def parameters(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["float", "logfloat", "int", "choice"]))
    if kind == "choice":
        option = st.one_of(st.text("abcxyz_-. é", max_size=6), st.integers(-9, 9), st.booleans())
        unique = st.lists(option, min_size=1, max_size=5, unique_by=lambda o: (type(o), o))
        return {"type": "choice", "options": draw(unique)}
    if kind == "int":
        low = draw(st.integers(-1000, 1000))
        return {"type": "int", "low": low, "high": low + draw(st.integers(0, 1000))}
    if kind == "logfloat":
        low = draw(st.floats(1e-8, 1e3))
        return {"type": "float", "low": low, "high": low * draw(st.floats(1.001, 1e6)), "log": True}
    low = draw(_floats)
    high = low + draw(st.floats(1e-3, 1e6))
    return {"type": "float", "low": low, "high": high}


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        assert math.isfinite(value)
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(space=st.dictionaries(_names, parameters(), min_size=1, max_size=5))
def test_generated_valid_spaces_parse_to_the_same_space(
    tmp_path: Path, space: dict[str, dict[str, Any]]
) -> None:
    assume(len({name.upper() for name in space}) == len(space))
    lines = [
        f"{name} = {{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in spec.items()) + " }"
        for name, spec in space.items()
    ]
    text = (
        '[study]\nname = "gen"\n[space]\n' + "\n".join(lines) + "\n"
        f'[objective]\ncommand = [{json.dumps(sys.executable)}, "-c", "print(1)"]\n'
    )
    parsed = load_study_file(write(tmp_path, text, "gen.toml"))
    assert parsed.space == Space.from_dict(space)
    assert parsed.space.to_dict() == Space.from_dict(space).to_dict()
    assert parsed.space.names == list(space)
    assert os.path.isabs(parsed.objective["cwd"])


def test_sampler_table_holds_the_samplers_settings(tmp_path: Path) -> None:
    text = (
        VALID.replace('sampler = "random"', 'sampler = "bayes"')
        + "\n[sampler]\ndeterministic = true\n"
    )
    spec = load_study_file(write(tmp_path, text))
    assert dict(spec.sampler_options) == {"deterministic": True}
    assert dict(load_study_file(write(tmp_path, VALID)).sampler_options) == {}


def test_bad_sampler_table_is_one_line(tmp_path: Path) -> None:
    text = VALID.replace('sampler = "random"', 'sampler = "bayes"') + "\n[sampler]\ndeterm = 1\n"
    assert "sampler: unknown option(s) ['determ']" in error_of(tmp_path, text)
    text = VALID + "\n[sampler]\ndeterministic = true\n"
    assert "sampler: the random sampler takes none" in error_of(tmp_path, text)
