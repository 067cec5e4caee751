"""The Discord adapter (discord.py): slash commands, listeners, DMs and roles."""

from bot.adapters.discord.adapter import (
    DiscordAdapter,
    DiscordMessenger,
    DiscordOptions,
    DiscordRoles,
)

__all__ = ["DiscordAdapter", "DiscordMessenger", "DiscordOptions", "DiscordRoles"]
