"""classification jobs run by worker processes: attempt count, lease, queue timestamps

Revision ID: 0008
Revises: 0011
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classification_jobs") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("max_attempts", sa.Integer(), server_default="3",
                                   nullable=False))
        batch.add_column(sa.Column("lease_owner", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("lease_expires_at", biobank.models.base.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column("queued_at", biobank.models.base.UTCDateTime(),
                                   nullable=True))
        batch.add_column(sa.Column("sent_at", biobank.models.base.UTCDateTime(), nullable=True))
        batch.create_check_constraint("attempt", "attempt >= 0 AND attempt <= max_attempts")
    # A job left "running" by the in-process runner this replaces can never resume (issue 18):
    # it is failed with its reason, so that it can be retried from its page.
    op.execute(
        "UPDATE classification_jobs SET state = 'failed', step = 'failed', "
        "error = 'the server stopped during the classification; retry it' "
        "WHERE state = 'running'"
    )


def downgrade() -> None:
    with op.batch_alter_table("classification_jobs") as batch:
        batch.drop_constraint(op.f("ck_classification_jobs_attempt"), type_="check")
        batch.drop_column("sent_at")
        batch.drop_column("queued_at")
        batch.drop_column("lease_expires_at")
        batch.drop_column("lease_owner")
        batch.drop_column("max_attempts")
        batch.drop_column("attempt")
