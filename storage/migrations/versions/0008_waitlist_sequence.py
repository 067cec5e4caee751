"""waitlist sequence: a per-event ticket taken under the event's row lock

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:05:00

Existing answers get tickets in their old order (queued_at, id), so a queue that was waiting
before the upgrade keeps its order after it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("queue_next", sa.Integer(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("rsvps") as batch:
        batch.add_column(sa.Column("queue_seq", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE rsvps SET queue_seq = (SELECT COUNT(*) FROM rsvps AS earlier "
        "WHERE earlier.event_id = rsvps.event_id AND (earlier.queued_at < rsvps.queued_at "
        "OR (earlier.queued_at = rsvps.queued_at AND earlier.id <= rsvps.id)))"
    )
    op.execute(
        "UPDATE events SET queue_next = COALESCE((SELECT MAX(queue_seq) FROM rsvps "
        "WHERE rsvps.event_id = events.id), 0)"
    )


def downgrade() -> None:
    with op.batch_alter_table("rsvps") as batch:
        batch.drop_column("queue_seq")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("queue_next")
