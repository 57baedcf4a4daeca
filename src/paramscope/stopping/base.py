"""Stopping base: the one protocol every early-stopping rule meets, and the records it reads.

A rule is a small frozen dataclass whose ``should_stop`` is a pure function of the running
trial's curve (:class:`Progress`), the other trials' curves (trial number -> step -> value) and
the direction of the study's first objective. It never reads storage: the worker hands it a
snapshot of the reports (see ``execution/history.py``), so every rule is testable on hand-made
report sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeAlias

from paramscope.errors import ConfigError
from paramscope.storage.base import Direction

Curve: TypeAlias = Mapping[int, float]
"""One trial's reports: step -> value."""

Curves: TypeAlias = Mapping[int, Curve]
"""The reports of a study's trials: trial number -> step -> value."""


@dataclass(frozen=True)
class Progress:
    """The running trial as a rule judges it.

    Attributes:
        number: The trial's number (Hyperband chooses its bracket from it).
        reports: Its own curve so far, step -> value; never empty when a rule is asked.
        judged: The latest step already judged (-1: none). Rungs at or below it were decided
            earlier and are not decided again: a promotion in ASHA is never taken back.

    Example:
        >>> p = Progress(3, {0: 0.9, 1: 0.7})
        >>> p.step, p.value
        (1, 0.7)
    """

    number: int
    reports: Curve
    judged: int = -1

    @property
    def step(self) -> int:
        """The latest reported step."""
        return max(self.reports)

    @property
    def value(self) -> float:
        """The value reported at the latest step."""
        return self.reports[self.step]


class StoppingRule(Protocol):
    """An early-stopping rule: decides, as reports arrive, whether a trial is worth finishing."""

    name: ClassVar[str]

    def should_stop(self, trial: Progress, others: Curves, direction: Direction) -> bool:
        """Whether ``trial`` should stop now, given the other trials' reports."""
        ...

    def to_config(self) -> dict[str, Any]:
        """The rule as a plain table (``{"rule": name, setting: value, ...}``), for storage."""
        ...


@dataclass(frozen=True)
class NoStopping:
    """The rule that never stops a trial (``stopping="none"``).

    Example:
        >>> NoStopping().should_stop(Progress(0, {5: 9.0}), {}, "min")
        False
    """

    name: ClassVar[str] = "none"

    def should_stop(self, trial: Progress, others: Curves, direction: Direction) -> bool:
        return False

    def to_config(self) -> dict[str, Any]:
        return {"rule": self.name}


def value_at(curve: Curve, resource: int) -> float | None:
    """The value a curve had when it first reached ``resource``: at the first step >= it.

    None when the curve never got that far. A trial that reports every step gives its value at
    ``resource`` itself; one that reports less often is judged at its next report.

    Example:
        >>> value_at({1: 0.5, 4: 0.3, 9: 0.2}, 3), value_at({1: 0.5}, 3)
        (0.3, None)
    """
    if resource in curve:
        return curve[resource]
    later = [step for step in curve if step >= resource]
    return curve[min(later)] if later else None


def better_or_equal(a: float, b: float, direction: Direction) -> bool:
    """Whether ``a`` is at least as good as ``b`` in ``direction``.

    Example:
        >>> better_or_equal(0.1, 0.2, "min"), better_or_equal(0.1, 0.2, "max")
        (True, False)
    """
    return a <= b if direction == "min" else a >= b


def check_int(value: Any, field: str, *, least: int, form: str | None = None) -> int:
    """``value`` as an int >= ``least``, else a ConfigError naming ``stopping.<field>``.

    Example:
        >>> check_int(3, "reduction_factor", least=2)
        3
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        expected = form or f"an integer >= {least}"
        raise ConfigError(f"stopping.{field}: expected {expected}, got {value!r}")
    return value


def others_than(number: int, others: Curves) -> list[Curve]:
    """The non-empty curves of ``others`` but trial ``number``'s own.

    Example:
        >>> others_than(1, {0: {1: 0.5}, 1: {1: 0.4}, 2: {}})
        [{1: 0.5}]
    """
    return [curve for n, curve in others.items() if n != number and curve]
