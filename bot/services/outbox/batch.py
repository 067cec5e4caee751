"""What delivering a claimed batch of outbox rows needs, read in one go rather than per row."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.services.outbox.messages import OutboxKind
from storage import Unit
from storage.rows.members import AccountRow, MemberRow
from storage.rows.outbox import OutboxRow


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """What delivering a claimed batch needs, read in one go rather than per row."""

    event_starts: Mapping[int, datetime]
    members: Mapping[int, MemberRow]
    accounts: Mapping[int, list[AccountRow]]

    @classmethod
    async def load(cls, unit: Unit, rows: Sequence[OutboxRow]) -> ClaimedBatch:
        """Read the events, members and accounts the rows refer to."""
        event_ids = {r.event_id for r in rows
                     if r.event_id is not None and r.kind == OutboxKind.REMINDER.value}
        member_ids = {r.member_id for r in rows if r.member_id is not None}
        return cls(
            event_starts=await unit.events.starts(event_ids) if event_ids else {},
            members=await unit.members.many(member_ids) if member_ids else {},
            accounts=await unit.members.accounts_of(member_ids) if member_ids else {},
        )

