"""Member profiles: interests, time zone, DM preferences."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core import values
from bot.core.errors import UserError
from bot.core.model import Member
from bot.services.events import reminders
from bot.services.members.directory import MemberDirectory, to_member
from storage import Database

MAX_INTERESTS = 500


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """Fields to change; None leaves a field as it is."""

    interests: str | None = None
    timezone: str | None = None
    dms: bool | None = None
    digests: bool | None = None
    reminders: str | None = None
    quiet: str | None = None

    @property
    def touches_reminders(self) -> bool:
        """Whether planned reminders must be planned again."""
        return any(v is not None for v in (self.timezone, self.dms, self.reminders, self.quiet))


class ProfileService:
    """Reads and changes profiles; validates everything before writing anything."""

    def __init__(self, db: Database, directory: MemberDirectory) -> None:
        self._db = db
        self._directory = directory

    async def update(self, member: Member, change: ProfileChange) -> Member:
        """Apply a change, all or nothing."""
        fields: dict[str, object] = {}
        if change.timezone is not None:
            fields["timezone"] = values.zone(change.timezone).key
        if change.interests is not None:
            interests = " ".join(change.interests.split())
            if len(interests) > MAX_INTERESTS:
                raise UserError(f"Interests are limited to {MAX_INTERESTS} characters.")
            fields["interests"] = interests
        if change.dms is not None:
            fields["dms"] = change.dms
        if change.digests is not None:
            fields["digests"] = change.digests
        if change.reminders is not None:
            offsets = reminders.parse_offsets(change.reminders)
            fields["reminder_offsets"] = reminders.format_offsets(offsets)
        if change.quiet is not None:
            quiet = reminders.QuietHours.parse(change.quiet)
            fields["quiet_hours"] = str(quiet) if quiet else None
        if not fields:
            return member
        async with self._db.unit() as unit:
            await unit.members.update(member.member_id, **fields)
            row = await unit.members.get(member.member_id)
            assert row is not None
            updated = to_member(row)
        self._directory.forget_cached(member.member_id)
        return updated
