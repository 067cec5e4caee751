"""The waitlist-sequence migration gives existing answers queue tickets in their old order (#18.1)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy import select

from storage import Database
from storage.db import alembic_config
from storage.rows.events import EventRow, RsvpRow
from storage.rows.members import MemberRow
from tests.conftest import START

NEW = {"queue_next", "queue_seq"}


def _before(table: sa.Table) -> sa.Table:
    """The table without the columns the migration adds (its Python defaults would name them)."""
    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key, default=c.default)
               for c in table.columns if c.name not in NEW]
    return sa.Table(table.name, sa.MetaData(), *columns)


async def test_existing_queues_keep_their_order_through_the_upgrade(database_url: str):
    db = Database(database_url)
    try:
        await _downgrade_to_before(db)
        members, events = _before(MemberRow.__table__), _before(EventRow.__table__)
        rsvps = _before(RsvpRow.__table__)
        async with db.engine.begin() as connection:
            for n in range(1, 4):
                await connection.execute(members.insert().values(
                    id=n, display_name=f"m{n}", created_at=START))
            await connection.execute(events.insert().values(
                id=1, title="Talk", starts_at=START + timedelta(days=1), created_at=START))
            # Inserted out of queue order: queued_at decides, then the row id.
            for row_id, member, minutes in ((1, 3, 5), (2, 1, 1), (3, 2, 5)):
                await connection.execute(rsvps.insert().values(
                    id=row_id, event_id=1, member_id=member, status="waitlist",
                    queued_at=START + timedelta(minutes=minutes), created_at=START,
                    updated_at=START))
        await db.upgrade()
        async with db.engine.connect() as connection:
            tickets = (await connection.execute(
                select(RsvpRow.member_id, RsvpRow.queue_seq).order_by(RsvpRow.queue_seq))).all()
            issued = (await connection.execute(select(EventRow.queue_next))).scalar_one()
        assert [tuple(t) for t in tickets] == [(1, 1), (3, 2), (2, 3)]
        assert issued == 3
    finally:
        await db.wipe()
        await db.dispose()


async def _downgrade_to_before(db: Database) -> None:
    await db.upgrade()
    await db.wipe()
    async with db.engine.begin() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), "0007"))
