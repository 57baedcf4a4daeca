"""Objectives: build the callable a worker runs from a Python function or the study file's table.

A study file's ``[objective]`` table is stored with the study, so any worker on any machine can
rebuild the same objective from the study's name alone.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from paramscope.errors import ConfigError, ObjectiveError
from paramscope.execution.command import CommandSpec, run_command, validate_command
from paramscope.execution.live import LiveTrial
from paramscope.space import Space

Objective = Callable[..., Any]


def wants_trial(fn: Objective) -> bool:
    """Whether ``fn`` takes a second positional argument (the live trial) besides the params.

    A second argument with a default (``def f(params, a=7.0)``) is a setting of the function, not
    a request for the trial, unless it is named ``trial``.

    Example:
        >>> wants_trial(lambda params, trial: 0.0), wants_trial(lambda params, a=7.0: 0.0)
        (True, False)
    """
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return False
    positional = [
        p
        for p in signature.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    if any(p.kind == p.VAR_POSITIONAL for p in positional):
        return True
    if len(positional) < 2:
        return False
    second = positional[1]
    return second.default is second.empty or second.name == "trial"


def call_objective(fn: Objective, params: dict[str, Any], live: LiveTrial) -> Any:
    """Run ``fn(params)`` or ``fn(params, live)``, whichever it takes."""
    return fn(params, live) if wants_trial(fn) else fn(params)


@dataclass(frozen=True)
class CommandObjective:
    """A command run once per trial; picklable, so process and cluster workers can carry it."""

    spec: CommandSpec
    study: str
    first_objective: str

    def __call__(self, params: dict[str, Any], trial: LiveTrial) -> dict[str, float]:
        result = run_command(
            self.spec,
            params,
            study=self.study,
            number=trial.number,
            on_report=trial.report,
            should_stop=trial.should_stop,
        )
        if result.stopped:
            last = trial.last_report
            if last is None:
                raise ObjectiveError("stopped before it reported any value")
            trial.stop_requested = True
            return {self.first_objective: last[1]}
        if result.values is None:
            raise ObjectiveError(result.error or "command failed")
        return result.values


def import_function(path: str, *, cwd: str | None = None) -> Objective:
    """Import ``"package.module:function"`` (the study file's ``objective.function``)."""
    module_name, sep, attr = path.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"objective.function: expected 'package.module:function', got {path!r}")
    if cwd and cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"objective.function: cannot import {module_name!r}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ConfigError(f"objective.function: {module_name!r} has no function {attr!r}")
    return fn  # type: ignore[no-any-return]


def objective_from_config(
    table: Mapping[str, Any], *, study: str, space: Space, first_objective: str = "value"
) -> Objective:
    """The objective that a study file's ``[objective]`` table describes, checked before any run.

    Example:
        >>> from paramscope.space import Space, Float
        >>> import sys
        >>> fn = objective_from_config({"command": [sys.executable, "-c", "print({x})"]},
        ...                            study="s", space=Space({"x": Float(0, 1)}))
        >>> type(fn).__name__
        'CommandObjective'
    """
    if "function" in table and "command" in table:
        raise ConfigError("objective: give either 'command' or 'function', not both")
    if "function" in table:
        return import_function(str(table["function"]), cwd=table.get("cwd"))
    if "command" not in table:
        raise ConfigError("objective: expected 'command = [...]' or 'function = \"mod:fn\"'")
    spec = CommandSpec.from_config(table, space_names=space.names)
    validate_command(spec, space.names)
    return CommandObjective(spec=spec, study=study, first_objective=first_objective)
