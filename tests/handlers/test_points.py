"""The points and reward commands through the real dispatcher, with the outbox delivering."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.core.model import Member
from config.settings import Settings
from tests.harness import Sent, snapshot
from tests.services.points.conftest import (
    ledger_and_totals,
    member,
    points_settings,
    recording,
)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The points settings: level roles at 1 and 2, an excluded channel and role."""
    return points_settings(database_url, tmp_path)


@pytest.fixture
def sent(app: App) -> Sent:
    return recording(app)


async def points_of(app, who: str) -> int:
    return (await app.features.points.standing(await member(app, who))).points


async def test_chat_messages_earn_with_a_cooldown_and_no_farming(app, chat, clock):
    await chat.say("I finished the pandas exercise, it was fun")
    first = await points_of(app, "maya")
    assert 15 <= first <= 25
    await chat.say("another thoughtful message within the minute")
    assert await points_of(app, "maya") == first  # cooldown
    clock.advance(timedelta(seconds=61))
    await chat.say("I finished the pandas exercise, it was fun!!")  # near-duplicate
    assert await points_of(app, "maya") == first
    await chat.say("ok")  # too short
    await chat.say("a long message sent to the bot privately", dm=True)  # DMs earn nothing
    await chat.say("a long message in the off-topic channel", channel="offtopic")
    assert await points_of(app, "maya") == first
    await chat.say("Does anyone want to pair on the graph challenge later?")
    second = await points_of(app, "maya")
    assert 15 <= second - first <= 25
    clock.advance(timedelta(seconds=61))
    await chat.say("Who is coming to the study group tomorrow night?", source_id="m-1")
    third = await points_of(app, "maya")
    assert third > second
    clock.advance(timedelta(seconds=61))
    await chat.say("A redelivered gateway event must not count twice", source_id="m-1")
    assert await points_of(app, "maya") == third  # same source id: one award


async def test_give_and_take_with_bad_input(app, chat):
    await chat.say("hello everyone, glad to be here", who="tomas")
    assert "for admins only" in await chat.text("/points give @tomas 50 nice")
    await chat.say("/points show", who="admin", admin=True)
    await app.interactions.flush()
    before = await snapshot(app.db)
    for line, expected in (
        ("/points give @tomas -5 negative", "at least 1"),
        ("/points give @tomas 99999999 absurd", "at most"),
        ("/points give @nobody 5 who", "don't know a member"),
        ("/points take @tomas 5000 too much", "has only"),
        ("/points give @tomas 5", "reason"),
    ):
        reply = await chat.text(line, who="admin", admin=True)
        assert expected in reply, (line, reply)
    await app.interactions.flush()
    after = await snapshot(app.db)
    changing = ("audit_log", "interactions")
    assert {k: v for k, v in after.items() if k not in changing} == \
        {k: v for k, v in before.items() if k not in changing}
    reply = await chat.text("/points give @tomas 120 ran the study group", who="admin",
                            admin=True)
    assert "Gave 120 points to tomas" in reply and "level 1" in reply
    reply = await chat.text("/points take @tomas 50 double counted", who="admin", admin=True)
    assert "Took 50 points" in reply and "level 0" in reply
    history = await chat.text("/points show", who="tomas")
    assert "+120 ran the study group (by admin)" in history and "-50 double counted" in history
    async with app.db.unit() as unit:
        audited = [a.command for a in await unit.audit.recent()]
    assert audited.count("points give") == 1 and "points take" in audited


async def test_leaderboard_pages_rank_card_and_badges(app, chat):
    points = app.features.points
    admin = await member(app, "admin")
    for i in range(12):
        target: Member = await member(app, f"p{i:02d}")
        await points.give(admin, target, 10 * (i + 1), "seed", f"seed-{i}")
    page1 = await chat.text("/leaderboard")
    assert page1.splitlines()[1] == "1. p11: 120 points"
    assert "page 1/2" in page1 and "/leaderboard week points 2" in page1
    page2 = await chat.text("/leaderboard week points 2")
    assert page2.splitlines()[1:] == ["11. p01: 20 points", "12. p00: 10 points"]
    assert "There are 2 pages" in await chat.text("/leaderboard all points 3")
    assert "nobody yet" in await chat.text("/leaderboard month challenges")
    replies = await chat.say("/rank p05")
    card = replies[0]
    assert card.file is not None and card.file.data.startswith(b"\x89PNG")
    assert "p05: level 0, 60 points (#7 of 12)" in card.text
    assert "no badges yet" in await chat.text("/badges")


async def test_events_award_rsvp_attendance_feedback_once(app, chat, clock):
    reply = await chat.text('/event create title="Pandas night" start="2026-11-24 18:00" '
                            'code=PANDA', who="admin", admin=True)
    event_id = int(reply.split("Created #")[1].split(".")[0])
    await chat.say(f"/rsvp {event_id} going")
    await chat.say(f"/rsvp {event_id} no")
    await chat.say(f"/rsvp {event_id} going")
    assert await points_of(app, "maya") == 10
    clock.advance(timedelta(hours=32))  # during the event
    await chat.say(f"/checkin {event_id} PANDA")
    clock.advance(timedelta(hours=2))
    await chat.say(f"/feedback {event_id} 5 great")
    await chat.say(f"/feedback {event_id} 4 changed my mind")
    standing = await app.features.points.standing(await member(app, "maya"))
    # 10 + 50 + 15, plus a 2-day streak bonus (active Monday and Tuesday).
    assert standing.points == 10 + 50 + 15 + 5
    assert "first_event" in standing.badges
    board = await app.features.points.leaderboard("week", "events")
    assert [(r.name, r.value) for r in board.rows] == [("maya", 1)]


async def test_reward_shop_flow_with_dms(app, chat, sent):
    points = app.features.points
    admin = await member(app, "admin")
    maya = await member(app, "maya")
    await points.give(admin, maya, 300, "seed", "seed")
    assert "for admins only" in await chat.text("/reward add Mug 100")
    assert "Added: Mug: 100 points, 1 left" in await chat.text(
        "/reward add Mug 100 stock=1", who="admin", admin=True)
    assert "already a reward" in await chat.text("/reward add mug 5", who="admin", admin=True)
    assert "Mug: 100 points, 1 left" in await chat.text("/rewards")
    assert "no reward called Hat" in await chat.text("/redeem Hat")
    reply = await chat.text("/redeem mug")
    assert "You redeemed Mug for 100 points (request #" in reply
    redemption = int(reply.split("#")[1].split(")")[0])
    assert "sold out" in await chat.text("/redeem Mug", who="tomas")
    assert f"#{redemption} maya: Mug" in await chat.text("/reward pending", who="admin",
                                                       admin=True)
    assert "rejected" in await chat.text(f"/reward reject {redemption} out of mugs",
                                         who="admin", admin=True)
    assert "already rejected" in await chat.text(f"/reward approve {redemption}", who="admin",
                                                 admin=True)
    await app.outbox.sweep()
    dms = sent.to("dm:maya")
    assert any("was not approved; 100 points are back" in d and "out of mugs" in d for d in dms)
    assert (await points.standing(maya)).balance == 300
    assert "1 left" in await chat.text("/rewards")
    reply = await chat.text("/redeem Mug")
    second = int(reply.split("#")[1].split(")")[0])
    assert "approved" in await chat.text(f"/reward approve {second}", who="admin", admin=True)
    await app.outbox.sweep()
    assert any("Mug was approved" in d for d in sent.to("dm:maya"))
    await app.features.rewards.add("Book", 500, None, None)
    assert "You need 500 points and have 200" in await chat.text("/redeem Book")
    assert await ledger_and_totals(app) == (200, 200, 300)


async def test_weekly_post_movers_and_winner_badges(app, chat, clock, sent):
    points = app.features.points
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "leaderboard", "leaders")
    admin = await member(app, "admin")
    people = {n: await member(app, n) for n in ("ana", "ben", "cai", "dee")}
    await points.give(admin, people["dee"], 500, "last week", "w0")
    clock.advance(timedelta(days=7))  # Monday Nov 30
    for n, amount in (("ana", 90), ("ben", 70), ("cai", 50), ("dee", 40)):
        await points.give(admin, people[n], amount, "this week", f"w1-{n}")
    clock.advance(timedelta(days=7))  # Monday Dec 7: post the week of Nov 30
    text = await points.post_weekly()
    await points.post_weekly()  # idempotent
    await app.outbox.sweep()
    posts = sent.to("#leaders")
    weekly = [p for p in posts if p.startswith("Leaderboard for the week of 2026-11-30")]
    assert len(weekly) == 1 and weekly[0] == text
    assert "🥇 ana: 90 points" in text and "🥉 cai: 50 points" in text
    assert "Biggest movers: ana (+90), ben (+70), cai (+50)" in text
    assert "earned a badge: Member of the week" in "\n".join(posts)
    assert [b.badge for b in await points.badges(people["ana"].member_id)] == \
        ["weekly_top3", "weekly_winner"]
    assert [b.badge for b in await points.badges(people["dee"].member_id)] == []


async def test_an_empty_week_is_not_posted(app, chat, clock, sent):
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "leaderboard", "leaders")
    clock.advance(timedelta(days=7))  # nobody earned anything in the week that ended
    await app.features.points.post_weekly()
    await app.outbox.sweep()
    assert sent.to("#leaders") == []
