"""The recommendations' part of ``/mydata`` and ``/forgetme``."""

from __future__ import annotations

from typing import Any

from storage import Unit


class RecommendationData:
    """👍/👎 votes and digest history, for ``/mydata`` and ``/forgetme``.

    Buddy opt-ins and proposals are removed here too (the same repository holds them).
    """

    name = "recommendations"

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Votes, digests, buddy opt-in and proposals."""
        repo = unit.recommendations
        optin = await repo.buddy_optin(member_id)
        return {
            "votes": [{"event_id": v.event_id, "vote": v.vote, "at": v.updated_at.isoformat()}
                      for v in await repo.votes([member_id])],
            "digests": [{"week": d.week, "event_ids": d.event_ids,
                         "at": d.created_at.isoformat()}
                        for d in await repo.digests_of(member_id)],
            "buddies": {
                "opted_in": bool(optin and optin.active),
                "proposals": [
                    {"id": p.id, "accepted": (p.a_accepted_at if p.member_a == member_id
                                              else p.b_accepted_at) is not None,
                     "declined": p.declined_at is not None,
                     "revealed": p.revealed_at is not None}
                    for p in await repo.proposals_of(member_id)
                ],
            },
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Delete the member's votes, digests and buddy rows."""
        await unit.recommendations.delete_for_member(member_id)
