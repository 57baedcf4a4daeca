"""Browse: the read-only queries behind the dashboard — paged trials, changes, plot columns.

Everything a browser asks of a large study is answered in SQL without loading every trial: one
page of trials sorted and filtered by the database (``LIMIT``/``OFFSET``), the trials changed
since a :class:`Cursor`, and a few numeric columns (number, objectives) for aggregated plots.
Parameters and values live in JSON text columns; they are read with the database's own JSON
functions (SQLite ``json_extract``, PostgreSQL ``->>``), so sorting by ``params.lr`` needs no
Python pass over the study.

A cursor is exact without clocks: a trial in a final state (complete, failed, stopped) never
changes again, so what can have changed since a cursor is a trial numbered at or above its
``next_number``, or one that was queued or running when it was taken, which it lists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Connection,
    Float,
    Select,
    String,
    and_,
    cast,
    func,
    or_,
    select,
    type_coerce,
)

from paramscope.errors import ConfigError
from paramscope.storage import queries as q
from paramscope.storage.engine import READ_OPTION, make_engine, retrying
from paramscope.storage.records import trial_from_row
from paramscope.storage.schema import trials
from paramscope.storage.urls import parse_url
from paramscope.trial import Trial, TrialState

T = TypeVar("T")
Source: TypeAlias = Literal["column", "params", "values"]
Operator: TypeAlias = Literal["<", "<=", ">", ">=", "=", "!="]
OPERATORS: tuple[Operator, ...] = ("<=", ">=", "!=", "<", ">", "=")
COLUMNS = ("number", "state", "value", "started", "finished", "duration")
"""The plain columns a page can be sorted by (besides ``params.<name>`` and ``values.<name>``)."""
OPEN = (TrialState.QUEUED, TrialState.RUNNING)
_CHUNK = 500  # numbers per ``IN (...)`` list
_RANGES = re.compile(r"^(\d+(-\d+)?(_\d+(-\d+)?)*)?$")
MAX_OPEN = 100_000
"""The most open (queued or running) trials a cursor may list."""


@dataclass(frozen=True)
class Key:
    """A field of a trial: a plain column, or one entry of its params or values JSON.

    ``text`` compares the JSON entry as a string (a Choice of strings), else as a number.
    """

    source: Source
    name: str
    text: bool = False


@dataclass(frozen=True)
class Condition:
    """One filter clause, ``key op value`` (e.g. ``params.lr < 0.01``)."""

    key: Key
    op: Operator
    value: float | str


@dataclass(frozen=True)
class PageQuery:
    """Which page of a study's trials to read, in which order, with which filters."""

    offset: int = 0
    limit: int = 50
    sort: Key = field(default_factory=lambda: Key("column", "number"))
    descending: bool = False
    states: tuple[TrialState, ...] = ()
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class TrialPage:
    """One page of trials (reports not loaded) and how many trials match the filters."""

    total: int
    trials: list[Trial]


@dataclass(frozen=True)
class Cursor:
    """What a reader has seen: every trial below ``next_number``, and which ones were open.

    Example:
        >>> c = Cursor(12, running=(9, 11), queued=(3, 4, 5))
        >>> Cursor.decode(c.encode()) == c, c.encode()
        (True, '12.9_11.3-5')
    """

    next_number: int
    running: tuple[int, ...] = ()
    queued: tuple[int, ...] = ()

    def encode(self) -> str:
        """The URL-safe text form: ``next.running-ranges.queued-ranges``."""
        return f"{self.next_number}.{_ranges(self.running)}.{_ranges(self.queued)}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Parse :meth:`encode`'s form; ``ConfigError`` naming ``cursor`` if it is not one."""
        parts = text.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or not all(map(_RANGES.match, parts[1:])):
            raise ConfigError(
                f"cursor: expected the form '<next>.<running>.<queued>' as sent by the server, "
                f"got {text[:40]!r}"
            )
        return cls(int(parts[0]), _numbers(parts[1]), _numbers(parts[2]))


@dataclass(frozen=True)
class Changes:
    """Trials added or changed since a cursor (number order) and the cursor to ask with next."""

    trials: list[Trial]
    cursor: Cursor


def _ranges(numbers: Sequence[int]) -> str:
    spans: list[list[int]] = []
    for n in sorted(set(numbers)):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "_".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)


def _numbers(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for span in filter(None, text.split("_")):
        low, _, high = span.partition("-")
        count = int(high or low) - int(low) + 1
        if count < 1 or len(out) + count > MAX_OPEN:
            raise ConfigError(
                f"cursor: expected at most {MAX_OPEN} open trials in ascending ranges, "
                f"got the range {span[:40]!r}"
            )
        out.extend(range(int(low), int(low) + count))
    return tuple(out)


class TrialBrowser:
    """Read-only access to a database of runs for the dashboard.

    Opens its own connection pool; it never writes and never migrates (open the database with
    ``SQLStorage`` first). Safe to share between threads.

    Args:
        url: a storage URL naming a file or a server (an in-memory database would be empty).

    Example:
        >>> from paramscope.space import Float, Space
        >>> from paramscope.storage import SQLStorage
        >>> from paramscope.storage.base import StudySpec
        >>> import tempfile, os
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "runs.db")
        >>> storage = SQLStorage(url)
        >>> _ = storage.create_study(StudySpec("demo", Space({"x": Float(0.0, 1.0)})))
        >>> _ = [storage.enqueue("demo", {"x": x}) for x in (0.3, 0.1, 0.2)]
        >>> browser = TrialBrowser(url)
        >>> page = browser.page("demo", PageQuery(sort=Key("params", "x"), limit=2))
        >>> page.total, [t.params["x"] for t in page.trials]
        (3, [0.1, 0.2])
        >>> browser.close(); storage.close()
    """

    def __init__(self, url: str) -> None:
        self._parsed = parse_url(url)
        self._engine = make_engine(self._parsed)
        self._reader = self._engine.execution_options(**{READ_OPTION: True})

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    def _read(self, what: str, work: Callable[[Connection], T]) -> T:
        def attempt() -> T:
            with self._reader.connect() as conn:
                if conn.dialect.name == "postgresql":  # one snapshot for the whole read
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    return work(conn)

        return retrying(attempt, what=what)

    def _study_id(self, conn: Connection, study: str) -> int:
        return int(q.require_study(conn, study, where=self._parsed.display).id)

    def page(self, study: str, query: PageQuery) -> TrialPage:
        """One page of a study's trials, sorted and filtered in SQL.

        Rows with no value for the sort key (e.g. ``value`` of a failed trial) come last in
        either direction; ties are broken by trial number.
        """

        def work(conn: Connection) -> TrialPage:
            dialect = conn.dialect.name
            where = _where(self._study_id(conn, study), query, dialect)
            total = int(conn.scalar(select(func.count()).select_from(trials).where(*where)) or 0)
            key = _expression(query.sort, dialect)
            order = key.desc() if query.descending else key.asc()
            rows = conn.execute(
                select(trials)
                .where(*where)
                .order_by(order.nulls_last(), trials.c.number)
                .offset(query.offset)
                .limit(query.limit)
            ).all()
            return TrialPage(total, [trial_from_row(row) for row in rows])

        return self._read(f"reading a page of trials of study {study!r}", work)

    def cursor(self, study: str) -> Cursor:
        """The cursor of the study as it is now (nothing changed since it)."""

        def work(conn: Connection) -> Cursor:
            study_id = self._study_id(conn, study)
            return _cursor_from(q.next_number(conn, study_id), _open_trials(conn, study_id))

        return self._read(f"reading the cursor of study {study!r}", work)

    def changes(self, study: str, since: Cursor) -> Changes:
        """Trials numbered ``since.next_number`` or later, and listed open ones that moved on.

        Reads the new rows by the ``(study_id, number)`` index and the open trials by the
        ``(study_id, state)`` index; trials that were already final are never read.
        """

        def work(conn: Connection) -> Changes:
            study_id = self._study_id(conn, study)
            fresh = conn.execute(
                select(trials)
                .where(trials.c.study_id == study_id, trials.c.number >= since.next_number)
                .order_by(trials.c.number)
            ).all()
            now = _open_trials(conn, study_id)
            moved = [n for n in since.running if now.get(n) != TrialState.RUNNING]
            moved += [n for n in since.queued if now.get(n) != TrialState.QUEUED]
            rows = [*_rows_by_number(conn, study_id, moved), *fresh]
            next_number = max([since.next_number, *(row.number + 1 for row in fresh)])
            cursor = _cursor_from(next_number, now)
            found = sorted((trial_from_row(row) for row in rows), key=lambda t: t.number)
            return Changes(found, cursor)

        return self._read(f"reading changes of study {study!r}", work)

    def columns(
        self, study: str, keys: Sequence[Key], *, states: Sequence[TrialState] = ()
    ) -> list[tuple[Any, ...]]:
        """``(number, *keys)`` of every trial (of these states), in number order.

        Only these numbers leave the database: for 100,000 trials and one objective that is a
        few megabytes, not the params and JSON of every trial.
        """

        def work(conn: Connection) -> list[tuple[Any, ...]]:
            dialect = conn.dialect.name
            where = [trials.c.study_id == self._study_id(conn, study)]
            if states:
                where.append(trials.c.state.in_([str(s) for s in states]))
            selected = [trials.c.number, *(_expression(k, dialect) for k in keys)]
            query: Select[Any] = select(*selected).where(*where).order_by(trials.c.number)
            return [tuple(row) for row in conn.execute(query)]

        return self._read(f"reading columns of study {study!r}", work)

    def trials_by_number(self, study: str, numbers: Sequence[int]) -> list[Trial]:
        """The records of these trials (reports not loaded), in number order."""

        def work(conn: Connection) -> list[Trial]:
            rows = _rows_by_number(conn, self._study_id(conn, study), numbers)
            return sorted((trial_from_row(row) for row in rows), key=lambda t: t.number)

        return self._read(f"reading trials of study {study!r}", work)


def _cursor_from(next_number: int, open_trials: dict[int, TrialState]) -> Cursor:
    running = tuple(
        n for n, s in open_trials.items() if s == TrialState.RUNNING and n < next_number
    )
    queued = tuple(n for n, s in open_trials.items() if s == TrialState.QUEUED and n < next_number)
    return Cursor(next_number, running, queued)


def _open_trials(conn: Connection, study_id: int) -> dict[int, TrialState]:
    query = select(trials.c.number, trials.c.state).where(
        trials.c.study_id == study_id, trials.c.state.in_([str(s) for s in OPEN])
    )
    return {int(n): TrialState(s) for n, s in conn.execute(query)}


def _rows_by_number(conn: Connection, study_id: int, numbers: Sequence[int]) -> list[Any]:
    wanted = sorted(set(numbers))
    rows: list[Any] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        query = select(trials).where(trials.c.study_id == study_id, trials.c.number.in_(chunk))
        rows.extend(conn.execute(query))
    return rows


def _json(column: Any, key: Key, dialect: str) -> ColumnElement[Any]:
    """A number (or text) stored under ``key.name`` in a JSON text column."""
    document = cast(column, JSON) if dialect == "postgresql" else type_coerce(column, JSON)
    entry = document[key.name]
    out: ColumnElement[Any] = entry.as_string() if key.text else entry.as_float()
    return out


def _expression(key: Key, dialect: str) -> ColumnElement[Any]:
    if key.source == "params":
        return _json(trials.c.params, key, dialect)
    if key.source == "values":
        return _json(trials.c.values_json, key, dialect)
    if key.name == "duration":
        if dialect == "postgresql":
            return func.extract("epoch", trials.c.finished - trials.c.started)
        return cast(
            (func.julianday(trials.c.finished) - func.julianday(trials.c.started)) * 86400.0, Float
        )
    if key.name not in COLUMNS:
        raise ConfigError(f"sort: expected one of {', '.join(COLUMNS)}, got {key.name!r}")
    column: ColumnElement[Any] = trials.c[key.name]
    return column


def _condition(condition: Condition, dialect: str) -> ColumnElement[bool]:
    expression = _expression(condition.key, dialect)
    value: Any = condition.value
    if isinstance(value, str):
        expression = cast(expression, String) if condition.key.source == "column" else expression
    comparisons: dict[str, Callable[[Any], ColumnElement[bool]]] = {
        "<": expression.__lt__,
        "<=": expression.__le__,
        ">": expression.__gt__,
        ">=": expression.__ge__,
        "=": expression.__eq__,
        "!=": expression.__ne__,
    }
    return comparisons[condition.op](value)


def _where(study_id: int, query: PageQuery, dialect: str) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [trials.c.study_id == study_id]
    if query.states:
        where.append(or_(*(trials.c.state == str(s) for s in query.states)))
    if query.conditions:
        where.append(and_(*(_condition(c, dialect) for c in query.conditions)))
    return where
