"""What the event service hands out: frozen views of events, answers and attendance.

Views are plain data read from the rows in one place (:func:`load`), so texts, handlers and
other features never see a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core import values
from bot.core.errors import UserError
from bot.core.model import Platform
from storage import Unit
from storage.rows.events import EventRow


class Answer(StrEnum):
    """What a member can answer to an event."""

    GOING = "going"
    MAYBE = "maybe"
    NO = "no"


@dataclass(frozen=True, slots=True)
class HomeChannel:
    """The channel an event was created in: it gets the event's reminder post."""

    platform: Platform
    place_id: str


@dataclass(frozen=True, slots=True)
class EventView:
    """An event as handlers show it."""

    id: int
    title: str
    description: str
    tags: tuple[str, ...]
    start: datetime
    duration: timedelta
    timezone: str
    online_url: str | None
    venue: str | None
    capacity: int | None
    audience: str | None
    status: str
    series_id: int | None
    checkin_code: str
    reminders: str
    cancel_reason: str | None
    going: int = 0
    waitlist: int = 0

    @property
    def end(self) -> datetime:
        """When it ends."""
        return self.start + self.duration

    def when(self, timezone: str, now: datetime) -> str:
        """``Tue 1 Dec 18:00 CET (in 3 days)`` in the reader's zone."""
        local = self.start.astimezone(values.zone(timezone))
        return (f"{local:%a %d %b %H:%M} {local.tzname()} "
                f"({values.relative(self.start, now)})")

    def open_at(self, now: datetime) -> bool:
        """Whether members can still answer: scheduled and not started (RSVP buttons show)."""
        return self.status == "scheduled" and self.start > now

    @property
    def where(self) -> str:
        """Online link and/or venue."""
        parts = [p for p in (self.online_url, self.venue) if p]
        return " · ".join(parts) if parts else "place to be announced"


@dataclass(frozen=True, slots=True)
class RsvpResult:
    """What an RSVP did."""

    event: EventView
    status: str
    position: int | None = None
    changed: bool = True


@dataclass(frozen=True, slots=True)
class Attendee:
    """One line of ``/event attendees``."""

    name: str
    status: str
    checked_in: bool


@dataclass(frozen=True, slots=True)
class AttendeeReport:
    """Who is coming, waiting, checked in, and who did not show."""

    event: EventView
    going: list[Attendee] = field(default_factory=list)
    offered: list[Attendee] = field(default_factory=list)
    waitlist: list[Attendee] = field(default_factory=list)
    maybe: list[Attendee] = field(default_factory=list)
    checked_in: list[Attendee] = field(default_factory=list)
    no_shows: list[Attendee] = field(default_factory=list)


class ParticipationAwarder(Protocol):
    """Where RSVP, attendance and feedback points go; the points ledger implements it."""

    async def participation(self, unit: Unit, member_id: int, action: str,
                            event_id: int) -> None:
        """Hold one award for ``action`` (rsvp, attendance, feedback) per member and event."""
        ...

    async def withdraw(self, unit: Unit, member_id: int, action: str, event_id: int) -> None:
        """Take back the award held for ``action`` with a reversing ledger row, if any."""
        ...


async def load(unit: Unit, event_id: int) -> EventView:
    """The event's view with its seat counts, or a UserError when there is none."""
    row = await unit.events.get(event_id)
    if row is None:
        raise UserError(f"There is no event #{event_id}. Send /events to see them.")
    answers = await unit.rsvps.for_event(event_id, ["going", "offered", "waitlist"])
    going = sum(1 for r, _ in answers if r.status in ("going", "offered"))
    return _view(row, going, sum(1 for r, _ in answers if r.status == "waitlist"))


async def load_many(unit: Unit, rows: Sequence[EventRow]) -> list[EventView]:
    """Views of a page of events, their seat counts read in one query (the lists)."""
    counts = await unit.rsvps.seat_counts([r.id for r in rows])
    views = []
    for row in rows:
        answers = counts.get(row.id, {})
        views.append(_view(row, answers.get("going", 0) + answers.get("offered", 0),
                           answers.get("waitlist", 0)))
    return views


def _view(row: EventRow, going: int, waitlist: int) -> EventView:
    return EventView(
        id=row.id, title=row.title, description=row.description,
        tags=values.split_tags(row.tags), start=row.starts_at,
        duration=timedelta(minutes=row.duration_minutes), timezone=row.timezone,
        online_url=row.online_url, venue=row.venue, capacity=row.capacity,
        audience=row.audience, status=row.status, series_id=row.series_id,
        checkin_code=row.checkin_code, reminders=row.reminder_offsets,
        cancel_reason=row.cancel_reason, going=going, waitlist=waitlist,
    )
