"""An event as an iCalendar file, for ``/ics``."""

from __future__ import annotations

from icalendar import Calendar
from icalendar import Event as IcsEvent

from bot.core.errors import UserError
from bot.services.events.views import EventView


def to_ics(view: EventView) -> bytes:
    """An iCalendar file for one event."""
    if view.status == "cancelled":
        raise UserError(f"#{view.id} is cancelled.")
    calendar = Calendar()
    calendar.add("prodid", "-//Cohort//cohort-bot//EN")
    calendar.add("version", "2.0")
    entry = IcsEvent()
    entry.add("uid", f"cohort-event-{view.id}@cohort")
    entry.add("summary", view.title)
    entry.add("dtstart", view.start)
    entry.add("dtend", view.end)
    entry.add("dtstamp", view.start)
    if view.description:
        entry.add("description", view.description)
    if view.venue or view.online_url:
        entry.add("location", view.venue or view.online_url)
    if view.online_url:
        entry.add("url", view.online_url)
    calendar.add_component(entry)
    data: bytes = calendar.to_ical()
    return data
