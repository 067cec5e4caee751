"""The events' part of ``/mydata`` and ``/forgetme``: RSVPs, check-ins and ratings."""

from __future__ import annotations

from typing import Any

from storage import Unit


class EventData:
    """RSVPs, check-ins and feedback."""

    name = "events"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Answers and ratings."""
        return {
            "rsvps": [
                {"event_id": r.event_id, "status": r.status,
                 "checked_in_at": r.checked_in_at.isoformat() if r.checked_in_at else None,
                 "at": r.updated_at.isoformat()}
                for r in await unit.rsvps.for_member(member_id)
            ],
            "feedback": [
                {"event_id": f.event_id, "rating": f.rating, "comment": f.comment,
                 "at": f.updated_at.isoformat()}
                for f in await unit.feedback.for_member(member_id)
            ],
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Answers go; ratings go with the member row (their totals are not kept)."""
        await unit.rsvps.delete_for_member(member_id)
