"""Reminders: which DMs and posts an event produces, and when; and writing them out.

The rules (offsets, late events, quiet hours) are pure functions over plain values, tested
without a database; :class:`ReminderPlanner` turns them into outbox rows inside the caller's
unit of work, so an RSVP never commits without its reminders.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.errors import UserError
from bot.core.model import Platform
from bot.services.events import texts
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Unit
from storage.rows.events import EventRow

DEFAULT_OFFSETS = (timedelta(hours=24), timedelta(hours=1))
MAX_OFFSET = timedelta(days=30)
_QUIET_RE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Read ``24h,1h`` (or ``off`` for none) into offsets, largest first."""
    cleaned = text.strip().lower()
    if cleaned in {"off", "none", "no"}:
        return ()
    offsets = {values.parse_duration(part) for part in cleaned.split(",") if part.strip()}
    if not offsets:
        raise UserError("Give reminder offsets like `24h,1h`, or `off`.")
    if len(offsets) > 5:
        raise UserError("At most five reminders per event.")
    if max(offsets) > MAX_OFFSET:
        raise UserError("A reminder can be at most 30 days before an event.")
    return tuple(sorted(offsets, reverse=True))


def format_offsets(offsets: tuple[timedelta, ...]) -> str:
    """Write offsets the way :func:`parse_offsets` reads them."""
    return ",".join(values.format_duration(o) for o in offsets) if offsets else "off"


@dataclass(frozen=True, slots=True)
class QuietHours:
    """A daily quiet window in the member's own time zone (may wrap past midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours | None:
        """Read ``23:00-08:00``; ``off`` means none."""
        cleaned = text.strip().lower()
        if cleaned in {"off", "none", "no", ""}:
            return None
        match = _QUIET_RE.match(cleaned.replace(" ", ""))
        if match is None:
            raise UserError("Quiet hours look like `23:00-08:00`, or `off`.")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise UserError("Quiet hours need real times, like `23:00-08:00`.")
        if (h1, m1) == (h2, m2):
            raise UserError("Quiet hours must start and end at different times.")
        return cls(time(h1, m1), time(h2, m2))

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def window(self, moment: datetime, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The quiet window containing ``moment``, as aware datetimes, or None."""
        local = moment.astimezone(tz)
        for day_shift in (-1, 0):
            day = local.date() + timedelta(days=day_shift)
            start = datetime.combine(day, self.start, tz)
            end_day = day if self.end > self.start else day + timedelta(days=1)
            end = datetime.combine(end_day, self.end, tz)
            if start <= local < end:
                return start, end
        return None


def respect_quiet_hours(due: datetime, event_start: datetime, quiet: QuietHours | None,
                        tz: ZoneInfo, now: datetime) -> datetime:
    """Move a DM out of quiet hours: before they begin, or after if the event is later."""
    if quiet is None:
        return due
    window = quiet.window(due, tz)
    if window is None:
        return due
    start, end = window
    moved = end if event_start >= end else start - timedelta(minutes=1)
    return max(moved, now)


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    """One reminder to send: when, and which offset (None for 'starting soon')."""

    due_at: datetime
    offset: timedelta | None


def plan(event_start: datetime, offsets: tuple[timedelta, ...], now: datetime,
         quiet: QuietHours | None = None, tz: ZoneInfo | None = None) -> list[PlannedReminder]:
    """Reminders for one member: offsets still ahead, plus one 'starting soon' if late."""
    if event_start <= now or not offsets:
        return []
    planned = [PlannedReminder(event_start - o, o) for o in offsets if event_start - o > now]
    if len(planned) < len(offsets):
        # Created (or RSVP'd) after an offset passed: one heads-up now, never a burst.
        planned.append(PlannedReminder(now, None))
    if quiet is not None and tz is not None:
        planned = [PlannedReminder(respect_quiet_hours(p.due_at, event_start, quiet, tz, now),
                                   p.offset) for p in planned]
    return sorted(planned, key=lambda p: p.due_at)


class ReminderPlanner:
    """Writes (and withdraws) an event's reminder DMs and its channel post."""

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def plan_member(self, unit: Unit, event: EventRow, member_id: int,
                          now: datetime) -> None:
        """Write one member's reminders for an event (idempotent by key)."""
        member = await unit.members.get(member_id)
        if member is None or not member.dms:
            return
        offsets = parse_offsets(member.reminder_offsets or event.reminder_offsets)
        quiet = QuietHours.parse(member.quiet_hours or "off")
        tz = values.zone(member.timezone)
        stamp = int(event.starts_at.timestamp())
        messages = []
        for item in plan(event.starts_at, offsets, now, quiet, tz):
            label = values.format_duration(item.offset) if item.offset else "soon"
            messages.append(Outgoing(
                key=f"reminder:{event.id}:{member_id}:{label}:{stamp}",
                kind=OutboxKind.REMINDER,
                text=texts.reminder(event.id, event.title, event.starts_at, item.due_at, tz,
                                    event.online_url, event.venue),
                due_at=item.due_at, member_id=member_id, event_id=event.id))
        await self._outbox.put(unit, messages)

    async def withdraw_member(self, unit: Unit, event_id: int, member_id: int) -> None:
        """Drop a member's pending reminders for an event."""
        await unit.outbox.withdraw(event_id=event_id, member_id=member_id,
                                   kinds=[OutboxKind.REMINDER.value])

    async def replan_member(self, unit: Unit, member_id: int, now: datetime) -> None:
        """Plan a member's reminders again after their preferences changed."""
        for rsvp in await unit.rsvps.for_member(member_id):
            event = await unit.events.get(rsvp.event_id)
            if event is None or event.status != "scheduled" or event.starts_at <= now:
                continue
            await self.withdraw_member(unit, event.id, member_id)
            if rsvp.status == "going":
                await self.plan_member(unit, event, member_id, now)

    async def replan(self, unit: Unit, event_id: int, now: datetime) -> None:
        """Withdraw pending reminders and plan them again for everyone going."""
        await unit.outbox.withdraw(event_id=event_id, kinds=[OutboxKind.REMINDER.value])
        event = await unit.events.get(event_id)
        assert event is not None
        for rsvp, _ in await unit.rsvps.for_event(event_id, ["going"]):
            await self.plan_member(unit, event, rsvp.member_id, now)
        await self.plan_channel(unit, event, now)

    async def plan_channel(self, unit: Unit, event: EventRow, now: datetime) -> None:
        """The event's channel gets one post at the first reminder offset, once announced."""
        if not event.place_id or not event.place_platform or event.announced_at is None:
            return
        offsets = parse_offsets(event.reminder_offsets)
        planned = plan(event.starts_at, offsets[:1], now)
        if not planned:
            return
        stamp = int(event.starts_at.timestamp())
        await self._outbox.put(unit, [Outgoing(
            key=f"reminder:{event.id}:place:{event.place_id}:{stamp}",
            kind=OutboxKind.REMINDER,
            text=texts.channel_reminder(event.id, event.title, event.starts_at,
                                        planned[0].due_at, event.online_url, event.venue),
            due_at=planned[0].due_at, platform=Platform(event.place_platform),
            place_id=event.place_id, event_id=event.id, buttons=texts.rsvp_buttons(event.id))])
