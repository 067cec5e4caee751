"""Sessions of a series changed on their own, as RFC 5545 overrides of the rule's dates.

Editing one session (moving it, or changing its title) detaches it from its series. In a
calendar file it is then an override: the series' UID with a ``RECURRENCE-ID`` naming the
date the rule gives it, so a calendar shows it at its new time and not at the old one.

The rule's date a moved session replaces is not stored; it is recovered: every session of
a series is made in date order (ids rise with the rule's dates), and a moved session leaves
its date with no session at all. So the rule's dates with no session, in order, belong to
the moved sessions, in id order (the latest dates to the latest ids). A date left without
a session is EXDATEd, so no calendar ever shows a wrong time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.services.events import series
from storage import Unit
from storage.rows.events import EventRow, SeriesRow


async def changed_alone(unit: Unit, recurring: SeriesRow, start: datetime
                        ) -> tuple[list[tuple[EventRow, datetime]], list[datetime]]:
    """Sessions changed alone, each with the rule's date it replaces, and the EXDATEs.

    From ``start`` on; the EXDATEs are the dates without a held session (cancelled, or a
    moved session's date that could not be matched).
    """
    rows = await unit.events.in_series(recurring.id)
    named = series.occurrences(recurring.rrule, datetime.fromisoformat(recurring.local_start),
                               recurring.timezone, start - timedelta(seconds=1),
                               recurring.materialized_until)
    on_rule = set(named)
    occupied = {r.starts_at for r in rows}
    overrides = [(r, r.starts_at) for r in rows if r.detached and r.starts_at in on_rule]
    moved = sorted((r for r in rows if r.detached and r.starts_at not in on_rule),
                   key=lambda r: r.id)
    orphans = [s for s in named if s not in occupied]
    overrides += list(zip(reversed(moved), reversed(orphans), strict=False))
    replaced = {slot for _, slot in overrides}
    held = {r.starts_at for r in rows if r.status == "scheduled" and not r.detached}
    skipped = [s for s in named if s not in held and s not in replaced]
    return sorted(overrides, key=lambda pair: pair[1]), skipped
