"""Log of staff edits to the facts file (imp_fact_changes).

Revision ID: 0003_fact_changes
Revises: 0002_feedback
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_fact_changes"
down_revision = "0002_feedback"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_fact_changes (kept as it is if the console made it before this revision)."""
    if sa.inspect(op.get_bind()).has_table("imp_fact_changes"):
        return
    op.create_table(
        "imp_fact_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("fact_id", sa.String(length=64), nullable=False),
        sa.Column("staff_name", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imp_fact_changes_fact_id", "imp_fact_changes", ["fact_id"])


def downgrade() -> None:
    """Drop imp_fact_changes."""
    op.drop_index("ix_imp_fact_changes_fact_id", table_name="imp_fact_changes")
    op.drop_table("imp_fact_changes")
