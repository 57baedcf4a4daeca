"""Study: create / load / ask / tell / enqueue / optimize. Wiring only: no maths, no SQL.

The storage holds the truth (trials, numbers, the budget); the sampler proposes; the executor runs
worker loops. A ``Study`` object is a thin handle that any number of processes may hold at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from paramscope.errors import ConfigError, TrialStateError
from paramscope.execution.dask import DaskExecutor, is_dask_target
from paramscope.execution.executors import make_executor
from paramscope.execution.loop import Heartbeat, RunPlan, WorkerLoop, worker_name
from paramscope.execution.objectives import Objective
from paramscope.execution.outcome import failed, from_result
from paramscope.execution.progress import ProgressMonitor
from paramscope.ranking import best_trial, front_hypervolume, hypervolume_history, pareto_front
from paramscope.samplers import SAMPLERS, make_sampler
from paramscope.space import Space
from paramscope.stopping import StoppingRule, rule_config
from paramscope.storage import open_storage
from paramscope.storage.base import Direction, Storage, StudyOptions, StudySpec
from paramscope.trial import Trial, TrialState

if TYPE_CHECKING:
    import pandas as pd


def parse_objectives(objectives: str | Mapping[str, str]) -> dict[str, Direction]:
    """``"min"`` → ``{"value": "min"}``; a dict of name → "min"/"max" is checked and kept."""
    if isinstance(objectives, str):
        objectives = {"value": objectives}
    if not isinstance(objectives, Mapping) or not objectives:
        raise ConfigError(
            f"objectives: expected 'min', 'max' or {{name: 'min'|'max'}}, got {objectives!r}"
        )
    out: dict[str, Direction] = {}
    for name, direction in objectives.items():
        if direction not in ("min", "max"):
            raise ConfigError(f"objectives.{name}: expected 'min' or 'max', got {direction!r}")
        out[str(name)] = "min" if direction == "min" else "max"
    return out


def parse_constraints(
    constraints: Mapping[str, Any] | None, objectives: Mapping[str, str]
) -> dict[str, tuple[Any, float]]:
    """Check ``{name: ("<=" | ">=", bound)}``; a constraint may not share an objective's name."""
    out: dict[str, tuple[Any, float]] = {}
    for name, rule in (constraints or {}).items():
        form = '("<=" or ">=", a finite number)'
        if not isinstance(rule, list | tuple) or len(rule) != 2 or rule[0] not in ("<=", ">="):
            raise ConfigError(f"constraints.{name}: expected {form}, got {rule!r}")
        bound = rule[1]
        if (
            isinstance(bound, bool)
            or not isinstance(bound, int | float)
            or not math.isfinite(bound)
        ):
            raise ConfigError(f"constraints.{name}: expected {form}, got {rule!r}")
        if name in objectives:
            raise ConfigError(f"constraints.{name}: the name is already an objective")
        out[str(name)] = (rule[0], float(bound))
    return out


def check_budget(budget: Any, field: str = "budget") -> int:
    if isinstance(budget, bool) or not isinstance(budget, int) or budget <= 0:
        raise ConfigError(f"{field}: expected an integer > 0, got {budget!r}")
    return budget


def _check_run_args(workers: Any, timeout: Any) -> None:
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"workers: expected an integer >= 1, got {workers!r}")
    if timeout is not None and (not isinstance(timeout, int | float) or not timeout > 0):
        raise ConfigError(f"timeout: expected a number of seconds > 0 or None, got {timeout!r}")


def is_in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (url.rstrip("/") == "sqlite:" or ":memory:" in url)


class Study:
    """A named set of trials in a storage, and the way to add more.

    Example:
        >>> import paramscope as ps
        >>> space = ps.Space({"x": ps.Float(-2.0, 2.0)})
        >>> study = ps.Study.create("doc", space, storage="sqlite://", sampler="random", seed=0)
        >>> study.optimize(lambda p: p["x"] ** 2, budget=5)
        >>> len(study.trials)
        5
    """

    def __init__(self, storage: Storage, spec: StudySpec) -> None:
        self.storage = storage
        self.spec = spec
        self._sampler = make_sampler(spec.sampler, spec.sampler_options)
        self._asked: Heartbeat | None = None
        self._ask_loop: WorkerLoop | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self.spec.name

    @classmethod
    def create(
        cls,
        name: str,
        space: Space,
        *,
        objectives: str | Mapping[str, str] = "min",
        constraints: Mapping[str, Any] | None = None,
        storage: str | Storage | None = None,
        sampler: str = "bayes",
        seed: int | None = None,
        objective_config: Mapping[str, Any] | None = None,
        options: StudyOptions | None = None,
        stopping: str | Mapping[str, Any] | StoppingRule | None = None,
        sampler_options: Mapping[str, Any] | None = None,
    ) -> Study:
        """Create a study, or resume the one of that name if its space and objectives match.

        ``sampler_options`` are the sampler's settings, stored with the study so every worker
        uses them: for ``bayes``, ``deterministic=True`` (the objective returns the same value
        for the same parameters: the GP interpolates instead of inferring noise), ``n_init``,
        ``acquisition`` ("ei" or "ucb") and ``ucb_beta``.

        ``stopping`` is the early-stopping rule for objectives that report: "asha" (the
        default), "hyperband", "median", "none", a table like ``{"rule": "asha",
        "reduction_factor": 4}`` or a rule object (``paramscope.stopping.ASHA(...)``). It is
        stored with the study (``options.stopping``), so every worker applies the same rule; a
        resumed study keeps its stored rule.
        """
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"name: expected a non-empty string, got {name!r}")
        if not isinstance(space, Space):
            raise ConfigError(f"space: expected ps.Space({{...}}), got {type(space).__name__}")
        if sampler not in SAMPLERS:
            raise ConfigError(f"sampler: expected one of {sorted(SAMPLERS)}, got {sampler!r}")
        if sampler_options is not None and not isinstance(sampler_options, Mapping):
            raise ConfigError(f"sampler_options: expected a dict, got {sampler_options!r}")
        make_sampler(sampler, sampler_options)  # validates the options before anything is written
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ConfigError(f"seed: expected an integer or None, got {seed!r}")
        directions = parse_objectives(objectives)
        options = options or StudyOptions()
        chosen = options.stopping if stopping is None else stopping
        options = replace(options, stopping=rule_config(chosen))
        spec = StudySpec(
            name=name,
            space=space,
            objectives=directions,
            constraints=parse_constraints(constraints, directions),
            sampler=sampler,
            seed=seed,
            objective=objective_config,
            options=options,
            sampler_options=sampler_options or {},
        )
        backend = _open(storage)
        return cls(backend, backend.create_study(spec))

    @classmethod
    def load(cls, name: str, *, storage: str | Storage | None = None) -> Study:
        """Open an existing study; the error lists the studies the storage holds."""
        backend = _open(storage)
        return cls(backend, backend.load_study(name))

    # ask / tell ---------------------------------------------------------------------------
    def ask(self) -> Trial:
        """Start a trial (an enqueued one first) for a loop the caller drives; tell it later."""
        if self._ask_loop is None:  # kept, so its history cache reads only what changed
            self._ask_loop = WorkerLoop(self.storage, self.spec, self._sampler)
        result = self._ask_loop.ask(None)
        if result.trial is None:  # pragma: no cover - without a budget the storage always claims
            raise TrialStateError(f"could not start a trial: {result.status}")
        self._heartbeat().watch(result.trial.number)
        return result.trial

    def tell(
        self,
        trial: Trial | int,
        value: float | Mapping[str, Any] | None = None,
        *,
        error: str | None = None,
    ) -> Trial:
        """Record a trial's result (a number or a dict), or ``error=`` to record it failed."""
        number = trial.number if isinstance(trial, Trial) else trial
        if (value is None) == (error is None):
            raise ConfigError("tell: give exactly one of value or error=")
        outcome = failed(str(error)) if error is not None else from_result(value, self.spec)
        try:
            return self.storage.tell(self.name, number, outcome)
        finally:
            if self._asked is not None:
                self._asked.unwatch(number)

    def enqueue(self, params: Mapping[str, Any]) -> Trial:
        """Queue params to run before the sampler's own proposals (e.g. a known good default)."""
        return self.storage.enqueue(self.name, self.spec.space.validate(params))

    def _heartbeat(self) -> Heartbeat:
        with self._lock:
            if self._asked is None:
                interval = self.spec.options.heartbeat_interval
                self._asked = Heartbeat(self.storage, self.name, interval).__enter__()
            return self._asked

    # optimize -----------------------------------------------------------------------------
    def optimize(
        self,
        fn: Objective,
        budget: int,
        *,
        workers: int = 1,
        timeout: float | None = None,
        executor: Any = "processes",
        progress: bool = False,
        max_failures: int | None = None,
    ) -> None:
        """Run ``fn`` until the study has ``budget`` finished trials in all (resumes count).

        Args:
            fn: ``fn(params) -> float | dict`` or ``fn(params, trial)`` to report and stop early.
            budget: the study-wide number of complete (or stopped) trials to reach.
            workers: worker loops to run at once.
            timeout: seconds after which no new trial starts.
            executor: "processes" (default), "threads", "inline", or Dask: a
                ``distributed.Client`` or ``"dask://host:port"`` (the sampler runs here, the
                trials on the cluster, as many at once as it has threads, or ``workers``).
            progress: draw a progress bar.
            max_failures: failed trials in this run that end it (default: ``budget``).
        """
        check_budget(budget)
        _check_run_args(workers, timeout)
        if executor == "processes" and is_in_memory(self.storage.url):
            executor = "threads"  # an in-memory database cannot be shared between processes
        runner = make_executor(executor, workers)
        self.spec = self.storage.set_options(self.name, replace(self.spec.options, budget=budget))
        plan = RunPlan(
            budget=budget,
            deadline=time.time() + timeout if timeout else None,
            max_failures=budget if max_failures is None else max_failures,
            failed_before=self.storage.counts(self.name)[TrialState.FAILED],
        )
        stop = threading.Event()
        dask = is_dask_target(executor)
        shared = dask or executor != "processes" or workers == 1

        def work(index: int) -> None:
            storage = self.storage if shared else open_storage(self.storage.url)
            sampler = (
                self._sampler
                if shared and (workers == 1 or dask)
                else make_sampler(self.spec.sampler, self.spec.sampler_options)
            )
            loop = WorkerLoop(storage, self.spec, sampler, worker=worker_name(index))
            try:
                if isinstance(runner, DaskExecutor):
                    runner.drive(loop, fn, plan, stop)
                else:
                    loop.run(fn, plan, stop=stop)
            except BaseException:
                stop.set()
                raise

        with ProgressMonitor(self.storage, self.name, budget, enabled=progress):
            runner.run(work, workers)

    # reading ------------------------------------------------------------------------------
    @property
    def trials(self) -> list[Trial]:
        """All trials in number order."""
        return self.storage.trials(self.name)

    def counts(self) -> dict[TrialState, int]:
        return self.storage.counts(self.name)

    @property
    def best(self) -> Trial | None:
        """The complete, feasible trial with the best objective (single-objective studies)."""
        if len(self.spec.objectives) > 1:
            raise ConfigError(
                f"best: this study has objectives {list(self.spec.objectives)}; "
                "use pareto_front() for the trade-offs"
            )
        return best_trial(self.trials, self.spec.objectives, self.spec.constraints)

    def pareto_front(self) -> list[Trial]:
        """The feasible trials no other feasible trial dominates on every objective."""
        return pareto_front(self.trials, self.spec.objectives, self.spec.constraints)

    def hypervolume(self, reference: Mapping[str, float] | Sequence[float] | None = None) -> float:
        """Hypervolume of the feasible Pareto front (0.0 before any feasible trial).

        Args:
            reference: the worst value of each objective that still counts, ``{name: value}`` or
                in objective order (for a "max" objective, a lower bound); default: the front's
                nadir plus 10% of its range, which moves as the front grows, so pass a fixed one
                to compare studies.

        Example:
            >>> import paramscope as ps
            >>> space = ps.Space({"x": ps.Float(0.0, 1.0)})
            >>> study = ps.Study.create("hv", space, objectives={"a": "min", "b": "min"},
            ...                         storage="sqlite://", sampler="random", seed=0)
            >>> study.optimize(lambda p: {"a": p["x"], "b": 1 - p["x"]}, budget=10)
            >>> 0.4 < study.hypervolume(reference=(1.0, 1.0)) < 0.5
            True
        """
        return front_hypervolume(
            self.trials, self.spec.objectives, self.spec.constraints, reference=reference
        )

    def hypervolume_history(
        self, reference: Mapping[str, float] | Sequence[float] | None = None
    ) -> list[float]:
        """The hypervolume after each finished trial, in trial-number order (see ``hypervolume``).

        One value per complete, stopped or failed trial; the default reference is the one
        ``hypervolume()`` uses now, held fixed, so the history never decreases.

        Example:
            >>> import paramscope as ps
            >>> space = ps.Space({"x": ps.Float(0.0, 1.0)})
            >>> study = ps.Study.create("hvh", space, objectives={"a": "min", "b": "max"},
            ...                         storage="sqlite://", sampler="random", seed=0)
            >>> study.optimize(lambda p: {"a": p["x"], "b": p["x"] ** 0.5}, budget=6)
            >>> history = study.hypervolume_history(reference={"a": 1.0, "b": 0.0})
            >>> len(history), history == sorted(history), history[-1] == study.hypervolume((1, 0))
            (6, True, True)
        """
        return hypervolume_history(
            self.trials, self.spec.objectives, self.spec.constraints, reference=reference
        )

    def to_pandas(self) -> pd.DataFrame:
        """One row per trial: number, state, ``params.<name>``, ``values.<name>``, times, error."""
        from paramscope.export import trials_frame

        return trials_frame(self.trials, self.spec)

    def close(self) -> None:
        if self._asked is not None:
            self._asked.__exit__(None, None, None)
            self._asked = None
        self.storage.close()

    def __repr__(self) -> str:
        return f"Study({self.name!r}, storage={self.storage.url!r})"


def _open(storage: str | Storage | None) -> Storage:
    if storage is None or isinstance(storage, str):
        return open_storage(storage)
    return storage
