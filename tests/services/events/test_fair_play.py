"""Fair play (#13): RSVP points follow the RSVP, check-in needs a seat, only attendees rate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from storage.rows.points import PointAwardRow, PointTotalRow
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}


async def create(chat: Chat, *args: str) -> int:
    text = await chat.text("/event create " + " ".join(args), **ADMIN)
    assert text.startswith("Created #"), text
    return int(text.split("#", 1)[1].split()[0].rstrip("."))


async def member_id(app: App, name: str) -> int:
    return (await app.directory.identify(UserRef(Platform.CONSOLE, name, name))).member_id


async def rsvp_ledger(app: App, who: str, event: int) -> list[int]:
    """The amounts of the member's RSVP rows for ``event``, oldest first."""
    mid = await member_id(app, who)
    async with app.db.unit() as unit:
        rows = await unit.points.entries(mid, f"rsvp:{event}:{mid}")
    return [r.amount for r in rows]


async def totals(app: App, who: str) -> dict[str, int]:
    mid = await member_id(app, who)
    async with app.db.engine.connect() as connection:
        rows = await connection.execute(select(PointTotalRow.period, PointTotalRow.points)
                                        .where(PointTotalRow.member_id == mid))
        return {str(p): int(n) for p, n in rows}


async def test_rsvp_points_follow_the_answer_and_never_exceed_one_award(chat: Chat, app: App):
    award = app.features.points.rules.rsvp
    event = await create(chat, '"Flip" "2026-11-25 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    assert await rsvp_ledger(app, "maya", event) == [award]
    await chat.say(f"/rsvp {event} no", who="maya")
    assert await rsvp_ledger(app, "maya", event) == [award, -award]
    assert set((await totals(app, "maya")).values()) == {0}  # all, week and month
    for _ in range(3):
        await chat.say(f"/rsvp {event} going", who="maya")
        await chat.say(f"/rsvp {event} going", who="maya")
        await chat.say(f"/rsvp {event} maybe", who="maya")
    await chat.say(f"/rsvp {event} going", who="maya")
    assert sum(await rsvp_ledger(app, "maya", event)) == award
    assert set((await totals(app, "maya")).values()) == {award}


async def test_a_reversal_lowers_the_week_the_award_counted_in(chat: Chat, app: App,
                                                              clock: FixedClock):
    award = app.features.points.rules.rsvp
    event = await create(chat, '"Later" "2026-12-10 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    clock.advance(timedelta(days=7))  # the next week
    await chat.say(f"/rsvp {event} no", who="maya")
    board = await totals(app, "maya")
    assert board["all"] == 0 and board.get(app.features.points.period_key("week"), 0) == 0
    earlier = app.features.points.period_key("week", clock.now() - timedelta(days=7))
    assert board[earlier] == 0
    async with app.db.engine.connect() as connection:
        kinds = (await connection.execute(select(PointAwardRow.amount, PointAwardRow.reason)
                                          .order_by(PointAwardRow.id))).all()
    assert kinds[-1] == (-award, f"taken back: RSVP to event #{event}")


async def test_cancelling_an_event_takes_the_rsvp_points_back(chat: Chat, app: App):
    award = app.features.points.rules.rsvp
    event = await create(chat, '"Doomed" "2026-11-25 18:00"')
    other = await create(chat, '"Kept" "2026-11-26 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {other} going", who="maya")
    await chat.say(f"/event cancel {event} speaker is ill", **ADMIN)
    assert await rsvp_ledger(app, "maya", event) == [award, -award]
    assert await rsvp_ledger(app, "maya", other) == [award]
    assert (await totals(app, "maya"))["all"] == award


async def test_a_waitlisted_member_earns_rsvp_points_only_with_a_seat(chat: Chat, app: App):
    award = app.features.points.rules.rsvp
    event = await create(chat, '"Tiny" "2026-11-25 18:00" capacity=1')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")
    assert await rsvp_ledger(app, "tomas", event) == []
    await chat.say(f"/rsvp {event} no", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")  # claims the offered seat
    assert await rsvp_ledger(app, "tomas", event) == [award]
    before = await snapshot(app.db)
    assert "already going" in await chat.text(f"/rsvp {event} going", who="tomas")
    assert await snapshot(app.db) == before
