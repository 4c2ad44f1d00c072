"""Assessments of the eligibility check (imp_assessments).

Revision ID: 0001_assessments
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_assessments"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_assessments (kept as it is if create_all made it before migrations existed)."""
    if sa.inspect(op.get_bind()).has_table("imp_assessments"):
        return
    op.create_table(
        "imp_assessments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(length=255), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("verdict", sa.String(length=32), nullable=False),
        sa.Column("criteria", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imp_assessments_conversation_id", "imp_assessments", ["conversation_id"])


def downgrade() -> None:
    """Drop imp_assessments."""
    op.drop_index("ix_imp_assessments_conversation_id", table_name="imp_assessments")
    op.drop_table("imp_assessments")
