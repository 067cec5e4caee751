"""Charts draw members' words in every script and emoji without a warning (#13.7)."""

from __future__ import annotations

import logging
import warnings

import pytest

from bot.app import App
from tests.harness import Chat

ADMIN = {"who": "ada", "admin": True}


async def test_an_event_chart_with_emoji_and_cjk_in_its_title_warns_nothing(
        chat: Chat, app: App, caplog: pytest.LogCaptureFixture):
    reply = await chat.text('/event create "Hack night 🎉 東京 Ärger" "2026-11-25 18:00"',
                            **ADMIN)
    event = int(reply.split("#", 1)[1].split()[0].rstrip("."))
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        [answer] = await chat.say(f"/stats event {event}", **ADMIN)
    assert answer.file is not None and answer.file.data.startswith(b"\x89PNG")
    glyphs = [str(w.message) for w in caught if "Glyph" in str(w.message)
              or "font" in str(w.message).lower()]
    assert glyphs == []
    assert [r.getMessage() for r in caplog.records if r.name.startswith("matplotlib")] == []
