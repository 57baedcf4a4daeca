"""CLI run: ``paramscope run study.toml`` and ``paramscope worker --study NAME``.

``run`` validates the whole study file and its objective before it opens the database, then
creates the study (or resumes the one of that name), optimizes with a progress bar and prints a
summary. ``worker`` joins an existing study from any process or machine: the objective and the
budget come from the study itself.
"""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console

from paramscope.cli.common import (
    CommandError,
    describe_url,
    load_study,
    positive,
    storage_option,
    study_option,
)
from paramscope.cli.render import counts_line, trial_card
from paramscope.config import build_objective, load_study_file
from paramscope.errors import ConfigError
from paramscope.execution.objectives import Objective
from paramscope.samplers import make_sampler
from paramscope.stopping import describe
from paramscope.storage import open_storage
from paramscope.storage.urls import parse_url, resolve_url
from paramscope.study import Study
from paramscope.trial import TrialState


def storage_flag(url: str) -> str:
    """`` --storage URL`` for the next commands to try, or nothing when it is the default.

    Example:
        >>> storage_flag("sqlite:///runs.db")
        ' --storage sqlite:///runs.db'
    """
    return "" if url == resolve_url(None) else f" --storage {url}"


def _check_sampler(name: str) -> None:
    try:
        make_sampler(name)
    except ImportError as exc:
        raise CommandError(
            f"sampler {name!r} is not available ({exc}); set sampler = 'sobol' or 'random'"
        ) from None


def optimize_and_report(study: Study, fn: Objective, *, budget: int, workers: int) -> None:
    """Run ``fn`` on ``study`` up to ``budget`` with a progress bar, then print the summary.

    Raises:
        CommandError: (exit 1) the run ended before the budget because trials kept failing.

    Example:
        >>> from paramscope.space import Float, Space
        >>> study = Study.create("doc", Space({"x": Float(0, 1)}), storage="sqlite://",
        ...                      sampler="random", seed=0)
        >>> optimize_and_report(study, lambda p: p["x"], budget=2, workers=1)  # doctest: +ELLIPSIS
        doc ... 2/2 complete 2 ...
        study 'doc': complete 2 · failed 0 · stopped 0 · running 0 · queued 0
        ...
    """
    console = Console()
    before = study.counts()
    done = before[TrialState.COMPLETE] + before[TrialState.STOPPED]
    if done >= budget:
        console.print(
            f"study {study.name!r} already has {done} finished trials (budget {budget}); "
            "raise --budget to run more"
        )
    elif sum(before.values()):
        console.print(f"resuming study {study.name!r}: {counts_line(before)}")
    study.optimize(fn, budget, workers=workers, progress=True)
    print_summary(console, study)
    counts = study.counts()
    finished = counts[TrialState.COMPLETE] + counts[TrialState.STOPPED]
    if finished < budget and counts[TrialState.FAILED] > before[TrialState.FAILED]:
        failures = study.storage.trials(study.name, states=[TrialState.FAILED])
        last = (failures[-1].error or "").strip().splitlines() if failures else []
        reason = f"; last error: {last[0]}" if last else ""
        raise CommandError(
            f"the run stopped at {finished} of {budget} finished trials because "
            f"{counts[TrialState.FAILED] - before[TrialState.FAILED]} trials failed{reason}; "
            f"see `paramscope trials --study {study.name} --state failed"
            f"{storage_flag(study.storage.url)}`"
        )


def print_summary(console: Console, study: Study) -> None:
    """Counts, the best trial (or the Pareto front's size), where the data is, what to try next.

    Example:
        >>> from paramscope.space import Float, Space
        >>> study = Study.create("doc", Space({"x": Float(0, 1)}), storage="sqlite://")
        >>> print_summary(Console(), study)  # doctest: +ELLIPSIS
        <BLANKLINE>
        study 'doc': complete 0 · failed 0 · stopped 0 · running 0 · queued 0
        ...
    """
    spec = study.spec
    console.print(f"\nstudy {study.name!r}: {counts_line(study.counts())}")
    if len(spec.objectives) > 1:
        front = study.pareto_front()
        console.print(f"Pareto front: {len(front)} trials (paramscope best --study {study.name})")
    elif (best := study.best) is not None:
        console.print(trial_card(best, spec, title="best trial"))
    else:
        console.print("no complete trial yet")
    flag = storage_flag(study.storage.url)
    console.print(f"storage: {describe_url(study.storage.url)}")
    console.print(f"next:    paramscope trials --study {study.name}{flag}", highlight=False)
    console.print(f"         paramscope best --study {study.name}{flag} --json", highlight=False)


@click.command("run", short_help="Create or resume a study from a TOML file and optimize it.")
@click.argument("study_file", metavar="STUDY.toml", type=click.Path(path_type=Path))
@click.option("--budget", type=int, help="Study-wide finished trials to reach [default: file's].")
@click.option("--workers", type=int, help="Local worker processes [default: file's, else 1].")
@storage_option
def run(study_file: Path, budget: int | None, workers: int | None, storage: str | None) -> None:
    """Create (or resume) the study a TOML file describes and optimize it.

    The whole file and its objective are checked before the database is opened; a study of the
    same name resumes if its space and objectives match. The database is --storage, else the
    file's storage, else $PARAMSCOPE_STORAGE, else sqlite:///paramscope.db.
    """
    spec = load_study_file(study_file)
    budget = positive("--budget", budget) or spec.budget
    if budget is None:
        raise ConfigError(
            f"{study_file}: study.budget: required; expected an integer > 0 (or pass --budget N)"
        )
    workers = positive("--workers", workers) or spec.workers
    url = resolve_url(storage or spec.storage)
    parse_url(url)
    fn = build_objective(
        spec.objective,
        study=spec.name,
        space=spec.space,
        first_objective=next(iter(spec.objectives)),
    )
    _check_sampler(spec.sampler)
    backend = open_storage(url)
    try:
        study = Study.create(
            spec.name,
            spec.space,
            objectives=dict(spec.objectives),
            constraints=dict(spec.constraints),
            storage=backend,
            sampler=spec.sampler,
            seed=spec.seed,
            objective_config=spec.objective,
            options=spec.options(budget),
            sampler_options=dict(spec.sampler_options),
        )
    except BaseException:
        backend.close()
        raise
    if study.spec.sampler != spec.sampler:
        click.echo(f"note: the stored study keeps its sampler {study.spec.sampler!r}")
    stored = describe(study.spec.options.stopping)
    if stored != describe(spec.stopping):
        click.echo(f"note: the stored study keeps its early stopping rule {stored}")
    try:
        optimize_and_report(study, fn, budget=budget, workers=workers)
    finally:
        study.close()


@click.command("worker", short_help="Join an existing study and run its objective.")
@study_option(required=True)
@storage_option
@click.option("--budget", type=int, help="Override the study's stored budget.")
@click.option("--workers", type=int, default=1, show_default=True, help="Local worker processes.")
def worker(study: str, storage: str | None, budget: int | None, workers: int) -> None:
    """Join an existing study: run its stored objective until its study-wide budget is reached.

    Start as many workers as you like, on this machine or others that reach the same database;
    they share the budget and never run a trial twice. A worker waits out a database restart
    and keeps a result it cannot write yet in $PARAMSCOPE_SPOOL_DIR (default
    ./.paramscope-spool) until the database is back.
    """
    budget = positive("--budget", budget)
    workers = positive("--workers", workers) or 1
    handle = load_study(storage, study)
    try:
        spec = handle.spec
        if spec.objective is None:
            raise ConfigError(
                f"study {study!r} has no stored objective (it was created from Python); a "
                "worker needs a study created by `paramscope run study.toml`"
            )
        budget = budget or spec.options.budget
        if budget is None:
            raise ConfigError(f"study {study!r} has no stored budget; pass --budget N")
        first = next(iter(spec.objectives))
        fn = build_objective(spec.objective, study=study, space=spec.space, first_objective=first)
        _check_sampler(spec.sampler)
        optimize_and_report(handle, fn, budget=budget, workers=workers)
    finally:
        handle.close()
