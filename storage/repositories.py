"""Repositories bound to one unit of work. They speak rows, never platform objects."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.challenge_repos import ChallengeRepo
from storage.event_repos import EventRepo, FeedbackRepo, RsvpRepo, SeriesRepo
from storage.models import (
    AccountRow,
    AuditRow,
    ChannelRoleRow,
    InteractionRow,
    MemberRow,
    MessageTextRow,
    OutboxRow,
    PlaceRow,
)
from storage.points_repos import PointsRepo, RewardRepo
from storage.recommend_repos import RecommendRepo


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], key: str
) -> int:
    """Insert rows, skipping those whose unique ``key`` already exists; returns rows added.

    This is how a redelivered platform event is stored once on either database.
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        statement = (postgresql.insert(table).on_conflict_do_nothing(index_elements=[key])
                     .returning(table.c[key]))
        # RETURNING counts what was really added; rowcount is -1 for asyncpg's executemany.
        result = await session.execute(statement, list(rows))
        return len(result.all())
    # SQLite: a plain executemany (no RETURNING) is the fast path, and its rowcount is exact.
    plain = await session.execute(
        sqlite.insert(table).on_conflict_do_nothing(index_elements=[key]), list(rows))
    return int(getattr(plain, "rowcount", 0) or 0)


class MemberRepo:
    """People and their platform accounts."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: int) -> MemberRow | None:
        """A member by id."""
        return await self._s.get(MemberRow, member_id)

    async def by_account(self, platform: str, user_id: str) -> MemberRow | None:
        """The member owning a platform account."""
        statement = (
            select(MemberRow)
            .join(AccountRow, AccountRow.member_id == MemberRow.id)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id)
        )
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def create(
        self,
        platform: str,
        user_id: str,
        display_name: str,
        handle: str | None,
        now: datetime,
        timezone: str = "UTC",
    ) -> MemberRow:
        """Create a member with their first account."""
        member = MemberRow(display_name=display_name[:100], timezone=timezone, interests="",
                           dms=True, digests=False, keep_text=True, created_at=now)
        self._s.add(member)
        await self._s.flush()
        self._s.add(AccountRow(member_id=member.id, platform=platform, user_id=user_id,
                               display_name=display_name[:100], handle=handle,
                               created_at=now))
        await self._s.flush()
        return member

    async def find(self, platform: str, token: str) -> MemberRow | None:
        """Find by @handle, platform id or display name (in that order) on one platform."""
        bare = token.strip().removeprefix("@")
        for column, value in (
            (AccountRow.handle, bare),
            (AccountRow.user_id, bare),
        ):
            statement = (
                select(MemberRow)
                .join(AccountRow, AccountRow.member_id == MemberRow.id)
                .where(AccountRow.platform == platform, column == value)
            )
            found = (await self._s.execute(statement)).scalars().first()
            if found is not None:
                return found
        statement = (
            select(MemberRow)
            .join(AccountRow, AccountRow.member_id == MemberRow.id)
            .where(AccountRow.platform == platform,
                   func.lower(AccountRow.display_name) == bare.lower())
        )
        return (await self._s.execute(statement)).scalars().first()

    async def many(self, member_ids: Collection[int]) -> dict[int, MemberRow]:
        """Members by id."""
        statement = select(MemberRow).where(MemberRow.id.in_(member_ids))
        return {m.id: m for m in (await self._s.execute(statement)).scalars()}

    async def accounts_of(self, member_ids: Collection[int]) -> dict[int, list[AccountRow]]:
        """Each member's accounts, oldest first."""
        statement = (select(AccountRow).where(AccountRow.member_id.in_(member_ids))
                     .order_by(AccountRow.created_at, AccountRow.id))
        out: dict[int, list[AccountRow]] = {}
        for account in (await self._s.execute(statement)).scalars():
            out.setdefault(account.member_id, []).append(account)
        return out

    async def accounts(self, member_id: int) -> list[AccountRow]:
        """A member's platform accounts."""
        statement = (select(AccountRow).where(AccountRow.member_id == member_id)
                     .order_by(AccountRow.created_at, AccountRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def update(self, member_id: int, **fields: object) -> None:
        """Change profile fields."""
        await self._s.execute(update(MemberRow).where(MemberRow.id == member_id).values(**fields))

    async def delete(self, member_id: int) -> None:
        """Delete a member; their accounts, interactions and texts go with them (cascade)."""
        await self._s.execute(delete(MemberRow).where(MemberRow.id == member_id))

    async def count(self) -> int:
        """How many members there are."""
        return int((await self._s.execute(select(func.count(MemberRow.id)))).scalar_one())


class InteractionRepo:
    """The interaction log."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many, ignoring redelivered ``source_key``s."""
        table = InteractionRow.__table__
        assert isinstance(table, Table)
        return await insert_ignoring_duplicates(self._s, table, rows, "source_key")

    async def for_member(self, member_id: int) -> list[InteractionRow]:
        """Everything one member did, oldest first."""
        statement = (
            select(InteractionRow)
            .where(InteractionRow.member_id == member_id)
            .order_by(InteractionRow.created_at, InteractionRow.id)
        )
        return list((await self._s.execute(statement)).scalars())

    async def delete_for_member(self, member_id: int) -> None:
        """Remove one member's interactions."""
        await self._s.execute(delete(InteractionRow).where(InteractionRow.member_id == member_id))

    async def count(self) -> int:
        """How many interactions are stored."""
        return int((await self._s.execute(select(func.count(InteractionRow.id)))).scalar_one())


class TextRepo:
    """Stored message texts (opt-in by the community, opt-out by the member)."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert texts, ignoring redelivered messages."""
        table = MessageTextRow.__table__
        assert isinstance(table, Table)
        return await insert_ignoring_duplicates(self._s, table, rows, "source_key")

    async def for_member(self, member_id: int, limit: int = 1000) -> list[MessageTextRow]:
        """A member's most recent stored texts."""
        statement = (
            select(MessageTextRow)
            .where(MessageTextRow.member_id == member_id)
            .order_by(MessageTextRow.created_at.desc())
            .limit(limit)
        )
        return list((await self._s.execute(statement)).scalars())

    async def recent_for(self, member_ids: Collection[int], since: datetime,
                         per_member: int) -> dict[int, list[MessageTextRow]]:
        """Each member's texts since ``since``, newest first, at most ``per_member`` each."""
        statement = (
            select(MessageTextRow)
            .where(MessageTextRow.member_id.in_(list(member_ids)),
                   MessageTextRow.created_at >= since)
            .order_by(MessageTextRow.created_at.desc())
        )
        out: dict[int, list[MessageTextRow]] = {}
        for row in (await self._s.execute(statement)).scalars():
            rows = out.setdefault(row.member_id, [])
            if len(rows) < per_member:
                rows.append(row)
        return out

    async def delete_for_member(self, member_id: int) -> None:
        """Remove one member's texts."""
        await self._s.execute(delete(MessageTextRow).where(MessageTextRow.member_id == member_id))


class AuditRepo:
    """Admin actions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, member_id: int, command: str, args: str, now: datetime) -> None:
        """Record one admin action."""
        self._s.add(AuditRow(member_id=member_id, command=command, args=args, created_at=now))

    async def recent(self, limit: int = 50) -> list[AuditRow]:
        """The latest admin actions."""
        statement = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        return list((await self._s.execute(statement)).scalars())


class PlaceRepo:
    """Channels and groups."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def ensure(self, platform: str, place_id: str, name: str, is_direct: bool,
                     community_id: str | None = None) -> PlaceRow:
        """Return the place, creating it on first sight."""
        statement = select(PlaceRow).where(PlaceRow.platform == platform,
                                           PlaceRow.place_id == place_id)
        found = (await self._s.execute(statement)).scalar_one_or_none()
        if found is None:
            found = PlaceRow(platform=platform, place_id=place_id, name=name,
                             is_direct=is_direct, community_id=community_id)
            self._s.add(found)
            await self._s.flush()
        return found

    async def all(self, platform: str) -> list[PlaceRow]:
        """Known places on a platform."""
        statement = select(PlaceRow).where(PlaceRow.platform == platform).order_by(PlaceRow.id)
        return list((await self._s.execute(statement)).scalars())


class OutboxRepo:
    """Rows of the durable outbox."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert messages; a key already present is left as it is (idempotent).

        A withdrawn row with the same key comes back to life (a member who said no and
        then yes again), but a sent one never does: nothing is sent twice.
        """
        if not rows:
            return 0
        table = OutboxRow.__table__
        assert isinstance(table, Table)
        dialect = self._s.get_bind().dialect.name
        builder = postgresql.insert if dialect == "postgresql" else sqlite.insert
        insert = builder(table)
        statement = insert.on_conflict_do_update(
            index_elements=["key"],
            set_={"status": insert.excluded.status, "due_at": insert.excluded.due_at,
                  "text": insert.excluded.text, "attempts": 0, "last_error": None},
            where=table.c.status == "withdrawn",
        ).returning(table.c.key)
        result = await self._s.execute(statement, list(rows))
        return len(result.all())

    async def claim_due(self, now: datetime, limit: int, claimer: str) -> list[OutboxRow]:
        """Mark up to ``limit`` due rows as ``sending`` and return them, oldest first."""
        ids_query = (
            select(OutboxRow.id)
            .where(OutboxRow.status == "pending", OutboxRow.due_at <= now)
            .order_by(OutboxRow.due_at, OutboxRow.id)
            .limit(limit)
        )
        if self._s.get_bind().dialect.name == "postgresql":
            ids_query = ids_query.with_for_update(skip_locked=True)
        ids = list((await self._s.execute(ids_query)).scalars())
        if not ids:
            return []
        await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.status == "pending")
            .values(status="sending", claimed_at=now, claimed_by=claimer,
                    attempts=OutboxRow.attempts + 1)
        )
        statement = (select(OutboxRow).where(OutboxRow.id.in_(ids))
                     .order_by(OutboxRow.due_at, OutboxRow.id)
                     .execution_options(populate_existing=True))
        return list((await self._s.execute(statement)).scalars())

    async def finish(self, row_id: int, **fields: object) -> None:
        """Record the outcome of one delivery attempt."""
        await self._s.execute(update(OutboxRow).where(OutboxRow.id == row_id).values(**fields))

    async def release_claims(self, except_claimer: str | None = None) -> int:
        """Put rows a dead sender had claimed back to ``pending``."""
        statement = update(OutboxRow).where(OutboxRow.status == "sending")
        if except_claimer is not None:
            statement = statement.where(OutboxRow.claimed_by != except_claimer)
        result = await self._s.execute(statement.values(status="pending", claimed_by=None))
        return int(getattr(result, "rowcount", 0) or 0)

    async def withdraw(
        self,
        *,
        event_id: int,
        member_id: int | None = None,
        kinds: Sequence[str] | None = None,
    ) -> int:
        """Withdraw pending messages about an event (an edit, a cancellation, an RSVP no)."""
        statement = update(OutboxRow).where(OutboxRow.event_id == event_id,
                                            OutboxRow.status == "pending")
        if member_id is not None:
            statement = statement.where(OutboxRow.member_id == member_id)
        if kinds is not None:
            statement = statement.where(OutboxRow.kind.in_(list(kinds)))
        result = await self._s.execute(statement.values(status="withdrawn"))
        return int(getattr(result, "rowcount", 0) or 0)

    async def by_status(self, statuses: Sequence[str], limit: int = 20) -> list[OutboxRow]:
        """Rows in the given states, soonest first."""
        statement = (select(OutboxRow).where(OutboxRow.status.in_(list(statuses)))
                     .order_by(OutboxRow.due_at, OutboxRow.id).limit(limit))
        return list((await self._s.execute(statement)).scalars())

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        statement = select(OutboxRow.status, func.count(OutboxRow.id)).group_by(OutboxRow.status)
        return {status: int(n) for status, n in (await self._s.execute(statement)).all()}

    async def next_due(self) -> datetime | None:
        """When the next pending row is due."""
        statement = select(func.min(OutboxRow.due_at)).where(OutboxRow.status == "pending")
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def mark_dm_closed(self, platform: str, user_id: str, now: datetime) -> None:
        """Remember that an account cannot be DMed."""
        await self._s.execute(
            update(AccountRow)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id)
            .values(dm_closed_at=now)
        )

    async def mark_dm_open(self, platform: str, user_id: str) -> None:
        """Forget a DM refusal (the member started the bot, or a DM got through)."""
        await self._s.execute(
            update(AccountRow)
            .where(AccountRow.platform == platform, AccountRow.user_id == user_id,
                   AccountRow.dm_closed_at.is_not(None))
            .values(dm_closed_at=None)
        )

    async def channel_for(self, platform: str, role: str) -> str | None:
        """The place playing ``role`` (announcements, leaderboard) on ``platform``."""
        statement = select(ChannelRoleRow.place_id).where(ChannelRoleRow.platform == platform,
                                                          ChannelRoleRow.role == role)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def channels(self, role: str) -> list[tuple[str, str]]:
        """Every (platform, place) playing ``role``."""
        statement = select(ChannelRoleRow.platform, ChannelRoleRow.place_id).where(
            ChannelRoleRow.role == role).order_by(ChannelRoleRow.platform)
        return [(p, c) for p, c in (await self._s.execute(statement)).all()]

    async def set_channel(self, platform: str, role: str, place_id: str) -> None:
        """Make ``place_id`` play ``role`` on ``platform``."""
        statement = select(ChannelRoleRow).where(ChannelRoleRow.platform == platform,
                                                 ChannelRoleRow.role == role)
        row = (await self._s.execute(statement)).scalar_one_or_none()
        if row is None:
            self._s.add(ChannelRoleRow(platform=platform, role=role, place_id=place_id))
        else:
            row.place_id = place_id
        await self._s.flush()


class Unit:
    """One transaction and the repositories bound to it."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.members = MemberRepo(session)
        self.interactions = InteractionRepo(session)
        self.texts = TextRepo(session)
        self.audit = AuditRepo(session)
        self.places = PlaceRepo(session)
        self.events = EventRepo(session)
        self.series = SeriesRepo(session)
        self.rsvps = RsvpRepo(session)
        self.feedback = FeedbackRepo(session)
        self.outbox = OutboxRepo(session)
        self.challenges = ChallengeRepo(session)
        self.recommend = RecommendRepo(session)
        self.points, self.rewards = PointsRepo(session), RewardRepo(session)
