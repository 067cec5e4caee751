"""A recurring series is one item: its next occurrence, "weekly · next on …" (#13.8).

Through the real event service (a weekly series materialises several occurrences), the
dispatcher and the database; TF-IDF vectors.
"""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FixedClock
from bot.services.events import Answer, EventSpec
from tests.harness import Chat, Sent
from tests.services.recommendations.conftest import member, session
from tests.services.recommendations.test_service import ids_in


async def weekly(app: App, title: str, description: str, *, days: float = 2,
                 rule: str = "weekly") -> list[int]:
    """A series created through the event service; its occurrences' ids by start."""
    admin = await member(app, "ada")
    await app.features.events.create(admin, EventSpec(
        title=title, start=app.clock.now() + timedelta(days=days), description=description,
        recurrence=rule), None)
    async with app.db.unit() as unit:
        rows = await unit.recommendations.events_since(app.clock.now())
    occurrences = sorted((r.starts_at, r.id) for r in rows if r.title == title)
    assert len(occurrences) > 2  # the series materialised several copies
    return [event_id for _, event_id in occurrences]


async def test_recommend_lists_a_series_once_by_its_next_occurrence(app: App, chat: Chat):
    rust = await weekly(app, "Rust study group", "rust ownership and borrowing")
    biweekly = await weekly(app, "Rust reading club", "rust book chapters", days=4,
                            rule="biweekly")
    one_off = await session(app, "Rust async deep dive", description="async rust tokio")
    await chat.say('/profile interests="rust"', who="maya")

    text = await chat.text("/recommend 10", who="maya")
    shown = ids_in(text)
    assert shown.count(rust[0]) == 1 and not set(rust[1:]) & set(shown), text
    assert biweekly[0] in shown and not set(biweekly[1:]) & set(shown), text
    assert one_off in shown
    line = next(x for x in text.splitlines() if f"#{rust[0]} " in x)
    assert "weekly · next on" in line, line
    assert "every 2 weeks · next on" in text
    one_off_line = next(x for x in text.splitlines() if f"#{one_off} " in x)
    assert "next on" not in one_off_line

    # Going to the next occurrence: the series is answered, no later copy takes its place.
    maya = await member(app, "maya")
    await app.features.events.rsvp(maya, rust[0], Answer.GOING)
    assert not set(rust) & set(ids_in(await chat.text("/recommend 10", who="maya")))


async def test_attended_series_is_offered_by_its_next_occurrence(
    app: App, chat: Chat, clock: FixedClock
):
    rust = await weekly(app, "Rust study group", "rust ownership and borrowing", days=1)
    await session(app, "Wheel throwing", days=3, description="clay pottery wheel")
    maya = await member(app, "maya")
    await app.features.events.rsvp(maya, rust[0], Answer.GOING)
    clock.advance(timedelta(days=2))  # the first occurrence is over: maya attended it

    text = await chat.text("/recommend 10", who="maya")
    assert ids_in(text)[0] == rust[1] and not set(rust[2:]) & set(ids_in(text)), text
    assert "you came to earlier sessions of this series" in text


async def test_similar_names_other_series_once_and_never_its_own_copies(app: App, chat: Chat):
    rust = await weekly(app, "Rust study group", "rust ownership and borrowing lifetimes")
    anchor = await session(app, "Rust lifetimes", description="rust borrowing and lifetimes")
    await session(app, "Wheel throwing", description="clay pottery wheel")

    shown = ids_in(await chat.text(f"/similar {anchor}", who="maya"))
    assert shown[0] == rust[0] and not set(rust[1:]) & set(shown)
    own = ids_in(await chat.text(f"/similar {rust[0]}", who="maya"))
    assert own[0] == anchor and not set(rust) & set(own)


async def test_digest_lists_a_series_once_and_not_again_next_week(
    app: App, chat: Chat, clock: FixedClock, sent: Sent
):
    rust = await weekly(app, "Rust study group", "rust ownership borrowing")
    other = await session(app, "Rust compiler internals", days=5,
                          description="rust ownership borrowing compiler")
    await chat.say('/profile interests="rust ownership" digests=on', who="maya")
    service = app.features.recommendations

    assert await service.send_digests() == 1
    await app.outbox.sweep()
    first = sent.to("dm:maya")[0]
    assert sum(f"#{i} " in first for i in rust) == 1 and f"#{rust[0]} " in first, first
    assert f"#{other} " in first and "weekly · next on" in first

    clock.advance(timedelta(days=7))  # the series' next occurrence is new, the series is not
    assert await service.send_digests() == 0
