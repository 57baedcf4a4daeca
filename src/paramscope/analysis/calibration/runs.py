"""Simulator runs: each run of the simulator is a trial of a study, failed ones with their reason.

Calibration chooses its own points (waves, posterior draws), so it queues each one and runs it
through the study's ask / tell: the trial records the parameters, the outputs by name and the
``misfit`` (sum of squared standardized residuals). A simulator that raises, returns the wrong
shape or a non-finite output gives a failed trial and calibration goes on. Without a storage the
study lives in an in-memory SQLite database (calibration runs them in this process).
"""

# ruff: noqa: N803  (matrix name U follows the maths)

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from paramscope.analysis.calibration.observations import Observations, output_record
from paramscope.errors import ParamscopeError
from paramscope.execution.live import LiveTrial
from paramscope.execution.loop import evaluate
from paramscope.execution.objectives import call_objective
from paramscope.space import FloatArray, Space
from paramscope.storage.base import Storage
from paramscope.study import Study
from paramscope.trial import Trial, TrialState

Simulator = Callable[..., Any]
"""``simulate(params)`` (or ``simulate(params, trial)``) -> a vector or a dict of named outputs."""


class CalibrationError(ParamscopeError, RuntimeError):
    """Calibration could not go on: too few runs completed, or no emulator could be fitted."""


def misfit_name(outputs: tuple[str, ...]) -> str:
    """The trial value that holds the misfit: ``misfit``, or ``misfit_`` ... if an output has it.

    Example:
        >>> misfit_name(("misfit", "y"))
        'misfit_'
    """
    name = "misfit"
    while name in outputs:
        name += "_"
    return name


@dataclass
class RunRecorder:
    """Runs the simulator at unit-cube points, records each run as a trial, keeps the outputs.

    Attributes:
        study: the study that records the runs.
        space: the calibrated space.
        obs: the observations (output names, how results are read).
        X: ``(n, d)`` unit-cube points of the complete runs.
        Y: ``(n, m)`` their outputs.
        failed: number of failed runs; ``errors`` keeps their reasons in order.
    """

    study: Study
    space: Space
    obs: Observations
    storage_url: str | None
    X: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    Y: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls, space: Space, obs: Observations, *, storage: str | Storage | None, name: str | None
    ) -> RunRecorder:
        """Create the study (in an in-memory database when ``storage`` is None)."""
        study = Study.create(
            name or f"calibrate-{datetime.now(UTC):%Y%m%d-%H%M%S-%f}",
            space,
            objectives={misfit_name(obs.names): "min"},
            storage=storage if storage is not None else "sqlite://",
            sampler="random",
            stopping="none",
        )
        recorder = cls(study, space, obs, storage if isinstance(storage, str) else None)
        recorder.X = np.zeros((0, space.dim))
        recorder.Y = np.zeros((0, obs.size))
        return recorder

    @property
    def runs(self) -> int:
        """Runs so far, complete and failed."""
        return int(self.X.shape[0]) + self.failed

    def run(self, simulate: Simulator, U: FloatArray) -> int:
        """Run ``simulate`` at each of ``U: (k, d)``; return how many completed."""
        spec = self.study.spec
        objective = next(iter(spec.objectives))
        captured: list[FloatArray] = []

        def checked(params: dict[str, Any], live: LiveTrial) -> dict[str, float]:
            y = self.obs.read(call_objective(simulate, params, live))
            captured.append(y)
            return {objective: self.obs.misfit(y), **output_record(self.obs.names, y)}

        done = 0
        for u in np.atleast_2d(U):
            captured.clear()
            self.study.enqueue(self.space.decode(u))
            trial = self.study.ask()
            outcome = evaluate(checked, trial, self.study.storage, spec, None)
            if outcome.state == TrialState.FAILED or not captured:
                self.study.tell(trial, error=outcome.error or "no result")
                self.failed += 1
                self.errors.append(outcome.error or "no result")
                continue
            self.study.tell(trial, dict(outcome.values))
            self.X = np.vstack([self.X, self.space.encode(trial.params)])
            self.Y = np.vstack([self.Y, captured[0]])
            done += 1
        return done

    def trials(self) -> tuple[Trial, ...]:
        """Every run's trial, in number order."""
        return tuple(self.study.trials)

    def close(self) -> None:
        self.study.close()
