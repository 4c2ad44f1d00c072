"""Opt-in change notices: subscriptions (imp_notice_subscriptions) and the notices (imp_notices).

Revision ID: 0006_notices
Revises: 0005_tracker_windows
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_notices"
down_revision = "0005_tracker_windows"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_notice_subscriptions and imp_notices (each kept as it is if create_all made it first)."""
    existing = sa.inspect(op.get_bind())
    if not existing.has_table("imp_notice_subscriptions"):
        _create_subscriptions()
    if not existing.has_table("imp_notices"):
        _create_notices()


def _create_subscriptions() -> None:
    op.create_table(
        "imp_notice_subscriptions",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )


def _create_notices() -> None:
    op.create_table(
        "imp_notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("fact_id", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imp_notices_sender_id", "imp_notices", ["sender_id"])


def downgrade() -> None:
    """Drop imp_notices and imp_notice_subscriptions."""
    op.drop_index("ix_imp_notices_sender_id", table_name="imp_notices")
    op.drop_table("imp_notices")
    op.drop_table("imp_notice_subscriptions")
