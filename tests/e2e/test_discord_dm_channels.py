"""A Discord DM costs one request once its channel is known (#14.3): the DM channel is
opened once per user and remembered, and a user that does not exist is unknown."""

from __future__ import annotations

import pytest

from bot.core.errors import DeliveryFailed, DeliveryFailure
from bot.core.model import Reply
from tests.e2e.conftest import DiscordWorld
from tests.emulators.discord_api import DmChannelOpened


async def test_dm_channels_are_opened_once_and_each_dm_is_one_request(
        discord_bot, discord_world: DiscordWorld) -> None:
    emu, world = discord_world.emu, discord_world
    before = len(emu.requests)
    for n in range(3):
        await discord_bot.messenger.send_direct(str(world.maya.id), Reply(f"reminder {n}"))
        await discord_bot.messenger.send_direct(str(world.tomas.id), Reply(f"reminder {n}"))
    calls = [r.action for r in emu.requests[before:]]
    assert sorted(c for c in calls if c != "send_message") == ["create_dm", "create_dm"]
    assert calls.count("send_message") == 6 and len(calls) == 8
    opened = emu.recorder.of_type(DmChannelOpened)
    assert sorted(o.user_id for o in opened) == sorted([world.maya.id, world.tomas.id])
    assert [m.content for m in emu.dms_to(world.maya)] == [f"reminder {n}" for n in range(3)]


async def test_members_the_client_never_saw_cost_no_lookup_and_stay_cached_past_128(
        discord_bot, discord_world: DiscordWorld) -> None:
    # A community of members the gateway never sent (no members intent): 150 of them, more
    # than discord.py's own cache of 128 private channels; two waves of reminders.
    emu = discord_world.emu
    users = [emu.add_user(f"member{n}") for n in range(150)]
    before = len(emu.requests)
    for wave in ("24h", "1h"):
        for user in users:
            await discord_bot.messenger.send_direct(str(user.id), Reply(f"in {wave}"))
    calls = [r.action for r in emu.requests[before:]]
    assert calls.count("send_message") == 300
    assert calls.count("create_dm") == 150  # once per member, not once per wave
    assert len(calls) == 450  # and no user lookups: 1.5 requests per DM over two waves


async def test_a_dm_to_nobody_is_an_unknown_recipient(discord_bot) -> None:
    with pytest.raises(DeliveryFailed) as failed:
        await discord_bot.messenger.send_direct("4242424242", Reply("hello"))
    assert failed.value.reason is DeliveryFailure.UNKNOWN_RECIPIENT
