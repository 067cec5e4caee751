"""The members feature's part of ``/mydata`` and ``/forgetme``: profile, accounts, activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage import Unit


class ProfileData:
    """Profile, accounts, interactions and stored texts."""

    name = "profile"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Profile, accounts, interactions and texts."""
        row = await unit.members.get(member_id)
        if row is None:
            return None
        accounts = await unit.members.accounts(member_id)
        interactions = await unit.interactions.for_member(member_id)
        texts = await unit.texts.for_member(member_id)
        return {
            "member": {
                "id": row.id, "display_name": row.display_name, "timezone": row.timezone,
                "interests": row.interests, "dms": row.dms, "digests": row.digests,
                "created_at": _iso(row.created_at),
            },
            "accounts": [
                {"platform": a.platform, "user_id": a.user_id, "display_name": a.display_name,
                 "handle": a.handle, "created_at": _iso(a.created_at)}
                for a in accounts
            ],
            "interactions": [
                {"kind": i.kind, "name": i.name, "platform": i.platform, "place": i.place_id,
                 "at": _iso(i.created_at)}
                for i in interactions
            ],
            "message_texts": [{"text": t.text, "at": _iso(t.created_at)} for t in texts],
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Texts and interactions go explicitly; the member row goes last (cascade)."""
        await unit.texts.delete_for_member(member_id)
        await unit.interactions.delete_for_member(member_id)


def _iso(moment: datetime) -> str:
    return moment.isoformat()
