"""/recommend, /similar and 👍/👎 through the real dispatcher and database (TF-IDF vectors)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.core.clock import FixedClock
from bot.services.events import Answer
from tests.harness import Chat, snapshot
from tests.services.recommendations.conftest import member, session


def ids_in(text: str) -> list[int]:
    """Session ids in the order the reply lists them."""
    out = []
    for line in text.splitlines():
        if line[:1].isdigit() and "#" in line:
            out.append(int(line.split("#", 1)[1].split()[0]))
    return out


async def test_reasons_and_every_filter(app: App, chat: Chat, clock: FixedClock):
    events = app.features.events
    maya = await member(app, "maya")
    other = await member(app, "lee")
    past = await session(app, "Async Python patterns", days=1,
                         description="asyncio event loops and tasks in python")
    await events.rsvp(maya, past, Answer.GOING)
    clock.advance(timedelta(days=2))  # the past session is now attended
    wanted = await session(app, "Async Python deep dive", description="asyncio tasks in python")
    interest = await session(app, "Rust ownership explained", description="borrowing in rust")
    full = await session(app, "Async Python clinic", capacity=1, description="asyncio help")
    await events.rsvp(other, full, Answer.GOING)
    mods = await session(app, "Async Python for moderators", audience="mods",
                         description="asyncio")
    declined = await session(app, "Async Python again", description="asyncio tasks")
    await events.rsvp(maya, declined, Answer.NO)
    going = await session(app, "Pottery lab", description="clay and glazes")
    await events.rsvp(maya, going, Answer.GOING)
    await chat.say('/profile interests="rust"', who="maya")

    replies = await chat.say("/recommend 10", who="maya")
    text = replies[0].text
    shown = ids_in(text)
    assert wanted in shown and interest in shown
    for hidden in (past, full, mods, declined, going):
        assert hidden not in shown, (hidden, text)
    assert f"you attended #{past} Async Python patterns" in text
    assert "matches your interest in rust" in text
    assert replies[0].private
    actions = [b.action for b in replies[0].buttons]
    assert f"/recommend feedback {wanted} up" in actions
    assert f"/recommend feedback {wanted} down" in actions

    # A member of the audience sees the audience-limited session; admins see it too.
    assert mods in ids_in(await chat.text("/recommend 10", who="maya", admin=True))


async def test_feedback_is_learned(app: App, chat: Chat):
    pottery = await session(app, "Wheel throwing", days=2, description="clay pottery wheel")
    python = await session(app, "Python typing", days=5, description="python mypy typing")
    python2 = await session(app, "Python typing clinic", days=6, description="python typing")
    await member(app, "maya")
    cold = await chat.text("/recommend", who="maya")
    assert "I don't know your interests yet" in cold and "/profile interests=" in cold

    assert "👍" in await chat.text(f"/recommend feedback {python} up", who="maya")
    assert "👎" in await chat.text(f"/recommend feedback {pottery} down", who="maya")
    text = await chat.text("/recommend", who="maya")
    shown = ids_in(text)
    assert pottery not in shown  # 👎: never again
    assert shown[0] in (python, python2)
    assert python2 in shown and f"you liked #{python} Python typing" in text
    changed = await chat.text(f"/recommend feedback {python} down", who="maya")
    assert "changed your earlier vote" in changed
    assert python not in ids_in(await chat.text("/recommend", who="maya"))


async def test_similar(app: App, chat: Chat):
    anchor = await session(app, "Rust ownership", description="borrowing and lifetimes in rust")
    close = await session(app, "Rust lifetimes", description="lifetimes in rust explained")
    await session(app, "Wheel throwing", description="clay pottery wheel")
    text = await chat.text(f"/similar {anchor}", who="maya")
    assert ids_in(text)[0] == close
    assert anchor not in ids_in(text)


async def test_bad_input_changes_nothing(app: App, chat: Chat):
    event = await session(app, "Rust ownership", description="rust")
    await member(app, "maya")
    before = await snapshot(app.db)
    for line, expected in (
        ("/recommend 0", "1"),
        ("/recommend 11", "10"),
        ("/recommend many", ""),
        ("/similar 999", "no session #999"),
        ("/recommend feedback 999 up", "no session #999"),
        (f"/recommend feedback {event} sideways", ""),
        ("/recommend feedback", ""),
    ):
        text = await chat.text(line, who="maya")
        assert expected in text, (line, text)
        assert "Sessions for you" not in text
    assert await snapshot(app.db) == before


async def test_nothing_upcoming(app: App, chat: Chat):
    text = await chat.text("/recommend", who="maya")
    assert "Nothing to suggest right now" in text


async def test_solved_challenge_tags_shape_recommendations(app: App, chat: Chat):
    from storage.rows.challenges import ChallengeRow, SubmissionRow

    # The matching session is the furthest away, so soonness alone would not pick it.
    graphs = await session(app, "Graph algorithms night", days=6,
                           description="shortest paths, BFS")
    await session(app, "Watercolour basics", days=2, description="painting with watercolours")
    await session(app, "Knitting circle", days=2, description="wool and needles")
    tomas = await member(app, "tomas")  # no declared interests
    now = app.clock.now()
    async with app.db.unit() as unit:
        challenge = ChallengeRow(title="Shortest route", statement="…", tags="graphs,bfs",
                                 opens_at=now, created_at=now)
        await unit.challenges.add(challenge)
        submission = SubmissionRow(challenge_id=challenge.id, member_id=tomas.member_id,
                                   language="python3", source="print(1)", platform="console",
                                   place_id="general", status="done", verdict="AC",
                                   created_at=now)
        await unit.challenges.add_submission(submission)
        await unit.challenges.add_solve(challenge.id, tomas.member_id, submission.id, 1, now)
    text = await chat.text("/recommend 1", who="tomas")
    assert ids_in(text) == [graphs]
    assert "graphs" in text or "bfs" in text  # the reason names the solved topic
