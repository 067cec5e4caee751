"""Fair play (#13): RSVP points follow the RSVP, check-in needs a seat, only attendees rate."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from storage.rows.events import FeedbackRow
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


async def test_checkin_is_for_members_with_a_seat(chat: Chat, app: App, clock: FixedClock):
    event = await create(chat, '"Tiny" "2026-11-23 12:00" 1h capacity=1 code=PYTHON')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")  # waitlisted
    await chat.say(f"/rsvp {event} maybe", who="lin")
    await chat.say("/events", who="sam")  # known, never answered
    clock.advance(timedelta(hours=2, minutes=5))
    await app.interactions.flush()
    before = await snapshot(app.db)
    assert await chat.text(f"/checkin {event} PYTHON", who="lin") == (
        f"Check-in for #{event} Tiny is for members going to it. Send /rsvp {event} going first.")
    assert "is for members going to it" in await chat.text(f"/checkin {event} PYTHON", who="sam")
    assert await chat.text(f"/checkin {event} PYTHON", who="tomas") == (
        f"You are #1 on the waitlist for #{event} Tiny, and there is no free seat for you yet; "
        "I'll message you if one opens.")
    await app.interactions.flush()
    assert await snapshot(app.db) == before
    assert "Checked in" in await chat.text(f"/checkin {event} PYTHON", who="maya")
    report = await app.features.events.attendees(event)
    assert [a.name for a in report.going] == ["maya"]  # never more than the capacity
    assert [a.name for a in report.waitlist] == ["tomas"]


async def test_a_waitlisted_member_with_the_code_takes_a_free_seat_in_turn(chat: Chat, app: App,
                                                                          clock: FixedClock):
    event = await create(chat, '"Small" "2026-11-23 12:00" 1h capacity=1 code=PYTHON')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")
    await chat.say(f"/rsvp {event} going", who="lin")
    await chat.say(f"/event edit {event} capacity=2", **ADMIN)  # the added seat: tomas' turn
    clock.advance(timedelta(hours=2, minutes=5))
    assert "#1 on the waitlist" in await chat.text(f"/checkin {event} PYTHON", who="lin")
    assert "Checked in" in await chat.text(f"/checkin {event} PYTHON", who="tomas")
    report = await app.features.events.attendees(event)
    assert sorted(a.name for a in report.going) == ["maya", "tomas"]
    assert [a.name for a in report.waitlist] == ["lin"]


async def test_the_capacity_never_goes_below_the_seats_taken(chat: Chat, app: App):
    event = await create(chat, '"Full" "2026-11-25 18:00" capacity=3')
    for who in ("maya", "tomas", "lin"):
        await chat.say(f"/rsvp {event} going", who=who)
    await app.interactions.flush()
    before = await snapshot(app.db)
    assert await chat.text(f"/event edit {event} capacity=2", **ADMIN) == (
        f"3 members already have a seat at #{event} Full; the capacity cannot go below that.")
    await app.interactions.flush()
    assert await snapshot(app.db) == before


async def test_seats_a_capacity_adds_are_offered_in_waitlist_order(chat: Chat, app: App):
    event = await create(chat, '"Grow" "2026-11-25 18:00" capacity=1')
    for who in ("maya", "tomas", "lin", "sam"):
        await chat.say(f"/rsvp {event} going", who=who)
    await chat.say(f"/event edit {event} capacity=3", **ADMIN)
    report = await app.features.events.attendees(event)
    assert [a.name for a in report.offered] == ["tomas", "lin"]
    assert [a.name for a in report.waitlist] == ["sam"]


async def test_wrong_codes_are_rate_limited_per_member_and_event(chat: Chat, app: App,
                                                                clock: FixedClock):
    event = await create(chat, '"Guess" "2026-11-23 12:00" 2h code=7F3A2C')
    other = await create(chat, '"Other" "2026-11-23 12:00" 2h code=BEEF01')
    for who in ("maya", "tomas"):
        await chat.say(f"/rsvp {event} going", who=who)
        await chat.say(f"/rsvp {other} going", who=who)
    clock.advance(timedelta(hours=2, minutes=5))
    replies = [await chat.text(f"/checkin {event} {guess:06X}", who="maya") for guess in range(5)]
    assert replies[0] == "That check-in code is not right. Ask the organiser (4 tries left)."
    assert "(1 try left)" in replies[3] and "last try for now" in replies[4]
    locked = await chat.text(f"/checkin {event} 7F3A2C", who="maya")  # even the right code
    assert locked == ("Too many wrong check-in codes. Try again in 15 minutes, "
                      "or ask the organiser.")
    assert "Checked in" in await chat.text(f"/checkin {event} 7F3A2C", who="tomas")
    assert "Checked in" in await chat.text(f"/checkin {other} BEEF01", who="maya")
    clock.advance(timedelta(minutes=15))
    assert "Checked in" in await chat.text(f"/checkin {event} 7f3a2c", who="maya")


async def test_only_attendees_rate_and_are_asked(chat: Chat, app: App, clock: FixedClock):
    event = await create(chat, '"Talk" "2026-11-23 12:00" 1h code=PYTHON')
    for who in ("maya", "tomas"):
        await chat.say(f"/rsvp {event} going", who=who)
    clock.advance(timedelta(hours=2, minutes=5))
    await chat.say(f"/checkin {event} PYTHON", who="maya")
    await chat.say("/events", who="lin")  # known, never answered
    clock.advance(timedelta(hours=1))
    await app.interactions.flush()
    before = await snapshot(app.db)
    for who in ("tomas", "lin"):  # a no-show, and someone who never answered
        assert await chat.text(f"/feedback {event} 1", who=who) == (
            f"Sorry, only members who attended #{event} Talk can rate it, and I have no "
            "check-in from you.")
    await app.interactions.flush()
    assert await snapshot(app.db) == before
    assert "saved" in await chat.text(f"/feedback {event} 5", who="maya")
    assert await app.features.events.request_feedback() == 1  # maya only


async def test_request_feedback_asks_nobody_when_nobody_attended(chat: Chat, app: App,
                                                                clock: FixedClock):
    event = await create(chat, '"Empty" "2026-11-23 12:00" 1h')
    await chat.say(f"/rsvp {event} going", who="maya")
    clock.advance(timedelta(hours=3, minutes=5))
    assert await app.features.events.request_feedback() == 0


async def test_satisfaction_counts_attendees_only(chat: Chat, app: App, clock: FixedClock):
    event = await create(chat, '"Rated" "2026-11-23 12:00" 1h code=PYTHON')
    for who in ("maya", "tomas"):
        await chat.say(f"/rsvp {event} going", who=who)
    clock.advance(timedelta(hours=2, minutes=5))
    await chat.say(f"/checkin {event} PYTHON", who="maya")
    await chat.say(f"/feedback {event} 5", who="maya")
    async with app.db.unit() as unit:  # a no-show's rating kept from before the rule
        await unit.feedback.add(FeedbackRow(event_id=event, member_id=await member_id(app, "tomas"),
                                            rating=1, comment="", created_at=clock.now(),
                                            updated_at=clock.now()))
    stats = await app.features.analytics.event(event)
    assert stats.ratings == (5,)


async def test_presence_in_voice_counts_as_attending(chat: Chat, app: App, clock: FixedClock):
    event = await create(chat, '"Online" "2026-11-23 12:00" 1h where=https://meet.example.org/o')
    for who in ("maya", "tomas"):
        await chat.say(f"/rsvp {event} going", who=who)
    clock.advance(timedelta(hours=2, minutes=5))
    assert await app.features.events.voice_presence(await member_id(app, "maya")) == [event]
    clock.advance(timedelta(hours=1))
    assert "saved" in await chat.text(f"/feedback {event} 4", who="maya")
    assert "only members who attended" in await chat.text(f"/feedback {event} 4", who="tomas")
