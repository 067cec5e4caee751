"""The weekly slots that reach the most members, from their local activity hours."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from bot.core.errors import UserError
from bot.services.analytics.views import BestTimes
from config.settings import AnalyticsSettings
from recommender import slots as slot_math
from storage import Unit

ACTIVE_KINDS = ("message", "command", "reaction", "checkin", "submission", "voice")


def check_duration(duration: timedelta) -> None:
    """A session between 5 minutes and a day."""
    if not timedelta(minutes=5) <= duration <= timedelta(hours=24):
        raise UserError("The duration must be between 5 minutes and 24 hours.")


async def best_times(unit: Unit, settings: AnalyticsSettings, now: datetime,
                     duration: timedelta, since: datetime | None = None) -> BestTimes:
    """Three weekly slots reaching the most members over [since, now) (default: N weeks)."""
    since = since or now - timedelta(weeks=settings.besttime_weeks)
    members = await unit.analytics.zones()
    activity: dict[int, list[datetime]] = defaultdict(list)
    async for member_id, _kind, at in unit.analytics.interactions(since, now, ACTIVE_KINDS):
        activity[member_id].append(at)
    habits = [slot_math.Habit(m, members[m][0], members[m][1], times)
              for m, times in activity.items() if m in members]
    try:
        slots = slot_math.best_slots(habits, since, now, duration=duration)
    except slot_math.NotEnoughActivity as exc:
        raise UserError(f"Not enough activity to find a best time: {exc}.") from None
    share, _ = slot_math.presence(habits, since, now, slots[0].hours)
    return BestTimes(since, now, duration, slots, slots[0].members,
                     [float(x) for x in share.sum(axis=0)])
