"""Stopping decisions of ASHA, Hyperband and the median rule on hand-made report sets."""

from __future__ import annotations

from typing import Any

import pytest

from paramscope.errors import ConfigError
from paramscope.stopping import (
    ASHA,
    Curves,
    Hyperband,
    MedianRule,
    NoStopping,
    Progress,
    describe,
    make_rule,
    rule_config,
)

# Ten finished curves (loss, min is better) that report every step 0..27.
FINISHED: Curves = {n: {s: (n + 1) / 10 + 1 / (s + 1) for s in range(28)} for n in range(10)}


def mirrored(curves: Curves) -> Curves:
    """The same curves as accuracies to maximize: value -> -value."""
    return {n: {s: -v for s, v in c.items()} for n, c in curves.items()}


def progress(number: int, curve: dict[int, float], judged: int = -1) -> Progress:
    return Progress(number, curve, judged=judged)


@pytest.mark.parametrize("direction", ["min", "max"])
@pytest.mark.parametrize(
    ("level", "stops"),
    # At rung 1 (step 1) the ten others hold (n+1)/10 + 0.5; with the new trial there are 11, so
    # the top 11 // 3 = 3 go on: the trial must be at least as good as the 3rd best.
    [(0.05, False), (0.25, False), (0.3, False), (0.35, True), (2.0, True)],
)
def test_asha_keeps_the_top_third_at_a_rung(direction: str, level: float, stops: bool) -> None:
    sign = 1 if direction == "min" else -1
    others = FINISHED if direction == "min" else mirrored(FINISHED)
    curve = {0: sign * (level + 1.0), 1: sign * (level + 0.5)}
    rule = ASHA(min_resource=1, reduction_factor=3)
    assert rule.should_stop(progress(99, curve), others, direction) is stops  # type: ignore[arg-type]


def test_asha_judges_only_at_rungs_and_never_takes_a_promotion_back() -> None:
    rule = ASHA(min_resource=1, reduction_factor=3)
    bad = {0: 9.0, 1: 9.0, 2: 9.0}
    # Step 2 holds no rung (rungs are 1, 3, 9, ...): nothing new to decide.
    assert not rule.should_stop(progress(99, bad, judged=1), FINISHED, "min")
    # Not yet judged at step 1: the rung at 1 is decided now, and the trial is far behind.
    assert rule.should_stop(progress(99, bad, judged=-1), FINISHED, "min")
    # A trial that reports sparsely is judged at every rung it passed since the last decision.
    # Rungs 1, 3 and 9 all take its value at step 10: good there, it goes on; poor, it stops.
    assert not rule.should_stop(progress(99, {0: 9.0, 10: 0.2}), FINISHED, "min")
    assert rule.should_stop(progress(99, {0: 9.0, 10: 0.9}), FINISHED, "min")


def test_asha_is_asynchronous_the_first_trial_at_a_rung_goes_on() -> None:
    rule = ASHA(min_resource=1, reduction_factor=3)
    assert not rule.should_stop(progress(0, {0: 5.0, 1: 5.0}), {}, "min")
    # Its own stored curve in the snapshot is not a competitor.
    assert not rule.should_stop(progress(0, {0: 5.0, 1: 5.0}), {0: {0: 5.0, 1: 5.0}}, "min")
    # The second trial, worse than the first, is stopped at once (fewer than eta at the rung).
    assert rule.should_stop(progress(1, {1: 6.0}), {0: {0: 5.0, 1: 5.0}}, "min")


def test_asha_leaves_rungs_at_max_resource_alone() -> None:
    curve = dict.fromkeys(range(28), 9.0)
    assert not ASHA(max_resource=27).should_stop(progress(99, curve, judged=26), FINISHED, "min")
    assert ASHA().should_stop(progress(99, curve, judged=26), FINISHED, "min")  # 27 is a rung


def test_asha_min_early_stopping_rate_delays_the_first_rung() -> None:
    bad = {0: 9.0, 1: 9.0, 2: 9.0}
    rule = ASHA(min_resource=1, reduction_factor=3, min_early_stopping_rate=1)  # rungs 3, 9, 27
    assert not rule.should_stop(progress(99, bad), FINISHED, "min")
    assert rule.should_stop(progress(99, {**bad, 3: 9.0}, judged=2), FINISHED, "min")


def test_hyperband_compares_only_within_the_trials_bracket() -> None:
    rule = Hyperband(min_resource=1, max_resource=27, reduction_factor=3)
    numbers = range(60)
    bracket0 = [n for n in numbers if rule.bracket(n) == 0]
    others_bracket = [n for n in numbers if rule.bracket(n) != 0]
    me, mates = bracket0[-1], bracket0[:3]
    # Trials of other brackets are excellent, the trial's bracket mates are poor.
    curves: dict[int, dict[int, float]] = {n: {1: 0.01} for n in others_bracket}
    curves.update({n: {1: 5.0} for n in mates})
    assert not rule.should_stop(progress(me, {1: 1.0}), curves, "min")
    curves.update({n: {1: 0.5} for n in mates})
    assert rule.should_stop(progress(me, {1: 1.0}), curves, "min")
    # A trial of the last bracket (first rung at 27 = max_resource) is never stopped.
    last = next(n for n in numbers if rule.bracket(n) == rule.brackets - 1)
    assert not rule.should_stop(progress(last, dict.fromkeys(range(28), 99.0)), curves, "min")


@pytest.mark.parametrize("direction", ["min", "max"])
def test_median_rule(direction: str) -> None:
    sign = 1 if direction == "min" else -1
    rule = MedianRule(warmup_steps=2, min_trials=3)
    others = {n: {s: sign * v for s, v in c.items()} for n, c in FINISHED.items()}
    median_at_3 = sorted(c[3] for c in FINISHED.values())[4:6]  # ten values: mean of 5th, 6th
    middle = sum(median_at_3) / 2
    worse = {0: sign * (middle + 1), 3: sign * (middle + 0.1)}
    better = {0: sign * (middle + 1), 3: sign * (middle - 0.1)}
    assert rule.should_stop(progress(99, worse), others, direction)  # type: ignore[arg-type]
    assert not rule.should_stop(progress(99, better), others, direction)  # type: ignore[arg-type]
    # Its best value so far counts, not its latest.
    early_best = {0: sign * (middle - 0.5), 3: sign * (middle + 0.1)}
    assert not rule.should_stop(progress(99, early_best), others, direction)  # type: ignore[arg-type]
    # Warm-up, and too few others at the step, never stop.
    assert not rule.should_stop(progress(99, {1: sign * 99.0}), others, direction)  # type: ignore[arg-type]
    few = dict(list(others.items())[:2])
    assert not rule.should_stop(progress(99, worse), few, direction)  # type: ignore[arg-type]


def test_no_stopping_never_stops() -> None:
    assert not NoStopping().should_stop(progress(99, {1: 1e9}), FINISHED, "min")


@pytest.mark.parametrize(
    "rule",
    [ASHA(), ASHA(2, 4, 64, 1), Hyperband(1, 81, 3), MedianRule(3, 2), NoStopping()],
)
def test_rules_round_trip_through_their_stored_table(rule: Any) -> None:
    assert make_rule(rule.to_config()) == rule
    assert make_rule(rule) is rule
    assert make_rule(rule.name) == type(rule)() if rule.name != "hyperband" else True
    assert rule_config(rule) == rule.to_config()


def test_names_and_defaults() -> None:
    assert make_rule(None) == ASHA() == make_rule("asha") == make_rule({})
    assert ASHA() == ASHA(min_resource=1, reduction_factor=3, max_resource=None)
    assert describe("median") == "median (warmup_steps=0, min_trials=5)"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sha", "stopping: expected one of 'asha', 'hyperband', 'median', 'none', got 'sha'"),
        ({"rule": "bogus", "x": 1}, "stopping.rule: expected one of"),
        (
            {"rule": "asha", "reduction_factor": 1},
            "stopping.reduction_factor: expected an integer >= 2, got 1",
        ),
        ({"reduction_factor": 2.5}, "stopping.reduction_factor: expected an integer >= 2, got 2.5"),
        (
            {"rule": "asha", "min_resource": 0},
            "stopping.min_resource: expected an integer >= 1, got 0",
        ),
        ({"rule": "asha", "min_resource": -3}, "stopping.min_resource: expected an integer >= 1"),
        (
            {"rule": "asha", "max_resource": 0},
            "stopping.max_resource: expected None or an integer >= min_resource (1), got 0",
        ),
        ({"rule": "asha", "min_early_stopping_rate": -1}, "stopping.min_early_stopping_rate"),
        ({"rule": "asha", "warmup_steps": 1}, "stopping.warmup_steps: not a setting of 'asha'"),
        ({"rule": "hyperband"}, "stopping.max_resource: hyperband needs the last step"),
        (
            {"rule": "hyperband", "max_resource": 9, "min_resource": 10},
            "stopping.max_resource: expected an integer >= min_resource (10), got 9",
        ),
        (
            {"rule": "median", "min_trials": 0},
            "stopping.min_trials: expected an integer >= 1, got 0",
        ),
        (
            {"rule": "median", "warmup_steps": True},
            "stopping.warmup_steps: expected an integer >= 0, got True",
        ),
        (3, "stopping: expected 'asha', 'hyperband', 'median', 'none'"),
    ],
)
def test_bad_rules_are_config_errors_naming_the_field(spec: Any, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        make_rule(spec)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
