"""Numbers and characters the database cannot hold are ordinary bad input (#18.2, #18.3, #13.5).

Each line goes through the real dispatcher into SQLite and PostgreSQL; the member gets one
clear sentence, nothing stored changes and nothing is logged as a failure.
"""

import logging

import pytest

from bot.core.dispatch import APOLOGY
from tests.harness import Chat, snapshot

ADMIN = {"who": "ada", "admin": True}
IN_WORDS = ("too large", "too small", "too long", "too far", "There is no")

HUGE_LINES = [
    "/rsvp 2147483648 going",
    "/rsvp 99999999999999999999 going",
    "/rsvp 9223372036854775808 going",
    "/rsvp -9223372036854775809 going",
    "/stats event 2147483648",
    "/event 2147483648",
    "/challenge 2147483648",
    "/event create Talk \"in 99999999999999999999w\" 60m",
    "/profile reminders=99999999999999999999h",
    "/profile reminders=" + "9" * 3000 + "h",
    '/event create Late "9999-12-31 23:00" 60m timezone=America/New_York',
    '/event create Early "0001-01-01 00:30" 60m timezone=Asia/Tokyo',
    '/event create Far "9999-12-31 22:00" 60m',
    "/points give @maya 99999999999999999999 thanks",
    "/reward add sticker 99999999999999999999",
    "/redeem 99999999999999999999",
    "/rsvp #2147483648 going",
]


@pytest.mark.parametrize("line", HUGE_LINES)
async def test_out_of_range_numbers_are_refused_in_words(
    chat: Chat, line: str, caplog: pytest.LogCaptureFixture
):
    await chat.say("/profile", who="maya")
    await chat.say("/profile", **ADMIN)
    before = await snapshot(chat.app.db)
    with caplog.at_level(logging.ERROR):
        text = await chat.text(line, **ADMIN)
    assert APOLOGY not in text, text
    assert any(words in text for words in IN_WORDS), text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert await snapshot(chat.app.db) == before
