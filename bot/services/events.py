"""Events: create, edit, cancel, announce; RSVPs with a waitlist; check-in; feedback.

Every change and the messages it causes (reminders, notices, waitlist offers) are written
in one unit of work, so a crash never leaves an RSVP without its reminders or a
cancellation without its notices. Seat-taking locks the event row (PostgreSQL ``FOR
UPDATE``; SQLite takes its write lock at ``BEGIN IMMEDIATE``), so two members racing for
the last seat cannot both get it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Button, Member, Platform
from bot.core.ports import InteractionKind
from bot.services import recurrence, reminders
from bot.services.activity import InteractionLog
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.rows.events import EventRow, FeedbackRow, RsvpRow, SeriesRow

MAX_TITLE = 200
MAX_DESCRIPTION = 2000
MAX_CAPACITY = 10_000
MIN_DURATION = timedelta(minutes=5)
MAX_DURATION = timedelta(hours=24)
CHECKIN_EARLY = timedelta(minutes=30)
SERIES_HORIZON = timedelta(weeks=6)


class Answer(StrEnum):
    """What a member can answer to an event."""

    GOING = "going"
    MAYBE = "maybe"
    NO = "no"


@dataclass(frozen=True, slots=True)
class EventSettings:
    """Waitlist behaviour."""

    claim_window: timedelta = timedelta(hours=2)
    immediate_promotion: bool = False


@dataclass(frozen=True, slots=True)
class EventSpec:
    """Everything needed to create an event; validated by :meth:`EventService.create`."""

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


@dataclass(frozen=True, slots=True)
class Place:
    """Where an event was created (its channel gets the reminder post)."""

    platform: Platform
    place_id: str


class ParticipationAwarder(Protocol):
    """Where RSVP, attendance and feedback points go; the points ledger implements it."""

    async def participation(self, unit: Unit, member_id: int, action: str,
                            event_id: int) -> None:
        """Award ``action`` (rsvp, attendance, feedback) once per member and event."""
        ...


class EventService:
    """The event life cycle."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox,
                 interactions: InteractionLog, settings: EventSettings | None = None) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._interactions = interactions
        self._settings = settings or EventSettings()
        self.awarder: ParticipationAwarder | None = None  # set by the points feature

    # -- creating and changing -------------------------------------------------------------

    def validate(self, spec: EventSpec) -> EventSpec:
        """Check a spec against the rules; raise a UserError naming the first problem."""
        now = self._clock.now()
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
        rule = recurrence.parse_recurrence(spec.recurrence)
        return replace(spec, title=title, timezone=timezone, recurrence=rule)

    async def create(self, author: Member, spec: EventSpec, place: Place | None) -> EventView:
        """Create an event (and, for a recurrence, its first occurrences)."""
        spec = self.validate(spec)
        now = self._clock.now()
        code = spec.checkin_code or secrets.token_hex(3).upper()
        template = {
            "title": spec.title, "description": spec.description, "tags": ",".join(spec.tags),
            "duration_minutes": int(spec.duration.total_seconds() // 60),
            "timezone": spec.timezone, "online_url": spec.online_url, "venue": spec.venue,
            "capacity": spec.capacity, "audience": spec.audience,
            "reminder_offsets": reminders.format_offsets(spec.reminders),
            "place_platform": place.platform.value if place else None,
            "place_id": place.place_id if place else None, "checkin_code": code,
            "created_by": author.member_id,
        }
        async with self._db.unit() as unit:
            if spec.recurrence is None:
                created = [await unit.events.add(EventRow(**template, starts_at=spec.start,
                                                          status="scheduled", created_at=now))]
                await self._plan_channel(unit, created[0], now)
            else:
                local = spec.start.astimezone(values.zone(spec.timezone)).replace(tzinfo=None)
                series = await unit.series.add(SeriesRow(
                    rrule=spec.recurrence, timezone=spec.timezone,
                    local_start=local.isoformat(timespec="minutes"),
                    template=json.dumps(template), status="active",
                    materialized_until=spec.start - timedelta(seconds=1), created_at=now))
                created = await self._materialize(unit, series, now + SERIES_HORIZON)
                if not created:
                    raise UserError("That recurrence produces no dates.")
            return await self._view(unit, created[0].id)

    async def edit(self, event_id: int, changes: dict[str, object], *,
                   whole_series: bool = False) -> list[EventView]:
        """Change fields of one occurrence or of the whole series, re-planning reminders."""
        if not changes:
            raise UserError("Nothing to change. Give fields like title=… or start=….")
        async with self._db.unit() as unit:
            row = await self._editable(unit, event_id)
            spec = self.validate(_spec_of(row, changes))
            if "start" in changes and whole_series:
                raise UserError("Move occurrences one at a time; the series keeps its rhythm.")
            fields = _fields_of(spec)
            targets = [row]
            if whole_series and row.series_id is not None:
                series = await unit.series.get(row.series_id)
                assert series is not None
                template = json.loads(series.template)
                template.update({k: v for k, v in fields.items() if k != "starts_at"})
                series.template = json.dumps(template)
                later = await unit.events.in_series(row.series_id, self._clock.now())
                targets = [e for e in later if not e.detached or e.id == row.id]
            moved = False
            for target in targets:
                update = dict(fields)
                if target.id != row.id:
                    update.pop("starts_at", None)
                elif not whole_series:
                    update["detached"] = row.series_id is not None
                moved = moved or update.get("starts_at", target.starts_at) != target.starts_at
                update["updated_at"] = self._clock.now()
                await unit.events.update(target.id, **update)
            views = [await self._view(unit, t.id) for t in targets]
            for view in views:
                await self._replan(unit, view)
                if moved or {"title", "duration", "where", "start"} & changes.keys():
                    await self._notify_going(unit, view, "changed",
                                             f"Update: {view.title} is now {view.where}, "
                                             f"starting {view.start:%Y-%m-%d %H:%M} UTC.")
        return views

    async def cancel(self, event_id: int, reason: str | None, *,
                     whole_series: bool = False) -> list[EventView]:
        """Cancel one occurrence or the rest of a series; tell everyone going or waiting."""
        if reason is not None and len(reason) > 300:
            raise UserError("The reason is too long (at most 300 characters).")
        async with self._db.unit() as unit:
            row = await self._editable(unit, event_id)
            targets = [row]
            if whole_series and row.series_id is not None:
                series = await unit.series.get(row.series_id)
                assert series is not None
                series.status = "cancelled"
                targets = [e for e in await unit.events.in_series(row.series_id,
                                                                 self._clock.now())
                           if e.status == "scheduled"]
            views = []
            for target in targets:
                await unit.events.update(target.id, status="cancelled", cancel_reason=reason,
                                         updated_at=self._clock.now())
                await unit.outbox.withdraw(event_id=target.id)
                view = await self._view(unit, target.id)
                note = f" Reason: {reason}" if reason else ""
                await self._notify_going(
                    unit, view, "cancelled",
                    f"Cancelled: {view.title} on {view.start:%Y-%m-%d %H:%M} UTC.{note}",
                    statuses=("going", "waitlist", "offered", "maybe"))
                views.append(view)
        return views

    async def announce(self, event_id: int) -> int:
        """Post the event to every announcements channel; returns how many posts."""
        async with self._db.unit() as unit:
            view = await self._view(unit, event_id)
            if view.status != "scheduled":
                raise UserError(f"#{event_id} is {view.status}; there is nothing to announce.")
            channels = await unit.channels.channels("announcements")
            if not channels:
                raise UserError("No announcements channel is set. An admin can set one with "
                                "/config channel announcements.")
            now = self._clock.now()
            stamp = int(now.timestamp())
            messages = [
                Outgoing(key=f"announce:{event_id}:{platform}:{place}:{stamp}",
                         kind=OutboxKind.ANNOUNCEMENT, text=announcement(view, now),
                         due_at=now, platform=Platform(platform), place_id=place,
                         event_id=event_id, buttons=rsvp_buttons(event_id))
                for platform, place in channels
            ]
            await self._outbox.put(unit, messages)
        return len(messages)

    # -- reading ---------------------------------------------------------------------------

    async def get(self, event_id: int) -> EventView:
        """One event."""
        async with self._db.unit() as unit:
            return await self._view(unit, event_id)

    async def upcoming(self, limit: int = 10) -> list[EventView]:
        """Scheduled events that have not started, soonest first."""
        async with self._db.unit() as unit:
            rows = await unit.events.upcoming(self._clock.now(), limit)
            return [await self._view(unit, r.id) for r in rows]

    async def mine(self, member: Member) -> list[tuple[EventView, str]]:
        """Upcoming events the member answered, with their answer."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            out = []
            for rsvp in await unit.rsvps.for_member(member.member_id):
                view = await self._view(unit, rsvp.event_id)
                if view.end > now and view.status == "scheduled" and rsvp.status != "no":
                    out.append((view, rsvp.status))
        return sorted(out, key=lambda pair: pair[0].start)

    async def attendees(self, event_id: int) -> AttendeeReport:
        """Going, waitlist, maybe, checked in, no-shows."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            view = await self._view(unit, event_id)
            report = AttendeeReport(view)
            for rsvp, name in await unit.rsvps.for_event(event_id):
                person = Attendee(name, rsvp.status, rsvp.checked_in_at is not None)
                if rsvp.status == "offered":
                    report.offered.append(person)
                elif rsvp.status == "going":
                    report.going.append(person)
                    if person.checked_in:
                        report.checked_in.append(person)
                    elif view.end <= now:
                        report.no_shows.append(person)
                elif rsvp.status == "waitlist":
                    report.waitlist.append(person)
                elif rsvp.status == "maybe":
                    report.maybe.append(person)
        return report

    # -- members' answers --------------------------------------------------------------------

    async def rsvp(self, member: Member, event_id: int, answer: Answer,
                   roles: tuple[str, ...] = (), is_admin: bool = False) -> RsvpResult:
        """Answer an event; going takes a seat or joins the waitlist."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            event = await unit.events.get(event_id, lock=True)
            if event is None:
                raise UserError(f"There is no event #{event_id}. Send /events to see them.")
            if event.status != "scheduled":
                raise UserError(f"#{event_id} {event.title} is {event.status}.")
            if event.starts_at <= now:
                raise UserError(f"#{event_id} {event.title} has already started.")
            if event.audience and not is_admin and event.audience not in roles:
                raise UserError(f"#{event_id} is for {event.audience} only.")
            row = await unit.rsvps.get(event_id, member.member_id)
            before = row.status if row else None
            status = await self._answer(unit, event, member, row, answer, now)
            if self.awarder is not None and status == "going":
                await self.awarder.participation(unit, member.member_id, "rsvp", event_id)
            self._interactions.record_raw(
                member_id=member.member_id, platform="cohort", place_id=str(event_id),
                kind=InteractionKind.RSVP, name=status,
                source_key=f"rsvp:{event_id}:{member.member_id}:{status}:{now.timestamp()}")
            view = await self._view(unit, event_id)
            position = None
            if status == "waitlist":
                fresh = await unit.rsvps.get(event_id, member.member_id)
                assert fresh is not None
                position = await unit.rsvps.waitlist_position(event_id, fresh)
        return RsvpResult(view, status, position, changed=before != status)

    async def _answer(self, unit: Unit, event: EventRow, member: Member, row: RsvpRow | None,
                      answer: Answer, now: datetime) -> str:
        previous = row.status if row else None
        if answer is Answer.GOING:
            if previous in ("going", "waitlist"):
                return previous
            if previous == "offered":
                status = "going"  # claiming the seat held for them
                await self._tell_organiser(unit, event, f"{member.display_name} claimed a "
                                           f"freed seat for #{event.id} {event.title}.", now)
            elif event.capacity is None or await unit.rsvps.seats_taken(event.id) < event.capacity:
                status = "going"
            else:
                status = "waitlist"
        else:
            status = answer.value
        if row is None:
            row = await unit.rsvps.add(RsvpRow(event_id=event.id, member_id=member.member_id,
                                               status=status, queued_at=now, created_at=now,
                                               updated_at=now))
        else:
            row.status = status
            row.updated_at = now
            row.offer_expires_at = None
            if status == "waitlist":
                row.queued_at = now
        if status == "going":
            await self._plan_member(unit, event, member.member_id, now)
        else:
            await unit.outbox.withdraw(event_id=event.id, member_id=member.member_id,
                                       kinds=[OutboxKind.REMINDER.value])
        if previous in ("going", "offered") and status not in ("going", "offered"):
            await self._free_seat(unit, event, now)
        return status

    async def _free_seat(self, unit: Unit, event: EventRow, now: datetime) -> None:
        """Offer a freed seat to the first member waiting (or give it at once)."""
        if event.capacity is not None and await unit.rsvps.seats_taken(event.id) >= event.capacity:
            return
        nxt = await unit.rsvps.next_waiting(event.id)
        if nxt is None:
            return
        nxt.updated_at = now
        key = f"waitlist:{event.id}:{nxt.member_id}:{int(now.timestamp())}"
        if self._settings.immediate_promotion:
            nxt.status = "going"
            await self._plan_member(unit, event, nxt.member_id, now)
            text = f"Good news: a seat opened and you are now going to #{event.id} {event.title}."
        else:
            nxt.status = "offered"
            nxt.offer_expires_at = now + self._settings.claim_window
            hours = values.format_duration(self._settings.claim_window)
            text = (f"A seat opened for #{event.id} {event.title}. It is yours if you send "
                    f"/rsvp {event.id} going within {hours}.")
        await self._outbox.put(unit, [Outgoing(
            key=key, kind=OutboxKind.WAITLIST, text=text, due_at=now, member_id=nxt.member_id,
            event_id=event.id, buttons=rsvp_buttons(event.id, going_only=True))])

    async def expire_offers(self) -> int:
        """Pass unclaimed seat offers to the next member waiting (a scheduler sweep)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            expired = await unit.rsvps.expired_offers(now)
            for rsvp in expired:
                rsvp.status = "expired"
                rsvp.offer_expires_at = None
                rsvp.updated_at = now
                event = await unit.events.get(rsvp.event_id, lock=True)
                assert event is not None
                await self._free_seat(unit, event, now)
        return len(expired)

    async def checkin(self, member: Member, event_id: int, code: str) -> EventView:
        """Record attendance with the event's code, during the event only."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            event = await unit.events.get(event_id)
            if event is None:
                raise UserError(f"There is no event #{event_id}.")
            if event.status != "scheduled":
                raise UserError(f"#{event_id} {event.title} is {event.status}.")
            end = event.starts_at + timedelta(minutes=event.duration_minutes)
            if not event.starts_at - CHECKIN_EARLY <= now <= end:
                raise UserError(f"Check-in for #{event_id} is open from 30 minutes before it "
                                "starts until it ends.")
            if not secrets.compare_digest(code.strip().upper(), event.checkin_code.upper()):
                raise UserError("That check-in code is not right. Ask the organiser.")
            row = await unit.rsvps.get(event_id, member.member_id)
            if row is None:
                row = await unit.rsvps.add(RsvpRow(
                    event_id=event_id, member_id=member.member_id, status="going",
                    queued_at=now, created_at=now, updated_at=now))
            elif row.checked_in_at is not None:
                raise UserError(f"You are already checked in to #{event_id}.")
            row.checked_in_at = now
            row.updated_at = now
            if row.status != "going":
                row.status = "going"
            self._interactions.record_raw(
                member_id=member.member_id, platform="cohort", place_id=str(event_id),
                kind=InteractionKind.CHECKIN, name=None,
                source_key=f"checkin:{event_id}:{member.member_id}")
            if self.awarder is not None:
                await self.awarder.participation(unit, member.member_id, "attendance", event_id)
            return await self._view(unit, event_id)

    async def voice_presence(self, member_id: int) -> list[int]:
        """A member joined voice: attend the online events in progress they are going to."""
        now = self._clock.now()
        attended: list[int] = []
        async with self._db.unit() as unit:
            for event in await unit.events.in_progress(now, CHECKIN_EARLY):
                if not event.online_url:
                    continue  # an offline session is attended with its code
                row = await unit.rsvps.get(event.id, member_id)
                if row is None or row.status != "going" or row.checked_in_at is not None:
                    continue
                row.checked_in_at = now
                row.updated_at = now
                self._interactions.record_raw(
                    member_id=member_id, platform="cohort", place_id=str(event.id),
                    kind=InteractionKind.CHECKIN, name="voice",
                    source_key=f"checkin:{event.id}:{member_id}")
                if self.awarder is not None:
                    await self.awarder.participation(unit, member_id, "attendance", event.id)
                attended.append(event.id)
        return attended

    async def feedback(self, member: Member, event_id: int, rating: int,
                       comment: str) -> bool:
        """Rate an event attended; returns True when it replaced an earlier rating."""
        now = self._clock.now()
        if not 1 <= rating <= 5:
            raise UserError("Rate from 1 to 5.")
        if len(comment) > 1000:
            raise UserError("The comment is too long (at most 1000 characters).")
        async with self._db.unit() as unit:
            event = await unit.events.get(event_id)
            if event is None:
                raise UserError(f"There is no event #{event_id}.")
            if event.starts_at > now:
                raise UserError(f"#{event_id} has not happened yet.")
            rsvp = await unit.rsvps.get(event_id, member.member_id)
            if rsvp is None or (rsvp.status != "going" and rsvp.checked_in_at is None):
                raise UserError(f"Only members who attended #{event_id} can rate it.")
            existing = await unit.feedback.get(event_id, member.member_id)
            if existing is None:
                await unit.feedback.add(FeedbackRow(event_id=event_id,
                                                    member_id=member.member_id, rating=rating,
                                                    comment=comment, created_at=now,
                                                    updated_at=now))
                if self.awarder is not None:
                    await self.awarder.participation(unit, member.member_id, "feedback",
                                                     event_id)
                return False
            existing.rating = rating
            existing.comment = comment
            existing.updated_at = now
            return True

    # -- sweeps ----------------------------------------------------------------------------

    async def request_feedback(self) -> int:
        """After an event ends, DM attendees (or those going) for a rating."""
        now = self._clock.now()
        planned = 0
        async with self._db.unit() as unit:
            for event in await unit.events.ended_without_feedback(now):
                rows = [r for r, _ in await unit.rsvps.for_event(event.id, ["going"])]
                checked = [r for r in rows if r.checked_in_at is not None]
                targets = checked or rows
                messages = [Outgoing(
                    key=f"feedback:{event.id}:{r.member_id}", kind=OutboxKind.FEEDBACK,
                    text=(f"Thanks for joining {event.title}! How was it? Reply with "
                          f"/feedback {event.id} 1-5 and a comment if you like."),
                    due_at=now, member_id=r.member_id, event_id=event.id) for r in targets]
                planned += await self._outbox.put(unit, messages)
                await unit.events.update(event.id, feedback_requested_at=now)
        return planned

    async def materialize_series(self) -> int:
        """Create occurrences of active series up to the horizon (a daily sweep)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            created = 0
            for series in await unit.series.active():
                created += len(await self._materialize(unit, series, now + SERIES_HORIZON))
        return created

    async def _materialize(self, unit: Unit, series: SeriesRow, until: datetime) -> list[EventRow]:
        if series.materialized_until >= until:
            return []
        template = json.loads(series.template)
        starts = recurrence.occurrences(series.rrule, datetime.fromisoformat(series.local_start),
                                        series.timezone, series.materialized_until, until)
        now = self._clock.now()
        rows = [await unit.events.add(EventRow(**template, starts_at=start, series_id=series.id,
                                               status="scheduled", created_at=now))
                for start in starts if start > series.materialized_until]
        series.materialized_until = until
        for row in rows:
            await self._plan_channel(unit, row, now)
        return rows

    # -- helpers ---------------------------------------------------------------------------

    async def _editable(self, unit: Unit, event_id: int) -> EventRow:
        row = await unit.events.get(event_id, lock=True)
        if row is None:
            raise UserError(f"There is no event #{event_id}.")
        if row.status != "scheduled":
            raise UserError(f"#{event_id} is {row.status} and cannot be changed.")
        if row.starts_at <= self._clock.now():
            raise UserError(f"#{event_id} has already started.")
        return row

    async def _view(self, unit: Unit, event_id: int) -> EventView:
        row = await unit.events.get(event_id)
        if row is None:
            raise UserError(f"There is no event #{event_id}. Send /events to see them.")
        answers = await unit.rsvps.for_event(event_id, ["going", "offered", "waitlist"])
        return EventView(
            id=row.id, title=row.title, description=row.description,
            tags=tuple(t for t in row.tags.split(",") if t), start=row.starts_at,
            duration=timedelta(minutes=row.duration_minutes), timezone=row.timezone,
            online_url=row.online_url, venue=row.venue, capacity=row.capacity,
            audience=row.audience, status=row.status, series_id=row.series_id,
            checkin_code=row.checkin_code, reminders=row.reminder_offsets,
            cancel_reason=row.cancel_reason,
            going=sum(1 for r, _ in answers if r.status in ("going", "offered")),
            waitlist=sum(1 for r, _ in answers if r.status == "waitlist"),
        )

    async def _plan_member(self, unit: Unit, event: EventRow, member_id: int,
                           now: datetime) -> None:
        """Write one member's reminders for an event (idempotent by key)."""
        member = await unit.members.get(member_id)
        if member is None or not member.dms:
            return
        offsets = reminders.parse_offsets(member.reminder_offsets or event.reminder_offsets)
        quiet = reminders.QuietHours.parse(member.quiet_hours or "off")
        tz = values.zone(member.timezone)
        stamp = int(event.starts_at.timestamp())
        messages = []
        for item in reminders.plan(event.starts_at, offsets, now, quiet, tz):
            label = values.format_duration(item.offset) if item.offset else "soon"
            local = event.starts_at.astimezone(tz)
            messages.append(Outgoing(
                key=f"reminder:{event.id}:{member_id}:{label}:{stamp}",
                kind=OutboxKind.REMINDER,
                text=(f"Reminder: #{event.id} {event.title} starts "
                      f"{values.relative(event.starts_at, item.due_at)} "
                      f"({local:%a %d %b %H:%M} {local.tzname()}). "
                      f"{_where(event.online_url, event.venue)}").strip(),
                due_at=item.due_at, member_id=member_id, event_id=event.id))
        await self._outbox.put(unit, messages)

    async def replan_member(self, member_id: int) -> None:
        """Plan a member's reminders again after their preferences changed."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            for rsvp in await unit.rsvps.for_member(member_id):
                event = await unit.events.get(rsvp.event_id)
                if event is None or event.status != "scheduled" or event.starts_at <= now:
                    continue
                await unit.outbox.withdraw(event_id=event.id, member_id=member_id,
                                           kinds=[OutboxKind.REMINDER.value])
                if rsvp.status == "going":
                    await self._plan_member(unit, event, member_id, now)

    async def _replan(self, unit: Unit, view: EventView) -> None:
        """Withdraw pending reminders and plan them again for everyone going."""
        now = self._clock.now()
        await unit.outbox.withdraw(event_id=view.id, kinds=[OutboxKind.REMINDER.value])
        event = await unit.events.get(view.id)
        assert event is not None
        for rsvp, _ in await unit.rsvps.for_event(view.id, ["going"]):
            await self._plan_member(unit, event, rsvp.member_id, now)
        await self._plan_channel(unit, event, now)

    async def _plan_channel(self, unit: Unit, event: EventRow, now: datetime) -> None:
        """The event's channel gets one post at the first reminder offset."""
        if not event.place_id or not event.place_platform:
            return
        offsets = reminders.parse_offsets(event.reminder_offsets)
        planned = reminders.plan(event.starts_at, offsets[:1], now)
        if not planned:
            return
        stamp = int(event.starts_at.timestamp())
        await self._outbox.put(unit, [Outgoing(
            key=f"reminder:{event.id}:place:{event.place_id}:{stamp}",
            kind=OutboxKind.REMINDER,
            text=(f"#{event.id} {event.title} starts "
                  f"{values.relative(event.starts_at, planned[0].due_at)}. "
                  f"{_where(event.online_url, event.venue)} RSVP with /rsvp {event.id} going"),
            due_at=planned[0].due_at, platform=Platform(event.place_platform),
            place_id=event.place_id, event_id=event.id, buttons=rsvp_buttons(event.id))])

    async def _notify_going(self, unit: Unit, view: EventView, what: str, text: str,
                            statuses: tuple[str, ...] = ("going", "waitlist", "offered")) -> None:
        stamp = int(self._clock.now().timestamp())
        messages = [Outgoing(key=f"{what}:{view.id}:{r.member_id}:{stamp}",
                             kind=OutboxKind.NOTICE, text=text, due_at=self._clock.now(),
                             member_id=r.member_id, event_id=view.id)
                    for r, _ in await unit.rsvps.for_event(view.id, list(statuses))]
        await self._outbox.put(unit, messages)

    async def _tell_organiser(self, unit: Unit, event: EventRow, text: str,
                              now: datetime) -> None:
        if event.created_by is None:
            return
        await self._outbox.put(unit, [Outgoing(
            key=f"claimed:{event.id}:{event.created_by}:{now.timestamp()}",
            kind=OutboxKind.NOTICE, text=text, due_at=now, member_id=event.created_by,
            event_id=event.id)])


def rsvp_buttons(event_id: int, *, going_only: bool = False) -> tuple[Button, ...]:
    """Inline RSVP buttons (their action is the command line they stand for)."""
    going = Button("Going", f"/rsvp {event_id} going")
    if going_only:
        return (going,)
    return (going, Button("Maybe", f"/rsvp {event_id} maybe"),
            Button("Can't go", f"/rsvp {event_id} no"))


def announcement(view: EventView, now: datetime) -> str:
    """The text of an announcement post."""
    lines = [f"New: #{view.id} {view.title}",
             f"{view.when(view.timezone, now)} · {values.format_duration(view.duration)}",
             view.where]
    if view.description:
        lines.append(view.description)
    lines.append(f"Going: {view.going}/{view.capacity}" if view.capacity
                 else f"Going: {view.going}")
    lines.append(f"RSVP: /rsvp {view.id} going")
    return "\n".join(lines)


def _where(online_url: str | None, venue: str | None) -> str:
    parts = [p for p in (online_url, venue) if p]
    return (" · ".join(parts) + ".") if parts else ""


def _spec_of(row: EventRow, changes: dict[str, object]) -> EventSpec:
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
        tags=split_tags(str(tags)) if tags is not None else
        tuple(t for t in row.tags.split(",") if t),
        description=str(changes.get("description", row.description)),
        audience=(str(changes["audience"]) or None) if "audience" in changes else row.audience,
        reminders=reminders.parse_offsets(str(offsets if offsets is not None
                                              else row.reminder_offsets)),
        checkin_code=str(changes["code"]) if "code" in changes else row.checkin_code or None,
    )


def _fields_of(spec: EventSpec) -> dict[str, object]:
    return {
        "title": spec.title, "starts_at": spec.start,
        "duration_minutes": int(spec.duration.total_seconds() // 60),
        "online_url": spec.online_url, "venue": spec.venue, "capacity": spec.capacity,
        "tags": ",".join(spec.tags), "description": spec.description, "audience": spec.audience,
        "reminder_offsets": reminders.format_offsets(spec.reminders),
        "checkin_code": spec.checkin_code or "",
    }


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


def split_tags(text: str) -> tuple[str, ...]:
    """``python, async`` → ("python", "async"), lower-case, without duplicates."""
    seen: list[str] = []
    for tag in text.replace(";", ",").split(","):
        cleaned = tag.strip().lower().lstrip("#")
        if cleaned and cleaned not in seen:
            seen.append(cleaned)
    return tuple(seen)
