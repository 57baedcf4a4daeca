"""Runs of the analysed function, through a study: each run is a stored trial, a failure is data.

Sensitivity chooses its own points (designs, then where the surrogate is unsure), so it queues them
on a study whose sampler is ``sobol`` and lets ``Study.optimize`` run them with the usual workers,
executors and failure handling. Without a storage the study lives in a temporary SQLite file, as
``ps.minimize`` does.
"""

# ruff: noqa: N803, N806  (matrix names X, U follow the maths)

from __future__ import annotations

import math
import shutil
import tempfile
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import numpy as np

from paramscope.errors import ObjectiveError
from paramscope.execution.objectives import Objective
from paramscope.space import FloatArray, Space
from paramscope.study import Study
from paramscope.trial import TrialState


class Runs:
    """The function's runs so far; ``run(U)`` adds runs at unit-cube points ``U: (m, d)``."""

    def __init__(
        self,
        fn: Objective,
        space: Space,
        *,
        output: str,
        storage: str | None,
        run_options: dict[str, Any],
    ) -> None:
        self._tmp = None if storage is not None else tempfile.mkdtemp(prefix="paramscope-")
        url = storage if storage is not None else f"sqlite:///{self._tmp}/runs.db"
        name = f"sensitivity-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}"
        self.study = Study.create(
            name, space, objectives={output: "min"}, storage=url, sampler="sobol"
        )
        self.fn, self.space, self.output = fn, space, output
        self.run_options = run_options

    def __enter__(self) -> Runs:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.study.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    @property
    def complete(self) -> int:
        return self.study.counts()[TrialState.COMPLETE]

    def run(self, U: FloatArray, *, exact: bool = False) -> list[float]:
        """Run the function at ``U`` and return the outputs in row order.

        With ``exact`` (a design whose rows must all succeed, e.g. Saltelli's), the first failed
        or non-finite run raises ``ObjectiveError`` with its parameters and reason; otherwise
        failures stay failed trials and are replaced by space-filling points.
        """
        numbers = [self.study.enqueue(self.space.decode(u)).number for u in U]
        options = dict(self.run_options)
        if exact:
            options["max_failures"] = 1
        self.study.optimize(self.fn, self.complete + len(numbers), **options)
        by_number = {t.number: t for t in self.study.trials}
        out = []
        for number in numbers:
            trial = by_number[number]
            value = trial.values.get(self.output, math.nan)
            if trial.state == TrialState.COMPLETE and math.isfinite(value):
                out.append(value)
            elif exact:
                reason = trial.error or f"output {self.output!r} was {value!r}"
                raise ObjectiveError(
                    f"sensitivity: the run at {dict(trial.params)} gave no finite output "
                    f"({reason}); direct estimates need every run of the design"
                )
            else:
                out.append(math.nan)
        return out

    def data(self) -> tuple[FloatArray, FloatArray]:
        """Unit-cube points ``(n, d)`` and finite outputs ``(n,)`` of every complete run."""
        rows = [
            (self.space.encode(t.params), t.values[self.output])
            for t in self.study.trials
            if t.state == TrialState.COMPLETE and math.isfinite(t.values.get(self.output, math.nan))
        ]
        X = np.array([r[0] for r in rows]).reshape(len(rows), self.space.dim)
        return X, np.array([r[1] for r in rows], dtype=float)
