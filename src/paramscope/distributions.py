"""Input distributions: what a float parameter's uncertain value looks like, for sensitivity and
uncertainty propagation (optimization ignores them and searches the whole ``[low, high]``).

A distribution is declared on the parameter, e.g. ``Float(0, 10, distribution=("normal", 5, 1))``,
and is always truncated to the parameter's bounds, so every draw is a valid parameter value.
``ppf`` maps a probability ``p`` in ``[0, 1]`` to a value: the designs of SALib are drawn in
probability space and mapped through it.

Kinds (arguments after the kind):

* ``("uniform",)``: uniform over ``[low, high]`` (the default; uniform in log space for log floats);
* ``("normal", mean, std)``;
* ``("lognormal", mean_log, std_log)``: ``log(x) ~ Normal(mean_log, std_log)``;
* ``("triangular", mode)``: from ``low`` up to ``mode`` and down to ``high``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import stats

from paramscope.errors import SpaceError

FloatArray = NDArray[np.float64]

_ARGS: dict[str, tuple[str, ...]] = {
    "uniform": (),
    "normal": ("mean", "std"),
    "lognormal": ("mean_log", "std_log"),
    "triangular": ("mode",),
}


_FORMS = (
    "['uniform'], ['normal', mean, std], ['lognormal', mean_log, std_log], ['triangular', mode]"
)


@dataclass(frozen=True)
class Distribution:
    """A truncated input distribution over ``[low, high]``; see the module doc for the kinds.

    Example:
        >>> d = Distribution.parse(("normal", 5.0, 1.0), low=0.0, high=10.0, field="x")
        >>> round(float(d.ppf(np.array([0.5]))[0]), 6)
        5.0
    """

    kind: str
    args: tuple[float, ...]
    low: float
    high: float

    @classmethod
    def parse(cls, spec: Any, *, low: float, high: float, field: str) -> Distribution:
        """Validate a declared distribution (a ``(kind, *args)`` sequence) for ``[low, high]``.

        Raises:
            SpaceError: unknown kind, wrong number of arguments, non-finite numbers, ``std <= 0``,
                a mode outside the bounds, or a lognormal over non-positive values.
        """
        if isinstance(spec, Distribution):
            spec = (spec.kind, *spec.args)
        if isinstance(spec, str):
            spec = (spec,)
        if not isinstance(spec, Sequence) or not spec or not isinstance(spec[0], str):
            raise SpaceError(f"{field}: distribution must be one of {_FORMS}, got {spec!r}")
        kind, raw = spec[0], tuple(spec[1:])
        if kind not in _ARGS:
            raise SpaceError(
                f"{field}: unknown distribution {kind!r}, expected one of {sorted(_ARGS)}"
            )
        names = _ARGS[kind]
        ok = all(isinstance(a, int | float) and not isinstance(a, bool) for a in raw)
        if len(raw) != len(names) or not ok or not all(math.isfinite(float(a)) for a in raw):
            form = ", ".join((repr(kind), *names))
            raise SpaceError(f"{field}: distribution must be [{form}] (numbers), got {spec!r}")
        args = tuple(float(a) for a in raw)
        if kind in ("normal", "lognormal") and not args[1] > 0:
            raise SpaceError(f"{field}: distribution {names[1]} must be > 0, got {args[1]}")
        if kind == "triangular" and not low <= args[0] <= high:
            raise SpaceError(
                f"{field}: triangular mode must lie in [low, high] = [{low}, {high}], got {args[0]}"
            )
        if kind == "lognormal" and not high > 0:
            raise SpaceError(f"{field}: lognormal needs high > 0, got high={high}")
        return cls(kind, args, float(low), float(high))

    def to_list(self) -> list[Any]:
        """The declared form, e.g. ``["normal", 5.0, 1.0]`` (for TOML and storage)."""
        return [self.kind, *self.args]

    def _frozen(self) -> Any:
        if self.kind == "normal":
            return stats.norm(self.args[0], self.args[1])
        if self.kind == "lognormal":
            return stats.lognorm(s=self.args[1], scale=math.exp(self.args[0]))
        span = self.high - self.low
        return stats.triang((self.args[0] - self.low) / span, loc=self.low, scale=span)

    def ppf(self, p: FloatArray) -> FloatArray:
        """Values ``(m,)`` at probabilities ``p: (m,)`` of the distribution truncated to the bounds.

        ``uniform`` returns ``low + p (high - low)``; a log float's uniform is applied by the
        parameter (it maps ``p`` through its own log encoding).
        """
        p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
        if self.kind == "uniform":
            out: FloatArray = self.low + p * (self.high - self.low)
            return out
        dist = self._frozen()
        lo, hi = dist.cdf(self.low), dist.cdf(self.high)
        if not hi - lo > 1e-12:
            raise SpaceError(
                f"distribution {self.to_list()} has no mass in [{self.low}, {self.high}]"
            )
        values: FloatArray = np.clip(dist.ppf(lo + p * (hi - lo)), self.low, self.high)
        return values

    def pdf(self, x: FloatArray) -> FloatArray:
        """Density ``(m,)`` of the truncated distribution at ``x: (m,)`` (uniform: constant)."""
        x = np.asarray(x, dtype=float)
        if self.kind == "uniform":
            return np.full(x.shape, 1.0 / (self.high - self.low))
        dist = self._frozen()
        mass = float(dist.cdf(self.high) - dist.cdf(self.low))
        inside = (x >= self.low) & (x <= self.high)
        out: FloatArray = np.where(inside, dist.pdf(x) / max(mass, 1e-300), 0.0)
        return out
