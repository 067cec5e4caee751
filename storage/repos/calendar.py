"""Calendar feed tokens and the sessions a feed lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.calendar import CalendarFeedRow
from storage.rows.events import EventRow, RsvpRow


class CalendarRepo:
    """Feed tokens (hashed) and the events a feed shows."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def feed_of(self, member_id: int) -> CalendarFeedRow | None:
        """The member's feed, if they asked for one."""
        statement = select(CalendarFeedRow).where(CalendarFeedRow.member_id == member_id)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def by_hash(self, token_hash: str) -> CalendarFeedRow | None:
        """The feed whose token hashes to ``token_hash``."""
        statement = select(CalendarFeedRow).where(CalendarFeedRow.token_hash == token_hash)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def put(self, member_id: int, token_hash: str, now: datetime) -> None:
        """Give the member this token, replacing (revoking) any earlier one."""
        row = await self.feed_of(member_id)
        if row is None:
            self._s.add(CalendarFeedRow(member_id=member_id, token_hash=token_hash,
                                        created_at=now))
        else:
            row.token_hash, row.created_at = token_hash, now
        await self._s.flush()

    async def drop(self, member_id: int) -> None:
        """Delete the member's feed (its URL stops working)."""
        await self._s.execute(delete(CalendarFeedRow).where(
            CalendarFeedRow.member_id == member_id))

    async def going(self, member_id: int, since: datetime) -> list[EventRow]:
        """Events from ``since`` on that the member holds a seat at (cancelled ones too)."""
        statement = (
            select(EventRow)
            .join(RsvpRow, RsvpRow.event_id == EventRow.id)
            .where(RsvpRow.member_id == member_id, RsvpRow.status == "going",
                   EventRow.starts_at >= since,
                   EventRow.status.in_(("scheduled", "cancelled")))
            .order_by(EventRow.starts_at, EventRow.id)
        )
        return list((await self._s.execute(statement)).scalars())

    async def public(self, since: datetime) -> list[EventRow]:
        """Announced events open to everyone (no role audience) from ``since`` on."""
        statement = (
            select(EventRow)
            .where(EventRow.announced_at.is_not(None), EventRow.audience.is_(None),
                   EventRow.starts_at >= since,
                   EventRow.status.in_(("scheduled", "cancelled")))
            .order_by(EventRow.starts_at, EventRow.id)
        )
        return list((await self._s.execute(statement)).scalars())

    async def answers_changed(self, member_id: int) -> datetime | None:
        """When the member last changed any RSVP (a seat given up changes their feed too)."""
        statement = select(func.max(RsvpRow.updated_at)).where(RsvpRow.member_id == member_id)
        value: datetime | None = (await self._s.execute(statement)).scalar_one_or_none()
        return value
