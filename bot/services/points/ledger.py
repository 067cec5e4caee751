"""The append-only ledger and the maintained totals it keeps in step.

Every change is one ledger row with an idempotency key, written in the same transaction as
the member's totals (all time, the local week, the local month), so a leaderboard reads
the top rows of ``point_totals`` instead of grouping the ledger (PERFORMANCE.md §1c, G3).
Totals change only through atomic SQL in the repository (``x = x + n``; a spend is
``UPDATE … WHERE balance >= n``), never read-modify-write in Python: two concurrent awards
cannot lose one (Red's bank, ARCHITECTURE.md §3.7, is the counter-example).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.services.points.levels import Levels
from bot.services.points.periods import PeriodKeys, month_key, week_key
from bot.services.points.roles import plan_roles
from bot.services.points.terms import Terms
from bot.services.points.views import Award, AwardResult
from storage import Database, Unit

ACTIVE_KINDS = frozenset({"message", "rsvp", "attendance", "feedback", "challenge"})
MAX_REASON = 200


class Ledger:
    """Writes ledger rows and totals; runs levels, badges and streaks on each award."""

    def __init__(self, db: Database, clock: Clock, terms: Terms, levels: Levels) -> None:
        self._db = db
        self._clock = clock
        self._terms = terms
        self._levels = levels

    def _row(self, member_id: int, amount: int, kind: str, reason: str, key: str,
             now: datetime) -> dict[str, Any]:
        return {"member_id": member_id, "amount": amount, "kind": kind,
                "reason": reason[:MAX_REASON], "key": key,
                "period_week": week_key(now, self._terms.zone),
                "period_month": month_key(now, self._terms.zone), "created_at": now}

    async def record(self, unit: Unit, member_id: int, amount: int, kind: str, reason: str,
                     key: str, *, at: datetime | None = None, count_zero: bool = False,
                     ) -> AwardResult | None:
        """Append one positive award and update totals, level, badges, streak and roles.

        Returns None when ``key`` was already awarded (nothing changes then).
        """
        if amount < 0:
            raise ValueError("record() awards; corrections go through take()")
        if amount == 0 and not count_zero:
            return None
        award = Award(member_id, amount, kind, reason, key, at or self._clock.now())
        return (await self.record_many(unit, [award]))[0]

    async def record_many(self, unit: Unit, awards: Sequence[Award]
                          ) -> list[AwardResult | None]:
        """``record`` for several awards at once: one ledger insert and one totals upsert.

        Chat awards of a burst are written together (a group commit, G10): each statement
        is a round trip, and on SQLite every unit waits for the one write lock. Each
        award's streak, level and badges run as ``record`` runs them. A member's awards go
        in successive rounds, since one upsert may change a totals row only once.
        """
        results: list[AwardResult | None] = [None] * len(awards)
        for batch in _rounds(awards):
            rows = {i: self._row(a.member_id, a.amount, a.kind, a.reason, a.key[:200], a.at)
                    for i, a in batch}
            ids = await unit.points.append_many(list(rows.values()))
            landed = [(i, a) for i, a in batch if rows[i]["key"] in ids]
            badges: dict[int, list[str]] = {}
            for i, a in landed:
                # The rule state is locked before the totals, as the chat rule does, so two
                # units touching one member always lock in the same order (no deadlock).
                badges[i] = (await self._streak(unit, a.member_id, a.at)
                             if a.kind in ACTIVE_KINDS else [])
            totals = await unit.points.add_to_totals([
                {"member_id": a.member_id, "period": period, "points": a.amount, "spent": 0,
                 "challenges": int(a.kind == "challenge"), "events": int(a.kind == "attendance")}
                for i, a in landed
                for period in dict.fromkeys(("all", rows[i]["period_week"],
                                             rows[i]["period_month"]))]) if landed else {}
            for i, a in landed:
                results[i] = await self._settle(unit, a, totals[a.member_id, "all"],
                                                ids[rows[i]["key"]], badges[i])
        return results

    async def _settle(self, unit: Unit, award: Award, totals: tuple[int, int, int, int],
                      ledger_id: int, badges: list[str]) -> AwardResult:
        """An added award's level move and badges, from the member's totals after it."""
        points, spent, solved, attended = totals
        result = await self._levels.after_change(unit, award.member_id, points - award.amount,
                                                 points, spent, award.at, ledger_id)
        for badge, badge_key, wanted in (
            ("first_event", "first_event", attended >= 1),
            ("five_events", "five_events", attended >= 5),
            ("first_solve", "first_solve", solved >= 1),
            ("first_blood", award.key, award.kind == "first_solve"),
        ):
            if wanted and await self._levels.badge(unit, award.member_id, badge, badge_key,
                                                   award.at):
                badges.append(badge)
        return AwardResult(award.amount, points, points - spent, result.level_before,
                           result.level_after, tuple(badges))

    async def hold(self, unit: Unit, member_id: int, amount: int, kind: str, reason: str,
                   key: str, *, count_zero: bool = False) -> AwardResult | None:
        """Make one award under ``key`` held: award unless it is held already.

        Awards and their reversals alternate under ``key``, ``key:1``, ``key:2`` …, so an
        odd count means held; flipping back and forth never holds more than one award, and
        two racing units collide on the same next key (the second is a no-op).
        """
        rows = await unit.points.entries(member_id, key)
        if len(rows) % 2 == 1:
            return None
        return await self.record(unit, member_id, amount, kind, reason,
                                 _numbered(key, len(rows)), count_zero=count_zero)

    async def release(self, unit: Unit, member_id: int, key: str) -> bool:
        """Take back the award held under ``key`` with a reversing row; False if none is held.

        The reversal lowers the totals of the periods the award counted in, so a weekly
        board loses exactly what it gained.
        """
        rows = await unit.points.entries(member_id, key)
        if len(rows) % 2 == 0:
            return False
        award = rows[-1]
        now = self._clock.now()
        row = self._row(member_id, -award.amount, award.kind, f"taken back: {award.reason}",
                        _numbered(key, len(rows)), now)
        row.update(period_week=award.period_week, period_month=award.period_month)
        ledger_id = await unit.points.append(row)
        if ledger_id is None:
            return False
        points, spent, _, _ = await unit.points.add_totals(
            member_id, ["all", award.period_week, award.period_month], points=-award.amount,
            events=-int(award.kind == "attendance"))
        await self._levels.after_change(unit, member_id, points + award.amount, points, spent,
                                        now, ledger_id)
        return True

    async def _streak(self, unit: Unit, member_id: int, now: datetime) -> list[str]:
        """Count consecutive local days with activity; award the streak bonus."""
        advanced = await self._levels.advance_streak(unit, member_id, now)
        if advanced is None:
            return []
        streak, today = advanced
        if streak >= 2 and self._terms.rules.streak > 0:
            await self.record(unit, member_id, self._terms.rules.streak, "streak",
                              f"{streak}-day streak", f"streak:{member_id}:{today}", at=now)
        if streak >= self._terms.rules.streak_badge_days and await self._levels.badge(
                unit, member_id, "streak", f"streak:{today - timedelta(days=streak - 1)}", now):
            return ["streak"]
        return []

    async def award_many(self, awards: Sequence[Award]) -> int:
        """Append many awards in one transaction (imports, backfills); returns rows added.

        Rows go to the storage as plain tuples and the totals are summed in SQL from the
        rows really inserted (G3: >= 0.40 of a raw insert). Badges and streaks are not
        evaluated and no level-up is announced (a backfill would flood the channel), but
        level roles are planned for every member whose level moved.
        """
        if not awards:
            return 0
        return await self._store(awards, self._rows(awards, PeriodKeys(self._terms.zone)))

    async def award_batches(self, batches: Iterable[Sequence[Award]]) -> int:
        """``award_many`` for each batch in turn, one unit each; returns rows added.

        The next batch's rows are made in a thread while the database writes the previous
        one (an import's Python work then overlaps its writes instead of adding to them).
        """
        keys = PeriodKeys(self._terms.zone)
        source = iter(batches)

        def prepare() -> tuple[Sequence[Award], list[tuple[Any, ...]]] | None:
            batch = next(source, None)
            return None if batch is None else (batch, self._rows(batch, keys))

        added = 0
        ready = await asyncio.to_thread(prepare)
        while ready is not None:
            upcoming = asyncio.ensure_future(asyncio.to_thread(prepare))
            try:
                if ready[0]:
                    added += await self._store(*ready)
            except BaseException:
                upcoming.cancel()
                raise
            ready = await upcoming
        return added

    @staticmethod
    def _rows(awards: Sequence[Award], keys: PeriodKeys) -> list[tuple[Any, ...]]:
        """The ledger tuples of ``awards`` (``LEDGER_COLUMNS`` order)."""
        rows = []
        for a in awards:
            if a.amount <= 0:
                raise ValueError("award_many() takes positive awards only")
            week, month = keys(a.at)
            rows.append((a.member_id, a.amount, a.kind, a.reason[:MAX_REASON], a.key[:200],
                         week, month, a.at))
        return rows

    async def _store(self, awards: Sequence[Award], rows: list[tuple[Any, ...]]) -> int:
        async with self._db.unit() as unit:
            roles = self._terms.rules.level_roles
            members = sorted({a.member_id for a in awards}) if roles else []
            before = await unit.points.all_time(members)
            added = await unit.points.append_with_totals(rows)
            if added and roles:  # no level-up messages for a backfill, but the roles follow
                curve, now = self._terms.curve, self._clock.now()
                for member_id, points in (await unit.points.all_time(members)).items():
                    old, new = curve.level(before.get(member_id, 0)), curve.level(points)
                    if old != new:
                        await plan_roles(unit, self._terms.rules, member_id, old, new, now)
            return added

    async def take(self, unit: Unit, member_id: int, name: str, amount: int, reason: str,
                   key: str) -> AwardResult:
        """Lower earned points, never below a zero balance (an admin's correction)."""
        now = self._clock.now()
        week, month = week_key(now, self._terms.zone), month_key(now, self._terms.zone)
        ledger_id = await unit.points.append(
            self._row(member_id, -amount, "admin", reason, key, now))
        if ledger_id is None:
            raise UserError("That command was already applied.")
        if not await unit.points.spend(member_id, amount, earned=True):
            have = await self.balance(unit, member_id)
            raise UserError(f"{name} has only {have} points; I can take at most that.")
        await unit.points.add_totals(member_id, [week, month], points=-amount)
        total = await unit.points.totals(member_id)
        assert total is not None  # spend() just matched it
        return await self._levels.after_change(unit, member_id, total.points + amount,
                                               total.points, total.spent, now, ledger_id)

    async def charge(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Spend ``amount`` of the balance in ``unit``; a UserError if it is not there."""
        now = self._clock.now()
        if await unit.points.append(
                self._row(member_id, -amount, "redeem", reason, key, now)) is None:
            raise UserError("That was already done.")
        if not await unit.points.spend(member_id, amount):
            have = await self.balance(unit, member_id)
            raise UserError(f"You need {amount} points and have {have}.")

    async def refund(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Give back spent points (a rejected redemption)."""
        now = self._clock.now()
        if await unit.points.append(
                self._row(member_id, amount, "refund", reason, key, now)) is not None:
            await unit.points.add_totals(member_id, ["all"], spent=-amount)

    async def balance(self, unit: Unit, member_id: int) -> int:
        """Points the member can still spend."""
        total = await unit.points.totals(member_id)
        return 0 if total is None else total.points - total.spent


def _rounds(awards: Sequence[Award]) -> list[list[tuple[int, Award]]]:
    """``awards`` (numbered) in rounds naming each member and each key at most once.

    A member's awards keep their order: each goes in a later round than the one before.
    """
    rounds: list[list[tuple[int, Award]]] = []
    for i, award in enumerate(awards):
        later = 1 + max((n for n, batch in enumerate(rounds)
                         if any(a.member_id == award.member_id or a.key[:200] == award.key[:200]
                                for _, a in batch)), default=-1)
        if later == len(rounds):
            rounds.append([])
        rounds[later].append((i, award))
    return rounds


def _numbered(key: str, n: int) -> str:
    """The ``n``-th key of a held award's family (the first is ``key`` itself)."""
    return key if n == 0 else f"{key}:{n}"
