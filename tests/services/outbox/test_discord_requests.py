"""Discord paces HTTP requests, not messages: the outbox takes a slot per request (#16.1).

A DM to a member whose DM channel is not open yet is a channel-open request plus one per
message part (the outbox keeps 3,900 characters: two Discord messages). Real discord.py
talks to the Discord emulator on the virtual-time loop of test_pacing.py, whose clock the
emulator stamps requests with, so nine seconds of paced sending take a few real ones.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import discord
import pytest
from discord.http import Route

from bot.adapters.discord.messaging import DiscordMessenger
from bot.app import rate_limiter
from bot.core.clock import FixedClock
from bot.core.platforms import Platforms
from bot.services.outbox import MAX_TEXT, Outbox, OutboxKind, Outgoing
from config.settings import OutboxSettings
from storage import Database
from tests.emulators.discord_api import DiscordEmulator, DiscordRequest
from tests.services.outbox.test_pacing import VirtualTimeLoop, max_in_window, run_virtual

NOW = datetime(2026, 11, 23, 17, 30, tzinfo=UTC)
MEMBERS = 60
LONG = ("Bring a laptop with rustup installed; we pair on the exercises. " * 80)[:MAX_TEXT]
SHORT = "Reminder: Rust night starts in 1 hour."


@pytest.fixture
def discord_base() -> Iterator[None]:
    """discord.py's REST base is process-wide: put it back after the test."""
    old = Route.BASE
    yield
    Route.BASE = old


async def _waves(loop: VirtualTimeLoop, url: str) -> list[list[DiscordRequest]]:
    """Two waves to the same members: long texts first, short ones once channels are open."""
    db = Database(url)
    await db.upgrade()
    async with DiscordEmulator() as emu:
        Route.BASE = emu.http_url
        users = [emu.add_user(f"member{n}") for n in range(MEMBERS)]
        client = discord.Client(intents=discord.Intents.none())
        await client.login(emu.token)
        try:
            platforms = Platforms()
            platforms.add_messenger(DiscordMessenger(client))
            outbox = Outbox(db, FixedClock(NOW), rate_limiter(OutboxSettings(), now=loop.time),
                            platforms)
            async with db.unit() as unit:
                ids = [(await unit.members.create("discord", str(u.id), u.username, None,
                                                  NOW)).id for u in users]
            waves = []
            for wave, text in (("1h", LONG), ("soon", SHORT)):
                async with db.unit() as unit:
                    await outbox.put(unit, [Outgoing(f"{wave}:{i}", OutboxKind.REMINDER, text,
                                                     NOW, member_id=i) for i in ids])
                before = len(emu.requests)
                assert await outbox.sweep() == MEMBERS
                waves.append(emu.requests[before:])
            assert all(len(emu.dms_to(u)) == 3 for u in users)  # two parts, then one
        finally:
            await client.close()
    await db.dispose()
    return waves


def test_a_wave_of_long_dms_to_new_members_stays_under_the_request_rate(
        tmp_path: Path, discord_base: None) -> None:
    result: list[list[list[DiscordRequest]]] = []

    async def main(loop: VirtualTimeLoop) -> None:
        result.append(await _waves(loop, f"sqlite+aiosqlite:///{tmp_path}/requests.db"))

    run_virtual(main)
    ((first, second),) = result
    rate = OutboxSettings().discord_per_second
    # Three requests a DM: open the channel, then the text in two messages.
    assert [r.action for r in first].count("create_dm") == MEMBERS
    assert len(first) == 3 * MEMBERS and all(r.status == 200 for r in first)
    at = [r.at for r in first]
    assert max_in_window(at) <= rate  # counted per request, not per DM (was 3x the rate)
    assert max(at) - min(at) >= (len(at) - rate) / rate  # paced, all of it
    # Channels are open now: one request a DM, and the wave is paced at that cost.
    assert len(second) == MEMBERS and {r.action for r in second} == {"send_message"}
    at = [r.at for r in second]
    assert max_in_window(at) <= rate
    # ...not as if it still cost two. (The median gap: virtual time also jumps while the
    # loop waits on a database thread, which only ever makes a gap longer.)
    assert statistics.median(b - a for a, b in itertools.pairwise(at)) < 1.5 / rate
