"""A seeded storm of hostile command lines over the Telegram emulator (#18.7, #18.2, #18.3).

Every line is built to be refused: numbers past what a column holds, 20-digit durations,
control characters (NUL first), unclosed quotes, over-long lines. Each is sent through the
real python-telegram-bot to the real dispatcher and database; each must be answered in one
sentence (never the apology), log no failure, and leave the database exactly as it was.
"""

from __future__ import annotations

import logging
import random

from bot.app import App
from bot.core.policy import APOLOGY, NOT_SAVED
from tests.e2e.conftest import TelegramWorld
from tests.emulators.telegram_api import SentMessage
from tests.harness import snapshot

SEED, LINES = 18, 40
_CONTROLS = [chr(c) for c in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)]
_NUMBER_COMMANDS = ["rsvp {n} going", "event {n}", "stats event {n}", "challenge {n}",
                    "feedback {n} 5", "ics {n}", "similar {n}", "checkin {n} ABC123",
                    "rsvp #{n} maybe"]
_VALID = ["profile interests=python,sql", "profile timezone=Europe/Berlin", "rsvp 1 going",
          "events", "profile reminders=2h", "help profile"]


def _huge(rng: random.Random) -> str:
    return rng.choice([
        str(2**31), str(2**31 + rng.randrange(10**6)), str(2**63), str(-(2**31) - 7),
        "9" * rng.randrange(13, 40), str(rng.randrange(10**19, 10**25)),
    ])


def storm(rng: random.Random) -> list[tuple[str, str]]:
    """``(command, args)`` pairs, each refused for at least one reason."""
    lines: list[tuple[str, str]] = []
    for _ in range(LINES):
        kind = rng.randrange(5)
        if kind == 0:
            line = rng.choice(_NUMBER_COMMANDS).format(n=_huge(rng))
        elif kind == 1:
            digits = "9" * rng.randrange(20, 60)
            line = rng.choice([f"profile reminders={digits}h",
                               f'event create Talk "in {digits}w" 60m',
                               f"profile reminders=1h,{digits}m"])
        elif kind == 2:
            valid = rng.choice(_VALID)
            at = rng.randrange(len(valid.split(" ", 1)[0]) + 1, len(valid) + 1)
            line = valid[:at] + rng.choice(_CONTROLS) + valid[at:]
        elif kind == 3:
            line = rng.choice(['profile interests="python', 'event create "Talk 2026-12-01',
                               'rsvp "1 going'])
        else:
            line = "profile interests=" + "x" * rng.randrange(4001, 4090)
        command, _, args = line.partition(" ")
        lines.append((command, args))
    return lines


async def test_a_seeded_hostile_storm_changes_nothing_and_alarms_no_one(
    app: App, telegram_bot, telegram_world: TelegramWorld, caplog
):
    tg, maya = telegram_world.tg, telegram_world.maya
    chat = tg.private_chat(maya)
    tg.push_command(chat, maya, "profile")  # first contact: maya exists before the storm
    await tg.wait_for(SentMessage, lambda m: m.chat_id == maya.id)
    caplog.set_level(logging.ERROR)
    for command, args in storm(random.Random(SEED)):
        await app.interactions.flush()
        before = await snapshot(app.db)
        mark = tg.mark()
        tg.push_command(chat, maya, command, args)
        reply = await tg.wait_for(SentMessage, lambda m: m.chat_id == maya.id, after=mark)
        line = f"/{command} {args}"[:120]
        assert reply.text not in (APOLOGY, NOT_SAVED), line
        await app.interactions.flush()
        assert await snapshot(app.db) == before, (line, reply.text)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
        r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
