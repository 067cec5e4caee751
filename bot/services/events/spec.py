"""What an event is made of: the spec admins give, its rules, and its stored fields.

Creating and editing share one validation, so an edit can never store what creation would
refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.core import values
from bot.core.errors import UserError
from bot.services.events import reminders, series
from storage.rows.events import EventRow

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_CAPACITY = 10_000
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class EventSpec:
    """Everything needed to create an event; validated by :func:`validate`."""

    title: str
    start: datetime
    duration: timedelta = timedelta(hours=1)
    timezone: str = "UTC"
    online_url: str | None = None
    venue: str | None = None
    capacity: int | None = None
    tags: tuple[str, ...] = ()
    description: str = ""
    audience: str | None = None
    recurrence: str | None = None
    reminders: tuple[timedelta, ...] = reminders.DEFAULT_OFFSETS
    checkin_code: str | None = None


def validate(spec: EventSpec, now: datetime) -> EventSpec:
    """Check a spec against the rules; raise a UserError naming the first problem."""
    title = " ".join(spec.title.split())
    if not title:
        raise UserError("An event needs a title.")
    if len(title) > MAX_TITLE:
        raise UserError(f"The title is too long (at most {MAX_TITLE} characters).")
    if len(spec.description) > MAX_DESCRIPTION:
        raise UserError(f"The description is too long (at most {MAX_DESCRIPTION}).")
    if spec.start <= now:
        raise UserError("The start is in the past. Pick a future date and time.")
    if spec.start > now + timedelta(days=730):
        raise UserError("The start is more than two years away.")
    if not MIN_DURATION <= spec.duration <= MAX_DURATION:
        raise UserError("The duration must be between 5 minutes and 24 hours.")
    if spec.capacity is not None and not 1 <= spec.capacity <= MAX_CAPACITY:
        raise UserError(f"The capacity must be between 1 and {MAX_CAPACITY}.")
    if spec.online_url and not spec.online_url.startswith(("https://", "http://")):
        raise UserError("The online link must start with https://.")
    if len(spec.tags) > 10 or any(len(t) > 30 for t in spec.tags):
        raise UserError("At most 10 tags of at most 30 characters each.")
    if spec.checkin_code is not None and not 3 <= len(spec.checkin_code) <= 32:
        raise UserError("A check-in code has 3 to 32 characters.")
    timezone = values.zone(spec.timezone).key
    rule = series.parse_recurrence(spec.recurrence)
    return replace(spec, title=title, timezone=timezone, recurrence=rule)


def split_where(text: str) -> tuple[str | None, str | None]:
    """``https://meet… | Room 2`` → (online link, venue): hybrid events have both."""
    online = None
    rest = []
    for part in text.replace("|", " | ").split():
        if part.startswith(("https://", "http://")) and online is None:
            online = part
        elif "://" in part:
            raise UserError("The online link must start with https://.")
        elif part != "|":
            rest.append(part)
    venue = " ".join(rest).strip(" ,;") or None
    return online, venue


def spec_of(row: EventRow, changes: dict[str, object]) -> EventSpec:
    """The event's spec with ``changes`` applied (names as the edit command takes them)."""
    online_url, venue = row.online_url, row.venue
    if "where" in changes:
        online_url, venue = split_where(str(changes["where"]))
    tags = changes.get("tags")
    offsets = changes.get("reminders")
    start = changes.get("start", row.starts_at)
    duration = changes.get("duration", timedelta(minutes=row.duration_minutes))
    capacity = changes.get("capacity", row.capacity)
    assert isinstance(start, datetime)
    assert isinstance(duration, timedelta)
    assert capacity is None or isinstance(capacity, int)
    return EventSpec(
        title=str(changes.get("title", row.title)), start=start, duration=duration,
        timezone=row.timezone, online_url=online_url, venue=venue, capacity=capacity,
        tags=values.split_tags(str(tags) if tags is not None else row.tags),
        description=str(changes.get("description", row.description)),
        audience=(str(changes["audience"]) or None) if "audience" in changes else row.audience,
        reminders=reminders.parse_offsets(str(offsets if offsets is not None
                                              else row.reminder_offsets)),
        checkin_code=str(changes["code"]) if "code" in changes else row.checkin_code or None,
    )


def fields_of(spec: EventSpec) -> dict[str, object]:
    """The event columns a spec sets (what an edit writes)."""
    return {
        "title": spec.title, "starts_at": spec.start,
        "duration_minutes": int(spec.duration.total_seconds() // 60),
        "online_url": spec.online_url, "venue": spec.venue, "capacity": spec.capacity,
        "tags": ",".join(spec.tags), "description": spec.description, "audience": spec.audience,
        "reminder_offsets": reminders.format_offsets(spec.reminders),
        "checkin_code": spec.checkin_code or "",
    }
