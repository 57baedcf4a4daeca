"""Cost model for the bayes sampler: a GP over the log of a cost the objective reports.

An objective that returns a cost metric (``{"loss": 0.3, "cost": 41.0}``: seconds, GPU-hours) lets
the sampler prefer runs that buy more improvement per unit cost (``sampler_options={"cost":
"cost"}``). Complete and stopped trials with a finite, positive cost train the model; its log
makes multiplicative differences additive and keeps predictions positive.
"""

# ruff: noqa: N806  (matrix names X follow the maths)

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from paramscope.models import GaussianProcess
from paramscope.samplers.base import History
from paramscope.space import FloatArray
from paramscope.trial import TrialState

Fit = Callable[[str, FloatArray, FloatArray], GaussianProcess]


def fit_cost_model(history: History, metric: str, fit: Fit) -> GaussianProcess | None:
    """A GP on standardized ``log(cost)``, or None with fewer than two costed trials.

    Example:
        >>> from paramscope.space import Space, Float
        >>> from paramscope.models import FeatureMap
        >>> from paramscope.trial import Trial
        >>> space = Space({"x": Float(0, 1)})
        >>> done = tuple(Trial(number=i, params={"x": i / 4}, state="complete",
        ...                    values={"value": 0.0, "cost": 1.0 + 9 * i / 4}) for i in range(5))
        >>> def fit(role, X, y):
        ...     return GaussianProcess(FeatureMap.from_space(space)).fit(X, y)
        >>> gp = fit_cost_model(History(space, done), "cost", fit)
        >>> bool(gp.predict(np.array([[0.0]]))[0][0] < gp.predict(np.array([[1.0]]))[0][0])
        True
    """
    X, y = [], []
    for t in history.trials:
        cost = t.values.get(metric)
        if t.state not in (TrialState.COMPLETE, TrialState.STOPPED) or cost is None:
            continue
        if not (math.isfinite(cost) and cost > 0):
            continue
        try:
            X.append(history.space.encode(t.params))
        except (KeyError, ValueError, TypeError):
            continue
        y.append(math.log(cost))
    if len(y) < 2:
        return None
    log_cost = np.array(y)
    # Centred, not scaled or warped: the acquisition subtracts E[log cost] in natural-log units.
    return fit("cost", np.array(X), log_cost - log_cost.mean())
