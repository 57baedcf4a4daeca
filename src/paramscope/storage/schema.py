"""Schema: the three tables that hold studies, trials and their intermediate reports.

The layout is meant to be read with plain SQL, without paramscope: one row per trial, the first
objective in the ``value`` column, parameters and all values as JSON text, timestamps in UTC::

    SELECT number, state, value, params FROM trials
    WHERE study_id = (SELECT id FROM studies WHERE name = 'resnet-lr') ORDER BY value;

These definitions serve the queries; the database itself is created by the Alembic revisions in
``storage/migrations/versions`` (a test checks that the two agree).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

VERSION_TABLE = "paramscope_alembic_version"
"""Alembic's bookkeeping table, named so it never clashes with an application's own Alembic."""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a timezone-aware UTC ``datetime``.

    SQLite has no timestamp type: the value is stored as ISO text without an offset (UTC by
    convention) and the offset is restored on reading. PostgreSQL stores ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got {value!r}")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


metadata = MetaData()

studies = Table(
    "studies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("space", Text, nullable=False),
    Column("objectives", Text, nullable=False),
    Column("constraints", Text, nullable=False),
    Column("sampler", Text, nullable=False),
    Column("seed", BigInteger, nullable=True),
    Column("objective", Text, nullable=True),
    Column("budget", Integer, nullable=True),
    Column("heartbeat_interval", Float, nullable=False),
    Column("grace", Float, nullable=False),
    Column("retries", Integer, nullable=False),
    Column("next_number", Integer, nullable=False),
    Column("created", UTCDateTime, nullable=False),
    Column("settings", Text, nullable=True),  # JSON: stopping rule, sampler options (rev. 0002)
    UniqueConstraint("name", name="uq_studies_name"),
)

trials = Table(
    "trials",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("study_id", Integer, ForeignKey("studies.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("state", String(16), nullable=False),
    Column("params", Text, nullable=False),
    Column("value", Float, nullable=True),
    Column("values_json", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("started", UTCDateTime, nullable=True),
    Column("finished", UTCDateTime, nullable=True),
    Column("heartbeat", UTCDateTime, nullable=True),
    Column("worker", Text, nullable=True),
    Column("retry_of", Integer, nullable=True),
    UniqueConstraint("study_id", "number", name="uq_trials_study_number"),
    Index("ix_trials_study_state", "study_id", "state"),
)

trial_reports = Table(
    "trial_reports",
    metadata,
    Column("trial_id", Integer, ForeignKey("trials.id", ondelete="CASCADE"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("value", Float, nullable=False),
    PrimaryKeyConstraint("trial_id", "step", name="pk_trial_reports"),
)
