"""Study settings: one JSON column for how trials are sampled and stopped.

Holds ``{"stopping": {...}, "sampler_options": {...}}``: the early-stopping rule and the sampler's
settings, so that every worker that joins the study applies the same ones. A row without it (a
study created before this revision) gets the defaults.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable ``settings`` column to ``studies``."""
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("settings", sa.Text, nullable=True))


def downgrade() -> None:
    """Drop the ``settings`` column."""
    with op.batch_alter_table("studies") as batch:
        batch.drop_column("settings")
