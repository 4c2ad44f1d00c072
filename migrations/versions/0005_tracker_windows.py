"""Windows of the windowed tracker store (imp_tracker_windows).

Revision ID: 0005_tracker_windows
Revises: 0004_handoffs
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_tracker_windows"
down_revision = "0004_handoffs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create imp_tracker_windows (kept as it is if the Rasa server made it before this revision)."""
    if sa.inspect(op.get_bind()).has_table("imp_tracker_windows"):
        return
    op.create_table(
        "imp_tracker_windows",
        sa.Column("sender_id", sa.String(length=255), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("sender_id"),
    )


def downgrade() -> None:
    """Drop imp_tracker_windows."""
    op.drop_table("imp_tracker_windows")
