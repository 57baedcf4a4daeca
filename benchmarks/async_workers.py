"""Asynchronous workers: regret of 4 simulated asynchronous workers vs 1 at equal completed trials.

Four workers are simulated deterministically with the ask/tell API on in-memory storage: four
trials are kept running (asked, not told), each with a duration drawn from a seeded exponential
distribution; the one that finishes first is told and a new one asked, so every ask after the
first four sees exactly 3 pending trials — what real asynchronous workers see. The run asks
exactly 20·d trials and ends by telling the last ones, so 1 and 4 workers are compared at the
same number of completed trials (and objective calls). The same event loop with one worker is
the plain sequential ask/tell loop. Durations depend only on the seed, not the method.

Methods: paramscope (kriging believer over the pending trials), Optuna TPE with
``constant_liar=True`` and Optuna's GPSampler (which conditions on running trials itself), all
through ``benchmarks.bayes.make_loop``. Results stream to ``benchmarks/out/async-runs.jsonl``
(resumable); the report writes the "Asynchronous workers" section of RESULTS.md.

    .venv/bin/python -m benchmarks.async_workers run [--seeds 20] [--jobs 2] [--problems ...]
    .venv/bin/python -m benchmarks.async_workers report
"""

from __future__ import annotations

import argparse
import heapq
import math
from typing import Any

import numpy as np

from benchmarks.bayes import (
    BIMODAL,
    OUT,
    REGRET_FLOOR,
    fingerprint_note,
    make_loop,
    publish,
    run_missing,
    runnable_methods,
)
from benchmarks.results import (
    load_runs,
    markdown_table,
    median,
    restore_peer_runs,
    sync_peer_runs,
)
from paramscope.problems import optimization_problems

RUNS = OUT / "async-runs.jsonl"
METHODS = ("paramscope", "optuna-tpe", "optuna-gp")
WORKERS = (1, 4)
PROBLEMS = ("branin", "hartmann6", "ackley5", "rosenbrock4", "levy6", "mixed")
# paramscope's problems with the largest 4-worker gaps at 20 seeds: 60 seeds tell them from noise
LONG_RUN = ("ackley5", "rosenbrock4", "levy6")
TOLERANCE = 0.10  # issue 3: 4 workers' regret within 10% of one worker's


def run_one(method: str, problem_name: str, seed: int, workers: int) -> dict[str, Any]:
    """One simulated run with ``workers`` asynchronous workers and a budget of 20·d trials."""
    problem = optimization_problems()[problem_name]
    budget = 20 * problem.dim
    noisy = problem.noisy_fn(np.random.default_rng([seed, 12345]))
    durations = np.random.default_rng([seed, 4242]).exponential(1.0, size=budget)
    ask, tell = make_loop(method, problem, seed)
    running: list[tuple[float, int, Any, dict[str, Any]]] = []  # (finish time, ask index, ...)
    asked, now, best, curve, pending_at_ask = 0, 0.0, math.inf, [], []
    while asked < budget or running:
        while asked < budget and len(running) < workers:
            pending_at_ask.append(len(running))
            handle, params = ask()
            heapq.heappush(running, (now + durations[asked], asked, handle, params))
            asked += 1
        now, _, handle, params = heapq.heappop(running)
        tell(handle, noisy(params))
        best = min(best, problem.fn(params))
        curve.append(best)
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "workers": workers,
        "budget": budget,
        "curve": curve,
        "pending_at_ask": pending_at_ask,
        "log10_regret": math.log10(max(problem.regret(best), REGRET_FLOOR)),
    }


def _job(args: tuple[str, str, int, int, str]) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    method, problem, seed, workers, fingerprint = args
    with threadpool_limits(1):  # one BLAS thread per process: 2 shared cores, --jobs 2
        if method == "optuna-gp":
            import torch

            torch.set_num_threads(1)
        row = run_one(method, problem, seed, workers)
    return {**row, "sampler": fingerprint}


def _progress(row: dict[str, Any]) -> str:
    """One finished run, for the progress line."""
    return (
        f"{row['method']:<11} {row['problem']:<12} seed {row['seed']} "
        f"{row['workers']} worker(s): log10 regret {row['log10_regret']:.2f}"
    )


def command_run(args: argparse.Namespace) -> None:
    restore_peer_runs(RUNS)
    done = {(r["method"], r["problem"], r["seed"], r["workers"]) for r in load_runs(RUNS)}
    methods = runnable_methods(args.methods)
    wanted = [
        (m, p, s, w)
        for s in range(args.seeds)
        for p in args.problems
        for m in methods
        for w in WORKERS
    ]
    run_missing(RUNS, wanted, done, _job, _progress, args.jobs)


def gap(log10_one: float, log10_four: float) -> float:
    """Relative gap on the regret itself: 10**(m4 - m1) - 1 for median log10 regrets m1, m4.

    With an odd number of seeds this is median regret(4) / median regret(1) - 1; > 0 means
    4 workers are worse. Example: medians -2.00 and -1.96 give +9.6%.
    """
    return float(10 ** (log10_four - log10_one) - 1)


def gap_interval(
    one: list[float], four: list[float], *, level: float = 0.9, draws: int = 4000
) -> tuple[float, float]:
    """Bootstrap ``level`` interval of ``gap`` for log10 regrets over the same seeds, in order.

    Seeds are resampled in pairs: seed s with 1 and with 4 workers shares its initial design and
    noise, so the pair is the unit. The interval shows whether a +10% bar can be told apart from
    seed noise at all (at 20 seeds it usually cannot: a median's error is ~0.1 in log10).

    Example:
        >>> low, high = gap_interval([0.0, 0.1, 0.2, 0.3], [0.1, 0.2, 0.3, 0.4])
        >>> bool(low <= gap(0.15, 0.25) <= high)
        True
    """
    rng = np.random.default_rng(0)  # fixed: the report is reproducible
    a, b = np.asarray(one, dtype=float), np.asarray(four, dtype=float)
    pick = rng.integers(0, a.size, size=(draws, a.size))
    gaps = 10 ** (np.median(b[pick], axis=1) - np.median(a[pick], axis=1)) - 1
    low, high = np.percentile(gaps, [50 * (1 - level), 50 * (1 + level)])
    return float(low), float(high)


def _values(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int], list[float]]:
    """(problem, method, workers) -> final log10 regrets over seeds, in seed order."""
    out: dict[tuple[str, str, int], list[float]] = {}
    for r in sorted(rows, key=lambda r: r["seed"]):
        out.setdefault((r["problem"], r["method"], r["workers"]), []).append(r["log10_regret"])
    return out


def trials_to_match(curve_one: list[float], final_four: float) -> int | None:
    """First trial count at which one worker's median log10 curve is at or below ``final_four``
    (four workers' median at the full budget); None if it never gets there.

    Example:
        >>> trials_to_match([3.0, 2.0, 1.0, 0.5], 1.5)
        3
    """
    return next((t + 1 for t, v in enumerate(curve_one) if v <= final_four), None)


def _median_curves(rows: list[dict[str, Any]]) -> dict[tuple[str, str, int], list[float]]:
    """(problem, method, workers) -> median over seeds of log10 best-so-far regret per trial."""
    problems = optimization_problems()  # built once, not per row
    curves: dict[tuple[str, str, int], list[list[float]]] = {}
    for r in rows:
        problem = problems[r["problem"]]
        regrets = [math.log10(max(problem.regret(b), REGRET_FLOOR)) for b in r["curve"]]
        curves.setdefault((r["problem"], r["method"], r["workers"]), []).append(regrets)
    return {k: list(np.median(np.array(v), axis=0)) for k, v in curves.items()}


def _iqr(values: list[float]) -> str:
    low, high = np.percentile(values, [25, 75])
    return f"{low:.2f} … {high:.2f}"


def _paramscope_table(
    values: dict[tuple[str, str, int], list[float]],
    curves: dict[tuple[str, str, int], list[float]],
    problems: list[str],
) -> str:
    from scipy.stats import mannwhitneyu

    rows: list[list[object]] = []
    for p in problems:
        one, four = values.get((p, "paramscope", 1), []), values.get((p, "paramscope", 4), [])
        if not one or not four:
            continue
        m1, m4 = median(one), median(four)
        test = mannwhitneyu(one, four, alternative="two-sided")
        seeds = f"{len(one)}/{len(four)}"
        gap_text = f"{gap(m1, m4):+.0%}"
        if len(one) == len(four):  # the same seeds: a paired bootstrap interval
            low, high = gap_interval(one, four)
            gap_text += f" ({low:+.0%} … {high:+.0%})"
        curve_one = curves[(p, "paramscope", 1)]
        match = trials_to_match(curve_one, curves[(p, "paramscope", 4)][-1])
        rows.append(
            [
                p,
                seeds,
                f"{m1:.2f}",
                f"{m4:.2f}",
                gap_text,
                f"{match if match is not None else '>' + str(len(curve_one))} of {len(curve_one)}",
                _iqr(one),
                _iqr(four),
                f"{test.pvalue:.2f}",
            ]
        )
    header = ["problem", "seeds 1 w/4 w", "1 worker", "4 workers", "gap (90% CI)"]
    header += ["1 w matches 4 w at", "IQR 1 w", "IQR 4 w"]
    return markdown_table([*header, "Mann-Whitney p"], rows)


def _peer_table(values: dict[tuple[str, str, int], list[float]], problems: list[str]) -> str:
    peers = [m for m in METHODS[1:] if any(k[1] == m for k in values)]
    rows: list[list[object]] = []
    for p in problems:
        cells: list[object] = [p]
        for m in peers:
            one, four = values.get((p, m, 1), []), values.get((p, m, 4), [])
            m1 = median(one) if one else math.nan
            m4 = median(four) if four else math.nan
            cells += [f"{m1:.2f}", f"{m4:.2f}", f"{gap(m1, m4):+.0%} ({min(len(one), len(four))})"]
        rows.append(cells)
    header = ["problem"] + [f"{m} {c}" for m in peers for c in ("1 w", "4 w", "gap (seeds)")]
    return markdown_table(header, rows)


def _summary(values: dict[tuple[str, str, int], list[float]], problems: list[str]) -> str:
    lines = []
    for m in METHODS:
        gaps = [
            gap(median(values[(p, m, 1)]), median(values[(p, m, 4)]))
            for p in problems
            if (p, m, 1) in values and (p, m, 4) in values
        ]
        if not gaps:
            continue
        within = sum(g <= TOLERANCE for g in gaps)
        ratio = 10 ** float(np.mean(np.log10(np.array(gaps) + 1)))
        lines.append(
            f"- {m}: 4 workers within +10% of 1 worker (or better) on {within} of {len(gaps)} "
            f"problems; geometric mean over problems of the regret ratio 4 w / 1 w: {ratio:.2f}"
        )
    return "\n".join(lines)


def command_report(args: argparse.Namespace) -> None:
    sync_peer_runs(RUNS)
    rows = load_runs(RUNS)
    values = _values(rows)
    problems = [p for p in optimization_problems() if any(k[0] == p for k in values)]
    body = (
        "Final log10 regret (lower is better; floor 1e-8) after 20·d completed trials with 1 "
        "worker (sequential ask/tell) and 4 simulated asynchronous workers: four trials are kept "
        "running, the one with the earliest finish time (exponential durations, seeded per seed "
        "and the same for every method) is told and a new one asked, so every ask after the first "
        "four sees 3 pending trials. Both ask exactly 20·d trials. Hartmann6 runs on 30 seeds: its "
        "outcome is bimodal (see the Bayesian optimization table), so its median, and with it the "
        "geometric means below, tells which basin the middle seeds found more than anything about "
        "the workers. paramscope's three problems with the largest gaps at 20 seeds (Ackley5, "
        "Rosenbrock4, Levy6) run on 60 seeds: at 20 no gap stood out from seed noise. "
        "**gap** is on the regret "
        "itself: 10^(median log10 regret with 4 workers − median with 1 worker) − 1, which is "
        "median regret(4 w) / median regret(1 w) − 1 for an odd number of seeds; positive means 4 "
        "workers are worse, and +10% is the issue's bar. IQR: interquartile range of log10 "
        "regret over seeds; a +10% gap is 0.04 in log10. Mann-Whitney p: two-sided rank test of "
        "1 w vs 4 w over seeds; 90% CI: paired bootstrap over seeds (a seed's 1- and 4-worker "
        "runs share their initial design and noise). **1 w matches 4 w at**: the first trial at "
        "which one worker's median best-so-far regret reaches four workers' final median (the "
        "trials a sequential run needs for what 4 workers reach at the full budget).\n\n"
        f"paramscope:\n\n{_paramscope_table(values, _median_curves(rows), problems)}\n\n"
        "For context, the same for Optuna's TPE (`constant_liar=True`) and GPSampler (which "
        "conditions on running trials; it counts only completed trials toward its 10 random "
        "start-up trials):\n\n"
        f"{_peer_table(values, problems)}\n\n{_summary(values, problems)}\n\n"
        f"{fingerprint_note(rows)}\n"
    )
    bimodal = " ".join(p for p in PROBLEMS if p in BIMODAL)
    command = (
        "python -m benchmarks.async_workers run --seeds 20 --jobs 2 && "
        f"python -m benchmarks.async_workers run --seeds 30 --jobs 2 --problems {bimodal} && "
        "python -m benchmarks.async_workers run --seeds 60 --jobs 2 --methods paramscope "
        f"--problems {' '.join(LONG_RUN)} && "
        "python -m benchmarks.async_workers report"
    )
    publish("Asynchronous workers", command, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--seeds", type=int, default=5)
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    run.add_argument(
        "--problems", nargs="+", default=list(PROBLEMS), choices=list(optimization_problems())
    )
    sub.add_parser("report")
    args = parser.parse_args()
    {"run": command_run, "report": command_report}[args.command](args)


if __name__ == "__main__":
    main()
