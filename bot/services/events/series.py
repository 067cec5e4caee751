"""Recurring events: RRULEs evaluated in the event's local time, and their occurrences.

Occurrences are computed on local wall times and only then given the zone, so a weekly
18:00 Europe/Berlin session stays at 18:00 local across daylight-saving changes. A series
creates its occurrences a few weeks ahead (:data:`SERIES_HORIZON`), by a daily sweep.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, tzinfo

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
ANNOUNCED = "announced"  # the template's mark of a series an admin announced


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
                      reminders: ReminderPlanner, *, announce_new: bool = False
                      ) -> list[EventRow]:
    """Create the series' occurrences up to ``until`` that do not exist yet."""
    if series.materialized_until >= until:
        return []
    template = json.loads(series.template)
    # An announced series (or every one, by setting) has its new occurrences public too.
    public = template.pop(ANNOUNCED, False) or announce_new
    starts = occurrences(series.rrule, datetime.fromisoformat(series.local_start),
                         series.timezone, series.materialized_until, until)
    rows = [await unit.events.add(EventRow(**template, starts_at=start, series_id=series.id,
                                           status="scheduled", created_at=now,
                                           announced_at=now if public else None))
            for start in starts if start > series.materialized_until]
    series.materialized_until = until
    for row in rows:
        await reminders.plan_channel(unit, row, now)
    return rows


_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def move(series: SeriesRow, old_start: datetime, new_start: datetime,
         future: list[datetime], now: datetime) -> list[datetime]:
    """Move a series by the wall-clock shift from ``old_start`` to ``new_start``.

    ``future`` are the starts of the materialised occurrences that move; returns their new
    starts in the same order. The rule's first start and its weekdays shift too, so
    occurrences made later keep the new rhythm, and ``materialized_until`` becomes the last
    moved start, so nothing is made twice and nothing is skipped.
    """
    tz = zone(series.timezone)
    before = _wall(old_start, tz)
    shift = _wall(new_start, tz) - before
    moved = [(_wall(start, tz) + shift).replace(tzinfo=tz).astimezone(UTC) for start in future]
    if any(start <= now for start in moved):
        raise UserError("That move would put a session of the series in the past.")
    series.rrule = _shift_days(series.rrule, ((before + shift).date() - before.date()).days)
    local = datetime.fromisoformat(series.local_start) + shift
    series.local_start = local.isoformat(timespec="minutes")
    if moved:
        series.materialized_until = max(moved)
    return moved


def _wall(moment: datetime, tz: tzinfo) -> datetime:
    return moment.astimezone(tz).replace(tzinfo=None)


def _shift_days(rule: str, days: int) -> str:
    """Shift the weekdays a rule names (``BYDAY=TU`` moved a day later is ``BYDAY=WE``)."""
    days %= 7
    if not days:
        return rule
    parts = []
    for part in rule.split(";"):
        key, _, value = part.partition("=")
        if key == "BYDAY":
            if any(code not in _DAYS for code in value.split(",")):
                raise UserError("This series repeats on numbered weekdays; move it within "
                                "the day, or cancel it and create a new one.")
            value = ",".join(_DAYS[(_DAYS.index(c) + days) % 7] for c in value.split(","))
        elif key in ("BYMONTHDAY", "BYYEARDAY"):
            raise UserError("This series repeats on fixed dates; move it within the day, "
                            "or cancel it and create a new one.")
        parts.append(f"{key}={value}" if _ else key)
    return ";".join(parts)


def mark_announced(series: SeriesRow) -> None:
    """Remember that the series was announced, so later occurrences are public too."""
    template = json.loads(series.template)
    template[ANNOUNCED] = True
    series.template = json.dumps(template)
