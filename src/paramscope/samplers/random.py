"""Random sampler: independent uniform points in the unit cube, decoded through the space."""

from __future__ import annotations

import numpy as np

from paramscope.samplers.base import History
from paramscope.space import Params


def trial_rng(seed: int | None, number: int) -> np.random.Generator:
    """A generator that depends only on (seed, trial number), so seeded runs repeat exactly."""
    if seed is None:
        return np.random.default_rng()
    return np.random.default_rng([seed, number])


class RandomSampler:
    """Uniform random search over the space (each level of a discrete parameter equally likely).

    Example:
        >>> from paramscope.space import Space, Float
        >>> s = RandomSampler().suggest(History(Space({"x": Float(0, 1)}), seed=0), n=2)
        >>> len(s)
        2
    """

    def suggest(self, history: History, n: int = 1) -> list[Params]:
        rng = trial_rng(history.seed, history.next_number)
        return [history.space.decode(u) for u in rng.random((n, history.space.dim))]
