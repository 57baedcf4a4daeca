"""Initial design size: paramscope's final regret with Sobol start-up designs of several sizes.

The bayes sampler takes ``n_init`` scrambled Sobol points before its GP takes over (default
``max(5, min(2 d, 10))``). Fewer points leave budget for the model but give it less to start from;
more points explore better and delay convergence. This runs the Bayesian optimization benchmark's
problems (budget 20·d, same seeds, same ask/tell loop) with the default and with ``n_init = k·d``
for each ``--factors`` k, and reports the median final log10 regret per problem and size, with a
mean rank. Rows stream to ``benchmarks/out/initial-design-runs.jsonl`` (resumable).

    .venv/bin/python -m benchmarks.initial_design run [--seeds 10] [--jobs 2] [--factors 1 2 3]
        [--problems ...]
    .venv/bin/python -m benchmarks.initial_design report
"""

from __future__ import annotations

import argparse
from typing import Any

from benchmarks.bayes import OUT, median_regrets, ranked_table, run_one
from benchmarks.results import load_runs, stream_rows, write_section
from paramscope.problems import optimization_problems
from paramscope.samplers.bayes_options import BayesOptions

RUNS = OUT / "initial-design-runs.jsonl"
DEFAULT = "default"


def design_size(design: str, dim: int) -> int:
    """``n_init`` of a design label: ``"default"`` or ``"<k>d"`` (k·d points, at least 2)."""
    if design == DEFAULT:
        return BayesOptions().initial_design_size(dim)
    return max(2, round(float(design.removesuffix("d")) * dim))


def _job(args: tuple[str, str, int]) -> dict[str, Any]:
    from threadpoolctl import threadpool_limits

    design, problem, seed = args
    n_init = design_size(design, optimization_problems()[problem].dim)
    with threadpool_limits(1):
        row = run_one("paramscope", problem, seed, options={"n_init": n_init})
    del row["curve"], row["ask_seconds"]
    return {**row, "design": design, "n_init": n_init}


def _progress(row: dict[str, Any]) -> str:
    """One finished run, for the progress line."""
    return (
        f"{row['design']:<8} {row['problem']:<17} seed {row['seed']}: "
        f"n_init {row['n_init']}, log10 regret {row['log10_regret']:.2f}"
    )


def command_run(args: argparse.Namespace) -> None:
    done = {(r["design"], r["problem"], r["seed"]) for r in load_runs(RUNS)}
    designs = [DEFAULT, *(f"{k:g}d" for k in args.factors)]
    jobs = [
        (design, p, s)
        for s in range(args.seeds)
        for p in args.problems
        for design in designs
        if (design, p, s) not in done
    ]
    print(f"{len(jobs)} runs to do ({len(done)} already in {RUNS})")
    stream_rows(RUNS, _job, jobs, args.jobs, _progress)


def command_report(args: argparse.Namespace) -> None:
    rows = load_runs(RUNS)
    problems = [p for p in optimization_problems() if any(r["problem"] == p for r in rows)]
    designs = sorted({r["design"] for r in rows}, key=lambda d: (d != DEFAULT, d))
    medians, seeds = median_regrets(rows, "design", problems, designs)
    dims = {p: optimization_problems()[p].dim for p in problems}
    sizes = "; ".join(
        f"{p} (d = {dims[p]}): "
        + ", ".join(f"{design} = {design_size(design, dims[p])}" for design in designs)
        for p in problems
    )
    body = (
        "Median final log10 regret of paramscope (lower is better; floor 1e-8) at a budget of "
        "20·d trials, by the size of the Sobol initial design: the default "
        "`max(5, min(2 d, 10))` and k·d points.\n\n"
        f"{ranked_table(medians, problems, designs, seeds)}\n\nSizes: {sizes}.\n\n"
        "For d <= 5 the default is 2·d already (the same runs), so only larger d are compared.\n"
    )
    factors = " ".join(d.removesuffix("d") for d in designs if d != DEFAULT)
    command = (
        f"python -m benchmarks.initial_design run --seeds {min(seeds.values())} --jobs 2 "
        f"--factors {factors} --problems {' '.join(problems)} && "
        "python -m benchmarks.initial_design report"
    )
    write_section("Initial design size", command, body)
    print(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--seeds", type=int, default=10)
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--factors", nargs="+", type=float, default=[1.0, 2.0, 3.0])
    run.add_argument("--problems", nargs="+", default=list(optimization_problems()))
    sub.add_parser("report")
    args = parser.parse_args()
    {"run": command_run, "report": command_report}[args.command](args)


if __name__ == "__main__":
    main()
