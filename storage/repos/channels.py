"""Which place plays which role (announcements, leaderboard) on each platform."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.channels import ChannelRoleRow


class ChannelRepo:
    """Channel roles per platform."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def channel_for(self, platform: str, role: str) -> str | None:
        """The place playing ``role`` (announcements, leaderboard) on ``platform``."""
        statement = select(ChannelRoleRow.place_id).where(ChannelRoleRow.platform == platform,
                                                          ChannelRoleRow.role == role)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def channels(self, role: str) -> list[tuple[str, str]]:
        """Every (platform, place) playing ``role``."""
        statement = select(ChannelRoleRow.platform, ChannelRoleRow.place_id).where(
            ChannelRoleRow.role == role).order_by(ChannelRoleRow.platform)
        return [(p, c) for p, c in (await self._s.execute(statement)).all()]

    async def all(self) -> list[ChannelRoleRow]:
        """Every configured role (tests, audits)."""
        statement = select(ChannelRoleRow).order_by(ChannelRoleRow.id)
        return list((await self._s.execute(statement)).scalars())

    async def set_channel(self, platform: str, role: str, place_id: str) -> None:
        """Make ``place_id`` play ``role`` on ``platform``."""
        statement = select(ChannelRoleRow).where(ChannelRoleRow.platform == platform,
                                                 ChannelRoleRow.role == role)
        row = (await self._s.execute(statement)).scalar_one_or_none()
        if row is None:
            self._s.add(ChannelRoleRow(platform=platform, role=role, place_id=place_id))
        else:
            row.place_id = place_id
        await self._s.flush()
