"""One-call optimization: ``minimize`` and ``maximize`` over a throwaway or a given storage."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from paramscope.execution.objectives import Objective
from paramscope.space import Space
from paramscope.storage.base import Direction
from paramscope.study import Study, check_budget
from paramscope.trial import Trial


@dataclass(frozen=True)
class OptimizeResult:
    """What ``minimize``/``maximize`` found: every trial, and the best feasible one."""

    trials: tuple[Trial, ...]
    best: Trial | None
    study: str
    storage: str | None

    def __repr__(self) -> str:
        best = "none" if self.best is None else f"{self.best.value} at {dict(self.best.params)}"
        return f"OptimizeResult(trials={len(self.trials)}, best={best})"


def _optimize(
    fn: Objective, space: Space, budget: int, direction: Direction, options: dict[str, Any]
) -> OptimizeResult:
    check_budget(budget)
    storage = options.pop("storage", None)
    name = options.pop("name", None) or f"{direction}imize-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}"
    run = {
        k: options.pop(k) for k in ("workers", "timeout", "executor", "progress") if k in options
    }
    tmp = None if storage is not None else tempfile.mkdtemp(prefix="paramscope-")
    try:
        url = storage if storage is not None else f"sqlite:///{tmp}/trials.db"
        study = Study.create(name, space, objectives=direction, storage=url, **options)
        study.optimize(fn, budget, **run)
        trials = tuple(study.trials)
        best = study.best
        study.close()
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return OptimizeResult(trials=trials, best=best, study=name, storage=storage)


def minimize(
    fn: Objective,
    space: Space,
    budget: int,
    *,
    seed: int | None = None,
    sampler: str = "bayes",
    constraints: Mapping[str, Any] | None = None,
    storage: str | None = None,
    name: str | None = None,
    workers: int = 1,
    **run: Any,
) -> OptimizeResult:
    """Minimize ``fn`` over ``space`` with ``budget`` complete trials; trials stay in memory
    (a temporary database) unless ``storage=`` names one.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(-2.0, 2.0)})
        >>> r = ps.minimize(lambda p: (p["x"] - 1) ** 2, space, budget=8, seed=0, sampler="sobol")
        >>> len(r.trials)
        8
    """
    options = dict(
        seed=seed,
        sampler=sampler,
        constraints=constraints,
        storage=storage,
        name=name,
        workers=workers,
        **run,
    )
    return _optimize(fn, space, budget, "min", options)


def maximize(fn: Objective, space: Space, budget: int, **options: Any) -> OptimizeResult:
    """Maximize ``fn`` over ``space``; takes the same keyword arguments as ``minimize``.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(-2.0, 2.0)})
        >>> ps.maximize(lambda p: -p["x"] ** 2, space, budget=4, sampler="random").best is not None
        True
    """
    return _optimize(fn, space, budget, "max", dict(options))
