"""Bulk inserts of plain tuples straight into the driver: the hot write paths (G1, G3).

SQLAlchemy's ``execute(insert, [dicts])`` compiles, then runs every bound value of every
row through its type processors in Python; at 100k interactions that costs more than the
database's own work (PERFORMANCE.md G1: the ORM path reached 0.24 of raw ``executemany``).
Here each column's bind processor is looked up once per batch and applied only to the
columns that have one (timestamps), and the rows go to the driver as tuples:

- SQLite: one ``executemany`` of ``INSERT … ON CONFLICT (key) DO NOTHING``; its rowcount is
  exact;
- PostgreSQL: one ``INSERT … SELECT * FROM unnest($1::type[], …) ON CONFLICT DO NOTHING``, a
  single statement whatever the batch size (asyncpg's executemany is a round trip per row),
  whose status line gives the rows really added.

Both run inside the caller's unit of work, so they commit or roll back with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Rejected
from storage.types import UTCDateTime


def _sqlite_utc(value: datetime | None) -> str | None:
    """What ``UTCDateTime`` + SQLAlchemy's SQLite DATETIME store, in one C call, not four.

    Same text (microseconds always written, so stored values compare as strings), and a
    naive datetime is refused as the type refuses it.
    """
    if value is None:
        return None
    if value.tzinfo is UTC:  # the usual case: drop "+00:00" rather than build a naive copy
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _pg_utc(value: datetime | None) -> datetime | None:
    """What ``UTCDateTime`` hands asyncpg: aware UTC (an aware UTC value passes as is)."""
    if value is None or value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC)


def _processors(session: AsyncSession, table: Table, columns: Sequence[str]
                ) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, bind processor) for the columns whose values the driver cannot take as is."""
    dialect = session.get_bind().dialect
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime):
            out.append((index, _sqlite_utc if dialect.name == "sqlite" else _pg_utc))
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            out.append((index, processor))
    return out


def convert(session: AsyncSession, table: Table, columns: Sequence[str],
            rows: Sequence[tuple[Any, ...]]) -> Sequence[tuple[Any, ...]]:
    """``rows`` with each value as the driver takes it (only typed columns are touched)."""
    processors = _processors(session, table, columns)
    if not processors:
        return rows
    if len(processors) == 1:  # the usual case: one timestamp column, one pass
        [(index, processor)] = processors
        return [(*row[:index], processor(row[index]), *row[index + 1:]) for row in rows]
    lists = [list(row) for row in rows]
    for index, processor in processors:
        for row in lists:
            row[index] = processor(row[index])
    return [tuple(row) for row in lists]


def unnest(session: AsyncSession, table: Table, columns: Sequence[str],
           rows: Sequence[tuple[Any, ...]]) -> tuple[str, tuple[list[Any], ...]]:
    """A PostgreSQL ``SELECT`` over ``unnest`` of typed arrays (one per column), and them."""
    dialect = session.get_bind().dialect
    types = [table.c[c].type.compile(dialect=dialect) for c in columns]
    arrays = tuple(list(column) for column in zip(*convert(session, table, columns, rows),
                                                      strict=True))
    casts = ", ".join(f"${n + 1}::{t}[]" for n, t in enumerate(types))
    return f"SELECT * FROM unnest({casts})", arrays  # noqa: S608 - type names, $n only


def names(session: AsyncSession, table: Table, columns: Sequence[str]) -> tuple[str, str]:
    """The quoted table name and column list (only names from the table's metadata)."""
    quote = session.get_bind().dialect.identifier_preparer.quote
    return quote(table.name), ", ".join(quote(table.c[c].name) for c in columns)


async def insert_tuples(session: AsyncSession, table: Table, columns: Sequence[str],
                        rows: Sequence[tuple[Any, ...]], key: str) -> int:
    """Insert ``rows`` (values in ``columns`` order), skipping known ``key``s; rows added.

    A row the database refuses for another reason (a member deleted meanwhile) raises
    ``Rejected``, as :func:`storage.repos.bulk.insert_ignoring_duplicates` does.
    """
    if not rows:
        return 0
    connection = await session.connection()
    into, listed = names(session, table, columns)
    on = connection.dialect.identifier_preparer.quote(table.c[key].name)
    try:
        if connection.dialect.name == "postgresql":
            select, arrays = unnest(session, table, columns, rows)
            result = await connection.exec_driver_sql(
                f"INSERT INTO {into} ({listed}) {select} "
                f"ON CONFLICT ({on}) DO NOTHING", arrays)
        else:
            marks = ", ".join("?" for _ in columns)
            result = await connection.exec_driver_sql(
                f"INSERT INTO {into} ({listed}) VALUES ({marks}) "  # noqa: S608
                f"ON CONFLICT ({on}) DO NOTHING", list(convert(session, table, columns, rows)))
    except IntegrityError as exc:
        raise Rejected(f"{table.name}: {exc.orig}") from exc
    return int(result.rowcount)
