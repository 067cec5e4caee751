"""The bulk ledger path and its period keys (G3), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from bot.services.points import Award
from bot.services.points.periods import PeriodKeys, month_key, week_key
from tests.services.points.conftest import ledger_and_totals, member


async def totals_by_period(app) -> dict[tuple[int, str], tuple[int, int, int]]:
    async with app.db.engine.connect() as c:
        rows = (await c.execute(text(
            "SELECT member_id, period, points, challenges, events FROM point_totals"))).all()
    return {(m, p): (pt, ch, ev) for m, p, pt, ch, ev in rows}


async def test_award_many_keeps_every_period_total_equal_to_the_ledger(berlin_app, clock):
    app = berlin_app
    points = app.features.points
    assert points.timezone == "Europe/Berlin"
    maya, tomas = await member(app, "maya"), await member(app, "tomas")
    # Sunday 23:30 UTC is Monday 00:30 in Berlin (a new week); Dec 1 is a new month.
    sunday = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    awards = [
        Award(maya.member_id, 10, "message", "chat", "a", sunday - timedelta(hours=1)),
        Award(maya.member_id, 5, "message", "chat", "b", sunday + timedelta(hours=1)),
        Award(tomas.member_id, 7, "challenge", "solved", "c", sunday),
        Award(tomas.member_id, 3, "attendance", "came", "d", sunday + timedelta(days=2)),
    ]
    assert await points.award_many(awards) == 4
    # A redelivered batch, partly new: only the new key counts, once.
    again = [*awards, Award(maya.member_id, 2, "message", "chat", "e", sunday)]
    assert await points.award_many(again) == 1
    got = await totals_by_period(app)
    m, t = maya.member_id, tomas.member_id
    assert got == {
        (m, "all"): (17, 0, 0), (m, "w:2026-11-23"): (12, 0, 0), (m, "w:2026-11-30"): (5, 0, 0),
        (m, "m:2026-11"): (17, 0, 0),
        (t, "all"): (10, 1, 1), (t, "w:2026-11-23"): (7, 1, 0), (t, "w:2026-11-30"): (3, 0, 1),
        (t, "m:2026-11"): (7, 1, 0), (t, "m:2026-12"): (3, 0, 1),
    }
    assert await ledger_and_totals(app) == (27, 27, 27)


async def test_award_many_refuses_a_negative_award_and_stores_nothing(app):
    maya = await member(app, "maya")
    at = datetime(2026, 11, 24, tzinfo=UTC)
    with pytest.raises(ValueError, match="positive"):
        await app.features.points.award_many([
            Award(maya.member_id, 5, "message", "chat", "a", at),
            Award(maya.member_id, -5, "message", "chat", "b", at)])
    assert await ledger_and_totals(app) == (0, 0, 0)


async def test_award_many_then_boards_and_standing_agree(app):
    points = app.features.points
    people = [await member(app, f"m{i}") for i in range(5)]
    at = datetime(2026, 11, 24, tzinfo=UTC)
    await points.award_many([Award(p.member_id, 10 * (i + 1), "message", "chat", f"k{i}", at)
                             for i, p in enumerate(people)])
    board = await points.leaderboard("all")
    assert [r.member_id for r in board.rows] == [p.member_id for p in reversed(people)]
    standing = await points.standing(people[1])
    assert (standing.points, standing.rank, standing.ranked) == (20, 4, 5)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "America/St_Johns",
                                  "Asia/Kathmandu", "Australia/Lord_Howe", "Pacific/Apia"])
def test_period_keys_match_the_exact_calendar_around_every_boundary(zone):
    """Cached keys equal the per-moment ones, including DST, 30/45-minute zones and 1900."""
    tz = ZoneInfo(zone)
    keys = PeriodKeys(tz)
    rng = random.Random(zone)
    moments = [datetime(1900, 1, 1, tzinfo=UTC) + timedelta(minutes=7 * n) for n in range(500)]
    base = datetime(2026, 1, 1, tzinfo=UTC)
    moments += [base + timedelta(seconds=rng.randrange(366 * 86400)) for _ in range(20000)]
    # every local midnight of the year, one second either side
    for day in range(366):
        midnight = datetime(2026, 1, 1, tzinfo=tz) + timedelta(days=day)
        moments += [midnight - timedelta(seconds=1), midnight, midnight + timedelta(seconds=1)]
    for moment in moments:
        assert keys(moment) == (week_key(moment, tz), month_key(moment, tz)), moment


async def test_award_batches_writes_each_batch_once_while_preparing_the_next(app):
    points = app.features.points
    people = [await member(app, f"b{i}") for i in range(3)]
    at = datetime(2026, 11, 20, tzinfo=UTC)
    made: list[int] = []

    def batches():
        for n in range(4):
            made.append(n)
            # The last batch repeats the first one's keys: nothing of it is new.
            keys = range(n * 10, n * 10 + 10) if n < 3 else range(10)
            yield [Award(people[k % 3].member_id, 1 + k % 5, "message", "chat", f"b{k}", at)
                   for k in keys]

    assert await points.award_batches(batches()) == 30
    assert made == [0, 1, 2, 3]
    ledger, _, earned = await ledger_and_totals(app)
    assert ledger == earned == sum(1 + k % 5 for k in range(30))


async def test_a_bad_batch_stops_award_batches_and_keeps_the_batches_before(app):
    points = app.features.points
    maya = await member(app, "maya")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    good = [Award(maya.member_id, 5, "message", "chat", f"g{k}", at) for k in range(3)]
    bad = [Award(maya.member_id, 5, "message", "chat", "x", at),
           Award(maya.member_id, 0, "message", "chat", "y", at)]
    with pytest.raises(ValueError, match="positive"):
        await points.award_batches(iter([good, bad, good]))
    assert await ledger_and_totals(app) == (15, 15, 15)
