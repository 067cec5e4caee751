"""Events as iCalendar: ``/ics`` of one event and the calendar feeds share these builders.

An occurrence of a series carries its RRULE with its start in the event's own zone, so
calendars keep the local time across DST changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from icalendar import Calendar, vRecur
from icalendar import Event as IcsEvent

from bot.core import values
from bot.core.errors import UserError
from bot.services.events.views import EventView


def to_ics(view: EventView, now: datetime, rrule: str | None = None,
           skipped: Sequence[datetime] = (),
           alone: Sequence[tuple[EventView, datetime]] = ()) -> bytes:
    """An iCalendar file for one event, stamped ``now`` (when the file was made, RFC 5545).

    With ``rrule`` (an active series) the event repeats from this occurrence; ``skipped``
    (cancelled sessions) become EXDATEs, and ``alone`` (sessions changed on their own, with
    the rule's date each replaces) overrides with the series' UID and a RECURRENCE-ID.
    """
    if view.status == "cancelled":
        raise UserError(f"#{view.id} is cancelled.")
    recur = vRecur.from_ical(rrule) if rrule is not None else None
    entries = [entry(view, now, recur, skipped, local=rrule is not None)]
    if recur is not None:
        entries += [entry(session, now, recurrence_id=slot) for session, slot in alone]
    return document(entries)


def entry(view: EventView, now: datetime, rrule: vRecur | None = None,
          skipped: Iterable[datetime] = (), *, local: bool = True,
          recurrence_id: datetime | None = None) -> IcsEvent:
    """One VEVENT: a session, a series' master (``rrule``) or a session's override.

    With ``recurrence_id`` it overrides that session of the series (it has the series' UID).
    ``local`` writes times in the event's zone (a VTIMEZONE is added by :func:`document`).
    A cancelled session says ``STATUS:CANCELLED`` so subscribed calendars strike it out.
    """
    tz = values.zone(view.timezone)

    def at(moment: datetime) -> datetime:
        return moment.astimezone(tz) if local else moment

    event = IcsEvent()
    event.add("summary", view.title)
    in_series = rrule is not None or recurrence_id is not None
    event.add("uid", f"cohort-series-{view.series_id}@cohort" if in_series
              else f"cohort-event-{view.id}@cohort")
    event.add("dtstart", at(view.start))
    event.add("dtend", at(view.end))
    if rrule is not None:
        event.add("rrule", rrule)
        for start in skipped:
            event.add("exdate", at(start))
    if recurrence_id is not None:
        event.add("recurrence-id", at(recurrence_id))
    event.add("dtstamp", now)
    event.add("status", "CANCELLED" if view.status == "cancelled" else "CONFIRMED")
    if view.description:
        event.add("description", view.description)
    if view.venue or view.online_url:
        event.add("location", view.venue or view.online_url)
    if view.online_url:
        event.add("url", view.online_url)
    return event


def document(events: Iterable[IcsEvent], name: str | None = None) -> bytes:
    """A VCALENDAR of ``events`` with a VTIMEZONE for every zone they use."""
    calendar = Calendar()
    calendar.add("prodid", "-//Cohort//cohort-bot//EN")
    calendar.add("version", "2.0")
    if name is not None:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(event)
    calendar.add_missing_timezones()
    data: bytes = calendar.to_ical()
    return data
