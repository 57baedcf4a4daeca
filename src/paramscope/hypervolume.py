"""Hypervolume: how much of objective space a set of minimized points dominates, and what is left.

Pure numpy functions of points ``Y: (n, k)`` (every objective minimized) and a reference point
``r: (k,)`` that bounds the region. The study reports its progress with ``hypervolume``; the
multi-objective acquisition integrates over ``nondominated_boxes``, the disjoint boxes that tile the
region a new point could still add.

- ``hypervolume``: exact. One objective: ``r - min``; two: sort and sweep, ``O(n log n)``; three:
  slices along the third objective over an incrementally updated two-objective front, ``O(n p)``
  for ``p`` front points; more: the WFG recursion (While, Bradstreet and Barone, "A fast way of
  calculating exact hypervolumes", IEEE TEC 2012) down to three objectives, a few seconds for six
  objectives at 30 Pareto points.
- ``nondominated_boxes``: slice along the last objective and decompose each slice one dimension
  lower; a box that stays the same from one slice to the next is extended rather than repeated, so
  two objectives give ``n + 1`` boxes and three ``O(n)`` in practice.
- ``reference_point``: the default reference, the nadir of the front plus 10% of the front's range
  per objective (BoTorch's ``infer_reference_point`` rule); or, for a search that should also
  extend the front's ends, plus 10% of the range of all points.
"""

# ruff: noqa: N803, N806  (matrix names Y follow the maths)

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from paramscope.errors import ConfigError
from paramscope.space import FloatArray

Boxes = tuple[FloatArray, FloatArray]


def pareto_mask(Y: FloatArray) -> NDArray[np.bool_]:
    """Which rows of ``Y: (n, k)`` no other row dominates (all ``<=``, one ``<``); ``(n,)``.

    Equal rows do not dominate each other, so duplicates of a Pareto point are all kept.

    Example:
        >>> pareto_mask(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 3.0], [1.0, 3.0]])).tolist()
        [True, True, False, True]
    """
    Y = np.asarray(Y, dtype=float)
    if Y.shape[0] <= 256:  # all pairs at once: (n, n, k) comparisons
        le = np.all(Y[:, None, :] <= Y[None, :, :], axis=2)
        lt = np.any(Y[:, None, :] < Y[None, :, :], axis=2)
        out: NDArray[np.bool_] = ~np.any(le & lt, axis=0)
        return out
    if Y.shape[1] == 2:
        return _pareto_mask_2d(Y)
    # Many rows: in lexicographic order a row's dominators all come before it, and a dominated
    # dominator's own dominator dominates it too, so comparing with the front so far suffices.
    order = np.lexsort(Y.T[::-1])
    keep = np.zeros(Y.shape[0], dtype=bool)
    front = np.empty_like(Y)
    size = 0
    for i in order:
        F = front[:size]
        if not np.any(np.all(Y[i] >= F, axis=1) & np.any(Y[i] > F, axis=1)):
            front[size] = Y[i]
            size += 1
            keep[i] = True
    return keep


def _pareto_mask_2d(Y: FloatArray) -> NDArray[np.bool_]:
    """``pareto_mask`` for two objectives in ``O(n log n)``: on the distinct rows in lexicographic
    order, a row is dominated exactly when an earlier one has a second value no larger."""
    rows, inverse = np.unique(Y, axis=0, return_inverse=True)
    best_before = np.concatenate([[np.inf], np.minimum.accumulate(rows[:, 1])[:-1]])
    out: NDArray[np.bool_] = (best_before > rows[:, 1])[inverse.reshape(-1)]
    return out


def _front(Y: FloatArray, reference: FloatArray) -> FloatArray:
    """The distinct Pareto points of ``Y`` strictly better than ``reference`` everywhere."""
    Y = Y[np.all(reference > Y, axis=1)]
    Y = np.unique(Y, axis=0)
    return Y[pareto_mask(Y)]


def _hv2(Y: FloatArray, r: FloatArray) -> float:
    """Two objectives, ``Y`` below ``r`` (dominated rows allowed): sweep in the first objective."""
    Y = Y[np.lexsort((Y[:, 1], Y[:, 0]))]
    right = np.append(Y[1:, 0], r[0])
    return float(np.sum((right - Y[:, 0]) * (r[1] - np.minimum.accumulate(Y[:, 1]))))


def _hv3(Y: FloatArray, r: FloatArray) -> float:
    """Three objectives: slices between consecutive third-objective levels.

    The 2-d front of the points below each slice is kept sorted (``xs`` ascending, ``ys``
    descending) and updated as each point arrives: a dominated arrival changes nothing, otherwise
    it replaces the contiguous run of front points it dominates.
    """
    Y = Y[np.argsort(Y[:, 2], kind="stable")]
    levels = np.append(Y[:, 2], r[2])
    xs, ys = np.zeros(0), np.zeros(0)
    area, total = 0.0, 0.0
    for i in range(Y.shape[0]):
        x, y = Y[i, 0], Y[i, 1]
        left = int(np.searchsorted(xs, x, side="right"))
        if not (left > 0 and ys[left - 1] <= y):
            start = int(np.searchsorted(xs, x, side="left"))
            stop = start + int(np.searchsorted(-ys[start:], -y, side="right"))
            xs = np.concatenate([xs[:start], [x], xs[stop:]])
            ys = np.concatenate([ys[:start], [y], ys[stop:]])
            area = float(np.sum((np.append(xs[1:], r[0]) - xs) * (r[1] - ys)))
        total += (levels[i + 1] - levels[i]) * area
    return float(total)


def _wfg(Y: FloatArray, r: FloatArray) -> float:
    """Any number of objectives, ``Y`` Pareto and below ``r``: sum of exclusive volumes (WFG)."""
    k = Y.shape[1]
    if Y.shape[0] == 0:
        return 0.0
    if k == 1:
        return float(r[0] - Y[:, 0].min())
    if k == 2:
        return _hv2(Y, r)
    if k == 3:
        return _hv3(Y, r)
    Y = Y[np.argsort(-Y[:, -1], kind="stable")]  # worst last objective first: small limited sets
    total = 0.0
    for i in range(Y.shape[0]):
        limited = np.maximum(Y[i + 1 :], Y[i])
        limited = limited[pareto_mask(limited)] if limited.shape[0] else limited
        total += float(np.prod(r - Y[i])) - _wfg(limited, r)
    return total


def _check(Y: FloatArray, reference: FloatArray) -> tuple[FloatArray, FloatArray]:
    Y = np.asarray(Y, dtype=float)
    r = np.asarray(reference, dtype=float).reshape(-1)
    if Y.ndim != 2 or Y.shape[1] != r.shape[0] or r.shape[0] == 0:
        raise ConfigError(
            f"hypervolume: expected Y: (n, k) and reference: (k,), got {Y.shape} and {r.shape}"
        )
    return Y, r


def hypervolume(Y: FloatArray, reference: FloatArray) -> float:
    """Volume of what some row of ``Y: (n, k)`` dominates and that dominates the reference point.

    Rows that are not strictly better than ``reference`` in every objective add nothing.

    Args:
        Y: ``(n, k)`` points, every objective minimized.
        reference: ``(k,)`` upper corner of the measured region.

    Example:
        >>> hypervolume(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), np.array([4.0, 4.0]))
        6.0
    """
    Y, r = _check(Y, reference)
    return float(_wfg(_front(Y, r), r))


def contributions(Y: FloatArray, reference: FloatArray) -> FloatArray:
    """Each row's exclusive hypervolume: what the set loses without that row; ``(n,)``.

    Example:
        >>> contributions(np.array([[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]), np.array([4.0, 4.0]))
        array([1., 1., 1.])
    """
    Y, r = _check(Y, reference)
    total = hypervolume(Y, r)
    return np.array([total - hypervolume(np.delete(Y, i, axis=0), r) for i in range(Y.shape[0])])


def _boxes2(Y: FloatArray, r: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """Two objectives (dominated rows allowed): the ``p + 1`` boxes between ``p`` Pareto points."""
    Y = Y[np.lexsort((Y[:, 1], Y[:, 0]))]
    step = np.minimum.accumulate(Y[:, 1])
    new = np.concatenate([[True], step[1:] < step[:-1]]) if Y.shape[0] else np.zeros(0, bool)
    x = np.concatenate([[-np.inf], Y[new, 0], [r[0]]])
    y = np.concatenate([[r[1]], Y[new, 1]])
    return [(np.array([x[i], -np.inf]), np.array([x[i + 1], y[i]])) for i in range(y.shape[0])]


def _boxes(Y: FloatArray, r: FloatArray) -> list[tuple[FloatArray, FloatArray]]:
    """Disjoint boxes ``(lower, upper)`` tiling ``{y <= r}`` minus the region ``Y`` dominates."""
    if r.shape[0] == 1:
        top = float(Y[:, 0].min()) if Y.shape[0] else float(r[0])
        return [(np.array([-np.inf]), np.array([top]))]
    if r.shape[0] == 2:
        return _boxes2(Y, r)
    Y = Y[np.argsort(Y[:, -1], kind="stable")]
    levels = np.unique(Y[:, -1])
    starts = np.concatenate([[-np.inf], levels])
    out: list[tuple[FloatArray, FloatArray]] = []
    opened: dict[bytes, tuple[FloatArray, FloatArray, float]] = {}
    for start in starts:
        below = Y[Y[:, -1] <= start, :-1]
        current = {lo.tobytes() + hi.tobytes(): (lo, hi) for lo, hi in _boxes(below, r[:-1])}
        for key in [key for key in opened if key not in current]:  # these end where this starts
            lo, hi, first = opened.pop(key)
            out.append((np.append(lo, first), np.append(hi, start)))
        for key, (lo, hi) in current.items():
            opened.setdefault(key, (lo, hi, float(start)))
    for lo, hi, first in opened.values():
        out.append((np.append(lo, first), np.append(hi, r[-1])))
    return [(lo, hi) for lo, hi in out if np.all(hi > lo)]


def nondominated_boxes(Y: FloatArray, reference: FloatArray) -> Boxes:
    """Disjoint boxes that tile the part of ``{y <= reference}`` no row of ``Y`` dominates.

    The hypervolume a new point ``y`` would add is then
    ``sum_i prod_j max(0, upper_ij - max(y_j, lower_ij))`` (``improvement``). Lower bounds are
    ``-inf`` where a box is open below.

    Args:
        Y: ``(n, k)`` points, every objective minimized (dominated rows are ignored).
        reference: ``(k,)`` upper corner.

    Returns:
        ``lower: (b, k)`` and ``upper: (b, k)``.

    Example:
        >>> lower, upper = nondominated_boxes(np.array([[1.0, 2.0], [2.0, 1.0]]), np.ones(2) * 3)
        >>> upper.tolist()
        [[1.0, 3.0], [2.0, 2.0], [3.0, 1.0]]
    """
    Y, r = _check(Y, reference)
    boxes = _boxes(_front(Y, r), r)
    lower = np.array([lo for lo, _ in boxes]).reshape(len(boxes), r.shape[0])
    upper = np.array([hi for _, hi in boxes]).reshape(len(boxes), r.shape[0])
    order = np.lexsort(upper.T[::-1])
    return lower[order], upper[order]


def improvement(points: FloatArray, boxes: Boxes) -> FloatArray:
    """Hypervolume each of ``points: (m, k)`` would add to the front that ``boxes`` describes.

    Example:
        >>> boxes = nondominated_boxes(np.array([[1.0, 2.0], [2.0, 1.0]]), np.array([3.0, 3.0]))
        >>> improvement(np.array([[1.0, 1.0], [2.5, 2.5]]), boxes).tolist()
        [1.0, 0.0]
    """
    lower, upper = boxes
    P = np.atleast_2d(np.asarray(points, dtype=float))
    sides = np.clip(upper[None] - np.maximum(P[:, None, :], lower[None]), 0.0, None)
    out: FloatArray = np.prod(sides, axis=2).sum(axis=1)
    return out


def reference_point(Y: FloatArray, *, scale: float = 0.1, spread: str = "front") -> FloatArray:
    """Default reference: the nadir of the Pareto rows of ``Y`` plus ``scale`` times a range.

    An objective whose range is zero (one point) is padded by ``scale * max(1, |nadir|)``
    instead, so every Pareto point counts.

    Args:
        Y: ``(n, k)`` points, every objective minimized; ``n >= 1``.
        scale: the padding as a fraction of the range.
        spread: ``"front"``: the range of the Pareto rows (BoTorch's rule, for reporting);
            ``"all"``: the range of all rows, a wider margin under which extending the front's
            ends still pays while the front is short (the acquisition's choice).

    Example:
        >>> Y = np.array([[0.0, 10.0], [10.0, 0.0], [20.0, 20.0]])
        >>> reference_point(Y).tolist(), reference_point(Y, spread="all").tolist()
        ([11.0, 11.0], [12.0, 12.0])
    """
    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2 or Y.shape[0] == 0:
        raise ConfigError(f"reference_point: expected Y: (n, k) with n >= 1, got shape {Y.shape}")
    if spread not in ("front", "all"):
        raise ConfigError(f"reference_point: expected spread 'front' or 'all', got {spread!r}")
    front = Y[pareto_mask(Y)]
    rows = front if spread == "front" else Y
    nadir, span = front.max(axis=0), rows.max(axis=0) - rows.min(axis=0)
    pad = np.where(span > 0, span, np.maximum(1.0, np.abs(nadir)))
    out: FloatArray = nadir + scale * pad
    return out
