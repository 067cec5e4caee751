"""The points feature's use cases: one service over the ledger, rules, levels and boards.

Other features award through :meth:`PointsService.award` (challenges, the
``PointsAwarder`` port) and :meth:`PointsService.participation` (events) inside their own
unit of work, so a solve and its points commit together or not at all. Role rewards are
queued as ``role_tasks`` in that unit and applied by :meth:`PointsService.sync_roles`
through the role managers in the :class:`~bot.core.platforms.Platforms` registry after
the commit.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import datetime

from bot.core.clock import Clock
from bot.core.dispatch import MessageContext
from bot.core.errors import UserError
from bot.core.model import Member, Platform, UserRef
from bot.core.platforms import Platforms
from bot.services.outbox import Outbox
from bot.services.points import imports
from bot.services.points.boards import Boards
from bot.services.points.imports import ImportReport
from bot.services.points.ledger import MAX_REASON, Ledger
from bot.services.points.levels import Levels
from bot.services.points.roles import RoleSync
from bot.services.points.rules import ChatRule
from bot.services.points.terms import Terms
from bot.services.points.views import (
    Award,
    AwardResult,
    BadgeView,
    Board,
    Standing,
    replace_amount,
)
from config.settings import PointsSettings
from storage import Database, Unit

PARTICIPATION = {"rsvp": "RSVP to event", "attendance": "attended event",
                 "feedback": "feedback on event"}


class PointsService:
    """Awards, corrections, standings, leaderboards, badges, role rewards, weekly posts.

    ``rules`` is the settings' points section; ``timezone`` is the community's zone, used
    when the section names none. ``role_communities`` maps each platform that grants role
    rewards to its community id (None: every community the bot has seen there); the role
    managers themselves arrive late, through ``platforms``.
    """

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, platforms: Platforms,
                 rules: PointsSettings, *, timezone: str = "UTC",
                 role_communities: Mapping[Platform, str | None] | None = None,
                 rng: random.Random | None = None) -> None:
        self._terms = Terms(rules, timezone)
        self._roles = RoleSync(db, platforms, role_communities or {})
        self._levels = Levels(outbox, self._terms, self._roles.platforms)
        self._ledger = Ledger(db, clock, self._terms, self._levels)
        self._boards = Boards(db, clock, outbox, self._terms, self._levels)
        self._chat = ChatRule(db, self._terms, self._ledger, self._roles,
                              rng or random.Random())  # noqa: S311 - chat points, not secrets
        self._db = db
        self._clock = clock

    @property
    def rules(self) -> PointsSettings:
        """The points settings in force."""
        return self._terms.rules

    @property
    def timezone(self) -> str:
        """The community's zone name (weeks start on Monday there)."""
        return self._terms.timezone

    # -- awarding ----------------------------------------------------------------------------

    async def award(self, unit: Unit, member_id: int, amount: int, reason: str,
                    key: str) -> bool:
        """The challenges' ``PointsAwarder``: award once per ``key`` inside ``unit``."""
        kind = ("first_solve" if key.endswith(":first-solve")
                else "challenge" if ":solved:" in key else "bonus")
        return await self.record(unit, member_id, amount, kind, reason, key) is not None

    async def participation(self, unit: Unit, member_id: int, action: str,
                            event_id: int) -> None:
        """The events' hook: hold one ``rsvp``, ``attendance`` or ``feedback`` award per event."""
        amount = {"rsvp": self.rules.rsvp, "attendance": self.rules.attendance,
                  "feedback": self.rules.feedback}[action]
        await self._ledger.hold(unit, member_id, amount, action,
                                f"{PARTICIPATION[action]} #{event_id}",
                                f"{action}:{event_id}:{member_id}",
                                count_zero=action == "attendance")

    async def withdraw(self, unit: Unit, member_id: int, action: str, event_id: int) -> None:
        """The events' hook: take back the ``action`` award held for the event, if any."""
        await self._ledger.release(unit, member_id, f"{action}:{event_id}:{member_id}")

    async def record(self, unit: Unit, member_id: int, amount: int, kind: str, reason: str,
                     key: str, *, at: datetime | None = None, count_zero: bool = False,
                     ) -> AwardResult | None:
        """Append one positive award and update totals, level, badges, streak and roles.

        Returns None when ``key`` was already awarded (nothing changes then).
        """
        return await self._ledger.record(unit, member_id, amount, kind, reason, key, at=at,
                                         count_zero=count_zero)

    async def award_many(self, awards: Sequence[Award]) -> int:
        """Append many awards in one transaction (imports, backfills); returns rows added."""
        return await self._ledger.award_many(awards)

    async def award_batches(self, batches: Iterable[Sequence[Award]]) -> int:
        """``award_many`` per batch, the next batch prepared while one is written."""
        return await self._ledger.award_batches(batches)

    async def import_points(self, data: bytes,
                            identify: Callable[[UserRef], Awaitable[Member]]) -> ImportReport:
        """``cohort points import``: a CSV of points from a spreadsheet or another bot.

        All lines or none; a file imported before adds nothing. Level roles are queued and
        applied by the running bot (a command-line import has no platform connection).
        """
        report = await imports.run(data, self._clock.now(), identify, self.award_batches)
        await self.sync_roles()
        return report

    async def on_message(self, context: MessageContext) -> AwardResult | None:
        """The chat-message rule: cooldown, no DMs, no short or repeated text, exclusions."""
        return await self._chat.on_message(context)

    async def reaction_received(self, member_id: int, source_key: str, at: datetime,
                                place_id: str = "", place_name: str = "") -> AwardResult | None:
        """Points for a reaction to the member's message, up to a daily cap."""
        return await self._chat.reaction_received(member_id, source_key, at, place_id,
                                                  place_name)

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
        async with self._db.unit() as unit:
            await self._require_member(unit, target)
            result = await self._ledger.take(unit, target.member_id, target.display_name,
                                             amount, f"{reason} (by {admin.display_name})",
                                             f"admin:{source_id}")
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
                member.member_id == await self._boards.tombstone_id(unit)):
            raise UserError("I don't know that member.")

    # -- spending (the reward shop) ----------------------------------------------------------

    async def charge(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Spend ``amount`` of the balance in ``unit``; a UserError if it is not there."""
        await self._ledger.charge(unit, member_id, amount, reason, key)

    async def refund(self, unit: Unit, member_id: int, amount: int, reason: str,
                     key: str) -> None:
        """Give back spent points (a rejected redemption)."""
        await self._ledger.refund(unit, member_id, amount, reason, key)

    # -- roles -------------------------------------------------------------------------------

    async def sync_roles(self, limit: int = 100) -> int:
        """Apply queued role changes through the role managers; returns tasks finished."""
        return await self._roles.sync(limit)

    # -- reading -----------------------------------------------------------------------------

    async def standing(self, member: Member) -> Standing:
        """Points, balance, level, progress, all-time rank, badges and streak."""
        return await self._boards.standing(member)

    def period_key(self, period: str, moment: datetime | None = None) -> str:
        """``all``, or the week's or month's key of ``moment`` (default now)."""
        return self._boards.period_key(period, moment)

    async def leaderboard(self, period: str = "week", metric: str = "points", page: int = 1,
                          size: int = 10) -> Board:
        """One page of a leaderboard, read from the maintained totals (O(page))."""
        return await self._boards.leaderboard(period, metric, page, size)

    async def rank_of(self, member_id: int, period: str = "all",
                      metric: str = "points") -> int | None:
        """A member's rank on one board (None when not on it)."""
        return await self._boards.rank_of(member_id, period, metric)

    async def badges(self, member_id: int) -> list[BadgeView]:
        """A member's badges grouped by kind, in the order first earned."""
        return await self._boards.badges(member_id)

    async def history(self, member_id: int, limit: int = 10) -> list[tuple[datetime, int, str]]:
        """The member's latest ledger entries."""
        return await self._boards.history(member_id, limit)

    async def post_weekly(self, at: datetime | None = None) -> str:
        """Post the top members of the week before ``at`` (default now); badge the winners."""
        return await self._boards.post_weekly(at)

    # -- identity: linking ---------------------------------------------------------------------

    async def merge(self, unit: Unit, source: int, target: int) -> None:
        """Fold ``source``'s totals into ``target``'s before a link merges them.

        One person is then counted once, with the sum (the generic merge would keep one of
        two colliding totals and drop the other); see :meth:`_rehold` for event awards.
        """
        await self._rehold(unit, source, target)
        await unit.points.move_member(source, target)

    async def _rehold(self, unit: Unit, source: int, target: int) -> None:
        """Move ``source``'s held event awards under ``target``'s keys, once per event.

        A person who RSVP'd one event from both accounts held two RSVP awards, and a held
        award under the old account's key could never be taken back by a later "no". Each
        one ``source`` holds is reversed and held again for ``target`` (a no-op where
        ``target`` holds it already); the pair nets zero, so only the period it counts in
        moves to today.
        """
        counts: dict[tuple[str, str, str], int] = {}
        for key in await unit.points.keys_like(source, [f"{a}:" for a in PARTICIPATION]):
            action, event_id, owner, *_ = [*key.split(":"), "", ""]
            family = (action, event_id, owner)
            counts[family] = counts.get(family, 0) + 1
        for (action, event_id, owner), count in counts.items():
            if count % 2 == 0 or not event_id.isdigit():  # taken back already: not held
                continue
            await self._ledger.release(unit, source, f"{action}:{event_id}:{owner}")
            await self.participation(unit, target, action, int(event_id))
