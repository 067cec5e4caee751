"""A burst of one member's messages costs the database what one message costs (G10)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import event

from bot.app import App
from bot.core.dispatch import MessageContext
from bot.core.model import Incoming, Place, Platform, UserRef
from tests.services.points.conftest import ledger_and_totals, member

GROUP = Place(Platform.CONSOLE, "study", "study", False)


async def statements(app: App, table: str, work: Callable[[], Awaitable[object]]) -> int:
    """How many SQL statements naming ``table`` ran during ``work`` (background jobs don't)."""
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if table in statement:
            seen.append(statement)

    engine = app.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        await work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return len(seen)


def said(app: App, who: str, n: int) -> Incoming:
    return Incoming(author=UserRef(Platform.CONSOLE, who, who, handle=who), place=GROUP,
                    text=f"here is my take on the parser question, part {n}",
                    source_id=f"{who}:{n}", received_at=app.clock.now())


async def test_a_new_members_burst_is_looked_up_once(app):
    def first_contact(who: str) -> Callable[[], Awaitable[object]]:
        author = UserRef(Platform.CONSOLE, who, who, handle=who)
        return lambda: asyncio.gather(*(app.directory.identify(author) for _ in range(6)))

    one = await statements(app, "accounts", lambda: app.directory.identify(
        UserRef(Platform.CONSOLE, "solo", "solo", handle="solo")))
    assert one >= 2  # looked up, then created
    assert await statements(app, "accounts", first_contact("maya")) == one
    people = await app.directory.identify(UserRef(Platform.CONSOLE, "maya", "maya"))
    assert people.display_name == "maya"


async def test_a_burst_of_one_members_messages_is_judged_in_one_unit(app):
    points = app.features.points
    solo, maya = await member(app, "solo"), await member(app, "maya")
    one = await statements(app, "point_states", lambda: points.on_message(
        MessageContext(said(app, "solo", 0), solo)))
    results: list[object] = []

    async def burst() -> None:
        results.extend(await asyncio.gather(*(
            points.on_message(MessageContext(said(app, "maya", n), maya)) for n in range(6))))

    assert one >= 2
    assert await statements(app, "point_states", burst) == one  # the rest wait, then see the cooldown
    assert sum(r is not None for r in results) == 1
    total, _, _ = await ledger_and_totals(app)
    assert total == (await points.standing(solo)).points + (await points.standing(maya)).points
