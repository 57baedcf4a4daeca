"""Sampler overhead: seconds per suggestion of paramscope's ``bayes`` vs Optuna's GPSampler (10 d).

For each history size ``n`` both samplers get the same ``n`` completed trials (uniform random
points of a 10-d Ackley function), make one warm-up suggestion (both keep state from the previous
trial: fitted kernel parameters), then ``--steps`` timed ask/tell rounds. Reported: mean seconds of
a sampler call at each size. paramscope's full multi-start refit (every time the data grow by
``refit_growth``) is reported separately as ``cold`` (a fresh sampler on the same history).

Run: ``.venv/bin/python benchmarks/bayes_overhead.py [--sizes 100 300 500] [--steps 5]``
(Optuna's GPSampler needs ``torch``; without it only paramscope is timed.)
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from paramscope.samplers.base import History
from paramscope.samplers.bayes import BayesSampler
from paramscope.space import Float, Space
from paramscope.trial import Trial, TrialState

DIM = 10


def ackley(u: np.ndarray) -> float:
    """Ackley on ``[-2, 2]^d`` from a unit-cube point."""
    x = 4.0 * np.asarray(u) - 2.0
    a = -20.0 * math.exp(-0.2 * math.sqrt(float(np.mean(x**2))))
    return a - math.exp(float(np.mean(np.cos(2 * math.pi * x)))) + 20.0 + math.e


def paramscope_times(points: np.ndarray, steps: int) -> tuple[float, float]:
    """(cold seconds, mean warm seconds) of ``BayesSampler.suggest`` after ``points``."""
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(DIM)})

    def trial(i: int, params: dict[str, float]) -> Trial:
        u = space.encode(params)
        return Trial(
            number=i, params=params, state=TrialState.COMPLETE, values={"value": ackley(u)}
        )

    trials = [trial(i, space.decode(u)) for i, u in enumerate(points)]
    sampler = BayesSampler()
    t0 = time.perf_counter()
    params = sampler.suggest(History(space, tuple(trials), seed=0))[0]
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(steps):
        trials.append(trial(len(trials), params))
        t0 = time.perf_counter()
        params = sampler.suggest(History(space, tuple(trials), seed=0))[0]
        warm.append(time.perf_counter() - t0)
    return cold, float(np.mean(warm))


def optuna_time(points: np.ndarray, steps: int) -> float:
    """Mean seconds of Optuna GPSampler's ask (relative sampling) after ``points``."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(DIM)}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    for u in points:
        params = {f"x{i}": float(v) for i, v in enumerate(u)}
        study.add_trial(
            optuna.trial.create_trial(params=params, distributions=dists, value=ackley(u))
        )

    def step() -> float:
        t0 = time.perf_counter()
        trial = study.ask(dists)
        elapsed = time.perf_counter() - t0
        u = np.array([trial.params[f"x{i}"] for i in range(DIM)])
        study.tell(trial, ackley(u))
        return elapsed

    step()  # warm-up: Optuna caches the kernel parameters of the previous trial
    return float(np.mean([step() for _ in range(steps)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 500])
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    peer: Callable[[np.ndarray, int], float] | None = optuna_time
    try:
        import optuna.samplers._gp.sampler  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        peer = None
    print("| trials (10 d) | paramscope s/trial | paramscope cold s | Optuna GPSampler s/trial |")
    print("|---:|---:|---:|---:|")
    for n in args.sizes:
        points = np.random.default_rng(n).random((n, DIM))
        cold, warm = paramscope_times(points, args.steps)
        other = f"{peer(points, args.steps):.3f}" if peer is not None else "n/a (no torch)"
        print(f"| {n} | {warm:.3f} | {cold:.3f} | {other} |", flush=True)


if __name__ == "__main__":
    main()
