"""Settings of a sensitivity analysis, validated once at the boundary."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Literal

from paramscope.errors import ConfigError

Method = Literal["sobol", "morris"]
Mode = Literal["surrogate", "direct"]
Kernel = Literal["additive", "ard"]


@dataclass(frozen=True)
class SensitivityOptions:
    """Everything ``sensitivity`` accepts besides the function, space, method, budget and seed.

    Attributes:
        mode: ``surrogate`` (indices on a GP fitted to the runs, adaptive) or ``direct``
            (Saltelli sampling of the function itself, for cheap functions). Morris is direct.
        second_order: also estimate the second-order index of every pair (Sobol).
        tolerance: the adaptive design stops once every interval's half-width is at most this.
        level: coverage of the intervals.
        output: which value of the function to analyse (default: ``value`` or the study's
            first objective).
        storage: where the runs are stored (default: a temporary database).
        workers, executor, progress: how the runs are executed (as in ``Study.optimize``).
        initial: runs of the space-filling start of the adaptive design (default: chosen by d).
        batch: runs added per adaptive round (default: chosen by d and the budget).
        deterministic: the function returns the same output for the same inputs.
        kernel: the surrogate's kernel: ``additive`` (one term per parameter plus a joint term;
            it does not invent interactions) or ``ard`` (one Matérn ARD product, emukit-style).
        n_paths, n_base: posterior paths and Saltelli base samples of the final estimate.
        levels: Morris grid levels.

    Example:
        >>> SensitivityOptions.build({"tolerance": 0.01}).tolerance
        0.01
    """

    mode: Mode = "surrogate"
    second_order: bool = False
    tolerance: float = 0.02
    level: float = 0.95
    output: str | None = None
    storage: str | None = None
    workers: int = 1
    executor: str = "threads"
    progress: bool = False
    initial: int | None = None
    batch: int | None = None
    deterministic: bool = False
    kernel: Kernel = "additive"
    n_paths: int = 256
    n_base: int = 4096
    levels: int = 4

    @classmethod
    def build(cls, options: dict[str, Any]) -> SensitivityOptions:
        """Options from keyword arguments; an unknown name is a ConfigError listing the known."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"sensitivity: unknown option(s) {unknown}, expected {sorted(known)}")
        return cls(**options)

    def __post_init__(self) -> None:
        if self.mode not in ("surrogate", "direct"):
            raise ConfigError(
                f"sensitivity: mode must be 'surrogate' or 'direct', got {self.mode!r}"
            )
        if not (isinstance(self.tolerance, int | float) and self.tolerance > 0):
            raise ConfigError(
                f"sensitivity: tolerance must be a number > 0, got {self.tolerance!r}"
            )
        if self.kernel not in ("additive", "ard"):
            raise ConfigError(
                f"sensitivity: kernel must be 'additive' or 'ard', got {self.kernel!r}"
            )
        if not (isinstance(self.level, float) and 0.0 < self.level < 1.0):
            raise ConfigError(f"sensitivity: level must be in (0, 1), got {self.level!r}")
        for name in ("workers", "n_paths", "n_base", "levels", "initial", "batch"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"sensitivity: {name} must be an integer, got {value!r}")
            if value is not None and value < (2 if name in ("levels", "n_paths") else 1):
                raise ConfigError(f"sensitivity: {name} is too small, got {value!r}")
