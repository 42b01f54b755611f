"""Receiving by scan: a condition card scanned for the next tube, and a pending finish that
a second scan of the shipment label confirms (issue 16)

Revision ID: 0013
Revises: 0015
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shipment_receipts") as batch:
        batch.add_column(sa.Column("next_condition", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("finish_pending", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))


def downgrade() -> None:
    # Both columns hold only the state of a scanning session in progress: nothing recorded
    # is lost by dropping them.
    with op.batch_alter_table("shipment_receipts") as batch:
        batch.drop_column("finish_pending")
        batch.drop_column("next_condition")
