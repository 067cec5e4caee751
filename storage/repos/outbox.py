"""The outbox table: add, claim, finish, release."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.members import AccountRow
from storage.rows.outbox import OutboxRow


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

    async def claim_due(self, now: datetime, limit: int, claimer: str, *,
                        early_dms: tuple[str, datetime] | None = None) -> list[OutboxRow]:
        """Mark up to ``limit`` due rows as ``sending`` and return them, oldest first.

        ``early_dms`` (kind, until): first tries of DMs of that kind due by ``until`` count
        as due now (a reminder wave that has to start before its due time to end by it); a
        retry keeps its backoff.
        """
        due = OutboxRow.due_at <= now
        if early_dms is not None:
            kind, until = early_dms
            due = or_(due, and_(OutboxRow.kind == kind, OutboxRow.member_id.is_not(None),
                                OutboxRow.last_error.is_(None), OutboxRow.due_at <= until))
        ids_query = (
            select(OutboxRow.id)
            .where(OutboxRow.status == "pending", due)
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

    async def release(self, ids: Sequence[int], claimer: str) -> int:
        """Put the claimer's rows whose outcome was never recorded back to ``pending``."""
        result = await self._s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(list(ids)), OutboxRow.status == "sending",
                   OutboxRow.claimed_by == claimer)
            .values(status="pending", claimed_by=None))
        return int(getattr(result, "rowcount", 0) or 0)

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

    async def withdraw_duplicates(self, member_id: int, note: str) -> None:
        """Keep one of a member's pending rows per (kind, event, due time); withdraw the rest.

        After two members merge, both accounts may have had the same reminder queued.
        """
        duplicates = (
            select(OutboxRow.kind, OutboxRow.event_id, OutboxRow.due_at,
                   func.min(OutboxRow.id).label("keep"))
            .where(OutboxRow.member_id == member_id, OutboxRow.status == "pending",
                   OutboxRow.event_id.is_not(None))
            .group_by(OutboxRow.kind, OutboxRow.event_id, OutboxRow.due_at)
            .having(func.count(OutboxRow.id) > 1)
        )
        for kind, event_id, due_at, keep in (await self._s.execute(duplicates)).all():
            await self._s.execute(
                update(OutboxRow)
                .where(OutboxRow.member_id == member_id, OutboxRow.status == "pending",
                       OutboxRow.kind == kind, OutboxRow.event_id == event_id,
                       OutboxRow.due_at == due_at, OutboxRow.id != keep)
                .values(status="withdrawn", last_error=note))

    async def all(self) -> list[OutboxRow]:
        """Every row, oldest first (tests, audits)."""
        statement = select(OutboxRow).order_by(OutboxRow.id)
        return list((await self._s.execute(statement)).scalars())

    async def by_status(self, statuses: Sequence[str], limit: int = 20) -> list[OutboxRow]:
        """Rows in the given states, soonest first."""
        statement = (select(OutboxRow).where(OutboxRow.status.in_(list(statuses)))
                     .order_by(OutboxRow.due_at, OutboxRow.id).limit(limit))
        return list((await self._s.execute(statement)).scalars())

    async def requeue(self, row_id: int, statuses: Sequence[str], now: datetime) -> bool:
        """Put a row in one of ``statuses`` back to pending, due now, with fresh attempts."""
        statement = (update(OutboxRow)
                     .where(OutboxRow.id == row_id, OutboxRow.status.in_(list(statuses)))
                     .values(status="pending", due_at=now, attempts=0, claimed_at=None,
                             claimed_by=None))
        return int((await self._s.execute(statement)).rowcount) == 1  # type: ignore[attr-defined]

    async def counts(self) -> dict[str, int]:
        """How many rows are in each state."""
        statement = select(OutboxRow.status, func.count(OutboxRow.id)).group_by(OutboxRow.status)
        return {status: int(n) for status, n in (await self._s.execute(statement)).all()}

    async def dm_waves(self, kind: str, after: datetime, until: datetime
                       ) -> list[tuple[datetime, str, int, str]]:
        """Unsent DMs of ``kind`` due in (after, until]: (due time, platform, count, text).

        ``text`` is the longest of their texts (the one that may split into most messages).

        A DM goes to one of the member's open accounts, chosen at send time, so a member
        with accounts on two platforms counts on both (a wave is never planned too short).
        Rows being sent still count: they take their share of the wave's time. Retries
        (a ``last_error``) are not part of a wave: they wait for their backoff.
        """
        unsent = or_(OutboxRow.status == "sending",
                     and_(OutboxRow.status == "pending", OutboxRow.last_error.is_(None)))
        statement = (
            select(OutboxRow.due_at, AccountRow.platform,
                   func.count(func.distinct(OutboxRow.id)),
                   func.max(func.length(OutboxRow.text)))
            .join(AccountRow, AccountRow.member_id == OutboxRow.member_id)
            .where(unsent, OutboxRow.kind == kind, AccountRow.dm_closed_at.is_(None),
                   OutboxRow.due_at > after, OutboxRow.due_at <= until)
            .group_by(OutboxRow.due_at, AccountRow.platform)
            .order_by(OutboxRow.due_at, AccountRow.platform))
        found = (await self._s.execute(statement)).all()
        longest: dict[tuple[datetime, int], str] = {}
        for due, _, _, length in found:
            if (due, length) not in longest:
                pick = select(OutboxRow.text).where(
                    OutboxRow.kind == kind, OutboxRow.due_at == due,
                    OutboxRow.member_id.is_not(None),
                    func.length(OutboxRow.text) == length).limit(1)
                longest[(due, length)] = (await self._s.execute(pick)).scalar_one_or_none() or ""
        return [(due, str(platform), int(n), longest[(due, length)])
                for due, platform, n, length in found]

    async def next_due(self) -> datetime | None:
        """When the next pending row is due."""
        statement = select(func.min(OutboxRow.due_at)).where(OutboxRow.status == "pending")
        return (await self._s.execute(statement)).scalar_one_or_none()
