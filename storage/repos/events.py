"""Repositories for events, series, RSVPs and feedback."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.events import EventRow, FeedbackRow, RsvpRow, SeriesRow
from storage.rows.members import MemberRow

SEAT_TAKING = ("going", "offered")
# Walk-ins (checked in without an answer) have no ticket and sort first, alike on both dialects.
_by_ticket = func.coalesce(RsvpRow.queue_seq, 0)


class EventRepo:
    """Events (one row per occurrence)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, row: EventRow) -> EventRow:
        """Store a new event."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def get(self, event_id: int, *, lock: bool = False) -> EventRow | None:
        """An event by id; ``lock`` serialises seat-taking on PostgreSQL (FOR UPDATE)."""
        statement = select(EventRow).where(EventRow.id == event_id)
        if lock:
            statement = statement.with_for_update()
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def upcoming(self, now: datetime, limit: int = 50, offset: int = 0) -> list[EventRow]:
        """Scheduled events that have not started (``offset`` skips earlier pages)."""
        statement = (
            select(EventRow)
            .where(EventRow.starts_at >= now, EventRow.status == "scheduled")
            .order_by(EventRow.starts_at, EventRow.id)
            .limit(limit).offset(offset)
        )
        return list((await self._s.execute(statement)).scalars())

    async def listing(self, now: datetime, *, past: bool, tag: str | None, limit: int,
                      offset: int = 0) -> list[EventRow]:
        """Events of any status for the dashboard, upcoming or past, optionally with a tag.

        Upcoming come soonest first, past latest first; tags are stored comma-joined, so a
        tag matches between commas, with LIKE's wildcards escaped.
        """
        statement = select(EventRow)
        if past:
            statement = statement.where(EventRow.starts_at < now).order_by(
                EventRow.starts_at.desc(), EventRow.id.desc())
        else:
            statement = statement.where(EventRow.starts_at >= now).order_by(
                EventRow.starts_at, EventRow.id)
        if tag:
            quoted = tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            statement = statement.where((literal(",") + EventRow.tags + literal(",")).like(
                f"%,{quoted},%", escape="\\"))
        return list((await self._s.execute(statement.limit(limit).offset(offset))).scalars())

    async def starts(self, event_ids: Collection[int]) -> dict[int, datetime]:
        """Start times of the given events."""
        statement = select(EventRow.id, EventRow.starts_at).where(EventRow.id.in_(event_ids))
        return {i: s for i, s in (await self._s.execute(statement)).all()}

    async def in_progress(self, now: datetime, early: timedelta) -> list[EventRow]:
        """Scheduled events running now (or starting within ``early``)."""
        statement = select(EventRow).where(
            EventRow.status == "scheduled",
            EventRow.starts_at <= now + early,
            EventRow.starts_at >= now - timedelta(hours=24),
        )
        rows = list((await self._s.execute(statement)).scalars())
        return [r for r in rows if r.ends_at >= now]

    async def ended_without_feedback(self, now: datetime) -> list[EventRow]:
        """Held events whose feedback requests are not planned yet."""
        statement = select(EventRow).where(
            EventRow.status == "scheduled",
            EventRow.feedback_requested_at.is_(None),
            EventRow.starts_at <= now,
        )
        rows = list((await self._s.execute(statement)).scalars())
        return [r for r in rows if r.ends_at <= now]

    async def in_series(self, series_id: int, after: datetime | None = None) -> list[EventRow]:
        """A series' occurrences, optionally only those starting after ``after``."""
        statement = select(EventRow).where(EventRow.series_id == series_id)
        if after is not None:
            statement = statement.where(EventRow.starts_at > after)
        return list((await self._s.execute(statement.order_by(EventRow.starts_at))).scalars())

    @staticmethod
    def take_ticket(event: EventRow) -> int:
        """The next place in ``event``'s queue; call only with the event row locked."""
        event.queue_next = (event.queue_next or 0) + 1
        return event.queue_next

    async def update(self, event_id: int, **fields: object) -> None:
        """Change fields of one event."""
        await self._s.execute(update(EventRow).where(EventRow.id == event_id).values(**fields))

    async def count(self) -> int:
        """How many events exist."""
        return int((await self._s.execute(select(func.count(EventRow.id)))).scalar_one())


class SeriesRepo:
    """Recurring events."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, row: SeriesRow) -> SeriesRow:
        """Store a new series."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def get(self, series_id: int) -> SeriesRow | None:
        """A series by id."""
        return await self._s.get(SeriesRow, series_id)

    async def active(self) -> list[SeriesRow]:
        """Series still producing occurrences."""
        statement = select(SeriesRow).where(SeriesRow.status == "active")
        return list((await self._s.execute(statement)).scalars())


class RsvpRepo:
    """Answers to events."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, event_id: int, member_id: int) -> RsvpRow | None:
        """One member's answer."""
        statement = select(RsvpRow).where(RsvpRow.event_id == event_id,
                                          RsvpRow.member_id == member_id)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def add(self, row: RsvpRow) -> RsvpRow:
        """Store a new answer."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def seats_taken(self, event_id: int) -> int:
        """Going plus seats currently offered to the waitlist."""
        statement = select(func.count(RsvpRow.id)).where(RsvpRow.event_id == event_id,
                                                         RsvpRow.status.in_(SEAT_TAKING))
        return int((await self._s.execute(statement)).scalar_one())

    async def for_event(self, event_id: int,
                        statuses: Sequence[str] | None = None) -> list[tuple[RsvpRow, str]]:
        """Answers with the member's display name, in queue order."""
        statement = (
            select(RsvpRow, MemberRow.display_name)
            .join(MemberRow, MemberRow.id == RsvpRow.member_id)
            .where(RsvpRow.event_id == event_id)
            .order_by(_by_ticket, RsvpRow.id)
        )
        if statuses is not None:
            statement = statement.where(RsvpRow.status.in_(list(statuses)))
        return [(r, n) for r, n in (await self._s.execute(statement)).all()]

    async def seat_counts(self, event_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """How many answers of each status each event has (a page of events, one query)."""
        if not event_ids:
            return {}
        statement = (
            select(RsvpRow.event_id, RsvpRow.status, func.count())
            .join(MemberRow, MemberRow.id == RsvpRow.member_id)
            .where(RsvpRow.event_id.in_(list(event_ids)))
            .group_by(RsvpRow.event_id, RsvpRow.status)
        )
        out: dict[int, dict[str, int]] = {}
        for event_id, status, count in (await self._s.execute(statement)).all():
            out.setdefault(int(event_id), {})[str(status)] = int(count)
        return out

    async def next_waiting(self, event_id: int) -> RsvpRow | None:
        """The first member on the waitlist."""
        statement = (
            select(RsvpRow)
            .where(RsvpRow.event_id == event_id, RsvpRow.status == "waitlist")
            .order_by(_by_ticket, RsvpRow.id)
            .limit(1)
        )
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def waitlist_position(self, event_id: int, row: RsvpRow) -> int:
        """1-based place in the waitlist, in the order seats will be offered (next_waiting).

        Exact only under the event's row lock, where the ticket was taken.
        """
        mine = row.queue_seq or 0
        statement = select(func.count(RsvpRow.id)).where(
            RsvpRow.event_id == event_id, RsvpRow.status == "waitlist",
            or_(_by_ticket < mine, (_by_ticket == mine) & (RsvpRow.id <= row.id)),
        )
        return int((await self._s.execute(statement)).scalar_one())

    async def expired_offers(self, now: datetime) -> list[RsvpRow]:
        """Offered seats whose claim window has passed."""
        statement = select(RsvpRow).where(RsvpRow.status == "offered",
                                          RsvpRow.offer_expires_at <= now)
        return list((await self._s.execute(statement)).scalars())

    async def for_member(self, member_id: int) -> list[RsvpRow]:
        """A member's answers."""
        statement = select(RsvpRow).where(RsvpRow.member_id == member_id)
        return list((await self._s.execute(statement)).scalars())

    async def delete_for_member(self, member_id: int) -> None:
        """Remove a member's answers."""
        await self._s.execute(delete(RsvpRow).where(RsvpRow.member_id == member_id))


class FeedbackRepo:
    """Ratings of events."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, event_id: int, member_id: int) -> FeedbackRow | None:
        """One member's rating."""
        statement = select(FeedbackRow).where(FeedbackRow.event_id == event_id,
                                              FeedbackRow.member_id == member_id)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def add(self, row: FeedbackRow) -> None:
        """Store a rating."""
        self._s.add(row)
        await self._s.flush()

    async def for_event(self, event_id: int) -> list[FeedbackRow]:
        """Every rating of an event."""
        statement = select(FeedbackRow).where(FeedbackRow.event_id == event_id)
        return list((await self._s.execute(statement)).scalars())

    async def for_member(self, member_id: int) -> list[FeedbackRow]:
        """A member's ratings."""
        statement = select(FeedbackRow).where(FeedbackRow.member_id == member_id)
        return list((await self._s.execute(statement)).scalars())
