"""Members' answers: seats, the waitlist, and offers of freed seats.

Seat-taking locks the event row (PostgreSQL ``FOR UPDATE``; SQLite takes its write lock at
``BEGIN IMMEDIATE``), so two members racing for the last seat cannot both get it; the
answer, its reminders and any waitlist offer commit in one unit of work. Under that same
lock a member joining takes the event's next queue ticket: the waitlist position they are
told, the order freed seats are offered in and the listings all follow the ticket, so the
order told is the order that holds (a clock read before the lock is not an order).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.ports import InteractionKind
from bot.services.activity import InteractionLog
from bot.services.events import texts, views
from bot.services.events.reminders import ReminderPlanner
from bot.services.events.views import Answer, ParticipationAwarder, RsvpResult
from bot.services.outbox import Outbox, OutboxKind, Outgoing
from config.settings import EventSettings
from storage import Database, Unit
from storage.rows.events import EventRow, RsvpRow


class Rsvps:
    """Answers to events and the waitlist behind a full one."""

    def __init__(self, db: Database, clock: Clock, outbox: Outbox, interactions: InteractionLog,
                 reminders: ReminderPlanner, awarder: ParticipationAwarder,
                 settings: EventSettings) -> None:
        self._db = db
        self._clock = clock
        self._outbox = outbox
        self._interactions = interactions
        self._reminders = reminders
        self._awarder = awarder
        self._claim_window = timedelta(hours=settings.claim_window_hours)
        self._immediate = settings.immediate_promotion

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
            await settle_award(self._awarder, unit, event_id, member.member_id, status)
            self._interactions.record_raw(
                member_id=member.member_id, platform="cohort", place_id=str(event_id),
                kind=InteractionKind.RSVP, name=status,
                source_key=f"rsvp:{event_id}:{member.member_id}:{status}:{now.timestamp()}")
            view = await views.load(unit, event_id)
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
                await self._tell_organiser(
                    unit, event, texts.seat_claimed(member.display_name, event.id, event.title),
                    now)
            elif event.capacity is None or await unit.rsvps.seats_taken(event.id) < event.capacity:
                status = "going"
            else:
                status = "waitlist"
        else:
            status = answer.value
        joins = status in ("going", "waitlist") and previous not in ("going", "waitlist",
                                                                       "offered")
        ticket = unit.events.take_ticket(event) if joins else None
        if row is None:
            row = await unit.rsvps.add(RsvpRow(event_id=event.id, member_id=member.member_id,
                                               status=status, queued_at=now, queue_seq=ticket,
                                               created_at=now, updated_at=now))
        else:
            row.status = status
            row.updated_at = now
            row.offer_expires_at = None
            if ticket is not None:
                row.queued_at = now
                row.queue_seq = ticket
        if status == "going":
            await self._reminders.plan_member(unit, event, member.member_id, now)
        else:
            await self._reminders.withdraw_member(unit, event.id, member.member_id)
        if previous in ("going", "offered") and status not in ("going", "offered"):
            await self._free_seat(unit, event, now)
        return status

    async def fit_capacity(self, unit: Unit, event: EventRow, now: datetime) -> None:
        """A changed capacity: never below the seats taken; seats it adds go to the waitlist.

        The added seats are offered (or given) in waitlist order, one member each, as a
        freed seat is.
        """
        taken = await unit.rsvps.seats_taken(event.id)
        if event.capacity is not None and event.capacity < taken:
            raise UserError(texts.capacity_below_seats(event.id, event.title, taken))
        while (event.capacity is None or taken < event.capacity) and (
                await unit.rsvps.next_waiting(event.id) is not None):
            await self._free_seat(unit, event, now)
            taken = await unit.rsvps.seats_taken(event.id)

    async def _free_seat(self, unit: Unit, event: EventRow, now: datetime) -> None:
        """Offer a freed seat to the first member waiting (or give it at once)."""
        if event.capacity is not None and await unit.rsvps.seats_taken(event.id) >= event.capacity:
            return
        nxt = await unit.rsvps.next_waiting(event.id)
        if nxt is None:
            return
        nxt.updated_at = now
        key = f"waitlist:{event.id}:{nxt.member_id}:{int(now.timestamp())}"
        if self._immediate:
            nxt.status = "going"
            await self._reminders.plan_member(unit, event, nxt.member_id, now)
            await settle_award(self._awarder, unit, event.id, nxt.member_id, nxt.status)
            text = texts.seat_given(event.id, event.title)
        else:
            nxt.status = "offered"
            nxt.offer_expires_at = now + self._claim_window
            text = texts.seat_offered(event.id, event.title, self._claim_window)
        await self._outbox.put(unit, [Outgoing(
            key=key, kind=OutboxKind.WAITLIST, text=text, due_at=now, member_id=nxt.member_id,
            event_id=event.id, buttons=texts.rsvp_buttons(event.id, going_only=True))])

    async def expire_offers(self) -> int:
        """Pass unclaimed seat offers to the next member waiting, telling the one who lost it."""
        now = self._clock.now()
        async with self._db.unit() as unit:
            expired = await unit.rsvps.expired_offers(now)
            for rsvp in expired:
                rsvp.status = "expired"
                rsvp.offer_expires_at = None
                rsvp.updated_at = now
                event = await unit.events.get(rsvp.event_id, lock=True)
                assert event is not None
                await self._outbox.put(unit, [Outgoing(
                    key=f"offer-expired:{event.id}:{rsvp.member_id}:{int(now.timestamp())}",
                    kind=OutboxKind.WAITLIST, text=texts.offer_expired(event.id, event.title),
                    due_at=now, member_id=rsvp.member_id, event_id=event.id)])
                await self._free_seat(unit, event, now)
        return len(expired)

    async def _tell_organiser(self, unit: Unit, event: EventRow, text: str,
                              now: datetime) -> None:
        if event.created_by is None:
            return
        await self._outbox.put(unit, [Outgoing(
            key=f"claimed:{event.id}:{event.created_by}:{now.timestamp()}",
            kind=OutboxKind.NOTICE, text=text, due_at=now, member_id=event.created_by,
            event_id=event.id)])


async def settle_award(awarder: ParticipationAwarder, unit: Unit, event_id: int,
                       member_id: int, status: str) -> None:
    """The one RSVP points rule: the award is held while going and taken back otherwise."""
    if status == "going":
        await awarder.participation(unit, member_id, "rsvp", event_id)
    else:
        await awarder.withdraw(unit, member_id, "rsvp", event_id)
