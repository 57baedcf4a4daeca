"""Sensitivity results: frozen records of indices with intervals, and the output's uncertainty."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from paramscope.errors import ConfigError
from paramscope.space import FloatArray

Mode = Literal["surrogate", "direct", "study"]


@dataclass(frozen=True)
class Estimate:
    """A quantity's estimate and its interval ``[low, high]`` at the result's level.

    Example:
        >>> Estimate.from_draws(np.array([0.5, 0.5]), np.array([0.4, 0.6]), level=0.9)
        Estimate(value=0.5, low=0.41, high=0.59)
    """

    value: float
    low: float
    high: float

    @classmethod
    def from_draws(cls, draws: FloatArray, spread: FloatArray, *, level: float) -> Estimate:
        """Mean of ``draws``; interval from the quantiles of ``spread`` (draws plus resampling)."""
        tail = (1.0 - level) / 2.0
        low, high = np.quantile(spread, [tail, 1.0 - tail])
        return cls(float(np.mean(draws)), round(float(low), 12), round(float(high), 12))

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2.0


@dataclass(frozen=True)
class OutputSummary:
    """Forward uncertainty propagation: the output's mean, standard deviation and quantiles
    under the input distributions, each with an interval."""

    mean: Estimate
    std: Estimate
    quantiles: Mapping[float, Estimate]


@dataclass(frozen=True)
class SobolResult:
    """First-order and total Sobol indices (second order on request) with intervals.

    Attributes:
        names: the parameters, in space order.
        first: first-order index estimate of each parameter; ``total`` likewise.
        second: second-order index of each pair (None unless requested).
        output: the output's mean, spread and quantiles (uncertainty propagation).
        level: the intervals' coverage (e.g. 0.95).
        runs: runs of the function used.
        mode: ``surrogate`` (indices on a GP's posterior paths), ``direct`` (plain Saltelli
            sampling of the function) or ``study`` (on an existing study's runs).
        rounds: ``(runs, widest interval half-width)`` after each adaptive round.
    """

    names: tuple[str, ...]
    first: Mapping[str, Estimate]
    total_: Mapping[str, Estimate]
    second: Mapping[tuple[str, str], Estimate] | None
    output: OutputSummary
    level: float
    runs: int
    mode: Mode
    rounds: tuple[tuple[int, float], ...] = ()

    @property
    def first_order(self) -> dict[str, float]:
        """Name -> first-order index (the share of variance the parameter explains alone)."""
        return {n: e.value for n, e in self.first.items()}

    @property
    def total(self) -> dict[str, float]:
        """Name -> total index (its share including every interaction)."""
        return {n: e.value for n, e in self.total_.items()}

    def interval(self, name: str, kind: Literal["total", "first"] = "total") -> tuple[float, float]:
        """The interval of ``name``'s total (or first-order) index at ``level``."""
        table = self.total_ if kind == "total" else self.first if kind == "first" else None
        if table is None:
            raise ConfigError(f"interval: kind must be 'total' or 'first', got {kind!r}")
        if name not in table:
            raise ConfigError(f"interval: unknown parameter {name!r}, expected one of {self.names}")
        return table[name].low, table[name].high

    @property
    def widest(self) -> float:
        """The largest half-width over every first-order and total interval."""
        return max(e.half_width for e in (*self.first.values(), *self.total_.values()))

    def to_pandas(self) -> pd.DataFrame:
        """One row per parameter: S1 and ST with their interval bounds."""
        rows = [
            {
                "parameter": n,
                "S1": self.first[n].value,
                "S1_low": self.first[n].low,
                "S1_high": self.first[n].high,
                "ST": self.total_[n].value,
                "ST_low": self.total_[n].low,
                "ST_high": self.total_[n].high,
            }
            for n in self.names
        ]
        return pd.DataFrame(rows).set_index("parameter")

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{n}: S1={self.first_order[n]:.3f} ST={self.total[n]:.3f}" for n in self.names
        )
        return f"SobolResult({parts}; {self.runs} runs, {self.mode})"


@dataclass(frozen=True)
class MorrisResult:
    """Morris elementary effects: ``mu_star`` (mean absolute effect, with interval), ``mu``
    (mean signed effect) and ``sigma`` (spread: interactions or non-linearity)."""

    names: tuple[str, ...]
    mu_star: Mapping[str, Estimate]
    mu: Mapping[str, float]
    sigma: Mapping[str, float]
    level: float
    runs: int

    def interval(self, name: str) -> tuple[float, float]:
        """The interval of ``name``'s ``mu_star`` at ``level``."""
        if name not in self.mu_star:
            raise ConfigError(f"interval: unknown parameter {name!r}, expected one of {self.names}")
        return self.mu_star[name].low, self.mu_star[name].high

    def to_pandas(self) -> pd.DataFrame:
        """One row per parameter: mu_star with its interval, mu and sigma."""
        rows = [
            {
                "parameter": n,
                "mu_star": self.mu_star[n].value,
                "mu_star_low": self.mu_star[n].low,
                "mu_star_high": self.mu_star[n].high,
                "mu": self.mu[n],
                "sigma": self.sigma[n],
            }
            for n in self.names
        ]
        return pd.DataFrame(rows).set_index("parameter")
