"""A reminder offset longer than the time left is planned only where it makes sense, and
the admin who set it is told (#14 bad input)."""

from __future__ import annotations

from tests.handlers.test_events import ADMIN, create
from tests.harness import Chat


async def test_the_admin_is_told_which_reminders_cannot_happen(chat: Chat) -> None:
    # START is Monday 10:00 UTC: the event is 3 hours away.
    reply = await chat.text('/event create "Soon" "2026-11-23 13:00" reminders=24h,2h,1h',
                            **ADMIN)
    event = int(reply.split("#", 1)[1].split()[0].rstrip("."))
    assert f"#{event} starts in 3h, so the 1d reminder is skipped" in reply
    edited = await chat.text(f"/event edit {event} reminders=6h,4h,30m", **ADMIN)
    assert "so the 6h and 4h reminders are skipped" in edited


async def test_nothing_is_said_when_every_reminder_fits(chat: Chat) -> None:
    event = await create(chat, '"Later" "2026-11-25 18:00"')
    reply = await chat.text(f"/event show {event}", **ADMIN)
    assert "skipped" not in reply
    edited = await chat.text(f"/event edit {event} reminders=24h,1h", **ADMIN)
    assert "skipped" not in edited
