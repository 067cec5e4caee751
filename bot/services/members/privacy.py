"""``/mydata`` and ``/forgetme``: everything stored about a member, out or gone.

Each feature that stores personal data contributes a :class:`PersonalData` part, so a new
table cannot be forgotten by the export or the deletion (Red-DiscordBot's deletion hook,
without scanning everything).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from bot.core.clock import Clock
from bot.core.model import Member
from bot.services.activity import InteractionLog
from bot.services.events.data import EventData as EventData
from bot.services.members.directory import MemberDirectory
from storage import Database, Unit


class PersonalData(Protocol):
    """One feature's share of a member's data."""

    name: str

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Return this feature's data about the member as JSON-able values."""
        ...

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete or anonymise this feature's data before the member row goes."""
        ...


class PrivacyService:
    """Exports and deletes a member's data across every feature."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        directory: MemberDirectory,
        interactions: InteractionLog,
        parts: Sequence[PersonalData],
    ) -> None:
        self._db = db
        self._clock = clock
        self._directory = directory
        self._interactions = interactions
        self._parts = tuple(parts)

    async def export(self, member: Member) -> bytes:
        """Everything stored about ``member`` as UTF-8 JSON."""
        await self._interactions.flush()
        document: dict[str, Any] = {"exported_at": _iso(self._clock.now())}
        async with self._db.unit() as unit:
            for part in self._parts:
                document[part.name] = await part.export(unit, member.member_id)
        return json.dumps(document, indent=2, ensure_ascii=False).encode()

    async def forget(self, member: Member) -> None:
        """Delete the member everywhere, in one transaction."""
        self._interactions.drop_member(member.member_id)
        async with self._db.unit() as unit:
            for part in self._parts:
                await part.forget(unit, member.member_id)
            await unit.members.delete(member.member_id)
        self._directory.forget_cached(member.member_id)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
