"""Space: parameter types and the encoding of a parameter dict to and from the unit cube.

Every sampler and surrogate works in ``[0, 1]^d``; this module is the only place that knows how a
user's value (a learning rate on a log scale, an integer width, a category) maps to a coordinate.
Discrete parameters (``Int``, ``Float`` with ``step``, ``Choice``) own equal-width cells of the unit
interval, so a uniform point in the cube gives every level the same chance and decoding is a floor.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from paramscope.distributions import Distribution
from paramscope.errors import SpaceError

ChoiceValue: TypeAlias = str | int | float | bool | None
ParamValue: TypeAlias = ChoiceValue
Params: TypeAlias = dict[str, Any]
FloatArray: TypeAlias = NDArray[np.float64]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_bounds(kind: str, low: object, high: object, *, strict: bool) -> None:
    for label, bound in (("low", low), ("high", high)):
        if not _is_number(bound) or not math.isfinite(float(bound)):  # type: ignore[arg-type]
            raise SpaceError(f"{kind}: {label} must be a finite number, got {label}={bound!r}")
    ok = low < high if strict else low <= high  # type: ignore[operator]
    if not ok:
        rel = "<" if strict else "<="
        raise SpaceError(f"{kind}: low {rel} high must hold, got low={low}, high={high}")


def _check_log(kind: str, low: float, log: bool) -> None:
    if log and low <= 0:
        raise SpaceError(f"{kind}: log=True needs low > 0, got low={low}")


def _cell(u: float, levels: int) -> int:
    """The index of the equal-width cell of [0, 1] that holds ``u`` (of ``levels`` cells)."""
    return min(max(math.floor(u * levels), 0), levels - 1)


def _cell_center(index: int, levels: int) -> float:
    return (index + 0.5) / levels


@dataclass(frozen=True)
class Float:
    """A real parameter in ``[low, high]``, optionally on a log scale or a grid of ``step``.

    Example:
        >>> lr = Float(1e-5, 1e-1, log=True)
        >>> round(lr.encode(1e-3), 6), round(lr.decode(0.5), 6)
        (0.5, 0.001)
    """

    low: float
    high: float
    log: bool = False
    step: float | None = None
    distribution: Distribution | Sequence[Any] | None = None
    kind: Literal["float"] = field(default="float", init=False)

    def __post_init__(self) -> None:
        _check_bounds("Float", self.low, self.high, strict=True)
        _check_log("Float", self.low, self.log)
        if self.step is not None:
            if not _is_number(self.step) or not self.step > 0:
                raise SpaceError(f"Float: step must be a number > 0, got step={self.step!r}")
            if self.log:
                raise SpaceError("Float: step and log=True cannot be combined, got both")
            if self.step > self.high - self.low:
                raise SpaceError(
                    f"Float: step must be at most high - low, got step={self.step}, "
                    f"high - low={self.high - self.low}"
                )
        object.__setattr__(self, "low", float(self.low))
        object.__setattr__(self, "high", float(self.high))
        if self.distribution is not None:
            dist = Distribution.parse(
                self.distribution, low=self.low, high=self.high, field="Float"
            )
            object.__setattr__(self, "distribution", None if dist.kind == "uniform" else dist)

    @property
    def levels(self) -> int | None:
        """Number of grid values, or None when the parameter is continuous."""
        if self.step is None:
            return None
        return math.floor((self.high - self.low) / self.step + 1e-9) + 1

    def from_probability(self, p: FloatArray) -> FloatArray:
        """Unit-cube coordinates ``(m,)`` of the values at probabilities ``p: (m,)`` of the input
        distribution (uniform over the encoding when none is declared).

        Example:
            >>> Float(0.0, 10.0, distribution=("normal", 5.0, 1.0)).from_probability(
            ...     np.array([0.5])).round(6).tolist()
            [0.5]
        """
        p = np.asarray(p, dtype=float)
        if not isinstance(self.distribution, Distribution):  # None once validated: uniform
            return np.clip(p, 0.0, 1.0)
        return np.array([self.encode(v) for v in self.distribution.ppf(p)], dtype=float)

    def encode(self, value: Any) -> float:
        x = float(value)
        if self.levels is not None:
            return _cell_center(round((x - self.low) / float(self.step or 1.0)), self.levels)
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)

    def decode(self, u: float) -> float:
        if self.levels is not None:
            index = _cell(u, self.levels)
            return float(round(self.low + index * float(self.step or 1.0), 12))
        u = min(max(u, 0.0), 1.0)
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return min(max(x, self.low), self.high)

    def contains(self, value: Any) -> bool:
        if not _is_number(value) or not math.isfinite(float(value)):
            return False
        if not self.low - 1e-12 <= float(value) <= self.high + 1e-12:
            return False
        if self.step is None:
            return True
        k = (float(value) - self.low) / self.step
        return abs(k - round(k)) < 1e-6

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "float", "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step is not None:
            out["step"] = self.step
        if isinstance(self.distribution, Distribution):
            out["distribution"] = self.distribution.to_list()
        return out


@dataclass(frozen=True)
class Int:
    """An integer parameter in ``[low, high]`` (both included), optionally log-scaled or stepped.

    Example:
        >>> Int(16, 512, log=True).decode(1.0)
        512
    """

    low: int
    high: int
    log: bool = False
    step: int = 1
    kind: Literal["int"] = field(default="int", init=False)

    def __post_init__(self) -> None:
        for label, bound in (("low", self.low), ("high", self.high)):
            if not isinstance(bound, int) or isinstance(bound, bool):
                raise SpaceError(f"Int: {label} must be an integer, got {label}={bound!r}")
        _check_bounds("Int", self.low, self.high, strict=False)
        _check_log("Int", self.low, self.log)
        if not isinstance(self.step, int) or isinstance(self.step, bool) or self.step < 1:
            raise SpaceError(f"Int: step must be an integer >= 1, got step={self.step!r}")
        if self.log and self.step != 1:
            raise SpaceError(f"Int: step and log=True cannot be combined, got step={self.step}")

    @property
    def levels(self) -> int:
        return (self.high - self.low) // self.step + 1

    def encode(self, value: Any) -> float:
        x = int(value)
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            return (math.log(x) - lo) / (hi - lo)
        return _cell_center((x - self.low) // self.step, self.levels)

    def decode(self, u: float) -> int:
        if self.log:
            lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
            x = round(math.exp(lo + min(max(u, 0.0), 1.0) * (hi - lo)))
            return int(min(max(x, self.low), self.high))
        return self.low + _cell(u, self.levels) * self.step

    def contains(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            return False
        return self.low <= int(value) <= self.high and (int(value) - self.low) % self.step == 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "int", "low": self.low, "high": self.high}
        if self.log:
            out["log"] = True
        if self.step != 1:
            out["step"] = self.step
        return out


@dataclass(frozen=True, init=False)
class Choice:
    """One of a list of options (strings, numbers, booleans); no order is assumed among them.

    Example:
        >>> Choice(["relu", "gelu"]).decode(0.9)
        'gelu'
    """

    options: tuple[ChoiceValue, ...]
    kind: Literal["choice"] = field(default="choice", init=False)

    def __init__(self, options: Sequence[ChoiceValue]) -> None:
        if isinstance(options, str) or not isinstance(options, Sequence):
            raise SpaceError(f"Choice: options must be a list, got {options!r}")
        if len(options) == 0:
            raise SpaceError("Choice: options must be a non-empty list, got []")
        for option in options:
            if option is not None and not isinstance(option, str | int | float | bool):
                raise SpaceError(
                    f"Choice: options must be strings, numbers, booleans or None, got {option!r}"
                )
        keys = [(type(o).__name__, o) for o in options]
        if len(set(keys)) != len(keys):
            raise SpaceError(f"Choice: options must be distinct, got {list(options)!r}")
        object.__setattr__(self, "options", tuple(options))
        object.__setattr__(self, "kind", "choice")

    @property
    def levels(self) -> int:
        return len(self.options)

    def index(self, value: Any) -> int:
        for i, option in enumerate(self.options):
            if type(option) is type(value) and option == value:
                return i
        for i, option in enumerate(self.options):
            if option == value:
                return i
        raise SpaceError(f"Choice: value must be one of {list(self.options)!r}, got {value!r}")

    def encode(self, value: Any) -> float:
        return _cell_center(self.index(value), self.levels)

    def decode(self, u: float) -> ChoiceValue:
        return self.options[_cell(u, self.levels)]

    def contains(self, value: Any) -> bool:
        try:
            self.index(value)
        except SpaceError:
            return False
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"type": "choice", "options": list(self.options)}


Param: TypeAlias = Float | Int | Choice
_TYPES: dict[str, type[Float] | type[Int] | type[Choice]] = {
    "float": Float,
    "int": Int,
    "choice": Choice,
}


def param_from_dict(spec: Mapping[str, Any]) -> Param:
    """Build a parameter from its dict form, e.g. ``{"type": "float", "low": 0, "high": 1}``.

    Example:
        >>> param_from_dict({"type": "int", "low": 1, "high": 8})
        Int(low=1, high=8, log=False, step=1, kind='int')
    """
    if not isinstance(spec, Mapping):
        raise SpaceError(f"parameter must be a table like {{type = 'float', ...}}, got {spec!r}")
    kind = spec.get("type")
    if kind not in _TYPES:
        raise SpaceError(f"type must be one of 'float', 'int', 'choice', got type={kind!r}")
    args = {k: v for k, v in spec.items() if k != "type"}
    allowed = {"float": {"low", "high", "log", "step", "distribution"}}
    allowed["int"] = {"low", "high", "log", "step"}
    allowed["choice"] = {"options"}
    unknown = sorted(set(args) - allowed[str(kind)])
    if unknown:
        raise SpaceError(f"{kind}: unknown field(s) {unknown}, expected {sorted(allowed[kind])}")
    try:
        return _TYPES[str(kind)](**args)
    except TypeError as exc:
        raise SpaceError(f"{kind}: {exc}") from None


@dataclass(frozen=True, init=False)
class Space:
    """A named, ordered set of parameters and the map between parameter dicts and ``[0, 1]^d``.

    Example:
        >>> space = Space({"x": Float(0.0, 1.0), "k": Choice(["a", "b"])})
        >>> space.decode(space.encode({"x": 0.25, "k": "b"}))
        {'x': 0.25, 'k': 'b'}
    """

    items: tuple[tuple[str, Param], ...]

    def __init__(self, params: Mapping[str, Param]) -> None:
        if not isinstance(params, Mapping) or len(params) == 0:
            raise SpaceError(
                f"Space: expected a non-empty dict of name -> parameter, got {params!r}"
            )
        for name, param in params.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise SpaceError(
                    f"Space: parameter names must be identifiers (letters, digits, _), got {name!r}"
                )
            if not isinstance(param, Float | Int | Choice):
                raise SpaceError(
                    f"Space: {name} must be ps.Float, ps.Int or ps.Choice, got {param!r}"
                )
        upper = [name.upper() for name in params]
        if len(set(upper)) != len(upper):
            raise SpaceError(f"Space: names must differ in more than case, got {list(params)}")
        object.__setattr__(self, "items", tuple(params.items()))

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Space:
        """Build a space from ``{name: {"type": ..., ...}}``, naming the field of any error."""
        if not isinstance(spec, Mapping) or not spec:
            raise SpaceError(f"space: expected a non-empty table of parameters, got {spec!r}")
        params: dict[str, Param] = {}
        for name, param_spec in spec.items():
            try:
                params[name] = param_from_dict(param_spec)
            except SpaceError as exc:
                raise SpaceError(f"space.{name}: {exc}") from None
        return cls(params)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        return {name: param.to_dict() for name, param in self.items}

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.items]

    @property
    def dim(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __getitem__(self, name: str) -> Param:
        for key, param in self.items:
            if key == name:
                return param
        raise KeyError(name)

    def encode(self, params: Mapping[str, Any]) -> FloatArray:
        """Map a parameter dict to a point ``(d,)`` in the unit cube."""
        return np.array([p.encode(params[name]) for name, p in self.items], dtype=float)

    def encode_many(self, rows: Sequence[Mapping[str, Any]]) -> FloatArray:
        """Map parameter dicts to ``X: (n, d)`` in the unit cube."""
        if not rows:
            return np.zeros((0, self.dim))
        return np.stack([self.encode(row) for row in rows])

    def decode(self, u: Sequence[float] | FloatArray) -> Params:
        """Map a point ``u: (d,)`` in the unit cube to a parameter dict (snapping to grids)."""
        return {name: p.decode(float(x)) for (name, p), x in zip(self.items, u, strict=True)}

    def validate(self, params: Mapping[str, Any]) -> Params:
        """Check a user-given parameter dict (for enqueue) and return it in the space's order."""
        if not isinstance(params, Mapping):
            raise SpaceError(f"params: expected a dict of name -> value, got {params!r}")
        missing = [n for n in self.names if n not in params]
        extra = [n for n in params if n not in self.names]
        if missing or extra:
            raise SpaceError(
                f"params: expected exactly {self.names}, missing {missing}, unexpected {extra}"
            )
        for name, param in self.items:
            if not param.contains(params[name]):
                raise SpaceError(
                    f"params.{name}: value {params[name]!r} is outside {param.to_dict()}"
                )
        return {name: params[name] for name in self.names}
