"""Reading points back: standings, leaderboards, badges, history, and the weekly post.

Every board reads the maintained totals (O(page)), never the ledger. The tombstone member
that holds forgotten members' points is never ranked.
"""

from __future__ import annotations

from datetime import datetime

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member, Platform
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from bot.services.points import texts
from bot.services.points.levels import Levels
from bot.services.points.periods import month_key, previous_week_key, week_key
from bot.services.points.terms import Terms
from bot.services.points.views import BadgeView, Board, BoardRow, Standing
from storage import Database, Unit
from storage.repos.boards import BoardReads
from storage.repos.points import METRICS

PERIODS = ("week", "month", "all")


class Boards:
    """Standings, leaderboards, badges and the weekly leaderboard post."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, terms: Terms,
                 levels: Levels) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._terms = terms
        self._levels = levels
        self._tombstone: int | None = None
        self._reads = BoardReads(db.engine)

    async def tombstone_id(self, unit: Unit) -> int | None:
        """The member forgotten members' points belong to (cached once it exists)."""
        if self._tombstone is None:
            self._tombstone = await unit.points.tombstone()
        return self._tombstone

    async def standing(self, member: Member) -> Standing:
        """Points, balance, level, progress, all-time rank, badges and streak (two reads)."""
        now = self._clock.now()
        row = await self._reads.standing(member.member_id, week_key(now, self._terms.zone))
        streak = row.streak if row.streak_day and self._levels.streak_alive(
            row.streak_day, now) else 0
        level, into, size = self._terms.curve.progress(row.points)
        rank = row.above + 1 if row.points > 0 else None
        return Standing(member.member_id, row.name or "Someone", row.points,
                        row.points - row.spent, level, into, size, rank, row.ranked,
                        row.week_points, row.badges, streak)

    def period_key(self, period: str, moment: datetime | None = None) -> str:
        """``all``, or the week's or month's key of ``moment`` (default now)."""
        moment = moment or self._clock.now()
        if period == "week":
            return week_key(moment, self._terms.zone)
        if period == "month":
            return month_key(moment, self._terms.zone)
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
        ranked, above, rows = await self._reads.page(key, metric, size, (page - 1) * size)
        pages = max(1, -(-ranked // size))
        if page < 1 or page > pages:
            raise UserError(f"There {'is' if pages == 1 else 'are'} {pages} "
                            f"page{'s' if pages != 1 else ''}.")
        board: list[BoardRow] = []
        for index, (member_id, name, value) in enumerate(rows):  # ties share a rank
            if board and board[-1].value == value:
                rank = board[-1].rank
            else:
                rank = above + 1 if index == 0 else (page - 1) * size + index + 1
            board.append(BoardRow(rank, member_id, name, value))
        return Board(period, metric, texts.PERIOD_LABELS[period], page, pages, tuple(board))

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
                                                 await self.tombstone_id(unit)) + 1

    async def badges(self, member_id: int) -> list[BadgeView]:
        """A member's badges grouped by kind, in the order first earned."""
        async with self._db.unit() as unit:
            rows = await unit.points.badges(member_id)
        grouped: dict[str, BadgeView] = {}
        for row in rows:
            seen = grouped.get(row.badge)
            grouped[row.badge] = BadgeView(
                row.badge, texts.BADGES.get(row.badge, row.badge),
                (seen.count if seen else 0) + 1, seen.first_at if seen else row.awarded_at)
        return list(grouped.values())

    async def history(self, member_id: int, limit: int = 10) -> list[tuple[datetime, int, str]]:
        """The member's latest ledger entries."""
        async with self._db.unit() as unit:
            return [(r.created_at, r.amount, r.reason)
                    for r in await unit.points.ledger(member_id, limit)]

    async def post_weekly(self, at: datetime | None = None) -> str:
        """Post last week's top members and biggest movers; badge the winners.

        Runs on the leaderboard cron (default Monday 09:00 in the community's zone), so
        "last week" is the one that just ended before ``at`` (the cron period, which a run
        caught up after a restart still names). Idempotent per week and channel; a week in
        which nobody earned points posts nothing (the text is still returned).
        """
        now = self._clock.now()
        week = previous_week_key(week_key(at or now, self._terms.zone))
        before = previous_week_key(week)
        size = self._terms.rules.leaderboard_size
        async with self._db.unit() as unit:
            tomb = await self.tombstone_id(unit)
            top = await unit.points.top(week, "points", max(size, 50), 0, tomb)
            earlier = await unit.points.values_of(before, "points", [m for m, _, _ in top])
            for place, (member_id, _, _) in enumerate(top[:3]):
                await self._levels.badge(unit, member_id, "weekly_top3", f"weekly_top3:{week}",
                                         now)
                if place == 0:
                    await self._levels.badge(unit, member_id, "weekly_winner",
                                             f"weekly_winner:{week}", now)
            text = texts.render_weekly(week, top[:size], [
                (name, value - earlier.get(member_id, 0))
                for member_id, name, value in top if value - earlier.get(member_id, 0) > 0])
            # An empty week is not posted: "nobody earned points" helps nobody.
            channels = await unit.channels.channels("leaderboard") if top else []
            await self._outbox.put(unit, [
                Outgoing(key=f"leaderboard:{week}:{platform}:{place}",
                         kind=OutboxKind.LEADERBOARD, text=text, due_at=now,
                         platform=Platform(platform), place_id=place)
                for platform, place in channels])
        return text
