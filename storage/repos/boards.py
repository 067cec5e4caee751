"""Leaderboard pages and a member's standing, each one statement on a plain connection.

``/rank``, ``/points`` and ``/leaderboard`` are read-only, so they need neither an ORM
session nor SQLite's write lock (a unit starts ``BEGIN IMMEDIATE``): a unit with seven ORM
queries took longer than the raw ``GROUP BY`` over the whole ledger it replaces. One
statement also reads one consistent snapshot. Each count runs over the board's own index
range, ``(period, value DESC, member_id)`` (G3), and the tombstone member is never ranked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Integer, Select, and_, bindparam, func, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from storage.options import READ_ONLY
from storage.repos.points import METRICS
from storage.rows.members import MemberRow
from storage.rows.points import BadgeRow, PointStateRow, PointTombstoneRow, PointTotalRow

_totals = PointTotalRow.__table__


@dataclass(frozen=True)
class StandingRow:
    """What ``/rank`` shows, as stored: ``above`` members have more points all time."""

    name: str | None
    points: int
    spent: int
    week_points: int
    above: int
    ranked: int
    streak: int
    streak_day: str | None
    badges: tuple[str, ...]


def _tombstone() -> ColumnElement[int]:
    """The tombstone member's id, or 0: a plain comparison keeps each count on the index."""
    found = select(PointTombstoneRow.member_id).where(PointTombstoneRow.id == 1)
    return func.coalesce(found.scalar_subquery(), 0)


def _ranked(column: str, more_than: ColumnElement[int] | int) -> Select[Any]:
    """How many members (not the tombstone) on the ``period`` board beat ``more_than``."""
    counted = _totals.alias("counted")
    return (select(func.count()).select_from(counted)
            .where(counted.c.period == bindparam("period"), counted.c[column] > more_than,
                   counted.c.member_id != _tombstone()))


def _page(metric: str) -> Select[Any]:
    """One page of a board with both counts.

    The counts are uncorrelated subqueries, each run once over the board's index (a count
    per row made PostgreSQL scan the table once per row).
    """
    column = _totals.c[metric]
    board = _totals.alias("board")
    first_value = (select(board.c[metric])
                   .where(board.c.period == bindparam("period"), board.c[metric] > 0,
                          board.c.member_id != _tombstone())
                   .order_by(board.c[metric].desc(), board.c.member_id)
                   .limit(1).offset(bindparam("offset")).scalar_subquery())
    return (
        select(_totals.c.member_id, MemberRow.display_name, column,
               _ranked(metric, 0).scalar_subquery(),
               _ranked(metric, first_value).scalar_subquery())
        .join(MemberRow, MemberRow.id == _totals.c.member_id)
        .where(_totals.c.period == bindparam("period"), column > 0,
               _totals.c.member_id != _tombstone())
        .order_by(column.desc(), _totals.c.member_id)
        .limit(bindparam("limit")).offset(bindparam("offset"))
    )


def _standing() -> Select[Any]:
    """A member's totals, all-time rank, board size and streak, in one row."""
    every = _totals.alias("every")
    this_week = _totals.alias("this_week")
    points = func.coalesce(every.c.points, 0)
    member_id = bindparam("member_id", type_=Integer)
    return (
        select(MemberRow.display_name, points, func.coalesce(every.c.spent, 0),
               func.coalesce(this_week.c.points, 0),
               _ranked("points", points).scalar_subquery(),
               _ranked("points", 0).scalar_subquery(),
               func.coalesce(PointStateRow.streak, 0), PointStateRow.streak_day)
        .select_from(select(literal(0).label("id")).subquery("wanted"))
        .outerjoin(MemberRow, MemberRow.id == member_id)
        .outerjoin(every, and_(every.c.member_id == member_id, every.c.period == "all"))
        .outerjoin(this_week, and_(this_week.c.member_id == member_id,
                                   this_week.c.period == bindparam("week")))
        .outerjoin(PointStateRow, PointStateRow.member_id == member_id)
    )


# Built once: SQLAlchemy keeps a statement's cache key with it, so each call skips building
# and keying the construct (most of a board read's time, next to a sub-millisecond query).
_PAGES = {metric: _page(metric) for metric in METRICS}
_COUNTS = {metric: _ranked(metric, 0) for metric in METRICS}
_STANDING = _standing()
_BADGES = (select(BadgeRow.badge).where(BadgeRow.member_id == bindparam("member_id"))
           .order_by(BadgeRow.awarded_at, BadgeRow.id))


class BoardReads:
    """Read-only board queries; each call takes a pooled connection for one statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        async with self._engine.connect() as connection:
            # SQLite: a plain (deferred) BEGIN; a read needs no write lock (storage.db).
            yield await connection.execution_options(**{READ_ONLY: True})

    async def page(self, period: str, metric: str, limit: int, offset: int
                   ) -> tuple[int, int, list[tuple[int, str, int]]]:
        """(members on the board, members above the page's first row, rows of the page)."""
        async with self._reading() as connection:
            found = (await connection.execute(
                _PAGES[metric], {"period": period, "limit": limit, "offset": offset})).all()
            if not found:  # past the last page: the count alone says how many pages
                ranked = (await connection.execute(
                    _COUNTS[metric], {"period": period})).scalar_one()
                return int(ranked), 0, []
        return (int(found[0][3]), int(found[0][4]),
                [(int(m), str(n), int(v)) for m, n, v, _, _ in found])

    async def standing(self, member_id: int, week: str) -> StandingRow:
        """A member's all-time and ``week`` totals, all-time rank, streak state and badges."""
        values = {"member_id": member_id, "week": week, "period": "all"}
        async with self._reading() as connection:
            name, total, spent, week_points, above, ranked, streak, day = (
                await connection.execute(_STANDING, values)).one()
            held = tuple((await connection.execute(_BADGES, values)).scalars())
        return StandingRow(name, int(total), int(spent), int(week_points), int(above),
                           int(ranked), int(streak), day, held)
