"""The reward shop: admins define rewards, members redeem points, admins decide.

A redemption takes one item from stock and spends the points in one transaction, each
with a conditional ``UPDATE`` (stock > 0; balance >= cost), so concurrent redemptions of
the last item or of the last points cannot both succeed, and a failure of either rolls
both back. The member gets a DM when an admin approves or rejects; a rejection refunds
the points and puts the item back.
"""

from __future__ import annotations

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.points import texts
from bot.services.points.service import PointsService
from bot.services.points.views import RedemptionView, RewardView
from storage import Database, Unit
from storage.rows.points import RedemptionRow, RewardRow

MAX_NAME = 60
MAX_COST = 1_000_000
MAX_STOCK = 100_000


def name_key(name: str) -> str:
    """How reward names are compared: case and spacing do not matter."""
    return " ".join(name.casefold().split())


class RewardService:
    """Defines rewards, takes redemptions, records admins' decisions."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox,
                 points: PointsService) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._points = points

    async def add(self, name: str, cost: int, stock: int | None, role: str | None) -> RewardView:
        """Define a reward (or bring back a removed one with new terms)."""
        clean = " ".join(name.split())
        if not 1 <= len(clean) <= MAX_NAME:
            raise UserError(f"A reward name has 1 to {MAX_NAME} characters.")
        if not 1 <= cost <= MAX_COST:
            raise UserError(f"The cost must be from 1 to {MAX_COST} points.")
        if stock is not None and not 0 <= stock <= MAX_STOCK:
            raise UserError(f"Stock must be from 0 to {MAX_STOCK} (leave it out for unlimited).")
        role = role.strip().removeprefix("@") if role else None
        now = self._clock.now()
        async with self._db.unit() as unit:
            found = await unit.rewards.by_name(name_key(clean))
            if found is not None and found.active:
                raise UserError(f"There is already a reward called {found.name}.")
            if found is not None:
                found.cost, found.stock, found.role, found.active = cost, stock, role, True
                row = found
            else:
                row = await unit.rewards.add(RewardRow(
                    name=clean, name_key=name_key(clean), cost=cost, stock=stock, role=role,
                    active=True, created_at=now))
            return _view(row)

    async def remove(self, name: str) -> RewardView:
        """Stop offering a reward (pending redemptions can still be decided)."""
        async with self._db.unit() as unit:
            row = await self._find(unit, name)
            row.active = False
            return _view(row)

    async def catalogue(self) -> list[RewardView]:
        """Rewards on offer."""
        async with self._db.unit() as unit:
            return [_view(r) for r in await unit.rewards.active()]

    async def redeem(self, member: Member, name: str) -> RedemptionView:
        """Spend points on a reward; it waits for an admin's decision."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            reward = await self._find(unit, name)
            if not await unit.rewards.take_one(reward.id):
                raise UserError(f"{reward.name} is sold out.")
            row = await unit.rewards.add_redemption(RedemptionRow(
                reward_id=reward.id, member_id=member.member_id, cost=reward.cost,
                status="pending", created_at=now))
            # Raises (and rolls back the stock) when the balance is not enough.
            await self._points.charge(unit, member.member_id, reward.cost,
                                      f"redeemed {reward.name}", f"redeem:{row.id}")
            return RedemptionView(row.id, reward.name, member.member_id, member.display_name,
                                  reward.cost, row.status, now)

    async def decide(self, admin: Member, redemption_id: int, approve: bool,
                     note: str | None = None) -> RedemptionView:
        """Approve or reject a pending redemption; the member gets a DM either way."""
        now = self._clock.now()
        status = "approved" if approve else "rejected"
        async with self._db.unit() as unit:
            row = await unit.rewards.redemption(redemption_id)
            if row is None:
                raise UserError(f"There is no redemption #{redemption_id}.")
            reward = await unit.rewards.get(row.reward_id)
            assert reward is not None  # rewards are never deleted
            if not await unit.rewards.decide(redemption_id, status, admin.member_id, now, note):
                current = await unit.rewards.status(redemption_id)
                raise UserError(f"Redemption #{redemption_id} is already {current}.")
            if approve:
                if reward.role:
                    await unit.points.add_role_task(row.member_id, reward.role, True,
                                                    f"reward {reward.name}", now)
            else:
                await unit.rewards.put_back(reward.id)
                await self._points.refund(unit, row.member_id, row.cost,
                                          f"redemption of {reward.name} rejected",
                                          f"refund:{row.id}")
            text = texts.redemption_decided(reward.name, approve, row.cost, note)
            await self._outbox.put(unit, [Outgoing(
                key=f"redemption:{row.id}:{status}", kind=OutboxKind.NOTICE, text=text,
                due_at=now, member_id=row.member_id)])
            member = await unit.members.get(row.member_id)
            view = RedemptionView(row.id, reward.name, row.member_id,
                                  member.display_name if member else "?", row.cost, status,
                                  row.created_at)
        if approve and reward.role:
            await self._points.sync_roles()
        return view

    async def pending(self) -> list[RedemptionView]:
        """Redemptions waiting for a decision."""
        async with self._db.unit() as unit:
            return [RedemptionView(r.id, reward, r.member_id, who, r.cost, r.status,
                                   r.created_at)
                    for r, reward, who in await unit.rewards.pending()]

    async def _find(self, unit: Unit, name: str) -> RewardRow:
        row = await unit.rewards.by_name(name_key(name))
        if row is None or not row.active:
            names = ", ".join(r.name for r in await unit.rewards.active()) or "none yet"
            raise UserError(f"There is no reward called {name.strip()[:MAX_NAME]}. "
                            f"Rewards: {names}.")
        return row


def _view(row: RewardRow) -> RewardView:
    return RewardView(row.id, row.name, row.cost, row.stock, row.role)
