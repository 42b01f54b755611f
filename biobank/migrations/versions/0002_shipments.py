"""shipments tables: shipments, their manifest/extra items, and the one receipt per shipment

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

import biobank.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shipments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('barcode', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('from_site_id', sa.Integer(), nullable=False),
    sa.Column('to_site_id', sa.Integer(), nullable=False),
    sa.Column('conditions', sa.String(length=24), nullable=False),
    sa.Column('courier', sa.String(length=100), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=True),
    sa.Column('logger_id', sa.String(length=64), nullable=False),
    sa.Column('planned_ship_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('shipped_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('notes', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'ready', 'shipped', 'partially_received', 'received', 'closed', 'cancelled', 'lost')", name=op.f('ck_shipments_status')),
    sa.CheckConstraint('from_site_id <> to_site_id', name=op.f('ck_shipments_two_sites')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_shipments_created_by_id_users')),
    sa.ForeignKeyConstraint(['from_site_id'], ['sites.id'], name=op.f('fk_shipments_from_site_id_sites')),
    sa.ForeignKeyConstraint(['shipped_by_id'], ['users.id'], name=op.f('fk_shipments_shipped_by_id_users')),
    sa.ForeignKeyConstraint(['to_site_id'], ['sites.id'], name=op.f('fk_shipments_to_site_id_sites')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipments')),
    sa.UniqueConstraint('barcode', name=op.f('uq_shipments_barcode')),
    sa.UniqueConstraint('tracking_number', name=op.f('uq_shipments_tracking_number'))
    )
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipments_from_site_id'), ['from_site_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_shipments_to_site_id'), ['to_site_id'], unique=False)

    op.create_table('shipment_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('specimen_id', sa.Integer(), nullable=False),
    sa.Column('extra', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('damage', sa.String(length=24), nullable=True),
    sa.Column('added_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('scanned_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('scanned_by_id', sa.Integer(), nullable=True),
    sa.Column('resolution', sa.String(length=500), nullable=True),
    sa.Column('resolved_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state IN ('packed', 'received', 'missing', 'damaged', 'extra')", name=op.f('ck_shipment_items_state')),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_shipment_items_added_by_id_users')),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_shipment_items_resolved_by_id_users')),
    sa.ForeignKeyConstraint(['scanned_by_id'], ['users.id'], name=op.f('fk_shipment_items_scanned_by_id_users')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_items_shipment_id_shipments')),
    sa.ForeignKeyConstraint(['specimen_id'], ['specimens.id'], name=op.f('fk_shipment_items_specimen_id_specimens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_items')),
    sa.UniqueConstraint('shipment_id', 'specimen_id', name=op.f('uq_shipment_items_shipment_id'))
    )
    with op.batch_alter_table('shipment_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shipment_items_specimen_id'), ['specimen_id'], unique=False)

    op.create_table('shipment_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shipment_id', sa.Integer(), nullable=False),
    sa.Column('receiver_id', sa.Integer(), nullable=False),
    sa.Column('started_at', biobank.models.base.UTCDateTime(), nullable=False),
    sa.Column('finished_at', biobank.models.base.UTCDateTime(), nullable=True),
    sa.Column('package_condition', sa.String(length=24), nullable=False),
    sa.Column('arrival_temperature_c', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['receiver_id'], ['users.id'], name=op.f('fk_shipment_receipts_receiver_id_users')),
    sa.ForeignKeyConstraint(['shipment_id'], ['shipments.id'], name=op.f('fk_shipment_receipts_shipment_id_shipments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_receipts')),
    sa.UniqueConstraint('shipment_id', name=op.f('uq_shipment_receipts_shipment_id'))
    )


def downgrade() -> None:
    op.drop_table('shipment_receipts')
    with op.batch_alter_table('shipment_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipment_items_specimen_id'))

    op.drop_table('shipment_items')
    with op.batch_alter_table('shipments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shipments_to_site_id'))
        batch_op.drop_index(batch_op.f('ix_shipments_status'))
        batch_op.drop_index(batch_op.f('ix_shipments_from_site_id'))

    op.drop_table('shipments')
