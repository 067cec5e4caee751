"""rsvp check-in failures (wrong codes are rate-limited per member and event); events
announced_at (a new event is public only once announced)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announced_at', storage.types.UTCDateTime(timezone=True),
                                      nullable=True))
    # Events made before this revision were public as soon as they were created.
    op.execute("UPDATE events SET announced_at = created_at")
    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checkin_failures', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('checkin_failed_at',
                                      storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('rsvps', schema=None) as batch_op:
        batch_op.drop_column('checkin_failed_at')
        batch_op.drop_column('checkin_failures')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('announced_at')
