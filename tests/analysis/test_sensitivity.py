"""Sensitivity: analytic indices, obvious cases, Morris, a study's importance and bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import paramscope as ps
from paramscope.analysis.sensitivity.design import saltelli, to_unit
from paramscope.analysis.sensitivity.summarize import Summary, summarize
from paramscope.errors import ConfigError, ObjectiveError, SpaceError
from paramscope.plots.sensitivity import sensitivity_bars
from paramscope.problems import G_FUNCTION_A, g_function, ishigami

ISHIGAMI = ps.Space({f"x{i}": ps.Float(-math.pi, math.pi) for i in range(3)})
ISHIGAMI_S1 = (0.3139, 0.4424, 0.0)
ISHIGAMI_ST = (0.5576, 0.4424, 0.2437)
FAST = {"n_base": 1024, "n_paths": 64}


def g_indices() -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices of Sobol's G-function."""
    a = np.array(G_FUNCTION_A)
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    total_var = np.prod(1.0 + v) - 1.0
    first = v / total_var
    total = v * np.prod(1.0 + v) / (1.0 + v) / total_var
    return first, total


def test_saltelli_estimators_reproduce_ishigami() -> None:
    units = to_unit(ISHIGAMI, saltelli(ISHIGAMI, 2**14, second_order=False, seed=0))
    x = -math.pi + 2 * math.pi * units  # the vectorized Ishigami function, a=7, b=0.1
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    assert y[0] == pytest.approx(ishigami(ISHIGAMI.decode(units[0])))
    how = Summary(tuple(ISHIGAMI.names), False, 0.95, len(units), "direct")
    result = summarize(y[:, None], how, rng=np.random.default_rng(0))
    for i, name in enumerate(ISHIGAMI.names):
        assert result.first_order[name] == pytest.approx(ISHIGAMI_S1[i], abs=0.02)
        assert result.total[name] == pytest.approx(ISHIGAMI_ST[i], abs=0.02)
        low, high = result.interval(name)
        assert low <= ISHIGAMI_ST[i] <= high


def test_saltelli_estimators_reproduce_the_g_function() -> None:
    space = ps.Space({f"x{i}": ps.Float(0.0, 1.0) for i in range(8)})
    units = to_unit(space, saltelli(space, 2**13, second_order=False, seed=1))
    a = np.array(G_FUNCTION_A)
    y = np.prod((np.abs(4 * units - 2) + a) / (1 + a), axis=1)
    assert y[0] == pytest.approx(g_function(space.decode(units[0])))
    how = Summary(tuple(space.names), False, 0.95, len(units), "direct")
    result = summarize(y[:, None], how, rng=np.random.default_rng(1))
    first, total = g_indices()
    assert np.allclose(list(result.first_order.values()), first, atol=0.03)
    assert np.allclose(list(result.total.values()), total, atol=0.03)


@pytest.mark.slow
def test_surrogate_recovers_ishigami_on_a_small_budget() -> None:
    result = ps.sensitivity(ishigami, ISHIGAMI, budget=120, seed=0, **FAST)
    assert isinstance(result, ps.analysis.sensitivity.SobolResult)
    assert result.runs <= 120
    assert result.mode == "surrogate"
    for i, name in enumerate(ISHIGAMI.names):
        assert result.first_order[name] == pytest.approx(ISHIGAMI_S1[i], abs=0.03)
        assert result.total[name] == pytest.approx(ISHIGAMI_ST[i], abs=0.03)
    covered = [
        low <= truth <= high
        for i, name in enumerate(ISHIGAMI.names)
        for (low, high), truth in (
            (result.interval(name, "first"), ISHIGAMI_S1[i]),
            (result.interval(name), ISHIGAMI_ST[i]),
        )
    ]
    assert sum(covered) >= 5
    assert result.rounds and result.rounds[-1][0] == result.runs


@pytest.mark.slow
def test_surrogate_recovers_the_g_function_on_a_small_budget() -> None:
    space = ps.Space({f"x{i}": ps.Float(0.0, 1.0) for i in range(8)})
    result = ps.sensitivity(g_function, space, budget=120, seed=0, **FAST)
    first, total = g_indices()
    assert result.runs <= 120
    assert np.allclose(list(result.first_order.values()), first, atol=0.05)
    assert np.allclose(list(result.total.values()), total, atol=0.05)
    ranked = sorted(space.names, key=lambda n: -result.total[n])
    assert ranked[:3] == ["x0", "x1", "x2"]


def test_a_function_of_one_parameter_gets_all_the_variance() -> None:
    space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1), "c": ps.Choice(["x", "y"])})
    result = ps.sensitivity(lambda p: math.sin(3 * p["a"]), space, budget=25, seed=1, **FAST)
    assert result.total["a"] == pytest.approx(1.0, abs=0.03)
    assert result.first_order["a"] == pytest.approx(1.0, abs=0.03)
    assert result.total["b"] < 0.03
    assert result.total["c"] < 0.03


def test_a_constant_function_has_no_sensitivity() -> None:
    space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
    result = ps.sensitivity(lambda p: 3.0, space, budget=12, seed=0, **FAST)
    assert all(abs(v) < 1e-6 for v in result.total.values())
    assert result.output.mean.value == pytest.approx(3.0, abs=1e-3)


def test_input_distributions_change_the_answer() -> None:
    # y = a + b: equal spreads give equal shares; b concentrated by a narrow normal gets less.
    narrow = ps.Space(
        {"a": ps.Float(0, 1), "b": ps.Float(0, 1, distribution=("normal", 0.5, 0.05))}
    )
    result = ps.sensitivity(lambda p: p["a"] + p["b"], narrow, budget=20, seed=0, **FAST)
    # Var(a) = 1/12, Var(b) ~ 0.0025: b explains about 3% of the variance.
    assert result.total["b"] == pytest.approx(0.0025 / (1 / 12 + 0.0025), abs=0.02)
    assert result.output.mean.value == pytest.approx(1.0, abs=0.02)


def test_direct_mode_and_second_order() -> None:
    space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
    result = ps.sensitivity(
        lambda p: p["a"] * p["b"], space, budget=400, seed=0, mode="direct", second_order=True
    )
    assert result.mode == "direct"
    assert result.runs == 64 * 6
    assert result.second is not None
    # f = ab on [0,1]^2: S1 = S2 = 3/7 and the interaction 1/7.
    assert result.second[("a", "b")].value == pytest.approx(1 / 7, abs=0.1)
    assert result.first_order["a"] == pytest.approx(3 / 7, abs=0.1)


def test_morris_ranks_parameters() -> None:
    space = ps.Space({f"x{i}": ps.Float(0, 1) for i in range(4)})
    result = ps.sensitivity(
        lambda p: 5 * p["x0"] + p["x1"] ** 2 + 0.01 * p["x2"],
        space,
        method="morris",
        budget=50,
        seed=0,
    )
    assert isinstance(result, ps.analysis.sensitivity.MorrisResult)
    order = sorted(result.names, key=lambda n: -result.mu_star[n].value)
    assert order[:2] == ["x0", "x1"]
    assert result.mu_star["x3"].value == pytest.approx(0.0, abs=1e-9)
    assert result.interval("x0")[0] <= result.mu_star["x0"].value
    assert [b.names[0] for b in sensitivity_bars(result)] == ["x0"]


def test_importance_of_an_existing_study() -> None:
    space = ps.Space({"a": ps.Float(-1, 1), "b": ps.Float(-1, 1), "k": ps.Int(0, 3)})
    study = ps.Study.create("imp", space, storage="sqlite://", sampler="random", seed=0)
    study.optimize(lambda p: p["a"] ** 2 + 0.05 * p["k"], budget=40, executor="inline")
    result = ps.sensitivity(study, seed=0, **FAST)
    assert result.mode == "study"
    assert result.runs == 40
    assert max(result.total, key=result.total.__getitem__) == "a"
    assert result.total["b"] < 0.05


def test_failed_runs_are_data_in_surrogate_mode() -> None:
    space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})

    def sometimes(p: dict[str, float]) -> float:
        if p["b"] > 0.9:
            raise RuntimeError("solver diverged")
        return p["a"]

    result = ps.sensitivity(sometimes, space, budget=20, seed=0, **FAST)
    assert result.total["a"] > 0.9


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"budget": 3}, "budget=3 is too small for a surrogate estimate"),
        ({"budget": 5, "mode": "direct"}, "too small for direct Saltelli"),
        ({"budget": 3, "method": "morris"}, "too small for Morris"),
        ({"budget": 20, "method": "fast"}, "method must be 'sobol' or 'morris'"),
        ({"budget": 20, "tolerance": -1}, "tolerance must be a number > 0"),
        ({"budget": 20, "colour": "red"}, "unknown option(s) ['colour']"),
        ({"budget": 20, "kernel": "rbf"}, "kernel must be 'additive' or 'ard', got 'rbf'"),
        ({"budget": 0}, "budget"),
    ],
)
def test_bad_arguments_are_config_errors(kwargs: dict[str, object], message: str) -> None:
    space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
    with pytest.raises(ConfigError) as info:
        ps.sensitivity(lambda p: p["a"], space, seed=0, **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)


def test_a_non_finite_output_in_direct_mode_is_a_clear_error() -> None:
    space = ps.Space({"a": ps.Float(0, 1)})
    with pytest.raises(ObjectiveError, match="gave no finite output"):
        ps.sensitivity(lambda p: math.nan, space, budget=12, mode="direct", seed=0)


def test_an_unknown_distribution_is_a_space_error() -> None:
    with pytest.raises(SpaceError, match="unknown distribution 'gamma'"):
        ps.Float(0, 1, distribution=("gamma", 2.0))
    with pytest.raises(SpaceError, match="std must be > 0"):
        ps.Space.from_dict(
            {"x": {"type": "float", "low": 0, "high": 1, "distribution": ["normal", 0.5, 0.0]}}
        )


def test_distributions_round_trip_through_the_space_dict() -> None:
    space = ps.Space({"x": ps.Float(0, 10, distribution=("triangular", 2.0))})
    again = ps.Space.from_dict(space.to_dict())
    assert again == space
    assert again.to_dict()["x"]["distribution"] == ["triangular", 2.0]
