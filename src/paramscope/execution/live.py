"""Live trial: the handle an objective gets as its second argument to report and ask to stop."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

from paramscope.errors import ConfigError
from paramscope.stopping import Progress
from paramscope.storage.base import TrialMonitor

StopRule = Callable[[Progress], bool]
"""The running trial's progress -> whether it should stop now (see ``loop.RuleStopper``)."""


class LiveTrial:
    """The running trial as the objective sees it: its params, ``report`` and ``should_stop``.

    Example:
        >>> def fn(params, trial):
        ...     for epoch in range(3):
        ...         trial.report(epoch, 1.0 / (epoch + 1))
        ...         if trial.should_stop():
        ...             break
        ...     return 1.0 / (epoch + 1)
    """

    def __init__(
        self,
        monitor: TrialMonitor,
        study: str,
        number: int,
        params: Mapping[str, Any],
        stop_rule: StopRule | None = None,
    ) -> None:
        self.study = study
        self.number = number
        self.params = dict(params)
        self.reports: dict[int, float] = {}
        self.stop_requested = False
        self._monitor = monitor
        self._stop_rule = stop_rule
        self._top = -1  # the latest step reported
        self._judged = -1  # the latest step the rule has judged

    def report(self, step: int, value: float) -> None:
        """Record an intermediate value (e.g. validation loss after an epoch) at ``step``."""
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise ConfigError(f"report: step must be an integer >= 0, got {step!r}")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"report: value must be a finite number, got {value!r}")
        self.reports[step] = value
        self._top = max(self._top, step)
        self._monitor.report(self.study, self.number, step, value)

    def should_stop(self) -> bool:
        """Whether the study's stopping rule says this trial is not worth finishing.

        The rule judges each new latest step once (asking again before the next report is
        free); once it says stop, the answer stays True.
        """
        if self.stop_requested:
            return True
        if self._stop_rule is None or self._top <= self._judged:
            return False
        progress = Progress(self.number, MappingProxyType(self.reports), judged=self._judged)
        self._judged = self._top
        self.stop_requested = bool(self._stop_rule(progress))
        return self.stop_requested

    @property
    def last_report(self) -> tuple[int, float] | None:
        if not self.reports:
            return None
        step = max(self.reports)
        return step, self.reports[step]
