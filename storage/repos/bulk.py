"""Bulk inserts that skip redelivered rows, on either database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Rejected


async def insert_ignoring_duplicates(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], key: str
) -> int:
    """Insert rows, skipping those whose unique ``key`` already exists; returns rows added.

    This is how a redelivered platform event is stored once on either database. Rows the
    database refuses for another reason (a member deleted meanwhile) raise ``Rejected``.
    """
    if not rows:
        return 0
    try:
        return await _insert(session, table, rows, key)
    except IntegrityError as exc:
        raise Rejected(f"{table.name}: {exc.orig}") from exc


async def _insert(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]],
                  key: str) -> int:
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
