"""shipments: the net mass of the dry ice in the package, in kg (IATA PI 954 / UN1845: the
shipping label states "NET x KG"; shipping on dry ice without it is refused)

Additive: a nullable column (every existing shipment has none recorded, and one already shipped
keeps none), then its check: only with dry ice, 0 < kg <= 200.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

CHECK = ("dry_ice_kg IS NULL OR (conditions = 'dry_ice' AND dry_ice_kg > 0 "
         "AND dry_ice_kg <= 200)")


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.add_column(sa.Column("dry_ice_kg", sa.Numeric(5, 2), nullable=True))
    with op.batch_alter_table("shipments") as batch:
        batch.create_check_constraint(op.f("ck_shipments_dry_ice_kg"), CHECK)


def downgrade() -> None:
    with op.batch_alter_table("shipments") as batch:
        batch.drop_constraint(op.f("ck_shipments_dry_ice_kg"), type_="check")
    with op.batch_alter_table("shipments") as batch:
        batch.drop_column("dry_ice_kg")
