"""CLI sensitivity: ``paramscope sensitivity STUDY.toml`` runs the study file's objective where a
sensitivity analysis needs it; ``paramscope sensitivity --study NAME`` explains an existing study's
runs (which parameters drove its results) without running anything.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from paramscope.analysis.sensitivity import MorrisResult, SobolResult, sensitivity
from paramscope.cli.common import load_study, positive, storage_option
from paramscope.config import build_objective, load_study_file
from paramscope.errors import ConfigError


def _table(result: SobolResult | MorrisResult) -> Table:
    level = f"{result.level:.0%}"
    if isinstance(result, MorrisResult):
        table = Table("parameter", "mu*", f"{level} interval", "mu", "sigma")
        for n in sorted(result.names, key=lambda n: -result.mu_star[n].value):
            e = result.mu_star[n]
            table.add_row(
                n,
                f"{e.value:.4g}",
                f"[{e.low:.4g}, {e.high:.4g}]",
                f"{result.mu[n]:.4g}",
                f"{result.sigma[n]:.4g}",
            )
        return table
    table = Table("parameter", "first order", f"{level} interval", "total", f"{level} interval")
    for n in sorted(result.names, key=lambda n: -result.total[n]):
        s1, st = result.first[n], result.total_[n]
        table.add_row(
            n,
            f"{s1.value:.3f}",
            f"[{s1.low:.3f}, {s1.high:.3f}]",
            f"{st.value:.3f}",
            f"[{st.low:.3f}, {st.high:.3f}]",
        )
    return table


def _run_file(
    study_file: Path, options: dict[str, Any], storage: str | None
) -> SobolResult | MorrisResult:
    spec = load_study_file(study_file)
    budget = options.pop("budget") or spec.budget
    if budget is None:
        raise ConfigError(
            f"{study_file}: study.budget: required; expected an integer > 0 (or pass --budget N)"
        )
    output = next(iter(spec.objectives))
    fn = build_objective(
        spec.objective, study=f"{spec.name}-sensitivity", space=spec.space, first_objective=output
    )
    workers = options.pop("workers") or spec.workers
    seed = options.pop("seed")
    return sensitivity(
        fn,
        spec.space,
        budget=budget,
        seed=spec.seed if seed is None else seed,
        output=output,
        storage=storage or spec.storage,
        workers=workers,
        executor="processes" if workers > 1 else "threads",
        progress=True,
        **options,
    )


@click.command(
    "sensitivity", short_help="Which parameters matter: Sobol indices or Morris screening."
)
@click.argument(
    "study_file", metavar="[STUDY.toml]", required=False, type=click.Path(path_type=Path)
)
@click.option(
    "--study", "study_name", help="Explain this existing study's runs instead (no new runs)."
)
@click.option(
    "--method", type=click.Choice(["sobol", "morris"]), default="sobol", show_default=True
)
@click.option(
    "--mode",
    type=click.Choice(["surrogate", "direct"]),
    default="surrogate",
    show_default=True,
    help="Indices on a GP surrogate (few runs) or by direct Saltelli sampling.",
)
@click.option("--budget", type=int, help="Most runs of the objective [default: the file's budget].")
@click.option("--workers", type=int, help="Runs at once [default: the file's workers].")
@click.option("--seed", type=int, help="Seed of the designs and the surrogate's draws.")
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Write the bar chart to this HTML file.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the indices as JSON.")
@storage_option
def sensitivity_command(
    study_file: Path | None,
    study_name: str | None,
    method: str,
    mode: str,
    budget: int | None,
    workers: int | None,
    seed: int | None,
    plot_path: Path | None,
    as_json: bool,
    storage: str | None,
) -> None:
    """Which parameters matter, with intervals that include the surrogate's own uncertainty.

    \b
    paramscope sensitivity study.toml --budget 200        # run the objective, Sobol on a GP
    paramscope sensitivity study.toml --method morris     # screen many parameters cheaply
    paramscope sensitivity --study NAME                   # explain an optimization study's runs
    """
    if (study_file is None) == (study_name is None):
        raise ConfigError("sensitivity: give either STUDY.toml or --study NAME (not both)")
    if study_name is not None:
        if budget is not None or method != "sobol" or mode != "surrogate":
            raise ConfigError(
                "sensitivity --study: reuses the study's runs; "
                "--budget, --method and --mode do not apply"
            )
        study = load_study(storage, study_name)
        try:
            result: SobolResult | MorrisResult = sensitivity(study, seed=seed)
        finally:
            study.close()
    else:
        assert study_file is not None
        options = {
            "budget": positive("--budget", budget),
            "workers": positive("--workers", workers),
            "seed": seed,
            "method": method,
        }
        if method == "sobol":
            options["mode"] = mode
        result = _run_file(study_file, options, storage)
    if plot_path is not None:
        from paramscope.plots.sensitivity import render_sensitivity

        render_sensitivity(result).write_html(str(plot_path), include_plotlyjs=True)
    if as_json:
        click.echo(json.dumps(result.to_pandas().reset_index().to_dict(orient="records"), indent=2))
        return
    console = Console()
    console.print(_table(result))
    console.print(f"{result.runs} runs" + (f"; plot: {plot_path}" if plot_path else ""))
