"""The Discord adapter (discord.py): slash commands, listeners, DMs and roles."""

from bot.adapters.discord.adapter import DiscordAdapter, DiscordOptions
from bot.adapters.discord.messaging import DiscordMessenger
from bot.adapters.discord.roles import DiscordRoles

__all__ = ["DiscordAdapter", "DiscordMessenger", "DiscordOptions", "DiscordRoles"]
