"""Levels, badges and streaks: what a level move or a badge posts and queues.

The curve itself is in :mod:`.curve`. :class:`Levels` runs inside the awarding unit of
work, so a level-up message, a badge and the role changes it queues commit with the award
or not at all.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from bot.core.model import Platform
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.points import texts
from bot.services.points.curve import Curve
from bot.services.points.periods import local_day
from bot.services.points.roles import plan_roles
from bot.services.points.terms import Terms
from bot.services.points.views import AwardResult
from storage import Unit

__all__ = ["Curve", "Levels", "display_name"]


async def display_name(unit: Unit, member_id: int) -> str:
    """The name posts use for a member."""
    row = await unit.members.get(member_id)
    return row.display_name if row else "Someone"


class Levels:
    """Level moves, badges and streaks, inside the unit of work of the award that caused them.

    ``role_platforms`` are where level roles are granted: a level-role announcement skips
    them, since the role itself shows there.
    """

    def __init__(self, outbox: Outbox, terms: Terms,
                 role_platforms: Collection[Platform]) -> None:
        self._outbox = outbox
        self._terms = terms
        self._role_platforms = frozenset(role_platforms)

    async def after_change(self, unit: Unit, member_id: int, before: int, after: int,
                           spent: int, now: datetime, ledger_id: int) -> AwardResult:
        """The result of moving from ``before`` to ``after`` points, with its side effects."""
        old, new = self._terms.curve.level(before), self._terms.curve.level(after)
        result = AwardResult(after - before, after, after - spent, old, new)
        if old == new:
            return result
        name = await display_name(unit, member_id)
        if new > old:
            await self._level_up_message(unit, member_id, name, new, now, ledger_id)
        reached = [lv for lv in self._terms.rules.level_roles if old < lv <= new]
        if reached:
            role = self._terms.rules.level_roles[max(reached)]
            await self.announce(unit, texts.level_role(name, max(reached), role),
                                f"levelrole:{member_id}:{max(reached)}", now,
                                skip=self._role_platforms)
        await plan_roles(unit, self._terms.rules, member_id, old, new, now)
        return result

    async def _level_up_message(self, unit: Unit, member_id: int, name: str, level: int,
                                now: datetime, ledger_id: int) -> None:
        mode = self._terms.rules.level_up_message
        text = texts.level_up(name, level)
        key = f"levelup:{member_id}:{level}:{ledger_id}"
        if mode == "dm":
            await self._outbox.put(unit, [Outgoing(key=key, kind=OutboxKind.NOTICE, text=text,
                                                   due_at=now, member_id=member_id)])
        elif mode == "channel":
            await self.announce(unit, text, key, now)

    async def announce(self, unit: Unit, text: str, key: str, now: datetime, *,
                       skip: Collection[Platform] = ()) -> None:
        """Post in each platform's leaderboard channel."""
        messages = [
            Outgoing(key=f"{key}:{platform}:{place}", kind=OutboxKind.ANNOUNCEMENT, text=text,
                     due_at=now, platform=Platform(platform), place_id=place)
            for platform, place in await unit.channels.channels("leaderboard")
            if Platform(platform) not in skip
        ]
        if messages:
            await self._outbox.put(unit, messages)

    async def badge(self, unit: Unit, member_id: int, badge: str, key: str,
                    now: datetime) -> bool:
        """Give ``badge`` once per ``key`` and announce it; True when it is new."""
        if not await unit.points.add_badge(member_id, badge, key[:64], now):
            return False
        name = await display_name(unit, member_id)
        await self.announce(unit, texts.badge_earned(name, badge),
                            f"badge:{member_id}:{key}", now)
        return True

    async def advance_streak(self, unit: Unit, member_id: int,
                             now: datetime) -> tuple[int, date] | None:
        """Count today in the member's run of active local days.

        Returns (days in the run, today) on the first activity of a day, else None.
        """
        today = local_day(now, self._terms.zone)
        state = await unit.points.state(member_id)
        if state.streak_day == str(today):
            return None
        yesterday = str(today - timedelta(days=1))
        state.streak = state.streak + 1 if state.streak_day == yesterday else 1
        state.streak_day = str(today)
        state.best_streak = max(state.best_streak, state.streak)
        return state.streak, today

    def streak_alive(self, day: str, now: datetime) -> bool:
        """Whether a run last counted on ``day`` still counts at ``now`` (today or yesterday)."""
        today = local_day(now, self._terms.zone)
        return day in (str(today), str(today - timedelta(days=1)))
