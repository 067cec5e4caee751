"""The bulk ledger path: rows as tuples into the driver, totals summed from what was added.

Imports and backfills append tens of thousands of awards at once (G3: >= 0.40 of a raw
insert). Nothing comes back to Python but a count: no RETURNING on SQLite, where
SQLAlchemy's per-row RETURNING made the write path 0.02 of a raw insert.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import Rejected
from storage.repos.tuples import convert, names, unnest

LEDGER_COLUMNS = ("member_id", "amount", "kind", "reason", "key", "period_week",
                  "period_month", "created_at")

# The totals of freshly inserted ledger rows, per member and period, added to point_totals.
# ``{fresh}`` yields (member_id, period, amount, kind) of the new rows; ``{counted}`` is the
# SET list: only the counters the batch can change, because every column SET is a rewrite of
# its board index entry even when the value stays (a batch of chat awards moves only points).
_TOTALS_UPSERT = (
    "INSERT INTO point_totals (member_id, period, points, spent, challenges, events) "
    "SELECT member_id, period, SUM(amount), 0, "
    "SUM(CASE WHEN kind = 'challenge' THEN 1 ELSE 0 END), "
    "SUM(CASE WHEN kind = 'attendance' THEN 1 ELSE 0 END) FROM ({fresh}) AS f "
    "WHERE true GROUP BY member_id, period "
    "ON CONFLICT (member_id, period) DO UPDATE SET {counted}")
_COUNTED = {"challenge": "challenges", "attendance": "events"}


def _counted(kinds: set[str]) -> str:
    """The SET list for a batch with these kinds of award."""
    columns = ["points", *(column for kind, column in _COUNTED.items() if kind in kinds)]
    return ", ".join(f"{c} = point_totals.{c} + excluded.{c}" for c in columns)


_SQLITE_FRESH = " UNION ALL ".join(
    f"SELECT member_id, {period} AS period, amount, kind "  # noqa: S608 - constants
    "FROM point_awards WHERE id > ?" for period in ("'all'", "period_week", "period_month"))
_PG_FRESH = ("SELECT fresh.member_id, p.period, fresh.amount, fresh.kind FROM fresh "
             "CROSS JOIN LATERAL (VALUES ('all'::varchar), (fresh.period_week), "
             "(fresh.period_month)) AS p(period)")


@functools.cache
def totals_upsert(dialect: str, table: Table) -> Any:
    """The totals upsert (rows in ``.values()``), returning each (member, period)'s totals.

    Built once per dialect: building it cost more than running it.
    """
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    return insert.on_conflict_do_update(
        index_elements=["member_id", "period"],
        set_={c: table.c[c] + insert.excluded[c]
              for c in ("points", "spent", "challenges", "events")},
    ).returning(table.c.member_id, table.c.period, table.c.points, table.c.spent,
                table.c.challenges, table.c.events)


async def append_with_totals(session: AsyncSession, table: Table,
                             rows: Sequence[tuple[Any, ...]]) -> int:
    """Append ledger rows and add the ones really added to their totals; rows added.

    ``rows`` are tuples in ``LEDGER_COLUMNS`` order; known keys are skipped; the totals
    are all time, the row's week and its month. On SQLite the unit holds the write lock
    from ``BEGIN IMMEDIATE``, so the new rows are exactly those above the highest id read
    first (rowids grow), and SQL sums them: grouping there was twice as fast as summing in
    Python and upserting in the dict's (random) order. PostgreSQL does it in one statement
    whose data-modifying CTE hands the inserted rows to the totals upsert.
    """
    if not rows:
        return 0
    into, listed = names(session, table, LEDGER_COLUMNS)
    counted = _counted({row[2] for row in rows})  # LEDGER_COLUMNS[2] is the kind
    connection = await session.connection()
    try:
        if connection.dialect.name == "postgresql":
            select_rows, arrays = unnest(session, table, LEDGER_COLUMNS, rows)
            result = await connection.exec_driver_sql(
                f"WITH fresh AS (INSERT INTO {into} ({listed}) {select_rows} "  # noqa: S608
                "ON CONFLICT (key) DO NOTHING "
                "RETURNING member_id, amount, kind, period_week, period_month), "
                f"summed AS ({_TOTALS_UPSERT.format(fresh=_PG_FRESH, counted=counted)}) "
                "SELECT COUNT(*) FROM fresh", arrays)
            return int(result.scalar_one())
        before = (await connection.exec_driver_sql(
            "SELECT COALESCE(MAX(id), 0) FROM point_awards")).scalar_one()
        marks = ", ".join("?" for _ in LEDGER_COLUMNS)
        result = await connection.exec_driver_sql(
            f"INSERT INTO {into} ({listed}) VALUES ({marks}) "  # noqa: S608
            "ON CONFLICT (key) DO NOTHING",
            list(convert(session, table, LEDGER_COLUMNS, rows)))
        added = int(result.rowcount)
        if added:  # sum exactly the rows just inserted, in SQL (grouped, so in index order)
            await connection.exec_driver_sql(
                _TOTALS_UPSERT.format(fresh=_SQLITE_FRESH, counted=counted),
                (before, before, before))
    except IntegrityError as exc:
        raise Rejected(f"point_awards: {exc.orig}") from exc
    return added

