"""Calibration options: settings of history matching, MCMC and the two-level check, checked once.

``CalibrationOptions`` holds everything past ``calibrate``'s common arguments; ``RunPlan`` splits a
budget of simulator runs into history-matching waves and the runs that check the emulator at
posterior draws.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from paramscope.analysis.calibration.emulator import EmulatorOptions
from paramscope.errors import ConfigError

Scales = float | Sequence[float] | Mapping[str, float | Sequence[float]]


def _int_at_least(name: str, value: object, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"options.{name}: expected an integer >= {low}, got {value!r}")


def _number_in(name: str, value: object, low: float, high: float) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(float(value)) or not low < float(value) <= high:  # type: ignore[arg-type]
        raise ConfigError(
            f"options.{name}: expected a number in ({low:g}, {high:g}], got {value!r}"
        )


@dataclass(frozen=True)
class CalibrationOptions:
    """Settings of ``calibrate`` beyond its common arguments.

    Attributes:
        waves: history-matching waves (each: run, emulate, rule out).
        first_wave: share of the history-matching runs spent on the first, space-filling wave.
        cutoff: implausibility above which a point is ruled out (3, after Pukelsheim's rule).
        implausibility_rank: which largest output implausibility decides (2: the second
            largest); None means the second largest with three or more outputs, else the largest.
        discrepancy: model-discrepancy standard deviation, like ``noise`` (a number, one per
            output, or a dict by observed name).
        check_runs: simulator runs at posterior draws that check and correct the emulator (the
            two-level step); None means 10% of the budget (none below 30 runs), 0 turns it off.
        walkers: emcee walkers (None: ``max(16, 6 d)``, even).
        steps: MCMC steps per walker; the first half is burn-in. The final chain is extended,
            half its length at a time, until its kept half spans 20 autocorrelation times.
        max_steps: the longest that extension goes (None: ``4 * steps``).
        reference_points: Sobol points that measure the fraction of the space ruled out.
        emulator: how outputs are emulated (GP options, principal components).
        name: name of the study that records the runs (default: ``calibrate-<time>``).
        unidentified_ratio: a parameter whose posterior spread is at least this share of its
            prior's is reported as not identified.
        correlation: pairs with a posterior correlation at least this large (in absolute value)
            are reported.

    Example:
        >>> CalibrationOptions(waves=3).cutoff
        3.0
    """

    waves: int = 4
    first_wave: float = 0.4
    cutoff: float = 3.0
    implausibility_rank: int | None = None
    discrepancy: Scales = 0.0
    check_runs: int | None = None
    walkers: int | None = None
    steps: int = 2000
    max_steps: int | None = None
    reference_points: int = 2**14
    emulator: EmulatorOptions = field(default_factory=EmulatorOptions)
    name: str | None = None
    unidentified_ratio: float = 0.8
    correlation: float = 0.8

    def __post_init__(self) -> None:
        _int_at_least("waves", self.waves, 1)
        _number_in("first_wave", self.first_wave, 0.0, 1.0)
        _number_in("cutoff", self.cutoff, 0.0, math.inf)
        if self.implausibility_rank is not None:
            _int_at_least("implausibility_rank", self.implausibility_rank, 1)
        if self.check_runs is not None:
            _int_at_least("check_runs", self.check_runs, 0)
        if self.walkers is not None:
            _int_at_least("walkers", self.walkers, 4)
        _int_at_least("steps", self.steps, 10)
        if self.max_steps is not None:
            _int_at_least("max_steps", self.max_steps, self.steps)
        _int_at_least("reference_points", self.reference_points, 64)
        _number_in("unidentified_ratio", self.unidentified_ratio, 0.0, 10.0)
        _number_in("correlation", self.correlation, 0.0, 1.0)
        if self.name is not None and (not isinstance(self.name, str) or not self.name.strip()):
            raise ConfigError(f"options.name: expected a non-empty string, got {self.name!r}")

    def rank(self, outputs: int) -> int:
        """The implausibility rank for ``outputs`` outputs (never more than there are).

        Example:
            >>> CalibrationOptions().rank(5), CalibrationOptions().rank(2)
            (2, 1)
        """
        rank = self.implausibility_rank or (2 if outputs >= 3 else 1)
        return min(rank, outputs)


@dataclass(frozen=True)
class RunPlan:
    """How a budget of simulator runs is spent: wave sizes, then the check runs.

    Example:
        >>> RunPlan.build(200, 4, CalibrationOptions())
        RunPlan(waves=(72, 36, 36, 36), check=20)
    """

    waves: tuple[int, ...]
    check: int

    @staticmethod
    def minimum(dim: int) -> int:
        """The smallest budget for ``dim`` parameters: a first wave of ``2 (d + 1)`` runs and
        a second one half as large."""
        return 3 * (dim + 1)

    @classmethod
    def build(cls, budget: int, dim: int, options: CalibrationOptions) -> RunPlan:
        """Split ``budget`` runs over ``dim`` parameters; ``ConfigError`` if it is too small."""
        least = cls.minimum(dim)
        if budget < least:
            raise ConfigError(
                f"budget: expected an integer >= {least} for {dim} parameters "
                f"(3 (d + 1) runs), got {budget}"
            )
        check = options.check_runs
        if check is None:
            check = round(0.1 * budget) if budget >= 30 else 0
        check = min(check, budget - least)
        rest = budget - check
        first = max(2 * (dim + 1), round(options.first_wave * rest))
        later = rest - first
        size = 2 * (dim + 1) if dim > 1 else 3
        count = max(0, min(options.waves - 1, later // max(1, size // 2)))
        if count == 0:
            return cls((rest,), check)
        sizes = [later // count + (1 if i < later % count else 0) for i in range(count)]
        return cls((first, *sizes), check)
