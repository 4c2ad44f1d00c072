"""Votes on fact answers, "Was this helpful?" (imp_feedback).

Revision ID: 0002_feedback
Revises: 0001_assessments
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_feedback"
down_revision = "0001_assessments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_feedback (kept as it is if create_all made it before migrations existed)."""
    if sa.inspect(op.get_bind()).has_table("imp_feedback"):
        return
    op.create_table(
        "imp_feedback",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_id", sa.String(length=128), nullable=False),
        sa.Column("fact_id", sa.String(length=64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imp_feedback_fact_id", "imp_feedback", ["fact_id"])
    op.create_index("ix_imp_feedback_sender_id", "imp_feedback", ["sender_id"])


def downgrade() -> None:
    """Drop imp_feedback."""
    op.drop_index("ix_imp_feedback_sender_id", table_name="imp_feedback")
    op.drop_index("ix_imp_feedback_fact_id", table_name="imp_feedback")
    op.drop_table("imp_feedback")
