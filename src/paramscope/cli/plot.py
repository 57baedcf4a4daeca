"""CLI plot: ``paramscope plot KIND --study NAME --output FILE.html`` draws a study to a web page.

A thin layer over ``paramscope.plots``: it checks the options, reads the study (never creating a
database) and writes a self-contained HTML page (plotly.js embedded, so it opens offline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from paramscope.cli.common import load_study, storage_option, study_option
from paramscope.errors import ConfigError
from paramscope.plots import (
    plot_contour,
    plot_history,
    plot_importance,
    plot_intermediate_values,
    plot_parallel_coordinates,
    plot_pareto_front,
    plot_slice,
    save_html,
)
from paramscope.study import Study

KINDS = ("history", "parallel", "slice", "contour", "importance", "pareto", "intermediate")


def check_output(output: str) -> Path:
    """The ``--output`` page: an ``.html`` file in an existing folder.

    Example:
        >>> check_output("plot.png")
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: --output: expected a FILE.html path, got 'plot.png'
    """
    path = Path(output)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ConfigError(f"--output: expected a FILE.html path, got {output!r}")
    if not path.parent.is_dir():
        raise ConfigError(f"--output: expected a file in an existing folder, got {output!r}")
    return path


def check_axes(kind: str, x: str | None, y: str | None) -> None:
    """``--x`` and ``--y`` are both required for a contour, and only for it.

    Example:
        >>> check_axes("contour", "a", None)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: --y: expected a parameter name for a contour plot, got none
    """
    if kind == "contour":
        for option, value in (("--x", x), ("--y", y)):
            if value is None:
                raise ConfigError(
                    f"{option}: expected a parameter name for a contour plot, got none"
                )
    elif x is not None or y is not None:
        given = "--x" if x is not None else "--y"
        raise ConfigError(f"{given}: expected only with KIND 'contour', got KIND {kind!r}")


def draw(kind: str, study: Study, options: dict[str, Any]) -> Any:
    """The figure of ``kind`` for ``study`` (options: objective, x, y, max_points)."""
    objective, limit = options["objective"], options["max_points"]
    if kind == "pareto":
        if objective is not None:
            raise ConfigError(
                "--objective: expected none for a Pareto plot (it draws the study's "
                f"objectives), got {objective!r}"
            )
        return plot_pareto_front(study, max_points=limit)
    if kind == "intermediate":
        return plot_intermediate_values(study, max_points=limit)
    if kind == "contour":
        return plot_contour(
            study, options["x"], options["y"], objective=objective, max_points=limit
        )
    if kind == "importance":
        return plot_importance(study, objective=objective, max_points=limit)
    simple = {"history": plot_history, "parallel": plot_parallel_coordinates, "slice": plot_slice}
    return simple[kind](study, objective=objective, max_points=limit)


@click.command("plot", short_help="Draw a study (history, contour, Pareto front...) to HTML.")
@click.argument("kind", metavar="KIND", type=click.Choice(KINDS))
@study_option(required=True)
@storage_option
@click.option("--objective", metavar="NAME", help="Objective to draw (studies with several).")
@click.option("--x", "x", metavar="P", help="Contour: the parameter on the x axis.")
@click.option("--y", "y", metavar="P", help="Contour: the parameter on the y axis.")
@click.option(
    "--max-points", type=int, metavar="N", help="Draw at most N trials (improvements kept)."
)
@click.option("--output", "-o", metavar="FILE.html", required=True, help="Page to write.")
def plot_command(
    kind: str,
    study: str,
    storage: str | None,
    objective: str | None,
    x: str | None,
    y: str | None,
    max_points: int | None,
    output: str,
) -> None:
    """Draw KIND for a study and write it as a self-contained HTML page.

    \b
    KIND: history, parallel, slice, contour (with --x P --y P), importance,
          pareto (studies with 2 or 3 objectives), intermediate (reported values)
    """
    target = check_output(output)
    check_axes(kind, x, y)
    if max_points is not None and max_points < 2:
        raise ConfigError(f"--max-points: expected an integer >= 2, got {max_points}")
    handle = load_study(storage, study)
    try:
        options = {"objective": objective, "x": x, "y": y, "max_points": max_points}
        figure = draw(kind, handle, options)
    finally:
        handle.close()
    save_html(figure, target)
    click.echo(f"wrote {target} ({kind} of study {study!r})")
