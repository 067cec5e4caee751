"""/buddy: opt-in, anonymous proposals, and names revealed only when both accept."""

from __future__ import annotations

from bot.app import App
from tests.harness import Chat, Sent, snapshot


def proposal_id(text: str) -> int:
    line = next(x for x in text.splitlines() if x.startswith("#"))
    return int(line[1:].split(":")[0])


async def test_mutual_reveal(app: App, chat: Chat, sent: Sent):
    await chat.say('/profile interests="rust, compilers"', who="maya")
    await chat.say('/profile interests="rust, embedded"', who="lee")
    await chat.say('/profile interests="knitting"', who="kim")
    await chat.say("/buddy", who="kim")
    alone = await chat.text("/buddy", who="maya")
    assert "Nobody close enough" in alone  # kim's interests are far away
    text = await chat.text("/buddy", who="lee")
    assert "shares rust" in text and "maya" not in text and "kim" not in text
    pid = proposal_id(text)

    waiting = await chat.text(f"/buddy accept {pid}", who="lee")
    assert "If they accept too" in waiting and "maya" not in waiting
    await app.outbox.sweep()
    invite = sent.to("dm:maya")
    assert len(invite) == 1 and "lee" not in invite[0] and f"/buddy accept {pid}" in invite[0]
    assert sent.to("dm:lee") == []

    # Nobody else can act on the proposal.
    assert "no buddy proposal" in await chat.text(f"/buddy accept {pid}", who="kim")

    done = await chat.text(f"/buddy accept {pid}", who="maya")
    assert "It's a match with lee" in done
    await app.outbox.sweep()
    assert any("lee" in m for m in sent.to("dm:maya")[1:])
    assert any("maya" in m for m in sent.to("dm:lee"))


async def test_decline_and_opt_out(app: App, chat: Chat, sent: Sent):
    await chat.say('/profile interests="rust"', who="maya")
    await chat.say('/profile interests="rust"', who="lee")
    await chat.say("/buddy", who="maya")
    pid = proposal_id(await chat.text("/buddy", who="lee"))
    assert "Declined" in await chat.text(f"/buddy decline {pid}", who="maya")
    assert "declined" in await chat.text(f"/buddy accept {pid}", who="lee")
    assert "Nobody close enough" in await chat.text("/buddy", who="lee")  # never re-proposed
    await app.outbox.sweep()
    assert sent.to("dm:maya") == [] and sent.to("dm:lee") == []
    assert "no longer" in await chat.text("/buddy off", who="lee")


async def test_bad_input_changes_nothing(app: App, chat: Chat):
    await chat.say("/profile", who="maya")
    before = await snapshot(app.db)
    assert "interests first" in await chat.text("/buddy", who="maya")
    assert "no buddy proposal #42" in await chat.text("/buddy accept 42", who="maya")
    assert "id" in (await chat.text("/buddy accept x", who="maya")).lower()
    assert await snapshot(app.db) == before


async def test_shared_hours_are_shown_in_each_members_zone(app: App, chat: Chat, sent: Sent):
    """/buddy and its DMs give the shared hours in the reader's zone, not UTC (#13.9)."""
    await chat.say('/profile interests="rust" timezone=Europe/Berlin', who="maya")
    await chat.say('/profile interests="rust" timezone=Europe/Berlin', who="lee")
    await chat.say("/buddy", who="maya")
    text = await chat.text("/buddy", who="lee")
    assert "active around" in text and "CET" in text and "UTC" not in text
    await chat.say("/profile timezone=Asia/Tokyo", who="maya")
    await chat.say(f"/buddy accept {proposal_id(text)}", who="lee")
    await app.outbox.sweep()
    [invite] = sent.to("dm:maya")
    assert "JST" in invite and "UTC" not in invite
