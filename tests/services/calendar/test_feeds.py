"""Calendar feeds end to end: /calendar through the real dispatcher, the feed routes on a
real uvicorn on 127.0.0.1, fetched with aiohttp and read by an independent parser
(icalendar + recurring-ical-events), on both databases."""

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import aiohttp
import pytest
import recurring_ical_events
import uvicorn
from icalendar import Calendar
from starlette.applications import Starlette

from bot.app import App
from bot.core.clock import FixedClock
from bot.core.model import Platform, UserRef
from bot.services.calendar import CalendarService
from bot.services.events import Answer
from bot.web.feeds import routes
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def base(app: App) -> AsyncIterator[str]:
    """The feed routes in a tiny Starlette app on a real uvicorn; yields its base URL."""
    calendar = app.features.calendar
    assert isinstance(calendar, CalendarService)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=routes(calendar)),
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    async with asyncio.timeout(10):
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await task
    sock.close()


async def fetch(url: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    async with aiohttp.ClientSession() as session, session.get(url, headers=headers) as got:
        return got.status, await got.text(), {k.lower(): v for k, v in got.headers.items()}


async def create(chat: Chat, *args: str) -> int:
    text = await chat.text("/event create " + " ".join(args), **ADMIN)
    assert text.startswith("Created #"), text
    return int(text.split("#", 1)[1].split()[0].rstrip("."))


def feed_path(reply_text: str) -> str:
    """The /ics/<token>.ics path out of a /calendar reply."""
    url = next(word for word in reply_text.split() if "/ics/" in word)
    return url[url.index("/ics/"):]


def sessions(body: str, start: date, end: date) -> list[tuple[str, datetime, str]]:
    """(summary, local start, status) of every occurrence, expanded independently."""
    calendar = Calendar.from_ical(body)
    found = recurring_ical_events.of(calendar).between(start, end)
    return sorted((str(e["summary"]), e["dtstart"].dt, str(e.get("status", "")))
                  for e in found)


async def to_march(app: App, clock: FixedClock) -> None:
    # From 23 Nov 2026 to 10 Mar 2027, so a weekly series spans the DST change of 28 March.
    clock.advance(datetime(2027, 3, 10, 10, tzinfo=UTC) - clock.now())
    await app.scheduler.run_all()


async def test_member_feed_lists_their_sessions_on_every_platform_across_dst(
        chat: Chat, app: App, clock: FixedClock, base: str):
    await to_march(app, clock)
    first = await create(chat, '"Study group" "2027-03-16 18:00" recurrence=weekly',
                         "timezone=Europe/Berlin")
    for offset in range(4):  # 16, 23, 30 March and 6 April: clocks change on the 28th
        assert "going" in await chat.text(f"/rsvp {first + offset} going")
    await chat.say(f"/event cancel {first + 2} room flooded", **ADMIN)
    full = await create(chat, '"Tiny" "2027-03-20 10:00" capacity=1')
    await chat.say(f"/rsvp {full} going", who="lin")
    assert "waitlist" in await chat.text(f"/rsvp {full} going")
    # maya's Telegram account, linked to the same member, answers another session.
    maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    async with app.db.unit() as unit:
        await unit.members.add_account(maya.member_id, "telegram", "777", "Maya T",
                                        clock.now())
    talk = await create(chat, '"Telegram talk" "2027-03-25 19:00"')
    via_telegram = await app.directory.identify(UserRef(Platform.TELEGRAM, "777", "Maya T"))
    assert via_telegram.member_id == maya.member_id
    await app.features.events.rsvp(via_telegram, talk, Answer.GOING)

    [reply] = await chat.say("/calendar")
    assert reply.private and "/ics/" in reply.text
    status, body, headers = await fetch(base + feed_path(reply.text))
    assert status == 200 and headers["content-type"].startswith("text/calendar")
    assert headers["cache-control"].startswith("private")

    listed = sessions(body, date(2027, 3, 1), date(2027, 6, 1))
    berlin = [(s, t.astimezone(BERLIN), st) for s, t, st in listed if s == "Study group"]
    assert [(t.date().isoformat(), t.hour, t.minute, st) for _, t, st in berlin] == [
        ("2027-03-16", 18, 0, "CONFIRMED"), ("2027-03-23", 18, 0, "CONFIRMED"),
        ("2027-03-30", 18, 0, "CANCELLED"), ("2027-04-06", 18, 0, "CONFIRMED")]
    # The same local time is a different UTC hour on each side of the change.
    assert berlin[1][1].astimezone(UTC).hour == 17 and berlin[3][1].astimezone(UTC).hour == 16
    assert [s for s, _, _ in listed if s != "Study group"] == ["Telegram talk"]  # no Tiny
    calendar = Calendar.from_ical(body)
    [master] = [e for e in calendar.walk("VEVENT") if "RRULE" in e]
    assert master["rrule"]["FREQ"] == ["WEEKLY"]
    [zone] = [z for z in calendar.walk("VTIMEZONE") if str(z["tzid"]) == "Europe/Berlin"]
    assert {c.name for c in zone.subcomponents} >= {"STANDARD", "DAYLIGHT"}

    # An unchanged feed revalidates without a body (calendar apps poll it).
    again, _, _ = await fetch(base + feed_path(reply.text), **{"If-None-Match": headers["etag"]})
    assert again == 304


async def test_reset_revokes_the_old_link_and_unknown_tokens_are_404(
        chat: Chat, app: App, base: str, caplog: pytest.LogCaptureFixture):
    old = feed_path(await chat.text("/calendar"))
    assert (await fetch(base + old))[0] == 200
    repeat = await chat.text("/calendar")
    assert "already have a calendar feed" in repeat and "/ics/" not in repeat
    [reply] = await chat.say("/calendar reset")
    assert reply.private and "old calendar link no longer works" in reply.text
    new = feed_path(reply.text)
    assert new != old and (await fetch(base + new))[0] == 200
    await app.interactions.flush()
    before = await snapshot(app.db)
    caplog.set_level(logging.INFO, logger="bot.web.feeds")
    caplog.clear()
    assert "I don't know what to do with `wat`" in await chat.text("/calendar wat")
    for path in (old, "/ics/not-a-real-token-at-all-000000.ics", "/ics/x.ics"):
        status, text, _ = await fetch(base + path)
        assert status == 404 and "unknown or was reset" in text, path
    lines = [r for r in caplog.records if r.name == "bot.web.feeds"]
    assert len(lines) == 3
    await app.interactions.flush()
    assert await snapshot(app.db) == before
    async with app.db.unit() as unit:  # only a fingerprint is stored, never the token
        maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
        row = await unit.calendar.feed_of(maya.member_id)
        assert row is not None and new.split("/")[-1][:-4] not in row.token_hash


async def test_community_feed_has_upcoming_public_sessions(
        chat: Chat, app: App, clock: FixedClock, base: str):
    await to_march(app, clock)
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "news")
    weekly = await create(chat, '"Open lab" "2027-03-17 18:00" recurrence=weekly',
                          "timezone=Europe/Berlin")
    await chat.say(f"/event announce {weekly}", **ADMIN)
    await chat.say(f"/event cancel {weekly + 1}", **ADMIN)
    hidden = await create(chat, '"Not announced" "2027-03-18 18:00"')
    secret = await create(chat, '"Premium only" "2027-03-19 18:00" audience=premium')
    await chat.say(f"/event announce {secret}", **ADMIN)
    assert hidden and secret
    status, body, headers = await fetch(base + "/ics/community.ics")
    assert status == 200 and headers["cache-control"].startswith("public")
    listed = sessions(body, date(2027, 3, 1), date(2027, 7, 1))
    assert {s for s, _, _ in listed} == {"Open lab"}
    local = [(t.astimezone(BERLIN), st) for _, t, st in listed]
    assert local[1][1] == "CANCELLED" and all(st == "CONFIRMED" for _, st in local[2:])
    assert all((t.hour, t.weekday()) == (18, 2) for t, _ in local)
    # Open-ended: the rule repeats past the sessions already made (six weeks ahead).
    assert local[-1][0].date() > date(2027, 6, 1)


async def test_linking_two_accounts_leaves_one_feed_with_both_members_sessions(
        chat: Chat, app: App, base: str):
    calendar, links = app.features.calendar, app.features.links
    assert calendar is not None
    console = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    telegram_ref = UserRef(Platform.TELEGRAM, "maya_tg", "maya_tg")
    telegram = await app.directory.identify(telegram_ref)
    assert console.member_id != telegram.member_id
    talk = await create(chat, '"Console talk" "2026-12-01 18:00"')
    meetup = await create(chat, '"Telegram meetup" "2026-12-02 18:00"')
    await app.features.events.rsvp(console, talk, Answer.GOING)
    await app.features.events.rsvp(telegram, meetup, Answer.GOING)
    urls = [(await calendar.link(m)).url for m in (console, telegram)]
    assert all(urls)
    code = await links.issue(console, Platform.CONSOLE)
    await links.redeem(telegram, telegram_ref, code.code)
    answers = [await fetch(base + feed_path(str(url))) for url in urls]
    assert sorted(status for status, _, _ in answers) == [200, 404]
    [body] = [body for status, body, _ in answers if status == 200]
    listed = sessions(body, date(2026, 11, 1), date(2027, 1, 1))
    assert [s for s, _, _ in listed] == ["Console talk", "Telegram meetup"]
    merged = await app.directory.identify(telegram_ref)
    assert (await calendar.link(merged)).url is None  # one feed, already issued


async def test_mydata_tells_of_the_feed_and_forgetme_turns_it_off(chat: Chat, app: App,
                                                                  base: str):
    path = feed_path(await chat.text("/calendar"))
    maya = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    exported = json.loads(await app.features.privacy.export(maya))
    assert exported["calendar_feed"] == {"issued_at": "2026-11-23T10:00:00+00:00"}
    assert path.split("/")[-1][:-4] not in json.dumps(exported)
    await app.features.privacy.forget(maya)
    assert (await fetch(base + path))[0] == 404


async def test_feeds_say_when_they_changed_and_answer_a_known_etag_with_304(
        chat: Chat, app: App, clock: FixedClock, base: str):
    talk = await create(chat, '"Talk" "2026-12-01 18:00"')
    clock.advance(timedelta(hours=2))
    await chat.say(f"/rsvp {talk} going")
    url = base + feed_path(await chat.text("/calendar"))
    status, body, headers = await fetch(url)
    assert status == 200 and "Talk" in body
    # The latest change the feed lists: maya's answer, two hours after the talk was made.
    assert headers["last-modified"] == "Mon, 23 Nov 2026 12:00:00 GMT"
    etag = headers["etag"]
    clock.advance(timedelta(hours=1))  # polling later changes nothing (DTSTAMP aside)
    for asked in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        again, text, same = await fetch(url, **{"If-None-Match": asked})
        assert (again, text) == (304, ""), asked
        assert same["etag"] == etag and same["last-modified"] == headers["last-modified"]
    # A date alone is not trusted for a 304; a stale ETag gets the new feed.
    assert (await fetch(url, **{"If-Modified-Since": "Tue, 01 Dec 2026 00:00:00 GMT"}))[0] == 200
    await chat.say(f"/rsvp {talk} no")
    status, body, fresh = await fetch(url, **{"If-None-Match": etag})
    assert status == 200 and "Talk" not in body and fresh["etag"] != etag
    assert fresh["last-modified"] == "Mon, 23 Nov 2026 13:00:00 GMT"
    async with app.db.unit() as unit:
        await unit.channels.set_channel("console", "announcements", "news")
    await chat.say(f"/event announce {talk}", **ADMIN)
    status, _, public = await fetch(base + "/ics/community.ics")
    assert status == 200 and public["last-modified"] == "Mon, 23 Nov 2026 13:00:00 GMT"
