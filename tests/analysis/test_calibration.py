"""Calibration end to end: a closed-form posterior, the banana's mode, failed runs, bad inputs."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import paramscope as ps
from paramscope.analysis.calibration import (
    CalibrationError,
    CalibrationOptions,
    CalibrationResult,
)
from paramscope.analysis.calibration.testproblems import banana, linear_gaussian
from paramscope.errors import ConfigError
from paramscope.trial import TrialState

FAST = CalibrationOptions(steps=600, reference_points=4096)


def quiet_calibrate(*args: Any, **kwargs: Any) -> CalibrationResult:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return ps.calibrate(*args, **kwargs)


@pytest.fixture(scope="module")
def linear() -> tuple[Any, CalibrationResult]:
    problem = linear_gaussian()
    options = CalibrationOptions(steps=1200, reference_points=4096)
    result = quiet_calibrate(
        problem.simulate,
        problem.space,
        observed=problem.observed,
        noise=problem.noise,
        budget=40,
        seed=0,
        options=options,
    )
    return problem, result


def test_linear_gaussian_posterior_matches_the_closed_form(
    linear: tuple[Any, CalibrationResult],
) -> None:
    problem, result = linear
    assert problem.mean is not None and problem.cov is not None
    sd = np.sqrt(np.diag(problem.cov))
    mean = result.samples[["t0", "t1"]].mean().to_numpy()
    got_sd = result.samples[["t0", "t1"]].std().to_numpy()
    assert np.all(np.abs(mean - problem.mean) < 0.15 * sd), (mean, problem.mean)
    assert np.all(np.abs(got_sd / sd - 1.0) < 0.15), (got_sd, sd)
    mode = np.array([result.map["t0"], result.map["t1"]])
    assert np.all(np.abs(mode - problem.mean) < 0.05 * sd)  # flat prior: mode = mean
    for k, name in enumerate(["t0", "t1"]):
        low, high = result.interval(name, level=0.9)
        exact = problem.mean[k] + np.array([-1.0, 1.0]) * 1.6449 * sd[k]
        assert abs(low - exact[0]) < 0.2 * sd[k] and abs(high - exact[1]) < 0.2 * sd[k]


def test_linear_gaussian_result_reports_waves_checks_and_runs(
    linear: tuple[Any, CalibrationResult],
) -> None:
    _, result = linear
    assert result.runs_used == 40 and result.runs_failed == 0
    assert len(result.trials) == 40
    assert all(t.state == TrialState.COMPLETE for t in result.trials)
    assert set(result.trials[0].values) == {"misfit", "y[0]", "y[1]", "y[2]"}
    assert sum(w.runs for w in result.waves) + result.emulator_check.runs == 40  # type: ignore[union-attr]
    ruled = [w.fraction_ruled_out for w in result.waves]
    assert ruled == sorted(ruled) and ruled[-1] > 0.9
    assert result.emulator_check is not None and result.emulator_check.error_to_noise < 0.2
    assert all(c.inside for c in result.predictive)
    assert list(result.predictive_frame()["output"]) == ["y[0]", "y[1]", "y[2]"]
    assert result.identifiability.unidentified == ()
    assert "Every parameter is constrained" in result.identifiability.sentences[0]
    assert result.warnings == ()
    assert "wave 1:" in result.summary() and "t0: MAP" in result.summary()


def test_banana_map_is_within_0_05_of_one_one() -> None:
    problem = banana()
    result = quiet_calibrate(
        problem.simulate,
        problem.space,
        observed=problem.observed,
        noise=problem.noise,
        budget=60,
        seed=1,
        options=FAST,
    )
    assert math.hypot(result.map["a"] - 1.0, result.map["b"] - 1.0) < 0.05
    for name in ("a", "b"):
        low, high = result.interval(name, level=0.9)
        assert low < 1.0 < high
    # The ridge b = a^2: a and b move together, and the report says so in words.
    pairs = result.identifiability.correlated
    assert pairs and pairs[0][:2] == ("a", "b") and pairs[0][2] > 0.8
    sentences = result.identifiability.sentences
    assert any("a and b are strongly positively correlated" in s for s in sentences)


def test_same_seed_gives_the_same_calibration() -> None:
    problem = banana()
    options = CalibrationOptions(steps=60, waves=2, reference_points=1024)
    kwargs: dict[str, Any] = {"observed": problem.observed, "noise": problem.noise, "budget": 16}
    first = quiet_calibrate(problem.simulate, problem.space, seed=3, options=options, **kwargs)
    second = quiet_calibrate(problem.simulate, problem.space, seed=3, options=options, **kwargs)
    assert first.samples.equals(second.samples)
    assert first.map == second.map


def test_failed_runs_are_failed_trials_and_calibration_goes_on(tmp_path: Path) -> None:
    problem = linear_gaussian()

    def flaky(params: dict[str, float]) -> Any:
        if params["t0"] > 2.5:
            raise RuntimeError("solver diverged")
        if params["t1"] > 2.5:
            return [1.0, 2.0]  # the wrong length
        if params["t0"] < -2.5:
            return [float("nan"), 0.0, 0.0]
        return problem.simulate(params)

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    result = quiet_calibrate(
        flaky,
        problem.space,
        observed=problem.observed,
        noise=problem.noise,
        budget=30,
        seed=0,
        storage=url,
        options=CalibrationOptions(steps=300, reference_points=2048, name="flaky"),
    )
    failed = [t for t in result.trials if t.state == TrialState.FAILED]
    assert result.runs_failed == len(failed) > 0
    reasons = " | ".join(t.error or "" for t in failed)
    assert "solver diverged" in reasons
    assert "simulator returned 2 outputs; expected 3" in reasons
    assert "is nan; expected a finite number" in reasons
    assert any("simulator runs failed" in w for w in result.warnings)
    low, high = result.interval("t0")
    assert low < problem.truth["t0"] < high
    stored = ps.Study.load("flaky", storage=url)
    assert len(stored.trials) == 30 and stored.counts()[TrialState.FAILED] == len(failed)
    stored.close()


def test_a_simulator_that_always_returns_the_wrong_length_is_an_error() -> None:
    space = ps.Space({"a": ps.Float(0.0, 1.0)})
    with pytest.raises(CalibrationError, match=r"simulator returned 3 outputs; expected 2"):
        quiet_calibrate(lambda p: [1.0, 2.0, 3.0], space, observed=[1.0, 2.0], noise=0.1, budget=12)


def test_a_dict_simulator_missing_an_output_fails_its_runs_with_the_name() -> None:
    space = ps.Space({"a": ps.Float(0.0, 1.0)})
    with pytest.raises(CalibrationError, match=r"has no output 'var'"):
        quiet_calibrate(
            lambda p: {"mean": p["a"]},
            space,
            observed={"mean": 0.5, "var": 1.0},
            noise=0.1,
            budget=12,
        )


def test_dict_observations_with_vector_entries_and_per_output_noise() -> None:
    space = ps.Space({"a": ps.Float(0.0, 2.0)})

    def simulate(params: dict[str, float]) -> dict[str, Any]:
        a = params["a"]
        return {"level": a, "curve": [a * t for t in (0.5, 1.0, 1.5)]}

    observed = {"level": 1.2, "curve": [0.6, 1.2, 1.8]}
    result = quiet_calibrate(
        simulate,
        space,
        observed=observed,
        noise={"level": 0.05, "curve": [0.1, 0.1, 0.2]},
        budget=20,
        seed=0,
        options=CalibrationOptions(steps=300, waves=2, reference_points=1024),
    )
    assert [c.name for c in result.predictive] == ["level", "curve[0]", "curve[1]", "curve[2]"]
    assert abs(result.map["a"] - 1.2) < 0.02


OBSERVED_ERRORS = [
    ([[1.0, 2.0], [3.0, 4.0]], 0.1, r"observed: expected a 1-D vector, got an array of shape"),
    ([1.0, float("nan")], 0.1, r"observed\[1\]: expected a finite number, got nan"),
    ([], 0.1, r"observed: expected at least one number"),
    ("1.0", 0.1, r"observed: expected a vector or a dict"),
    ({"a": float("inf")}, 0.1, r"observed.a: expected a finite number, got inf"),
    ([1.0, 2.0], 0.0, r"noise: expected a number > 0.*got 0"),
    ([1.0, 2.0], -1.0, r"noise: expected a number > 0.*got -1"),
    ([1.0, 2.0], [0.1, 0.0], r"noise: expected a number > 0.*got 0"),
    ([1.0, 2.0], [0.1, 0.1, 0.1], r"noise: expected .*got a vector of 3"),
    ([1.0, 2.0], float("nan"), r"noise: expected a finite number, got nan"),
    ([1.0, 2.0], None, r"noise: required"),
    ({"a": 1.0}, {"b": 0.1}, r"noise: expected .*missing \['a'\], unexpected \['b'\]"),
]


@pytest.mark.parametrize(("observed", "noise", "message"), OBSERVED_ERRORS)
def test_bad_observations_or_noise_are_config_errors_before_any_run(
    observed: Any, noise: Any, message: str, tmp_path: Path
) -> None:
    calls: list[Any] = []
    database = tmp_path / "runs.db"
    with pytest.raises(ConfigError, match=message):
        ps.calibrate(
            lambda p: calls.append(p) or [0.0, 0.0],
            ps.Space({"a": ps.Float(0.0, 1.0)}),
            observed=observed,
            noise=noise,
            budget=20,
            storage=f"sqlite:///{database}",
        )
    assert calls == [] and not database.exists()


@pytest.mark.parametrize(
    ("space", "budget", "message"),
    [
        (ps.Space({"k": ps.Int(1, 5)}), 20, r"space.k: calibrate needs continuous ps.Float"),
        (ps.Space({"x": ps.Float(0, 1, step=0.1)}), 20, r"space.x: calibrate needs continuous"),
        (
            ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)}),
            5,
            r"budget: expected an integer >= 9",
        ),
        (ps.Space({"a": ps.Float(0, 1)}), 0, r"budget: expected an integer > 0, got 0"),
    ],
)
def test_bad_space_or_budget_are_config_errors(space: ps.Space, budget: int, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ps.calibrate(lambda p: [0.0], space, observed=[0.0], noise=0.1, budget=budget)


def test_bad_options_and_interval_arguments_are_config_errors(
    linear: tuple[Any, CalibrationResult],
) -> None:
    with pytest.raises(ConfigError, match=r"options.steps: expected an integer >= 10, got 0"):
        CalibrationOptions(steps=0)
    with pytest.raises(ConfigError, match=r"options.cutoff"):
        CalibrationOptions(cutoff=-1.0)
    _, result = linear
    with pytest.raises(ConfigError, match=r"interval: expected one of \['t0', 't1'\], got 'h'"):
        result.interval("h")
    with pytest.raises(ConfigError, match=r"level must be a number in \(0, 1\), got 1.5"):
        result.interval("t0", level=1.5)
