"""Named staff accounts (imp_staff_accounts), failed logins (imp_login_failures), audit log (imp_audit_log).

Revision ID: 0007_staff_accounts
Revises: 0006_notices
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_staff_accounts"
down_revision = "0006_notices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the three tables (each kept as it is if create_all made it first)."""
    existing = sa.inspect(op.get_bind())
    if not existing.has_table("imp_staff_accounts"):
        op.create_table(
            "imp_staff_accounts",
            sa.Column("name", sa.String(length=64), nullable=False),
            sa.Column("role", sa.String(length=16), nullable=False),
            sa.Column("enabled", sa.Boolean(), nullable=False),
            sa.Column("epoch", sa.Integer(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("password_hash", sa.String(length=255), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )
    if not existing.has_table("imp_login_failures"):
        op.create_table(
            "imp_login_failures",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )
        op.create_index("ix_imp_login_failures_key", "imp_login_failures", ["key"])
    if not existing.has_table("imp_audit_log"):
        op.create_table(
            "imp_audit_log",
            sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("actor", sa.String(length=64), nullable=False),
            sa.Column("action", sa.String(length=32), nullable=False),
            sa.Column("target", sa.String(length=255), nullable=False),
            sa.Column("detail", sa.Text(), nullable=False),
            sa.PrimaryKeyConstraint("id"),
        )


def downgrade() -> None:
    """Drop the three tables."""
    op.drop_table("imp_audit_log")
    op.drop_index("ix_imp_login_failures_key", table_name="imp_login_failures")
    op.drop_table("imp_login_failures")
    op.drop_table("imp_staff_accounts")
