"""A place that changed its id (a Telegram group upgraded to a supergroup).

Every table that names a place by platform and id follows it, so roles, announcements,
queued posts and receipts keep working in the new chat.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.rows.activity import InteractionRow
from storage.rows.challenges import SubmissionRow
from storage.rows.channels import ChannelRoleRow
from storage.rows.events import EventRow
from storage.rows.members import PlaceRow
from storage.rows.outbox import OutboxRow


class MoveRepo:
    """Rewrites a place id everywhere it is stored."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def move_place(self, platform: str, old: str, new: str) -> int:
        """Point every row naming ``old`` on ``platform`` at ``new``; returns rows changed."""
        changed = 0
        for table in (ChannelRoleRow, OutboxRow, SubmissionRow, InteractionRow):
            result = await self._s.execute(
                update(table).where(table.platform == platform, table.place_id == old)
                .values(place_id=new))
            changed += int(getattr(result, "rowcount", 0) or 0)
        result = await self._s.execute(
            update(EventRow).where(EventRow.place_platform == platform, EventRow.place_id == old)
            .values(place_id=new))
        changed += int(getattr(result, "rowcount", 0) or 0)
        known = await self._s.execute(select(PlaceRow.id).where(
            PlaceRow.platform == platform, PlaceRow.place_id == new))
        if known.first() is not None:  # the new chat was seen already: keep that row
            result = await self._s.execute(delete(PlaceRow).where(
                PlaceRow.platform == platform, PlaceRow.place_id == old))
        else:
            result = await self._s.execute(
                update(PlaceRow).where(PlaceRow.platform == platform, PlaceRow.place_id == old)
                .values(place_id=new, community_id=new))
        return changed + int(getattr(result, "rowcount", 0) or 0)
