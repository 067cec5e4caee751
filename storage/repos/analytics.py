"""Every read the organisers' analytics make: events, answers, activity, solves, ratings.

Read-only and streamed where a period can be long (interactions), so a report over two
years never holds every row at once. Rows come back as plain tuples or dicts.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.activity import InteractionRow
from storage.rows.challenges import ChallengeRow, ChallengeSolveRow
from storage.rows.events import EventRow, FeedbackRow, RsvpRow
from storage.rows.members import MemberRow

STREAM_ROWS = 1000  # interactions fetched per round trip while streaming
YIELD_ROWS = 500  # rows handed out between two turns of the event loop


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    """``{key: value}`` from two-column result rows."""
    return {key: value for key, value in rows}


class AnalyticsRepo:
    """Read queries for :mod:`bot.services.analytics` (nothing here writes)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- events and answers ---------------------------------------------------------------

    async def event(self, event_id: int) -> EventRow | None:
        """One event, whatever its status."""
        return await self._s.get(EventRow, event_id)

    async def event_ids(self, since: datetime, until: datetime) -> list[int]:
        """Events (not cancelled) that started in [since, until), by start."""
        return list((await self._s.execute(
            select(EventRow.id).where(EventRow.status != "cancelled",
                                      EventRow.starts_at >= since,
                                      EventRow.starts_at < until)
            .order_by(EventRow.starts_at, EventRow.id))).scalars())

    async def held_events(self, since: datetime, until: datetime) -> list[EventRow]:
        """Events not cancelled that started in [since, until), by start."""
        return list((await self._s.execute(
            select(EventRow).where(EventRow.status != "cancelled",
                                   EventRow.starts_at >= since,
                                   EventRow.starts_at < until)
            .order_by(EventRow.starts_at, EventRow.id))).scalars().all())

    async def answers(self, event_id: int) -> list[tuple[int, str]]:
        """(member, status) of every answer to one event."""
        return [(int(m), str(s)) for m, s in (await self._s.execute(
            select(RsvpRow.member_id, RsvpRow.status).where(RsvpRow.event_id == event_id)
        )).all()]

    async def going(self, event_id: int) -> list[int]:
        """Members who said going to one event."""
        return list((await self._s.execute(
            select(RsvpRow.member_id).where(RsvpRow.event_id == event_id,
                                            RsvpRow.status == "going"))).scalars())

    async def answers_of(self, event_ids: Sequence[int]
                         ) -> list[tuple[int, int, str, datetime | None]]:
        """(event, member, status, checked in at) of every answer to ``event_ids``."""
        return [(int(e), int(m), str(s), c) for e, m, s, c in (await self._s.execute(
            select(RsvpRow.event_id, RsvpRow.member_id, RsvpRow.status,
                   RsvpRow.checked_in_at).where(RsvpRow.event_id.in_(list(event_ids)))
        )).all()]

    async def feedback(self, event_id: int) -> list[tuple[int, str, str]]:
        """(rating, comment, rater's name) of one event, oldest first."""
        return [(int(r), str(c), str(n)) for r, c, n in (await self._s.execute(
            select(FeedbackRow.rating, FeedbackRow.comment, MemberRow.display_name)
            .join(MemberRow, MemberRow.id == FeedbackRow.member_id)
            .where(FeedbackRow.event_id == event_id).order_by(FeedbackRow.created_at)
        )).all()]

    async def ratings(self, event_ids: Sequence[int]) -> dict[tuple[int, int], int]:
        """``{(event, member): rating}`` for ``event_ids``."""
        return {(int(e), int(m)): int(r) for e, m, r in (await self._s.execute(
            select(FeedbackRow.event_id, FeedbackRow.member_id, FeedbackRow.rating)
            .where(FeedbackRow.event_id.in_(list(event_ids))))).all()}

    async def raters_since(self, since: datetime) -> list[int]:
        """The rater of every rating given since ``since`` (one entry per rating)."""
        return list((await self._s.execute(
            select(FeedbackRow.member_id).where(FeedbackRow.created_at >= since)
        )).scalars().all())

    # -- challenges -----------------------------------------------------------------------

    async def solvers_between(self, since: datetime, until: datetime | None = None
                              ) -> list[int]:
        """The solver of every solve in [since, until) (one entry per solve)."""
        statement = select(ChallengeSolveRow.member_id).where(
            ChallengeSolveRow.solved_at >= since)
        if until is not None:
            statement = statement.where(ChallengeSolveRow.solved_at < until)
        return list((await self._s.execute(statement)).scalars().all())

    async def linked_challenges(self, event_ids: Sequence[int]) -> list[tuple[int, int | None]]:
        """(challenge, event) of challenges linked to ``event_ids``."""
        return [(int(c), None if e is None else int(e)) for c, e in (await self._s.execute(
            select(ChallengeRow.id, ChallengeRow.event_id)
            .where(ChallengeRow.event_id.in_(list(event_ids))))).all()]

    async def solves_of(self, challenge_ids: Iterable[int]) -> list[tuple[int, int]]:
        """(challenge, member) of every solve of ``challenge_ids``."""
        return [(int(c), int(m)) for c, m in (await self._s.execute(
            select(ChallengeSolveRow.challenge_id, ChallengeSolveRow.member_id)
            .where(ChallengeSolveRow.challenge_id.in_(list(challenge_ids))))).all()]

    # -- members and activity -------------------------------------------------------------

    async def names(self) -> dict[int, str]:
        """Every member's display name."""
        return _pairs((await self._s.execute(
            select(MemberRow.id, MemberRow.display_name))).all())

    async def joined(self) -> dict[int, datetime]:
        """When each member was first stored."""
        return _pairs((await self._s.execute(select(MemberRow.id, MemberRow.created_at))).all())

    async def zones(self) -> dict[int, tuple[str, datetime]]:
        """Each member's time zone and join time."""
        return {m: (tz, joined) for m, tz, joined in (await self._s.execute(
            select(MemberRow.id, MemberRow.timezone, MemberRow.created_at))).all()}

    async def first_seen(self) -> dict[int, datetime]:
        """Each member's first interaction."""
        return _pairs((await self._s.execute(
            select(InteractionRow.member_id, func.min(InteractionRow.created_at))
            .group_by(InteractionRow.member_id))).all())

    async def last_seen(self) -> dict[int, datetime]:
        """Each member's latest interaction."""
        return _pairs((await self._s.execute(
            select(InteractionRow.member_id, func.max(InteractionRow.created_at))
            .group_by(InteractionRow.member_id))).all())

    async def interactions(self, since: datetime, until: datetime,
                           kinds: Sequence[str] | None = None,
                           ) -> AsyncIterator[tuple[int, str, datetime]]:
        """(member, kind, when) of interactions in [since, until), streamed."""
        statement = (select(InteractionRow.member_id, InteractionRow.kind,
                            InteractionRow.created_at)
                     .where(InteractionRow.created_at >= since,
                            InteractionRow.created_at < until)
                     .execution_options(yield_per=STREAM_ROWS))
        if kinds is not None:
            statement = statement.where(InteractionRow.kind.in_(list(kinds)))
        result = await self._s.stream(statement)
        handed = 0
        async for member_id, kind, at in result:
            yield int(member_id), str(kind), at
            handed += 1
            if handed % YIELD_ROWS == 0:
                # Buffered rows come back without a real await: let the loop breathe, so a
                # year of activity never becomes one long step (G12).
                await asyncio.sleep(0)
