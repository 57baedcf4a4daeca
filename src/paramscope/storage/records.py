"""Records: the translation between database rows and paramscope's frozen records.

Studies and trials go in as JSON text (``allow_nan=False``, so the columns stay plain JSON that
any tool can read) and come out as ``StudySpec`` and ``Trial``. The ``settings`` column holds how a
study's trials are sampled and stopped: ``{"stopping": <rule table>, "sampler_options": {...}}``;
a row without it (a study from before revision 0002) gets the defaults.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Row

from paramscope.errors import ConfigError
from paramscope.space import Space
from paramscope.storage.base import DEFAULT_STOPPING, StudyOptions, StudySpec
from paramscope.trial import Trial, TrialState


def _jsonable(value: Any) -> Any:
    """Unwrap numpy scalars (``np.int64(3)`` -> ``3``) for ``json.dumps``."""
    item = getattr(value, "item", None)
    if callable(item):
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serializable: {value!r}")


def dumps(value: Any) -> str:
    """JSON text for a column; NaN and infinity are refused so the text is standard JSON.

    Example:
        >>> dumps({"x": 1.5, "k": "a"})
        '{"x": 1.5, "k": "a"}'
    """
    return json.dumps(value, allow_nan=False, default=_jsonable)


def finite_values(values: Mapping[str, Any], *, what: str) -> dict[str, float]:
    """Check that every value is a finite number and return them as floats, in order.

    Raises:
        ConfigError: a value is not a number, or is NaN or infinite.

    Example:
        >>> finite_values({"loss": 1}, what="tell")
        {'loss': 1.0}
    """
    out: dict[str, float] = {}
    for name, value in values.items():
        number = float(value) if isinstance(value, int | float) else math.nan
        if not math.isfinite(number) or isinstance(value, bool):
            raise ConfigError(
                f"{what}: values must be finite numbers, got {name}={value!r} "
                "(record a non-finite result as a failed trial instead)"
            )
        out[str(name)] = number
    return out


def spec_to_row(spec: StudySpec) -> dict[str, Any]:
    """The ``studies`` columns that describe ``spec`` (everything but id, counter and time)."""
    return {
        "name": spec.name,
        "space": dumps(spec.space.to_dict()),
        "objectives": dumps(dict(spec.objectives)),
        "constraints": dumps({k: list(v) for k, v in spec.constraints.items()}),
        "sampler": spec.sampler,
        "seed": spec.seed,
        "objective": None if spec.objective is None else dumps(dict(spec.objective)),
        **options_to_row(spec.options, spec.sampler_options),
    }


def options_to_row(options: StudyOptions, sampler_options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``studies`` columns that hold a study's options and settings."""
    return {
        "budget": options.budget,
        "heartbeat_interval": options.heartbeat_interval,
        "grace": options.grace,
        "retries": options.retries,
        "settings": settings_column(options.stopping, sampler_options),
    }


def settings_column(stopping: Mapping[str, Any], sampler_options: Mapping[str, Any]) -> str:
    """The ``settings`` column: the stopping rule's table and the sampler's options.

    Example:
        >>> settings_column({"rule": "asha"}, {})
        '{"stopping": {"rule": "asha"}, "sampler_options": {}}'
    """
    return dumps({"stopping": dict(stopping), "sampler_options": dict(sampler_options)})


def read_settings(text: str | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(stopping rule table, sampler options) of a ``settings`` column; defaults when empty.

    Example:
        >>> read_settings(None)
        ({'rule': 'asha'}, {})
    """
    table = {} if text is None else dict(json.loads(text))
    stopping = table.get("stopping") or dict(DEFAULT_STOPPING)
    return dict(stopping), dict(table.get("sampler_options") or {})


def spec_from_row(row: Row[Any]) -> StudySpec:
    """Rebuild the ``StudySpec`` stored in a ``studies`` row."""
    constraints = json.loads(row.constraints)
    stopping, sampler_options = read_settings(row.settings)
    return StudySpec(
        name=row.name,
        space=Space.from_dict(json.loads(row.space)),
        objectives=json.loads(row.objectives),
        constraints={k: (op, float(bound)) for k, (op, bound) in constraints.items()},
        sampler=row.sampler,
        seed=row.seed,
        sampler_options=sampler_options,
        objective=None if row.objective is None else json.loads(row.objective),
        options=StudyOptions(
            budget=row.budget,
            heartbeat_interval=row.heartbeat_interval,
            grace=row.grace,
            retries=row.retries,
            stopping=stopping,
        ),
    )


def trial_from_row(row: Row[Any], reports: Mapping[int, float] | None = None) -> Trial:
    """Build the ``Trial`` record of a ``trials`` row and its reports (step -> value)."""
    return Trial(
        number=row.number,
        params=json.loads(row.params),
        state=TrialState(row.state),
        values=json.loads(row.values_json) if row.values_json else {},
        reports=reports or {},
        error=row.error,
        started=row.started,
        finished=row.finished,
        worker=row.worker,
        heartbeat=row.heartbeat,
        retry_of=row.retry_of,
    )


def latest(*stamps: datetime | None) -> datetime | None:
    """The latest of some optional timestamps, or None when all are None.

    Example:
        >>> latest(None, None) is None
        True
    """
    present = [s for s in stamps if s is not None]
    return max(present) if present else None
