"""Cost-aware bayes sampler: improvement per unit of a reported cost."""

from __future__ import annotations

import math

import pytest

import paramscope as ps
from paramscope.errors import ConfigError
from paramscope.samplers.base import History
from paramscope.samplers.bayes import BayesOptions, BayesSampler
from paramscope.trial import Trial

SPACE = ps.Space({"x": ps.Float(0.0, 1.0)})


def history() -> History:
    """A symmetric objective whose runs cost e^(6x): the right half is up to 400x dearer."""
    xs = [0.02, 0.13, 0.31, 0.44, 0.58, 0.69, 0.87, 0.98]
    done = tuple(
        Trial(
            number=i,
            params={"x": x},
            state="complete",
            values={"value": math.cos(6 * math.pi * x), "seconds": math.exp(6 * x)},
        )
        for i, x in enumerate(xs)
    )
    return History(SPACE, done, seed=0)


def test_cost_aware_suggestions_prefer_cheap_regions() -> None:
    plain = [BayesSampler().suggest(history(), n=4)]
    aware = [BayesSampler(BayesOptions(cost="seconds")).suggest(history(), n=4)]
    mean = lambda batches: sum(p["x"] for b in batches for p in b) / 4  # noqa: E731
    assert mean(aware) < mean(plain)
    assert mean(aware) < 0.5


def test_cost_option_from_a_study() -> None:
    study = ps.Study.create(
        "costly",
        SPACE,
        storage="sqlite://",
        seed=0,
        sampler_options={"cost": "seconds", "cost_weight": 0.5},
    )
    study.optimize(
        lambda p: {"value": (p["x"] - 0.7) ** 2, "seconds": 1 + 10 * p["x"]},
        budget=8,
        executor="inline",
    )
    assert len(study.trials) == 8 and all(t.values["seconds"] > 0 for t in study.trials)


def test_cost_weight_out_of_range_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"cost_weight must be in \[0, 1\]"):
        ps.Study.create(
            "bad",
            SPACE,
            storage="sqlite://",
            sampler_options={"cost": "seconds", "cost_weight": 2.0},
        )
