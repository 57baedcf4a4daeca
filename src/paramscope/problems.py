"""Problems: synthetic test functions with known optima, for tests, benchmarks and the examples.

Each ``Problem`` pairs a ``Space`` with a function of a parameter dict and its known optimum, so
regret (found minus optimum) is comparable across problems. All problems are minimized.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from paramscope.space import Choice, Float, FloatArray, Int, Space


@dataclass(frozen=True)
class Problem:
    """A test function: ``fn(params) -> float`` over ``space``, minimum ``optimum``.

    ``noise`` is the standard deviation of Gaussian noise added by ``noisy_fn`` (0 for none);
    regret is always measured on the noise-free ``fn``.
    """

    name: str
    space: Space
    fn: Callable[[Mapping[str, Any]], float]
    optimum: float
    noise: float = 0.0
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dim(self) -> int:
        return self.space.dim

    def noisy_fn(self, rng: np.random.Generator) -> Callable[[Mapping[str, Any]], float]:
        """``fn`` plus N(0, noise²) drawn from ``rng`` (``fn`` itself when noise is 0)."""
        if self.noise == 0:
            return self.fn
        return lambda params: self.fn(params) + float(rng.normal(0.0, self.noise))

    def regret(self, value: float) -> float:
        return max(value - self.optimum, 0.0)


def _vector(params: Mapping[str, Any], d: int) -> FloatArray:
    return np.array([float(params[f"x{i}"]) for i in range(d)])


def _box(d: int, low: float, high: float) -> Space:
    return Space({f"x{i}": Float(low, high) for i in range(d)})


def branin(params: Mapping[str, Any]) -> float:
    """Branin-Hoo on [-5, 10] x [0, 15]; global minimum 0.397887 at three points."""
    x, y = float(params["x0"]), float(params["x1"])
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (y - b * x**2 + c * x - 6) ** 2 + 10 * (1 - t) * math.cos(x) + 10


_H6_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H6_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)
_H6_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])


def hartmann6(params: Mapping[str, Any]) -> float:
    """Hartmann 6-d on [0, 1]^6; global minimum -3.32237."""
    x = _vector(params, 6)
    inner = np.sum(_H6_A * (x - _H6_P) ** 2, axis=1)
    return float(-np.sum(_H6_ALPHA * np.exp(-inner)))


def ackley(params: Mapping[str, Any]) -> float:
    """Ackley on [-32.768, 32.768]^d (any d); global minimum 0 at the origin."""
    x = np.array([float(v) for v in params.values()])
    d = len(x)
    first = -20 * math.exp(-0.2 * math.sqrt(float(np.sum(x**2)) / d))
    return float(first - math.exp(float(np.sum(np.cos(2 * math.pi * x))) / d) + 20 + math.e)


def rosenbrock(params: Mapping[str, Any]) -> float:
    """Rosenbrock on [-5, 10]^d; global minimum 0 at (1, ..., 1)."""
    x = np.array([float(v) for v in params.values()])
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def levy(params: Mapping[str, Any]) -> float:
    """Levy on [-10, 10]^d; global minimum 0 at (1, ..., 1)."""
    w = 1 + (np.array([float(v) for v in params.values()]) - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    middle = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + middle + tail)


def styblinski_tang(params: Mapping[str, Any]) -> float:
    """Styblinski-Tang on [-5, 5]^d; global minimum -39.16617·d at x_i = -2.903534."""
    x = np.array([float(v) for v in params.values()])
    return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))


def mixed(params: Mapping[str, Any]) -> float:
    """A mixed problem: 3 floats, 2 integers and a category; minimum 0.

    The category shifts the optimum of the floats, so it cannot be set independently.
    """
    shift = {"a": 0.2, "b": 0.5, "c": 0.8}[str(params["kind"])]
    floats = sum((float(params[f"x{i}"]) - shift) ** 2 for i in range(3))
    ints = (int(params["n0"]) - 3) ** 2 / 10 + (int(params["n1"]) - 7) ** 2 / 10
    penalty = {"a": 0.5, "b": 0.0, "c": 0.25}[str(params["kind"])]
    return float(10 * floats + ints + penalty)


def ishigami(params: Mapping[str, Any], a: float = 7.0, b: float = 0.1) -> float:
    """Ishigami on [-pi, pi]^3, the standard sensitivity-analysis benchmark."""
    x1, x2, x3 = (float(params[f"x{i}"]) for i in range(3))
    return math.sin(x1) + a * math.sin(x2) ** 2 + b * x3**4 * math.sin(x1)


G_FUNCTION_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)


def g_function(params: Mapping[str, Any]) -> float:
    """Sobol's G-function on [0, 1]^8 with a = (0, 1, 4.5, 9, 99, 99, 99, 99)."""
    x = _vector(params, len(G_FUNCTION_A))
    a = np.array(G_FUNCTION_A)
    return float(np.prod((np.abs(4 * x - 2) + a) / (1 + a)))


def _mixed_space() -> Space:
    floats: dict[str, Float | Int | Choice] = {f"x{i}": Float(0.0, 1.0) for i in range(3)}
    return Space({**floats, "n0": Int(0, 10), "n1": Int(0, 10), "kind": Choice(["a", "b", "c"])})


def optimization_problems() -> dict[str, Problem]:
    """The issue-3 benchmark set: name -> Problem."""
    space_branin = Space({"x0": Float(-5.0, 10.0), "x1": Float(0.0, 15.0)})
    return {
        "branin": Problem("branin", space_branin, branin, 0.397887),
        "hartmann6": Problem("hartmann6", _box(6, 0.0, 1.0), hartmann6, -3.32237),
        "ackley5": Problem("ackley5", _box(5, -32.768, 32.768), ackley, 0.0),
        "ackley10": Problem("ackley10", _box(10, -32.768, 32.768), ackley, 0.0),
        "rosenbrock4": Problem("rosenbrock4", _box(4, -5.0, 10.0), rosenbrock, 0.0),
        "levy6": Problem("levy6", _box(6, -10.0, 10.0), levy, 0.0),
        "styblinski_tang8": Problem(
            "styblinski_tang8", _box(8, -5.0, 5.0), styblinski_tang, -39.16617 * 8
        ),
        "hartmann6_noisy": Problem(
            "hartmann6_noisy", _box(6, 0.0, 1.0), hartmann6, -3.32237, noise=0.1, tags=("noisy",)
        ),
        "mixed": Problem("mixed", _mixed_space(), mixed, 0.0, tags=("mixed",)),
    }


NOISY_VARIANTS = {"branin": 2.0, "levy6": 1.0, "rosenbrock4": 5.0, "styblinski_tang8": 5.0}
"""Noise standard deviation of each noisy variant: large next to the differences that separate
the best points a run finds, so a sampler that trusts its luckiest draw goes astray."""


def noisy_problems() -> dict[str, Problem]:
    """Noisy variants of the benchmark set (``NOISY_VARIANTS``), named ``<problem>_noisy``.

    The issue-3 set has one noisy problem (``hartmann6_noisy``); one problem is too few to judge
    noise handling, which can help there and hurt elsewhere. Regret stays on the noise-free value.

    Example:
        >>> noisy_problems()["branin_noisy"].noise
        2.0
    """
    base = optimization_problems()
    return {
        f"{name}_noisy": replace(
            base[name], name=f"{name}_noisy", noise=noise, tags=(*base[name].tags, "noisy")
        )
        for name, noise in NOISY_VARIANTS.items()
    }


def problem(name: str) -> Problem:
    """One problem of the benchmark set or its noisy variants, by name.

    Example:
        >>> p = problem("branin")
        >>> round(p.fn({"x0": math.pi, "x1": 2.275}) - p.optimum, 5)
        0.0
    """
    problems = {**optimization_problems(), **noisy_problems()}
    if name not in problems:
        raise KeyError(f"problem: expected one of {sorted(problems)}, got {name!r}")
    return problems[name]


@dataclass(frozen=True)
class MultiObjectiveProblem:
    """A test problem with several minimized objectives: ``fn(params) -> {name: value}``.

    Hypervolumes are measured against the fixed ``reference`` (one value per objective, in
    ``objectives`` order); ``max_hypervolume`` is that of the true Pareto front.
    """

    name: str
    space: Space
    fn: Callable[[Mapping[str, Any]], dict[str, float]]
    objectives: tuple[str, ...]
    reference: tuple[float, ...]
    max_hypervolume: float

    @property
    def dim(self) -> int:
        return self.space.dim


def _zdt_g(x: FloatArray) -> float:
    return float(1.0 + 9.0 * np.mean(x[1:]))


def zdt1(params: Mapping[str, Any]) -> dict[str, float]:
    """ZDT1 on [0, 1]^d (Zitzler, Deb and Thiele 2000): a convex front ``f2 = 1 - sqrt(f1)``."""
    x = np.array([float(params[f"x{i}"]) for i in range(len(params))])
    g = _zdt_g(x)
    return {"f1": float(x[0]), "f2": g * (1.0 - math.sqrt(x[0] / g))}


def zdt2(params: Mapping[str, Any]) -> dict[str, float]:
    """ZDT2 on [0, 1]^d: a concave front ``f2 = 1 - f1^2``."""
    x = np.array([float(params[f"x{i}"]) for i in range(len(params))])
    g = _zdt_g(x)
    return {"f1": float(x[0]), "f2": g * (1.0 - (x[0] / g) ** 2)}


def dtlz2(params: Mapping[str, Any], n_objectives: int = 3) -> dict[str, float]:
    """DTLZ2 on [0, 1]^d (Deb et al. 2002): the front is the unit sphere's positive orthant."""
    x = np.array([float(params[f"x{i}"]) for i in range(len(params))])
    m = n_objectives
    radius = 1.0 + float(np.sum((x[m - 1 :] - 0.5) ** 2))
    angles = x[: m - 1] * math.pi / 2
    out = {}
    for i in range(m):
        value = radius * float(np.prod(np.cos(angles[: m - 1 - i])))
        if i > 0:
            value *= math.sin(angles[m - 1 - i])
        out[f"f{i + 1}"] = value
    return out


def multi_objective_problems() -> dict[str, MultiObjectiveProblem]:
    """The issue-4 benchmark set (6 parameters each): name -> MultiObjectiveProblem.

    References follow BoTorch's test problems: (11, 11) for ZDT, 1.1 per objective for DTLZ2.
    The best hypervolumes are exact: ZDT1 ``121 - 1/3`` (the area under ``1 - sqrt(f1)`` is 1/3),
    ZDT2 ``121 - 2/3``, DTLZ2 ``1.1^3 - pi/6`` (the reference box minus the unit ball's orthant).

    Example:
        >>> p = multi_objective_problems()["zdt1"]
        >>> p.fn({f"x{i}": 0.25 if i == 0 else 0.0 for i in range(6)})
        {'f1': 0.25, 'f2': 0.5}
    """
    box = _box(6, 0.0, 1.0)
    return {
        "zdt1": MultiObjectiveProblem(
            "zdt1", box, zdt1, ("f1", "f2"), (11.0, 11.0), 121.0 - 1.0 / 3.0
        ),
        "zdt2": MultiObjectiveProblem(
            "zdt2", box, zdt2, ("f1", "f2"), (11.0, 11.0), 121.0 - 2.0 / 3.0
        ),
        "dtlz2": MultiObjectiveProblem(
            "dtlz2", box, dtlz2, ("f1", "f2", "f3"), (1.1, 1.1, 1.1), 1.1**3 - math.pi / 6
        ),
    }
