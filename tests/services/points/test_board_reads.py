"""/rank and /leaderboard read the maintained totals in one or two statements (G3)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, text

from bot.services.points import Award
from tests.services.points.conftest import member

QUIET = ("BEGIN", "ROLLBACK", "COMMIT", "SELECT 1", "PRAGMA")


def count_statements(app) -> list[str]:
    seen: list[str] = []

    def hook(_conn, _cursor, sql, *_rest):  # type: ignore[no-untyped-def]
        if not sql.strip().upper().startswith(QUIET) and sql.strip() != ";":
            seen.append(sql)

    event.listen(app.db.engine.sync_engine, "before_cursor_execute", hook)
    return seen


async def test_standing_and_a_board_page_are_two_and_one_statements_that_write_nothing(app):
    points = app.features.points
    people = [await member(app, f"m{i}") for i in range(3)]
    await points.award_many([Award(p.member_id, 5 * (i + 1), "message", "chat", f"k{i}",
                                   datetime(2026, 11, 24, tzinfo=UTC))
                             for i, p in enumerate(people)])
    seen = count_statements(app)
    standing = await points.standing(people[0])
    assert (standing.rank, standing.ranked, standing.streak, standing.badges) == (3, 3, 0, ())
    assert len(seen) == 2, seen  # totals, rank, streak and name; then badges
    seen.clear()
    board = await points.leaderboard("all")
    assert [(r.rank, r.value) for r in board.rows] == [(1, 15), (2, 10), (3, 5)]
    assert len(seen) == 1, seen
    assert not [s for s in seen if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]


async def test_a_board_page_needs_no_sort_on_sqlite(app):
    """The board index is in the board's order: the page is an index range, never sorted."""
    if app.db.engine.dialect.name != "sqlite":
        return
    async with app.db.engine.connect() as connection:
        plan = " ".join(str(row) for row in (await connection.execute(text(
            "EXPLAIN QUERY PLAN SELECT member_id FROM point_totals WHERE period = 'all' "
            "AND points > 0 ORDER BY points DESC, member_id LIMIT 10"))).all())
    assert "COVERING INDEX ix_point_totals_board_points" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


async def test_boards_read_the_committed_totals_while_a_unit_holds_the_write_lock(app):
    """A read takes no write lock on SQLite (it waited out the 5 s busy timeout and failed)."""
    points = app.features.points
    maya = await member(app, "maya")
    at = datetime(2026, 11, 24, tzinfo=UTC)
    await points.award_many([Award(maya.member_id, 10, "message", "chat", "k1", at)])
    async with app.db.unit() as unit:
        await points.record(unit, maya.member_id, 5, "bonus", "not yet committed", "k2")
        board = await points.leaderboard("all")
        standing = await points.standing(maya)
    assert [row.value for row in board.rows] == [10]
    assert (standing.points, standing.rank) == (10, 1)
    assert (await points.standing(maya)).points == 15
