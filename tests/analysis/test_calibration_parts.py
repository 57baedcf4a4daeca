"""Calibration parts: emulator (stacked GPs, components), implausibility, plans, reports."""

# ruff: noqa: N803, N806  (matrix names X, Y, U, B follow the maths)

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import multivariate_normal

import paramscope as ps
from paramscope.analysis.calibration import CalibrationOptions, EmulatorOptions
from paramscope.analysis.calibration.emulator import Emulator, EmulatorSet
from paramscope.analysis.calibration.history_matching import Matcher, maximin
from paramscope.analysis.calibration.identifiability import identifiability
from paramscope.analysis.calibration.observations import Observations
from paramscope.analysis.calibration.options import RunPlan
from paramscope.errors import ObjectiveError
from paramscope.models import FeatureMap

SPACE = ps.Space({"a": ps.Float(0.0, 1.0), "b": ps.Float(0.0, 1.0)})
FMAP = FeatureMap.from_space(SPACE)
T = np.linspace(0.0, 1.0, 30)


def curves(X: np.ndarray) -> np.ndarray:
    return np.sin(3.0 * X[:, :1] * T[None, :] + X[:, 1:2])


def test_stacked_prediction_equals_each_gaussian_process() -> None:
    rng = np.random.default_rng(0)
    X = rng.random((25, 2))
    Y = np.column_stack([np.sin(4 * X[:, 0]) + X[:, 1], X[:, 0] * X[:, 1]])
    em = Emulator.fit(X, Y, FMAP)
    U = rng.random((7, 2))
    mean, var = em.stack.predict(U)
    for j, gp in enumerate(em.gps):
        gp_mean, gp_var = gp.predict(U)
        np.testing.assert_allclose(mean[:, j], gp_mean, atol=1e-8)
        np.testing.assert_allclose(var[:, j], gp_var, atol=1e-10)


def test_a_set_of_emulators_on_different_runs_predicts_each_exactly() -> None:
    rng = np.random.default_rng(1)
    X = rng.random((30, 2))
    small = Emulator.fit(X[:12], X[:12, :1] ** 2, FMAP)
    large = Emulator.fit(X, np.column_stack([X[:, 0], X.sum(1)]), FMAP)
    U = rng.random((5, 2))
    joint = EmulatorSet.of((small, large)).predict_targets(U)
    for em, (mean, var) in zip((small, large), joint, strict=True):
        own_mean, own_var = em.predict_targets(U)
        np.testing.assert_allclose(mean, own_mean, atol=1e-10)
        np.testing.assert_allclose(var, own_var, atol=1e-12)


def test_long_outputs_use_principal_components_and_an_exact_low_rank_likelihood() -> None:
    rng = np.random.default_rng(2)
    X = rng.random((40, 2))
    em = Emulator.fit(X, curves(X), FMAP, options=EmulatorOptions(max_direct_outputs=10))
    assert em.basis is not None and 1 <= em.components <= 12
    obs = Observations.build(curves(np.array([[0.3, 0.6]]))[0], 0.05)
    U = rng.random((4, 2))
    t_mean, t_var = em.predict_targets(U)
    B = em.scale[:, None] * em.basis
    for i in range(4):
        cov = np.diag(obs.error_variance + em.residual) + B @ np.diag(t_var[i]) @ B.T
        dense = multivariate_normal(em.shift + B @ t_mean[i], cov).logpdf(obs.values)
        assert em.log_likelihood(U[i : i + 1], obs)[0] == pytest.approx(dense, rel=1e-9)
    mean, _ = em.predict(np.array([[0.3, 0.6]]))
    assert np.max(np.abs(mean[0] - obs.values)) < 0.05


def test_calibrating_a_long_output_recovers_its_parameters() -> None:
    truth = np.array([[0.3, 0.6]])
    observed = curves(truth)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = ps.calibrate(
            lambda p: curves(np.array([[p["a"], p["b"]]]))[0],
            SPACE,
            observed=observed,
            noise=0.05,
            budget=40,
            seed=0,
            options=CalibrationOptions(steps=400, reference_points=2048),
        )
    for k, name in enumerate(("a", "b")):
        low, high = result.interval(name)
        assert low < truth[0, k] < high
        assert abs(result.map[name] - truth[0, k]) < 0.02
    assert len(result.predictive) == 30


def test_implausibility_takes_the_second_largest_output_with_three_or_more() -> None:
    X = np.linspace(0.0, 1.0, 9)[:, None]
    fmap = FeatureMap.from_space(ps.Space({"a": ps.Float(0.0, 1.0)}))
    em = Emulator.fit(X, np.hstack([X, X, X]), fmap)
    obs = Observations.build([0.5, 0.5, 0.9], 0.01)
    options = CalibrationOptions()
    second = Matcher(obs, 3.0, options.rank(3)).implausibility(em, np.array([[0.5]]))
    largest = Matcher(obs, 3.0, 1).implausibility(em, np.array([[0.5]]))
    assert second[0] < 0.5 and largest[0] > 20.0  # one bad output does not rule out alone
    assert options.rank(2) == 1 and CalibrationOptions(implausibility_rank=3).rank(2) == 2


def test_maximin_spreads_points_away_from_existing_runs() -> None:
    candidates = np.linspace(0.0, 1.0, 101)[:, None]
    chosen = maximin(candidates, 2, np.array([[0.0]]))
    assert chosen[:, 0].tolist() == [1.0, 0.5]


@pytest.mark.parametrize(
    ("budget", "dim", "waves", "check"),
    [(200, 4, (72, 36, 36, 36), 20), (20, 1, (8, 4, 4, 4), 0), (9, 2, (6, 3), 0)],
)
def test_run_plan_spends_exactly_the_budget(
    budget: int, dim: int, waves: tuple[int, ...], check: int
) -> None:
    plan = RunPlan.build(budget, dim, CalibrationOptions())
    assert plan.waves == waves and plan.check == check
    assert sum(plan.waves) + plan.check == budget


def test_identifiability_names_flat_parameters_and_correlated_pairs() -> None:
    rng = np.random.default_rng(0)
    a = 0.5 + 0.02 * rng.standard_normal(3000)
    b = 0.4 - a + 0.5 + 0.002 * rng.standard_normal(3000)
    flat = rng.random(3000)
    report = identifiability(np.column_stack([a, b, flat]), ["h", "c", "F"])
    assert report.unidentified == ("F",)
    assert report.spread["F"] > 0.9 and report.spread["h"] < 0.1
    assert [(x, y) for x, y, _ in report.correlated] == [("h", "c")]
    text = str(report)
    assert "F is not identified" in text
    assert "h and c are strongly negatively correlated" in text and "trade off" in text


def test_a_result_of_the_wrong_shape_or_kind_is_an_objective_error() -> None:
    vector = Observations.build([1.0, 2.0], 0.1)
    named = Observations.build({"m": 1.0, "curve": [1.0, 2.0]}, 0.1)
    with pytest.raises(ObjectiveError, match=r"returned 1 outputs; expected 2"):
        vector.read([1.0])
    with pytest.raises(ObjectiveError, match=r"returned a dict .* expected a vector"):
        vector.read({"a": 1.0})
    with pytest.raises(ObjectiveError, match=r"simulator result\[1\] is inf"):
        vector.read([1.0, float("inf")])
    with pytest.raises(ObjectiveError, match=r"'curve' has 3 values; expected 2"):
        named.read({"m": 1.0, "curve": [1, 2, 3]})
    with pytest.raises(ObjectiveError, match=r"returned list; expected a dict with keys"):
        named.read([1.0, 1.0, 2.0])
    with pytest.raises(ObjectiveError, match=r"simulator output 'm' is 'x'; expected numbers"):
        named.read({"m": "x", "curve": [1.0, 2.0]})
    assert named.read({"m": 3, "curve": (4, 5), "extra": 1}).tolist() == [3.0, 4.0, 5.0]


def test_a_short_chain_is_extended_until_it_spans_twenty_autocorrelation_times() -> None:
    from paramscope.analysis.calibration.posterior import (
        MIN_AUTOCORR_MULTIPLE,
        LogPosterior,
        sample,
        start_points,
    )

    X = np.random.default_rng(0).random((20, 2))
    em = Emulator.fit(X, X, FMAP)
    target = LogPosterior(em, Matcher(Observations.build([0.4, 0.6], 0.05)))
    start = start_points(target, X, 8, np.random.default_rng(0))
    short = sample(target, start, steps=40, seed=0)
    longer = sample(target, start, steps=40, seed=0, max_steps=2000)
    assert short.steps == 40 and short.U.shape == (20 * 8, 2)
    tau = float(np.max(longer.autocorr))
    assert longer.steps > 40
    assert longer.steps == 2000 or longer.steps - longer.steps // 2 >= MIN_AUTOCORR_MULTIPLE * tau
