"""CLI inspect: ``status``, ``best`` and ``trials``, read-only views of the database of runs.

None of these commands writes: on a SQLite file that does not exist they say so and leave no
file behind.
"""

from __future__ import annotations

import click
from rich.console import Console

from paramscope.cli.common import (
    CommandError,
    describe_url,
    load_study,
    open_if_exists,
    storage_option,
    study_option,
)
from paramscope.cli.render import (
    counts_line,
    fmt,
    running_table,
    studies_table,
    to_json,
    trial_card,
    trials_csv,
    trials_table,
)
from paramscope.stopping import describe
from paramscope.storage.urls import resolve_url
from paramscope.study import Study
from paramscope.trial import TrialState

_STATES = [str(state) for state in TrialState]


@click.command("status", short_help="Show all studies, or one study's progress.")
@study_option(required=False)
@storage_option
def status(study: str | None, storage: str | None) -> None:
    """Show all studies in the database, or one study's progress with --study."""
    if study is not None:
        handle = load_study(storage, study)
        try:
            _study_status(Console(), handle)
        finally:
            handle.close()
        return
    console = Console()
    backend = open_if_exists(storage)
    where = describe_url(resolve_url(storage))
    if backend is None:
        console.print(f"no studies: {where} does not exist yet (try `paramscope demo`)")
        return
    try:
        summaries = backend.list_studies()
    finally:
        backend.close()
    if not summaries:
        console.print(f"no studies in {where}")
        return
    console.print(studies_table(summaries))
    console.print(f"storage: {where}")


def _study_status(console: Console, study: Study) -> None:
    spec = study.spec
    counts = study.counts()
    finished = counts[TrialState.COMPLETE] + counts[TrialState.STOPPED]
    budget = spec.options.budget
    objectives = ", ".join(f"{name} ({direction})" for name, direction in spec.objectives.items())
    console.print(f"[bold]study {study.name!r}[/bold]  objectives: {objectives}")
    console.print(f"sampler: {spec.sampler}   seed: {fmt(spec.seed) or 'none'}")
    console.print(f"early stopping: {describe(spec.options.stopping)}", highlight=False)
    progress = f"{finished} / {budget}" if budget else f"{finished} (no budget stored)"
    console.print(f"finished: {progress}   {counts_line(counts)}")
    if len(spec.objectives) > 1:
        console.print(f"Pareto front: {len(study.pareto_front())} trials")
    elif (best := study.best) is not None:
        console.print(trial_card(best, spec, title="best trial"))
    running = study.storage.trials(study.name, states=[TrialState.RUNNING])
    if running:
        console.print(running_table(running))
    console.print(f"storage: {describe_url(study.storage.url)}")


@click.command("best", short_help="Show a study's best trial.")
@study_option(required=True)
@storage_option
@click.option("--json", "as_json", is_flag=True, help="Print the trial as one JSON object.")
def best(study: str, storage: str | None, as_json: bool) -> None:
    """Show the best complete, feasible trial (the Pareto front for several objectives)."""
    handle = load_study(storage, study)
    try:
        spec = handle.spec
        if len(spec.objectives) > 1:
            front = handle.pareto_front()
            if as_json:
                click.echo(to_json([trial.to_dict() for trial in front]))
            else:
                Console().print(trials_table(front, spec, title="Pareto front"))
            return
        trial = handle.best
        if trial is None:
            raise CommandError(
                f"study {study!r} has no complete trial yet ({counts_line(handle.counts())})"
            )
        if as_json:
            click.echo(to_json(trial.to_dict()))
        else:
            Console().print(trial_card(trial, spec, title=f"best trial of {study!r}"))
    finally:
        handle.close()


@click.command("trials", short_help="List a study's trials (table, CSV or JSON).")
@study_option(required=True)
@storage_option
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="table for people; csv or json for programs.",
)
@click.option("--state", type=click.Choice(_STATES), help="Only trials in this state.")
def trials(study: str, storage: str | None, output: str, state: str | None) -> None:
    """List a study's trials in number order."""
    handle = load_study(storage, study)
    try:
        states = None if state is None else [TrialState(state)]
        rows = handle.storage.trials(study, states=states)
        if output == "json":
            click.echo(to_json([trial.to_dict() for trial in rows]))
        elif output == "csv":
            click.echo(trials_csv(rows, handle.spec), nl=False)
        else:
            title = f"{len(rows)} {state or ''} trials of {study!r}".replace("  ", " ")
            Console().print(trials_table(rows, handle.spec, title=title))
    finally:
        handle.close()
