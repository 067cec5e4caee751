"""point board indexes: one per board in the board's order (period, value DESC, member_id)

The (period, value) indexes could not serve ``ORDER BY value DESC, member_id``: every page
sorted the whole period. The new ones serve the page and the rank count from the index.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

METRICS = ("points", "challenges", "events")


def upgrade() -> None:
    with op.batch_alter_table('point_totals', schema=None) as batch_op:
        for metric in METRICS:
            batch_op.drop_index(f'ix_point_totals_period_{metric}')
    for metric in METRICS:
        op.create_index(f'ix_point_totals_board_{metric}', 'point_totals',
                        ['period', sa.text(f'{metric} DESC'), 'member_id'], unique=False)


def downgrade() -> None:
    for metric in METRICS:
        op.drop_index(f'ix_point_totals_board_{metric}', table_name='point_totals')
    with op.batch_alter_table('point_totals', schema=None) as batch_op:
        for metric in METRICS:
            batch_op.create_index(f'ix_point_totals_period_{metric}', ['period', metric],
                                  unique=False)
