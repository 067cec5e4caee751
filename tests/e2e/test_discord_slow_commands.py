"""Slow commands on Discord: deferred at once, answered later, and the loop keeps serving
other interactions meanwhile (#14.4, #14.5)."""

from __future__ import annotations

import asyncio
import time

from benchmarks.bench_loop_lag import seed
from bot.app import App
from tests.e2e.conftest import DiscordWorld
from tests.emulators.discord_api import InteractionCallback


async def test_stats_segments_is_deferred_and_help_is_acknowledged_meanwhile(
        app: App, discord_bot, discord_world: DiscordWorld) -> None:
    emu, world = discord_world.emu, discord_world
    await seed(app.db, 300)
    segments = await emu.send_interaction_create(world.guild, world.general, world.tomas,
                                                 "stats segments", {})
    acks: list[float] = []
    answered = False
    deadline = time.monotonic() + 120
    while not answered and time.monotonic() < deadline:
        help_ = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                  "help", {})
        for _ in range(500):  # poll the emulator's record for up to 5 s
            if help_.acknowledged is not None:
                break
            await asyncio.sleep(0.01)
        acks.append(time.monotonic() - help_.created)
        answered = any(f.action == "create" for f in emu.followups_for(segments))
        await asyncio.sleep(0.2)
    assert answered
    assert [c.type for c in emu.callbacks_for(segments)] == [InteractionCallback.DEFER]
    assert "segment" in emu.followups_for(segments)[-1].content.lower()
    assert len(acks) >= 2 and max(acks) < 3.0  # never past Discord's three seconds
