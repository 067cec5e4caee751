"""The points feature's part of ``/mydata`` and ``/forgetme`` (linking merges via the service)."""

from __future__ import annotations

from typing import Any

from bot.core.clock import Clock
from bot.services.points.service import PointsService
from storage import Unit


class PointsData:
    """The ledger, totals, badges and redemptions for ``/mydata`` and ``/forgetme``.

    Forgetting anonymises: ledger rows, totals and redemptions move to one tombstone
    member ("Former members", never shown on a board), so every total and the stock
    history stay consistent while nothing points at the person any more.
    """

    name = "points"

    def __init__(self, points: PointsService, clock: Clock) -> None:
        self._points = points
        self._clock = clock

    async def export(self, unit: Unit, member_id: int) -> Any:
        """Ledger, totals, badges, redemptions."""
        total = await unit.points.totals(member_id)
        return {
            "points": total.points if total else 0,
            "balance": (total.points - total.spent) if total else 0,
            "ledger": [{"amount": r.amount, "kind": r.kind, "reason": r.reason,
                        "at": r.created_at.isoformat()}
                       for r in await unit.points.ledger(member_id)],
            "badges": [{"badge": b.badge, "key": b.key, "at": b.awarded_at.isoformat()}
                       for b in await unit.points.badges(member_id)],
            "redemptions": [{"reward": name, "cost": r.cost, "status": r.status,
                             "at": r.created_at.isoformat()}
                            for r, name in await unit.rewards.of_member(member_id)],
        }

    async def forget(self, unit: Unit, member_id: int) -> None:
        """Cancel pending redemptions, then move everything to the tombstone."""
        now = self._clock.now()
        tomb = await unit.points.make_tombstone(now)
        for row, _ in await unit.rewards.of_member(member_id):
            if row.status == "pending" and await unit.rewards.decide(
                    row.id, "cancelled", None, now, "member left"):
                await unit.rewards.put_back(row.reward_id)
                await self._points.refund(unit, member_id, row.cost, "redemption cancelled",
                                          f"refund:{row.id}")
        await unit.rewards.repoint(member_id, tomb)
        await unit.points.move_member(member_id, tomb)
        await unit.points.delete_badges(member_id)
        await unit.points.delete_state(member_id)
        await unit.points.delete_role_tasks(member_id)
