"""Handoff queue (imp_handoffs): conversations waiting for, or handled by, a person.

Revision ID: 0004_handoffs
Revises: 0003_fact_changes
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_handoffs"
down_revision = "0003_fact_changes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_handoffs (kept as it is if create_all made it before this revision)."""
    if sa.inspect(op.get_bind()).has_table("imp_handoffs"):
        return
    op.create_table(
        "imp_handoffs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("taken_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active_sender", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_sender"),
    )
    op.create_index("ix_imp_handoffs_sender_id", "imp_handoffs", ["sender_id"])
    op.create_index("ix_imp_handoffs_status", "imp_handoffs", ["status"])


def downgrade() -> None:
    """Drop imp_handoffs."""
    op.drop_index("ix_imp_handoffs_status", table_name="imp_handoffs")
    op.drop_index("ix_imp_handoffs_sender_id", table_name="imp_handoffs")
    op.drop_table("imp_handoffs")
