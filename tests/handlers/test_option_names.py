"""Misspelt option names are named, and nothing changes (#13.6)."""

from __future__ import annotations

from bot.app import App
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}


async def test_misspelt_option_names_are_refused_and_change_nothing(chat: Chat, app: App):
    await chat.say("/profile interests=python", who="maya")
    await chat.say("/events", **ADMIN)
    await app.interactions.flush()
    before = await snapshot(app.db)
    cases = {
        "/profile timzone=Europe/Berlin": "`timzone` is not an option here; did you mean "
                                          "`timezone=`?",
        '/event create "Talk" "2026-12-01 18:00" capacty=5': "did you mean `capacity=`?",
    }
    for line, expected in cases.items():
        reply = await chat.text(line, **ADMIN) if "/event" in line else await chat.text(
            line, who="maya")
        assert expected in reply.split("\n")[0], (line, reply)
        assert "duration" not in reply.split("\n")[0]
    await app.interactions.flush()
    assert await snapshot(app.db) == before
    profile = await chat.text("/profile", who="maya")
    assert "timzone" not in profile and "python" in profile


async def test_a_quoted_value_with_an_equals_sign_is_taken(chat: Chat):
    reply = await chat.text('/profile "a=b notation, maths"', who="maya")
    assert "not an option" not in reply
    assert "Interests: a=b notation, maths" in await chat.text("/profile", who="maya")
