"""storage tables: locations (units, shelves, racks), boxes, occupied positions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_locations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["storage_locations.id"],
                                name=op.f("fk_storage_locations_parent_id_storage_locations")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_storage_locations_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_locations")),
        sa.UniqueConstraint("barcode", name=op.f("uq_storage_locations_barcode")),
    )
    with op.batch_alter_table("storage_locations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_locations_parent_id"), ["parent_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_storage_locations_site_id"), ["site_id"],
                              unique=False)

    op.create_table(
        "storage_boxes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("box_type", sa.String(length=24), nullable=False),
        sa.Column("n_rows", sa.Integer(), nullable=False),
        sa.Column("n_cols", sa.Integer(), nullable=False),
        sa.Column("fill_order", sa.String(length=8), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.CheckConstraint("fill_order IN ('row', 'column')",
                           name=op.f("ck_storage_boxes_fill_order")),
        sa.CheckConstraint("n_rows BETWEEN 1 AND 26 AND n_cols BETWEEN 1 AND 99",
                           name=op.f("ck_storage_boxes_geometry")),
        sa.ForeignKeyConstraint(["location_id"], ["storage_locations.id"],
                                name=op.f("fk_storage_boxes_location_id_storage_locations")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"],
                                name=op.f("fk_storage_boxes_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_boxes")),
        sa.UniqueConstraint("barcode", name=op.f("uq_storage_boxes_barcode")),
    )
    with op.batch_alter_table("storage_boxes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_storage_boxes_location_id"), ["location_id"],
                              unique=False)
        batch_op.create_index(batch_op.f("ix_storage_boxes_site_id"), ["site_id"], unique=False)

    op.create_table(
        "storage_positions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("col_no", sa.Integer(), nullable=False),
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("stored_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.Column("stored_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("row_no >= 1 AND col_no >= 1",
                           name=op.f("ck_storage_positions_position_positive")),
        sa.ForeignKeyConstraint(["box_id"], ["storage_boxes.id"],
                                name=op.f("fk_storage_positions_box_id_storage_boxes")),
        sa.ForeignKeyConstraint(["specimen_id"], ["specimens.id"],
                                name=op.f("fk_storage_positions_specimen_id_specimens")),
        sa.ForeignKeyConstraint(["stored_by_id"], ["users.id"],
                                name=op.f("fk_storage_positions_stored_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_positions")),
        # One specimen per position, one position per specimen: the database enforces both.
        sa.UniqueConstraint("box_id", "row_no", "col_no",
                            name=op.f("uq_storage_positions_box_id")),
        sa.UniqueConstraint("specimen_id", name=op.f("uq_storage_positions_specimen_id")),
    )


def downgrade() -> None:
    op.drop_table("storage_positions")
    with op.batch_alter_table("storage_boxes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_boxes_site_id"))
        batch_op.drop_index(batch_op.f("ix_storage_boxes_location_id"))
    op.drop_table("storage_boxes")
    with op.batch_alter_table("storage_locations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_storage_locations_site_id"))
        batch_op.drop_index(batch_op.f("ix_storage_locations_parent_id"))
    op.drop_table("storage_locations")
