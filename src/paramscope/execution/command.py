"""Command runner: run a study file's command objective as one trial and turn it into values.

The executor calls :func:`run_command` once per trial. It renders the ``{name}`` placeholders of
the command, creates the trial's working directory ``<workdir>/<study>/trial-<number>``, passes the
parameters also as ``PARAMSCOPE_PARAM_<NAME>`` variables and a JSON file, runs the command there
in a session of its own, relays its ``{"step": s, "value": v}`` reports while it runs, ends its
whole process tree on a timeout, a stop or a cancel, and reads its result: the JSON file at
``PARAMSCOPE_RESULT_FILE`` if written, else the last line of stdout that is a JSON object. A
failing command is data, never an exception: a :class:`CommandResult` with the reason and the tail
of its output.

Relative paths in the command (``./run.sh``, or an argument such as ``branin.py`` that names a file
in the directory paramscope was started from) are made absolute, since the command runs in its
trial's directory. ``PYTHONUNBUFFERED=1`` is set unless the environment says otherwise, so the
reports of a Python script arrive as it prints them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from paramscope.execution.command_output import StreamReader, final_values, with_tails
from paramscope.execution.command_spec import (
    CommandSpec,
    Keep,
    format_value,
    render_argv,
    validate_command,
)
from paramscope.execution.process_tree import ProcessTree

__all__ = [
    "CommandResult",
    "CommandSpec",
    "Keep",
    "format_value",
    "run_command",
    "validate_command",
]

_STOP_POLL = 0.2
_TICK = 0.05
_JOIN = 2.0
PARAMS_FILE = "params.json"
RESULT_FILE = "result.json"


@dataclass(frozen=True)
class CommandResult:
    """What one run of a command objective produced.

    Attributes:
        values: The numeric entries of its JSON result; None when it failed or was stopped.
        error: Why it failed, ending with the labelled tails of stdout and stderr; else None.
        reports: The ``(step, value)`` reports it printed, in order.
        stopped: True when ``should_stop()`` asked it to stop and its tree was ended.
        returncode: Its exit status (negative: the signal that ended it); None if it never ran.
        workdir: Its working directory if kept, else None.
    """

    values: dict[str, float] | None
    error: str | None
    reports: tuple[tuple[int, float], ...] = ()
    stopped: bool = False
    returncode: int | None = None
    workdir: str | None = None

    @property
    def failed(self) -> bool:
        """True when the run produced no values and was not stopped on purpose."""
        return self.values is None and not self.stopped


def _safe_name(study: str) -> str:
    name = "".join(c if c.isalnum() or c in "._-" else "_" for c in study).strip(".")
    return name or "study"


def _mkdir(path: str) -> None:
    """Create ``path`` and its parents; FileExistsError when ``path`` is taken."""
    for _ in range(2):
        try:
            os.makedirs(path)
        except FileNotFoundError:  # a finishing trial pruned the empty study directory just now
            continue
        except FileExistsError:
            if not os.path.isdir(os.path.dirname(path)):
                raise NotADirectoryError(f"{os.path.dirname(path)} is not a directory") from None
            raise
        return
    os.makedirs(path)


def _make_workdir(root: str, study: str, number: int) -> str:
    """Create a fresh ``<root>/<study>/trial-<number>`` (``-1``, ``-2``, ... if taken)."""
    base = os.path.join(os.path.abspath(root), _safe_name(study), f"trial-{number}")
    suffix = 0
    while True:
        path = base if suffix == 0 else f"{base}-{suffix}"
        try:
            _mkdir(path)
        except FileExistsError:
            suffix += 1
        else:
            return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _environment(
    spec: CommandSpec, params: Mapping[str, Any], workdir: str, study: str, number: int
) -> dict[str, str]:
    """The command's environment; also writes the parameters file into ``workdir``."""
    params_file = os.path.join(workdir, PARAMS_FILE)
    with open(params_file, "w", encoding="utf-8") as handle:
        json.dump(dict(params), handle, indent=2, default=_json_default)
        handle.write("\n")
    env = dict(os.environ)
    env.update(spec.env)
    env.setdefault("PYTHONUNBUFFERED", "1")
    env.update({f"PARAMSCOPE_PARAM_{k.upper()}": format_value(v) for k, v in params.items()})
    env.update(
        PARAMSCOPE_PARAMS_FILE=params_file,
        PARAMSCOPE_RESULT_FILE=os.path.join(workdir, RESULT_FILE),
        PARAMSCOPE_TRIAL_NUMBER=str(number),
        PARAMSCOPE_STUDY=study,
        PARAMSCOPE_WORKDIR=workdir,
        PARAMSCOPE_LAUNCH_DIR=spec.launch_dir,
    )
    return env


Ending = Literal["exited", "stopped", "interrupted", "timeout"]


@dataclass
class _Run:
    """One live command, as the supervision loop sees it."""

    proc: subprocess.Popen[bytes]
    stdout: StreamReader
    stderr: StreamReader
    queue: queue.Queue[tuple[int, float]]
    on_report: Callable[[int, float], None] | None
    reports: list[tuple[int, float]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        proc: subprocess.Popen[bytes],
        workdir: str,
        on_report: Callable[[int, float], None] | None,
    ) -> _Run:
        """Start draining a just-started command's pipes into ``workdir``."""
        assert proc.stdout is not None and proc.stderr is not None  # both are pipes
        reports: queue.Queue[tuple[int, float]] = queue.Queue()
        run = cls(
            proc,
            StreamReader(proc.stdout, os.path.join(workdir, "stdout.txt"), reports=reports),
            StreamReader(proc.stderr, os.path.join(workdir, "stderr.txt"), reports=None),
            reports,
            on_report,
        )
        run.stdout.start()
        run.stderr.start()
        return run

    def close(self, tree: ProcessTree, grace: float) -> None:
        """End the process tree, read the pipes to their end and relay the last reports."""
        tree.terminate(grace=grace)  # also ends what an exited command left behind
        for reader in (self.stdout, self.stderr):
            reader.join(_JOIN)
            reader.abandon()  # an escaped process may still hold the pipe: stop waiting for it
            reader.join()

    def relay(self, wait: float) -> None:
        """Hand the reports read so far to ``on_report``, waiting up to ``wait`` s for one."""
        try:
            item = self.queue.get(timeout=wait) if wait > 0 else self.queue.get_nowait()
            while True:
                self.reports.append(item)
                if self.on_report is not None:
                    self.on_report(*item)
                item = self.queue.get_nowait()
        except queue.Empty:
            return


def _supervise(
    run: _Run,
    timeout: float | None,
    should_stop: Callable[[], bool] | None,
    cancel: threading.Event | None,
) -> Ending:
    """Wait for the command while relaying its reports; say why the wait ended."""
    now = time.monotonic()
    deadline = None if timeout is None else now + timeout
    next_poll = now + _STOP_POLL
    while True:
        run.relay(_TICK)
        if run.proc.poll() is not None:
            return "exited"
        if cancel is not None and cancel.is_set():
            return "interrupted"
        now = time.monotonic()
        if deadline is not None and now >= deadline:
            return "timeout"
        if should_stop is not None and now >= next_poll:
            next_poll = now + _STOP_POLL
            if should_stop():
                return "stopped"


def _reason(
    run: _Run, ended: Ending, spec: CommandSpec, workdir: str
) -> tuple[dict[str, float] | None, str | None]:
    """The values, or the reason for failure, of a run that has ended and been reaped."""
    code = run.proc.returncode
    if ended == "interrupted":
        return None, "interrupted"
    if ended == "timeout":
        return None, f"timed out after {spec.timeout:g} s; process tree killed"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return None, f"command was killed by signal {name} ({-code})"
    if code:
        return None, f"command exited with code {code}"
    result_file = os.path.join(workdir, RESULT_FILE)
    return final_values(result_file, run.stdout.result, undecodable=run.stdout.result_undecodable)


def _outcome(run: _Run, ended: Ending, spec: CommandSpec, workdir: str) -> CommandResult:
    """The result of a run whose tree has ended and whose pipes are read to their end."""
    reports, code = tuple(run.reports), run.proc.returncode
    if ended == "stopped":
        return CommandResult(None, None, reports, True, code, workdir)
    values, reason = _reason(run, ended, spec, workdir)
    if reason is None:
        return CommandResult(values, None, reports, False, code, workdir)
    error = with_tails(reason, run.stdout.tail_text(), run.stderr.tail_text())
    return CommandResult(None, error, reports, False, code, workdir)


def _finish(spec: CommandSpec, result: CommandResult) -> CommandResult:
    """Apply ``keep``: remove the working directory unless it is to be kept."""
    workdir = result.workdir
    if workdir is None or spec.keep == "all" or (spec.keep == "failed" and result.failed):
        return result
    shutil.rmtree(workdir, ignore_errors=True)
    try:
        os.rmdir(os.path.dirname(workdir))  # the study's directory, once empty
    except OSError:
        pass
    return dataclasses.replace(result, workdir=None)


def _start(
    spec: CommandSpec, params: Mapping[str, Any], workdir: str, study: str, number: int
) -> subprocess.Popen[bytes]:
    """Start the command in ``workdir`` in a session of its own (OSError if it cannot start)."""
    argv = render_argv(spec.argv, params, spec.launch_dir)
    env = _environment(spec, params, workdir, study, number)
    return subprocess.Popen(
        argv,
        cwd=workdir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def run_command(
    spec: CommandSpec,
    params: Mapping[str, Any],
    *,
    study: str,
    number: int,
    on_report: Callable[[int, float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    cancel: threading.Event | None = None,
) -> CommandResult:
    """Run the command for one trial and return its values, or why it failed; never raises.

    ``on_report`` and ``should_stop`` are called from the calling thread: ``on_report(step,
    value)`` for each ``{"step": s, "value": v}`` line as it is printed, and ``should_stop()``
    every 0.2 s; when it returns True the process tree is ended (SIGTERM, SIGKILL after
    ``spec.kill_grace``) and the result is ``stopped``. Setting ``cancel`` ends the tree the same
    way and fails the run as ``interrupted``. An exception from a callback ends the tree and is
    re-raised.

    Args:
        spec: The validated command (see :func:`validate_command`).
        params: The trial's parameters, by name.
        study: The study's name, for the working directory and ``PARAMSCOPE_STUDY``.
        number: The trial's number.
        on_report: Receives each intermediate report.
        should_stop: Polled while the command runs; True stops it.
        cancel: Set to interrupt the run (Ctrl-C, shutdown).

    Returns:
        The run's :class:`CommandResult`; ``workdir`` is set when the directory was kept.

    Example:
        >>> import sys, tempfile
        >>> code = "import json; print(json.dumps(dict(value={x} ** 2)))"
        >>> spec = CommandSpec((sys.executable, "-c", code), workdir_root=tempfile.mkdtemp())
        >>> run_command(spec, {"x": 3.0}, study="demo", number=0).values
        {'value': 9.0}
    """
    if cancel is not None and cancel.is_set():
        return CommandResult(None, "interrupted")
    try:
        workdir = _make_workdir(os.path.join(spec.launch_dir, spec.workdir_root), study, number)
    except OSError as exc:
        where = spec.workdir_root
        return CommandResult(None, f"could not create the working directory under {where!r}: {exc}")
    try:
        proc = _start(spec, params, workdir, study, number)
    except (OSError, ValueError) as exc:  # ConfigError, or a NUL byte in an argument
        failure = CommandResult(None, f"could not start the command: {exc}", workdir=workdir)
        return _finish(spec, failure)
    tree = ProcessTree(proc)
    run = _Run.start(proc, workdir, on_report)
    try:
        ended = _supervise(run, spec.timeout, should_stop, cancel)
    finally:
        run.close(tree, spec.kill_grace)
    run.relay(0)
    return _finish(spec, _outcome(run, ended, spec, workdir))
