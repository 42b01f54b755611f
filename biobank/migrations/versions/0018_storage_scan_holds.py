"""Storing by scan: a storage deviation held for the same tube's second scan, which
acknowledges it (the scanning bench's acknowledgement; the button and the API's flag remain)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "storage_scan_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("box_id", sa.Integer(), nullable=False),
        sa.Column("specimen_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", biobank.models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_storage_scan_holds_user_id_users")),
        sa.ForeignKeyConstraint(["box_id"], ["storage_boxes.id"],
                                name=op.f("fk_storage_scan_holds_box_id_storage_boxes")),
        sa.ForeignKeyConstraint(["specimen_id"], ["specimens.id"],
                                name=op.f("fk_storage_scan_holds_specimen_id_specimens")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_scan_holds")),
        sa.UniqueConstraint("user_id", "box_id", name=op.f("uq_storage_scan_holds_user_id")),
    )
    op.create_index(op.f("ix_storage_scan_holds_box_id"), "storage_scan_holds", ["box_id"])


def downgrade() -> None:
    # The table holds only warnings waiting for a second scan: nothing recorded is lost.
    op.drop_index(op.f("ix_storage_scan_holds_box_id"), table_name="storage_scan_holds")
    op.drop_table("storage_scan_holds")
