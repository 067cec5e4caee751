"""Repositories of the points feature, bound to one unit of work.

Every write that must not be lost or doubled under concurrency is a single statement the
database makes atomic: the ledger insert skips a duplicate key (``ON CONFLICT DO
NOTHING``), totals are added with ``ON CONFLICT DO UPDATE SET x = x + excluded.x``, and a
spend or a stock decrement is an ``UPDATE … WHERE`` that re-checks the condition on the
locked row (PostgreSQL re-evaluates it after waiting; SQLite holds its write lock from
``BEGIN IMMEDIATE``). No balance is ever read, changed in Python and written back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.repos.ledger import append_with_totals, totals_upsert
from storage.rows.members import AccountRow, MemberRow, PlaceRow
from storage.rows.points import (
    BadgeRow,
    PointAwardRow,
    PointStateRow,
    PointTombstoneRow,
    PointTotalRow,
    RedemptionRow,
    RewardRow,
    RoleTaskRow,
)

METRICS = ("points", "challenges", "events")
def _table(row: type[Any]) -> Table:
    table = row.__table__
    assert isinstance(table, Table)
    return table


class PointsRepo:
    """The ledger, the totals, rule state, badges and role tasks."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        # Rule states this unit already read and locked: the chat rule and the streak read
        # the same row in one award.
        self._states: dict[int, PointStateRow] = {}

    def _insert(self, table: Table) -> Any:
        dialect = self._s.get_bind().dialect.name
        return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)

    # -- ledger and totals -------------------------------------------------------------------

    async def append(self, row: dict[str, Any]) -> int | None:
        """Insert one ledger row; None when its key is already there (already done)."""
        return (await self.append_many([row])).get(row["key"])

    async def append_many(self, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
        """Insert ledger rows in one statement, skipping keys already there; new ids by key."""
        table = _table(PointAwardRow)
        statement = (self._insert(table).values(list(rows))
                     .on_conflict_do_nothing(index_elements=["key"])
                     .returning(table.c.id, table.c.key))
        # The rows depend on no pending ORM change: rule-state edits wait for the unit's
        # next flush and go out as one UPDATE, not one before this insert and one after.
        with self._s.no_autoflush:
            return {str(key): int(id_) for id_, key in (await self._s.execute(statement)).all()}

    async def add_totals(self, member_id: int, periods: Sequence[str], *, points: int = 0,
                         spent: int = 0, challenges: int = 0, events: int = 0
                         ) -> tuple[int, int, int, int]:
        """Add to the member's totals of each period atomically.

        Returns the first period's (points, spent, challenges, events) after the change.
        """
        got = await self.add_to_totals([
            {"member_id": member_id, "period": p, "points": points, "spent": spent,
             "challenges": challenges, "events": events} for p in dict.fromkeys(periods)])
        return got[member_id, periods[0]]

    async def add_to_totals(self, rows: Sequence[dict[str, Any]]
                            ) -> dict[tuple[int, str], tuple[int, int, int, int]]:
        """Add each row's counters to its (member, period) totals, all in one statement.

        A (member, period) may appear once. Rows go in key order, so two units lock totals
        rows in the same order on PostgreSQL. Returns (points, spent, challenges, events)
        after the change by (member_id, period).
        """
        statement = totals_upsert(self._s.get_bind().dialect.name, _table(PointTotalRow))
        ordered = sorted(rows, key=lambda r: (r["member_id"], r["period"]))
        return {(int(r.member_id), str(r.period)):
                (int(r.points), int(r.spent), int(r.challenges), int(r.events))
                for r in (await self._s.execute(statement.values(ordered))).all()}

    async def append_with_totals(self, rows: Sequence[tuple[Any, ...]]) -> int:
        """Append ledger rows, skipping known keys, and add the new ones to their totals.

        ``rows`` are tuples in ``LEDGER_COLUMNS`` order; returns the rows added (G3).
        """
        return await append_with_totals(self._s, _table(PointAwardRow), rows)

    async def spend(self, member_id: int, amount: int, *, earned: bool = False) -> bool:
        """Take ``amount`` from the all-time balance only if it stays at or above zero.

        ``earned`` lowers earned points (an admin's take); otherwise it is spent.
        """
        column = PointTotalRow.points if earned else PointTotalRow.spent
        change = column - amount if earned else column + amount
        result = await self._s.execute(
            update(PointTotalRow)
            .where(PointTotalRow.member_id == member_id, PointTotalRow.period == "all",
                   PointTotalRow.points - PointTotalRow.spent >= amount)
            .values({column.key: change}))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def all_time(self, member_ids: Sequence[int]) -> dict[int, int]:
        """Each member's all-time earned points (members with none are absent)."""
        out: dict[int, int] = {}
        for start in range(0, len(member_ids), 5_000):  # SQLite's bound-parameter limit
            chunk = member_ids[start:start + 5_000]
            statement = select(PointTotalRow.member_id, PointTotalRow.points).where(
                PointTotalRow.period == "all", PointTotalRow.member_id.in_(chunk))
            out.update((int(m), int(p)) for m, p in (await self._s.execute(statement)).all())
        return out

    async def totals(self, member_id: int, period: str = "all") -> PointTotalRow | None:
        """A member's totals for one period."""
        statement = select(PointTotalRow).where(PointTotalRow.member_id == member_id,
                                                PointTotalRow.period == period)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def top(self, period: str, metric: str, limit: int, offset: int = 0,
                  exclude: int | None = None) -> list[tuple[int, str, int]]:
        """(member_id, display name, value) of the best ``limit`` rows after ``offset``."""
        column = PointTotalRow.__table__.c[metric]
        statement = (
            select(PointTotalRow.member_id, MemberRow.display_name, column)
            .join(MemberRow, MemberRow.id == PointTotalRow.member_id)
            .where(PointTotalRow.period == period, column > 0)
            .order_by(column.desc(), PointTotalRow.member_id)
            .limit(limit).offset(offset)
        )
        if exclude is not None:
            statement = statement.where(PointTotalRow.member_id != exclude)
        return [(int(m), str(n), int(v)) for m, n, v in (await self._s.execute(statement)).all()]

    async def count_above(self, period: str, metric: str, value: int,
                          exclude: int | None = None) -> int:
        """How many members have more than ``value`` (a rank is this plus one)."""
        column = PointTotalRow.__table__.c[metric]
        statement = select(func.count()).select_from(PointTotalRow).where(
            PointTotalRow.period == period, column > value)
        if exclude is not None:
            statement = statement.where(PointTotalRow.member_id != exclude)
        return int((await self._s.execute(statement)).scalar_one())

    async def count_ranked(self, period: str, metric: str, exclude: int | None = None) -> int:
        """How many members are on a board."""
        column = PointTotalRow.__table__.c[metric]
        statement = select(func.count()).select_from(PointTotalRow).where(
            PointTotalRow.period == period, column > 0)
        if exclude is not None:
            statement = statement.where(PointTotalRow.member_id != exclude)
        return int((await self._s.execute(statement)).scalar_one())

    async def values_of(self, period: str, metric: str, member_ids: Sequence[int]
                        ) -> dict[int, int]:
        """One metric of several members in a period."""
        if not member_ids:
            return {}
        column = PointTotalRow.__table__.c[metric]
        statement = select(PointTotalRow.member_id, column).where(
            PointTotalRow.period == period, PointTotalRow.member_id.in_(list(member_ids)))
        return {int(m): int(v) for m, v in (await self._s.execute(statement)).all()}

    async def ledger(self, member_id: int, limit: int | None = None) -> list[PointAwardRow]:
        """A member's ledger rows, newest first."""
        statement = (select(PointAwardRow).where(PointAwardRow.member_id == member_id)
                     .order_by(PointAwardRow.id.desc()))
        if limit is not None:
            statement = statement.limit(limit)
        return list((await self._s.execute(statement)).scalars())

    async def entries(self, member_id: int, key: str) -> list[PointAwardRow]:
        """A member's rows under ``key`` and its numbered follow-ups (``key:1``, …), oldest first.

        A held award (an RSVP's) alternates award and reversal under one such family of keys.
        """
        statement = (select(PointAwardRow)
                     .where(PointAwardRow.member_id == member_id,
                            (PointAwardRow.key == key) | PointAwardRow.key.like(f"{key}:%"))
                     .order_by(PointAwardRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def keys_like(self, member_id: int, prefixes: Sequence[str]) -> list[str]:
        """A member's ledger keys starting with any of ``prefixes``, oldest first."""
        if not prefixes:
            return []
        statement = (select(PointAwardRow.key)
                     .where(PointAwardRow.member_id == member_id,
                            or_(*(PointAwardRow.key.like(f"{p}%") for p in prefixes)))
                     .order_by(PointAwardRow.id))
        return [str(key) for key in (await self._s.execute(statement)).scalars()]

    async def has_key(self, key: str) -> bool:
        """Whether a ledger row with ``key`` exists."""
        statement = select(PointAwardRow.id).where(PointAwardRow.key == key)
        return (await self._s.execute(statement)).first() is not None

    async def move_member(self, source: int, target: int) -> None:
        """Fold ``source``'s totals into ``target``'s and re-point its ledger rows."""
        for row in list((await self._s.execute(
                select(PointTotalRow).where(PointTotalRow.member_id == source))).scalars()):
            await self.add_totals(target, [row.period], points=row.points, spent=row.spent,
                                  challenges=row.challenges, events=row.events)
        await self._s.execute(delete(PointTotalRow).where(PointTotalRow.member_id == source))
        await self._s.execute(update(PointAwardRow).where(PointAwardRow.member_id == source)
                              .values(member_id=target))

    # -- tombstone ---------------------------------------------------------------------------

    async def tombstone(self) -> int | None:
        """The tombstone member's id, if one was made."""
        statement = select(PointTombstoneRow.member_id).where(PointTombstoneRow.id == 1)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def make_tombstone(self, now: datetime) -> int:
        """Create (once) the member that anonymised ledger rows belong to."""
        found = await self.tombstone()
        if found is not None:
            return found
        member = MemberRow(display_name="Former members", timezone="UTC", interests="",
                           dms=False, digests=False, keep_text=False, created_at=now)
        self._s.add(member)
        await self._s.flush()
        self._s.add(PointTombstoneRow(id=1, member_id=member.id))
        await self._s.flush()
        return member.id

    # -- rule state --------------------------------------------------------------------------

    async def state(self, member_id: int) -> PointStateRow:
        """The member's rule state, created on first use and locked for the unit."""
        return (await self.states([member_id]))[member_id]

    async def states(self, member_ids: Sequence[int]) -> dict[int, PointStateRow]:
        """Several members' rule states, created on first use and locked for the unit.

        One statement: an upsert that "updates" the rows it finds locks them (as SELECT …
        FOR UPDATE did), in member order so two units never wait on each other crosswise,
        and returns them. Read once per unit: the rows stay locked until the unit ends and
        their changes are on the objects, so a second read would return the same.
        """
        missing = sorted(set(member_ids) - self._states.keys())
        if missing:
            dialect = self._s.get_bind().dialect.name
            insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
                PointStateRow).values([{"member_id": m, "fingerprints": "[]", "streak": 0,
                                        "best_streak": 0, "reactions": 0} for m in missing])
            upsert = insert.on_conflict_do_update(
                index_elements=["member_id"], set_={"member_id": insert.excluded.member_id},
            ).returning(PointStateRow).execution_options(populate_existing=True)
            for state in (await self._s.scalars(upsert)).all():
                self._states[state.member_id] = state
        return {m: self._states[m] for m in member_ids}

    async def delete_state(self, member_id: int) -> None:
        """Forget a member's rule state."""
        self._states.pop(member_id, None)
        await self._s.execute(delete(PointStateRow).where(PointStateRow.member_id == member_id))

    # -- badges ------------------------------------------------------------------------------

    async def add_badge(self, member_id: int, badge: str, key: str, now: datetime) -> bool:
        """Give a badge once per key; True when it is new."""
        table = _table(BadgeRow)
        statement = (self._insert(table)
                     .values(member_id=member_id, badge=badge, key=key, awarded_at=now)
                     .on_conflict_do_nothing(index_elements=["member_id", "key"])
                     .returning(table.c.id))
        return (await self._s.execute(statement)).scalar_one_or_none() is not None

    async def badges(self, member_id: int) -> list[BadgeRow]:
        """A member's badges, oldest first."""
        statement = (select(BadgeRow).where(BadgeRow.member_id == member_id)
                     .order_by(BadgeRow.awarded_at, BadgeRow.id))
        return list((await self._s.execute(statement)).scalars())

    async def delete_badges(self, member_id: int) -> None:
        """Forget a member's badges."""
        await self._s.execute(delete(BadgeRow).where(BadgeRow.member_id == member_id))

    # -- role tasks --------------------------------------------------------------------------

    async def add_role_task(self, member_id: int, role: str, grant: bool, reason: str,
                            now: datetime) -> None:
        """Queue a role grant or removal."""
        self._s.add(RoleTaskRow(member_id=member_id, role=role, grant=grant, reason=reason,
                                status="pending", attempts=0, created_at=now))
        await self._s.flush()

    async def pending_role_tasks(self, limit: int) -> list[RoleTaskRow]:
        """The oldest pending role tasks."""
        statement = (select(RoleTaskRow).where(RoleTaskRow.status == "pending")
                     .order_by(RoleTaskRow.id).limit(limit))
        return list((await self._s.execute(statement)).scalars())

    async def finish_role_task(self, task_id: int, **fields: object) -> None:
        """Record a role task's outcome."""
        await self._s.execute(update(RoleTaskRow).where(RoleTaskRow.id == task_id)
                              .values(**fields))

    async def accounts(self, member_id: int, platform: str) -> list[str]:
        """The member's user ids on one platform."""
        statement = select(AccountRow.user_id).where(AccountRow.member_id == member_id,
                                                     AccountRow.platform == platform)
        return list((await self._s.execute(statement)).scalars())

    async def communities(self, platform: str) -> list[str]:
        """Communities (Discord guilds) the bot has seen places in."""
        statement = (select(PlaceRow.community_id).distinct()
                     .where(PlaceRow.platform == platform, PlaceRow.community_id.is_not(None)))
        return [str(c) for c in (await self._s.execute(statement)).scalars()]

    async def delete_role_tasks(self, member_id: int) -> None:
        """Forget a member's queued role changes."""
        await self._s.execute(delete(RoleTaskRow).where(RoleTaskRow.member_id == member_id))


class RewardRepo:
    """The reward shop and its redemptions."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, row: RewardRow) -> RewardRow:
        """Store a new reward."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def by_name(self, name_key: str) -> RewardRow | None:
        """A reward by its normalised name."""
        statement = select(RewardRow).where(RewardRow.name_key == name_key)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def get(self, reward_id: int) -> RewardRow | None:
        """A reward by id."""
        return await self._s.get(RewardRow, reward_id)

    async def active(self) -> list[RewardRow]:
        """Rewards on offer, cheapest first."""
        statement = (select(RewardRow).where(RewardRow.active.is_(True))
                     .order_by(RewardRow.cost, RewardRow.name_key))
        return list((await self._s.execute(statement)).scalars())

    async def take_one(self, reward_id: int) -> bool:
        """Take one item from stock if any is left (unlimited stock always succeeds)."""
        result = await self._s.execute(
            update(RewardRow)
            .where(RewardRow.id == reward_id, RewardRow.active.is_(True),
                   (RewardRow.stock.is_(None)) | (RewardRow.stock > 0))
            .values(stock=RewardRow.stock - 1))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def put_back(self, reward_id: int) -> None:
        """Return one item to stock (a rejected or cancelled redemption)."""
        await self._s.execute(
            update(RewardRow).where(RewardRow.id == reward_id, RewardRow.stock.is_not(None))
            .values(stock=RewardRow.stock + 1))

    async def add_redemption(self, row: RedemptionRow) -> RedemptionRow:
        """Store a redemption."""
        self._s.add(row)
        await self._s.flush()
        return row

    async def redemption(self, redemption_id: int) -> RedemptionRow | None:
        """A redemption by id."""
        return await self._s.get(RedemptionRow, redemption_id)

    async def status(self, redemption_id: int) -> str | None:
        """A redemption's status as stored now (fresh, not the unit's cached row)."""
        statement = select(RedemptionRow.status).where(RedemptionRow.id == redemption_id)
        return (await self._s.execute(statement)).scalar_one_or_none()

    async def decide(self, redemption_id: int, status: str, by: int | None, now: datetime,
                     note: str | None) -> bool:
        """Move a pending redemption to ``status``; False when it was already decided."""
        result = await self._s.execute(
            update(RedemptionRow)
            .where(RedemptionRow.id == redemption_id, RedemptionRow.status == "pending")
            .values(status=status, decided_by=by, decided_at=now, note=note))
        return int(getattr(result, "rowcount", 0) or 0) == 1

    async def pending(self, limit: int = 25) -> list[tuple[RedemptionRow, str, str]]:
        """Pending redemptions with the reward's and the member's names, oldest first."""
        statement = (
            select(RedemptionRow, RewardRow.name, MemberRow.display_name)
            .join(RewardRow, RewardRow.id == RedemptionRow.reward_id)
            .join(MemberRow, MemberRow.id == RedemptionRow.member_id)
            .where(RedemptionRow.status == "pending").order_by(RedemptionRow.id).limit(limit))
        return [(r, str(n), str(m)) for r, n, m in (await self._s.execute(statement)).all()]

    async def of_member(self, member_id: int) -> list[tuple[RedemptionRow, str]]:
        """A member's redemptions with reward names, newest first."""
        statement = (select(RedemptionRow, RewardRow.name)
                     .join(RewardRow, RewardRow.id == RedemptionRow.reward_id)
                     .where(RedemptionRow.member_id == member_id)
                     .order_by(RedemptionRow.id.desc()))
        return [(r, str(n)) for r, n in (await self._s.execute(statement)).all()]

    async def repoint(self, source: int, target: int) -> None:
        """Give a forgotten member's redemptions to the tombstone."""
        await self._s.execute(update(RedemptionRow).where(RedemptionRow.member_id == source)
                              .values(member_id=target))
