"""Sobol sampler: a scrambled low-discrepancy sequence, trial n taking the sequence's n-th point."""

from __future__ import annotations

import warnings

from scipy.stats import qmc

from paramscope.samplers.base import History
from paramscope.space import FloatArray, Params


def sobol_points(dim: int, start: int, n: int, seed: int | None) -> FloatArray:
    """Points ``start .. start+n-1`` of one scrambled Sobol sequence: ``(n, dim)`` in the unit cube.

    Example:
        >>> sobol_points(2, 0, 4, seed=0).shape
        (4, 2)
    """
    engine = qmc.Sobol(d=dim, scramble=True, seed=seed)
    if start:
        engine.fast_forward(start)
    with warnings.catch_warnings():
        # Balance properties need powers of two; a study's trial count rarely is one.
        warnings.simplefilter("ignore", UserWarning)
        points: FloatArray = engine.random(n)
    return points


class SobolSampler:
    """Quasi-random space filling; the trial number indexes the sequence, so workers share it.

    Example:
        >>> from paramscope.space import Space, Float
        >>> SobolSampler().suggest(History(Space({"x": Float(0, 1)}), seed=0))[0]["x"] < 1
        True
    """

    def suggest(self, history: History, n: int = 1) -> list[Params]:
        points = sobol_points(history.space.dim, history.next_number, n, history.seed)
        return [history.space.decode(u) for u in points]
