"""Observations: the data a simulator is calibrated against, checked once, and its outputs read.

``observed`` is a vector (outputs named ``y[0]``, ``y[1]``, ...) or a dict of named outputs, each
a number or a vector (``name[0]``, ``name[1]``, ...). ``noise`` (the observation error's standard
deviation) and ``discrepancy`` (the model discrepancy's) are a number for every output, a vector
with one per output, or a dict with one entry per observed name. Bad input is a ``ConfigError``
naming the field; a simulator result that does not match is an ``ObjectiveError`` (a failed run).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paramscope.errors import ConfigError, ObjectiveError
from paramscope.space import FloatArray

Layout = tuple[tuple[str, int | None], ...]
"""How a dict result is read: (key, None) for a number, (key, n) for a vector of length n."""


def _finite_vector(value: Any, field: str) -> FloatArray:
    """A 1-D float vector of finite numbers from a number, list or array, else ConfigError."""
    if isinstance(value, bool | str | bytes):
        raise ConfigError(f"{field}: expected a number or a vector of numbers, got {value!r}")
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{field}: expected a number or a vector of numbers, got {value!r}"
        ) from None
    if array.ndim > 1:
        raise ConfigError(f"{field}: expected a 1-D vector, got an array of shape {array.shape}")
    array = array.reshape(-1)
    if array.size == 0:
        raise ConfigError(f"{field}: expected at least one number, got an empty vector")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        where = "" if array.size == 1 else f"[{bad[0]}]"
        raise ConfigError(f"{field}{where}: expected a finite number, got {array[bad[0]]}")
    return array


def _layout(observed: Any) -> tuple[tuple[str, ...], FloatArray, Layout | None]:
    """Output names, values and the dict layout (None for a vector) of ``observed``."""
    if isinstance(observed, Mapping):
        if not observed:
            raise ConfigError("observed: expected a vector or a dict of name -> value, got {}")
        names: list[str] = []
        parts: list[FloatArray] = []
        layout: list[tuple[str, int | None]] = []
        for key, value in observed.items():
            if not isinstance(key, str) or not key:
                raise ConfigError(f"observed: output names must be non-empty strings, got {key!r}")
            vector = _finite_vector(value, f"observed.{key}")
            scalar = isinstance(value, numbers.Real) or np.ndim(value) == 0
            layout.append((key, None if scalar else vector.size))
            names += [key] if scalar else [f"{key}[{i}]" for i in range(vector.size)]
            parts.append(vector)
        return tuple(names), np.concatenate(parts), tuple(layout)
    if observed is None or isinstance(observed, str | bytes):
        raise ConfigError(
            f"observed: expected a vector or a dict of name -> value, got {observed!r}"
        )
    values = _finite_vector(observed, "observed")
    return tuple(f"y[{i}]" for i in range(values.size)), values, None


def _per_output(
    value: Any, field: str, layout: Layout | None, m: int, *, positive: bool
) -> FloatArray:
    """``noise`` / ``discrepancy`` as one standard deviation per output, checked."""
    need = "> 0" if positive else ">= 0"
    form = f"a number {need}, a vector of {m}, or a dict with one entry per observed name"
    if isinstance(value, Mapping):
        if layout is None:
            raise ConfigError(f"{field}: observed is a vector, so expected {form}, got a dict")
        missing = [k for k, _ in layout if k not in value]
        extra = [k for k in value if k not in dict(layout)]
        if missing or extra:
            raise ConfigError(f"{field}: expected {form}; missing {missing}, unexpected {extra}")
        parts = []
        for key, size in layout:
            vector = _finite_vector(value[key], f"{field}.{key}")
            if vector.size not in (1, size or 1):
                raise ConfigError(
                    f"{field}.{key}: expected a number or {size} numbers, got {vector.size}"
                )
            parts.append(np.broadcast_to(vector, (size or 1,)))
        sd = np.concatenate(parts)
    else:
        sd = _finite_vector(value, field)
        if sd.size not in (1, m):
            raise ConfigError(f"{field}: expected {form}, got a vector of {sd.size}")
        sd = np.broadcast_to(sd, (m,)).astype(float)
    bad = np.flatnonzero(sd <= 0 if positive else sd < 0)
    if bad.size:
        raise ConfigError(f"{field}: expected {form}, got {sd[bad[0]]:g}")
    return np.array(sd, dtype=float)


@dataclass(frozen=True, eq=False)
class Observations:
    """Observed outputs with their error scales, and how to read a simulator's result.

    Attributes:
        names: ``(m,)`` output names in order.
        values: ``(m,)`` observed values ``z``.
        noise: ``(m,)`` observation-error standard deviations.
        discrepancy: ``(m,)`` model-discrepancy standard deviations (0 = none).
        layout: how a dict result is read, or None when the simulator returns a vector.

    Example:
        >>> obs = Observations.build({"mean": 2.0, "curve": [1.0, 3.0]}, noise=0.1)
        >>> obs.names, obs.read({"mean": 2.5, "curve": [1.0, 2.0]}).tolist()
        (('mean', 'curve[0]', 'curve[1]'), [2.5, 1.0, 2.0])
    """

    names: tuple[str, ...]
    values: FloatArray
    noise: FloatArray
    discrepancy: FloatArray
    layout: Layout | None

    @classmethod
    def build(cls, observed: Any, noise: Any, discrepancy: Any = 0.0) -> Observations:
        """Check ``observed``, ``noise`` and ``discrepancy``; raise ``ConfigError`` if bad."""
        names, values, layout = _layout(observed)
        if noise is None:
            raise ConfigError(
                "noise: required; expected the observation error's standard deviation"
            )
        sd = _per_output(noise, "noise", layout, values.size, positive=True)
        delta = _per_output(discrepancy, "discrepancy", layout, values.size, positive=False)
        return cls(names, values, sd, delta, layout)

    @property
    def size(self) -> int:
        """Number of scalar outputs ``m``."""
        return int(self.values.size)

    @property
    def error_variance(self) -> FloatArray:
        """``(m,)`` observation plus discrepancy variance."""
        out: FloatArray = self.noise**2 + self.discrepancy**2
        return out

    def read(self, raw: Any) -> FloatArray:
        """A simulator result as the ``(m,)`` output vector; ``ObjectiveError`` if it does not fit.

        Example:
            >>> obs = Observations.build([1.0, 2.0], noise=0.1)
            >>> obs.read([1.0, 2.0, 3.0])  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            paramscope.errors.ObjectiveError: simulator returned 3 outputs; expected 2 ...
        """
        if self.layout is None:
            if isinstance(raw, Mapping):
                raise ObjectiveError(
                    f"simulator returned a dict with keys {sorted(map(str, raw))[:5]}; observed "
                    f"is an unnamed vector of {self.size}, so expected a vector (or pass "
                    "observed as a dict of named outputs)"
                )
            return self._vector(raw, None, self.size)
        if not isinstance(raw, Mapping):
            raise ObjectiveError(
                f"simulator returned {type(raw).__name__}; expected a dict with keys "
                f"{[k for k, _ in self.layout]} like observed"
            )
        parts = []
        for key, size in self.layout:
            if key not in raw:
                raise ObjectiveError(
                    f"simulator result has no output {key!r}; got keys {sorted(map(str, raw))}"
                )
            parts.append(self._vector(raw[key], key, size or 1))
        return np.concatenate(parts)

    def _vector(self, raw: Any, key: str | None, size: int) -> FloatArray:
        label = "simulator result" if key is None else f"simulator output {key!r}"
        try:
            array = np.asarray(raw, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            raise ObjectiveError(f"{label} is {str(raw)[:80]!r}; expected numbers") from None
        if array.size != size and key is None:
            raise ObjectiveError(
                f"simulator returned {array.size} outputs; expected {size} (the length of observed)"
            )
        if array.size != size:
            raise ObjectiveError(f"{label} has {array.size} values; expected {size} like observed")
        bad = np.flatnonzero(~np.isfinite(array))
        if bad.size:
            where = label if size == 1 else f"{label}[{bad[0]}]"
            raise ObjectiveError(f"{where} is {array[bad[0]]}; expected a finite number")
        return array

    def misfit(self, y: FloatArray) -> float:
        """Sum of squared standardized residuals ``sum(((y - z) / sd)^2)`` (sd: noise and
        discrepancy)."""
        return float(np.sum((np.asarray(y) - self.values) ** 2 / self.error_variance))


def output_record(names: Sequence[str], y: FloatArray) -> dict[str, float]:
    """A run's outputs by name (what a trial stores as its values).

    Example:
        >>> output_record(["a", "b"], np.array([1.0, 2.0]))
        {'a': 1.0, 'b': 2.0}
    """
    return {name: float(v) for name, v in zip(names, y, strict=True) if math.isfinite(float(v))}
