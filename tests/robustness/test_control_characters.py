"""NUL and other control characters are refused at the parser, alike on both databases (#18.3).

PostgreSQL raises on a NUL in text while SQLite stores it, so the same line used to be an
apology on one and a stored row on the other. Commands are refused in words with nothing
stored; chat lines are kept without the characters, so one hostile line never spoils the
interaction log's batch.
"""

import logging
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.app import App, build, prepare, running
from bot.core.clock import FixedClock
from bot.core.dispatch import APOLOGY
from bot.core.parsing import UNSTORABLE
from config.settings import Settings
from storage import Database
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}

LINES = [
    "/profile interests=python\x00sql",
    "/profile bio=\x00",
    '/event create "Night\x00talk" "2026-12-01 18:00" 60m',
    "/rsvp 1\x00 going",
    "/feedback 1 5 great\x07",
    "/profile interests=caf\ud800e",
    "/points give @maya 5 thanks\x1b[31m",
]


@pytest.mark.parametrize("line", LINES)
async def test_a_command_with_a_control_character_is_refused_in_words(
    chat: Chat, line: str, caplog: pytest.LogCaptureFixture
):
    await chat.say("/profile", **ADMIN)
    await chat.say("/profile", who="maya")
    before = await snapshot(chat.app.db)
    with caplog.at_level(logging.ERROR):
        reply = await chat.text(line, **ADMIN)
    assert reply.startswith(UNSTORABLE), reply
    assert APOLOGY not in reply
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await snapshot(chat.app.db) == before


async def test_a_chat_line_is_logged_without_its_control_characters(
    settings: Settings, clock: FixedClock, db: Database, tmp_path: Path
):
    del db
    keeping = settings.model_copy(update={
        "privacy": settings.privacy.model_copy(update={"store_message_text": True})})
    app: App = build(keeping, clock)
    await prepare(app, seed_demo=False)
    async with running(app):
        chat = Chat(app)
        await chat.say("hello\x00 wor\x08ld, tab\tok")
        await chat.say("a second, clean line")
        assert await app.interactions.flush() >= 2
        async with app.db.engine.connect() as connection:
            texts = [r[0] for r in await connection.execute(
                text("SELECT text FROM message_texts ORDER BY id"))]
    assert texts == ["hello world, tab\tok", "a second, clean line"]
