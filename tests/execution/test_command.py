"""Tests for the command runner: a study file's command objective run as one trial."""

from __future__ import annotations

import json
import os
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from paramscope.errors import ConfigError
from paramscope.execution.command import (
    CommandResult,
    CommandSpec,
    format_value,
    run_command,
    validate_command,
)
from paramscope.execution.command_output import as_report, numeric_values, read_result_file
from paramscope.execution.command_spec import render_argv


def _script(tmp_path: Path, code: str, name: str = "objective.py") -> tuple[str, ...]:
    """Write a Python script into tmp_path and return the argv that runs it."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(code), encoding="utf-8")
    return (sys.executable, str(path))


def _run(
    tmp_path: Path, code: str, *args: str, params: dict[str, Any] | None = None, **kw: Any
) -> CommandResult:
    """Run an inline script as trial 0 of study 'demo' with its workdir under tmp_path/runs."""
    options = {key: kw.pop(key) for key in ("timeout", "keep", "env", "kill_grace") if key in kw}
    spec = CommandSpec(
        _script(tmp_path, code) + args, workdir_root=str(tmp_path / "runs"), **options
    )
    return run_command(spec, params or {}, study="demo", number=kw.pop("number", 0), **kw)


def _gone(pid: int) -> bool:
    """True when pid no longer runs (a zombie awaiting an unrelated reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in (b"Z", b"X")


def _wait_gone(pid: int, within: float = 3.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.02)
    return _gone(pid)


# --- inputs: placeholders, environment, params file, working directory -----------------------

ECHO = """
    import json, os, sys
    names = ["PARAMSCOPE_PARAM_LR", "PARAMSCOPE_PARAM_ACT", "PARAMSCOPE_PARAM_DEPTH",
             "PARAMSCOPE_TRIAL_NUMBER", "PARAMSCOPE_STUDY", "EXTRA"]
    with open(os.environ["PARAMSCOPE_PARAMS_FILE"]) as f:
        params = json.load(f)
    echo = {"argv": sys.argv[1:], "env": {n: os.environ.get(n) for n in names},
            "params": params, "cwd": os.getcwd(),
            "params_file": os.environ["PARAMSCOPE_PARAMS_FILE"],
            "result_file": os.environ["PARAMSCOPE_RESULT_FILE"]}
    with open("echo.json", "w") as f:
        json.dump(echo, f)
    print(json.dumps({"value": 1.0}))
"""


def test_parameters_reach_the_command_as_placeholders_env_and_file(tmp_path: Path) -> None:
    params = {"lr": 0.1 + 0.2, "act": "relu", "depth": 4}
    result = _run(
        tmp_path,
        ECHO,
        "--lr={lr}",
        "{act}-{depth}",
        "{{literal}}",
        "{lr:.2f}",
        params=params,
        number=7,
        keep="all",
        env={"EXTRA": "yes"},
    )
    assert result.error is None
    assert result.values == {"value": 1.0}
    assert result.workdir == str(tmp_path / "runs" / "demo" / "trial-7")
    echo = json.loads(Path(result.workdir, "echo.json").read_text())
    assert echo["argv"] == ["--lr=0.30000000000000004", "relu-4", "{literal}", "0.30"]
    assert float(echo["argv"][0].split("=")[1]) == params["lr"]  # repr round-trips
    assert echo["env"] == {
        "PARAMSCOPE_PARAM_LR": "0.30000000000000004",
        "PARAMSCOPE_PARAM_ACT": "relu",
        "PARAMSCOPE_PARAM_DEPTH": "4",
        "PARAMSCOPE_TRIAL_NUMBER": "7",
        "PARAMSCOPE_STUDY": "demo",
        "EXTRA": "yes",
    }
    assert echo["params"] == params
    assert os.path.realpath(echo["cwd"]) == os.path.realpath(result.workdir)
    assert os.path.dirname(echo["params_file"]) == result.workdir
    assert os.path.dirname(echo["result_file"]) == result.workdir
    assert Path(result.workdir, "stdout.txt").read_text() == '{"value": 1.0}\n'
    assert Path(result.workdir, "stderr.txt").read_text() == ""


def test_a_taken_workdir_gets_a_fresh_suffix(tmp_path: Path) -> None:
    first = _run(tmp_path, "print('{\"value\": 1}')", keep="all")
    second = _run(tmp_path, "print('{\"value\": 2}')", keep="all")
    assert first.workdir is not None and first.workdir.endswith("trial-0")
    assert second.workdir is not None and second.workdir.endswith("trial-0-1")


def test_relative_paths_resolve_against_the_launch_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "branin.py").write_text("import json; print(json.dumps({'value': 0.5}))\n")
    run_sh = tmp_path / "run.sh"
    run_sh.write_text(f'#!/bin/sh\nexec "{sys.executable}" branin.py\n')
    monkeypatch.chdir(tmp_path)
    spec = CommandSpec((sys.executable, "branin.py"), workdir_root="runs")
    assert run_command(spec, {}, study="s", number=0).values == {"value": 0.5}
    assert render_argv(("./run.sh", "-v", "out.txt"), {}, str(tmp_path)) == [
        str(run_sh),
        "-v",
        "out.txt",
    ]


# --- reading the result ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stdout", "expected"),
    [
        ('starting\n{"value": 1.25}\ndone\n', {"value": 1.25}),
        ('{"value": 1}\n{"value": 2}\nbye\n', {"value": 2.0}),
        (
            '{"loss": 0.3, "acc": 0.9, "note": "ok", "flag": true, "n": null}\n',
            {"loss": 0.3, "acc": 0.9},
        ),
        ('{"value": 3.5}\n{"step": 9, "value": 0.1}\n{not json}\n', {"value": 3.5}),
        ('  {"value": -2e-3}  \n[1, 2]\n"text"\n', {"value": -0.002}),
        ('noise\n{"value": 7}', {"value": 7.0}),
    ],
    ids=["noise-around", "last-wins", "non-numeric-dropped", "reports-ignored", "spaces", "no-eol"],
)
def test_result_is_the_last_json_object_line(
    tmp_path: Path, stdout: str, expected: dict[str, float]
) -> None:
    result = _run(tmp_path, f"import sys; sys.stdout.write({stdout!r})")
    assert result.error is None
    assert result.values == expected
    assert result.workdir is None  # complete: removed
    assert not (tmp_path / "runs" / "demo").exists()


def test_result_file_is_preferred_to_stdout(tmp_path: Path) -> None:
    code = """
        import json, os
        print(json.dumps({"value": 1.0}))
        with open(os.environ["PARAMSCOPE_RESULT_FILE"], "w") as f:
            json.dump({"value": 2.0, "acc": 0.5}, f)
    """
    assert _run(tmp_path, code).values == {"value": 2.0, "acc": 0.5}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"value": 1}', ({"value": 1}, None)),
        (b"2.5\n", ({"value": 2.5}, None)),
        (b"  \n", (None, None)),
        (b"[1]", (None, "must hold a JSON object")),
        (b"{oops", (None, "is not valid JSON")),
        (b'{"value": "\xff"}', (None, "is not UTF-8 text")),
    ],
)
def test_read_result_file(tmp_path: Path, content: bytes, expected: tuple[Any, Any]) -> None:
    path = tmp_path / "result.json"
    path.write_bytes(content)
    obj, error = read_result_file(str(path))
    assert obj == expected[0]
    assert (error is None) if expected[1] is None else (expected[1] in (error or ""))


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        ({"step": 3, "value": 0.41}, (3, 0.41)),
        ({"step": 2.0, "value": 1}, (2, 1.0)),
        ({"step": 2.5, "value": 1}, None),
        ({"step": True, "value": 1}, None),
        ({"step": 1, "value": "x"}, None),
        ({"step": 1, "value": float("nan")}, None),
    ],
)
def test_as_report(obj: dict[str, Any], expected: tuple[int, float] | None) -> None:
    assert as_report(obj) == expected


@pytest.mark.parametrize(
    ("stdout", "key"),
    [
        ('{"value": NaN}', "value"),
        ('{"acc": 1, "loss": Infinity}', "loss"),
        ('{"v": -Infinity}', "v"),
    ],
)
def test_non_finite_values_fail_naming_the_key(tmp_path: Path, stdout: str, key: str) -> None:
    result = _run(tmp_path, f"print({stdout!r})")
    assert result.values is None
    assert result.error is not None
    assert result.error.startswith(f"result key {key!r} is not a finite number")


def test_numeric_values_without_numbers_fail() -> None:
    values, error = numeric_values({"status": "ok"})
    assert values is None
    assert error is not None and "no numeric values" in error


def test_non_utf8_noise_is_tolerated_but_an_undecodable_result_fails(tmp_path: Path) -> None:
    noise = "import sys; sys.stdout.buffer.write(b'caf\\xe9 \\xff\\n{\"value\": 1.5}\\n')"
    result = _run(tmp_path, noise)
    assert result.values == {"value": 1.5}
    bad = 'import sys; sys.stdout.buffer.write(b\'{"value": 1.5}\\n{"value": 2, "n\\xff": 1}\\n\')'
    result = _run(tmp_path, bad)
    assert result.values is None
    assert result.error is not None and result.error.startswith("output is not UTF-8 text")
    assert "\ufffd" in result.error  # the tail is decoded with replacement characters


# --- failures ----------------------------------------------------------------------------------


def test_non_zero_exit_fails_with_the_stderr_tail_and_keeps_the_workdir(tmp_path: Path) -> None:
    code = """
        import sys
        print('{"value": 1.0}')
        print("x" * 5000)
        print("boom: something broke", file=sys.stderr)
        sys.exit(3)
    """
    result = _run(tmp_path, code)
    assert result.values is None
    assert result.returncode == 3
    assert result.error is not None
    assert result.error.startswith("command exited with code 3\n")
    assert result.error.endswith("--- stderr ---\nboom: something broke")
    assert "--- stdout (last 2000 characters) ---\n" + "x" * 1999 in result.error
    assert result.workdir is not None
    assert "boom" in Path(result.workdir, "stderr.txt").read_text()


def test_no_json_result_fails(tmp_path: Path) -> None:
    result = _run(tmp_path, "print('all done, loss=0.3')")
    assert result.error is not None
    assert result.error.startswith("no JSON result: the last line of stdout that is a JSON object")
    assert result.error.endswith("--- stdout ---\nall done, loss=0.3\n--- stderr: empty ---")


def test_killed_by_a_signal(tmp_path: Path) -> None:
    result = _run(tmp_path, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)")
    assert result.returncode == -9
    assert result.error is not None and result.error.startswith(
        "command was killed by signal SIGKILL"
    )


def test_a_workdir_root_that_is_a_file_fails(tmp_path: Path) -> None:
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "demo").write_text("not a directory")
    result = _run(tmp_path, "print('{\"value\": 1}')")
    assert result.values is None
    assert result.error is not None
    assert result.error.startswith("could not create the working directory under")


def test_a_cancel_set_before_the_start_runs_nothing(tmp_path: Path) -> None:
    cancel = threading.Event()
    cancel.set()
    result = _run(tmp_path, "raise SystemExit('must not run')", cancel=cancel)
    assert (result.error, result.returncode, result.workdir) == ("interrupted", None, None)


def test_a_command_that_cannot_start_fails(tmp_path: Path) -> None:
    not_executable = tmp_path / "plain.txt"
    not_executable.write_text("hello")
    spec = CommandSpec((str(not_executable),), workdir_root=str(tmp_path / "runs"))
    result = run_command(spec, {}, study="demo", number=0)
    assert result.values is None
    assert result.returncode is None
    assert result.error is not None and result.error.startswith("could not start the command")


@pytest.mark.parametrize(
    ("keep", "fail", "kept"),
    [
        ("failed", False, False),
        ("failed", True, True),
        ("all", False, True),
        ("all", True, True),
        ("none", False, False),
        ("none", True, False),
    ],
)
def test_keep_policy(tmp_path: Path, keep: str, fail: bool, kept: bool) -> None:
    result = _run(tmp_path, f"print('{{\"value\": 1}}'); raise SystemExit({int(fail)})", keep=keep)
    assert (result.values is None) is fail
    assert (result.workdir is not None) is kept
    assert (tmp_path / "runs" / "demo" / "trial-0").exists() is kept


# --- while it runs: reports, stop, timeout, cancel ---------------------------------------------


def test_reports_are_delivered_in_order_while_the_command_runs(tmp_path: Path) -> None:
    go = tmp_path / "go"
    code = f"""
        import json, os, time
        print(json.dumps({{"step": 0, "value": 1.0}}))
        deadline = time.time() + 10
        while not os.path.exists({str(go)!r}):  # the test's on_report creates it
            if time.time() > deadline:
                raise SystemExit("reports were not read while the command ran")
            time.sleep(0.01)
        for step in (1, 2, 3):
            print(json.dumps({{"step": step, "value": 1.0 / (step + 1)}}))
        print(json.dumps({{"value": 0.25}}))
    """
    seen: list[tuple[int, float]] = []

    def on_report(step: int, value: float) -> None:
        seen.append((step, value))
        go.touch()

    result = _run(tmp_path, code, on_report=on_report)
    assert result.error is None
    assert result.values == {"value": 0.25}
    assert seen == [(0, 1.0), (1, 0.5), (2, 1 / 3), (3, 0.25)]
    assert result.reports == tuple(seen)


TRAPS_SIGTERM = """
    import json, os, signal, sys, time
    def on_term(signum, frame):
        open(os.environ["MARKER"], "w").close()
        sys.exit(0)
    signal.signal(signal.SIGTERM, on_term)
    for step in range(1000):
        print(json.dumps({"step": step, "value": float(step)}))
        time.sleep(0.05)
"""


def test_should_stop_terminates_with_sigterm_and_keeps_reports(tmp_path: Path) -> None:
    marker = tmp_path / "got-sigterm"
    seen: list[tuple[int, float]] = []
    result = _run(
        tmp_path,
        TRAPS_SIGTERM,
        env={"MARKER": str(marker)},
        on_report=lambda step, value: seen.append((step, value)),
        should_stop=lambda: len(seen) >= 3,
    )
    assert result.stopped is True
    assert result.values is None
    assert result.error is None
    assert marker.exists()
    assert len(result.reports) >= 3
    assert result.reports == tuple(seen)
    assert [step for step, _ in result.reports] == list(range(len(result.reports)))
    assert result.workdir is None  # a stopped trial is not a failed one


def test_a_command_ignoring_sigterm_gets_sigkill_after_the_grace(tmp_path: Path) -> None:
    code = """
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print('{"step": 0, "value": 1.0}', flush=True)
        time.sleep(60)
    """
    reported = threading.Event()
    start = time.monotonic()
    result = _run(
        tmp_path,
        code,
        kill_grace=0.5,
        on_report=lambda step, value: reported.set(),
        should_stop=reported.is_set,
    )
    assert result.stopped is True
    assert result.returncode == -9
    assert result.reports == ((0, 1.0),)
    assert time.monotonic() - start < 10


SPAWNS_GRANDCHILD = """
    import os, subprocess, time
    child = subprocess.Popen(["sleep", "60"], start_new_session={own_session})
    with open(os.environ["PIDFILE"], "w") as f:
        f.write(str(child.pid))
    time.sleep(60)
"""


@pytest.mark.parametrize("own_session", [False, True], ids=["same-group", "own-session"])
def test_timeout_kills_the_whole_process_tree(tmp_path: Path, own_session: bool) -> None:
    pidfile = tmp_path / "grandchild.pid"
    start = time.monotonic()
    result = _run(
        tmp_path,
        SPAWNS_GRANDCHILD.format(own_session=own_session),
        timeout=1.0,
        env={"PIDFILE": str(pidfile)},
    )
    assert time.monotonic() - start < 10
    assert result.values is None
    assert result.error is not None
    assert result.error.startswith("timed out after 1 s; process tree killed")
    assert _wait_gone(int(pidfile.read_text()))


def test_a_background_process_left_behind_is_ended(tmp_path: Path) -> None:
    pidfile = tmp_path / "daemon.pid"
    code = """
        import os, subprocess
        child = subprocess.Popen(["sleep", "60"])  # inherits stdout: would hold the pipe open
        with open(os.environ["PIDFILE"], "w") as f:
            f.write(str(child.pid))
        print('{"value": 1.0}')
    """
    start = time.monotonic()
    result = _run(tmp_path, code, env={"PIDFILE": str(pidfile)})
    assert result.values == {"value": 1.0}
    assert time.monotonic() - start < 5
    assert _wait_gone(int(pidfile.read_text()))


def test_cancel_interrupts_the_run(tmp_path: Path) -> None:
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    result = _run(
        tmp_path, "import time; print('working', flush=True); time.sleep(60)", cancel=cancel
    )
    assert result.values is None
    assert result.stopped is False
    assert result.error is not None and result.error.startswith("interrupted\n")
    assert "working" in result.error


def test_an_exception_in_a_callback_ends_the_tree_and_propagates(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code = """
        import os, time
        open(os.environ["PIDFILE"], "w").write(str(os.getpid()))
        print('{"step": 0, "value": 1.0}', flush=True)
        time.sleep(60)
    """

    def on_report(step: int, value: float) -> None:
        raise RuntimeError("storage went away")

    with pytest.raises(RuntimeError, match="storage went away"):
        _run(tmp_path, code, env={"PIDFILE": str(pidfile)}, on_report=on_report)
    assert _wait_gone(int(pidfile.read_text()))


def test_large_output_does_not_deadlock(tmp_path: Path) -> None:
    code = """
        import sys
        line = "y" * 1023 + "\\n"
        for _ in range(6 * 1024):
            sys.stdout.write(line)
            sys.stderr.write(line)
        sys.stdout.write("z" * (2 << 20) + "\\n")  # one overlong line, ignored
        print('{"value": 42}')
    """
    start = time.monotonic()
    result = _run(tmp_path, code, keep="all")
    assert result.values == {"value": 42.0}
    assert time.monotonic() - start < 15
    assert result.workdir is not None
    assert os.path.getsize(Path(result.workdir, "stdout.txt")) > 8 << 20
    assert os.path.getsize(Path(result.workdir, "stderr.txt")) == 6 << 20


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (CommandSpec(()), "objective.command: expected a non-empty list of strings"),
        (
            CommandSpec((sys.executable, "{foo}")),
            "objective.command: placeholder {foo} names no parameter; parameters are x, y",
        ),
        (CommandSpec((sys.executable, "{}")), "objective.command: placeholder {} names no"),
        (CommandSpec((sys.executable, "{x")), "objective.command: argument '{x' has a stray brace"),
        (
            CommandSpec(("nosuchprog-paramscope",)),
            "objective.command: 'nosuchprog-paramscope' not found on PATH",
        ),
        (CommandSpec(("./no-such-run.sh",)), "objective.command: './no-such-run.sh' not found"),
        (
            CommandSpec((sys.executable,), timeout=0),
            "objective.timeout: expected a number of seconds > 0",
        ),
        (CommandSpec((sys.executable,), timeout=-1.0), "objective.timeout: expected"),
        (CommandSpec((sys.executable,), kill_grace=-1), "objective.kill_grace: expected"),
    ],
)
def test_validate_command_rejects(spec: CommandSpec, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_command(spec, ["x", "y"])
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_validate_command_accepts_a_good_spec(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_sh = tmp_path / "run.sh"
    run_sh.write_text("#!/bin/sh\n")
    run_sh.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    validate_command(CommandSpec(("./run.sh", "--x", "{x}", "{{y}}"), timeout=5), ["x", "y"])
    validate_command(CommandSpec(("python3", "{x:.3f}")), ["x"])
    run_sh.chmod(0o644)
    with pytest.raises(ConfigError, match="is not executable"):
        validate_command(CommandSpec(("./run.sh",)), ["x"])


def test_from_config_builds_a_spec() -> None:
    spec = CommandSpec.from_config(
        {
            "command": "python3 branin.py --x '{x}' --y {y}",
            "timeout": 60,
            "workdir": "runs",
            "keep": "all",
            "env": {"OMP_NUM_THREADS": 1, "MODE": "fast"},
        },
        space_names=["x", "y"],
    )
    assert spec == CommandSpec(
        ("python3", "branin.py", "--x", "{x}", "--y", "{y}"),
        timeout=60.0,
        workdir_root="runs",
        keep="all",
        env={"OMP_NUM_THREADS": "1", "MODE": "fast"},
    )
    default = CommandSpec.from_config({"command": ["python3"]}, space_names=[])
    assert (default.timeout, default.keep, default.workdir_root) == (
        None,
        "failed",
        "paramscope-runs",
    )


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({}, "objective.command: required"),
        ({"command": 3}, "objective.command: expected a list like"),
        ({"command": ["python3", 1]}, "objective.command: expected a list like"),
        ({"command": "python3 'unclosed"}, "objective.command: cannot split"),
        ({"command": []}, "objective.command: expected a non-empty list"),
        ({"command": ["python3", "{z}"]}, "objective.command: placeholder {z} names no parameter"),
        (
            {"command": ["python3"], "timeout": "1m"},
            "objective.timeout: expected a number of seconds",
        ),
        ({"command": ["python3"], "timeout": True}, "objective.timeout: expected a number"),
        (
            {"command": ["python3"], "timeout": 0},
            "objective.timeout: expected a number of seconds > 0",
        ),
        (
            {"command": ["python3"], "keep": "some"},
            "objective.keep: expected one of failed, all, none",
        ),
        ({"command": ["python3"], "workdir": ""}, "objective.workdir: expected a directory path"),
        ({"command": ["python3"], "env": ["A=1"]}, "objective.env: expected a table"),
        (
            {"command": ["python3"], "env": {"A": [1]}},
            "objective.env.A: expected a string or number",
        ),
        ({"command": ["python3"], "timout": 5}, "objective: unknown field(s) timout"),
    ],
)
def test_from_config_errors_name_the_field(table: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        CommandSpec.from_config(table, space_names=["x"])
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.1, "0.1"), (1e-05, "1e-05"), (3, "3"), (True, "True"), ("gelu", "gelu"), (None, "None")],
)
def test_format_value(value: Any, text: str) -> None:
    assert format_value(value) == text


def test_spec_rejects_a_string_argv() -> None:
    with pytest.raises(ConfigError, match=r"objective\.command: expected a list of strings"):
        CommandSpec("python run.py")  # type: ignore[arg-type]
