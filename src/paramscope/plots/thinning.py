"""Plot thinning: pick which trials a plot draws when a study has more than ``max_points``.

The choice is deterministic and keeps what a reader looks for: every best-so-far improvement
(so the history's staircase and the incumbent are exact), the first and last trial and the worst
value; the rest are subsampled evenly by position. A dashboard calls the plots' data steps with
``max_points`` on studies of 100,000 trials, so this is linear in the number of trials.
"""

from __future__ import annotations

from collections.abc import Sequence

from paramscope.errors import ConfigError
from paramscope.storage.base import Direction


def check_max_points(max_points: object) -> int | None:
    """Validate ``max_points``: None (draw everything) or an integer >= 2.

    Example:
        >>> check_max_points(100), check_max_points(None)
        (100, None)
        >>> check_max_points(1)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: max_points: expected None or an integer >= 2, got 1
    """
    if max_points is None:
        return None
    if isinstance(max_points, bool) or not isinstance(max_points, int) or max_points < 2:
        raise ConfigError(f"max_points: expected None or an integer >= 2, got {max_points!r}")
    return max_points


def check_direction(direction: object) -> Direction:
    """Validate an objective's direction: ``"min"`` or ``"max"``.

    Example:
        >>> check_direction("max")
        'max'
    """
    if direction == "min":
        return "min"
    if direction == "max":
        return "max"
    raise ConfigError(f"direction: expected 'min' or 'max', got {direction!r}")


def improvements(keys: Sequence[float | None], direction: Direction) -> list[int]:
    """Positions where the best-so-far value strictly improves (None entries never count).

    Example:
        >>> improvements([3.0, None, 4.0, 1.0, 1.0, 0.5], "min")
        [0, 3, 5]
        >>> improvements([3.0, None, 4.0, 1.0], "max")
        [0, 2]
    """
    out: list[int] = []
    best: float | None = None
    sign = 1.0 if direction == "min" else -1.0
    for i, key in enumerate(keys):
        if key is None:
            continue
        if best is None or sign * key < sign * best:
            best = key
            out.append(i)
    return out


def evenly(count: int, k: int) -> list[int]:
    """``k`` positions spread evenly over ``range(count)``, first and last included.

    Example:
        >>> evenly(10, 4), evenly(3, 5), evenly(7, 1)
        ([0, 3, 6, 9], [0, 1, 2], [3])
    """
    if k >= count:
        return list(range(count))
    if k <= 0:
        return []
    if k == 1:
        return [(count - 1) // 2]
    return [(i * (count - 1)) // (k - 1) for i in range(k)]


def thin(
    keys: Sequence[float | None], *, direction: Direction, max_points: int | None
) -> list[int]:
    """The positions of ``keys`` to draw, in order: all of them, or at most ``max_points``.

    Kept first: every best-so-far improvement, the first and the last position and the worst
    value; the remaining budget is spread evenly over the other positions. When the improvements
    alone exceed ``max_points``, they are subsampled evenly (the first and the best kept).

    Args:
        keys: one value per point in drawing order (trial-number order); None for a point that
            cannot be an improvement (e.g. a stopped or infeasible trial).
        direction: "min" or "max", which way is better.
        max_points: the most positions to return; None for all.

    Example:
        >>> keys = [5.0, 6.0, 4.0, 7.0, 8.0, 3.0, 9.0, 6.5, 6.6, 6.7]
        >>> thin(keys, direction="min", max_points=6)
        [0, 2, 4, 5, 6, 9]
        >>> len(thin(keys, direction="min", max_points=None))
        10
    """
    n = len(keys)
    if max_points is None or n <= max_points:
        return list(range(n))
    steps = improvements(keys, direction)
    if len(steps) >= max_points:
        return [steps[i] for i in evenly(len(steps), max_points)]
    must = set(steps) | {0, n - 1}
    scored = [i for i, key in enumerate(keys) if key is not None]
    if scored:
        sign = 1.0 if direction == "min" else -1.0
        must.add(max(scored, key=lambda i: sign * float(keys[i] or 0.0)))
    if len(must) > max_points:  # the extremes do not all fit beside the improvements
        must = set(steps) | {n - 1}
    rest = [i for i in range(n) if i not in must]
    chosen = must | {rest[i] for i in evenly(len(rest), max_points - len(must))}
    return sorted(chosen)
