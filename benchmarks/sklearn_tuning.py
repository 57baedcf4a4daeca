"""Real tuning tasks: paramscope vs Optuna TPE, Optuna GP and random on scikit-learn models.

Each task is a (model, bundled data set) pair whose objective is a cross-validated error on a
fixed stratified split (``StratifiedKFold(shuffle=True, random_state=0)``) with a fixed model
``random_state`` and one BLAS/OpenMP thread, so the objective is deterministic and every method
sees the same function. Every method runs in the ask/tell loop of ``benchmarks.bayes``
(``make_loop``) on in-memory storage; nothing is cached between methods or runs. Results stream
to ``benchmarks/out/sklearn-runs.jsonl`` (one line per method × task × seed, so an interrupted
run resumes), and the report step writes the "Tuning scikit-learn models" section of RESULTS.md.

    .venv/bin/python -m benchmarks.sklearn_tuning run [--seeds 5] [--jobs 2] [--tasks ...]
    .venv/bin/python -m benchmarks.sklearn_tuning report
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import paramscope as ps
from benchmarks.bayes import (
    METHODS,
    OUT,
    fingerprint_note,
    make_loop,
    paramscope_wins,
    publish,
    ranked_table,
    run_missing,
    runnable_methods,
)
from benchmarks.results import (
    load_runs,
    median,
    restore_peer_runs,
    sync_peer_runs,
)
from paramscope.problems import Problem

RUNS = OUT / "sklearn-runs.jsonl"
DEFAULTS = "sklearn defaults"  # the reference row: the model with scikit-learn's own defaults


@dataclass(frozen=True)
class Task:
    """One tuning task: a model builder over a space, a data set and a CV metric."""

    name: str
    dataset: str  # "digits", "wine" or "breast_cancer"
    space: ps.Space
    build: Callable[[Mapping[str, Any]], Any]  # params -> unfitted estimator ({} = defaults)
    metric: str  # "error" (1 - accuracy) or "log_loss"
    budget: int
    folds: int = 3


def _svc(params: Mapping[str, Any]) -> Any:
    from sklearn.svm import SVC

    return SVC(**params)


def _hgb(params: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=0, **params)


def _mlp(params: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    kwargs = dict(params)
    if "width" in kwargs:
        kwargs["hidden_layer_sizes"] = (kwargs.pop("width"),)
    return make_pipeline(StandardScaler(), MLPClassifier(max_iter=150, random_state=0, **kwargs))


def _scaled_svc(params: Mapping[str, Any]) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), _svc(params))


def tasks() -> dict[str, Task]:
    """The tasks by name; each objective call costs well under a second on one core."""
    hgb_space = ps.Space(
        {
            "learning_rate": ps.Float(1e-3, 1.0, log=True),
            "max_leaf_nodes": ps.Int(2, 32, log=True),
            "min_samples_leaf": ps.Int(1, 50),
            "l2_regularization": ps.Float(1e-6, 10.0, log=True),
            "max_iter": ps.Int(10, 100),
        }
    )
    mlp_space = ps.Space(
        {
            "alpha": ps.Float(1e-6, 1e-1, log=True),
            "learning_rate_init": ps.Float(1e-4, 1e-1, log=True),
            "width": ps.Int(4, 64, log=True),
            "activation": ps.Choice(["relu", "tanh", "logistic"]),
        }
    )
    svc_space = ps.Space(
        {"C": ps.Float(1e-2, 1e3, log=True), "gamma": ps.Float(1e-5, 1e-1, log=True)}
    )
    kernel_space = ps.Space(
        {
            "C": ps.Float(1e-2, 1e3, log=True),
            "gamma": ps.Float(1e-4, 1.0, log=True),
            "kernel": ps.Choice(["rbf", "poly", "sigmoid"]),
        }
    )
    return {
        "svc-digits": Task("svc-digits", "digits", svc_space, _svc, "error", budget=30),
        "svc-kernel-breast_cancer": Task(
            "svc-kernel-breast_cancer", "breast_cancer", kernel_space, _scaled_svc, "error", 30
        ),
        "hgb-breast_cancer": Task(
            "hgb-breast_cancer", "breast_cancer", hgb_space, _hgb, "log_loss", budget=40
        ),
        "mlp-wine": Task("mlp-wine", "wine", mlp_space, _mlp, "log_loss", budget=40),
    }


def make_objective(task: Task) -> Callable[[Mapping[str, Any]], float]:
    """The task's deterministic CV error as a function of its parameters."""
    from sklearn import datasets
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    X, y = getattr(datasets, f"load_{task.dataset}")(return_X_y=True)  # noqa: N806
    cv = StratifiedKFold(task.folds, shuffle=True, random_state=0)
    scoring = "accuracy" if task.metric == "error" else "neg_log_loss"

    def objective(params: Mapping[str, Any]) -> float:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning of short MLP runs
            score = float(
                np.mean(cross_val_score(task.build(params), X, y, cv=cv, scoring=scoring))
            )
        return 1.0 - score if task.metric == "error" else -score

    return objective


def _tune(method: str, task: Task, seed: int) -> dict[str, Any]:
    objective = make_objective(task)
    # CV errors are >= 0, so 0 is a valid (unused) optimum for the Problem record.
    ask, tell = make_loop(method, Problem(task.name, task.space, objective, optimum=0.0), seed)
    best, best_params, curve, ask_seconds, eval_seconds = math.inf, {}, [], 0.0, 0.0
    for _ in range(task.budget):
        start = time.perf_counter()
        handle, params = ask()
        middle = time.perf_counter()
        value = objective(params)
        ask_seconds += middle - start
        eval_seconds += time.perf_counter() - middle
        tell(handle, value)
        if value < best:
            best, best_params = value, params
        curve.append(best)
    return {
        "budget": task.budget,
        "best": best,
        "best_params": best_params,
        "curve": curve,
        "ask_seconds": ask_seconds,
        "eval_seconds": eval_seconds,
    }


def run_one(method: str, task_name: str, seed: int) -> dict[str, Any]:
    """One tuning run (or, for DEFAULTS, one evaluation of the default model), on one thread."""
    from threadpoolctl import threadpool_limits

    task = tasks()[task_name]
    with threadpool_limits(1):
        if method == DEFAULTS:
            start = time.perf_counter()
            result = {"best": make_objective(task)({}), "eval_seconds": 0.0}
            result["eval_seconds"] = time.perf_counter() - start
        else:
            result = _tune(method, task, seed)
    return {"method": method, "task": task_name, "seed": seed, **result}


def _job(args: tuple[str, str, int, str]) -> dict[str, Any]:
    method, task, seed, fingerprint = args
    return {**run_one(method, task, seed), "sampler": fingerprint}


def _progress(row: dict[str, Any]) -> str:
    """One finished run, for the progress line."""
    return (
        f"{row['method']:<16} {row['task']:<24} seed {row['seed']}: "
        f"best {row['best']:.4f}, ask {row.get('ask_seconds', 0):.1f} s, "
        f"objective {row['eval_seconds']:.1f} s"
    )


def command_run(args: argparse.Namespace) -> None:
    restore_peer_runs(RUNS)
    done = {(r["method"], r["task"], r["seed"]) for r in load_runs(RUNS)}
    methods = runnable_methods(args.methods)
    wanted = [(DEFAULTS, t, 0) for t in args.tasks]
    wanted += [(m, t, s) for s in range(args.seeds) for t in args.tasks for m in methods]
    run_missing(RUNS, wanted, done, _job, _progress, args.jobs)


def _describe(task: Task, default_error: float) -> str:
    from sklearn import datasets

    if task.metric == "error":
        n = len(getattr(datasets, f"load_{task.dataset}")().target)
        metric = f"1 - accuracy (one sample of {n} = {1 / n:.4f})"
    else:
        metric = "log loss"
    return (
        f"- `{task.name}`: {metric}, {task.folds}-fold CV, {task.budget} trials, "
        f"{len(task.space.names)} parameters ({', '.join(task.space.names)}); "
        f"scikit-learn defaults: {default_error:.4f}"
    )


def command_report(args: argparse.Namespace) -> None:
    sync_peer_runs(RUNS)
    rows = load_runs(RUNS)
    names = [t for t in tasks() if any(r["task"] == t for r in rows)]
    methods = [m for m in METHODS if any(r["method"] == m for r in rows)]
    medians: dict[tuple[str, str], float] = {}
    seeds: dict[str, int] = {}
    for t in names:
        for m in methods:
            values = [r["best"] for r in rows if r["task"] == t and r["method"] == m]
            if values:
                medians[(t, m)] = round(median(values), 4)  # rank what the table shows
                seeds[t] = min(seeds.get(t, len(values)), len(values))
    table = ranked_table(medians, names, methods, seeds, label="task", fmt=".4f")
    defaults = {r["task"]: r["best"] for r in rows if r["method"] == DEFAULTS}
    lines = [_describe(tasks()[t], defaults.get(t, math.nan)) for t in names]
    wins = paramscope_wins(medians, names)
    win_text = "; ".join(f"than {peer}'s on {share:.0%}" for peer, share in wins.items())
    body = (
        "Median over seeds of the best cross-validated error found (lower is better), per task "
        "and method. The objective is deterministic: a fixed stratified CV split, a fixed "
        "model `random_state`, one thread. Same ask/tell loop as the Bayesian optimization "
        "benchmark; nothing cached.\n\n"
        + "\n".join(lines)
        + f"\n\n{table}\n\nparamscope's median best error is lower {win_text} of the tasks "
        "(ranks and wins compare the medians as printed, to 4 decimals; equal ones tie).\n\n"
        f"{fingerprint_note(rows)}\n"
    )
    command = (
        "python -m benchmarks.sklearn_tuning run --seeds 5 --jobs 2 && "
        "python -m benchmarks.sklearn_tuning report"
    )
    publish("Tuning scikit-learn models", command, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run")
    run.add_argument("--seeds", type=int, default=5)
    run.add_argument("--jobs", type=int, default=2)
    run.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    run.add_argument("--tasks", nargs="+", default=list(tasks()), choices=list(tasks()))
    sub.add_parser("report")
    args = parser.parse_args()
    {"run": command_run, "report": command_report}[args.command](args)


if __name__ == "__main__":
    main()
