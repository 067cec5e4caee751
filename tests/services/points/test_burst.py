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


async def test_newcomers_writing_together_are_created_together(app):
    """A burst's newcomers are looked up and created in one unit, not one each (G10)."""
    authors = [UserRef(Platform.TELEGRAM, str(7000 + n), f"Newcomer {n}", handle=f"new{n}")
               for n in range(30)]
    found: list[object] = []

    async def burst() -> None:
        found.extend(await asyncio.gather(*(app.directory.identify(a) for a in authors)))

    assert await statements(app, "INSERT INTO members", burst) <= 2  # the first, then the rest
    ids = [m.member_id for m in found]  # type: ignore[attr-defined]
    assert len(set(ids)) == 30
    async with app.db.unit() as unit:
        for author, member_id in zip(authors, ids, strict=True):
            row = await unit.members.by_account("telegram", author.user_id)
            assert row is not None and row.id == member_id
            assert row.display_name == author.display_name


async def test_awards_of_members_writing_together_are_written_together(app):
    """Members' chat awards that wait together share one unit: each still gets its own."""
    points = app.features.points
    people = [await member(app, f"p{n}") for n in range(30)]
    results: list[object] = []

    async def burst() -> None:
        results.extend(await asyncio.gather(*(
            points.on_message(MessageContext(said(app, f"p{n}", 0), who))
            for n, who in enumerate(people))))

    assert await statements(app, "INSERT INTO point_awards", burst) <= 2
    assert all(r is not None for r in results)
    for who, result in zip(people, results, strict=True):
        standing = await points.standing(who)
        assert result.points == standing.points > 0  # type: ignore[attr-defined]
    ledger, balances, _ = await ledger_and_totals(app)
    assert ledger == balances == sum(r.amount for r in results)  # type: ignore[attr-defined]
    # and the cooldown holds for the next message of each
    again = await asyncio.gather(*(points.on_message(MessageContext(said(app, f"p{n}", 1), who))
                                   for n, who in enumerate(people)))
    assert again == [None] * 30
