"""Leaderboard pages and a member's standing, each one statement on a plain connection.

``/rank``, ``/points`` and ``/leaderboard`` are read-only, so they need neither an ORM
session nor SQLite's write lock (a unit starts ``BEGIN IMMEDIATE``): a unit with seven ORM
queries took longer than the raw ``GROUP BY`` over the whole ledger it replaces. One
statement also reads one consistent snapshot. Each count runs over the board's own index
range, ``(period, value DESC, member_id)`` (G3), and the tombstone member is never ranked.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, and_, func, literal, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

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


def _ranked(period: str, column: str, more_than: ColumnElement[int] | int) -> Select[int]:
    """How many members (not the tombstone) have more than ``more_than`` in a period."""
    counted = _totals.alias("counted")
    return (select(func.count()).select_from(counted)
            .where(counted.c.period == period, counted.c[column] > more_than,
                   counted.c.member_id != _tombstone()))


class BoardReads:
    """Read-only board queries; each call takes a pooled connection for one statement."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def page(self, period: str, metric: str, limit: int, offset: int
                   ) -> tuple[int, int, list[tuple[int, str, int]]]:
        """(members on the board, members above the page's first row, rows of the page).

        Both counts are uncorrelated subqueries, each run once over the board's index
        (a count per row made PostgreSQL scan the table once per row).
        """
        column = _totals.c[metric]
        on_board = and_(_totals.c.period == period, column > 0,
                        _totals.c.member_id != _tombstone())
        board = _totals.alias("board")
        first_value = (select(board.c[metric])
                       .where(board.c.period == period, board.c[metric] > 0,
                              board.c.member_id != _tombstone())
                       .order_by(board.c[metric].desc(), board.c.member_id)
                       .limit(1).offset(offset).scalar_subquery())
        rows = (
            select(_totals.c.member_id, MemberRow.display_name, column,
                   _ranked(period, metric, 0).scalar_subquery(),
                   _ranked(period, metric, first_value).scalar_subquery())
            .join(MemberRow, MemberRow.id == _totals.c.member_id)
            .where(on_board)
            .order_by(column.desc(), _totals.c.member_id)
            .limit(limit).offset(offset)
        )
        async with self._engine.connect() as connection:
            found = (await connection.execute(rows)).all()
            if not found:  # past the last page: the count alone says how many pages
                ranked = (await connection.execute(_ranked(period, metric, 0))).scalar_one()
                return int(ranked), 0, []
        return (int(found[0][3]), int(found[0][4]),
                [(int(m), str(n), int(v)) for m, n, v, _, _ in found])

    async def standing(self, member_id: int, week: str) -> StandingRow:
        """A member's all-time and ``week`` totals, all-time rank, streak state and badges."""
        every = _totals.alias("every")
        this_week = _totals.alias("this_week")
        points = func.coalesce(every.c.points, 0)
        statement = (
            select(MemberRow.display_name, points, func.coalesce(every.c.spent, 0),
                   func.coalesce(this_week.c.points, 0),
                   _ranked("all", "points", points).scalar_subquery(),
                   _ranked("all", "points", 0).scalar_subquery(),
                   func.coalesce(PointStateRow.streak, 0), PointStateRow.streak_day)
            .select_from(select(literal(member_id).label("id")).subquery("wanted"))
            .outerjoin(MemberRow, MemberRow.id == member_id)
            .outerjoin(every, and_(every.c.member_id == member_id, every.c.period == "all"))
            .outerjoin(this_week, and_(this_week.c.member_id == member_id,
                                       this_week.c.period == week))
            .outerjoin(PointStateRow, PointStateRow.member_id == member_id)
        )
        badges = (select(BadgeRow.badge).where(BadgeRow.member_id == member_id)
                  .order_by(BadgeRow.awarded_at, BadgeRow.id))
        async with self._engine.connect() as connection:
            name, total, spent, week_points, above, ranked, streak, day = (
                await connection.execute(statement)).one()
            held = tuple((await connection.execute(badges)).scalars())
        return StandingRow(name, int(total), int(spent), int(week_points), int(above),
                           int(ranked), int(streak), day, held)
