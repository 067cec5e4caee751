"""The waitlist order members are told is the order that holds (#18.1).

Fifty members answer ``going`` for ten seats at once from five bot processes on PostgreSQL
(SQLite serialises writers, so it cannot show the race). The forty told a waitlist place must
be told 1..40, each once, and freed seats must then be offered in exactly that order.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import App
from tests.harness import Chat
from tests.robustness.processes import race

PROCESSES, PER_PROCESS, SEATS = 5, 10, 10
_PLACE = re.compile(r"You are #(\d+) on the waitlist")


async def _rsvp_from_processes(database_url: str, event: int, tmp_path: Path) -> dict[str, str]:
    plans = [[(f"m{p}x{i}", f"/rsvp {event} going", False) for i in range(PER_PROCESS)]
             for p in range(PROCESSES)]
    replies = await race(database_url, plans, tmp_path)
    return {who: reply for plan, answers in zip(plans, replies, strict=True)
            for (who, _, _), reply in zip(plan, answers, strict=True)}


async def _offered(app: App, event: int) -> str | None:
    async with app.db.unit() as unit:
        rows = await unit.rsvps.for_event(event, ["offered"])
    assert len(rows) <= 1
    return rows[0][1] if rows else None


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
@pytest.mark.postgres
async def test_fifty_racing_rsvps_are_told_the_order_seats_are_offered_in(
    chat: Chat, app: App, database_url: str, tmp_path: Path
):
    text = await chat.text(f'/event create Workshop "2026-12-01 18:00" 60m capacity={SEATS}',
                           who="ada", admin=True)
    event = int(text.split("#", 1)[1].split()[0].rstrip("."))
    told = await _rsvp_from_processes(database_url, event, tmp_path)

    places = {name: int(m[1]) for name, reply in told.items() if (m := _PLACE.search(reply))}
    going = [name for name, reply in told.items() if reply.startswith("You're going")]
    assert len(going) == SEATS and len(places) == PROCESSES * PER_PROCESS - SEATS
    assert sorted(places.values()) == list(range(1, len(places) + 1))  # distinct, no gaps

    # Free seats one at a time; whoever is offered one declines, so the next is offered.
    offers: list[str] = []
    await chat.say(f"/rsvp {event} no", who=going[0])
    while (name := await _offered(app, event)) is not None:
        offers.append(name)
        await chat.say(f"/rsvp {event} no", who=name)
    assert offers == sorted(places, key=places.__getitem__)
