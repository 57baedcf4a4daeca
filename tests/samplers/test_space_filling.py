"""Random and Sobol samplers: valid, seeded, and the Sobol sequence shared across trial numbers."""

from __future__ import annotations

import numpy as np
import pytest

from paramscope.errors import ConfigError
from paramscope.samplers import make_sampler
from paramscope.samplers.base import History
from paramscope.samplers.sobol import sobol_points
from paramscope.space import Choice, Float, Int, Space
from paramscope.trial import Trial, TrialState

SPACE = Space({"x": Float(-5, 10), "n": Int(1, 8), "k": Choice(["a", "b", "c"])})


def history(n_done: int, seed: int | None = 0) -> History:
    trials = tuple(
        Trial(
            number=i,
            params=SPACE.decode([0.5] * 3),
            state=TrialState.COMPLETE,
            values={"value": 1.0},
        )
        for i in range(n_done)
    )
    return History(space=SPACE, trials=trials, seed=seed)


@pytest.mark.parametrize("name", ["random", "sobol"])
def test_suggestions_are_valid_and_seeded(name: str) -> None:
    sampler = make_sampler(name)
    first = sampler.suggest(history(3), n=5)
    assert len(first) == 5
    for params in first:
        assert SPACE.validate(params) == params
    assert make_sampler(name).suggest(history(3), n=5) == first
    assert make_sampler(name).suggest(history(3, seed=1), n=5) != first


def test_sobol_trial_n_takes_point_n() -> None:
    whole = sobol_points(3, 0, 8, seed=0)
    assert np.allclose(sobol_points(3, 5, 3, seed=0), whole[5:8])
    suggested = make_sampler("sobol").suggest(history(5), n=1)[0]
    assert suggested == SPACE.decode(whole[5])


def test_unknown_sampler() -> None:
    with pytest.raises(
        ConfigError, match=r"sampler: expected one of \['bayes', 'random', 'sobol'\], got 'tpe'"
    ):
        make_sampler("tpe")
