"""CLI calibrate: ``paramscope calibrate study.toml --observed obs.csv --noise 0.1``.

The study file's ``[space]`` gives the parameters and its ``[objective]`` the simulator (a command
whose JSON result holds the outputs by name, or a Python function). Observations are a CSV file
(a header of output names over one row of values, or ``name,value`` rows, or one row or column of
bare numbers) or an NPY vector; ``--noise`` is a number or a file of the same form. Every input
is checked before the database is opened; the runs are recorded as the study
``<name>-calibrate``.
"""

from __future__ import annotations

import csv
import math
import warnings
from pathlib import Path
from typing import Any

import click
import numpy as np
from rich.console import Console
from rich.table import Table

from paramscope.analysis.calibration import CalibrationOptions, CalibrationResult, calibrate
from paramscope.analysis.calibration.observations import Observations
from paramscope.cli.common import describe_url, positive, storage_option
from paramscope.config import build_objective, load_study_file
from paramscope.errors import ConfigError
from paramscope.plots.posterior import corner_data, write_corner_html
from paramscope.storage.urls import parse_url, resolve_url

DEFAULT_BUDGET = 200


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{where}: expected a number, got {text.strip()!r}") from None


def _read_csv(path: Path, option: str) -> Any:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [
            [c.strip() for c in row] for row in csv.reader(handle) if any(c.strip() for c in row)
        ]
    if not rows:
        raise ConfigError(f"{option}: {path} holds no values")
    head = rows[0]
    if all(_is_number(c) for c in head):
        if len(rows) > 1 and len(head) > 1:
            raise ConfigError(
                f"{option}: {path} has {len(rows)} rows of {len(head)} numbers; expected one row "
                "or one column (or a header row of output names)"
            )
        return [_number(c, f"{option}: {path}") for row in rows for c in row]
    if [c.lower() for c in head] == ["name", "value"]:
        out: dict[str, float] = {}
        for k, row in enumerate(rows[1:], start=2):
            if len(row) != 2 or row[0] in out:
                raise ConfigError(
                    f"{option}: {path} line {k}: expected 'name,value' with a new name"
                )
            out[row[0]] = _number(row[1], f"{option}: {path} line {k}")
        return out
    if len(rows) != 2 or len(rows[1]) != len(head):
        raise ConfigError(
            f"{option}: {path}: expected a header of output names and one row of as many values, "
            f"got {len(rows) - 1} rows"
        )
    return {
        name: _number(v, f"{option}: {path} column {name!r}")
        for name, v in zip(head, rows[1], strict=True)
    }


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_values(path: Path, option: str) -> Any:
    """The values in a CSV or NPY file: a list (unnamed) or a dict (named outputs).

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "obs.csv"
        >>> _ = p.write_text("mean,var\\n2.5,16\\n")
        >>> read_values(p, "--observed")
        {'mean': 2.5, 'var': 16.0}
    """
    if not path.is_file():
        raise ConfigError(f"{option}: no such file {path}")
    suffix = path.suffix.lower()
    if suffix == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{option}: {path} is not a readable NPY array: {exc}") from None
        if array.ndim != 1:
            raise ConfigError(f"{option}: expected a 1-D array in {path}, got shape {array.shape}")
        return array.astype(float).tolist()
    if suffix in (".csv", ".txt"):
        try:
            return _read_csv(path, option)
        except UnicodeDecodeError:
            raise ConfigError(f"{option}: {path} is not UTF-8 text") from None
    raise ConfigError(f"{option}: expected a .csv or .npy file, got {path}")


def _noise(value: str) -> Any:
    if _is_number(value):
        return float(value)
    return read_values(Path(value), "--noise")


def _show(console: Console, result: CalibrationResult, obs: Observations) -> None:
    waves = Table(title="history matching", title_justify="left")
    for column in ("wave", "runs", "failed", "ruled out (cumulative)"):
        waves.add_column(column, justify="right")
    for w in result.waves:
        waves.add_row(str(w.index), str(w.runs), str(w.failed), f"{w.fraction_ruled_out:.1%}")
    console.print(waves)
    params = Table(title="posterior", title_justify="left")
    for column in ("parameter", "MAP", "mean", "sd", "90% interval"):
        params.add_column(column, justify="right")
    for name in result.samples.columns:
        low, high = result.interval(name, 0.9)
        draws = result.samples[name]
        params.add_row(
            name,
            f"{result.map[name]:.4g}",
            f"{draws.mean():.4g}",
            f"{draws.std():.3g}",
            f"[{low:.4g}, {high:.4g}]",
        )
    console.print(params)
    check = Table(title="posterior-predictive check", title_justify="left")
    for column in ("output", "observed", "noise", "predicted", "90% interval", "p"):
        check.add_column(column, justify="right")
    for item, sd in zip(result.predictive, obs.noise, strict=True):
        check.add_row(
            item.name,
            f"{item.observed:.4g}",
            f"{sd:.3g}",
            f"{item.predicted:.4g}",
            f"[{item.low:.4g}, {item.high:.4g}]",
            f"{item.p_value:.2f}",
        )
    console.print(check)
    for sentence in result.identifiability.sentences:
        console.print(sentence, highlight=False)
    if result.emulator_check is not None and result.emulator_check.runs:
        c = result.emulator_check
        console.print(
            f"emulator check: {c.runs} real runs at posterior draws, {c.coverage:.0%} within 2 "
            f"sd of the emulator, error {c.error_to_noise:.2f} x noise (then refit)",
            highlight=False,
        )
    for note in result.warnings:
        console.print(f"[yellow]warning:[/yellow] {note}", highlight=False)


@click.command("calibrate", short_help="Calibrate a study file's simulator against observations.")
@click.argument("study_file", metavar="STUDY.toml", type=click.Path(path_type=Path))
@click.option(
    "--observed",
    required=True,
    type=click.Path(path_type=Path),
    help="Observations: CSV (output names over one row, or name,value rows) or NPY.",
)
@click.option(
    "--noise",
    required=True,
    metavar="SD|FILE",
    help="Observation error standard deviation: a number, or a CSV/NPY with one per output.",
)
@click.option(
    "--budget", type=int, help=f"Simulator runs [default: the file's, else {DEFAULT_BUDGET}]."
)
@click.option("--seed", type=int, help="Seed [default: the file's study.seed].")
@click.option("--steps", type=int, help="MCMC steps per walker [default: 2000].")
@click.option("--plot", type=click.Path(path_type=Path), help="Write a corner plot (HTML) here.")
@click.option("--samples", type=click.Path(path_type=Path), help="Write the posterior draws (CSV).")
@storage_option
def calibrate_command(
    study_file: Path,
    observed: Path,
    noise: str,
    budget: int | None,
    seed: int | None,
    steps: int | None,
    plot: Path | None,
    samples: Path | None,
    storage: str | None,
) -> None:
    """Calibrate the simulator a study file describes against observations.

    History matching (waves of runs that rule out implausible parameters), then MCMC on a
    Gaussian-process emulator, checked by real runs at posterior draws. Each run is a trial of
    the study '<name>-calibrate' in --storage (else the file's, else $PARAMSCOPE_STORAGE, else
    sqlite:///paramscope.db).
    """
    spec = load_study_file(study_file)
    values, sd = read_values(observed, "--observed"), _noise(noise)
    budget = positive("--budget", budget) or spec.budget or DEFAULT_BUDGET
    options = CalibrationOptions(
        name=f"{spec.name}-calibrate", steps=positive("--steps", steps) or 2000
    )
    obs = Observations.build(values, sd, options.discrepancy)
    url = resolve_url(storage or spec.storage)
    parse_url(url)
    simulate = build_objective(
        spec.objective, study=options.name or spec.name, space=spec.space, first_objective="misfit"
    )
    seed = spec.seed if seed is None else seed
    with warnings.catch_warnings():  # the result's warnings are printed below, once
        warnings.simplefilter("ignore", RuntimeWarning)
        result = calibrate(
            simulate,
            spec.space,
            observed=values,
            noise=sd,
            budget=budget,
            seed=seed,
            storage=url,
            options=options,
        )
    console = Console()
    _show(console, result, obs)
    if samples is not None:
        result.samples.to_csv(samples, index=False)
        console.print(f"posterior draws: {samples}", highlight=False)
    if plot is not None:
        write_corner_html(corner_data(result.samples, map=result.map), plot)
        console.print(f"corner plot:     {plot}", highlight=False)
    console.print(
        f"runs:            {result.runs_used} ({result.runs_failed} failed), "
        f"study {result.study!r} in {describe_url(url)}",
        highlight=False,
    )
    if not math.isfinite(result.diagnostics.autocorr):
        console.print("note: the chain's autocorrelation time could not be estimated")
