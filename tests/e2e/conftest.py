"""The real adapters (discord.py, python-telegram-bot) against the protocol emulators."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from bot.adapters.discord import DiscordAdapter, DiscordOptions
from bot.adapters.telegram import TelegramAdapter, TelegramOptions
from bot.app import App
from tests.emulators.discord_api import (
    Channel,
    ChannelType,
    DiscordEmulator,
    Guild,
    Permissions,
    Role,
    User,
)
from tests.emulators.telegram_api import Chat, TelegramEmulator, TgUser


@dataclass
class DiscordWorld:
    emu: DiscordEmulator
    guild: Guild
    general: Channel
    voice: Channel
    moderator: Role
    maya: User
    tomas: User


@dataclass
class TelegramWorld:
    tg: TelegramEmulator
    maya: TgUser
    tomas: TgUser
    group: Chat


@pytest.fixture
async def discord_world() -> AsyncIterator[DiscordWorld]:
    async with DiscordEmulator() as emu:
        guild = emu.add_guild("Cohort Test")
        general = emu.add_channel(guild, "general")
        voice = emu.add_channel(guild, "hangout", type=ChannelType.VOICE)
        moderator = emu.add_role(guild, "moderator", permissions=Permissions.MANAGE_GUILD)
        maya = emu.add_member(guild, "maya")
        tomas = emu.add_member(guild, "tomas", roles=[moderator])
        yield DiscordWorld(emu, guild, general, voice, moderator, maya, tomas)


def discord_options(world: DiscordWorld, **overrides: object) -> DiscordOptions:
    values: dict[str, object] = {
        "token": world.emu.token,
        "api_base_url": world.emu.http_url,
        "gateway_url": world.emu.gateway_url,
        "guild_id": world.guild.id,
        "guild_ids": (world.guild.id,),  # the community
        "guild_ready_timeout": 0.05,
        "ready_timeout": 5.0,
    }
    values.update(overrides)
    return DiscordOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
async def discord_bot(app: App, discord_world: DiscordWorld) -> AsyncIterator[DiscordAdapter]:
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(discord_world))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield adapter


@pytest.fixture
async def telegram_world() -> AsyncIterator[TelegramWorld]:
    async with TelegramEmulator() as tg:
        maya = tg.add_user("Maya", username="maya")
        tomas = tg.add_user("Tomas", username="tomas")
        group = tg.add_group("Cohort Study Group", members=[maya], admins=[tomas])
        yield TelegramWorld(tg, maya, tomas, group)


def telegram_options(world: TelegramWorld, **overrides: object) -> TelegramOptions:
    values: dict[str, object] = {
        "token": world.tg.token,
        "base_url": world.tg.base_url,
        "base_file_url": world.tg.base_file_url,
        "poll_timeout": 1,
        "chat_ids": (world.group.id,),  # the community
    }
    values.update(overrides)
    return TelegramOptions(**values)  # type: ignore[arg-type]


@pytest.fixture
async def telegram_bot(app: App, telegram_world: TelegramWorld) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(app.dispatcher, app.presence, app.clock,
                              telegram_options(telegram_world))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield adapter


@pytest.fixture
async def discord_global_bot(app: App,
                             discord_world: DiscordWorld) -> AsyncIterator[DiscordAdapter]:
    """Commands synced globally, as in production: they also work in DMs with the bot."""
    adapter = DiscordAdapter(app.dispatcher, app.presence, app.clock,
                             discord_options(discord_world, guild_id=None))
    async with adapter:
        app.platforms.add_messenger(adapter.messenger)
        yield adapter
