"""server-side sessions and sign-in / e-signature back-off

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0007"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.Column("ended_at", biobank.models.base.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_user_sessions_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_sessions_token_hash")),
    )
    op.create_index(op.f("ix_user_sessions_user_id"), "user_sessions", ["user_id"])
    op.create_table(
        "auth_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("blocked_until", biobank.models.base.UTCDateTime(), nullable=True),
        sa.Column("updated_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("failures >= 0", name=op.f("ck_auth_throttles_failures")),
        sa.CheckConstraint("scope IN ('login', 'sign')", name=op.f("ck_auth_throttles_scope")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_throttles")),
        sa.UniqueConstraint("scope", "subject", "address",
                            name=op.f("uq_auth_throttles_scope")),
    )
    op.create_index(op.f("ix_auth_throttles_updated_at"), "auth_throttles", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_auth_throttles_updated_at"), table_name="auth_throttles")
    op.drop_table("auth_throttles")
    op.drop_index(op.f("ix_user_sessions_user_id"), table_name="user_sessions")
    op.drop_table("user_sessions")
