"""Sampler overhead: seconds per suggestion of paramscope's ``bayes`` vs Optuna's GPSampler (10 d).

For each history size ``n`` both samplers get the same ``n`` completed trials (uniform random
points of a 10-d Ackley function), make one warm-up suggestion (both keep state from the previous
trial: fitted kernel parameters), then ``--steps`` timed ask/tell rounds. Reported: mean seconds of
a sampler call at each size. paramscope's full multi-start refit (every time the data grow by
``refit_growth``) is reported separately as ``cold`` (a fresh sampler on the same history).

``--run N`` instead drives each sampler through whole N-trial studies of the same function
(``--seeds`` of them, median reported: one study's figure moves by a fifth with where its refits
fall) and reports the mean seconds per sampler call over the 20 trials before 100, 300, 500 (so
the full refits, warm starts and a real, clustered history are all in the figure), twice: with the
defaults (noise inferred; paramscope switches to noisy EI when the fitted noise is large) and
with both samplers told the objective is deterministic, the setting of the quality benchmark.

Run: ``.venv/bin/python -m benchmarks.bayes_overhead [--sizes 100 300 500] [--steps 5]``, or
``.venv/bin/python -m benchmarks.bayes_overhead --run 500 --seeds 3``
(Optuna's GPSampler needs ``torch``; without it only paramscope is timed.)
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np

from benchmarks.results import markdown_table, write_section
from paramscope.samplers.base import History
from paramscope.samplers.bayes import BayesOptions, BayesSampler
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


def paramscope_run(n: int, deterministic: bool = False, seed: int = 0) -> list[float]:
    """Seconds of each ``suggest`` call in one sequential ``n``-trial study."""
    space = Space({f"x{i}": Float(0.0, 1.0) for i in range(DIM)})
    sampler = BayesSampler(BayesOptions(deterministic=deterministic))
    trials: list[Trial] = []
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        params = sampler.suggest(History(space, tuple(trials), seed=seed))[0]
        times.append(time.perf_counter() - t0)
        value = ackley(space.encode(params))
        trials.append(
            Trial(number=i, params=params, state=TrialState.COMPLETE, values={"value": value})
        )
    return times


def optuna_run(n: int, deterministic: bool = False, seed: int = 0) -> list[float]:
    """Seconds of each GPSampler ``ask`` in one sequential ``n``-trial study."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": optuna.distributions.FloatDistribution(0.0, 1.0) for i in range(DIM)}
    sampler = optuna.samplers.GPSampler(seed=seed, deterministic_objective=deterministic)
    study = optuna.create_study(sampler=sampler)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        trial = study.ask(dists)
        times.append(time.perf_counter() - t0)
        study.tell(trial, ackley(np.array([trial.params[f"x{i}"] for i in range(DIM)])))
    return times


def _window_means(times: list[float], ends: list[int]) -> list[float]:
    """Mean seconds of the 20 calls before each checkpoint."""
    return [float(np.mean(times[end - 20 : end])) for end in ends]


def run_table(n: int, with_peer: bool, seeds: int) -> None:
    """Mean seconds per call over the 20 trials before each checkpoint of a whole study, with the
    defaults and told deterministic, median over ``seeds`` studies; the table is printed and
    written to RESULTS.md."""
    ends = [c for c in (100, 300, 500, 1000) if c <= n]
    settings = ((False, "noise inferred"), (True, "deterministic"))
    rows, totals, done, todo = [], [], 0, len(settings) * seeds * (2 if with_peer else 1)
    for deterministic, setting in settings:
        ours, other, our_totals, other_totals = [], [], [], []
        for seed in range(seeds):  # alternate the samplers so machine noise hits both alike
            times = paramscope_run(n, deterministic, seed)
            ours.append(_window_means(times, ends))
            our_totals.append(sum(times))
            done += 1
            print(f"[{done}/{todo}] paramscope, {setting}, seed {seed}: {sum(times):.1f} s")
            if with_peer:
                times = optuna_run(n, deterministic, seed)
                other.append(_window_means(times, ends))
                other_totals.append(sum(times))
                done += 1
                print(f"[{done}/{todo}] GPSampler, {setting}, seed {seed}: {sum(times):.1f} s")
        mine = np.median(np.array(ours), axis=0)
        theirs = np.median(np.array(other), axis=0) if with_peer else np.full(len(ends), math.nan)
        ratios = np.array(ours) / np.array(other) if with_peer else np.full((1, len(ends)), np.nan)
        for k, end in enumerate(ends):
            peer = f"{theirs[k]:.3f}" if with_peer else "n/a (no torch)"
            spread = f"{ratios[:, k].min():.2f}-{ratios[:, k].max():.2f}"
            ratio = f"{mine[k] / theirs[k]:.2f}"
            rows.append([end, setting, f"{mine[k]:.3f}", peer, ratio, spread])
        totals.append(
            f"{setting}: paramscope {np.median(our_totals):.1f} s"
            + (f", Optuna GPSampler {np.median(other_totals):.1f} s" if with_peer else "")
        )
    header = [
        "trials (10 d)",
        "setting",
        "paramscope s/trial",
        "Optuna GPSampler s/trial",
        "ratio",
        "ratio per seed",
    ]
    body = (
        "Seconds per sampler call (mean over the 20 calls before each checkpoint) in a "
        f"sequential {n}-trial study of 10-d Ackley, median over {seeds} seeded studies per "
        "sampler (the ratio column divides the medians; the last column is the range of the "
        "per-seed ratios). With each sampler's defaults (noise inferred) and with both told the "
        "objective is deterministic (paramscope's `deterministic`, GPSampler's "
        "`deterministic_objective`), as in the quality table. With noise inferred, paramscope's "
        "GP fits some noise to Ackley's ripples and uses noisy EI, whose 16 posterior draws cost "
        "more per call and more optimizer iterations.\n\n"
        f"{markdown_table(header, rows)}\n\nMedian total sampler time per study: "
        f"{'; '.join(totals)}."
    )
    print(body)
    command = f"python -m benchmarks.bayes_overhead --run {n} --seeds {seeds}"
    write_section("Bayesian optimization overhead", command, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 500])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--run", type=int, default=0, help="time whole studies of N trials")
    parser.add_argument("--seeds", type=int, default=3, help="studies per sampler with --run")
    args = parser.parse_args()
    peer: Callable[[np.ndarray, int], float] | None = optuna_time
    try:
        import optuna.samplers._gp.sampler  # noqa: F401
        import torch  # noqa: F401
    except ImportError:
        peer = None
    if args.run:
        run_table(args.run, peer is not None, args.seeds)
        return
    print("| trials (10 d) | paramscope s/trial | paramscope cold s | Optuna GPSampler s/trial |")
    print("|---:|---:|---:|---:|")
    for n in args.sizes:
        points = np.random.default_rng(n).random((n, DIM))
        cold, warm = paramscope_times(points, args.steps)
        other = f"{peer(points, args.steps):.3f}" if peer is not None else "n/a (no torch)"
        print(f"| {n} | {warm:.3f} | {cold:.3f} | {other} |", flush=True)


if __name__ == "__main__":
    main()
