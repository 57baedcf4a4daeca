"""Stopping: early-stopping rules (ASHA, Hyperband, median) that judge trials by their reports.

Rules are frozen dataclasses behind one protocol (``StoppingRule``), pure functions of the running
trial's curve, the other trials' curves and the study's direction. A study stores its rule (by
default ASHA) and every worker applies it through ``trial.should_stop()``; it only ever acts on
objectives that report intermediate values.

Example:
    >>> from paramscope.stopping import ASHA, Progress
    >>> ASHA().should_stop(Progress(1, {1: 0.9}), {0: {1: 0.1}}, "min")
    True
"""

from __future__ import annotations

from paramscope.stopping.asha import (
    ASHA,
    Hyperband,
    bracket_budgets,
    bracket_of,
    n_brackets,
    promotable,
    rung_resource,
    rung_resources,
)
from paramscope.stopping.base import Curves, NoStopping, Progress, StoppingRule, value_at
from paramscope.stopping.median import MedianRule
from paramscope.stopping.rules import RULES, describe, make_rule, rule_config

__all__ = [
    "ASHA",
    "RULES",
    "Curves",
    "Hyperband",
    "MedianRule",
    "NoStopping",
    "Progress",
    "StoppingRule",
    "bracket_budgets",
    "bracket_of",
    "describe",
    "make_rule",
    "n_brackets",
    "promotable",
    "rule_config",
    "rung_resource",
    "rung_resources",
    "value_at",
]
