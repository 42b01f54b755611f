"""sites: postal address and the contact for packages (the shipping label's sender and
recipient; issue 16)

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("address", sa.String(length=400), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("contact_name", sa.String(length=100), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("contact_phone", sa.String(length=40), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("contact_email", sa.String(length=120), nullable=False,
                                   server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("contact_email")
        batch.drop_column("contact_phone")
        batch.drop_column("contact_name")
        batch.drop_column("address")
