"""Several objectives: hypervolume at 100 trials, paramscope vs Optuna NSGA-II, Optuna TPE, random.

Every method runs ZDT1, ZDT2 (2 objectives) and DTLZ2 (3 objectives), 6 parameters each
(paramscope.problems.multi_objective_problems), for 100 trials over the same seeds, driven by the
same ask/tell loop; hypervolume is measured after the run against each problem's fixed reference
point with paramscope.hypervolume (checked against brute force in tests/test_hypervolume.py).
Results stream to a JSON-lines file (one line per method × problem × seed), so an interrupted run
resumes where it stopped; the report step writes the table to RESULTS.md.

    .venv/bin/python -m benchmarks.multiobjective run [--seeds 5] [--methods ...] [--problems ...]
    .venv/bin/python -m benchmarks.multiobjective report
    .venv/bin/python -m benchmarks.multiobjective        # both
"""

from __future__ import annotations

import argparse
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import paramscope as ps
from benchmarks.bayes import optuna_distributions
from benchmarks.results import (
    load_runs,
    markdown_table,
    median,
    restore_peer_runs,
    sync_peer_runs,
    write_section,
)
from paramscope.hypervolume import hypervolume
from paramscope.problems import MultiObjectiveProblem, multi_objective_problems

OUT = Path(__file__).with_name("out")
RUNS = OUT / "multiobjective-runs.jsonl"
METHODS = ("paramscope", "optuna-nsga2", "optuna-tpe", "random")
PEERS = ("optuna-nsga2", "optuna-tpe")
BUDGET = 100
CHECKPOINTS = (25, 50, 100)

Ask = Callable[[], tuple[Any, dict[str, Any]]]
Tell = Callable[[Any, dict[str, float]], None]


def _paramscope_loop(problem: MultiObjectiveProblem, seed: int, sampler: str) -> tuple[Ask, Tell]:
    study = ps.Study.create(
        "bench",
        problem.space,
        objectives=dict.fromkeys(problem.objectives, "min"),
        storage="sqlite://",
        sampler=sampler,
        seed=seed,
    )

    def ask() -> tuple[Any, dict[str, Any]]:
        trial = study.ask()
        return trial, dict(trial.params)

    return ask, lambda trial, values: study.tell(trial, values) and None


def _optuna_loop(problem: MultiObjectiveProblem, seed: int, kind: str) -> tuple[Ask, Tell]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    sampler = (
        optuna.samplers.NSGAIISampler(seed=seed)
        if kind == "nsga2"
        else optuna.samplers.TPESampler(seed=seed)
    )
    study = optuna.create_study(sampler=sampler, directions=["minimize"] * len(problem.objectives))
    distributions = optuna_distributions(problem.space)

    def ask() -> tuple[Any, dict[str, Any]]:
        trial = study.ask(distributions)
        return trial, dict(trial.params)

    def tell(trial: Any, values: dict[str, float]) -> None:
        study.tell(trial, [values[name] for name in problem.objectives])

    return ask, tell


def make_loop(method: str, problem: MultiObjectiveProblem, seed: int) -> tuple[Ask, Tell]:
    if method == "paramscope":
        return _paramscope_loop(problem, seed, "bayes")
    if method == "random":
        return _paramscope_loop(problem, seed, "random")
    return _optuna_loop(problem, seed, method.removeprefix("optuna-"))


def run_one(method: str, problem_name: str, seed: int) -> dict[str, Any]:
    """One run of ``BUDGET`` trials: hypervolume at the checkpoints and the time spent asking."""
    problem = multi_objective_problems()[problem_name]
    ask, tell = make_loop(method, problem, seed)
    points, ask_seconds = [], []
    for _ in range(BUDGET):
        start = time.perf_counter()
        handle, params = ask()
        ask_seconds.append(time.perf_counter() - start)
        values = problem.fn(params)
        tell(handle, values)
        points.append([values[name] for name in problem.objectives])
    values_so_far, reference = np.array(points), np.array(problem.reference)
    return {
        "method": method,
        "problem": problem_name,
        "seed": seed,
        "budget": BUDGET,
        "hypervolume": {str(n): hypervolume(values_so_far[:n], reference) for n in CHECKPOINTS},
        "ask_seconds": ask_seconds,
    }


def command_run(args: argparse.Namespace) -> None:
    restore_peer_runs(RUNS)
    OUT.mkdir(exist_ok=True)
    done = {(r["method"], r["problem"], r["seed"]) for r in load_runs(RUNS)}
    jobs = [
        (m, p, s)
        for s in range(args.seeds)
        for p in args.problems
        for m in args.methods
        if (m, p, s) not in done
    ]
    print(f"{len(jobs)} runs to do ({len(done)} already in {RUNS})")
    with RUNS.open("a") as out:
        for i, job in enumerate(jobs, 1):
            row = run_one(*job)
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(
                f"[{i}/{len(jobs)}] {row['method']:<12} {row['problem']:<6} seed {row['seed']}: "
                f"HV@{BUDGET} {row['hypervolume'][str(BUDGET)]:.4f}, "
                f"ask {sum(row['ask_seconds']):.1f} s",
                flush=True,
            )


def _medians(rows: list[dict[str, Any]], at: int) -> dict[tuple[str, str], tuple[float, int]]:
    out: dict[tuple[str, str], tuple[float, int]] = {}
    for p in multi_objective_problems():
        for m in METHODS:
            values = [
                r["hypervolume"][str(at)] for r in rows if (r["problem"], r["method"]) == (p, m)
            ]
            if values:
                out[(p, m)] = (median(values), len(values))
    return out


def _seed_wins(rows: list[dict[str, Any]], problem: str, peer: str) -> tuple[int, int]:
    """(seeds where paramscope's hypervolume is above the peer's on the same seed, shared seeds)."""
    by_seed: dict[str, dict[int, float]] = {"paramscope": {}, peer: {}}
    for r in rows:
        if r["problem"] == problem and r["method"] in by_seed:
            by_seed[r["method"]][r["seed"]] = r["hypervolume"][str(BUDGET)]
    shared = sorted(set(by_seed["paramscope"]) & set(by_seed[peer]))
    return sum(by_seed["paramscope"][s] > by_seed[peer][s] for s in shared), len(shared)


def _verdict(
    rows: list[dict[str, Any]], name: str, medians: dict[tuple[str, str], tuple[float, int]]
) -> str:
    ours = medians[(name, "paramscope")][0]
    parts = []
    for peer in PEERS:
        if (name, peer) in medians:
            wins, shared = _seed_wins(rows, name, peer)
            word = "above" if ours > medians[(name, peer)][0] else "NOT above"
            parts.append(f"{word} {peer} (higher on {wins} of {shared} seeds)")
    return f"{name}: median " + ", ".join(parts)


def _table(rows: list[dict[str, Any]]) -> tuple[str, list[str]]:
    problems = multi_objective_problems()
    medians = _medians(rows, BUDGET)
    methods = [m for m in METHODS if any(key[1] == m for key in medians)]
    table_rows, verdicts = [], []
    for name, problem in problems.items():
        present = [m for m in methods if (name, m) in medians]
        if not present:
            continue
        seeds = min(medians[(name, m)][1] for m in present)
        cells = []
        for m in methods:
            hv = medians.get((name, m), (math.nan, 0))[0]
            gap = max(problem.max_hypervolume - hv, 1e-12)
            cells.append(f"{hv:.4f} ({hv / problem.max_hypervolume:.4f}; {math.log10(gap):.2f})")
        ref = ", ".join(f"{r:g}" for r in problem.reference)
        table_rows.append([name, f"({ref})", f"{problem.max_hypervolume:.4f}", seeds, *cells])
        if "paramscope" in present:
            verdicts.append(_verdict(rows, name, medians))
    header = ["problem", "reference", "best HV", "seeds", *methods]
    return markdown_table(header, table_rows), verdicts


def _ask_seconds(rows: list[dict[str, Any]]) -> str:
    parts = []
    for m in METHODS:
        per_run = [sum(r["ask_seconds"]) for r in rows if r["method"] == m]
        if per_run:
            parts.append(f"{m} {median(per_run):.1f} s")
    return "; ".join(parts)


def command_report(args: argparse.Namespace) -> None:
    sync_peer_runs(RUNS)
    rows = load_runs(RUNS)
    table, verdicts = _table(rows)
    body = (
        f"Median hypervolume after {BUDGET} trials against each problem's fixed reference point; "
        "in brackets its ratio to the best possible hypervolume and log10 of the gap to it "
        "(higher ratio, lower gap is better). Six parameters per problem; one ask/tell loop for "
        "every method; Optuna samplers at their defaults (NSGA-II: population 50, so two "
        "generations; TPE: 10 random start-up trials).\n\n"
        f"{table}\n\nTarget (hypervolume at 100 trials above both Optuna samplers): "
        + "; ".join(verdicts)
        + f".\n\nSampler time per 100-trial run (median): {_ask_seconds(rows)}.\n"
    )
    command = (
        "python -m benchmarks.multiobjective run --seeds 5 && "
        "python -m benchmarks.multiobjective report"
    )
    write_section("Several objectives", command, body)
    print(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run")
    run.add_argument("--seeds", type=int, default=5)
    run.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    run.add_argument("--problems", nargs="+", default=list(multi_objective_problems()))
    sub.add_parser("report")
    args = parser.parse_args()
    if args.command is None:
        args = parser.parse_args(["run"])
        command_run(args)
        command_report(args)
        return
    {"run": command_run, "report": command_report}[args.command](args)


if __name__ == "__main__":
    main()
