"""Event messages say what is true, in the member's own time zone (#13.9, #13.10)."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
