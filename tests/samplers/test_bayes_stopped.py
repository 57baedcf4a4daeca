"""Early-stopped trials inform the bayes sampler (their last report) but are never incumbents."""

from __future__ import annotations

from paramscope.models import FeatureMap
from paramscope.samplers.base import History
from paramscope.samplers.bayes import BayesSampler, _collect
from paramscope.space import Float, Space
from paramscope.trial import Trial

SPACE = Space({"x": Float(0.0, 1.0)})


def trials() -> tuple[Trial, ...]:
    done = [
        Trial(number=i, params={"x": x}, state="complete", values={"value": (x - 0.3) ** 2})
        for i, x in enumerate([0.05, 0.2, 0.35, 0.5])
    ]
    # Stopped early at a low value: better-looking than any complete trial, but unfinished.
    stopped = [
        Trial(
            number=4 + i,
            params={"x": x},
            state="stopped",
            values={"value": -1.0},
            reports={1: -1.0},
        )
        for i, x in enumerate([0.8, 0.9])
    ]
    failed = [Trial(number=6, params={"x": 0.6}, state="failed", error="boom")]
    return (*done, *stopped, *failed)


def test_stopped_trials_train_the_model_but_are_not_feasible_incumbents() -> None:
    history = History(SPACE, trials(), seed=0)
    data = _collect(history, FeatureMap.from_space(SPACE))
    assert data.X.shape == (6, 1)  # four complete + two stopped; the failed one is left out
    assert data.feasible.tolist() == [True] * 4 + [False] * 2
    assert len(data.seen) == 7


def test_a_history_with_stopped_trials_still_gets_new_points() -> None:
    history = History(SPACE, trials(), seed=0)
    batch = BayesSampler().suggest(history, n=2)
    tried = {t.params["x"] for t in trials()}
    assert len(batch) == 2 and not {p["x"] for p in batch} & tried
