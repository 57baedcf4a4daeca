"""Sensitivity analysis: which parameters matter, and how uncertain the output is.

``sensitivity(fn, space, budget=...)`` runs the function where it is needed and estimates Sobol
indices on a GP surrogate of it (the default, adaptive: runs go where the surrogate is unsure
until every interval is narrow enough), or directly by Saltelli sampling (``mode="direct"``), or
screens with Morris elementary effects (``method="morris"``). ``sensitivity(study)`` explains an
existing study's runs (functional ANOVA on its surrogate) without running anything.
"""

# ruff: noqa: N806  (matrix names X, U, Y follow the maths)

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from paramscope.analysis.sensitivity.design import (
    morris,
    salib_problem,
    saltelli,
    space_filling,
    to_unit,
)
from paramscope.analysis.sensitivity.options import SensitivityOptions
from paramscope.analysis.sensitivity.results import Estimate, MorrisResult, SobolResult
from paramscope.analysis.sensitivity.runs import Runs
from paramscope.analysis.sensitivity.summarize import Summary, summarize
from paramscope.analysis.sensitivity.surrogate import (
    Effort,
    fit_surrogate,
    most_informative,
    surrogate_indices,
)
from paramscope.errors import ConfigError
from paramscope.execution.objectives import Objective
from paramscope.execution.progress import ProgressMonitor
from paramscope.models.linalg import blas_threads
from paramscope.space import Space
from paramscope.study import Study, check_budget
from paramscope.trial import TrialState

_ROUND_EFFORT = Effort(n_base=1024, n_paths=128)


def sensitivity(
    target: Objective | Study,
    space: Space | None = None,
    *,
    method: str = "sobol",
    budget: int | None = None,
    seed: int | None = None,
    **options: Any,
) -> SobolResult | MorrisResult:
    """Which parameters matter: Sobol indices (default) or Morris screening, with intervals.

    Args:
        target: ``fn(params) -> float | dict`` to run, or a ``Study`` whose runs to explain.
        space: the parameters (and their input distributions); a study brings its own.
        method: ``"sobol"`` or ``"morris"``.
        budget: the most runs of ``fn`` to make (not for a study).
        seed: makes the designs and the surrogate's draws repeatable.
        **options: see ``SensitivityOptions`` (mode, second_order, tolerance, level, output,
            storage, workers, executor, progress, ...).

    Raises:
        ConfigError: a bad argument, or a budget too small for the method.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"a": ps.Float(0, 1), "b": ps.Float(0, 1)})
        >>> sens = ps.sensitivity(lambda p: p["a"] + 0.1 * p["b"], space, budget=30, seed=0)
        >>> sens.total["a"] > 0.9 > 0.1 > sens.total["b"]
        True
    """
    opts = SensitivityOptions.build(options)
    if method not in ("sobol", "morris"):
        raise ConfigError(f"sensitivity: method must be 'sobol' or 'morris', got {method!r}")
    if isinstance(target, Study):
        if budget:
            raise ConfigError(
                "sensitivity: budget must be omitted for a study (its runs are reused)"
            )
        if method != "sobol":
            raise ConfigError("sensitivity: a study's runs support method='sobol' only")
        return _from_study(target, opts, seed)
    if not callable(target):
        raise ConfigError(
            f"sensitivity: expected a function or a Study, got {type(target).__name__}"
        )
    if not isinstance(space, Space):
        raise ConfigError(f"sensitivity: space must be a ps.Space, got {space!r}")
    budget = check_budget(budget)
    with blas_threads(1):
        if method == "morris":
            return _morris(target, space, budget, seed, opts)
        if opts.mode == "direct":
            return _direct(target, space, budget, seed, opts)
        return _surrogate(target, space, budget, seed, opts)


def _runs(fn: Objective, space: Space, opts: SensitivityOptions) -> Runs:
    run_options = {"workers": opts.workers, "executor": opts.executor}
    return Runs(
        fn, space, output=opts.output or "value", storage=opts.storage, run_options=run_options
    )


def _too_small(method: str, budget: int, needed: int, d: int) -> ConfigError:
    return ConfigError(
        f"sensitivity: budget={budget} is too small for {method} with {d} parameters; "
        f"it needs at least {needed} runs"
    )


def _surrogate(
    fn: Objective, space: Space, budget: int, seed: int | None, opts: SensitivityOptions
) -> SobolResult:
    d = space.dim
    minimum = d + 3
    if budget < minimum:
        raise _too_small("a surrogate estimate", budget, minimum, d)
    initial = min(budget, opts.initial or max(minimum, min(10 * d, budget // 3)))
    batch = opts.batch or max(5, d, (budget - initial) // 10)
    rng = np.random.default_rng(seed)
    how = Summary(tuple(space.names), opts.second_order, opts.level, 0, "surrogate")
    rounds: list[tuple[int, float]] = []
    with (
        _runs(fn, space, opts) as runs,
        ProgressMonitor(runs.study.storage, runs.study.name, budget, enabled=opts.progress),
    ):
        runs.run(to_unit(space, space_filling(space, initial, seed=seed)))
        warm = None
        while True:
            X, y = runs.data()
            if X.shape[0] < minimum:
                raise ConfigError(
                    f"sensitivity: only {X.shape[0]} runs gave a finite {runs.output!r}; "
                    f"the surrogate needs {minimum} (see the failed trials' errors)"
                )
            model = fit_surrogate(
                space,
                X,
                y,
                seed=seed,
                warm=warm,
                deterministic=opts.deterministic,
                kernel=opts.kernel,
            )
            warm = model.hyper
            estimate = surrogate_indices(space, model, how, effort=_ROUND_EFFORT, rng=rng)
            rounds.append((X.shape[0], estimate.widest))
            left = budget - runs.complete
            if estimate.widest <= opts.tolerance or left <= 0:
                break
            runs.run(
                most_informative(space, model, min(batch, left), seed=int(rng.integers(2**31)))
            )
        effort = Effort(n_base=opts.n_base, n_paths=opts.n_paths)
        final = surrogate_indices(
            space, model, replace(how, runs=X.shape[0]), effort=effort, rng=rng
        )
    return replace(final, rounds=tuple(rounds))


def _direct(
    fn: Objective, space: Space, budget: int, seed: int | None, opts: SensitivityOptions
) -> SobolResult:
    d = space.dim
    step = 2 * d + 2 if opts.second_order else d + 2
    if budget < 2 * step:
        raise _too_small("direct Saltelli sampling", budget, 2 * step, d)
    n = 2 ** int(math.log2(budget // step))  # Sobol' sequences balance at powers of two
    with (
        _runs(fn, space, opts) as runs,
        ProgressMonitor(runs.study.storage, runs.study.name, n * step, enabled=opts.progress),
    ):
        Y = np.array(
            runs.run(
                to_unit(space, saltelli(space, n, second_order=opts.second_order, seed=seed)),
                exact=True,
            )
        )
    how = Summary(tuple(space.names), opts.second_order, opts.level, n * step, "direct")
    return summarize(Y[:, None], how, rng=np.random.default_rng(seed))


def _morris(
    fn: Objective, space: Space, budget: int, seed: int | None, opts: SensitivityOptions
) -> MorrisResult:
    from SALib.analyze import morris as morris_analyze

    d = space.dim
    trajectories = budget // (d + 1)
    if trajectories < 2:
        raise _too_small("Morris screening", budget, 2 * (d + 1), d)
    P = morris(space, trajectories, levels=opts.levels, seed=seed)
    with (
        _runs(fn, space, opts) as runs,
        ProgressMonitor(runs.study.storage, runs.study.name, P.shape[0], enabled=opts.progress),
    ):
        Y = np.array(runs.run(to_unit(space, P), exact=True))
    found = morris_analyze.analyze(
        salib_problem(space), P, Y, conf_level=opts.level, num_levels=opts.levels, seed=seed
    )
    names = tuple(space.names)
    mu_star = {
        n: Estimate(
            float(found["mu_star"][j]),
            float(found["mu_star"][j] - found["mu_star_conf"][j]),
            float(found["mu_star"][j] + found["mu_star_conf"][j]),
        )
        for j, n in enumerate(names)
    }
    mu = {n: float(found["mu"][j]) for j, n in enumerate(names)}
    sigma = {n: float(found["sigma"][j]) for j, n in enumerate(names)}
    return MorrisResult(names, mu_star, mu, sigma, opts.level, P.shape[0])


def _from_study(study: Study, opts: SensitivityOptions, seed: int | None) -> SobolResult:
    space = study.spec.space
    output = opts.output or next(iter(study.spec.objectives))
    rows = [
        (space.encode(t.params), t.values[output])
        for t in study.trials
        if t.state == TrialState.COMPLETE and math.isfinite(t.values.get(output, math.nan))
    ]
    if len(rows) < space.dim + 3:
        raise ConfigError(
            f"sensitivity: study {study.name!r} has {len(rows)} complete runs with a finite "
            f"{output!r}; explaining it needs at least {space.dim + 3}"
        )
    X = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows], dtype=float)
    with blas_threads(1):
        model = fit_surrogate(
            space, X, y, seed=seed, deterministic=opts.deterministic, kernel=opts.kernel
        )
        how = Summary(tuple(space.names), opts.second_order, opts.level, len(rows), "study")
        effort = Effort(n_base=opts.n_base, n_paths=opts.n_paths)
        return surrogate_indices(space, model, how, effort=effort, rng=np.random.default_rng(seed))


__all__ = ["MorrisResult", "SensitivityOptions", "SobolResult", "sensitivity"]
