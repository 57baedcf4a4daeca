"""Dashboard service: what the web API asks of the database of runs, cached per study state.

One ``SQLStorage`` serves the study catalog, single trials with their reports and the optional
writes; one ``TrialBrowser`` serves paged trials, changes since a cursor and the numeric columns
the plots are built from. The columns of a study and the figures built from them are cached
under the study's cursor, which changes exactly when a trial does: opening a study page reads
its 100,000 objective values once, not once per plot.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from paramscope.dashboard import figures
from paramscope.plots import StudyView, plot_history, plot_intermediate_values, plot_pareto_front
from paramscope.storage import SQLStorage
from paramscope.storage.base import Outcome, StudySpec
from paramscope.storage.browse import Changes, Cursor, Key, PageQuery, TrialBrowser, TrialPage
from paramscope.trial import Trial, TrialState

ERROR_TAIL = 40
"""Lines of a failed trial's error text the trial page shows."""


@dataclass(frozen=True)
class Snapshot:
    """A study's complete-trial columns as of one cursor, and what was derived from them."""

    cursor: str
    columns: figures.Columns
    derived: dict[str, Any]


def trial_json(trial: Trial, spec: StudySpec, *, full: bool = False) -> dict[str, Any]:
    """A trial as the API sends it: a table row, or (``full``) with reports and the error tail.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0.0, 1.0)}))
        >>> t = Trial(number=3, params={"x": 0.5}, state="failed", error="boom\\nline 2")
        >>> trial_json(t, spec)["error"]
        'line 2'
    """
    out = trial.to_dict()
    out.pop("reports")
    out["value"] = trial.value if trial.state == TrialState.COMPLETE else None
    lines = (trial.error or "").strip().splitlines()
    out["feasible"] = trial.state == TrialState.COMPLETE and all(
        trial.values.get(name) is not None
        and (trial.values[name] <= bound if op == "<=" else trial.values[name] >= bound)
        for name, (op, bound) in spec.constraints.items()
    )
    if full:
        out["reports"] = [[step, trial.reports[step]] for step in sorted(trial.reports)]
        out["error_tail"] = lines[-ERROR_TAIL:]
        out["error_lines"] = len(lines)
    else:
        out["error"] = lines[-1][:200] if lines else None
    return out


def figure_json(figure: Any) -> dict[str, Any]:
    """A plotly ``Figure`` as the JSON object ``Plotly.react`` takes (data, layout).

    Example:
        >>> import plotly.graph_objects as go
        >>> figure_json(go.Figure(go.Scatter(x=[1], y=[2])))["data"][0]["x"]
        [1]
    """
    out: dict[str, Any] = json.loads(figure.to_json(validate=False))
    return {"data": out.get("data", []), "layout": out.get("layout", {})}


def _drawn(spec: StudySpec, columns: figures.Columns, kind: str, objective: int) -> Any:
    """History or Pareto front, drawn by ``paramscope.plots`` from the thinned rows only."""
    total = len(columns.numbers)
    constraints = list(spec.constraints)
    if kind == "history":
        rows = figures.thin_history(columns, index=objective)
        view = StudyView.from_spec(spec, figures.light_trials(columns, rows, constraints))
        name, direction = columns.objectives[objective]
        figure = plot_history(view, objective=name)
        drawn = f"{len(rows)} of {total} complete trials drawn" if len(rows) < total else ""
        drawn = drawn or f"{total} complete trials"
        figure.update_layout(title=f"History of {name} ({direction}): {drawn}")
    else:
        rows = figures.pareto_rows(columns)
        view = StudyView.from_spec(spec, figures.light_trials(columns, rows, constraints))
        pair = [name for name, _ in columns.objectives[:2]]  # 3-D needs WebGL: draw 2 of them
        figure = plot_pareto_front(view, objectives=pair)
        if len(rows) < total:
            figure.update_layout(title=f"{figure.layout.title.text} ({len(rows)} of {total} drawn)")
    return figure_json(figure)


class Service:
    """The dashboard's access to one storage URL (thread-safe; the API runs in a thread pool).

    Example:
        >>> import os, tempfile
        >>> from paramscope.space import Float, Space
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
        >>> service = Service(url)
        >>> _ = service.storage.create_study(StudySpec("s", Space({"x": Float(0.0, 1.0)})))
        >>> service.cursor("s").encode()
        '0..'
        >>> service.close()
    """

    def __init__(self, url: str) -> None:
        self.storage = SQLStorage(url)
        try:
            self.browser = TrialBrowser(url)
        except BaseException:
            self.storage.close()
            raise
        self._snapshots: dict[str, Snapshot] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def close(self) -> None:
        """Close both connection pools."""
        self.browser.close()
        self.storage.close()

    # -- reading ---------------------------------------------------------------------------------

    def spec(self, study: str) -> StudySpec:
        """The stored spec of a study (``StudyNotFoundError`` if there is none)."""
        return self.storage.load_study(study)

    def cursor(self, study: str) -> Cursor:
        """The study's cursor as of now."""
        return self.browser.cursor(study)

    def page(self, study: str, query: PageQuery) -> TrialPage:
        """One page of trials, sorted, filtered and paged in SQL."""
        return self.browser.page(study, query)

    def changes(self, study: str, since: Cursor) -> Changes:
        """The trials added or changed since a cursor."""
        return self.browser.changes(study, since)

    def trial(self, study: str, number: int) -> Trial:
        """One trial with its reports (``KeyError`` if there is none)."""
        return self.storage.trial(study, number)

    def reports_figure(self, spec: StudySpec, trial: Trial) -> Any:
        """The reports curve of one trial, drawn by ``plots.plot_intermediate_values``."""
        return figure_json(plot_intermediate_values(StudyView.from_spec(spec, [trial])))

    def snapshot(self, study: str, spec: StudySpec) -> Snapshot:
        """The study's columns as of now, read once per change of its cursor."""
        with self._guard:
            lock = self._locks.setdefault(study, threading.RLock())
        with lock:
            cursor = self.cursor(study).encode()
            cached = self._snapshots.get(study)
            if cached is not None and cached.cursor == cursor:
                return cached
            keys = [Key("values", name) for name in spec.objectives]
            keys += [Key("values", name) for name in spec.constraints]
            rows = self.browser.columns(study, keys, states=[TrialState.COMPLETE])
            columns = figures.Columns.from_rows(rows, spec.objectives, spec.constraints)
            fresh = Snapshot(cursor, columns, {})
            self._snapshots[study] = fresh
            return fresh

    def derived(self, study: str, spec: StudySpec, name: str, build: Callable[..., Any]) -> Any:
        """``build(snapshot)`` cached with the snapshot (a figure, a sample of trials)."""
        snap = self.snapshot(study, spec)
        with self._locks[study]:
            if name not in snap.derived:
                snap.derived[name] = build(snap)
            return snap.derived[name]

    def figure(self, study: str, kind: str, *, objective: int = 0) -> Any:
        """The plotly JSON of one study plot: history, parallel, importance or pareto."""
        spec = self.spec(study)
        name = list(spec.objectives)[objective]

        def build(snap: Snapshot) -> Any:
            columns, total = snap.columns, len(snap.columns.numbers)
            if kind in ("history", "pareto"):
                return _drawn(spec, columns, kind, objective)
            sample = self.derived(study, spec, "sample", lambda s: self._sample(study, s))
            if kind == "parallel":
                return figures.parallel_figure(sample, spec.space, name, total)
            scores = figures.importance(sample, spec.space, name)
            return figures.importance_figure(scores, name, len(sample))

        return self.derived(study, spec, f"{kind}/{objective}", build)

    def _sample(self, study: str, snap: Snapshot) -> list[Trial]:
        return self.browser.trials_by_number(study, figures.sample_numbers(snap.columns))

    def summary(self, study: str) -> dict[str, Any]:
        """The study's spec, counts, best trial and current cursor."""
        spec = self.spec(study)
        cursor = self.cursor(study)
        counts = self.storage.counts(study)
        snap = self.snapshot(study, spec)
        best_number = snap.columns.best_number() if len(spec.objectives) == 1 else None
        best = self.storage.trial(study, best_number) if best_number is not None else None
        return {
            "name": spec.name,
            "objectives": dict(spec.objectives),
            "constraints": {k: list(v) for k, v in spec.constraints.items()},
            "space": spec.space.to_dict(),
            "sampler": spec.sampler,
            "budget": spec.options.budget,
            "counts": {str(k): v for k, v in counts.items()},
            "complete": len(snap.columns.numbers),
            "best": None if best is None else trial_json(best, spec),
            "cursor": cursor.encode(),
        }

    # -- writing ---------------------------------------------------------------------------------

    def enqueue(self, study: str, params: dict[str, Any]) -> Trial:
        """Queue a trial with these params (validated against the study's space)."""
        spec = self.spec(study)
        return self.storage.enqueue(study, spec.space.validate(params))

    def fail(self, study: str, number: int, reason: str) -> Trial:
        """Mark a running trial failed (e.g. its worker hung); its late result is dropped."""
        error = f"marked failed from the dashboard: {reason}".strip()
        return self.storage.tell(study, number, Outcome(TrialState.FAILED, error=error))
