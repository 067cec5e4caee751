"""The event life cycle: create, edit, cancel, announce, read; the rest by delegation.

Every change and the messages it causes (reminders, notices, waitlist offers) are written
in one unit of work, so a crash never leaves an RSVP without its reminders or a
cancellation without its notices. Answers live in :mod:`.rsvp`, attendance and ratings in
:mod:`.attendance`; this class is the one object handlers and the scheduler hold.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from bot.core import values
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member, Platform
from bot.services.activity import InteractionLog
from bot.services.events import ics, reminders, series, texts, views
from bot.services.events.attendance import Attendance
from bot.services.events.overrides import changed_alone
from bot.services.events.rsvp import Rsvps
from bot.services.events.spec import EventSpec, fields_of, spec_of
from bot.services.events.spec import validate as check_spec
from bot.services.events.views import (
    Answer,
    Attendee,
    AttendeeReport,
    EventView,
    HomeChannel,
    ParticipationAwarder,
    RsvpResult,
)
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from config.settings import EventSettings
from storage import Database, Unit
from storage.rows.events import EventRow, SeriesRow


class EventService:
    """The event life cycle."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox,
                 interactions: InteractionLog, awarder: ParticipationAwarder,
                 settings: EventSettings | None = None) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._reminders = reminders.ReminderPlanner(outbox)
        self._awarder = awarder
        self._announce_new = (settings or EventSettings()).announce_new
        self._rsvps = Rsvps(db, clock, outbox, interactions, self._reminders, awarder,
                            settings or EventSettings())
        self._attendance = Attendance(db, clock, outbox, interactions, awarder)

    # -- creating and changing -------------------------------------------------------------

    def validate(self, spec: EventSpec) -> EventSpec:
        """Check a spec against the rules; raise a UserError naming the first problem."""
        return check_spec(spec, self._clock.now())

    async def create(self, author: Member, spec: EventSpec,
                     home: HomeChannel | None) -> EventView:
        """Create an event (and, for a recurrence, its first occurrences)."""
        event = self.validate(spec)
        now = self._clock.now()
        code = event.checkin_code or secrets.token_hex(3).upper()
        template = {
            "title": event.title, "description": event.description,
            "tags": ",".join(event.tags),
            "duration_minutes": int(event.duration.total_seconds() // 60),
            "timezone": event.timezone, "online_url": event.online_url, "venue": event.venue,
            "capacity": event.capacity, "audience": event.audience,
            "reminder_offsets": reminders.format_offsets(event.reminders),
            "place_platform": home.platform.value if home else None,
            "place_id": home.place_id if home else None, "checkin_code": code,
            "created_by": author.member_id,
        }
        async with self._db.unit() as unit:
            announced = now if self._announce_new else None
            if event.recurrence is None:
                created = [await unit.events.add(EventRow(
                    **template, starts_at=event.start, status="scheduled", created_at=now,
                    announced_at=announced))]
                await self._reminders.plan_channel(unit, created[0], now)
            else:
                local = event.start.astimezone(values.zone(event.timezone)).replace(tzinfo=None)
                row = await unit.series.add(SeriesRow(
                    rrule=event.recurrence, timezone=event.timezone,
                    local_start=local.isoformat(timespec="minutes"),
                    template=json.dumps(template), status="active",
                    materialized_until=event.start - timedelta(seconds=1), created_at=now))
                created = await series.materialize(unit, row, now + series.SERIES_HORIZON, now,
                                                   self._reminders,
                                                   announce_new=self._announce_new)
                if not created:
                    raise UserError("That recurrence produces no dates.")
            if self._announce_new:
                await self._post_announcement(unit, created[0].id, required=False)
            return await views.load(unit, created[0].id)

    async def edit(self, event_id: int, changes: dict[str, object], *,
                   whole_series: bool = False) -> list[EventView]:
        """Change fields of one occurrence or of the whole series, re-planning reminders."""
        if not changes:
            raise UserError("Nothing to change. Give fields like title=… or start=….")
        async with self._db.unit() as unit:
            row = await self._editable(unit, event_id)
            changed = self.validate(spec_of(row, changes))
            fields = fields_of(changed)
            targets = [row]
            starts: dict[int, datetime] = {}
            if whole_series and row.series_id is not None:
                recurring = await unit.series.get(row.series_id)
                assert recurring is not None
                template = json.loads(recurring.template)
                template.update({k: v for k, v in fields.items() if k != "starts_at"})
                recurring.template = json.dumps(template)
                later = await unit.events.in_series(row.series_id, self._clock.now())
                targets = [e for e in later if not e.detached or e.id == row.id]
                if changed.start != row.starts_at:
                    moved_to = series.move(recurring, row.starts_at, changed.start,
                                           [t.starts_at for t in targets], self._clock.now())
                    starts = dict(zip([t.id for t in targets], moved_to, strict=True))
            moved = False
            for target in targets:
                update = dict(fields)
                if target.id != row.id:
                    update.pop("starts_at", None)
                elif not whole_series:
                    update["detached"] = row.series_id is not None
                if target.id in starts:
                    update["starts_at"] = starts[target.id]
                moved = moved or update.get("starts_at", target.starts_at) != target.starts_at
                update["updated_at"] = self._clock.now()
                await unit.events.update(target.id, **update)
                if "capacity" in changes:
                    await self._rsvps.fit_capacity(unit, target, self._clock.now())
            shown = [await views.load(unit, t.id) for t in targets]
            for view in shown:
                await self._reminders.replan(unit, view.id, self._clock.now())
            if moved or {"title", "duration", "where", "start"} & changes.keys():
                await self._notify(unit, shown, "changed", texts.changed_notice)
        return shown

    async def cancel(self, event_id: int, reason: str | None, *,
                     whole_series: bool = False) -> list[EventView]:
        """Cancel one occurrence or the rest of a series; tell everyone going or waiting."""
        if reason is not None and len(reason) > 300:
            raise UserError("The reason is too long (at most 300 characters).")
        async with self._db.unit() as unit:
            row = await self._editable(unit, event_id)
            targets = [row]
            if whole_series and row.series_id is not None:
                recurring = await unit.series.get(row.series_id)
                assert recurring is not None
                recurring.status = "cancelled"
                targets = [e for e in await unit.events.in_series(row.series_id,
                                                                 self._clock.now())
                           if e.status == "scheduled"]
            shown = []
            for target in targets:
                await unit.events.update(target.id, status="cancelled", cancel_reason=reason,
                                         updated_at=self._clock.now())
                await unit.outbox.withdraw(event_id=target.id)
                for rsvp, _ in await unit.rsvps.for_event(target.id, ["going"]):
                    await self._awarder.withdraw(unit, rsvp.member_id, "rsvp", target.id)
                shown.append(await views.load(unit, target.id))
            await self._notify(
                unit, shown, "cancelled",
                lambda theirs, tz, now: texts.cancelled_notice(theirs, reason, tz, now),
                statuses=("going", "waitlist", "offered", "maybe"))
        return shown

    async def announce(self, event_id: int) -> int:
        """Make the event public: post it to every announcements channel; returns how many.

        From then on its home channel gets its reminder post too, and an announced series'
        later occurrences are public as they are made.
        """
        async with self._db.unit() as unit:
            posts = await self._post_announcement(unit, event_id, required=True)
            row = await unit.events.get(event_id)
            assert row is not None
            public = [row]
            if row.series_id is not None and not row.detached:
                recurring = await unit.series.get(row.series_id)
                assert recurring is not None
                series.mark_announced(recurring)
                public += [e for e in await unit.events.in_series(row.series_id, row.starts_at)
                           if e.status == "scheduled" and not e.detached]
            for event in public:
                if event.announced_at is None:
                    event.announced_at = self._clock.now()
                    await self._reminders.plan_channel(unit, event, self._clock.now())
        return posts

    async def _post_announcement(self, unit: Unit, event_id: int, *, required: bool) -> int:
        """Queue the announcement post in each announcements channel."""
        view = await views.load(unit, event_id)
        if view.status != "scheduled":
            raise UserError(f"#{event_id} is {view.status}; there is nothing to announce.")
        channels = await unit.channels.channels("announcements")
        if not channels and required:
            raise UserError("No announcements channel is set. An admin can set one with "
                            "/config channel announcements.")
        now = self._clock.now()
        stamp = int(now.timestamp())
        messages = [
            Outgoing(key=f"announce:{event_id}:{platform}:{place}:{stamp}",
                     kind=OutboxKind.ANNOUNCEMENT, text=texts.announcement(view, now),
                     due_at=now, platform=Platform(platform), place_id=place,
                     event_id=event_id, buttons=texts.rsvp_buttons(event_id))
            for platform, place in channels
        ]
        await self._outbox.put(unit, messages)
        return len(messages)

    # -- reading ---------------------------------------------------------------------------

    async def get(self, event_id: int) -> EventView:
        """One event."""
        async with self._db.unit() as unit:
            return await views.load(unit, event_id)

    async def upcoming(self, limit: int = 10) -> list[EventView]:
        """Scheduled events that have not started, soonest first."""
        async with self._db.unit() as unit:
            rows = await unit.events.upcoming(self._clock.now(), limit)
            return [await views.load(unit, r.id) for r in rows]

    async def calendar(self, event_id: int) -> tuple[EventView, bytes]:
        """The event as an ``.ics`` file; an occurrence of an active series repeats (RRULE)."""
        async with self._db.unit() as unit:
            view = await views.load(unit, event_id)
            row = await unit.events.get(event_id)
            assert row is not None
            rule: str | None = None
            skipped: list[datetime] = []
            alone: list[tuple[EventView, datetime]] = []
            if row.series_id is not None and not row.detached:
                recurring = await unit.series.get(row.series_id)
                if recurring is not None and recurring.status == "active":
                    rule = recurring.rrule
                    # Sessions changed alone are overrides (RECURRENCE-ID); dates not held
                    # as the rule says are excluded, so no calendar shows a wrong time.
                    pairs, skipped = await changed_alone(unit, recurring, row.starts_at)
                    alone = [(await views.load(unit, r.id), slot) for r, slot in pairs]
        return view, ics.to_ics(view, self._clock.now(), rule, skipped, alone)

    async def listing(self, size: int, page: int, *, past: bool = False,
                      tag: str | None = None) -> tuple[list[EventView], bool]:
        """One page of upcoming or past events of any status, optionally with a tag."""
        wanted = values.split_tags(tag or "")
        async with self._db.unit() as unit:
            rows = await unit.events.listing(self._clock.now(), past=past,
                                             tag=wanted[0] if wanted else None,
                                             limit=size + 1, offset=(page - 1) * size)
            return await views.load_many(unit, rows[:size]), len(rows) > size

    async def series_sessions(self, series_id: int) -> list[EventView]:
        """Every session of a series, held, cancelled or to come, in order (series view)."""
        async with self._db.unit() as unit:
            return await views.load_many(unit, await unit.events.in_series(series_id))

    async def upcoming_page(self, size: int, page: int) -> tuple[list[EventView], bool]:
        """One page of the upcoming events, and whether more come after it."""
        async with self._db.unit() as unit:
            rows = await unit.events.upcoming(self._clock.now(), size + 1,
                                              offset=(page - 1) * size)
            return await views.load_many(unit, rows[:size]), len(rows) > size

    async def mine(self, member: Member) -> list[tuple[EventView, str]]:
        """Upcoming events the member answered, with their answer."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            out = []
            for rsvp in await unit.rsvps.for_member(member.member_id):
                view = await views.load(unit, rsvp.event_id)
                if view.end > now and view.status == "scheduled" and rsvp.status != "no":
                    out.append((view, rsvp.status))
        return sorted(out, key=lambda pair: pair[0].start)

    async def attendees(self, event_id: int) -> AttendeeReport:
        """Going, waitlist, maybe, checked in, no-shows."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            view = await views.load(unit, event_id)
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

    # -- members' answers and attendance (see rsvp.py and attendance.py) ---------------------

    async def rsvp(self, member: Member, event_id: int, answer: Answer,
                   roles: tuple[str, ...] = (), is_admin: bool = False) -> RsvpResult:
        """Answer an event; going takes a seat or joins the waitlist."""
        return await self._rsvps.rsvp(member, event_id, answer, roles, is_admin)

    async def expire_offers(self) -> int:
        """Pass unclaimed seat offers to the next member waiting (a scheduler sweep)."""
        return await self._rsvps.expire_offers()

    async def checkin(self, member: Member, event_id: int, code: str) -> EventView:
        """Record attendance with the event's code, during the event only."""
        return await self._attendance.checkin(member, event_id, code)

    async def voice_presence(self, member_id: int) -> list[int]:
        """A member joined voice: attend the online events in progress they are going to."""
        return await self._attendance.voice_presence(member_id)

    async def feedback(self, member: Member, event_id: int, rating: int,
                       comment: str) -> bool:
        """Rate an event attended; returns True when it replaced an earlier rating."""
        return await self._attendance.feedback(member, event_id, rating, comment)

    async def request_feedback(self) -> int:
        """After an event ends, DM its attendees (and no one else) for a rating."""
        return await self._attendance.request_feedback()

    # -- sweeps and re-planning ------------------------------------------------------------

    async def materialize_series(self) -> int:
        """Create occurrences of active series up to the horizon (a daily sweep)."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            created = 0
            for recurring in await unit.series.active():
                created += len(await series.materialize(
                    unit, recurring, now + series.SERIES_HORIZON, now, self._reminders,
                    announce_new=self._announce_new))
        return created

    async def replan_member(self, member_id: int) -> None:
        """Plan a member's reminders again after their preferences changed."""
        async with self._db.unit() as unit:
            await self._reminders.replan_member(unit, member_id, self._clock.now())

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

    async def _notify(self, unit: Unit, shown: Sequence[EventView], what: str,
                      text: Callable[[list[EventView], str, datetime], str],
                      statuses: tuple[str, ...] = ("going", "waitlist", "offered")) -> None:
        """DM everyone with one of ``statuses`` once about the ``shown`` events they answered.

        A series change is one message per member (listing their sessions), in their zone.
        """
        now = self._clock.now()
        stamp = int(now.timestamp())
        theirs: dict[int, list[EventView]] = {}
        for view in shown:
            for rsvp, _ in await unit.rsvps.for_event(view.id, list(statuses)):
                theirs.setdefault(rsvp.member_id, []).append(view)
        messages = []
        for member_id, answered in theirs.items():
            member = await unit.members.get(member_id)
            zone = member.timezone if member is not None else "UTC"
            messages.append(Outgoing(
                key=f"{what}:{answered[0].id}:{member_id}:{stamp}", kind=OutboxKind.NOTICE,
                text=text(answered, zone, now), due_at=now, member_id=member_id,
                event_id=answered[0].id))
        await self._outbox.put(unit, messages)
