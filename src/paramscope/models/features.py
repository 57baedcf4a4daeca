"""Feature map: from a unit-cube point of the space to the inputs a surrogate's kernel sees.

The unit cube (``space.py``) is right for sampling but wrong for a kernel: a ``Choice`` owns
equal-width cells, so its coordinate would impose an order on unordered options. This map keeps
continuous and grid coordinates (``Float``, ``Int``, stepped ``Float``) as they are and turns each
``Choice`` into a one-hot block, scaled by ``1/sqrt(2)`` so that two different options are at
squared distance exactly one (an exchangeable, Hamming-type kernel with its own lengthscale). It
also knows each parameter's grid, which the acquisition optimizer needs to snap, walk, deduplicate.
"""

# ruff: noqa: N803, N806  (matrix names X, K, L follow the maths and scikit-learn)

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from paramscope.space import Choice, Float, FloatArray, Int, Space

IntArray = NDArray[np.int64]
ParamKey = tuple[float | int, ...]

_ONE_HOT_SCALE = 1.0 / math.sqrt(2.0)


def _grid_levels(param: Float | Int | Choice) -> int:
    """Number of levels of a discrete parameter, 0 for a continuous ``Float``."""
    levels = param.levels
    return 0 if levels is None else int(levels)


def _as_int(values: list[int]) -> IntArray:
    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class FeatureMap:
    """Kernel inputs and grids of one space, derived once from its parameters' kinds.

    Attributes:
        space: the space whose unit cube is mapped.
        levels: ``(d,)`` number of levels per parameter (0 for a continuous ``Float``).
        ordered_dims: ``(c,)`` unit-cube dims fed to the kernel as they are (floats and grids);
            these are the dims the acquisition optimizer moves by gradient.
        grid_dims: ``(g,)`` dims of ``Int`` and stepped ``Float`` (ordered, discrete).
        choice_dims: ``(k,)`` dims of ``Choice`` parameters.
        groups: ``(p,)`` index of the parameter (and lengthscale) that owns each feature column.
        col_scale: ``(p,)`` constant scale of each feature column.

    Example:
        >>> from paramscope.space import Space, Float, Choice
        >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "c": Choice(["a", "b", "c"])}))
        >>> fmap.transform(np.array([[0.25, 0.5]])).round(3).tolist()
        [[0.25, 0.0, 0.707, 0.0]]
    """

    space: Space
    levels: IntArray
    ordered_dims: IntArray
    grid_dims: IntArray
    choice_dims: IntArray
    groups: IntArray
    col_scale: FloatArray

    @classmethod
    def from_space(cls, space: Space) -> FeatureMap:
        """Build the map of ``space``.

        Example:
            >>> FeatureMap.from_space(Space({"x": Float(0, 1), "c": Choice([1, 2, 3])})).groups
            array([0, 1, 1, 1])
        """
        params = [p for _, p in space.items]
        levels = np.array([_grid_levels(p) for p in params], dtype=np.int64)
        kinds = [p.kind for p in params]
        ordered = [j for j, k in enumerate(kinds) if k != "choice"]
        grids = [j for j in ordered if levels[j] > 0]
        choices = [j for j, k in enumerate(kinds) if k == "choice"]
        groups = list(ordered) + [j for j in choices for _ in range(int(levels[j]))]
        scale = [1.0] * len(ordered) + [_ONE_HOT_SCALE] * (len(groups) - len(ordered))
        return cls(
            space=space,
            levels=levels,
            ordered_dims=_as_int(ordered),
            grid_dims=_as_int(grids),
            choice_dims=_as_int(choices),
            groups=_as_int(groups),
            col_scale=np.asarray(scale, dtype=float),
        )

    @property
    def dim(self) -> int:
        """Number of unit-cube dims (parameters)."""
        return int(self.levels.shape[0])

    @property
    def float_dims(self) -> IntArray:
        """``(f,)`` dims of continuous ``Float`` parameters (ordered dims that are not grids)."""
        return np.setdiff1d(self.ordered_dims, self.grid_dims)

    @property
    def discrete_dims(self) -> IntArray:
        """``(g + k,)`` dims of grid and choice parameters (walked by local search)."""
        return np.sort(np.concatenate([self.grid_dims, self.choice_dims]))

    @property
    def n_features(self) -> int:
        """Number of kernel input columns ``p``."""
        return int(self.groups.shape[0])

    def level_index(self, u: FloatArray, j: int) -> IntArray:
        """Level index each coordinate ``u: (m,)`` of discrete dim ``j`` decodes to (``(m,)``).

        Example:
            >>> fmap = FeatureMap.from_space(Space({"k": Int(1, 4)}))
            >>> fmap.level_index(np.array([0.1, 0.3, 0.99]), 0).tolist()
            [0, 1, 3]
        """
        param = self.space.items[j][1]
        n_levels = int(self.levels[j])
        if isinstance(param, Int) and param.log:
            lo, hi = math.log(param.low - 0.5), math.log(param.high + 0.5)
            value = np.rint(np.exp(lo + np.clip(u, 0.0, 1.0) * (hi - lo)))
            return np.clip(value, param.low, param.high).astype(np.int64) - param.low
        return np.clip(np.floor(u * n_levels), 0, n_levels - 1).astype(np.int64)

    def level_position(self, index: IntArray, j: int) -> FloatArray:
        """Unit-cube coordinate of level ``index: (m,)`` of discrete dim ``j`` (its encoding).

        Example:
            >>> fmap = FeatureMap.from_space(Space({"k": Int(1, 4)}))
            >>> fmap.level_position(np.array([0, 3]), 0).tolist()
            [0.125, 0.875]
        """
        param = self.space.items[j][1]
        if isinstance(param, Int) and param.log:
            lo, hi = math.log(param.low - 0.5), math.log(param.high + 0.5)
            out: FloatArray = (np.log(param.low + index.astype(float)) - lo) / (hi - lo)
            return out
        return (index.astype(float) + 0.5) / float(self.levels[j])

    def snap(self, U: FloatArray) -> FloatArray:
        """Move every discrete coordinate of ``U: (m, d)`` to the encoding of its level.

        Example:
            >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "k": Int(1, 4)}))
            >>> fmap.snap(np.array([[0.3, 0.3]])).tolist()
            [[0.3, 0.375]]
        """
        out: FloatArray = np.clip(np.array(U, dtype=float), 0.0, 1.0)
        for j in self.discrete_dims:
            out[:, j] = self.level_position(self.level_index(out[:, j], int(j)), int(j))
        return out

    def transform(self, U: FloatArray) -> FloatArray:
        """Kernel inputs ``F: (m, p)`` of unit-cube points ``U: (m, d)``.

        Example:
            >>> fmap = FeatureMap.from_space(Space({"c": Choice(["a", "b"])}))
            >>> fmap.transform(np.array([[0.9]])).round(3).tolist()
            [[0.0, 0.707]]
        """
        m = U.shape[0]
        F = np.zeros((m, self.n_features))
        n_ordered = self.ordered_dims.shape[0]
        F[:, :n_ordered] = U[:, self.ordered_dims]
        col = n_ordered
        rows = np.arange(m)
        for j in self.choice_dims:
            F[rows, col + self.level_index(U[:, j], int(j))] = _ONE_HOT_SCALE
            col += int(self.levels[j])
        return F

    def neighbors(self, u: FloatArray) -> FloatArray:
        """Points ``(k, d)`` one step from ``u: (d,)``: each grid level +-1, each other option.

        Example:
            >>> fmap = FeatureMap.from_space(Space({"k": Int(1, 4)}))
            >>> [fmap.space.decode(v)["k"] for v in fmap.neighbors(np.array([0.375]))]
            [1, 3]
        """
        out: list[FloatArray] = []
        for j in self.grid_dims:
            idx = int(self.level_index(u[j : j + 1], int(j))[0])
            for step in (-1, 1):
                if 0 <= idx + step < int(self.levels[j]):
                    v = u.copy()
                    v[j] = self.level_position(np.array([idx + step]), int(j))[0]
                    out.append(v)
        for j in self.choice_dims:
            idx = int(self.level_index(u[j : j + 1], int(j))[0])
            for other in range(int(self.levels[j])):
                if other != idx:
                    v = u.copy()
                    v[j] = self.level_position(np.array([other]), int(j))[0]
                    out.append(v)
        return np.array(out).reshape(len(out), self.dim)

    def key(self, u: FloatArray) -> ParamKey:
        """Identity of the parameters ``u: (d,)`` decodes to; equal keys mean equal params.

        Example:
            >>> fmap = FeatureMap.from_space(Space({"k": Int(1, 4), "c": Choice(["a", "b"])}))
            >>> fmap.key(np.array([0.3, 0.9]))
            (2, 1)
        """
        return self.params_key(self.space.decode(u))

    def params_key(self, params: Mapping[str, Any]) -> ParamKey:
        """Identity of a parameter dict (choices by index, floats to 12 significant digits).

        Example:
            >>> fmap = FeatureMap.from_space(Space({"x": Float(0, 1), "c": Choice(["a", "b"])}))
            >>> fmap.params_key({"x": 0.1 + 0.2, "c": "b"})
            (0.3, 1)
        """
        out: list[float | int] = []
        for name, param in self.space.items:
            value = params[name]
            if isinstance(param, Choice):
                out.append(param.index(value))
            elif isinstance(param, Int):
                out.append(int(value))
            else:
                out.append(float(f"{float(value):.12g}"))
        return tuple(out)
