"""Sensitivity on a surrogate vs direct sampling: runs needed and honesty of the intervals.

Ishigami (a=7, b=0.1) and Sobol's G-function (a = 0, 1, 4.5, 9, 99, 99, 99, 99), analytic indices.
Three estimators, same seeds:

* paramscope: ``ps.sensitivity(fn, space, budget=B)``, Sobol indices on GP posterior paths with the
  adaptive design; its 95% intervals include the surrogate's uncertainty;
* mean-only emulator (what emukit does): an ARD Matérn GP fitted to B Sobol points, SALib's
  estimators on its posterior mean, with SALib's bootstrap intervals (sampling error only);
* SALib direct: Saltelli sampling of the function itself, N base samples (N (d + 2) runs), doubling
  N until every index is within +-0.03 on 90% of the seeds.

    .venv/bin/python -m benchmarks.sensitivity [--seeds 10] [--jobs 2]
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import warnings
from typing import Any

import numpy as np

import paramscope as ps
from benchmarks.results import markdown_table, median, write_section
from paramscope.analysis.sensitivity.design import saltelli, space_filling, to_unit
from paramscope.analysis.sensitivity.summarize import Summary, summarize
from paramscope.analysis.sensitivity.surrogate import fit_surrogate
from paramscope.problems import G_FUNCTION_A, g_function, ishigami

TOLERANCE = 0.03


def _g_truth() -> tuple[list[float], list[float]]:
    a = np.array(G_FUNCTION_A)
    v = 1.0 / (3.0 * (1.0 + a) ** 2)
    var = np.prod(1.0 + v) - 1.0
    return list(v / var), list(v * np.prod(1.0 + v) / (1.0 + v) / var)


PROBLEMS: dict[str, dict[str, Any]] = {
    "ishigami": {
        "space": ps.Space({f"x{i}": ps.Float(-math.pi, math.pi) for i in range(3)}),
        "fn": ishigami,
        "S1": [0.3139, 0.4424, 0.0],
        "ST": [0.5576, 0.4424, 0.2437],
        "budget": 150,
    },
    "g_function": {
        "space": ps.Space({f"x{i}": ps.Float(0.0, 1.0) for i in range(8)}),
        "fn": g_function,
        "S1": _g_truth()[0],
        "ST": _g_truth()[1],
        "budget": 300,
    },
}


def _score(result: Any, problem: dict[str, Any]) -> tuple[float, float]:
    """(largest absolute error over S1 and ST, fraction of 95% intervals covering the truth)."""
    errors, covered = [], []
    for i, name in enumerate(problem["space"].names):
        for kind, truth in (("first", problem["S1"][i]), ("total", problem["ST"][i])):
            value = result.first_order[name] if kind == "first" else result.total[name]
            low, high = result.interval(name, kind)
            errors.append(abs(value - truth))
            covered.append(low <= truth <= high)
    return max(errors), float(np.mean(covered))


def run_paramscope(args: tuple[str, int]) -> dict[str, Any]:
    name, seed = args
    problem = PROBLEMS[name]
    warnings.simplefilter("ignore")
    result = ps.sensitivity(problem["fn"], problem["space"], budget=problem["budget"], seed=seed)
    error, coverage = _score(result, problem)
    return {"problem": name, "seed": seed, "runs": result.runs, "error": error, "cover": coverage}


def run_mean_only(args: tuple[str, int]) -> dict[str, Any]:
    name, seed = args
    problem = PROBLEMS[name]
    space, budget = problem["space"], problem["budget"]
    units = to_unit(space, space_filling(space, budget, seed=seed))
    y = np.array([problem["fn"](space.decode(u)) for u in units])
    model = fit_surrogate(space, units, y, seed=seed, kernel="ard")  # emukit-style ARD GP
    design = to_unit(space, saltelli(space, 4096, second_order=False, seed=seed))
    mean = model.transform.inverse(model.gp.predict_mean(design))[:, None]
    how = Summary(tuple(space.names), False, 0.95, budget, "surrogate")
    error, coverage = _score(summarize(mean, how, rng=np.random.default_rng(seed)), problem)
    return {"problem": name, "seed": seed, "runs": budget, "error": error, "cover": coverage}


def direct_runs_needed(name: str, seeds: int) -> tuple[int, float]:
    """Fewest Saltelli runs with every index within TOLERANCE on 90% of the seeds."""
    problem = PROBLEMS[name]
    space, d = problem["space"], problem["space"].dim
    for k in range(4, 17):
        n, hits, covers = 2**k, 0, []
        for seed in range(seeds):
            units = to_unit(space, saltelli(space, n, second_order=False, seed=seed))
            y = np.array([problem["fn"](space.decode(u)) for u in units])[:, None]
            how = Summary(tuple(space.names), False, 0.95, len(units), "direct")
            error, coverage = _score(summarize(y, how, rng=np.random.default_rng(seed)), problem)
            hits += error <= TOLERANCE
            covers.append(coverage)
        if hits >= 0.9 * seeds:
            return n * (d + 2), float(np.mean(covers))
    return -1, math.nan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS))
    args = parser.parse_args()
    rows = []
    for name in args.problems:
        jobs = [(name, s) for s in range(args.seeds)]
        with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
            ours = pool.map(run_paramscope, jobs)
            mean_only = pool.map(run_mean_only, jobs)
        direct, direct_cover = direct_runs_needed(name, args.seeds)
        for label, runs in (("paramscope (GP paths, adaptive)", ours), ("mean-only GP", mean_only)):
            within = sum(r["error"] <= TOLERANCE for r in runs)
            rows.append(
                [
                    name,
                    label,
                    f"{median([r['runs'] for r in runs]):.0f}",
                    f"{median([r['error'] for r in runs]):.3f}",
                    f"{within}/{len(runs)}",
                    f"{np.mean([r['cover'] for r in runs]):.0%}",
                ]
            )
            print(rows[-1], flush=True)
        rows.append(
            [
                name,
                "SALib direct Saltelli",
                str(direct),
                "-",
                "90% (by design)",
                f"{direct_cover:.0%}",
            ]
        )
    table = markdown_table(
        [
            "problem",
            "method",
            "runs",
            "median max error",
            f"seeds within ±{TOLERANCE}",
            "95% interval coverage",
        ],
        rows,
    )
    body = (
        f"{args.seeds} seeds. Max error = the largest absolute error over all first-order and "
        "total "
        "indices of a run; coverage = the share of those indices whose 95% interval holds the "
        f"analytic value. SALib direct: the fewest runs (powers of two of base samples) that put "
        f"every index within ±{TOLERANCE} on 90% of the seeds.\n\n{table}"
    )
    command = f"python -m benchmarks.sensitivity --seeds {args.seeds} --jobs {args.jobs}"
    write_section("Sensitivity analysis", command, body)
    print(table)


if __name__ == "__main__":
    main()
