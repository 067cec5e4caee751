"""Community activity over a period: active, new vs returning, messages, retention."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from bot.core.errors import UserError
from bot.services.analytics.attendance import attendance, ended_events
from bot.services.analytics.views import CommunityStats
from config.settings import AnalyticsSettings
from storage import Unit


def monday(day: date) -> date:
    """The Monday starting ``day``'s week."""
    return day - timedelta(days=day.weekday())


async def community(unit: Unit, settings: AnalyticsSettings, since: datetime,
                    now: datetime) -> CommunityStats:
    """Active members, new vs returning, messages, events, solves and retention."""
    first_day = since.date()
    days = [first_day + timedelta(days=i) for i in range((now.date() - first_day).days + 1)]
    weeks = sorted({monday(d) for d in days})
    active_days: dict[date, set[int]] = defaultdict(set)
    active_weeks: dict[date, set[int]] = defaultdict(set)
    messages: Counter[date] = Counter()
    async for member_id, kind, at in unit.analytics.interactions(since, now):
        day = at.date()
        active_days[day].add(member_id)
        active_weeks[monday(day)].add(member_id)
        if kind == "message":
            messages[day] += 1
    if not active_days:
        raise UserError(f"No activity between {since:%Y-%m-%d} and {now:%Y-%m-%d}: "
                        "nothing to chart yet. Try a longer period.")
    first_seen = await unit.analytics.first_seen()
    events = await ended_events(unit, since, now)
    records = await attendance(unit, events, timedelta(minutes=settings.voice_grace_minutes))
    solved = await unit.analytics.solvers_between(since, now)
    rates = [len(a.attended) / len(a.going) for a in records.values() if a.going]
    new, returning = [], []
    for week in weeks:
        members = active_weeks.get(week, set())
        fresh = {m for m in members if monday(first_seen[m].date()) == week}
        new.append(len(fresh))
        returning.append(len(members) - len(fresh))
    cohorts = weeks[-8:]
    retention: list[list[float | None]] = []
    for week in cohorts:
        base = active_weeks.get(week, set())
        row: list[float | None] = []
        for k in range(1, 5):
            later = week + timedelta(weeks=k)
            # Only weeks that have fully ended count; the current one is still filling.
            if not base or later + timedelta(days=7) > now.date():
                row.append(None)
            else:
                row.append(len(base & active_weeks.get(later, set())) / len(base))
        retention.append(row)
    everyone = set().union(*active_days.values())
    return CommunityStats(
        since=since, until=now, days=days,
        daily_active=[len(active_days.get(d, ())) for d in days],
        daily_messages=[messages.get(d, 0) for d in days],
        weeks=weeks, weekly_active=[len(active_weeks.get(w, ())) for w in weeks],
        weekly_new=new, weekly_returning=returning, members_active=len(everyone),
        messages=sum(messages.values()), events_held=len(events),
        avg_attendance=sum(rates) / len(rates) if rates else None,
        challenges_solved=len(solved), solvers=len(set(solved)),
        retention_weeks=cohorts, retention=retention,
    )
