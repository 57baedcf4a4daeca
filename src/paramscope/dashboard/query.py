"""Dashboard query: check the web API's query parameters once, at the boundary.

Every bad parameter is a ``ConfigError`` whose one-line message names the field, the expected
form and what was received; the API turns it into a 400 with ``{"error": message}``.

The table filter is a small language typed into one box: clauses separated by commas, each
``<field> <op> <value>`` with ``op`` one of ``< <= > >= = !=``; a field is ``number``,
``value``, ``state``, a parameter's or a value's name, or ``params.<name>`` / ``values.<name>``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import cast

from paramscope.errors import ConfigError
from paramscope.space import Choice
from paramscope.storage.base import StudySpec
from paramscope.storage.browse import COLUMNS, OPERATORS, Condition, Key, Operator, PageQuery
from paramscope.trial import TrialState

MAX_LIMIT = 500
MAX_FILTER = 1000
MAX_CLAUSES = 20
_CLAUSE = re.compile(r"^\s*([A-Za-z_][\w.\-]*)\s*(<=|>=|!=|<|>|=)\s*(.+?)\s*$")
_NAME = re.compile(r"^[\w.\-]{1,100}$")


def integer(params: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter within ``[low, high]``.

    Example:
        >>> integer({"limit": "20"}, "limit", 50, low=1, high=500)
        20
        >>> integer({"limit": "x"}, "limit", 50, low=1, high=500)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: limit: expected an integer from 1 to 500, got 'x'
    """
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ConfigError(f"{name}: expected an integer from {low} to {high}, got {raw[:40]!r}")
    return value


def key(text: str, spec: StudySpec, *, field: str) -> Key:
    """The trial field a sort or filter names.

    Example:
        >>> from paramscope.space import Float, Space
        >>> key("params.x", StudySpec("s", Space({"x": Float(0.0, 1.0)})), field="sort")
        Key(source='params', name='x', text=False)
    """
    source, _, name = text.partition(".")
    if source in ("params", "values") and name:
        return _named(source, name, spec, field=field, given=text)
    if text in COLUMNS:
        return Key("column", text, text=text == "state")
    if text in spec.space.names:
        return _named("params", text, spec, field=field, given=text)
    if text in spec.objectives or text in spec.constraints:
        return Key("values", text)
    names = [*COLUMNS, *(f"params.{n}" for n in spec.space.names)]
    names += [f"values.{n}" for n in [*spec.objectives, *spec.constraints]]
    raise ConfigError(f"{field}: expected one of {', '.join(names)}, got {text[:60]!r}")


def _named(source: str, name: str, spec: StudySpec, *, field: str, given: str) -> Key:
    if source == "params":
        if name not in spec.space.names:
            listed = ", ".join(spec.space.names)
            raise ConfigError(f"{field}: expected a parameter ({listed}), got {given[:60]!r}")
        options = getattr(spec.space[name], "options", ())
        text = isinstance(spec.space[name], Choice) and any(isinstance(o, str) for o in options)
        return Key("params", name, text=text)
    if not _NAME.match(name):
        raise ConfigError(f"{field}: expected values.<name> of word characters, got {given[:60]!r}")
    return Key("values", name)


def states(text: str | None) -> tuple[TrialState, ...]:
    """A comma-separated list of trial states (empty: all).

    Example:
        >>> states("complete,failed")
        (<TrialState.COMPLETE: 'complete'>, <TrialState.FAILED: 'failed'>)
    """
    if not text:
        return ()
    out = []
    for part in text.split(","):
        if part.strip() not in {str(s) for s in TrialState}:
            known = ", ".join(str(s) for s in TrialState)
            raise ConfigError(f"state: expected states among {known}, got {part.strip()[:40]!r}")
        out.append(TrialState(part.strip()))
    return tuple(out)


def conditions(text: str | None, spec: StudySpec) -> tuple[Condition, ...]:
    """Parse the filter box: ``"lr < 0.01, act = relu"``.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"lr": Float(0.0, 1.0)}))
        >>> conditions("lr < 0.01", spec)[0].value
        0.01
        >>> conditions("lr ~ 3", spec)
        Traceback (most recent call last):
        ...
        paramscope.errors.ConfigError: filter: expected clauses like 'lr < 0.01, state = complete' \
separated by commas, got 'lr ~ 3'
    """
    if not text or not text.strip():
        return ()
    if len(text) > MAX_FILTER or text.count(",") >= MAX_CLAUSES:
        raise ConfigError(
            f"filter: expected at most {MAX_CLAUSES} clauses in {MAX_FILTER} characters, "
            f"got {len(text)} characters"
        )
    out = []
    for clause in text.split(","):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ConfigError(
                "filter: expected clauses like 'lr < 0.01, state = complete' separated by "
                f"commas, got {clause.strip()[:60]!r}"
            )
        name, op, raw = match.groups()
        field = key(name, spec, field="filter")
        raw = raw.strip("'\"")
        value: float | str = raw
        if not field.text:
            try:
                value = float(raw)
            except ValueError:
                raise ConfigError(
                    f"filter: expected a number to compare {name} with, got {raw[:40]!r}"
                ) from None
        assert op in OPERATORS
        out.append(Condition(field, cast(Operator, op), value))
    return tuple(out)


def page_query(params: Mapping[str, str], spec: StudySpec) -> PageQuery:
    """The page of trials a request asks for: offset, limit, sort, order, state, filter.

    Example:
        >>> from paramscope.space import Float, Space
        >>> spec = StudySpec("s", Space({"x": Float(0.0, 1.0)}))
        >>> page_query({"sort": "value", "order": "desc", "limit": "10"}, spec).descending
        True
    """
    order = params.get("order", "asc")
    if order not in ("asc", "desc"):
        raise ConfigError(f"order: expected asc or desc, got {order[:40]!r}")
    return PageQuery(
        offset=integer(params, "offset", 0, low=0, high=10**9),
        limit=integer(params, "limit", 50, low=1, high=MAX_LIMIT),
        sort=key(params.get("sort") or "number", spec, field="sort"),
        descending=order == "desc",
        states=states(params.get("state")),
        conditions=conditions(params.get("filter"), spec),
    )
