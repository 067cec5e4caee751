"""audit log: where an admin command ran, and a member index for /mydata

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('place_id', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_member_id'), ['member_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_member_id'))
        batch_op.drop_column('place_id')
        batch_op.drop_column('platform')
