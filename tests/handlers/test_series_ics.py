"""``/ics`` of a series: sessions changed on their own are overrides with the series' UID
and a RECURRENCE-ID, read back by an independent expander (recurring-ical-events)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import recurring_ical_events
from icalendar import Calendar

from bot.app import App
from tests.handlers.test_events import ADMIN, create
from tests.harness import Chat

BERLIN = ZoneInfo("Europe/Berlin")


def expanded(data: bytes) -> list[tuple[datetime, str, str]]:
    """(start in UTC, summary, status) of every session from late November to year end."""
    found = recurring_ical_events.of(Calendar.from_ical(data)).between(
        date(2026, 11, 20), date(2027, 1, 1))
    return sorted((e["dtstart"].dt.astimezone(UTC), str(e["summary"]),
                   str(e.get("status", ""))) for e in found)


async def test_a_session_moved_alone_shows_at_its_new_time_only(chat: Chat, app: App):
    first = await create(chat, '"Study group" "2026-11-24 18:00" recurrence=weekly',
                         "timezone=Europe/Berlin")  # 24 Nov … 29 Dec, 18:00 Berlin
    moved, renamed, cancelled = first + 1, first + 3, first + 4
    before = await app.features.events.get(moved)
    await chat.say(f'/event edit {moved} start="2026-12-03 19:00"', **ADMIN)
    await chat.say(f'/event edit {renamed} title="Study group (exam prep)"', **ADMIN)
    await chat.say(f"/event cancel {cancelled} holiday", **ADMIN)
    after = await app.features.events.get(moved)
    assert after.start != before.start

    [reply] = await chat.say(f"/ics {first}", who="maya")
    assert reply.file is not None
    calendar = Calendar.from_ical(reply.file.data)
    vevents = calendar.walk("VEVENT")
    assert len({str(v["uid"]) for v in vevents}) == 1  # one series, one UID
    overrides = {v["recurrence-id"].dt.astimezone(UTC): v for v in vevents
                 if "recurrence-id" in v}
    assert before.start in overrides  # the rule's date the moved session replaces
    assert overrides[before.start]["dtstart"].dt.astimezone(UTC) == after.start

    sessions = expanded(reply.file.data)
    starts = [start for start, _, _ in sessions]
    assert after.start in starts and before.start not in starts
    wall = [(s.astimezone(BERLIN).strftime("%d %b %H:%M"), title) for s, title, _ in sessions]
    assert wall == [("24 Nov 18:00", "Study group"), (after.start.astimezone(BERLIN)
                    .strftime("%d %b %H:%M"), "Study group"), ("08 Dec 18:00", "Study group"),
                    ("15 Dec 18:00", "Study group (exam prep)"),
                    ("29 Dec 18:00", "Study group")]  # 22 Dec cancelled
