"""index specimens by participant and status (the home page's counts)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_specimens_participant_status", "specimens",
                    ["participant_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_specimens_participant_status", table_name="specimens")
