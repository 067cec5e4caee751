"""Event lists read a page's seat counts in one query; they agree with one event's view."""

from __future__ import annotations

from bot.app import App
from tests.harness import Chat

ADMIN = {"who": "ada", "admin": True}


async def test_listing_and_series_counts_match_each_events_own_view(chat: Chat, app: App):
    await chat.say('/event create "Tiny" "tomorrow 18:00" capacity=1', **ADMIN)
    await chat.say('/event create "Study" "in 2d" recurrence=weekly', **ADMIN)
    await chat.say('/event create "Quiet" "in 3d"', **ADMIN)
    tiny, study = [v.id for v in await app.features.events.upcoming(2)]
    for who in ("maya", "lena", "omar"):
        await chat.say(f"/rsvp {tiny} going", who=who)
    await chat.say(f"/rsvp {study} going", who="maya")
    await chat.say(f"/rsvp {study} maybe", who="lena")
    listed, more = await app.features.events.listing(25, 1)
    assert not more and len(listed) > 3
    assert listed == [await app.features.events.get(v.id) for v in listed]
    counts = {v.id: (v.going, v.waitlist) for v in listed}
    assert counts[tiny] == (1, 2) and counts[study] == (1, 0)
    view = await app.features.events.get(study)
    assert view.series_id is not None
    sessions = await app.features.events.series_sessions(view.series_id)
    assert sessions == [await app.features.events.get(v.id) for v in sessions]
