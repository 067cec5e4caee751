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
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _processors(session: AsyncSession, table: Table, columns: Sequence[str]
                ) -> list[tuple[int, Callable[[Any], Any]]]:
    """(position, bind processor) for the columns whose values the driver cannot take as is."""
    dialect = session.get_bind().dialect
    out: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(columns):
        column_type = table.c[name].type
        if isinstance(column_type, UTCDateTime) and dialect.name == "sqlite":
            out.append((index, _sqlite_utc))
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            out.append((index, processor))
    return out


async def insert_tuples(session: AsyncSession, table: Table, columns: Sequence[str],
                        rows: Sequence[tuple[Any, ...]], key: str) -> int:
    """Insert ``rows`` (values in ``columns`` order), skipping known ``key``s; rows added.

    A row the database refuses for another reason (a member deleted meanwhile) raises
    ``Rejected``, as :func:`storage.repos.bulk.insert_ignoring_duplicates` does.
    """
    if not rows:
        return 0
    converted: Sequence[tuple[Any, ...]] = rows
    processors = _processors(session, table, columns)
    if processors:
        lists = [list(row) for row in rows]
        for index, processor in processors:
            for row in lists:
                row[index] = processor(row[index])
        converted = [tuple(row) for row in lists]
    connection = await session.connection()
    quote = connection.dialect.identifier_preparer.quote
    # Only names from the table's own metadata (``table.c[name]`` above) reach the SQL text.
    into, names, on = quote(table.name), ", ".join(quote(c) for c in columns), quote(key)
    try:
        if connection.dialect.name == "postgresql":
            types = [table.c[c].type.compile(dialect=connection.dialect) for c in columns]
            arrays = tuple(list(column) for column in zip(*converted, strict=True))
            unnest = ", ".join(f"${n + 1}::{t}[]" for n, t in enumerate(types))
            result = await connection.exec_driver_sql(
                f"INSERT INTO {into} ({names}) SELECT * FROM unnest({unnest}) "  # noqa: S608
                f"ON CONFLICT ({on}) DO NOTHING", arrays)
        else:
            marks = ", ".join("?" for _ in columns)
            result = await connection.exec_driver_sql(
                f"INSERT INTO {into} ({names}) VALUES ({marks}) "  # noqa: S608
                f"ON CONFLICT ({on}) DO NOTHING", list(converted))
    except IntegrityError as exc:
        raise Rejected(f"{table.name}: {exc.orig}") from exc
    return int(result.rowcount)
