"""ASHA and Hyperband: successive-halving rules, decided asynchronously as reports arrive.

Rung ``k`` of a successive-halving rule sits at the resource (step) ``min_resource *
reduction_factor ** (min_early_stopping_rate + k)``. When a trial's curve first reaches a rung,
its value there is compared with the values there of every other trial that reached that rung
(running, stopped or complete, as of the latest snapshot): the trial goes on if it is among the
top ``1 / reduction_factor`` of them, and stops otherwise. Nobody waits for a rung to fill, so
the decision is asynchronous (ASHA, Li et al. 2020); with fewer than ``reduction_factor`` trials
at a rung, only one as good as the best goes on. Rungs at or past ``max_resource`` (where a trial
completes anyway) are never judged.

Hyperband runs several such rules side by side ("brackets", bracket ``b`` with the minimum early
stopping rate ``b``); a trial's bracket follows from its number alone, weighted by the number of
trials Hyperband gives each bracket, and it is compared only with the trials of its bracket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from paramscope.errors import ConfigError
from paramscope.stopping.base import (
    Curves,
    Progress,
    better_or_equal,
    check_int,
    others_than,
    value_at,
)
from paramscope.storage.base import Direction

_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


def rung_resource(
    rung: int, *, min_resource: int, reduction_factor: int, min_early_stopping_rate: int = 0
) -> int:
    """The resource (step) of rung ``rung``: ``min_resource * eta ** (rate + rung)``.

    Example:
        >>> [rung_resource(k, min_resource=1, reduction_factor=3) for k in range(4)]
        [1, 3, 9, 27]
        >>> rung_resource(0, min_resource=2, reduction_factor=3, min_early_stopping_rate=1)
        6
    """
    return int(min_resource * reduction_factor ** (min_early_stopping_rate + rung))


def rung_resources(
    min_resource: int,
    reduction_factor: int,
    *,
    up_to: int,
    min_early_stopping_rate: int = 0,
    max_resource: int | None = None,
) -> tuple[int, ...]:
    """The resources of the rungs a trial has passed at step ``up_to``: the decision points.

    Rungs at or past ``max_resource`` are left out: a trial that gets there completes.

    Example:
        >>> rung_resources(1, 3, up_to=100)
        (1, 3, 9, 27, 81)
        >>> rung_resources(1, 3, up_to=100, max_resource=81)
        (1, 3, 9, 27)
        >>> rung_resources(1, 3, up_to=100, min_early_stopping_rate=2, max_resource=81)
        (9, 27)
    """
    out: list[int] = []
    resource = rung_resource(
        0,
        min_resource=min_resource,
        reduction_factor=reduction_factor,
        min_early_stopping_rate=min_early_stopping_rate,
    )
    while resource <= up_to and (max_resource is None or resource < max_resource):
        out.append(resource)
        resource *= reduction_factor
    return tuple(out)


def promotable(
    value: float, competing: list[float], reduction_factor: int, direction: Direction
) -> bool:
    """Whether ``value`` is in the top ``1/eta`` of ``competing`` (which includes it).

    With fewer than ``eta`` values at the rung, only a value as good as the best one is.

    Example:
        >>> promotable(0.2, [0.1, 0.2, 0.5, 0.6, 0.7, 0.9], 3, "min")   # top 2 of 6
        True
        >>> promotable(0.5, [0.1, 0.2, 0.5, 0.6, 0.7, 0.9], 3, "min")
        False
        >>> promotable(0.6, [0.1, 0.2, 0.5, 0.6, 0.7, 0.9], 3, "max")
        False
    """
    index = max(len(competing) // reduction_factor - 1, 0)
    ranked = sorted(competing, reverse=direction == "max")
    return better_or_equal(value, ranked[index], direction)


def n_brackets(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """Hyperband's number of brackets, ``floor(log_eta(max / min)) + 1``, in exact integers.

    Example:
        >>> n_brackets(1, 81, 3), n_brackets(1, 80, 3), n_brackets(1, 27, 3), n_brackets(4, 4, 2)
        (5, 4, 4, 1)
    """
    count, resource = 0, min_resource
    while resource <= max_resource:
        count += 1
        resource *= reduction_factor
    return count


def bracket_budgets(brackets: int, reduction_factor: int) -> tuple[int, ...]:
    """How many trials (relative) each bracket gets: ``ceil(n * eta**s / (s + 1))``, s = n-1-b.

    Bracket 0 (the most aggressive: it judges from ``min_resource`` on) gets the most trials.

    Example:
        >>> bracket_budgets(5, 3)
        (81, 34, 15, 8, 5)
    """
    out = []
    for bracket in range(brackets):
        s = brackets - 1 - bracket
        numerator = brackets * reduction_factor**s
        out.append(-(-numerator // (s + 1)))
    return tuple(out)


def bracket_of(number: int, budgets: tuple[int, ...]) -> int:
    """The bracket of trial ``number``: deterministic, in proportion to ``budgets``.

    The golden-ratio sequence ``frac(number * 0.618...)`` spreads consecutive trial numbers
    evenly over the brackets' shares, so even a short study fills every bracket in proportion.

    Example:
        >>> [bracket_of(n, (2, 1)) for n in range(9)]
        [0, 0, 0, 1, 0, 0, 1, 0, 1]
    """
    point = ((number * _GOLDEN) % 1.0) * sum(budgets)
    for bracket, share in enumerate(budgets):
        point -= share
        if point < 0:
            return bracket
    return len(budgets) - 1


@dataclass(frozen=True)
class ASHA:
    """Asynchronous successive halving (the default rule).

    Args:
        min_resource: The first rung's step (``r`` in the paper), an integer >= 1.
        reduction_factor: ``eta``: about ``1/eta`` of the trials reaching a rung go on; >= 2.
        max_resource: The step at which trials complete; rungs there and beyond are not judged.
            None: no limit.
        min_early_stopping_rate: ``s``: the first rung is at ``min_resource * eta ** s``.

    Example:
        >>> rule = ASHA(min_resource=1, reduction_factor=3)
        >>> others = {0: {1: 0.2}, 1: {1: 0.3}, 2: {1: 0.4}, 3: {1: 0.5}, 4: {1: 0.6}}
        >>> rule.should_stop(Progress(5, {0: 0.9, 1: 0.25}), others, "min")  # 2nd best of 6
        False
        >>> rule.should_stop(Progress(5, {0: 0.9, 1: 0.45}), others, "min")  # 4th of 6
        True
    """

    min_resource: int = 1
    reduction_factor: int = 3
    max_resource: int | None = None
    min_early_stopping_rate: int = 0

    name: ClassVar[str] = "asha"

    def __post_init__(self) -> None:
        check_int(self.min_resource, "min_resource", least=1)
        check_int(self.reduction_factor, "reduction_factor", least=2)
        check_int(self.min_early_stopping_rate, "min_early_stopping_rate", least=0)
        if self.max_resource is not None:
            form = f"None or an integer >= min_resource ({self.min_resource})"
            check_int(self.max_resource, "max_resource", least=self.min_resource, form=form)

    def rungs(self, *, up_to: int, after: int = -1) -> tuple[int, ...]:
        """The rung resources in ``(after, up_to]``: where a trial at ``up_to`` is judged now.

        Example:
            >>> ASHA(max_resource=81).rungs(up_to=30, after=3)
            (9, 27)
        """
        every = rung_resources(
            self.min_resource,
            self.reduction_factor,
            up_to=up_to,
            min_early_stopping_rate=self.min_early_stopping_rate,
            max_resource=self.max_resource,
        )
        return tuple(r for r in every if r > after)

    def should_stop(self, trial: Progress, others: Curves, direction: Direction) -> bool:
        """Stop when the trial is not in the top ``1/eta`` at a rung it has just reached."""
        rungs = self.rungs(up_to=trial.step, after=trial.judged)
        if not rungs:
            return False
        peers = others_than(trial.number, others)
        return not self._promoted(trial, peers, rungs, direction)

    def _promoted(
        self, trial: Progress, peers: list[Any], rungs: tuple[int, ...], direction: Direction
    ) -> bool:
        for resource in rungs:
            own = value_at(trial.reports, resource)
            assert own is not None  # the trial's step is past every rung asked about
            competing = [v for curve in peers if (v := value_at(curve, resource)) is not None]
            competing.append(own)
            if not promotable(own, competing, self.reduction_factor, direction):
                return False
        return True

    def to_config(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "min_resource": self.min_resource,
            "reduction_factor": self.reduction_factor,
            "max_resource": self.max_resource,
            "min_early_stopping_rate": self.min_early_stopping_rate,
        }


@dataclass(frozen=True)
class Hyperband:
    """Hyperband: several ASHA brackets with minimum early stopping rates 0, 1, ..., n-1.

    Args:
        min_resource: The most aggressive bracket's first rung, an integer >= 1.
        max_resource: The step at which trials complete (the last step they report); required.
        reduction_factor: ``eta`` of every bracket, an integer >= 2.

    Example:
        >>> rule = Hyperband(min_resource=1, max_resource=27, reduction_factor=3)
        >>> rule.brackets, rule.budgets
        (4, (27, 12, 6, 4))
        >>> [rule.bracket(n) for n in range(12)]
        [0, 1, 0, 2, 0, 0, 1, 0, 3, 1, 0, 2]
    """

    min_resource: int = 1
    max_resource: int | None = None
    reduction_factor: int = 3

    name: ClassVar[str] = "hyperband"

    def __post_init__(self) -> None:
        check_int(self.min_resource, "min_resource", least=1)
        check_int(self.reduction_factor, "reduction_factor", least=2)
        if self.max_resource is None:
            raise ConfigError(
                "stopping.max_resource: hyperband needs the last step a trial reports, an "
                f"integer >= min_resource ({self.min_resource}), e.g. max_resource = 81; got None"
            )
        form = f"an integer >= min_resource ({self.min_resource})"
        check_int(self.max_resource, "max_resource", least=self.min_resource, form=form)

    @property
    def brackets(self) -> int:
        """The number of brackets, ``floor(log_eta(max_resource / min_resource)) + 1``."""
        assert self.max_resource is not None  # checked in __post_init__
        return n_brackets(self.min_resource, self.max_resource, self.reduction_factor)

    @property
    def budgets(self) -> tuple[int, ...]:
        """Each bracket's relative share of the trials."""
        return bracket_budgets(self.brackets, self.reduction_factor)

    def bracket(self, number: int) -> int:
        """The bracket of trial ``number``."""
        return bracket_of(number, self.budgets)

    def asha(self, bracket: int) -> ASHA:
        """The successive-halving rule that bracket ``bracket`` runs.

        Example:
            >>> Hyperband(max_resource=27).asha(1).rungs(up_to=27)
            (3, 9)
        """
        return ASHA(
            min_resource=self.min_resource,
            reduction_factor=self.reduction_factor,
            max_resource=self.max_resource,
            min_early_stopping_rate=bracket,
        )

    def should_stop(self, trial: Progress, others: Curves, direction: Direction) -> bool:
        """Judge the trial by its bracket's ASHA, against the trials of that bracket only."""
        budgets = self.budgets
        bracket = bracket_of(trial.number, budgets)
        rule = self.asha(bracket)
        if not rule.rungs(up_to=trial.step, after=trial.judged):
            return False
        mine = {n: c for n, c in others.items() if bracket_of(n, budgets) == bracket}
        return rule.should_stop(trial, mine, direction)

    def to_config(self) -> dict[str, Any]:
        return {
            "rule": self.name,
            "min_resource": self.min_resource,
            "max_resource": self.max_resource,
            "reduction_factor": self.reduction_factor,
        }
