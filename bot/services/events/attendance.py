"""Who came: check-in by code, attendance by joining voice, and ratings afterwards."""

from __future__ import annotations

import secrets
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.ports import InteractionKind
from bot.services.activity import InteractionLog
from bot.services.events import texts, views
from bot.services.events.rsvp import settle_award
from bot.services.events.views import EventView, ParticipationAwarder
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from storage import Database, Unit
from storage.rows.events import EventRow, FeedbackRow, RsvpRow

CHECKIN_EARLY = timedelta(minutes=30)
CODE_TRIES = 5  # wrong codes per member and event in a window: guessing 16^6 is hopeless
CODE_WINDOW = timedelta(minutes=15)


def attended(rsvp: RsvpRow | None) -> bool:
    """The one attendance rule for ratings: checked in with the code or present in voice.

    Voice presence during an online event sets ``checked_in_at`` too (see
    :meth:`Attendance.voice_presence`), so both ways end in the same mark.
    """
    return rsvp is not None and rsvp.checked_in_at is not None


class Attendance:
    """Check-ins, voice presence and feedback, each awarding participation points."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, interactions: InteractionLog,
                 awarder: ParticipationAwarder) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._interactions = interactions
        self._awarder = awarder

    async def checkin(self, member: Member, event_id: int, code: str) -> EventView:
        """Record attendance with the event's code, during the event, for members with a seat.

        A waitlisted member with the right code gets the seat only when one is free and the
        waitlist rule gives it to them (first waiting, or holding the offer). Wrong codes are
        counted per member and event, committed although the answer is a refusal, so that
        guessing a code is limited to :data:`CODE_TRIES` tries per :data:`CODE_WINDOW`.
        """
        now = self._clock.now()
        refusal: str | None = None
        async with self._db.unit() as unit:
            event = await unit.events.get(event_id, lock=True)
            if event is None:
                raise UserError(f"There is no event #{event_id}.")
            if event.status != "scheduled":
                raise UserError(f"#{event_id} {event.title} is {event.status}.")
            if not event.starts_at - CHECKIN_EARLY <= now <= event.ends_at:
                raise UserError(f"Check-in for #{event_id} is open from 30 minutes before it "
                                "starts until it ends.")
            row = await unit.rsvps.get(event_id, member.member_id)
            if row is None or row.status not in ("going", "offered", "waitlist"):
                raise UserError(texts.checkin_needs_seat(event_id, event.title))
            if row.checked_in_at is not None:
                raise UserError(f"You are already checked in to #{event_id}.")
            if row.checkin_failed_at is None or now - row.checkin_failed_at >= CODE_WINDOW:
                row.checkin_failures = 0
            if row.checkin_failures >= CODE_TRIES:
                assert row.checkin_failed_at is not None
                raise UserError(texts.checkin_locked(row.checkin_failed_at + CODE_WINDOW - now))
            if not secrets.compare_digest(code.strip().upper(), event.checkin_code.upper()):
                row.checkin_failures += 1
                row.checkin_failed_at = now
                refusal = texts.checkin_wrong_code(CODE_TRIES - row.checkin_failures)
            elif row.status != "going" and not await self._seat_for(unit, event, row):
                position = await unit.rsvps.waitlist_position(event_id, row)
                raise UserError(texts.checkin_waitlisted(event_id, event.title, position))
            else:
                row.status = "going"
                row.checked_in_at = now
                row.updated_at = now
                row.checkin_failures = 0
                self._interactions.record_raw(
                    member_id=member.member_id, platform="cohort", place_id=str(event_id),
                    kind=InteractionKind.CHECKIN, name=None,
                    source_key=f"checkin:{event_id}:{member.member_id}")
                await self._awarder.participation(unit, member.member_id, "attendance",
                                                  event_id)
                await settle_award(self._awarder, unit, event_id, member.member_id, row.status)
                return await views.load(unit, event_id)
        assert refusal is not None  # every other way out returned or raised
        raise UserError(refusal)

    @staticmethod
    async def _seat_for(unit: Unit, event: EventRow, row: RsvpRow) -> bool:
        """Whether the waitlist rule gives ``row`` a seat now (the offer, or first in line)."""
        if row.status == "offered":
            return True
        if event.capacity is not None and (
                await unit.rsvps.seats_taken(event.id) >= event.capacity):
            return False
        first = await unit.rsvps.next_waiting(event.id)
        return first is not None and first.id == row.id

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
                await self._awarder.participation(unit, member_id, "attendance", event.id)
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
            if not attended(await unit.rsvps.get(event_id, member.member_id)):
                raise UserError(texts.feedback_not_attended(event_id, event.title))
            existing = await unit.feedback.get(event_id, member.member_id)
            if existing is None:
                await unit.feedback.add(FeedbackRow(event_id=event_id,
                                                    member_id=member.member_id, rating=rating,
                                                    comment=comment, created_at=now,
                                                    updated_at=now))
                await self._awarder.participation(unit, member.member_id, "feedback",
                                                  event_id)
                return False
            existing.rating = rating
            existing.comment = comment
            existing.updated_at = now
            return True

    async def request_feedback(self) -> int:
        """After an event ends, DM its attendees (and no one else) for a rating."""
        now = self._clock.now()
        planned = 0
        async with self._db.unit() as unit:
            for event in await unit.events.ended_without_feedback(now):
                targets = [r for r, _ in await unit.rsvps.for_event(event.id) if attended(r)]
                messages = [Outgoing(
                    key=f"feedback:{event.id}:{r.member_id}", kind=OutboxKind.FEEDBACK,
                    text=texts.feedback_request(event.id, event.title),
                    due_at=now, member_id=r.member_id, event_id=event.id) for r in targets]
                planned += await self._outbox.put(unit, messages)
                await unit.events.update(event.id, feedback_requested_at=now)
        return planned
