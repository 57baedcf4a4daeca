"""Problems: each test function attains its stated optimum at its known minimizer."""

from __future__ import annotations

import math

import numpy as np
import pytest

from paramscope.problems import (
    g_function,
    ishigami,
    noisy_problems,
    optimization_problems,
    problem,
)

MINIMIZERS = {
    "branin": {"x0": math.pi, "x1": 2.275},
    "hartmann6": dict(
        zip(
            [f"x{i}" for i in range(6)],
            [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
            strict=True,
        )
    ),
    "ackley5": {f"x{i}": 0.0 for i in range(5)},
    "ackley10": {f"x{i}": 0.0 for i in range(10)},
    "rosenbrock4": {f"x{i}": 1.0 for i in range(4)},
    "levy6": {f"x{i}": 1.0 for i in range(6)},
    "styblinski_tang8": {f"x{i}": -2.903534 for i in range(8)},
    "mixed": {"x0": 0.5, "x1": 0.5, "x2": 0.5, "n0": 3, "n1": 7, "kind": "b"},
}


@pytest.mark.parametrize("name", sorted(MINIMIZERS))
def test_known_minimizer_attains_the_optimum(name: str) -> None:
    problem = optimization_problems()[name]
    params = MINIMIZERS[name]
    assert problem.space.validate(params) == params
    assert problem.fn(params) == pytest.approx(problem.optimum, abs=1e-4)
    assert problem.regret(problem.fn(params)) < 1e-4


def test_noisy_variants_add_noise_but_keep_the_noise_free_regret() -> None:
    base = optimization_problems()
    for name, noisy in noisy_problems().items():
        clean = base[name.removesuffix("_noisy")]
        params = MINIMIZERS[clean.name]
        assert noisy.noise > 0 and "noisy" in noisy.tags and problem(name) == noisy
        assert noisy.fn(params) == clean.fn(params) and noisy.optimum == clean.optimum
        draws = [noisy.noisy_fn(np.random.default_rng(0))(params) for _ in range(2)]
        assert draws[0] == draws[1] != clean.fn(params)  # seeded noise on top of the same value
    with pytest.raises(KeyError, match="expected one of"):
        problem("branin_loud")


def test_sensitivity_functions() -> None:
    assert ishigami({"x0": 0.0, "x1": math.pi / 2, "x2": 1.0}) == pytest.approx(7.0)
    assert g_function({f"x{i}": 0.25 for i in range(8)}) == pytest.approx(1.0)
    assert g_function({f"x{i}": 0.5 for i in range(8)}) == 0.0
