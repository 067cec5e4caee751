"""Discord: only the configured servers are the community, and admin rights come from it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from tests.e2e.conftest import DiscordWorld, discord_options
from tests.emulators.discord_api import CommandHidden, Followup, InteractionCallback
from tests.harness import snapshot


@asynccontextmanager
async def _bot(app: App, world: DiscordWorld, **overrides: object) -> AsyncIterator[None]:
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(world, **overrides))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield


async def _answer(world: DiscordWorld, interaction) -> str:
    followup = await world.emu.wait_for(
        Followup, lambda f: f.interaction_id == interaction.id and f.action == "create")
    return followup.content


async def _audited(app: App) -> list[tuple[str, str | None, str | None]]:
    async with app.db.unit() as unit:
        return [(r.command, r.platform, r.place_id) for r in await unit.audit.recent()]


async def test_other_servers_are_ignored_and_their_admins_are_no_admins(app, discord_world):
    emu, world = discord_world.emu, discord_world
    mallory = emu.add_user("mallory")
    other = emu.add_guild("Elsewhere", owner=mallory)  # Manage Server there, not here
    lounge = emu.add_channel(other, "lounge")
    emu.add_member(world.guild, mallory)
    async with _bot(app, world, guild_id=None):  # global commands: offered in every server
        before = await snapshot(app.db)
        foreign = await emu.send_interaction_create(other, lounge, mallory, "outbox")
        await emu.send_message_create(other, lounge, mallory, "hello from elsewhere")
        in_dm = await emu.send_interaction_create(None, emu.dm_channel(mallory), mallory,
                                                  "outbox")
        assert "admins only" in await _answer(world, in_dm)
        await asyncio.sleep(0.2)
        assert emu.callbacks_for(foreign) == [] and emu.followups_for(foreign) == []
        await app.interactions.flush()
        after = await snapshot(app.db)
        assert after["audit_log"] == before["audit_log"]
        async with app.db.unit() as unit:
            rows = await unit.interactions.all()
        assert all(r.place_id != str(lounge.id) for r in rows)

        # A Manage Server member of the community is an admin in a DM too.
        allowed = await emu.send_interaction_create(None, emu.dm_channel(world.tomas),
                                                    world.tomas, "outbox")
        assert "admins only" not in await _answer(world, allowed)
    assert await _audited(app) == [
        ("outbox", "discord", str(emu.dm_channel(world.tomas).id))]


async def test_a_configured_admin_role_can_run_admin_commands(app, discord_world):
    emu, world = discord_world.emu, discord_world
    organiser = emu.add_role(world.guild, "organiser")  # no permissions at all
    ana = emu.add_member(world.guild, "ana", roles=[organiser])
    async with _bot(app, world, admin_roles=("organiser",)):
        assert emu.command("config", world.guild).get("default_member_permissions") is None
        ran = await emu.send_interaction_create(world.guild, world.general, ana,
                                                "config channel", {"role": "announcements"})
        assert "announcements" in await _answer(world, ran)
        before = await snapshot(app.db)
        denied = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                   "config channel", {"role": "leaderboard"})
        assert "admins only" in await _answer(world, denied)
        await app.interactions.flush()
        after = await snapshot(app.db)
        assert after["channel_roles"] == before["channel_roles"]
        assert after["audit_log"] == before["audit_log"]
    async with app.db.unit() as unit:
        rows = await unit.channels.all()
    assert [(r.role, r.place_id) for r in rows] == [("announcements", str(world.general.id))]


async def test_without_admin_roles_discord_hides_admin_commands_from_members(app,
                                                                            discord_world):
    emu, world = discord_world.emu, discord_world
    organiser = emu.add_role(world.guild, "organiser")
    ana = emu.add_member(world.guild, "ana", roles=[organiser])
    async with _bot(app, world):
        assert emu.command("config", world.guild)["default_member_permissions"] == str(1 << 5)
        with pytest.raises(CommandHidden):
            await emu.send_interaction_create(world.guild, world.general, ana,
                                              "config channel", {"role": "announcements"})


async def test_a_configured_admin_id_is_an_admin_in_a_dm(app, discord_world):
    emu, world = discord_world.emu, discord_world
    async with _bot(app, world, guild_id=None, admin_ids=(world.maya.id,)):
        ran = await emu.send_interaction_create(None, emu.dm_channel(world.maya), world.maya,
                                                "outbox")
        assert "admins only" not in await _answer(world, ran)


async def test_with_no_server_configured_admins_learn_the_server_id(app, discord_world, caplog):
    emu, world = discord_world.emu, discord_world
    caplog.set_level(logging.INFO)
    before = await snapshot(app.db)
    async with _bot(app, world, guild_ids=()):
        assert any("COHORT_DISCORD__GUILD_IDS is empty" in r.getMessage()
                   and str(world.guild.id) in r.getMessage() for r in caplog.records)
        member = await emu.send_interaction_create(world.guild, world.general, world.maya,
                                                   "help")
        admin = await emu.send_interaction_create(world.guild, world.general, world.tomas,
                                                  "help")
        hint = await emu.wait_for(InteractionCallback, lambda c: c.interaction_id == admin.id)
        assert hint.type == InteractionCallback.MESSAGE and hint.ephemeral
        assert str(world.guild.id) in hint.content
        assert "COHORT_DISCORD__GUILD_IDS" in hint.content
        await asyncio.sleep(0.2)
        assert emu.callbacks_for(member) == []
        await app.interactions.flush()
    assert await snapshot(app.db) == before
