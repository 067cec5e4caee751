"""Guild roles by name or id (the core's ``RoleManager``), for level and reward roles."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.core.errors import NotPermitted, UserError
from bot.core.model import Platform


def _find_role(roles: Sequence[discord.Role], wanted: str) -> discord.Role | None:
    """A role by id, else by name (case-insensitive)."""
    if wanted.isdigit():
        by_id = next((r for r in roles if r.id == int(wanted)), None)
        if by_id is not None:
            return by_id
    return next((r for r in roles if r.name.lower() == wanted.lower()), None)


class DiscordRoles:
    """Grants and removes guild roles by name or id (the core's ``RoleManager``)."""

    platform = Platform.DISCORD

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    async def grant_role(self, community_id: str, user_id: str, role: str, *,
                         reason: str | None = None) -> None:
        """Give a role to a guild member."""
        member, found = await self._resolve(community_id, user_id, role)
        try:
            await member.add_roles(found, reason=reason)
        except discord.Forbidden:
            raise NotPermitted(f"I am not allowed to give the {found.name} role.") from None

    async def remove_role(self, community_id: str, user_id: str, role: str, *,
                          reason: str | None = None) -> None:
        """Take a role from a guild member."""
        member, found = await self._resolve(community_id, user_id, role)
        try:
            await member.remove_roles(found, reason=reason)
        except discord.Forbidden:
            raise NotPermitted(f"I am not allowed to take the {found.name} role.") from None

    async def has_role(self, community_id: str, user_id: str, role: str) -> bool:
        """Whether the member holds the role."""
        member, found = await self._resolve(community_id, user_id, role)
        # Ask the API: a cached member lists only roles the guild cache knows.
        data = await self._client.http.get_member(member.guild.id, member.id)
        return str(found.id) in {str(r) for r in data.get("roles", [])}

    async def _resolve(self, community_id: str, user_id: str,
                       role: str) -> tuple[discord.Member, discord.Role]:
        guild = self._client.get_guild(int(community_id))
        if guild is None:
            raise UserError("I am not in that Discord server.")
        wanted = role.strip().removeprefix("@")
        found = _find_role(guild.roles, wanted)
        if found is None:  # created since we connected: ask the API
            found = _find_role(await guild.fetch_roles(), wanted)
        if found is None:
            raise UserError(f"There is no role called {wanted}.")
        member = guild.get_member(int(user_id))
        if member is None:
            try:
                member = await guild.fetch_member(int(user_id))
            except discord.NotFound:
                raise UserError("That person is not a member of the server.") from None
        return member, found
