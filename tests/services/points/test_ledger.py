"""The ledger under concurrency, idempotency, forgetting and linking (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.core.errors import UserError
from bot.core.model import Platform, UserRef
from tests.services.points.conftest import ledger_and_totals, member


async def award(app, member_id, amount, key, kind="bonus"):
    async with app.db.unit() as unit:
        return await app.features.points.record(unit, member_id, amount, kind, "test", key)


async def test_an_award_is_idempotent(app):
    maya = await member(app, "maya")
    assert await award(app, maya.member_id, 30, "k1") is not None
    assert await award(app, maya.member_id, 30, "k1") is None
    async with app.db.unit() as unit:
        assert await app.features.points.award(unit, maya.member_id, 30, "x", "k1") is False
    standing = await app.features.points.standing(maya)
    assert standing.points == 30
    assert await ledger_and_totals(app) == (30, 30, 30)


async def test_parallel_awards_are_neither_lost_nor_doubled(app):
    people = [await member(app, f"m{i}") for i in range(4)]
    jobs = []
    for i in range(60):
        who = people[i % 4].member_id
        jobs.append(award(app, who, 1 + i % 7, f"p:{i}"))
        jobs.append(award(app, who, 1 + i % 7, f"p:{i}"))  # a redelivery racing the original
    results = await asyncio.gather(*jobs)
    assert sum(r is not None for r in results) == 60
    expected = sum(1 + i % 7 for i in range(60))
    assert await ledger_and_totals(app) == (expected, expected, expected)
    for index, person in enumerate(people):
        want = sum(1 + i % 7 for i in range(60) if i % 4 == index)
        assert (await app.features.points.standing(person)).points == want
    board = await app.features.points.leaderboard("week", "points", 1, 10)
    assert sum(r.value for r in board.rows) == expected


async def test_concurrent_redemptions_of_the_last_item(app):
    rewards, points = app.features.rewards, app.features.points
    buyers = [await member(app, f"b{i}") for i in range(6)]
    for b in buyers:
        await award(app, b.member_id, 500, f"seed:{b.member_id}")
    await rewards.add("Mentor hour", 200, 1, None)
    outcomes = await asyncio.gather(*(rewards.redeem(b, "mentor hour") for b in buyers),
                                    return_exceptions=True)
    won = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(won) == 1
    assert all(isinstance(o, UserError) and "sold out" in str(o)
               for o in outcomes if isinstance(o, BaseException))
    assert (await rewards.catalogue())[0].stock == 0
    balances = sorted([(await points.standing(b)).balance for b in buyers])
    assert balances == [300, 500, 500, 500, 500, 500]
    assert await ledger_and_totals(app) == (2800, 2800, 3000)


async def test_concurrent_redemptions_never_overdraw(app):
    rewards, points = app.features.rewards, app.features.points
    maya = await member(app, "maya")
    await award(app, maya.member_id, 100, "seed")
    await rewards.add("Sticker", 60, None, None)
    outcomes = await asyncio.gather(*(rewards.redeem(maya, "Sticker") for _ in range(5)),
                                    return_exceptions=True)
    assert sum(not isinstance(o, BaseException) for o in outcomes) == 1
    assert all("You need 60 points and have 40" in str(o)
               for o in outcomes if isinstance(o, BaseException))
    assert (await points.standing(maya)).balance == 40


async def test_forgetting_anonymises_the_ledger_and_keeps_totals(app):
    points, rewards = app.features.points, app.features.rewards
    maya, tomas = await member(app, "maya"), await member(app, "tomas")
    await award(app, maya.member_id, 300, "a")
    await award(app, tomas.member_id, 120, "b")
    await rewards.add("Sticker", 50, 3, None)
    await rewards.redeem(maya, "Sticker")  # pending: cancelled and refunded on forgetting
    before = await ledger_and_totals(app)
    await app.features.privacy.forget(maya)
    assert await ledger_and_totals(app) == (before[0] + 50, before[1] + 50, before[2])
    async with app.db.engine.connect() as c:
        owners = {r[0] for r in await c.execute(text("SELECT member_id FROM point_awards"))}
        assert maya.member_id not in owners
        rows = (await c.execute(text("SELECT count(*) FROM point_awards"))).scalar_one()
    assert rows == 4  # two awards, the spend and its refund: none deleted
    assert (await rewards.catalogue())[0].stock == 3
    board = await points.leaderboard("all", "points", 1, 10)
    assert [(r.name, r.value) for r in board.rows] == [("tomas", 120)]
    assert (await points.standing(tomas)).rank == 1
    # A second member forgotten later joins the same tombstone.
    await app.features.privacy.forget(tomas)
    assert (await ledger_and_totals(app))[2] == 420
    assert (await points.leaderboard("all", "points")).rows == ()


async def test_a_linked_member_is_counted_once(app):
    points, links = app.features.points, app.features.links
    maya = await member(app, "maya")
    maya_tg = await member(app, "maya_tg", Platform.TELEGRAM)
    await award(app, maya.member_id, 200, "c1")
    await award(app, maya_tg.member_id, 100, "t1")
    code = await links.issue(maya, Platform.CONSOLE)
    await links.redeem(maya_tg, UserRef(Platform.TELEGRAM, "maya_tg", "maya_tg"), code.code)
    for period in ("week", "month", "all"):
        board = await points.leaderboard(period, "points")
        assert [(r.member_id, r.value) for r in board.rows] == [(maya.member_id, 300)]
    assert await ledger_and_totals(app) == (300, 300, 300)


async def test_weeks_and_months_end_in_the_community_zone(berlin_app, clock):
    app = berlin_app
    points = app.features.points
    assert points.timezone == "Europe/Berlin"
    maya = await member(app, "maya")
    # Sunday 22:30 UTC is Sunday 23:30 in Berlin: still the week of Nov 23.
    clock.advance(datetime(2026, 11, 29, 22, 30, tzinfo=UTC) - clock.now())
    await award(app, maya.member_id, 10, "sun")
    clock.advance(timedelta(hours=1))  # Monday 00:30 in Berlin, still Sunday in UTC
    await award(app, maya.member_id, 5, "mon")
    assert (await points.leaderboard("week")).rows[0].value == 5
    assert (await points.leaderboard("month")).rows[0].value == 15
    async with app.db.unit() as unit:
        old_week = await unit.points.totals(maya.member_id, "w:2026-11-23")
    assert old_week is not None and old_week.points == 10
    clock.advance(timedelta(days=1))  # Dec 1 in Berlin: a new month
    assert (await points.leaderboard("month")).rows == ()


async def test_admin_take_never_goes_below_zero(app):
    points = app.features.points
    admin, maya = await member(app, "admin"), await member(app, "maya")
    await points.give(admin, maya, 40, "helped", "s1")
    with pytest.raises(UserError, match="only 40"):
        await points.take(admin, maya, 41, "oops", "s2")
    await points.take(admin, maya, 40, "oops", "s3")
    assert await ledger_and_totals(app) == (0, 0, 0)
    with pytest.raises(UserError, match="already applied"):
        await points.give(admin, maya, 40, "helped", "s1")


async def test_many_awards_at_once_count_as_one_by_one(app, clock):
    """record_many: a member's awards stack in order, a repeated key is skipped."""
    from bot.services.points.ledger import Ledger
    from bot.services.points.levels import Levels
    from bot.services.points.terms import Terms
    from bot.services.points.views import Award

    terms = Terms(app.features.points.rules)
    ledger = Ledger(app.db, clock, terms, Levels(app.outbox, terms, ()))
    maya, solo = await member(app, "maya"), await member(app, "solo")
    now = clock.now()
    awards = [Award(maya.member_id, 10, "bonus", "a", "many:1", now),
              Award(solo.member_id, 7, "bonus", "b", "many:2", now),
              Award(maya.member_id, 5, "bonus", "c", "many:3", now),
              Award(solo.member_id, 7, "bonus", "b again", "many:2", now)]
    async with app.db.unit() as unit:
        results = await ledger.record_many(unit, awards)
    assert [r and (r.amount, r.points) for r in results] == [(10, 10), (7, 7), (5, 15), None]
    assert (await app.features.points.standing(maya)).points == 15
    assert (await app.features.points.standing(solo)).points == 7
    assert await ledger_and_totals(app) == (22, 22, 22)
