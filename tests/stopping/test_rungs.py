"""Rung arithmetic of ASHA and Hyperband: rung resources, brackets, budgets, bracket assignment."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from paramscope.stopping import (
    ASHA,
    Hyperband,
    bracket_budgets,
    bracket_of,
    n_brackets,
    promotable,
    rung_resource,
    rung_resources,
)


@pytest.mark.parametrize(
    ("min_resource", "eta", "rate", "expected"),
    [
        (1, 3, 0, [1, 3, 9, 27, 81]),
        (1, 2, 0, [1, 2, 4, 8, 16]),
        (2, 3, 0, [2, 6, 18, 54, 162]),
        (1, 3, 1, [3, 9, 27, 81, 243]),
        (5, 4, 2, [80, 320, 1280, 5120, 20480]),
    ],
)
def test_rung_resources_are_min_times_eta_to_the_rate_plus_k(
    min_resource: int, eta: int, rate: int, expected: list[int]
) -> None:
    got = [
        rung_resource(
            k, min_resource=min_resource, reduction_factor=eta, min_early_stopping_rate=rate
        )
        for k in range(5)
    ]
    assert got == expected
    assert got == [min_resource * eta ** (rate + k) for k in range(5)]


def test_decision_points_stop_below_max_resource() -> None:
    assert rung_resources(1, 3, up_to=1000) == (1, 3, 9, 27, 81, 243, 729)
    assert rung_resources(1, 3, up_to=1000, max_resource=81) == (1, 3, 9, 27)
    assert rung_resources(1, 3, up_to=82, max_resource=82) == (1, 3, 9, 27, 81)
    assert rung_resources(1, 3, up_to=8) == (1, 3)
    assert rung_resources(1, 3, up_to=0) == ()
    assert rung_resources(1, 3, up_to=100, min_early_stopping_rate=4, max_resource=81) == ()
    assert ASHA(max_resource=81).rungs(up_to=81, after=3) == (9, 27)


@pytest.mark.parametrize(
    ("low", "high", "eta"),
    [(1, 81, 3), (1, 80, 3), (1, 82, 3), (1, 27, 3), (1, 100, 4), (2, 50, 2), (3, 3, 3), (1, 1, 2)],
)
def test_hyperband_brackets_are_floor_log_eta_plus_one(low: int, high: int, eta: int) -> None:
    expected = math.floor(math.log(high / low, eta) + 1e-9) + 1
    assert n_brackets(low, high, eta) == expected
    assert Hyperband(min_resource=low, max_resource=high, reduction_factor=eta).brackets == expected


def test_bracket_budgets_follow_hyperband_s_max_formula() -> None:
    n, eta = 5, 3
    expected = tuple(math.ceil(n * eta ** (n - 1 - b) / (n - b)) for b in range(n))
    assert bracket_budgets(n, eta) == expected == (81, 34, 15, 8, 5)
    assert bracket_budgets(1, 3) == (1,)


def test_bracket_assignment_is_deterministic_and_proportional() -> None:
    rule = Hyperband(min_resource=1, max_resource=81, reduction_factor=3)
    budgets = rule.budgets
    first = [rule.bracket(n) for n in range(1000)]
    assert first == [Hyperband(max_resource=81).bracket(n) for n in range(1000)]
    counts = Counter(first)
    for bracket, share in enumerate(budgets):
        assert counts[bracket] / 1000 == pytest.approx(share / sum(budgets), abs=0.02)
    # Even a short study gets every bracket.
    assert set(first[: sum(budgets) // 3]) == set(range(len(budgets)))
    assert {bracket_of(n, (1,)) for n in range(50)} == {0}


def test_each_bracket_runs_asha_with_its_own_early_stopping_rate() -> None:
    rule = Hyperband(min_resource=1, max_resource=81, reduction_factor=3)
    assert [rule.asha(b).rungs(up_to=81) for b in range(rule.brackets)] == [
        (1, 3, 9, 27),
        (3, 9, 27),
        (9, 27),
        (27,),
        (),
    ]


@pytest.mark.parametrize(
    ("value", "direction", "expected"),
    [
        (0.1, "min", True),
        (0.2, "min", True),
        (0.3, "min", False),
        (0.9, "max", True),
        (0.8, "max", True),
        (0.7, "max", False),
    ],
)
def test_promotion_keeps_the_top_third(value: float, direction: str, expected: bool) -> None:
    # Six values at a rung with eta = 3: the top 6 // 3 = 2 go on.
    others = [0.1, 0.2, 0.3, 0.7, 0.8, 0.9]
    competing = [v for v in others if v != value] + [value]
    assert promotable(value, competing, 3, direction) is expected  # type: ignore[arg-type]


def test_below_eta_trials_only_the_best_so_far_goes_on() -> None:
    assert promotable(0.3, [0.5, 0.3], 3, "min")
    assert not promotable(0.5, [0.3, 0.5], 3, "min")
    assert promotable(0.5, [0.5, 0.5], 3, "min")  # a tie goes on
