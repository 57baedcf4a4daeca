"""Catalog: the study-level transactions — create or resume a study, summarise every study.

Like ``queries``, these functions run on a connection that ``SQLStorage`` hands them inside its
transaction; they hold the rules for resuming a study and for what a study summary shows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from paramscope.errors import StudyExistsError
from paramscope.storage import queries as q
from paramscope.storage.base import StudySpec, StudySummary
from paramscope.storage.records import dumps, latest, spec_from_row, spec_to_row
from paramscope.storage.schema import studies, trials
from paramscope.trial import TrialState

_CREATE_LOCK_KEY = 0x7073_6372_6561  # PostgreSQL advisory lock serializing study creation


def create_or_resume(conn: Connection, spec: StudySpec, *, now: datetime) -> StudySpec:
    """Insert a new study, or return the stored one when its signature matches ``spec``.

    The stored spec wins (sampler, seed, options with the stopping rule), except that
    ``spec.objective`` is stored when the study had none.

    Raises:
        StudyExistsError: the stored study has a different space, objectives or constraints.
    """
    if conn.dialect.name == "postgresql":  # two creators of one new name must not both insert
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK_KEY})
    row = q.find_study(conn, spec.name, lock=True)
    if row is None:
        conn.execute(insert(studies).values(**spec_to_row(spec), next_number=0, created=now))
        return spec
    stored = spec_from_row(row)
    if stored.signature() != spec.signature():
        raise StudyExistsError(describe_difference(spec.name, stored, spec))
    if stored.objective is None and spec.objective is not None:
        objective = dumps(dict(spec.objective))
        conn.execute(update(studies).where(studies.c.id == row.id).values(objective=objective))
        return replace(stored, objective=spec.objective)
    return stored


def describe_difference(name: str, stored: StudySpec, given: StudySpec) -> str:
    """Say which part of a study's signature differs, for ``StudyExistsError``.

    Example:
        >>> from paramscope.space import Float, Space
        >>> a = StudySpec("s", Space({"x": Float(0.0, 1.0)}))
        >>> b = StudySpec("s", Space({"x": Float(0.0, 2.0)}))
        >>> print(describe_difference("s", a, b))  # doctest: +NORMALIZE_WHITESPACE
        study 's' already exists with a different space (space.x: stored {'type': 'float',
        'low': 0.0, 'high': 1.0}, given {'type': 'float', 'low': 0.0, 'high': 2.0});
        choose another name or delete it
    """
    old, new = stored.signature(), given.signature()
    parts: list[str] = []
    for key in old:
        if old[key] == new[key]:
            continue
        details = [
            f"{key}.{item}: stored {_show(old[key], item)}, given {_show(new[key], item)}"
            for item in dict.fromkeys([*old[key], *new[key]])
            if old[key].get(item) != new[key].get(item)
        ]
        article = "a " if key == "space" else ""
        parts.append(f"{article}different {key} ({'; '.join(details)})")
    differences = " and ".join(parts)
    return f"study {name!r} already exists with {differences}; choose another name or delete it"


def _show(mapping: dict[str, Any], key: str) -> str:
    return repr(mapping[key]) if key in mapping else "nothing"


def summaries(conn: Connection) -> list[StudySummary]:
    """One summary per study, by name: counts, best first-objective value, last activity."""
    activity = _study_activity(conn)
    out = []
    for study_id, name, direction in _study_directions(conn):
        info = activity.get(study_id, {})
        out.append(
            StudySummary(
                name=name,
                counts=info.get("counts", dict.fromkeys(TrialState, 0)),
                best_value=info.get("low") if direction == "min" else info.get("high"),
                last_activity=latest(*info.get("stamps", ())),
                direction="max" if direction == "max" else "min",
            )
        )
    return out


def _study_activity(conn: Connection) -> dict[int, dict[str, Any]]:
    """Per study id: state counts, min and max complete value, latest timestamps."""
    out: dict[int, dict[str, Any]] = defaultdict(lambda: {"counts": dict.fromkeys(TrialState, 0)})
    counts = select(trials.c.study_id, trials.c.state, func.count()).group_by(
        trials.c.study_id, trials.c.state
    )
    for study_id, state, count in conn.execute(counts):
        out[study_id]["counts"][TrialState(state)] = int(count)
    complete = trials.c.state == TrialState.COMPLETE
    summary = select(
        trials.c.study_id,
        func.min(trials.c.value).filter(complete),
        func.max(trials.c.value).filter(complete),
        func.max(trials.c.started),
        func.max(trials.c.finished),
        func.max(trials.c.heartbeat),
    ).group_by(trials.c.study_id)
    for study_id, low, high, started, finished, beat in conn.execute(summary):
        out[study_id].update(low=low, high=high, stamps=(started, finished, beat))
    return dict(out)


def _study_directions(conn: Connection) -> list[tuple[int, str, str]]:
    """``(id, name, direction of the first objective)`` for every study, by name."""
    rows = conn.execute(
        select(studies.c.id, studies.c.name, studies.c.objectives).order_by(studies.c.name)
    )
    return [(i, name, next(iter(json.loads(obj).values()), "min")) for i, name, obj in rows]
