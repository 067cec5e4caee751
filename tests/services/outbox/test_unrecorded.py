"""A send whose outcome the database could not record is recorded after the batch, not
resent and not left "sending"; its siblings are not cancelled mid-send (found by the G7
benchmark at 10,000 members on SQLite)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.app import App
from bot.core.model import Platform
from tests.edge import RecordingMessenger
from tests.services.outbox.test_delivery import dm, member, rows


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: its busy timeout is how a locked database refuses a write."""
    return f"sqlite+aiosqlite:///{tmp_path}/cohort.db"


async def test_outcomes_the_database_refused_are_recorded_after_the_batch(app: App,
                                                                tmp_path: Path) -> None:
    telegram = RecordingMessenger(Platform.TELEGRAM)
    app.platforms.add_messenger(telegram)
    ids = [await member(app, Platform.TELEGRAM, str(700 + n), f"u{n}") for n in range(3)]
    for n, member_id in enumerate(ids):
        await dm(app, member_id, f"locked:{n}", f"hello {n}")
    telegram.hold()
    sweep = asyncio.create_task(app.outbox.sweep())
    for _ in range(500):  # the three sends are under way, none recorded yet
        if telegram.waiting == 3:
            break
        await asyncio.sleep(0.01)
    blocker = sqlite3.connect(tmp_path / "cohort.db", isolation_level=None,
                              check_same_thread=False)
    # Another writer holds the lock past the busy timeout. Taken off the loop: the sweep may
    # be claiming its next batch right now, and that unit needs the loop to commit.
    await asyncio.to_thread(blocker.execute, "BEGIN IMMEDIATE")
    telegram.release()
    await asyncio.sleep(5.5)  # every outcome write has given up by now
    blocker.execute("ROLLBACK")
    blocker.close()
    assert await sweep == 3
    assert len([a for a in telegram.attempts if a.outcome == "sent"]) == 3  # none cancelled
    # Delivered, so recorded as sent once the database let go: never stuck, never re-sent.
    assert {r.status for r in await rows(app)} == {"sent"}
    await app.outbox.sweep()
    assert len(telegram.attempts) == 3
