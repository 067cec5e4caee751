"""Events end to end: commands through the real dispatcher, rows in the real database,
reminders and notices through the real outbox to a recording messenger."""

import asyncio
from datetime import timedelta

import pytest
from icalendar import Calendar

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from bot.services.events import Answer
from tests.harness import Chat, Sent, snapshot

ADMIN = {"who": "ada", "admin": True}


@pytest.fixture
def sent(app: App) -> Sent:
    recorder = Sent()
    app.platforms.add_messenger(recorder)
    return recorder


async def create(chat: Chat, *args: str) -> int:
    text = await chat.text("/event create " + " ".join(args), **ADMIN)
    assert text.startswith("Created #"), text
    return int(text.split("#", 1)[1].split()[0].rstrip("."))


async def advance(app: App, clock: FixedClock, delta: timedelta) -> None:
    clock.advance(delta)
    await app.scheduler.run_all()


async def test_create_show_and_list_in_each_members_zone(chat: Chat):
    await chat.say("/profile timezone=Asia/Tokyo", who="lin")
    event = await create(chat, '"Async Python" "2026-11-25 18:00" 90m',
                         'where="https://meet.example.org/a | Room 2" capacity=20 tags=python,async')
    shown = await chat.text(f"/event {event}", who="lin")
    assert f"#{event} Async Python" in shown
    assert "Thu 26 Nov 03:00 JST (in 2 days)" in shown  # 18:00 UTC seen from Tokyo
    assert "https://meet.example.org/a · Room 2" in shown and "0/20 seats taken" in shown
    listing = await chat.text("/events", who="lin")
    assert f"#{event} Async Python — Thu 26 Nov 03:00 JST" in listing


async def test_create_reads_the_start_in_the_given_time_zone(chat: Chat, app: App):
    event = await create(chat, '"Berlin meetup" "2026-12-01 18:00" timezone=Europe/Berlin')
    view = await app.features.events.get(event)
    assert view.start.hour == 17 and view.timezone == "Europe/Berlin"


async def test_bad_event_input_changes_nothing(chat: Chat, app: App):
    await create(chat, '"Real" "2026-12-01 18:00"')
    await app.interactions.flush()
    before = await snapshot(app.db)
    cases = {
        '/event create Past "2026-11-01 18:00"': "in the past",
        '/event create Big "2026-12-01 18:00" capacity=-3': "too small",
        '/event create Long "2026-12-01 18:00" 30h': "between 5 minutes and 24 hours",
        '/event create Tz "2026-12-01 18:00" timezone=Moon/Base': "Unknown time zone `Moon/Base`",
        '/event create Rec "2026-12-01 18:00" recurrence=sometimes': "not a recurrence",
        '/event create Link "2026-12-01 18:00" where=ftp://x': "https://",
        "/event 999": "no event #999",
        "/rsvp 999 going": "no event #999",
        "/rsvp 1 perhaps": "not one of: going, maybe, no",
        "/event edit 999 title=x": "no event #999",
        "/checkin 999 CODE": "no event #999",
    }
    for line, expected in cases.items():
        reply = await chat.text(line, **ADMIN)
        assert expected in reply, (line, reply)
    await app.interactions.flush()
    assert await snapshot(app.db) == before


async def test_members_cannot_run_admin_event_commands(chat: Chat):
    reply = await chat.text('/event create "Mine" "2026-12-01 18:00"', who="maya")
    assert reply == "/event create is for admins only."


async def announce(chat: Chat, app: App, sent: Sent, event: int) -> None:
    """Announce ``event`` in #news (the announcement post itself is taken away)."""
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "news")
    assert "queued for 1 channel" in await chat.text(f"/event announce {event}", **ADMIN)
    await app.outbox.sweep()
    assert [who for who, _ in sent.take()] == ["#news"]


async def test_two_members_get_reminders_and_the_channel_a_post(chat, app, clock, sent):
    event = await create(chat, '"Hack night" "2026-11-25 18:00"', "where=Makerspace")
    await announce(chat, app, sent, event)
    assert "You're going" in await chat.text(f"/rsvp {event} going", who="maya")
    await chat.text(f"/rsvp {event} going", who="tomas")
    await advance(app, clock, timedelta(hours=31))  # 2026-11-24 17:00: 25h before
    assert sent.take() == []
    await advance(app, clock, timedelta(hours=1, minutes=1))  # 24h before
    got = sent.take()
    assert sorted(who for who, _ in got) == ["#general", "dm:maya", "dm:tomas"]
    assert all("Hack night starts in 1 day" in text for _, text in got)
    await advance(app, clock, timedelta(hours=23))  # 1h before
    got = sent.take()
    assert sorted(who for who, _ in got) == ["dm:maya", "dm:tomas"]
    assert "Hack night starts in 1 hour" in got[0][1]
    await advance(app, clock, timedelta(hours=5))
    assert sent.take() == []  # nobody checked in: no feedback requests (#13.3)
    await advance(app, clock, timedelta(days=2))
    assert sent.take() == []  # nothing twice


async def test_the_last_seat_goes_to_exactly_one_of_two_racing_members(chat, app):
    event = await create(chat, '"Tiny" "2026-11-25 18:00" capacity=1')
    directory = app.directory
    maya = await directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    tomas = await directory.identify(UserRef(Platform.CONSOLE, "tomas", "tomas"))
    results = await asyncio.gather(
        app.features.events.rsvp(maya, event, Answer.GOING),
        app.features.events.rsvp(tomas, event, Answer.GOING),
    )
    assert sorted(r.status for r in results) == ["going", "waitlist"]
    report = await app.features.events.attendees(event)
    assert len(report.going) == 1 and len(report.waitlist) == 1


async def test_waitlist_offer_claim_and_organiser_notice(chat, app, clock, sent):
    event = await create(chat, '"Tiny" "2026-11-25 18:00" capacity=1')
    await chat.say(f"/rsvp {event} going", who="maya")
    assert "#1 on the waitlist" in await chat.text(f"/rsvp {event} going", who="tomas")
    assert "#2 on the waitlist" in await chat.text(f"/rsvp {event} going", who="lin")
    await chat.say(f"/rsvp {event} no", who="maya")
    await app.outbox.sweep()
    [offer] = sent.to("dm:tomas")
    assert f"send /rsvp {event} going within 2h" in offer
    assert sent.to("dm:lin") == []
    assert "You're going" in await chat.text(f"/rsvp {event} going", who="tomas")
    await app.outbox.sweep()
    assert any("tomas claimed a freed seat" in t for t in sent.to("dm:ada"))
    report = await chat.text(f"/event attendees {event}", **ADMIN)
    assert "Going: tomas" in report and "Waitlist: lin" in report


async def test_an_unclaimed_offer_passes_to_the_next(chat, app, clock, sent):
    event = await create(chat, '"Tiny" "2026-11-25 18:00" capacity=1')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")
    await chat.say(f"/rsvp {event} going", who="lin")
    await chat.say(f"/rsvp {event} no", who="maya")
    await advance(app, clock, timedelta(hours=2, minutes=1))
    offer, expired = sent.to("dm:tomas")  # the offer, then word that it passed on (#13.9)
    assert "A seat opened" in offer
    assert expired == (f"The seat held for you at #{event} Tiny was not claimed in time and "
                       f"has passed to the next member waiting. Send /rsvp {event} going to "
                       "queue again.")
    assert len(sent.to("dm:lin")) == 1  # the seat passed on after tomas' window
    report = await app.features.events.attendees(event)
    assert [a.name for a in report.offered] == ["lin"]


async def test_immediate_promotion_by_setting(settings, clock, db):
    settings.events.immediate_promotion = True
    app = build(settings, clock)
    await prepare(app, seed_demo=False)
    async with running(app):
        chat = Chat(app)
        sent = Sent()
        app.platforms.add_messenger(sent)
        event = await create(chat, '"Tiny" "2026-11-25 18:00" capacity=1')
        await chat.say(f"/rsvp {event} going", who="maya")
        await chat.say(f"/rsvp {event} going", who="tomas")
        await chat.say(f"/rsvp {event} no", who="maya")
        await app.outbox.sweep()
        assert "you are now going" in sent.to("dm:tomas")[0]
        assert [a.name for a in (await app.features.events.attendees(event)).going] == ["tomas"]


async def test_a_late_event_sends_one_starting_soon(chat, app, clock, sent):
    event = await create(chat, '"Pop-up" "2026-11-23 10:40"')
    await chat.say(f"/rsvp {event} going", who="maya")
    await advance(app, clock, timedelta(minutes=1))
    assert sent.to("dm:maya") == [sent.to("dm:maya")[0]]
    assert "starts in 40 minutes" in sent.to("dm:maya")[0]
    await advance(app, clock, timedelta(minutes=30))
    assert len(sent.to("dm:maya")) == 1  # the 1h offset had passed: no burst, no repeat


async def test_cancellation_tells_everyone_and_withdraws_reminders(chat, app, clock, sent):
    event = await create(chat, '"Doomed" "2026-11-25 18:00" capacity=1')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")
    reply = await chat.text(f"/event cancel {event} speaker is ill", **ADMIN)
    assert f"Cancelled #{event}" in reply
    await app.outbox.sweep()
    assert "Cancelled: Doomed" in sent.to("dm:maya")[0] and "speaker is ill" in sent.to("dm:maya")[0]
    assert "Cancelled: Doomed" in sent.to("dm:tomas")[0]
    sent.take()
    await advance(app, clock, timedelta(days=3))
    assert sent.take() == []
    assert "cancelled" in await chat.text(f"/rsvp {event} going", who="lin")


async def test_moving_an_event_replans_reminders(chat, app, clock, sent):
    event = await create(chat, '"Moving" "2026-11-24 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f'/event edit {event} start="2026-11-26 18:00"', **ADMIN)
    await app.outbox.sweep()
    assert sent.to("dm:maya")[0] == (f"Update: #{event} Moving is now Thu 26 Nov 18:00 UTC · "
                                     "place to be announced.")
    sent.take()
    await advance(app, clock, timedelta(hours=32, minutes=1))  # the old 24h mark
    assert sent.take() == []
    await advance(app, clock, timedelta(days=1))  # the new 24h mark
    assert "Moving starts in 1 day" in sent.to("dm:maya")[0]


async def test_rsvp_no_withdraws_and_rsvp_again_replans(chat, app, clock, sent):
    event = await create(chat, '"Flip" "2026-11-25 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} no", who="maya")
    await chat.say(f"/rsvp {event} going", who="maya")
    await advance(app, clock, timedelta(hours=32, minutes=1))
    assert len(sent.to("dm:maya")) == 1


async def test_member_offsets_quiet_hours_and_dms_off(chat, app, clock, sent):
    event = await create(chat, '"Late show" "2026-11-25 22:00"')
    await chat.say("/profile reminders=2h,15m", who="maya")
    await chat.say("/profile dms=off", who="tomas")
    await chat.say("/profile quiet=18:00-23:30", who="lin")
    for who in ("maya", "tomas", "lin"):
        await chat.say(f"/rsvp {event} going", who=who)
    await advance(app, clock, timedelta(hours=56))  # 2026-11-25 18:00, 4h before
    assert sent.to("dm:maya") == []
    # The 24h reminder (Tue 22:00, quiet) waited until quiet hours ended at 23:30; the 1h
    # one (Wed 21:00, quiet, event inside them) moved to just before they begin at 18:00.
    assert sorted(sent.to("dm:lin")) == [
        f"Reminder: #{event} Late show starts in 22 hours (Wed 25 Nov 22:00 UTC).",
        f"Reminder: #{event} Late show starts in 4 hours (Wed 25 Nov 22:00 UTC).",
    ]
    await advance(app, clock, timedelta(hours=2, minutes=1))
    assert len(sent.to("dm:maya")) == 1
    await advance(app, clock, timedelta(hours=1, minutes=45))  # 21:46, 15 minutes before
    assert len(sent.to("dm:maya")) == 2
    assert sent.to("dm:tomas") == []


async def test_checkin_window_code_and_feedback(chat, app, clock, sent):
    event = await create(chat, '"Workshop" "2026-11-23 12:00" 1h code=PYTHON')
    await chat.say(f"/rsvp {event} going", who="maya")
    await chat.say(f"/rsvp {event} going", who="tomas")
    assert "open from 30 minutes before" in await chat.text(f"/checkin {event} PYTHON", who="maya")
    clock.advance(timedelta(hours=2, minutes=5))
    assert "not right" in await chat.text(f"/checkin {event} JAVA", who="maya")
    assert "Checked in" in await chat.text(f"/checkin {event} python", who="maya")
    assert "already checked in" in await chat.text(f"/checkin {event} PYTHON", who="maya")
    assert "has not happened" not in await chat.text(f"/feedback {event} 4", who="maya")
    await advance(app, clock, timedelta(hours=1))
    assert len(sent.to("dm:maya")) == 1 and "/feedback" in sent.to("dm:maya")[-1]
    assert all("/feedback" not in t for t in sent.to("dm:tomas"))  # only checked-in people
    assert "updated" in await chat.text(f"/feedback {event} 5 great live coding", who="maya")
    assert "only members who attended" in await chat.text(f"/feedback {event} 5", who="lin")
    assert "9 is too large (at most 5)" in await chat.text(f"/feedback {event} 9", who="maya")
    report = await chat.text(f"/event attendees {event}", **ADMIN)
    assert "No-shows: tomas" in report and "maya ✓" in report


async def test_ics_file_parses(chat):
    event = await create(chat, '"Calendar me" "2026-12-01 18:00" 2h where=https://meet.example.org/c')
    [reply] = await chat.say(f"/ics {event}", who="maya")
    assert reply.file is not None and reply.file.filename.endswith(".ics")
    [vevent] = Calendar.from_ical(reply.file.data).walk("VEVENT")
    assert str(vevent["summary"]) == "Calendar me"
    assert vevent["dtstart"].dt.isoformat() == "2026-12-01T18:00:00+00:00"
    assert vevent["dtend"].dt.isoformat() == "2026-12-01T20:00:00+00:00"


async def test_weekly_series_edit_one_or_all_and_cancel_one(chat, app):
    first = await create(chat, '"Study group" "2026-11-24 18:00" recurrence=weekly',
                         "timezone=Europe/Berlin")
    listing = await chat.text("/events count=25")
    assert listing.count("Study group") == 6  # six weeks ahead
    second = first + 1
    await chat.say(f"/event edit {second} title=\"Study group (special)\"", **ADMIN)
    await chat.say(f"/event edit {first} description=\"Bring questions\" series=yes", **ADMIN)
    await chat.say(f"/event cancel {first + 2}", **ADMIN)
    views = [await app.features.events.get(first + i) for i in range(4)]
    assert views[1].title == "Study group (special)"
    assert views[0].description == views[3].description == "Bring questions"
    assert views[1].description == ""  # edited alone: detached from the series
    assert views[2].status == "cancelled" and views[3].status == "scheduled"


async def test_audience_limits_who_can_rsvp(chat, app):
    event = await create(chat, '"Members only" "2026-12-01 18:00" audience=premium')
    assert "for premium only" in await chat.text(f"/rsvp {event} going", who="maya")
    maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    result = await app.features.events.rsvp(maya, event, Answer.GOING, roles=("premium",))
    assert result.status == "going"


async def test_work_due_while_down_is_delivered_once_after_restart(settings, clock, db):
    first = build(settings, clock)
    await prepare(first, seed_demo=False)
    async with running(first):
        chat = Chat(first)
        event = await create(chat, '"Restart" "2026-11-24 18:00"')
        news = Sent()
        first.platforms.add_messenger(news)
        await announce(chat, first, news, event)
        await chat.say(f"/rsvp {event} going", who="maya")
    clock.advance(timedelta(hours=9))  # the bot was down when the 24h reminder fell due
    second = build(settings, clock)
    await prepare(second, seed_demo=False)
    async with running(second):
        sent = Sent()
        second.platforms.add_messenger(sent)
        await second.scheduler.run_all()
        await second.scheduler.run_all()
        assert len(sent.to("dm:maya")) == 1 and len(sent.to("#general")) == 1
