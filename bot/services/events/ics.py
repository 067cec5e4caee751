"""An event as an iCalendar file, for ``/ics``; an occurrence of a series carries its RRULE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from icalendar import Calendar, vRecur
from icalendar import Event as IcsEvent

from bot.core import values
from bot.core.errors import UserError
from bot.services.events.views import EventView


def to_ics(view: EventView, now: datetime, rrule: str | None = None,
           skipped: Sequence[datetime] = ()) -> bytes:
    """An iCalendar file for one event, stamped ``now`` (when the file was made, RFC 5545).

    With ``rrule`` (an active series) the event repeats from this occurrence, with its
    start in the event's own zone so calendars keep the local time across DST changes;
    ``skipped`` (cancelled sessions) become EXDATEs.
    """
    if view.status == "cancelled":
        raise UserError(f"#{view.id} is cancelled.")
    calendar = Calendar()
    calendar.add("prodid", "-//Cohort//cohort-bot//EN")
    calendar.add("version", "2.0")
    entry = IcsEvent()
    entry.add("summary", view.title)
    if rrule is None:
        entry.add("uid", f"cohort-event-{view.id}@cohort")
        entry.add("dtstart", view.start)
        entry.add("dtend", view.end)
    else:
        tz = values.zone(view.timezone)
        entry.add("uid", f"cohort-series-{view.series_id}@cohort")
        entry.add("dtstart", view.start.astimezone(tz))
        entry.add("dtend", view.end.astimezone(tz))
        entry.add("rrule", vRecur.from_ical(rrule))
        for start in skipped:
            entry.add("exdate", start.astimezone(tz))
    entry.add("dtstamp", now)
    if view.description:
        entry.add("description", view.description)
    if view.venue or view.online_url:
        entry.add("location", view.venue or view.online_url)
    if view.online_url:
        entry.add("url", view.online_url)
    calendar.add_component(entry)
    if rrule is not None:
        calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data
