"""Reading the admin audit log back: the latest actions, and one admin's own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import Database, Unit
from storage.rows.members import AuditRow

MAX_SHOWN = 50


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One admin action as ``/audit`` shows it."""

    entry_id: int
    at: datetime
    who: str
    command: str
    args: dict[str, Any]
    platform: str | None
    place_id: str | None


class AuditService:
    """``/audit``: the latest admin actions, newest first."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def recent(self, count: int = 20) -> list[AuditEntry]:
        """The ``count`` latest actions (at most :data:`MAX_SHOWN`), with the admin's name."""
        async with self._db.unit() as unit:
            rows = await unit.audit.recent(min(max(count, 1), MAX_SHOWN))
            names: dict[int, str] = {}
            for row in rows:
                if row.member_id is not None and row.member_id not in names:
                    member = await unit.members.get(row.member_id)
                    names[row.member_id] = member.display_name if member else "?"
        return [_entry(row, names.get(row.member_id) if row.member_id is not None else None)
                for row in rows]


class AuditData:
    """The ``/mydata`` part: the admin commands this member ran.

    ``/forgetme`` leaves the rows (accountability) but deleting the member unlinks them
    (``ON DELETE SET NULL``), so they no longer name anyone.
    """

    name = "admin_actions"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Every admin command the member ran, oldest first."""
        return [
            {"command": row.command, "args": _args(row.args), "platform": row.platform,
             "place": row.place_id, "at": row.created_at.isoformat()}
            for row in await unit.audit.for_member(member_id)
        ]

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Nothing to delete: the member row's deletion anonymises the entries."""


def _args(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"raw": text}
    return value if isinstance(value, dict) else {"value": value}


def _entry(row: AuditRow, who: str | None) -> AuditEntry:
    return AuditEntry(row.id, row.created_at, who or "a former member", row.command,
                      _args(row.args), row.platform, row.place_id)
