"""Command spec: the ``[objective]`` command of a study file, validated, and its placeholders.

:class:`CommandSpec` says how to run a command objective; :func:`validate_command` checks it once,
before any trial runs (a failing configuration is a clear error, never a failed trial); and
:func:`render_argv` fills a trial's parameters into the ``{name}`` placeholders. The command runner
(:mod:`paramscope.execution.command`) runs what this module describes.
"""

from __future__ import annotations

import os
import shlex
import shutil
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import numpy as np

from paramscope.errors import ConfigError
from paramscope.trial import FrozenDict, frozen

Keep = Literal["failed", "all", "none"]
_KEEP_VALUES: tuple[str, ...] = get_args(Keep)
_FIELDS = ("command", "timeout", "workdir", "keep", "env", "kill_grace", "cwd")
_FORMATTER = string.Formatter()


@dataclass(frozen=True)
class CommandSpec:
    """How to run a command objective; built by :meth:`from_config` from ``[objective]``.

    Attributes:
        argv: The command and its arguments; ``{name}`` placeholders name parameters.
        timeout: Seconds before the run is killed and recorded failed; None for no limit.
        workdir_root: Per-trial working directories are ``<root>/<study>/trial-<number>``.
        keep: Which trial directories to keep afterwards: ``failed`` ones, ``all`` or ``none``.
        env: Extra environment variables for the command.
        kill_grace: Seconds between SIGTERM and SIGKILL when the process tree is ended.
        cwd: The launch directory (the study file's folder): relative paths in the command and
            ``workdir_root`` are taken from it; None means the current directory at run time.

    Example:
        >>> CommandSpec(("python", "run.py", "--x", "{x}"), timeout=60).argv
        ('python', 'run.py', '--x', '{x}')
    """

    argv: tuple[str, ...]
    timeout: float | None = None
    workdir_root: str = "paramscope-runs"
    keep: Keep = "failed"
    env: Mapping[str, str] = field(default_factory=FrozenDict)
    kill_grace: float = 5.0
    cwd: str | None = None

    @property
    def launch_dir(self) -> str:
        return self.cwd or os.getcwd()

    def __post_init__(self) -> None:
        if isinstance(self.argv, str):
            raise ConfigError(
                f"objective.command: expected a list of strings, got the string {self.argv!r} "
                "(CommandSpec.from_config splits strings with shlex)"
            )
        object.__setattr__(self, "argv", tuple(self.argv))
        object.__setattr__(self, "env", frozen(self.env))

    @classmethod
    def from_config(cls, table: Mapping[str, Any], *, space_names: Sequence[str]) -> CommandSpec:
        """Build and validate a spec from the study file's ``[objective]`` table.

        Args:
            table: Fields ``command`` (list of strings, or one string split like a shell does),
                ``timeout`` (seconds), ``workdir``, ``keep`` and ``env`` (a table of strings);
                also ``kill_grace`` (seconds).
            space_names: The study's parameter names, which placeholders must use.

        Returns:
            The validated spec.

        Raises:
            ConfigError: A one-line message naming the field (``objective.timeout: ...``).

        Example:
            >>> spec = CommandSpec.from_config(
            ...     {"command": "python -c 'print({x})'", "timeout": 60}, space_names=["x"]
            ... )
            >>> spec.argv, spec.timeout
            (('python', '-c', 'print({x})'), 60.0)
        """
        if not isinstance(table, Mapping):
            raise ConfigError(f"objective: expected a table, got {table!r}")
        unknown = sorted(set(table) - set(_FIELDS))
        if unknown:
            raise ConfigError(
                f"objective: unknown field(s) {', '.join(map(str, unknown))}; "
                f"expected {', '.join(_FIELDS)}"
            )
        timeout = table.get("timeout")
        spec = cls(
            argv=_config_command(table.get("command")),
            timeout=None if timeout is None else _config_seconds("timeout", timeout),
            workdir_root=_config_workdir(table.get("workdir", "paramscope-runs")),
            keep=_config_keep(table.get("keep", "failed")),
            env=_config_env(table.get("env", {})),
            kill_grace=_config_seconds("kill_grace", table.get("kill_grace", 5.0)),
            cwd=_config_workdir(table["cwd"]) if "cwd" in table else None,
        )
        validate_command(spec, space_names)
        return spec


def _config_command(command: Any) -> tuple[str, ...]:
    example = 'a list like ["python", "run.py", "--x", "{x}"] or a string'
    if command is None:
        raise ConfigError(f"objective.command: required; expected {example}")
    if isinstance(command, str):
        try:
            return tuple(shlex.split(command))
        except ValueError as exc:
            raise ConfigError(f"objective.command: cannot split {command!r}: {exc}") from None
    if not isinstance(command, Sequence) or not all(isinstance(a, str) for a in command):
        raise ConfigError(f"objective.command: expected {example}, got {command!r}")
    return tuple(command)


def _config_seconds(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"objective.{name}: expected a number of seconds, got {value!r}")
    return float(value)


def _config_workdir(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"objective.workdir: expected a directory path, got {value!r}")
    return value


def _config_keep(value: Any) -> Keep:
    if value not in _KEEP_VALUES:
        raise ConfigError(f"objective.keep: expected one of failed, all, none; got {value!r}")
    return value  # type: ignore[no-any-return]


def _config_env(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"objective.env: expected a table like {{OMP_NUM_THREADS = 1}}, got {value!r}"
        )
    env: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not key or "=" in key:
            raise ConfigError(
                f"objective.env: variable names must be non-empty, without '=', got {key!r}"
            )
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise ConfigError(f"objective.env.{key}: expected a string or number, got {item!r}")
        env[key] = str(item)
    return env


def _placeholders(arg: str) -> list[tuple[str, str | None, str, str | None]]:
    """The parsed pieces of one argument; ConfigError for braces that do not pair up."""
    try:
        pieces = list(_FORMATTER.parse(arg))
    except ValueError as exc:
        raise ConfigError(
            f"objective.command: argument {arg!r} has a stray brace ({exc}); "
            "write {{ and }} for literal braces"
        ) from None
    for _, name, spec, conversion in pieces:
        if name is not None and ("{" in (spec or "") or conversion not in (None, "r", "s", "a")):
            raise ConfigError(
                f"objective.command: placeholder in {arg!r} must be {{name}} or {{name:format}}"
            )
    return [(lit, name, spec or "", conv) for lit, name, spec, conv in pieces]


def _check_executable(program: str, path_env: str | None, launch_dir: str) -> None:
    if os.sep in program or (os.altsep is not None and os.altsep in program):
        full = os.path.abspath(os.path.join(launch_dir, program))
        if not os.path.isfile(full):
            raise ConfigError(f"objective.command: {program!r} not found (looked for {full})")
        if not os.access(full, os.X_OK):
            raise ConfigError(f"objective.command: {program!r} is not executable (chmod +x {full})")
    elif shutil.which(program, path=path_env) is None:
        raise ConfigError(f"objective.command: {program!r} not found on PATH")


def validate_command(spec: CommandSpec, space_names: Sequence[str]) -> None:
    """Check a spec before any trial runs; raise ConfigError naming the field otherwise.

    Checks: a non-empty command of strings, placeholders that name parameters, an executable
    that exists (a path with a ``/`` is resolved against the launch directory, a bare name is
    looked up on PATH), ``timeout > 0``, ``kill_grace >= 0`` and ``keep``.

    Args:
        spec: The spec to check.
        space_names: The study's parameter names.

    Raises:
        ConfigError: One line naming the field and the expected form.

    Example:
        >>> try:
        ...     validate_command(CommandSpec(("python", "run.py", "{lr}")), ["x", "y"])
        ... except ConfigError as exc:
        ...     print(exc)
        objective.command: placeholder {lr} names no parameter; parameters are x, y
    """
    if not spec.argv or not all(isinstance(arg, str) for arg in spec.argv):
        raise ConfigError(
            'objective.command: expected a non-empty list of strings like ["python", "run.py"], '
            f"got {list(spec.argv)!r}"
        )
    names = set(space_names)
    for arg in spec.argv:
        for _, name, _, _ in _placeholders(arg):
            if name is not None and name not in names:
                raise ConfigError(
                    f"objective.command: placeholder {{{name}}} names no parameter; "
                    f"parameters are {', '.join(space_names) or '(none)'}"
                )
    if not any(name is not None for _, name, _, _ in _placeholders(spec.argv[0])):
        path_env = spec.env.get("PATH", os.environ.get("PATH"))
        _check_executable(spec.argv[0], path_env, spec.launch_dir)
    if spec.timeout is not None and not spec.timeout > 0:
        raise ConfigError(
            f"objective.timeout: expected a number of seconds > 0, got {spec.timeout}"
        )
    if not spec.kill_grace >= 0:
        raise ConfigError(f"objective.kill_grace: expected seconds >= 0, got {spec.kill_grace}")
    if spec.keep not in _KEEP_VALUES:
        raise ConfigError(f"objective.keep: expected one of failed, all, none; got {spec.keep!r}")


def format_value(value: Any) -> str:
    """A parameter value as command-line text: floats by ``repr`` (so they round-trip).

    Example:
        >>> format_value(0.1), format_value(np.float64(1e-05)), format_value(np.int64(3))
        ('0.1', '1e-05', '3')
    """
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return repr(float(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def render_argv(argv: Sequence[str], params: Mapping[str, Any], base: str) -> list[str]:
    """Fill a trial's parameters into the placeholders and make relative paths absolute.

    The command runs in its trial's directory, so a relative executable path (``./run.sh``) and
    an argument without placeholders that names a file in ``base`` (``branin.py``) become absolute
    paths under ``base``. Values are formatted by :func:`format_value` unless the placeholder has
    a format spec of its own (``{x:.3f}``).

    Args:
        argv: The command as written, with ``{name}`` placeholders (``{{``/``}}`` are braces).
        params: The trial's parameters, by name.
        base: The directory relative paths are resolved against (where paramscope was started).

    Returns:
        The argument list to execute.

    Raises:
        ConfigError: A placeholder with no parameter, or a value its format spec cannot format.

    Example:
        >>> render_argv(("echo", "--lr={lr}", "{{literal}}"), {"lr": 0.001}, "/nonexistent")
        ['echo', '--lr=0.001', '{literal}']
    """
    rendered: list[str] = []
    for index, arg in enumerate(argv):
        parts: list[str] = []
        templated = False
        for literal, name, spec, conversion in _placeholders(arg):
            parts.append(literal)
            if name is None:
                continue
            templated = True
            if name not in params:
                raise ConfigError(f"objective.command: placeholder {{{name}}} names no parameter")
            value = params[name]
            if conversion:
                value = _FORMATTER.convert_field(value, conversion)
            try:
                parts.append(format(value, spec) if spec or conversion else format_value(value))
            except (ValueError, TypeError) as exc:
                raise ConfigError(
                    f"objective.command: cannot format {{{name}:{spec}}} with {value!r}: {exc}"
                ) from None
        text = "".join(parts)
        if not templated and not os.path.isabs(text) and not text.startswith("-"):
            candidate = os.path.join(base, text)
            if (index == 0 and os.sep in text) or (index > 0 and os.path.isfile(candidate)):
                text = os.path.normpath(candidate)
        rendered.append(text)
    return rendered
