"""Every word the events feature says: command replies, posts, reminders and notices.

Handlers and the outbox messages the service plans both take their text from here, so an
announcement reads the same whether it is a reply, a post or a refreshed button message.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import values
from bot.core.model import Button
from bot.services.events.views import Attendee, AttendeeReport, EventView, RsvpResult

# -- posts and buttons -----------------------------------------------------------------------


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


def details(view: EventView, timezone: str, now: datetime) -> str:
    """An event's details in the reader's time zone."""
    lines = [f"#{view.id} {view.title}" + (f" — {view.status.upper()}"
                                          if view.status != "scheduled" else "")]
    lines.append(f"{view.when(timezone, now)} · {values.format_duration(view.duration)}")
    lines.append(view.where)
    if view.tags:
        lines.append("Tags: " + ", ".join(view.tags))
    seats = f"{view.going}/{view.capacity} seats taken" if view.capacity else (
        f"{view.going} going")
    if view.waitlist:
        seats += f" · {view.waitlist} on the waitlist"
    lines.append(seats)
    if view.audience:
        lines.append(f"For: {view.audience}")
    if view.cancel_reason:
        lines.append(f"Reason: {view.cancel_reason}")
    if view.description:
        lines.append(view.description)
    if view.status == "scheduled":
        lines.append(f"RSVP: /rsvp {view.id} going · Calendar: /ics {view.id}")
    return "\n".join(lines)


# -- replies to commands ---------------------------------------------------------------------


def created(view: EventView, timezone: str, now: datetime) -> str:
    """The reply to ``/event create``."""
    series = " (first of a series)" if view.series_id else ""
    return (f"Created #{view.id}{series}. Check-in code: {view.checkin_code}. "
            f"Announce it with /event announce {view.id}.{too_late(view, now)}\n\n"
            + details(view, timezone, now))


def updated(views: Sequence[EventView], timezone: str, now: datetime) -> str:
    """The reply to ``/event edit``."""
    what = f"{len(views)} occurrences" if len(views) > 1 else f"#{views[0].id}"
    return (f"Updated {what}; reminders re-planned and those going told."
            f"{too_late(views[0], now)}\n\n" + details(views[0], timezone, now))


def too_late(view: EventView, now: datetime) -> str:
    """Tell the admin which reminder offsets are longer than the time left (or nothing)."""
    left = view.start - now
    if left <= timedelta(0) or view.reminders in ("", "off"):
        return ""
    late = [part for part in view.reminders.split(",")
            if values.parse_duration(part) >= left]
    if not late:
        return ""
    which = " and ".join(late)
    return (f" #{view.id} starts in {values.format_duration(left)}, so the {which} "
            f"reminder{'s are' if len(late) > 1 else ' is'} skipped; members going get "
            "one heads-up instead.")


def cancelled(views: Sequence[EventView]) -> str:
    """The reply to ``/event cancel``."""
    names = ", ".join(f"#{v.id}" for v in views)
    return f"Cancelled {names}. Everyone going or waiting will be told."


def announced(posts: int) -> str:
    """The reply to ``/event announce``."""
    return f"Announcement queued for {posts} channel{'s' if posts != 1 else ''}."


def attendees(report: AttendeeReport) -> list[str]:
    """The lines of ``/event attendees`` (a handler may add a turnout line)."""
    view = report.event
    seats = f"{view.going}/{view.capacity}" if view.capacity else str(view.going)
    lines = [f"#{view.id} {view.title}: {seats} going, {len(report.waitlist)} waiting, "
             f"{len(report.maybe)} maybe, {len(report.checked_in)} checked in"]
    for label, people in (("Going", report.going), ("Seat offered", report.offered),
                          ("Waitlist", report.waitlist),
                          ("Maybe", report.maybe), ("No-shows", report.no_shows)):
        if people:
            lines.append(f"{label}: {_names(people)}")
    return lines


def predicted_turnout(expected: float, members: int, low: int, high: int) -> str:
    """The turnout line analytics adds to ``/event attendees``."""
    return (f"Predicted turnout: {expected:.1f} of {members} going "
            f"(80%: {low}–{high}), from each member's show-up record")


def upcoming(views: Sequence[EventView], timezone: str, now: datetime) -> str:
    """The reply to ``/events``."""
    if not views:
        return "No upcoming events yet."
    lines = ["Upcoming events:"]
    lines += [_line(v, timezone, now) for v in views]
    lines.append("Details: /event ID · RSVP: /rsvp ID going")
    return "\n".join(lines)


def mine(answers: Sequence[tuple[EventView, str]], timezone: str, now: datetime) -> str:
    """The reply to ``/myevents``."""
    if not answers:
        return "You have no upcoming events. Send /events to find one."
    lines = ["Your upcoming events:"]
    lines += [f"{_line(v, timezone, now)} — {status}" for v, status in answers]
    return "\n".join(lines)


def rsvp_reply(result: RsvpResult, timezone: str, now: datetime) -> str:
    """What a member is told after answering."""
    title = f"#{result.event.id} {result.event.title}"
    if result.status == "waitlist":
        return (f"{title} is full. You are #{result.position} on the waitlist; "
                "I will DM you if a seat opens.")
    if not result.changed:
        return f"You are already {result.status} for {title}."
    if result.status == "going":
        when = result.event.when(timezone, now)
        return f"You're going to {title}, {when}. I'll remind you before it starts."
    return f"Noted: {result.status} for {title}."


def checked_in(view: EventView) -> str:
    """The reply to ``/checkin``."""
    return f"Checked in to #{view.id} {view.title}. Enjoy!"


def ics_caption(view: EventView) -> str:
    """The message that carries the ``.ics`` file."""
    return f"#{view.id} {view.title} for your calendar."


def feedback_saved(event_id: int, replaced: bool) -> str:
    """The reply to ``/feedback``."""
    verb = "updated" if replaced else "saved"
    return f"Thanks! Your rating of #{event_id} is {verb}."


# -- what the service posts and DMs ----------------------------------------------------------


def changed_notice(view: EventView) -> str:
    """DM to those going when an event moved or changed."""
    return (f"Update: {view.title} is now {view.where}, "
            f"starting {view.start:%Y-%m-%d %H:%M} UTC.")


def cancelled_notice(view: EventView, reason: str | None) -> str:
    """DM to everyone who answered when an event is cancelled."""
    note = f" Reason: {reason}" if reason else ""
    return f"Cancelled: {view.title} on {view.start:%Y-%m-%d %H:%M} UTC.{note}"


def seat_given(event_id: int, title: str) -> str:
    """DM when a freed seat went straight to the first member waiting."""
    return f"Good news: a seat opened and you are now going to #{event_id} {title}."


def seat_offered(event_id: int, title: str, claim_window: timedelta) -> str:
    """DM offering a freed seat for a while."""
    hours = values.format_duration(claim_window)
    return (f"A seat opened for #{event_id} {title}. It is yours if you send "
            f"/rsvp {event_id} going within {hours}.")


def seat_claimed(name: str, event_id: int, title: str) -> str:
    """DM to the organiser when an offered seat is claimed."""
    return f"{name} claimed a freed seat for #{event_id} {title}."


def feedback_request(event_id: int, title: str) -> str:
    """DM after an event asking for a rating."""
    return (f"Thanks for joining {title}! How was it? Reply with "
            f"/feedback {event_id} 1-5 and a comment if you like.")


def reminder(event_id: int, title: str, starts_at: datetime, due_at: datetime, tz: ZoneInfo,
             online_url: str | None, venue: str | None) -> str:
    """A member's reminder DM, in their own zone."""
    local = starts_at.astimezone(tz)
    return (f"Reminder: #{event_id} {title} starts "
            f"{values.relative(starts_at, due_at)} "
            f"({local:%a %d %b %H:%M} {local.tzname()}). "
            f"{_where(online_url, venue)}").strip()


def channel_reminder(event_id: int, title: str, starts_at: datetime, due_at: datetime,
                     online_url: str | None, venue: str | None) -> str:
    """The post in the channel an event was created in."""
    return (f"#{event_id} {title} starts "
            f"{values.relative(starts_at, due_at)}. "
            f"{_where(online_url, venue)} RSVP with /rsvp {event_id} going")


def _where(online_url: str | None, venue: str | None) -> str:
    parts = [p for p in (online_url, venue) if p]
    return (" · ".join(parts) + ".") if parts else ""


def _line(view: EventView, timezone: str, now: datetime) -> str:
    full = " (full)" if view.capacity and view.going >= view.capacity else ""
    return f"#{view.id} {view.title} — {view.when(timezone, now)}{full}"


def _names(people: list[Attendee]) -> str:
    return ", ".join(p.name + (" ✓" if p.checked_in else "") for p in people)
