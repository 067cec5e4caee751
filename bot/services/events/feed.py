"""Many sessions as one subscribable calendar: a series becomes one repeating VEVENT.

A series' sessions in the list share a master VEVENT (the series' RRULE from the first one
held, in the event's zone so the local time survives DST); sessions the rule names that are
not in the list (not going, moved alone) are EXDATEs, and a cancelled one is an override
(RECURRENCE-ID) with ``STATUS:CANCELLED``. Everything else is a single VEVENT.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from icalendar import Event as IcsEvent
from icalendar import vRecur

from bot.services.events import ics, series, views
from storage import Unit
from storage.rows.events import EventRow, SeriesRow

_HORIZON = timedelta(days=5 * 366)  # how far a bounded rule's end is looked for


async def feed(unit: Unit, rows: Sequence[EventRow], now: datetime, *, name: str,
               open_ended: bool) -> bytes:
    """The sessions ``rows`` (scheduled or cancelled) as one iCalendar document.

    ``open_ended`` (the community feed) lets an active series repeat past its last listed
    session, as the rule says; otherwise (a member's feed) it ends at the last one listed.
    """
    singles: list[EventRow] = []
    grouped: dict[int, list[EventRow]] = {}
    for row in rows:
        if row.series_id is not None and not row.detached:
            grouped.setdefault(row.series_id, []).append(row)
        else:
            singles.append(row)
    entries: list[IcsEvent] = []
    for series_id, members in grouped.items():
        recurring = await unit.series.get(series_id)
        if recurring is None or recurring.status != "active":
            singles += members
            continue
        entries += await _series(unit, recurring, members, now, open_ended, singles)
    for row in sorted(singles, key=lambda r: (r.starts_at, r.id)):
        entries.append(ics.entry(await views.load(unit, row.id), now))
    return ics.document(entries, name)


async def _series(unit: Unit, recurring: SeriesRow, rows: list[EventRow], now: datetime,
                  open_ended: bool, singles: list[EventRow]) -> list[IcsEvent]:
    """A series' master VEVENT and its cancelled overrides.

    Sessions the rule does not name (or that come before its first held one) go to
    ``singles``.
    """
    rows = sorted(rows, key=lambda r: (r.starts_at, r.id))
    local_start = datetime.fromisoformat(recurring.local_start)
    rule = vRecur.from_ical(recurring.rrule)
    bounded = "COUNT" in rule or "UNTIL" in rule
    for key in ("COUNT", "UNTIL"):
        rule.pop(key, None)
    held = [r for r in rows if r.status == "scheduled"]
    first = rows[0].starts_at
    if not held:
        singles += rows
        return []
    if open_ended:
        last = recurring.materialized_until
        if bounded:  # the rule's own end, as an UNTIL from this master's start
            ends = series.occurrences(recurring.rrule, local_start, recurring.timezone,
                                      first, first + _HORIZON)
            rule["UNTIL"] = ends[-1] if ends else held[-1].starts_at
    else:
        last = held[-1].starts_at
        rule["UNTIL"] = last
    named = set(series.occurrences(recurring.rrule, local_start, recurring.timezone,
                                   first - timedelta(seconds=1), last))
    listed = [r for r in rows if r.starts_at in named]
    singles += [r for r in rows if r.starts_at not in named]
    kept = [r for r in listed if r.status == "scheduled"]
    if not kept:
        singles += listed
        return []
    start = kept[0].starts_at
    covered = {r.starts_at for r in listed}
    skipped = sorted(s for s in named if s >= start and s not in covered)
    entries = [ics.entry(await views.load(unit, kept[0].id), now, rule, skipped)]
    for row in listed:
        if row.status == "cancelled":
            if row.starts_at < start:
                singles.append(row)
            else:
                entries.append(ics.entry(await views.load(unit, row.id), now,
                                         recurrence_id=row.starts_at))
    return entries

