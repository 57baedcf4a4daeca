"""Calibration result: the frozen record that ``calibrate`` returns (draws, MAP, checks, report)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from paramscope.analysis.calibration.history_matching import Wave
from paramscope.analysis.calibration.identifiability import Identifiability
from paramscope.analysis.calibration.posterior import OutputCheck
from paramscope.errors import ConfigError
from paramscope.trial import Trial

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class EmulatorCheck:
    """The two-level check: the real simulator run at posterior draws, against the emulator.

    Attributes:
        runs: complete check runs (``failed`` more failed).
        coverage: share of (run, output) pairs with ``|y - E[f]| <= 2 sd_emulator`` (about 0.95
            for a well-calibrated emulator).
        error_to_noise: root mean square of ``(y - E[f]) / noise`` over runs and outputs (well
            below 1: the emulator is as good as the data).
        refit: whether the emulator was refit with these runs and the posterior sampled again.

    Example:
        >>> EmulatorCheck(20, 0, 0.95, 0.1, True).runs
        20
    """

    runs: int
    failed: int
    coverage: float
    error_to_noise: float
    refit: bool


@dataclass(frozen=True)
class Diagnostics:
    """How the MCMC went: ``walkers`` x ``steps`` (half burn-in), acceptance and autocorrelation.

    Example:
        >>> Diagnostics(16, 2000, 0.4, 25.0).effective_draws
        640
    """

    walkers: int
    steps: int
    acceptance: float
    autocorr: float

    @property
    def effective_draws(self) -> int:
        """Roughly independent draws: kept draws over the autocorrelation time."""
        if not math.isfinite(self.autocorr) or self.autocorr <= 0:
            return 0
        return int(self.walkers * (self.steps - self.steps // 2) / self.autocorr)


@dataclass(frozen=True, eq=False)
class CalibrationResult:
    """What ``calibrate`` found.

    Attributes:
        samples: posterior draws, one column per parameter (parameter units).
        map: the posterior mode, parameter -> value.
        waves: history matching, wave by wave (fraction of the space ruled out, runs).
        predictive: the posterior-predictive check, one record per output.
        identifiability: which parameters the data constrain, and strongly correlated pairs.
        emulator_check: the two-level check at posterior draws, or None when it was off.
        diagnostics: the final MCMC's walkers, steps, acceptance and autocorrelation time.
        runs_used: simulator runs, complete and failed (``runs_failed`` of them failed).
        warnings: anything that makes the answer doubtful, in words (empty when all went well).
        trials: every run as a trial (parameters, outputs by name, misfit, or the failure).
        study: the study that recorded the runs; ``storage`` its URL (None: a temporary one).

    Example:
        >>> import paramscope as ps
        >>> from paramscope.analysis.calibration import CalibrationOptions
        >>> cal = ps.calibrate(lambda p: [2.0 * p["a"]], ps.Space({"a": ps.Float(0.0, 1.0)}),
        ...                    observed=[1.0], noise=0.05, budget=12, seed=0,
        ...                    options=CalibrationOptions(steps=400, waves=2))
        >>> low, high = cal.interval("a", level=0.9)
        >>> bool(low < 0.5 < high), cal.runs_used, list(cal.predictive_frame()["output"])
        (True, 12, ['y[0]'])
        >>> "a: MAP 0.5" in cal.summary()
        True
    """

    samples: pd.DataFrame
    map: Mapping[str, float]
    waves: tuple[Wave, ...]
    predictive: tuple[OutputCheck, ...]
    identifiability: Identifiability
    emulator_check: EmulatorCheck | None
    diagnostics: Diagnostics
    runs_used: int
    runs_failed: int
    warnings: tuple[str, ...]
    trials: tuple[Trial, ...]
    study: str
    storage: str | None

    def interval(self, name: str, level: float = 0.9) -> tuple[float, float]:
        """The equal-tailed posterior interval of parameter ``name`` at ``level``.

        Raises:
            ConfigError: an unknown parameter, or a level outside (0, 1).
        """
        if name not in self.samples.columns:
            raise ConfigError(
                f"interval: expected one of {list(self.samples.columns)}, got {name!r}"
            )
        if not isinstance(level, int | float) or not 0.0 < float(level) < 1.0:
            raise ConfigError(f"interval: level must be a number in (0, 1), got {level!r}")
        tail = (1.0 - float(level)) / 2.0
        low, high = self.samples[name].quantile([tail, 1.0 - tail]).tolist()
        return float(low), float(high)

    def predictive_frame(self) -> pd.DataFrame:
        """The posterior-predictive check as a table, one row per output."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "output": c.name,
                    "observed": c.observed,
                    "predicted": c.predicted,
                    "low": c.low,
                    "high": c.high,
                    "inside": c.inside,
                    "p_value": c.p_value,
                    "simulated": c.simulated,
                }
                for c in self.predictive
            ]
        )

    def summary(self, level: float = 0.9) -> str:
        """A plain-text report: waves, parameters (MAP, mean, interval), checks and warnings."""
        lines = [
            f"{self.runs_used} simulator runs ({self.runs_failed} failed), study {self.study!r}"
        ]
        for wave in self.waves:
            lines.append(
                f"wave {wave.index}: {wave.runs} runs, {wave.fraction_ruled_out:.1%} of the "
                "space ruled out"
            )
        for name in self.samples.columns:
            low, high = self.interval(name, level)
            mean = float(self.samples[name].mean())
            lines.append(
                f"{name}: MAP {self.map[name]:.4g}, mean {mean:.4g}, "
                f"{level:.0%} interval [{low:.4g}, {high:.4g}]"
            )
        inside = sum(c.inside for c in self.predictive)
        lines.append(
            f"posterior-predictive check: {inside} of {len(self.predictive)} observations inside "
            f"their {self.predictive[0].level:.0%} predictive intervals"
        )
        if self.emulator_check is not None:
            check = self.emulator_check
            lines.append(
                f"emulator check at {check.runs} posterior draws: {check.coverage:.0%} within "
                f"2 sd, error {check.error_to_noise:.2f} x noise"
            )
        lines += list(self.identifiability.sentences)
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"CalibrationResult(runs={self.runs_used}, draws={len(self.samples)}, "
            f"map={ {k: round(v, 4) for k, v in self.map.items()} })"
        )
