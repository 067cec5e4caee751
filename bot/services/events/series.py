"""Recurring events: RRULEs evaluated in the event's local time, and their occurrences.

Occurrences are computed on local wall times and only then given the zone, so a weekly
18:00 Europe/Berlin session stays at 18:00 local across daylight-saving changes. A series
creates its occurrences a few weeks ahead (:data:`SERIES_HORIZON`), by a daily sweep.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

from dateutil.rrule import rrule, rrulestr

from bot.core.errors import UserError
from bot.core.values import zone
from bot.services.events.reminders import ReminderPlanner
from storage import Unit
from storage.rows.events import EventRow, SeriesRow

SHORTHANDS = {
    "weekly": "FREQ=WEEKLY",
    "biweekly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}
_ALLOWED = {"DAILY", "WEEKLY", "MONTHLY", "YEARLY"}
MAX_OCCURRENCES = 200
SERIES_HORIZON = timedelta(weeks=6)


def parse_recurrence(text: str | None) -> str | None:
    """Turn ``weekly``/``biweekly``/``monthly``/an RRULE into a checked RRULE, or None."""
    if text is None or text.strip().lower() in {"", "none", "once", "no"}:
        return None
    cleaned = text.strip()
    rule = SHORTHANDS.get(cleaned.lower(), cleaned.removeprefix("RRULE:"))
    try:
        parsed = rrulestr(rule, dtstart=datetime(2026, 1, 1, 12))  # noqa: DTZ001 - local
    except (ValueError, TypeError):
        raise UserError(
            f"`{text}` is not a recurrence. Use weekly, biweekly, monthly or an RRULE "
            "such as FREQ=WEEKLY;BYDAY=TU."
        ) from None
    freq = re.search(r"FREQ=([A-Z]+)", rule.upper())
    if not isinstance(parsed, rrule) or freq is None or freq[1] not in _ALLOWED:
        raise UserError("Events can repeat daily, weekly, monthly or yearly, not more often.")
    return rule.upper()


def occurrences(rule: str, local_start: datetime, timezone: str, after: datetime,
                until: datetime) -> list[datetime]:
    """Start times (aware UTC) of the occurrences in [after, until]."""
    tz = zone(timezone)
    recurrence = rrulestr(rule, dtstart=local_start)
    lo = after.astimezone(tz).replace(tzinfo=None)
    hi = until.astimezone(tz).replace(tzinfo=None)
    starts: list[datetime] = []
    for local in recurrence.between(lo, hi, inc=True)[:MAX_OCCURRENCES]:
        aware = local.replace(tzinfo=tz)
        if aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != local:
            continue  # the wall time does not exist that day (clocks jumped)
        starts.append(aware.astimezone(UTC))
    return starts


async def materialize(unit: Unit, series: SeriesRow, until: datetime, now: datetime,
                      reminders: ReminderPlanner) -> list[EventRow]:
    """Create the series' occurrences up to ``until`` that do not exist yet."""
    if series.materialized_until >= until:
        return []
    template = json.loads(series.template)
    starts = occurrences(series.rrule, datetime.fromisoformat(series.local_start),
                         series.timezone, series.materialized_until, until)
    rows = [await unit.events.add(EventRow(**template, starts_at=start, series_id=series.id,
                                           status="scheduled", created_at=now))
            for start in starts if start > series.materialized_until]
    series.materialized_until = until
    for row in rows:
        await reminders.plan_channel(unit, row, now)
    return rows
