"""Interactions and message texts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Table, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.bulk import insert_ignoring_duplicates
from storage.repos.tuples import insert_tuples
from storage.rows.activity import InteractionRow, MessageTextRow

INTERACTION_COLUMNS = ("member_id", "platform", "place_id", "kind", "name", "created_at",
                       "source_key")
_as_tuple = itemgetter(*INTERACTION_COLUMNS)


class InteractionRepo:
    """The interaction log."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add_many(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert many given as dicts, ignoring redelivered ``source_key``s."""
        return await self.add_tuples([_as_tuple(row) for row in rows])

    async def add_tuples(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Insert many in ``INTERACTION_COLUMNS`` order, ignoring redelivered ``source_key``s.

        The logging hot path (G1): the tuples go to the driver in one statement, no dicts
        or ORM objects on the way.
        """
        table = InteractionRow.__table__
        assert isinstance(table, Table)
        return await insert_tuples(self._s, table, INTERACTION_COLUMNS, rows, "source_key")

    async def for_member(self, member_id: int) -> list[InteractionRow]:
        """Everything one member did, oldest first."""
        statement = (
            select(InteractionRow)
            .where(InteractionRow.member_id == member_id)
            .order_by(InteractionRow.created_at, InteractionRow.id)
        )
        return list((await self._s.execute(statement)).scalars())

    async def all(self) -> list[InteractionRow]:
        """Every stored interaction, oldest first (tests, audits)."""
        statement = select(InteractionRow).order_by(InteractionRow.id)
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

    async def count(self) -> int:
        """How many texts are stored."""
        return int((await self._s.execute(select(func.count(MessageTextRow.id)))).scalar_one())

    async def delete_for_member(self, member_id: int) -> None:
        """Remove one member's texts."""
        await self._s.execute(delete(MessageTextRow).where(MessageTextRow.member_id == member_id))
