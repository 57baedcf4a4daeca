"""Storage throughput: trials per second with 4 worker processes on SQLite, paramscope vs Optuna.

A cheap objective isolates the bookkeeping cost (ask, write, tell, read history) that every trial
pays. Both libraries use random sampling, the same budget and the same number of processes; each
configuration is run several times and the median is reported.

    .venv/bin/python -m benchmarks.throughput [--trials 2000] [--workers 4] [--repeats 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

import optuna

import paramscope as ps
from benchmarks.results import markdown_table, median, write_section

SPACE = ps.Space({"x": ps.Float(-5.0, 5.0), "y": ps.Float(-5.0, 5.0)})


def cheap(params: dict[str, Any]) -> float:
    return float(params["x"] ** 2 + params["y"] ** 2)


def run_paramscope(folder: Path, trials: int, workers: int, seed: int) -> float:
    return run_paramscope_at(f"sqlite:///{folder}/paramscope.db", trials, workers, seed)


def run_paramscope_at(
    url: str, trials: int, workers: int, seed: int, executor: Any = "processes"
) -> float:
    """Seconds for ``trials`` random-sampled trials of ``cheap`` on a new study at ``url``."""
    study = ps.Study.create("bench", SPACE, storage=url, sampler="random", seed=seed)
    start = time.perf_counter()
    study.optimize(cheap, budget=trials, workers=workers, executor=executor)
    elapsed = time.perf_counter() - start
    assert study.counts()[ps.TrialState.COMPLETE] == trials
    study.close()
    return elapsed


def _optuna_objective(trial: optuna.Trial) -> float:
    return cheap({"x": trial.suggest_float("x", -5, 5), "y": trial.suggest_float("y", -5, 5)})


def _optuna_worker(url: str, n_trials: int, seed: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sqlite = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    storage = optuna.storages.RDBStorage(url, engine_kwargs=sqlite)
    study = optuna.load_study(
        study_name="bench", storage=storage, sampler=optuna.samplers.RandomSampler(seed=seed)
    )
    study.optimize(_optuna_objective, n_trials=n_trials)


def run_optuna(folder: Path, trials: int, workers: int, seed: int) -> float:
    return run_optuna_at(f"sqlite:///{folder}/optuna.db", trials, workers, seed)


def run_optuna_at(url: str, trials: int, workers: int, seed: int) -> float:
    """Seconds for ``trials`` random-sampled trials in ``workers`` forked Optuna processes."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(study_name="bench", storage=url)
    share = [trials // workers + (i < trials % workers) for i in range(workers)]
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=_optuna_worker, args=(url, n, seed * 100 + i))
        for i, n in enumerate(share)
    ]
    start = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    done = optuna.load_study(study_name="bench", storage=url).get_trials(
        states=(optuna.trial.TrialState.COMPLETE,)
    )
    assert len(done) == trials, len(done)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runners = {
        "paramscope (random, SQLite)": run_paramscope,
        "Optuna RDBStorage (random, SQLite)": run_optuna,
    }
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    for repeat in range(args.repeats):
        for name, runner in runners.items():
            with tempfile.TemporaryDirectory() as folder:
                elapsed = runner(Path(folder), args.trials, args.workers, repeat)
            seconds[name].append(elapsed)
            print(f"{name}: run {repeat}: {args.trials / elapsed:.1f} trials/s")
    optuna_rate = args.trials / median(seconds["Optuna RDBStorage (random, SQLite)"])
    rows = []
    for name, times in seconds.items():
        rate = args.trials / median(times)
        each = ", ".join(f"{args.trials / t:.0f}" for t in times)
        rows.append(
            [name, f"{median(times):.1f}", f"{rate:.1f}", each, f"{rate / optuna_rate:.2f}×"]
        )
    body = (
        f"{args.trials} trials of a cheap objective, {args.workers} worker processes, one SQLite "
        f"file, median of {args.repeats} runs.\n\n"
        + markdown_table(["storage", "seconds (median)", "trials/s", "each run", "vs Optuna"], rows)
    )
    command = (
        f"python -m benchmarks.throughput --trials {args.trials} "
        f"--workers {args.workers} --repeats {args.repeats}"
    )
    write_section("Storage throughput", command, body)
    print(body)


if __name__ == "__main__":
    main()
