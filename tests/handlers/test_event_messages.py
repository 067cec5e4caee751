"""Event messages say what is true, in the member's own time zone (#13.9, #13.10)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from bot.app import App
from bot.core.clock import FixedClock
from tests.harness import Chat, Sent

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


async def test_cancellation_and_change_notices_are_in_each_members_zone(chat: Chat, app: App,
                                                                        sent: Sent):
    await chat.say("/profile timezone=Asia/Tokyo", who="lin")
    event = await create(chat, '"Night talk" "2026-11-25 18:00"')
    other = await create(chat, '"Moved talk" "2026-11-26 18:00"')
    for who in ("lin", "maya"):
        await chat.say(f"/rsvp {event} going", who=who)
        await chat.say(f"/rsvp {other} going", who=who)
    await chat.say(f"/event cancel {event} speaker is ill", **ADMIN)
    await chat.say(f'/event edit {other} start="2026-11-27 09:00"', **ADMIN)
    await app.outbox.sweep()
    assert sent.to("dm:lin") == [
        "Cancelled: Night talk on Thu 26 Nov 03:00 JST. Reason: speaker is ill",
        f"Update: #{other} Moved talk is now Fri 27 Nov 18:00 JST · place to be announced.",
    ]
    assert sent.to("dm:maya")[0] == ("Cancelled: Night talk on Wed 25 Nov 18:00 UTC. "
                                     "Reason: speaker is ill")


async def test_an_event_that_started_shows_no_rsvp_buttons(chat: Chat, clock: FixedClock):
    event = await create(chat, '"Soon" "2026-11-23 11:00" 1h')
    [before] = await chat.say(f"/event {event}")
    assert [b.label for b in before.buttons] == ["Going", "Maybe", "Can't go"]
    clock.advance(timedelta(hours=1, minutes=30))  # in progress
    [during] = await chat.say(f"/event {event}")
    clock.advance(timedelta(hours=1))  # ended
    [after] = await chat.say(f"/event {event}")
    assert during.buttons == () and after.buttons == ()


async def test_events_says_when_more_exist_and_pages(chat: Chat):
    ids = [await create(chat, f'"Talk {n}" "2026-12-{n + 1:02d} 18:00"') for n in range(12)]
    first = await chat.text("/events")
    assert f"#{ids[9]} Talk 9" in first and f"#{ids[10]} " not in first
    assert first.endswith("More events: /events page=2")
    second = await chat.text("/events page=2")
    assert second.startswith("Upcoming events, page 2:")
    assert f"#{ids[10]} Talk 10" in second and f"#{ids[11]} Talk 11" in second
    assert "More events" not in second
    assert (await chat.text("/events 5 page=2")).endswith("More events: /events count=5 page=3")
    assert await chat.text("/events page=9") == "There is no page 9."


async def test_a_series_moves_with_its_reminders_and_goers_are_told_once(
        chat: Chat, app: App, clock: FixedClock, sent: Sent):
    first = await create(chat, '"Study group" "2026-11-24 18:00" recurrence=weekly',
                         "timezone=Europe/Berlin")
    second = first + 1
    await chat.say(f"/rsvp {first} going", who="maya")
    await chat.say(f"/rsvp {second} going", who="maya")
    await chat.say(f"/event edit {second} title=\"Special\"", **ADMIN)  # detached: stays
    await app.outbox.sweep()
    sent.take()
    # ada's zone is UTC: 18:30 UTC is 19:30 in Berlin, a day and an hour and a half later.
    reply = await chat.text(f'/event edit {first} start="2026-11-25 18:30" series=yes', **ADMIN)
    assert "Move occurrences one at a time" not in reply
    views = [await app.features.events.get(first + i) for i in range(6)]
    local = [v.start.astimezone(ZoneInfo("Europe/Berlin")) for v in views]
    assert [(t.strftime("%a %H:%M")) for i, t in enumerate(local) if i != 1] == [
        "Wed 19:30"] * 5
    assert local[1].strftime("%a %d %b %H:%M") == "Tue 01 Dec 18:00"  # detached, not moved
    await app.outbox.sweep()
    notices = [t for t in sent.to("dm:maya") if t.startswith("Update:")]
    assert notices == [f"Update: #{first} Study group is now Wed 25 Nov 18:30 UTC · "
                       "place to be announced."]  # once, though maya answered two sessions
    sent.take()
    # Reminders follow: nothing at the old 24h mark (Mon 17:00 UTC), one at the new one.
    clock.advance(timedelta(hours=7, minutes=1))
    await app.scheduler.run_all()
    assert sent.to("dm:maya") == []
    clock.advance(timedelta(hours=25, minutes=30))  # Tue 24 Nov 18:31 UTC
    await app.scheduler.run_all()
    [reminder] = sent.to("dm:maya")
    assert reminder == f"Reminder: #{first} Study group starts in 1 day (Wed 25 Nov 18:30 UTC)."
    # Later occurrences keep the new rhythm, none twice, none skipped.
    clock.advance(timedelta(weeks=3))
    await app.features.events.materialize_series()
    listing = await chat.text("/events count=25")
    assert listing.count("Study group") == 6
    assert all(" Wed " in line or "Special" in line
               for line in listing.splitlines() if "Study group" in line)


async def test_ics_of_a_series_carries_its_rrule_and_a_true_dtstamp(chat: Chat, app: App):
    first = await create(chat, '"Study group" "2026-11-24 18:00" recurrence=weekly',
                         "timezone=Europe/Berlin")
    await chat.say(f"/event cancel {first + 2}", **ADMIN)
    await chat.say(f'/event edit {first + 3} start="2026-12-16 09:00"', **ADMIN)  # moved alone
    [reply] = await chat.say(f"/ics {first}", who="maya")
    assert reply.file is not None
    calendar = Calendar.from_ical(reply.file.data)
    [vevent] = [v for v in calendar.walk("VEVENT") if "rrule" in v]
    [moved] = [v for v in calendar.walk("VEVENT") if "recurrence-id" in v]  # its own VEVENT
    assert moved["recurrence-id"].dt.isoformat() == "2026-12-15T18:00:00+01:00"
    # 09:00 in the admin's zone (UTC) is 10:00 in the event's
    assert moved["dtstart"].dt.isoformat() == "2026-12-16T10:00:00+01:00"
    assert vevent["rrule"].to_ical() == b"FREQ=WEEKLY"
    assert vevent["dtstart"].dt.isoformat() == "2026-11-24T18:00:00+01:00"
    assert vevent["dtstart"].params["TZID"] == "Europe/Berlin"
    assert calendar.walk("VTIMEZONE")
    assert vevent["dtstamp"].dt.isoformat() == app.clock.now().isoformat()
    exdates = vevent["exdate"]
    days = [d.dt.isoformat() for e in (exdates if isinstance(exdates, list) else [exdates])
            for d in e.dts]
    assert days == ["2026-12-08T18:00:00+01:00"]  # the moved one is overridden, not excluded


async def test_help_examples_never_name_a_past_date(chat: Chat, app: App, clock: FixedClock):
    clock.advance(timedelta(days=400))  # long after the examples were written
    catalog = {c.name: c for c in app.dispatcher.commands}
    [create_cmd] = [c for c in catalog["event"].subcommands if c.name == "create"]
    [edit_cmd] = [c for c in catalog["event"].subcommands if c.name == "edit"]
    created = await chat.text(create_cmd.example, **ADMIN)
    assert created.startswith("Created #"), created
    event = created.split("#", 1)[1].split()[0].rstrip(".")
    edited = await chat.text(edit_cmd.example.replace(" 12 ", f" {event} "), **ADMIN)
    assert "past" not in edited and f"#{event}" in edited, edited
    assert "2026" not in create_cmd.example + edit_cmd.example
    start = next(o for o in edit_cmd.options if o.name == "start")
    assert "20" not in start.help


async def test_counts_have_the_right_plural(chat: Chat, app: App, clock: FixedClock):
    event = await create(chat, '"Rated" "2026-11-23 12:00" 1h code=PYTHON')
    await chat.say(f"/rsvp {event} going", who="maya")
    clock.advance(timedelta(hours=2, minutes=5))
    await chat.say(f"/checkin {event} PYTHON", who="maya")
    await chat.say(f"/feedback {event} 5", who="maya")
    stats = await chat.text(f"/stats event {event}", **ADMIN)
    assert "from 1 rating (" in stats and "1 ratings" not in stats
    reply = await chat.text("/points give @maya 1 thanks", **ADMIN)
    assert "Gave 1 point to" in reply, reply


async def test_outbox_names_events_and_people_not_row_ids(chat: Chat, app: App):
    event = await create(chat, '"Hack night" "2026-11-25 18:00"')
    await chat.say(f"/rsvp {event} going", who="maya")
    report = await chat.text("/outbox", **ADMIN)
    assert f"reminder: #{event} Hack night → maya at 2026-11-24 18:00 UTC" in report
    assert "\n  1 " not in report and "\n  2 " not in report


async def test_a_new_event_is_public_only_once_announced(chat: Chat, app: App,
                                                         clock: FixedClock, sent: Sent):
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "news")
    event = await create(chat, '"Quiet" "2026-11-25 18:00"')
    weekly = await create(chat, '"Weekly" "2026-11-26 18:00" recurrence=weekly')
    clock.advance(timedelta(hours=32, minutes=1))  # past the 24h mark of #1
    await app.scheduler.run_all()
    assert sent.take() == []  # no channel post, no announcement: the admin has not asked
    await chat.say(f"/event announce {weekly}", **ADMIN)
    await app.outbox.sweep()
    [(where, post)] = sent.take()
    assert where == "#news" and post.startswith(f"New: #{weekly} Weekly")
    clock.advance(timedelta(hours=24))  # the 24h mark of the weekly's first session
    await app.scheduler.run_all()
    assert [who for who, _ in sent.take()] == ["#general"]
    clock.advance(timedelta(weeks=1))  # the next session: announced with the series
    await app.scheduler.run_all()
    assert [who for who, _ in sent.take()] == ["#general"]
    clock.advance(timedelta(weeks=5))  # sessions made later are public too
    await app.features.events.materialize_series()
    clock.advance(timedelta(weeks=1))
    await app.scheduler.run_all()
    assert set(who for who, _ in sent.take()) == {"#general"}
    quiet = await app.features.events.get(event)
    assert quiet.status == "scheduled"  # never announced: never posted


async def test_a_setting_announces_new_events_at_once(settings, clock, db):
    from bot.app import build, prepare, running

    settings.events.announce_new = True
    app = build(settings, clock)
    await prepare(app, seed_demo=False)
    async with running(app):
        chat = Chat(app)
        sent = Sent()
        app.platforms.add_messenger(sent)
        async with app.db.unit() as unit:
            await unit.channels.set_channel("console", "announcements", "news")
        event = await create(chat, '"Loud" "2026-11-25 18:00"')
        await app.outbox.sweep()
        assert [who for who, _ in sent.take()] == ["#news"]
        clock.advance(timedelta(hours=32, minutes=1))
        await app.scheduler.run_all()
        assert [who for who, _ in sent.take()] == ["#general"]
        del event
