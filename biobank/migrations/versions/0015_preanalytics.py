"""What the bench records for SPREC: centrifugation (speed, temperature, duration, braking),
a second centrifugation, the temperatures while waiting, and for residual tissue the
pathology department's collection type, ischaemia times, fixative and fixation time
(issue 16)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("specimens") as batch:
        batch.add_column(sa.Column("preanalytics", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("specimens") as batch:
        batch.drop_column("preanalytics")
