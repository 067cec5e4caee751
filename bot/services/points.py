"""Points: the ledger, the rules that award, levels, badges, role rewards, leaderboards.

Every award is one append-only ledger row with an idempotency key, written in the same
transaction as the member's maintained totals (all time, the local week, the local month),
so a leaderboard reads the top rows of ``point_totals`` instead of grouping the ledger
(PERFORMANCE.md §1c, G3). Totals change only through atomic SQL (``x = x + n``; a spend
is ``UPDATE … WHERE balance >= n``), never read-modify-write in Python: two concurrent
awards cannot lose one (Red's bank, ARCHITECTURE.md §3.7, is the counter-example).

Other features award through :meth:`PointsService.award` (challenges, the
``PointsAwarder`` port) and :meth:`PointsService.participation` (events) inside their own
unit of work, so a solve and its points commit together or not at all. Role rewards are
queued as ``role_tasks`` in that unit and applied by :meth:`PointsService.sync_roles`
through the core's :class:`~bot.core.ports.RoleManager` after the commit.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.clock import Clock
from bot.core.dispatch import MessageContext
from bot.core.errors import BotError, UserError
from bot.core.model import Member, Platform
from bot.core.ports import RoleManager
from bot.services import levels
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.repos.points import METRICS

logger = logging.getLogger(__name__)

PERIODS = ("week", "month", "all")
ACTIVE_KINDS = frozenset({"message", "rsvp", "attendance", "feedback", "challenge"})
MAX_ROLE_ATTEMPTS = 5
MAX_REASON = 200

BADGES: Mapping[str, str] = {
    "first_event": "First event attended",
    "five_events": "Five events attended",
    "first_solve": "First challenge solved",
    "first_blood": "First to solve a challenge",
    "streak": "Active every day for a week",
    "weekly_top3": "Weekly top 3",
    "weekly_winner": "Member of the week",
}


@dataclass(frozen=True, slots=True)
class PointRules:
    """The rules, with the defaults of :class:`config.settings.PointsSettings`."""

    timezone: str = "UTC"
    message_min: int = 15
    message_max: int = 25
    message_cooldown_seconds: float = 60.0
    message_min_length: int = 10
    duplicate_similarity: float = 0.8
    duplicate_window: int = 5
    reaction_points: int = 2
    reaction_daily_cap: int = 10
    rsvp: int = 10
    attendance: int = 50
    feedback: int = 15
    streak: int = 5
    streak_badge_days: int = 7
    excluded_channels: tuple[str, ...] = ()
    excluded_roles: tuple[str, ...] = ()
    level_a: int = 5
    level_b: int = 50
    level_c: int = 100
    level_up_message: Literal["dm", "channel", "off"] = "dm"
    level_roles: Mapping[int, str] = field(default_factory=dict)
    role_mode: Literal["add", "replace"] = "replace"
    discord_guild_id: str | None = None
    leaderboard_cron: str = "0 9 * * mon"
    leaderboard_size: int = 10
    max_admin_amount: int = 10_000

    def __post_init__(self) -> None:
        if self.message_min > self.message_max:
            raise ValueError("points: message_min is above message_max")
        values.zone(self.timezone)  # a bad zone fails at start-up

    @property
    def curve(self) -> levels.Curve:
        """The level curve."""
        return levels.Curve(self.level_a, self.level_b, self.level_c)

    @property
    def zone(self) -> ZoneInfo:
        """The community's time zone (weeks start on Monday there)."""
        return values.zone(self.timezone)


@dataclass(frozen=True, slots=True)
class AwardResult:
    """What one award did."""

    amount: int
    points: int
    balance: int
    level_before: int
    level_after: int
    badges: tuple[str, ...] = ()

    @property
    def levelled_up(self) -> bool:
        """Whether the member reached a new level."""
        return self.level_after > self.level_before


@dataclass(frozen=True, slots=True)
class Award:
    """One award for the bulk path (imports, benchmarks): no side rules run."""

    member_id: int
    amount: int
    kind: str
    reason: str
    key: str
    at: datetime


@dataclass(frozen=True, slots=True)
class BoardRow:
    """One line of a leaderboard."""

    rank: int
    member_id: int
    name: str
    value: int


@dataclass(frozen=True, slots=True)
class Board:
    """One page of a leaderboard."""

    period: str
    metric: str
    label: str
    page: int
    pages: int
    rows: tuple[BoardRow, ...]


@dataclass(frozen=True, slots=True)
class Standing:
    """A member's points, level, progress, rank and badges (``/rank``)."""

    member_id: int
    name: str
    points: int
    balance: int
    level: int
    into_level: int
    level_size: int
    rank: int | None
    ranked: int
    week_points: int
    badges: tuple[str, ...]
    streak: int


@dataclass(frozen=True, slots=True)
class BadgeView:
    """A badge kind a member holds, and how many times."""

    badge: str
    title: str
    count: int
    first_at: datetime


class PointsService:
    """Awards, corrections, standings, leaderboards, badges, role rewards, weekly posts."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, rules: PointRules,
                 *, rng: random.Random | None = None) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self.rules = rules
        self._rng = rng or random.Random()  # noqa: S311 - chat points, not secrets
        self._roles: dict[Platform, RoleManager] = {}
        self._tombstone: int | None = None
        # Hot-path caches (per process; the database stays the truth, so a stale entry
        # only sends a message to the database check it would have had anyway).
        self._last_award: dict[int, datetime] = {}
        self._recent: dict[int, list[list[int]]] = {}

    def use_roles(self, roles: RoleManager) -> None:
        """Apply role rewards on ``roles.platform`` (the Discord adapter's ``roles``)."""
        self._roles[roles.platform] = roles

    # -- awarding ----------------------------------------------------------------------------

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        """The challenges' ``PointsAwarder``: award once per ``key`` inside ``unit``."""
        kind = ("first_solve" if key.endswith(":first-solve")
                else "challenge" if ":solved:" in key else "bonus")
        return await self.record(unit, member_id, amount, kind, reason, key) is not None

    async def participation(self, unit: Unit, member_id: int, action: str,
                            event_id: int) -> None:
        """The events' hook: ``rsvp``, ``attendance`` or ``feedback``, once per event."""
        amount = {"rsvp": self.rules.rsvp, "attendance": self.rules.attendance,
                  "feedback": self.rules.feedback}[action]
        reason = {"rsvp": "RSVP to event", "attendance": "attended event",
                  "feedback": "feedback on event"}[action]
        await self.record(unit, member_id, amount, action, f"{reason} #{event_id}",
                          f"{action}:{event_id}:{member_id}", count_zero=action == "attendance")

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
        now = at or self._clock.now()
        zone = self.rules.zone
        week, month = levels.week_key(now, zone), levels.month_key(now, zone)
        ledger_id = await unit.points.append({
            "member_id": member_id, "amount": amount, "kind": kind,
            "reason": reason[:MAX_REASON], "key": key[:200], "period_week": week,
            "period_month": month, "created_at": now,
        })
        if ledger_id is None:
            return None
        badges: list[str] = []
        if kind in ACTIVE_KINDS:
            # The rule state is locked before the totals, as on_message() does, so two
            # units touching one member always lock in the same order (no deadlock).
            badges += await self._streak(unit, member_id, now)
        points, spent, solved, attended = await unit.points.add_totals(
            member_id, ["all", week, month], points=amount,
            challenges=int(kind == "challenge"), events=int(kind == "attendance"))
        result = await self._after_change(unit, member_id, points - amount, points, spent,
                                          now, ledger_id)
        for badge, badge_key, wanted in (
            ("first_event", "first_event", attended >= 1),
            ("five_events", "five_events", attended >= 5),
            ("first_solve", "first_solve", solved >= 1),
            ("first_blood", key, kind == "first_solve"),
        ):
            if wanted and await self._badge(unit, member_id, badge, badge_key, now):
                badges.append(badge)
        return AwardResult(amount, points, points - spent, result.level_before,
                           result.level_after, tuple(badges))

    async def award_many(self, awards: Sequence[Award]) -> int:
        """Append many awards in one transaction (imports, backfills); returns rows added.

        Totals are added per member and period in one statement each, so the cost is one
        batched insert plus one upsert per touched total. Levels, badges and streaks are
        not evaluated here.
        """
        if not awards:
            return 0
        zone = self.rules.zone
        rows = []
        for a in awards:
            if a.amount <= 0:
                raise ValueError("award_many() takes positive awards only")
            rows.append({"member_id": a.member_id, "amount": a.amount, "kind": a.kind,
                         "reason": a.reason[:MAX_REASON], "key": a.key[:200],
                         "period_week": levels.week_key(a.at, zone),
                         "period_month": levels.month_key(a.at, zone), "created_at": a.at})
        async with self._db.unit() as unit:
            added = set(await unit.points.append_many(rows))
            deltas: dict[tuple[int, str], list[int]] = {}
            for a, row in zip(awards, rows, strict=True):
                if row["key"] not in added:
                    continue
                solved = int(a.kind == "challenge")
                attended = int(a.kind == "attendance")
                for period in ("all", str(row["period_week"]), str(row["period_month"])):
                    slot = deltas.setdefault((a.member_id, period), [0, 0, 0])
                    slot[0] += a.amount
                    slot[1] += solved
                    slot[2] += attended
            await unit.points.add_totals_many(
                [{"member_id": m, "period": p, "points": d[0], "spent": 0,
                  "challenges": d[1], "events": d[2]} for (m, p), d in deltas.items()])
        return len(added)

    async def on_message(self, context: MessageContext) -> AwardResult | None:
        """The chat-message rule: cooldown, no DMs, no short or repeated text, exclusions."""
        incoming, member_id = context.incoming, context.member.member_id
        rules = self.rules
        if incoming.place.is_direct or self._excluded(incoming.place.place_id,
                                                      incoming.place.name, incoming.roles):
            return None
        if len(levels.normalise(incoming.text)) < rules.message_min_length:
            return None
        now = incoming.received_at
        cooldown = timedelta(seconds=rules.message_cooldown_seconds)
        last = self._last_award.get(member_id)
        if last is not None and now - last < cooldown:
            return None
        signature = levels.fingerprint(incoming.text)
        if self._repeats(signature, self._recent.get(member_id, [])):
            return None
        async with self._db.unit() as unit:
            state = await unit.points.state(member_id, lock=True)
            recent: list[list[int]] = json.loads(state.fingerprints)
            self._recent[member_id] = recent
            if state.last_message_at is not None and now - state.last_message_at < cooldown:
                self._last_award[member_id] = state.last_message_at
                return None
            if self._repeats(signature, recent):
                return None
            recent = [signature, *recent][: rules.duplicate_window]
            state.last_message_at = now
            state.fingerprints = json.dumps(recent)
            amount = self._rng.randint(rules.message_min, rules.message_max)
            result = await self.record(
                unit, member_id, amount, "message", "chat message",
                f"msg:{incoming.author.platform}:{incoming.place.place_id}:{incoming.source_id}",
                at=now)
        self._last_award[member_id] = now
        self._recent[member_id] = recent
        if result is not None and result.levelled_up:
            await self.sync_roles()
        return result

    async def reaction_received(self, member_id: int, source_key: str, at: datetime,
                                place_id: str = "", place_name: str = "") -> AwardResult | None:
        """Points for a reaction to the member's message, up to a daily cap."""
        if self.rules.reaction_points <= 0 or self._excluded(place_id, place_name, ()):
            return None
        day = str(levels.local_day(at, self.rules.zone))
        async with self._db.unit() as unit:
            state = await unit.points.state(member_id, lock=True)
            if state.reaction_day != day:
                state.reaction_day, state.reactions = day, 0
            if state.reactions >= self.rules.reaction_daily_cap:
                return None
            result = await self.record(unit, member_id, self.rules.reaction_points,
                                       "reaction", "reaction received",
                                       f"reaction:{source_key}", at=at)
            if result is not None:
                state.reactions += 1
        return result

    def _excluded(self, place_id: str, place_name: str, roles: Sequence[str]) -> bool:
        channels = {c.lower().lstrip("#") for c in self.rules.excluded_channels}
        if place_id.lower() in channels or place_name.lower().lstrip("#") in channels:
            return True
        excluded_roles = {r.lower() for r in self.rules.excluded_roles}
        return any(r.lower() in excluded_roles for r in roles)

    def _repeats(self, signature: list[int], recent: Sequence[Sequence[int]]) -> bool:
        return any(levels.similarity(signature, r) >= self.rules.duplicate_similarity
                   for r in recent)

    # -- admin corrections -------------------------------------------------------------------

    async def give(self, admin: Member, target: Member, amount: int, reason: str,
                   source_id: str) -> AwardResult:
        """``/points give``: add points (audited by the dispatcher)."""
        self._check_amount(amount, reason)
        async with self._db.unit() as unit:
            await self._require_member(unit, target)
            result = await self.record(unit, target.member_id, amount, "admin",
                                       f"{reason} (by {admin.display_name})",
                                       f"admin:{source_id}")
        if result is None:
            raise UserError("That command was already applied.")
        await self.sync_roles()
        return result

    async def take(self, admin: Member, target: Member, amount: int, reason: str,
                   source_id: str) -> AwardResult:
        """``/points take``: remove points, never below a zero balance."""
        self._check_amount(amount, reason)
        now = self._clock.now()
        zone = self.rules.zone
        week, month = levels.week_key(now, zone), levels.month_key(now, zone)
        async with self._db.unit() as unit:
            await self._require_member(unit, target)
            ledger_id = await unit.points.append({
                "member_id": target.member_id, "amount": -amount, "kind": "admin",
                "reason": f"{reason} (by {admin.display_name})"[:MAX_REASON],
                "key": f"admin:{source_id}", "period_week": week, "period_month": month,
                "created_at": now,
            })
            if ledger_id is None:
                raise UserError("That command was already applied.")
            if not await unit.points.spend(target.member_id, amount, earned=True):
                have = await self._balance(unit, target.member_id)
                raise UserError(f"{target.display_name} has only {have} points; "
                                f"I can take at most that.")
            await unit.points.add_totals(target.member_id, [week, month], points=-amount)
            total = await unit.points.totals(target.member_id)
            assert total is not None  # spend() just matched it
            result = await self._after_change(unit, target.member_id, total.points + amount,
                                              total.points, total.spent, now, ledger_id)
        await self.sync_roles()
        return replace_amount(result, -amount)

    def _check_amount(self, amount: int, reason: str) -> None:
        if not 1 <= amount <= self.rules.max_admin_amount:
            raise UserError(f"Give an amount from 1 to {self.rules.max_admin_amount}.")
        if not reason.strip():
            raise UserError("Please give a reason; it is kept in the ledger.")
        if len(reason) > MAX_REASON - 40:
            raise UserError(f"The reason is too long (at most {MAX_REASON - 40} characters).")

    async def _require_member(self, unit: Unit, member: Member) -> None:
        if await unit.members.get(member.member_id) is None or (
                member.member_id == await self._tombstone_id(unit)):
            raise UserError("I don't know that member.")

    # -- spending (the reward shop) ----------------------------------------------------------

    async def charge(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Spend ``amount`` of the balance in ``unit``; a UserError if it is not there."""
        now = self._clock.now()
        zone = self.rules.zone
        if await unit.points.append({
            "member_id": member_id, "amount": -amount, "kind": "redeem",
            "reason": reason[:MAX_REASON], "key": key, "period_week": levels.week_key(now, zone),
            "period_month": levels.month_key(now, zone), "created_at": now,
        }) is None:
            raise UserError("That was already done.")
        if not await unit.points.spend(member_id, amount):
            have = await self._balance(unit, member_id)
            raise UserError(f"You need {amount} points and have {have}.")

    async def refund(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Give back spent points (a rejected redemption)."""
        now = self._clock.now()
        zone = self.rules.zone
        if await unit.points.append({
            "member_id": member_id, "amount": amount, "kind": "refund",
            "reason": reason[:MAX_REASON], "key": key, "period_week": levels.week_key(now, zone),
            "period_month": levels.month_key(now, zone), "created_at": now,
        }) is not None:
            await unit.points.add_totals(member_id, ["all"], spent=-amount)

    async def _balance(self, unit: Unit, member_id: int) -> int:
        total = await unit.points.totals(member_id)
        return 0 if total is None else total.points - total.spent

    # -- levels, badges, streaks, roles ------------------------------------------------------

    async def _after_change(self, unit: Unit, member_id: int, before: int, after: int,
                            spent: int, now: datetime, ledger_id: int) -> AwardResult:
        curve = self.rules.curve
        old, new = curve.level(before), curve.level(after)
        result = AwardResult(after - before, after, after - spent, old, new)
        if old == new:
            return result
        name = await self._name(unit, member_id)
        if new > old:
            await self._level_up_message(unit, member_id, name, new, now, ledger_id)
        reached = [lv for lv in self.rules.level_roles if old < lv <= new]
        if reached:
            role = self.rules.level_roles[max(reached)]
            await self._announce(unit, f"{name} reached level {max(reached)} and is now "
                                 f"{role}!", f"levelrole:{member_id}:{max(reached)}",
                                 now, skip=Platform.DISCORD)
        await self._plan_roles(unit, member_id, old, new, now)
        return result

    async def _plan_roles(self, unit: Unit, member_id: int, old: int, new: int,
                          now: datetime) -> None:
        """Queue role changes for a level move (add, or replace the previous one)."""
        roles = self.rules.level_roles
        if not roles:
            return

        def held(level: int) -> set[str]:
            earned = sorted(lv for lv in roles if lv <= level)
            if not earned:
                return set()
            if self.rules.role_mode == "replace":
                return {roles[earned[-1]]}
            return {roles[lv] for lv in earned}

        before, after = held(old), held(new)
        reason = f"level {new}"
        for role in sorted(before - after):
            await unit.points.add_role_task(member_id, role, False, reason, now)
        for role in sorted(after - before):
            await unit.points.add_role_task(member_id, role, True, reason, now)

    async def _level_up_message(self, unit: Unit, member_id: int, name: str, level: int,
                                now: datetime, ledger_id: int) -> None:
        mode = self.rules.level_up_message
        text = f"Level up! {name} reached level {level}."
        key = f"levelup:{member_id}:{level}:{ledger_id}"
        if mode == "dm":
            await self._outbox.put(unit, [Outgoing(key=key, kind=OutboxKind.NOTICE, text=text,
                                                   due_at=now, member_id=member_id)])
        elif mode == "channel":
            await self._announce(unit, text, key, now)

    async def _announce(self, unit: Unit, text: str, key: str, now: datetime, *,
                        skip: Platform | None = None) -> None:
        """Post in each platform's leaderboard channel."""
        messages = [
            Outgoing(key=f"{key}:{platform}:{place}", kind=OutboxKind.ANNOUNCEMENT, text=text,
                     due_at=now, platform=Platform(platform), place_id=place)
            for platform, place in await unit.channels.channels("leaderboard")
            if skip is None or platform != skip.value
        ]
        if messages:
            await self._outbox.put(unit, messages)

    async def _badge(self, unit: Unit, member_id: int, badge: str, key: str,
                     now: datetime) -> bool:
        if not await unit.points.add_badge(member_id, badge, key[:64], now):
            return False
        name = await self._name(unit, member_id)
        await self._announce(unit, f"{name} earned a badge: {BADGES[badge]}.",
                             f"badge:{member_id}:{key}", now)
        return True

    async def _streak(self, unit: Unit, member_id: int, now: datetime) -> list[str]:
        """Count consecutive local days with activity; award the streak bonus."""
        today = levels.local_day(now, self.rules.zone)
        state = await unit.points.state(member_id, lock=True)
        if state.streak_day == str(today):
            return []
        yesterday = str(today - timedelta(days=1))
        state.streak = state.streak + 1 if state.streak_day == yesterday else 1
        state.streak_day = str(today)
        state.best_streak = max(state.best_streak, state.streak)
        badges = []
        if state.streak >= 2 and self.rules.streak > 0:
            await self.record(unit, member_id, self.rules.streak, "streak",
                              f"{state.streak}-day streak", f"streak:{member_id}:{today}",
                              at=now)
        if state.streak >= self.rules.streak_badge_days and await self._badge(
                unit, member_id, "streak", f"streak:{today - timedelta(days=state.streak - 1)}",
                now):
            badges.append("streak")
        return badges

    async def sync_roles(self, limit: int = 100) -> int:
        """Apply queued role changes through the role managers; returns tasks finished."""
        if not self._roles:
            return 0
        async with self._db.unit() as unit:
            tasks = await unit.points.pending_role_tasks(limit)
            for task in tasks:  # claim: a crash mid-call costs an attempt, not a loop
                task.attempts += 1
            plans = []
            for task in tasks:
                plans.append((task.id, task.role, task.grant, task.reason, task.attempts,
                              await unit.points.accounts(task.member_id, "discord")))
            guilds = ([self.rules.discord_guild_id] if self.rules.discord_guild_id
                      else await unit.points.communities("discord"))
        done = 0
        manager = self._roles.get(Platform.DISCORD)
        for task_id, role, grant, reason, attempts, accounts in plans:
            outcome: dict[str, object] = {"status": "done", "last_error": None}
            if manager is None or not accounts or not guilds:
                outcome = {"status": "skipped", "last_error": "no Discord account or server"}
            else:
                try:
                    for guild in guilds:
                        for user_id in accounts:
                            if grant:
                                await manager.grant_role(guild, user_id, role, reason=reason)
                            else:
                                await manager.remove_role(guild, user_id, role, reason=reason)
                except UserError as exc:  # unknown role or member, or not permitted
                    outcome = {"status": "failed", "last_error": str(exc)[:300]}
                except BotError as exc:  # a transient delivery failure: try again later
                    final = attempts >= MAX_ROLE_ATTEMPTS
                    outcome = {"status": "failed" if final else "pending",
                               "last_error": str(exc)[:300]}
            if outcome["status"] != "pending":
                done += 1
            async with self._db.unit() as unit:
                await unit.points.finish_role_task(task_id, **outcome)
            if outcome["status"] == "failed":
                logger.warning("role task %s failed: %s", task_id, outcome["last_error"])
        return done

    # -- reading -----------------------------------------------------------------------------

    async def standing(self, member: Member) -> Standing:
        """Points, balance, level, progress, all-time rank, badges and streak."""
        async with self._db.unit() as unit:
            tomb = await self._tombstone_id(unit)
            total = await unit.points.totals(member.member_id)
            week = await unit.points.totals(member.member_id,
                                            levels.week_key(self._clock.now(), self.rules.zone))
            points = total.points if total else 0
            spent = total.spent if total else 0
            rank = (await unit.points.count_above("all", "points", points, tomb) + 1
                    if points > 0 else None)
            ranked = await unit.points.count_ranked("all", "points", tomb)
            badges = tuple(b.badge for b in await unit.points.badges(member.member_id))
            state = await unit.points.state(member.member_id)
            streak = state.streak if state.streak_day and self._streak_alive(state.streak_day) \
                else 0
            name = await self._name(unit, member.member_id)
        level, into, size = self.rules.curve.progress(points)
        return Standing(member.member_id, name, points, points - spent, level, into, size, rank,
                        ranked, week.points if week else 0, badges, streak)

    def _streak_alive(self, day: str) -> bool:
        today = levels.local_day(self._clock.now(), self.rules.zone)
        return day in (str(today), str(today - timedelta(days=1)))

    def period_key(self, period: str, moment: datetime | None = None) -> str:
        """``all``, or the week's or month's key of ``moment`` (default now)."""
        moment = moment or self._clock.now()
        if period == "week":
            return levels.week_key(moment, self.rules.zone)
        if period == "month":
            return levels.month_key(moment, self.rules.zone)
        if period == "all":
            return "all"
        raise UserError("Choose week, month or all.")

    async def leaderboard(self, period: str = "week", metric: str = "points", page: int = 1,
                          size: int = 10) -> Board:
        """One page of a leaderboard, read from the maintained totals (O(page))."""
        if metric not in METRICS:
            raise UserError("Choose points, challenges or events.")
        key = self.period_key(period)
        size = max(1, min(size, 25))
        async with self._db.unit() as unit:
            tomb = await self._tombstone_id(unit)
            ranked = await unit.points.count_ranked(key, metric, tomb)
            pages = max(1, -(-ranked // size))
            if page < 1 or page > pages:
                raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} "
                                f"page{'s' if pages != 1 else ''}.")
            rows = await unit.points.top(key, metric, size, (page - 1) * size, tomb)
            first_rank = 1 if page == 1 or not rows else (
                await unit.points.count_above(key, metric, rows[0][2], tomb) + 1)
        board: list[BoardRow] = []
        for index, (member_id, name, value) in enumerate(rows):
            if board and board[-1].value == value:
                rank = board[-1].rank
            else:
                rank = first_rank if index == 0 else (page - 1) * size + index + 1
            board.append(BoardRow(rank, member_id, name, value))
        label = {"week": "this week", "month": "this month", "all": "all time"}[period]
        return Board(period, metric, label, page, pages, tuple(board))

    async def rank_of(self, member_id: int, period: str = "all",
                      metric: str = "points") -> int | None:
        """A member's rank on one board (None when not on it)."""
        key = self.period_key(period)
        async with self._db.unit() as unit:
            total = await unit.points.totals(member_id, key)
            value = 0 if total is None else int(getattr(total, metric))
            if value <= 0:
                return None
            return await unit.points.count_above(key, metric, value,
                                                 await self._tombstone_id(unit)) + 1

    async def badges(self, member_id: int) -> list[BadgeView]:
        """A member's badges grouped by kind, in the order first earned."""
        async with self._db.unit() as unit:
            rows = await unit.points.badges(member_id)
        grouped: dict[str, BadgeView] = {}
        for row in rows:
            seen = grouped.get(row.badge)
            grouped[row.badge] = BadgeView(
                row.badge, BADGES.get(row.badge, row.badge), (seen.count if seen else 0) + 1,
                seen.first_at if seen else row.awarded_at)
        return list(grouped.values())

    async def history(self, member_id: int, limit: int = 10) -> list[tuple[datetime, int, str]]:
        """The member's latest ledger entries."""
        async with self._db.unit() as unit:
            return [(r.created_at, r.amount, r.reason)
                    for r in await unit.points.ledger(member_id, limit)]

    # -- weekly post -------------------------------------------------------------------------

    async def post_weekly(self) -> str:
        """Post last week's top members and biggest movers; badge the winners.

        Runs on the leaderboard cron (default Monday 09:00 in the community's zone), so
        "last week" is the one that just ended. Idempotent per week and channel.
        """
        now = self._clock.now()
        week = levels.previous_week_key(levels.week_key(now, self.rules.zone))
        before = levels.previous_week_key(week)
        size = self.rules.leaderboard_size
        async with self._db.unit() as unit:
            tomb = await self._tombstone_id(unit)
            top = await unit.points.top(week, "points", max(size, 50), 0, tomb)
            earlier = await unit.points.values_of(before, "points", [m for m, _, _ in top])
            for place, (member_id, _, _) in enumerate(top[:3]):
                await self._badge(unit, member_id, "weekly_top3", f"weekly_top3:{week}", now)
                if place == 0:
                    await self._badge(unit, member_id, "weekly_winner",
                                      f"weekly_winner:{week}", now)
            text = render_weekly(week, top[:size], [
                (name, value - earlier.get(member_id, 0))
                for member_id, name, value in top if value - earlier.get(member_id, 0) > 0])
            channels = await unit.channels.channels("leaderboard")
            await self._outbox.put(unit, [
                Outgoing(key=f"leaderboard:{week}:{platform}:{place}",
                         kind=OutboxKind.LEADERBOARD, text=text, due_at=now,
                         platform=Platform(platform), place_id=place)
                for platform, place in channels])
        return text

    # -- identity: linking and forgetting ----------------------------------------------------

    async def merge(self, unit: Unit, source: int, target: int) -> None:
        """Fold ``source``'s totals into ``target``'s before a link merges them.

        One person is then counted once, with the sum (the generic merge would keep one of
        two colliding totals and drop the other).
        """
        await unit.points.move_member(source, target)

    async def _tombstone_id(self, unit: Unit) -> int | None:
        if self._tombstone is None:
            self._tombstone = await unit.points.tombstone()
        return self._tombstone

    async def _name(self, unit: Unit, member_id: int) -> str:
        row = await unit.members.get(member_id)
        return row.display_name if row else "Someone"


def replace_amount(result: AwardResult, amount: int) -> AwardResult:
    """The same result with ``amount`` changed (a take reports a negative amount)."""
    return AwardResult(amount, result.points, result.balance, result.level_before,
                       result.level_after, result.badges)


def render_weekly(week: str, top: Sequence[tuple[int, str, int]],
                  movers: Sequence[tuple[str, int]]) -> str:
    """The weekly leaderboard post."""
    lines = [f"Leaderboard for the week of {week[2:]}"]
    if not top:
        lines.append("Nobody earned points last week. This week is yours!")
    medals = ("🥇", "🥈", "🥉")
    for index, (_, name, value) in enumerate(top):
        mark = medals[index] if index < len(medals) else f"{index + 1}."
        lines.append(f"{mark} {name}: {value} points")
    best = sorted(movers, key=lambda m: -m[1])[:3]
    if best:
        lines.append("Biggest movers: " + ", ".join(f"{n} (+{d})" for n, d in best))
    return "\n".join(lines)


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
