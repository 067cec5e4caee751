"""Which channel or group plays which role on each platform (announcements, leaderboard)."""

from __future__ import annotations

from enum import StrEnum

from bot.core.model import Platform
from storage import Database


class ChannelRole(StrEnum):
    """What a configured channel is for."""

    ANNOUNCEMENTS = "announcements"
    LEADERBOARD = "leaderboard"


class ChannelRoles:
    """Stores and reads ``/config channel`` choices; one place per platform and role."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def assign(self, platform: Platform, role: ChannelRole, place_id: str) -> None:
        """Make ``place_id`` the ``role`` channel on ``platform`` (replacing the old one)."""
        async with self._db.unit() as unit:
            await unit.channels.set_channel(platform.value, role.value, place_id)

    async def place(self, platform: Platform, role: ChannelRole) -> str | None:
        """The place playing ``role`` on ``platform``, if one is configured."""
        async with self._db.unit() as unit:
            return await unit.channels.channel_for(platform.value, role.value)

    async def everywhere(self, role: ChannelRole) -> list[tuple[Platform, str]]:
        """Every (platform, place) playing ``role``: where scheduled posts go."""
        async with self._db.unit() as unit:
            rows = await unit.channels.channels(role.value)
        return [(Platform(platform), place) for platform, place in rows]
