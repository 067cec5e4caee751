"""Which Discord servers are the community, and who administers it.

Only the configured guilds are served; everything from other guilds is ignored (one log line
per guild). Admin rights come only from the community: Manage Server (or Administrator) in a
community guild, a configured admin role there, or a configured user id. In a DM with the bot
the community guilds are asked (``GET /guilds/{id}/members/{user}``), cached briefly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import discord

from bot.adapters.discord import translate
from bot.adapters.texts import setup_hint

logger = logging.getLogger(__name__)

SETTING = "COHORT_DISCORD__GUILD_IDS"


class DiscordCommunity:
    """The community's guilds and its admin rule."""

    def __init__(self, client: discord.Client, guild_ids: Sequence[int],
                 admin_roles: Sequence[str], admin_ids: Sequence[int],
                 cache_seconds: float = 60.0) -> None:
        self._client = client
        self.guild_ids = frozenset(guild_ids)
        self._admin_roles = tuple(admin_roles)
        self._admin_ids = frozenset(admin_ids)
        self._cache_seconds = cache_seconds
        self._dm_admins: dict[int, tuple[float, bool]] = {}
        self._reported: set[int] = set()

    @property
    def configured(self) -> bool:
        """Whether any guild is the community (else the bot only helps set itself up)."""
        return bool(self.guild_ids)

    def serves(self, guild_id: int | None) -> bool:
        """DMs and community guilds are served; every other guild is ignored."""
        if guild_id is None or guild_id in self.guild_ids:
            return True
        if guild_id not in self._reported:
            self._reported.add(guild_id)
            if self.configured:
                logger.info("discord: ignoring server %s: it is not in %s", guild_id, SETTING)
        return False

    def log_start(self) -> None:
        """One line at start when no guild is configured, naming the guilds the bot is in."""
        if self.configured:
            missing = self.guild_ids - {g.id for g in self._client.guilds}
            if missing:
                logger.warning("discord: the bot is not in community server(s) %s",
                               ", ".join(map(str, sorted(missing))))
            return
        seen = ", ".join(f"{g.name} ({g.id})" for g in self._client.guilds) or "none yet"
        logger.warning("discord: %s is empty, so no server is served; add your server's id "
                       "to it (servers the bot is in: %s)", SETTING, seen)

    def setup_answer(self, interaction: discord.Interaction) -> str | None:
        """For a server administrator in an unconfigured bot: the server's id and the setting."""
        if self.configured or interaction.guild_id is None:
            return None
        if not translate.is_admin(interaction.permissions, interaction.user, ()):
            return None
        return setup_hint("server", interaction.guild_id, SETTING, "guild_ids in [discord]")

    async def is_admin(self, interaction: discord.Interaction) -> bool:
        """Admin in the community (the interaction comes from a served place)."""
        user = interaction.user
        if user.id in self._admin_ids:
            return True
        if interaction.guild_id is not None:
            return interaction.guild_id in self.guild_ids and translate.is_admin(
                interaction.permissions, user, self._admin_roles)
        return await self._admin_by_dm(user.id)

    async def _admin_by_dm(self, user_id: int) -> bool:
        now = asyncio.get_running_loop().time()
        cached = self._dm_admins.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        verdict = False
        for guild_id in sorted(self.guild_ids):
            guild = self._client.get_guild(guild_id)
            if guild is None:
                continue
            try:
                member = guild.get_member(user_id) or await guild.fetch_member(user_id)
            except discord.NotFound:
                continue
            except discord.HTTPException as exc:
                logger.warning("discord: could not check %s in server %s: %s",
                               user_id, guild_id, exc)
                continue
            if translate.is_admin(member.guild_permissions, member, self._admin_roles):
                verdict = True
                break
        self._dm_admins[user_id] = (now + self._cache_seconds, verdict)
        return verdict
