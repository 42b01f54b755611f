"""index the audit trail for the monitor's filters (who, action, date range)

Each filter is read newest first and paged by id (keyset), so the index for a filter on one
column ends with the id: the page is a range scan of that index, however long the trail.

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor", "id"])
    op.create_index("ix_audit_events_action_id", "audit_events", ["action", "id"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_index("ix_audit_events_action_id", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id", table_name="audit_events")
