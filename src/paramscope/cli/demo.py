"""CLI demo: ``paramscope demo`` tunes a scikit-learn classifier end to end in under two minutes.

It runs the study ``demo`` (its objective is :func:`paramscope.demo.svc_accuracy`) on the
embedded SQLite default in the working directory, replacing any earlier ``demo`` study, then
prints the best accuracy, where the database is, and the commands to look at the runs.
"""

from __future__ import annotations

import importlib
import time

import click
from rich.console import Console

from paramscope.cli.common import describe_url, positive, storage_option
from paramscope.cli.run import storage_flag
from paramscope.demo import OBJECTIVE, demo_space, svc_accuracy
from paramscope.errors import StudyNotFoundError
from paramscope.storage import open_storage
from paramscope.storage.base import StudyOptions
from paramscope.storage.urls import resolve_url
from paramscope.study import Study

NAME = "demo"
BUDGET = 30
WORKERS = 2


def demo_sampler() -> str:
    """``"bayes"`` when the Bayesian sampler can be imported, else ``"sobol"``.

    Example:
        >>> demo_sampler() in ("bayes", "sobol")
        True
    """
    try:
        importlib.import_module("paramscope.samplers.bayes")
    except ImportError:
        return "sobol"
    return "bayes"


def _fresh_study(console: Console, url: str, sampler: str, budget: int) -> Study:
    backend = open_storage(url)
    try:
        backend.delete_study(NAME)
        console.print(f"replaced the earlier {NAME!r} study in {describe_url(url)}")
    except StudyNotFoundError:
        pass
    try:
        return Study.create(
            NAME,
            demo_space(),
            objectives={"accuracy": "max"},
            storage=backend,
            sampler=sampler,
            seed=0,
            objective_config={"function": OBJECTIVE},
            options=StudyOptions(budget=budget),
        )
    except BaseException:
        backend.close()
        raise


@click.command("demo", short_help="Tune an SVM on scikit-learn's digits data (under a minute).")
@storage_option
@click.option("--budget", type=int, default=BUDGET, hidden=True)
@click.option("--workers", type=int, default=WORKERS, hidden=True)
def demo(storage: str | None, budget: int, workers: int) -> None:
    """Tune an SVM on scikit-learn's bundled digits dataset (about 30 s on 2 cores).

    Five-fold cross-validated accuracy of sklearn.svm.SVC over C, gamma, kernel and degree;
    30 trials on 2 worker processes, kept in the study 'demo' (an earlier one is replaced).
    """
    budget = positive("--budget", budget) or BUDGET
    workers = positive("--workers", workers) or WORKERS
    url = resolve_url(storage)
    console = Console()
    sampler = demo_sampler()
    console.print(
        f"[bold]paramscope demo[/bold]: tuning sklearn.svm.SVC on the digits dataset "
        f"(1797 images, 10 classes), 5-fold cross-validated accuracy; {budget} trials, "
        f"{workers} workers, sampler {sampler!r}"
    )
    if sampler != "bayes":
        console.print("note: the Bayesian sampler is not available here; using 'sobol'")
    start = time.perf_counter()
    study = _fresh_study(console, url, sampler, budget)
    try:
        study.optimize(svc_accuracy, budget, workers=workers, progress=True)
        _report(console, study, time.perf_counter() - start, budget)
    finally:
        study.close()


def _report(console: Console, study: Study, seconds: float, budget: int) -> None:
    best = study.best
    console.print(f"\nfinished in {seconds:.1f} s")
    if best is None:
        console.print("no trial completed; see `paramscope trials --study demo`")
    else:
        params = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in best.params.items()
        )
        accuracy = best.values["accuracy"]
        console.print(
            f"best accuracy: [bold green]{accuracy:.4f}[/bold green] (trial #{best.number})"
        )
        console.print(f"best params:   {params}", highlight=False)
    flag = storage_flag(study.storage.url)
    console.print(f"database:      {describe_url(study.storage.url)}")
    console.print("\nnext, try:")
    for command in (
        f"paramscope trials --study {NAME}{flag}",
        f"paramscope best --study {NAME}{flag} --json",
        f"paramscope status{flag}",
        f"paramscope worker --study {NAME} --budget {budget + 20}{flag}",
    ):
        console.print(f"  {command}", highlight=False)
