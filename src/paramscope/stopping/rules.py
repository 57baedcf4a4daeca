"""Rules registry: build a stopping rule from its name, its stored table, or the rule itself.

A study stores its rule as a plain table (``{"rule": "asha", "reduction_factor": 3, ...}``) so
that every worker, on any machine, rebuilds the same rule from the study alone; a missing table
or a missing ``rule`` key means the default, ASHA.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from paramscope.errors import ConfigError
from paramscope.stopping.asha import ASHA, Hyperband
from paramscope.stopping.base import NoStopping, StoppingRule
from paramscope.stopping.median import MedianRule

RULES: dict[str, type[ASHA] | type[Hyperband] | type[MedianRule] | type[NoStopping]] = {
    "asha": ASHA,
    "hyperband": Hyperband,
    "median": MedianRule,
    "none": NoStopping,
}
DEFAULT = "asha"
_FORM = "'asha', 'hyperband', 'median', 'none', a table with rule = one of them, or a rule object"


def settings(name: str) -> list[str]:
    """The settings a rule takes, in order.

    Example:
        >>> settings("median")
        ['warmup_steps', 'min_trials']
    """
    return [f.name for f in fields(RULES[name])]


def make_rule(spec: str | Mapping[str, Any] | StoppingRule | None = None) -> StoppingRule:
    """The rule that a name, a stored table or a rule object describes (None: the default).

    Raises:
        ConfigError: an unknown rule or setting, or a setting out of range, naming the field.

    Example:
        >>> make_rule("median")
        MedianRule(warmup_steps=0, min_trials=5)
        >>> make_rule({"rule": "asha", "reduction_factor": 4}).reduction_factor
        4
        >>> make_rule({"rule": "asha", "reduction_factor": 1})
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: stopping.reduction_factor: expected an integer >= 2, got 1
    """
    if spec is None:
        return ASHA()
    if isinstance(spec, ASHA | Hyperband | MedianRule | NoStopping):
        return spec
    if isinstance(spec, str):
        return _by_name(spec, {})
    if isinstance(spec, Mapping):
        table = dict(spec)
        name = table.pop("rule", DEFAULT)
        return _by_name(name, table)
    raise ConfigError(f"stopping: expected {_FORM}, got {spec!r}")


def _by_name(name: Any, table: dict[str, Any]) -> StoppingRule:
    if not isinstance(name, str) or name not in RULES:
        field = "stopping.rule" if table else "stopping"
        raise ConfigError(f"{field}: expected one of {', '.join(map(repr, RULES))}, got {name!r}")
    allowed = settings(name)
    unknown = [key for key in table if key not in allowed]
    if unknown:
        choices = ", ".join(allowed) or "none"
        raise ConfigError(
            f"stopping.{unknown[0]}: not a setting of {name!r}; its settings are {choices}"
        )
    return RULES[name](**table)


def rule_config(spec: str | Mapping[str, Any] | StoppingRule | None = None) -> dict[str, Any]:
    """The full table to store for a rule, every setting spelled out (checked first).

    Example:
        >>> rule_config("none")
        {'rule': 'none'}
    """
    return make_rule(spec).to_config()


def describe(spec: str | Mapping[str, Any] | StoppingRule | None = None) -> str:
    """A rule in one line, for ``paramscope status``: its name and the settings that are set.

    Example:
        >>> describe({"rule": "asha"})
        'asha (min_resource=1, reduction_factor=3, min_early_stopping_rate=0)'
        >>> describe("none")
        'none'
    """
    config = rule_config(spec)
    name = config.pop("rule")
    shown = ", ".join(f"{key}={value}" for key, value in config.items() if value is not None)
    return f"{name} ({shown})" if shown else str(name)
